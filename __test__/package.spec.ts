// The package as users load it: `require` and `import` both work and share one module instance
// (one StripeConnectError class), and every sub-path resolves.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import * as pkg from '@support/stripe-connect'

const requireFromRoot = createRequire(join(__dirname, '..', 'package.json'))

test('require() and import() give the same classes and functions', async () => {
  const viaRequire = requireFromRoot('@support/stripe-connect') as typeof pkg
  const viaImport = (await import('@support/stripe-connect')) as typeof pkg
  for (const name of [
    'StripeConnect',
    'StripeConnectError',
    'constructEvent',
    'verifySignature',
    'generateTestHeader',
    'ERROR_CODES',
    'STRIPE_VERSION',
  ] as const) {
    assert.ok(viaRequire[name], `require: ${name}`)
    assert.equal(viaImport[name], viaRequire[name], name)
    assert.equal(pkg[name], viaRequire[name], name)
  }
  try {
    viaImport.constructEvent('{}', undefined, 'whsec_x')
    assert.fail('should throw')
  } catch (err) {
    assert.ok(err instanceof viaRequire.StripeConnectError)
    assert.equal((err as pkg.StripeConnectError).code, 'webhook_missing_header')
  }
})

test('the /testing sub-path loads both ways', async () => {
  const viaRequire = requireFromRoot('@support/stripe-connect/testing') as {
    startFakeStripe: unknown
  }
  const viaImport = (await import('@support/stripe-connect/testing')) as {
    startFakeStripe: unknown
  }
  assert.equal(typeof viaRequire.startFakeStripe, 'function')
  assert.equal(viaImport.startFakeStripe, viaRequire.startFakeStripe)
})

test('the native binding is the prebuilt addon for this platform', () => {
  const loader = requireFromRoot('./bindings/native/index.js') as {
    __napiBindingTarget: string
    errorCodes(): string[]
  }
  assert.equal(loader.__napiBindingTarget, 'native')
  assert.deepEqual(loader.errorCodes(), [...pkg.ERROR_CODES])
})
