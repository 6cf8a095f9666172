// Dispute alerts name the customer, against the test kit: the handler reads the disputed charge
// with its customer expanded and the alert carries customerEmail, customerId and the charge's
// description; when that read fails, the alert still goes out and says why the customer is unknown.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { StripeConnect, type DisputeAlert, type FraudWarningAlert } from '@support/stripe-connect'
import {
  disputeCreatedEvent,
  earlyFraudWarningCreatedEvent,
  signWebhook,
  startFakeStripe,
  webhookPayload,
} from '@support/stripe-connect/testing'
import { seedDemoCustomer } from '../examples/demo/customer.js'

const KEY = 'sk_test_dispute_alerts'
const WHSEC = 'whsec_dispute_alerts'

async function setup() {
  const fake = await startFakeStripe({ secretKey: KEY })
  const helpdesk = fake.createAccount()
  const billing = fake.createAccount()
  const seeded = seedDemoCustomer(fake, helpdesk, billing, Math.floor(Date.now() / 1000))
  const alerts: DisputeAlert[] = []
  const stripe = new StripeConnect({
    secretKey: KEY,
    webhookSecrets: WHSEC,
    apiBase: fake.url,
    maxRetries: 0,
    stores: { disputes: { disputeCreated: (a) => void alerts.push(a) } },
  })
  const deliver = async (event: object) => {
    const payload = webhookPayload(event)
    return stripe.handleWebhook(payload, signWebhook(payload, WHSEC))
  }
  return { fake, billing, helpdesk, seeded, alerts, deliver }
}

test('the alert names the disputed charge’s customer (one GET, customer expanded)', async () => {
  const { fake, billing, seeded, alerts, deliver } = await setup()
  try {
    const before = fake.apiRequests().length
    const outcome = await deliver(disputeCreatedEvent(billing, seeded.dispute))
    assert.equal(outcome.outcome, 'dispute_recorded')
    assert.equal(alerts.length, 1)
    const alert = alerts[0]!
    assert.equal(alert.customerEmail, 'Jane@Example.COM')
    assert.equal(alert.customerId, seeded.janeB.id)
    assert.equal(alert.chargeDescription, 'Billing bot Team')
    assert.equal(alert.customerUnknownReason, null)
    const reads = fake.apiRequests().slice(before)
    assert.equal(reads.length, 1)
    assert.equal(reads[0]!.path, `/v1/charges/${seeded.annual.id}`)
    assert.deepEqual(reads[0]!.query['expand[]'], 'customer')
    assert.equal(reads[0]!.account, billing)
    fake.assertNoViolations()
  } finally {
    await fake.close()
  }
})

test('a failing read: the alert still goes out and says why the customer is unknown', async () => {
  const { fake, billing, seeded, alerts, deliver } = await setup()
  try {
    fake.fault(`/v1/charges/${seeded.annual.id}`, { kind: 'server_error' })
    const outcome = await deliver(disputeCreatedEvent(billing, seeded.dispute))
    assert.equal(outcome.outcome, 'dispute_recorded')
    assert.equal(alerts.length, 1)
    const alert = alerts[0]!
    assert.equal(alert.customerEmail, null)
    assert.equal(alert.customerId, null)
    assert.match(
      alert.customerUnknownReason ?? '',
      new RegExp(`^reading charge ${seeded.annual.id} failed \\(stripe_unavailable\\)`),
    )
    assert.equal(alert.dispute.id, seeded.dispute.id, 'the dispute itself is all there')
  } finally {
    await fake.close()
  }
})

test('a dispute on a charge the account does not have: the alert says the read failed', async () => {
  const { fake, helpdesk, alerts, deliver } = await setup()
  try {
    const stray = disputeCreatedEvent(helpdesk, { charge: 'ch_1NotOnThisAccount' })
    assert.equal((await deliver(stray)).outcome, 'dispute_recorded')
    assert.match(alerts[0]!.customerUnknownReason ?? '', /\(stripe_not_found\)/)
  } finally {
    await fake.close()
  }
})

test('an early fraud warning is an alert like a dispute: the charge\u2019s amount and customer, once', async () => {
  const { fake, helpdesk, seeded } = await setup()
  const warnings: FraudWarningAlert[] = []
  const stripe = new StripeConnect({
    secretKey: KEY,
    webhookSecrets: WHSEC,
    apiBase: fake.url,
    maxRetries: 0,
    stores: {
      disputes: {
        disputeCreated: () => {},
        earlyFraudWarningCreated: (a) => void warnings.push(a),
      },
    },
  })
  try {
    const payload = webhookPayload(
      earlyFraudWarningCreatedEvent(helpdesk, seeded.earlyFraudWarning),
    )
    const outcome = await stripe.handleWebhook(payload, signWebhook(payload, WHSEC))
    assert.deepEqual(outcome, {
      outcome: 'fraud_warning_recorded',
      eventId: outcome.eventId,
      warningId: seeded.earlyFraudWarning.id,
      accountId: helpdesk,
      appSlug: null,
    })
    assert.equal(warnings.length, 1)
    const alert = warnings[0]!
    assert.equal(alert.warning.chargeId, seeded.chargeA1.id)
    assert.equal(alert.warning.fraudType, 'made_with_stolen_card')
    assert.equal(alert.warning.actionable, seeded.earlyFraudWarning.actionable)
    assert.equal(alert.amount, seeded.chargeA1.amount)
    assert.equal(alert.currency, seeded.chargeA1.currency)
    assert.equal(alert.customerEmail, 'jane@example.com')
    assert.equal(alert.customerUnknownReason, null)
    // A redelivery is a duplicate: the sink ran once.
    const again = await stripe.handleWebhook(payload, signWebhook(payload, WHSEC))
    assert.equal(again.outcome, 'duplicate')
    assert.equal(warnings.length, 1)
    fake.assertNoViolations()
  } finally {
    await fake.close()
  }
})

test('early fraud warnings are opt-in: a sink without earlyFraudWarningCreated ignores them, reading nothing', async () => {
  const { fake, helpdesk, seeded, alerts, deliver } = await setup()
  try {
    const before = fake.apiRequests().length
    const outcome = await deliver(earlyFraudWarningCreatedEvent(helpdesk, seeded.earlyFraudWarning))
    assert.equal(outcome.outcome, 'ignored')
    assert.equal(outcome.outcome === 'ignored' && outcome.reason, 'unhandled_type')
    assert.equal(alerts.length, 0)
    assert.equal(fake.apiRequests().length, before, 'no charge read for an ignored event')
  } finally {
    await fake.close()
  }
})

test('a failing early-fraud-warning sink is store_failed, and the redelivery runs it again', async () => {
  const { fake, helpdesk, seeded } = await setup()
  let calls = 0
  const stripe = new StripeConnect({
    secretKey: KEY,
    webhookSecrets: WHSEC,
    apiBase: fake.url,
    maxRetries: 0,
    stores: {
      disputes: {
        disputeCreated: () => {},
        earlyFraudWarningCreated: () => {
          calls += 1
          if (calls === 1) throw new Error('slack down')
        },
      },
    },
  })
  try {
    const payload = webhookPayload(
      earlyFraudWarningCreatedEvent(helpdesk, seeded.earlyFraudWarning),
    )
    await assert.rejects(stripe.handleWebhook(payload, signWebhook(payload, WHSEC)), {
      code: 'store_failed',
    })
    const retried = await stripe.handleWebhook(payload, signWebhook(payload, WHSEC))
    assert.equal(retried.outcome, 'fraud_warning_recorded')
    assert.equal(calls, 2)
  } finally {
    await fake.close()
  }
})
