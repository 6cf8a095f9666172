// constructEvent / verifySignature / generateTestHeader: the shared vectors, interop with the
// official `stripe` package both ways, payload kinds, several secrets, and the exact code of
// every failure.
import { test, describe } from 'node:test'
import assert from 'node:assert/strict'
import { createHash, createHmac } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import Stripe from 'stripe'
import {
  StripeConnect,
  constructEvent,
  generateTestHeader,
  verifySignature,
  StripeConnectError,
  ERROR_CODES,
  type StripeConnectErrorCode,
} from '@support/stripe-connect'
import * as native from '../bindings/native/index.js'
import { toStripeConnectError } from '../bindings/src/errors.js'
import {
  SECRET,
  disputeEvent,
  eventBody,
  repoJson,
  nowSeconds,
  objects,
  sign,
  throwsCode,
} from './helpers'

const stripe = new Stripe('sk_test_interop')
// Under Bun the stripe package loads its worker build, whose Web Crypto provider has no sync HMAC
// and which refuses createNodeCryptoProvider(): give it node:crypto through its CryptoProvider
// interface (stripe still parses, formats and checks the headers itself).
type CryptoProvider = NonNullable<Parameters<typeof stripe.webhooks.constructEvent>[4]>
const cryptoProvider = {
  computeHMACSignature: (payload: string, secret: string) =>
    createHmac('sha256', secret).update(payload, 'utf8').digest('hex'),
  computeHMACSignatureAsync: async (payload: string, secret: string) =>
    createHmac('sha256', secret).update(payload, 'utf8').digest('hex'),
  computeSHA256Async: async (data: Uint8Array) =>
    new Uint8Array(createHash('sha256').update(data).digest()),
} as unknown as CryptoProvider

interface Vector {
  name: string
  secret: string
  header: string
  payload: string
  now: number | null
  tolerance: number | null
  expect:
    | 'valid'
    | 'too_old'
    | 'outside_tolerance'
    | 'no_matching_signature'
    | 'no_v1_signatures'
    | 'invalid_header'
}

describe('the shared webhook vectors (tests/fixtures/webhook-vectors.json, also run by the Rust tests)', () => {
  // The Rust tests read tests/fixtures/webhook-vectors.json: so do these.
  const vectors = repoJson<Vector[]>('tests', 'fixtures', 'webhook-vectors.json')
  const codes: Record<
    Exclude<Vector['expect'], 'valid' | 'invalid_header'>,
    StripeConnectErrorCode
  > = {
    too_old: 'webhook_timestamp_out_of_range',
    outside_tolerance: 'webhook_timestamp_out_of_range',
    no_matching_signature: 'webhook_signature_mismatch',
    no_v1_signatures: 'webhook_no_v1_signature',
  }

  test('there are 29 vectors', () => {
    assert.equal(vectors.length, 29)
  })

  for (const v of vectors) {
    test(`${v.name}: ${v.expect}`, () => {
      // "now/tolerance absent: check at now = t" (the vectors' note).
      const t = Number(/(?:^|,)t=(\d+)(?:,|$)/.exec(v.header)?.[1] ?? 0)
      const options =
        v.tolerance === null
          ? { now: t }
          : { now: Math.floor(v.now ?? 0), toleranceSeconds: v.tolerance }
      for (const payload of [v.payload, Buffer.from(v.payload)]) {
        const verify = () => verifySignature(payload, v.header, v.secret, options)
        if (v.expect === 'valid') {
          assert.equal(verify(), t)
        } else if (v.expect === 'invalid_header') {
          throwsCode(
            verify,
            v.header.trim() === '' ? 'webhook_missing_header' : 'webhook_malformed_header',
          )
        } else {
          throwsCode(verify, codes[v.expect])
        }
      }
      // Where the body is a whole event, constructEvent returns exactly what was sent.
      if (v.expect !== 'valid') return
      const body = JSON.parse(v.payload) as Record<string, unknown>
      if (body.data && body.type) {
        assert.deepEqual(constructEvent(Buffer.from(v.payload), v.header, v.secret, options), body)
      }
    })
  }
})

describe('the shared event-shape vectors (tests/fixtures/event-shape-vectors.json, also run by the Rust tests)', () => {
  // The Rust tests check parse_event, validate_event and the view-based rules on these bodies;
  // constructEvent checks the object JSON.parse made, through napi: same outcome and code.
  const vectors = JSON.parse(
    readFileSync(join(__dirname, '..', 'tests', 'fixtures', 'event-shape-vectors.json'), 'utf8'),
  ) as { name: string; body: string; code: StripeConnectErrorCode | null }[]

  test('there are 58 vectors', () => assert.equal(vectors.length, 58))

  for (const v of vectors) {
    test(`${v.name}: ${v.code ?? 'valid'}`, () => {
      for (const payload of [v.body, Buffer.from(v.body)]) {
        const run = () => constructEvent(payload, sign(v.body), SECRET)
        if (v.code === null) assert.deepEqual(run(), JSON.parse(v.body))
        else throwsCode(run, v.code)
      }
    })
  }

  test('handleWebhook gives the same code as constructEvent for every rejected vector', async () => {
    const client = new StripeConnect({ secretKey: 'sk_test_vectors', webhookSecrets: SECRET })
    for (const v of vectors.filter((v) => v.code !== null)) {
      await assert.rejects(
        client.handleWebhook(v.body, sign(v.body)),
        (err: StripeConnectError) => {
          assert.equal(err.code, v.code, v.name)
          return true
        },
      )
    }
  })

  test('a body that is not JSON is a StripeConnectError with the reason, never a SyntaxError', () => {
    const err = throwsCode(
      () => constructEvent('{"id": "evt_1"', sign('{"id": "evt_1"'), SECRET),
      'webhook_invalid_payload',
    )
    assert.match(err.message, /EOF|JSON/)
  })
})

describe('constructEvent', () => {
  const body = disputeEvent('evt_construct_1')
  const header = sign(body)

  test('options: an object, undefined or null; a number (the official 4th argument) is invalid_input', () => {
    assert.equal(constructEvent(body, header, SECRET, undefined).id, 'evt_construct_1')
    assert.equal(constructEvent(body, header, SECRET, null as never).id, 'evt_construct_1')
    assert.equal(
      constructEvent(body, header, SECRET, { toleranceSeconds: 600 }).id,
      'evt_construct_1',
    )
    const err = throwsCode(
      () => constructEvent(body, header, SECRET, 300 as never),
      'invalid_input',
    )
    assert.match(err.message, /toleranceSeconds/)
    // Each option is still read: a clock an hour off fails, and the replay switch skips it.
    const later = { now: Math.floor(Date.now() / 1000) + 3600 }
    throwsCode(() => constructEvent(body, header, SECRET, later), 'webhook_timestamp_out_of_range')
    const replay = { ...later, skipTimestampCheckForReplay: true }
    assert.equal(constructEvent(body, header, SECRET, replay).id, 'evt_construct_1')
  })

  test('returns the whole event: id, type, account, livemode, created, data.object', () => {
    const event = constructEvent(body, header, SECRET)
    assert.equal(event.id, 'evt_construct_1')
    assert.equal(event.type, 'charge.dispute.created')
    assert.equal(event.account, 'acct_1disputed')
    assert.equal(event.livemode, false)
    assert.equal(event.created, objects.event.created)
    assert.deepEqual(event.data.object, objects.dispute)
    assert.deepEqual(event, JSON.parse(body))
  })

  test('takes a string, a Buffer, or a Uint8Array view at an offset', () => {
    const expected = JSON.parse(body)
    const padded = Buffer.concat([Buffer.from('xxxx'), Buffer.from(body), Buffer.from('yy')])
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 4, Buffer.byteLength(body))
    for (const payload of [body, Buffer.from(body), view, new Uint8Array(Buffer.from(body))]) {
      assert.deepEqual(constructEvent(payload, header, SECRET), expected)
    }
  })

  test('non-ASCII bodies are verified byte for byte', () => {
    const b = eventBody(
      'customer.created',
      { id: 'cus_1', name: 'Zoë Ñandú 🦀' },
      { id: 'evt_utf8' },
    )
    const event = constructEvent(Buffer.from(b), sign(b), SECRET)
    assert.equal((event.data.object as { name: string }).name, 'Zoë Ñandú 🦀')
    assert.deepEqual(constructEvent(b, sign(Buffer.from(b)), SECRET), event)
  })

  test('several secrets (rotation): any one may match, and any v1 in the header', () => {
    assert.equal(constructEvent(body, header, ['whsec_old', SECRET]).id, 'evt_construct_1')
    const t = nowSeconds()
    const both = `${generateTestHeader({ payload: body, secret: 'whsec_a', timestamp: t })},v1=${generateTestHeader({ payload: body, secret: 'whsec_b', timestamp: t }).split('v1=')[1]}`
    assert.equal(constructEvent(body, both, 'whsec_b').id, 'evt_construct_1')
    assert.equal(constructEvent(body, both, ['whsec_x', 'whsec_a']).id, 'evt_construct_1')
    throwsCode(
      () => constructEvent(body, both, ['whsec_x', 'whsec_y']),
      'webhook_signature_mismatch',
    )
  })

  test('the exact code of each failure', () => {
    throwsCode(() => constructEvent(body, undefined, SECRET), 'webhook_missing_header')
    throwsCode(() => constructEvent(body, null, SECRET), 'webhook_missing_header')
    throwsCode(() => constructEvent(body, '', SECRET), 'webhook_missing_header')
    throwsCode(() => constructEvent(body, 'garbage', SECRET), 'webhook_malformed_header')
    throwsCode(() => constructEvent(body, 't=abc,v1=00', SECRET), 'webhook_malformed_header')
    throwsCode(
      () => constructEvent(body, `t=${nowSeconds()},v0=${'0'.repeat(64)}`, SECRET),
      'webhook_no_v1_signature',
    )
    throwsCode(() => constructEvent(body, header, 'whsec_wrong'), 'webhook_signature_mismatch')
    throwsCode(() => constructEvent(body + ' ', header, SECRET), 'webhook_signature_mismatch')
    const old = generateTestHeader({ payload: body, secret: SECRET, timestamp: nowSeconds() - 301 })
    throwsCode(() => constructEvent(body, old, SECRET), 'webhook_timestamp_out_of_range')
    const future = generateTestHeader({
      payload: body,
      secret: SECRET,
      timestamp: nowSeconds() + 301,
    })
    throwsCode(() => constructEvent(body, future, SECRET), 'webhook_timestamp_out_of_range')
    assert.equal(constructEvent(body, old, SECRET, { toleranceSeconds: 600 }).id, 'evt_construct_1')
    assert.equal(
      constructEvent(body, old, SECRET, { skipTimestampCheckForReplay: true }).id,
      'evt_construct_1',
    )
    throwsCode(
      () => constructEvent(body, header, SECRET, { toleranceSeconds: 0 }),
      'config_invalid',
    )
    const notJson = 'not json'
    throwsCode(() => constructEvent(notJson, sign(notJson), SECRET), 'webhook_invalid_payload')
    const notEvent = JSON.stringify({ id: 'cus_1', object: 'customer' }, null, 2)
    throwsCode(() => constructEvent(notEvent, sign(notEvent), SECRET), 'webhook_thin_event')
    const thin = JSON.stringify({
      id: 'evt_1',
      object: 'v2.core.event',
      type: 'v1.billing.meter.error_report_triggered',
    })
    throwsCode(() => constructEvent(thin, sign(thin), SECRET), 'webhook_thin_event')
    const badDispute = eventBody('charge.dispute.created', { id: 'dp_1' }, { id: 'evt_bad' })
    throwsCode(
      () => constructEvent(badDispute, sign(badDispute), SECRET),
      'webhook_invalid_payload',
    )
  })

  test('wrong argument types are invalid_input, not a napi error', () => {
    const bad = (v: unknown) => v as never
    throwsCode(() => constructEvent(bad(42), header, SECRET), 'invalid_input')
    const parsed = throwsCode(
      () => constructEvent(bad(JSON.parse(body)), header, SECRET),
      'invalid_input',
    )
    assert.match(parsed.message, /raw request body/)
    throwsCode(() => constructEvent(body, bad(42), SECRET), 'invalid_input')
    throwsCode(() => constructEvent(body, header, bad(undefined)), 'invalid_input')
    throwsCode(() => constructEvent(body, header, bad([SECRET, 7])), 'invalid_input')
    throwsCode(
      () => constructEvent(body, header, SECRET, bad({ toleranceSeconds: 'x' })),
      'invalid_input',
    )
    throwsCode(() => generateTestHeader(bad({ payload: 1, secret: SECRET })), 'invalid_input')
  })

  test('errors explain the usual mistake and never contain the secret', () => {
    const reserialised = JSON.stringify(JSON.parse(body))
    const e = throwsCode(
      () => constructEvent(reserialised, header, SECRET),
      'webhook_signature_mismatch',
    )
    assert.match(e.message, /raw request body/)
    assert.ok(!e.message.includes('SECRETVALUE'))
    const k = throwsCode(
      () => constructEvent(body, header, 'sk_test_SECRETVALUE'),
      'webhook_signature_mismatch',
    )
    assert.match(k.message, /API key/)
    assert.ok(!k.message.includes('SECRETVALUE'))
  })
})

describe('interop with the official stripe package', () => {
  const body = disputeEvent('evt_interop')

  test('headers from stripe.webhooks.generateTestHeaderString verify with constructEvent', () => {
    for (const payload of [body, Buffer.from(body)]) {
      const header = stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: SECRET,
        cryptoProvider,
      })
      assert.deepEqual(constructEvent(payload, header, SECRET), JSON.parse(body))
    }
  })

  test('headers from generateTestHeader verify with stripe.webhooks.constructEvent', () => {
    for (const payload of [body, Buffer.from(body)]) {
      const header = generateTestHeader({ payload, secret: SECRET })
      assert.deepEqual(
        stripe.webhooks.constructEvent(payload, header, SECRET, undefined, cryptoProvider),
        JSON.parse(body),
      )
    }
  })

  test('both produce the same header for the same timestamp, and the same event', () => {
    const timestamp = 1_700_000_000
    const ours = generateTestHeader({ payload: body, secret: SECRET, timestamp })
    assert.equal(
      ours,
      stripe.webhooks.generateTestHeaderString({
        payload: body,
        secret: SECRET,
        timestamp,
        cryptoProvider,
      }),
    )
    const header = sign(body)
    assert.deepEqual(
      constructEvent(body, header, SECRET),
      stripe.webhooks.constructEvent(body, header, SECRET, undefined, cryptoProvider),
    )
  })

  test('a signature stripe rejects, we reject too', () => {
    const header = sign(body, 'whsec_other')
    assert.throws(() =>
      stripe.webhooks.constructEvent(body, header, SECRET, undefined, cryptoProvider),
    )
    throwsCode(() => constructEvent(body, header, SECRET), 'webhook_signature_mismatch')
  })
})

describe('error codes', () => {
  test('ERROR_CODES is the core list (frozen), and the facade keeps every one of its codes', () => {
    assert.deepEqual([...ERROR_CODES], native.errorCodes())
    assert.ok(Object.isFrozen(ERROR_CODES))
    assert.equal(new Set(ERROR_CODES).size, ERROR_CODES.length)
    for (const code of ERROR_CODES) {
      const fromCore = Object.assign(new Error('from the core'), { code })
      assert.equal(toStripeConnectError(fromCore).code, code)
    }
    // A code the core does not have is not trusted: it becomes invalid_input.
    const unknown = Object.assign(new Error('x'), { code: 'not_a_core_code' })
    assert.equal(toStripeConnectError(unknown).code, 'invalid_input')
  })
})
