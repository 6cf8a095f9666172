// The app's own tests with vitest against the test kit: no Stripe account, no network.
// Run: npx vitest run (CI runs it under vitest 4 on Node 20).
import { StripeConnect } from '@support/stripe-connect'
import {
  disputeCreatedEvent,
  signWebhook,
  startFakeStripe,
  webhookPayload,
  type FakeStripe,
} from '@support/stripe-connect/testing'
import { afterAll, afterEach, beforeAll, beforeEach, expect, test } from 'vitest'

const KEY = 'sk_test_app'
const CLIENT_ID = 'ca_app'
const WHSEC = 'whsec_test'
const REDIRECT = 'http://localhost:3000/api/stripe/connect/callback'
let fake: FakeStripe
let stripe: StripeConnect

beforeAll(async () => {
  // Optional strictness: only this key, client id and redirect URI are accepted.
  fake = await startFakeStripe({ secretKey: KEY, clientId: CLIENT_ID, redirectUris: [REDIRECT] })
  stripe = new StripeConnect({
    secretKey: KEY,
    clientId: CLIENT_ID,
    redirectUri: REDIRECT,
    webhookSecrets: [WHSEC],
    apiBase: fake.url, // one base for both hosts
    connectBase: fake.url,
  })
})
beforeEach(() => fake.reset()) // accounts, data, faults, log, OAuth knobs
afterEach(() => fake.assertNoViolations()) // the read-only rule: the app never wrote to the API
afterAll(() => fake.close()) // closes every socket: no hanging handles

test('an admin connects an app, then the support view shows what the customer paid', async () => {
  const acct = fake.createAccount({ connected: false })
  fake.oauth.nextAccount = acct
  const start = stripe.authorizeUrl({ appSlug: 'helpdesk' })
  const { params } = await fake.authorize(start.url) // the user clicks "Connect"
  const connection = await stripe.handleCallback({
    query: new URLSearchParams(params),
    state: start.state, // what the state cookie carried
  })
  expect(connection).toMatchObject({ appSlug: 'helpdesk', accountId: acct })

  const jane = fake.addCustomer(acct, { email: 'jane@example.com' })
  const charge = fake.addCharge(acct, { customer: jane, amount: 2500, description: 'Pro' })
  fake.addRefund(acct, { charge: charge.id, amount: 500 })
  const history = await stripe.paymentHistory({ accountId: acct, email: 'Jane@Example.com' })
  expect(history.payments).toMatchObject([{ id: charge.id, amount: 2500, currency: 'usd' }])
})

test('a dispute webhook reaches the dispute sink once, however often Stripe delivers it', async () => {
  const alerts: string[] = []
  const app = new StripeConnect({
    secretKey: KEY,
    webhookSecrets: [WHSEC],
    apiBase: fake.url,
    connectBase: fake.url,
    stores: { disputes: { disputeCreated: (alert) => void alerts.push(alert.dispute.id) } },
  })
  const acct = fake.createAccount()
  const dispute = fake.addDispute(acct, { charge: fake.addCharge(acct, { amount: 900 }).id })
  const payload = webhookPayload(disputeCreatedEvent(acct, dispute))
  const header = signWebhook(payload, WHSEC)
  expect((await app.handleWebhook(payload, header)).outcome).toBe('dispute_recorded')
  expect((await app.handleWebhook(payload, header)).outcome).toBe('duplicate')
  expect(alerts).toEqual([dispute.id])
  await expect(
    app.handleWebhook(payload, signWebhook(payload, 'whsec_other')),
  ).rejects.toMatchObject({ code: 'webhook_signature_mismatch' })
})
