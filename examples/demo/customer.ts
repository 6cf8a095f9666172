// The demo's customer, Jane, on two apps: what the demo, the agent-tool specs and the tools
// benchmark all seed, so "the demo customer" means one thing.
import type { FakeStripe } from '@support/stripe-connect/testing'

export const DEMO_EMAIL = 'jane@example.com'
const DAY = 86_400

/** Jane on helpdesk (`accountA`) and, with another letter case, on billing-bot (`accountB`). */
export function seedDemoCustomer(
  fake: FakeStripe,
  accountA: string,
  accountB: string,
  now: number,
) {
  const janeA = fake.addCustomer(accountA, {
    email: DEMO_EMAIL,
    name: 'Jane Doe',
    created: now - 90 * DAY,
  })
  fake.addSubscription(accountA, {
    customer: janeA,
    status: 'active',
    product_name: 'Helpdesk Pro',
    price: { unit_amount: 4900, currency: 'usd' },
    created: now - 70 * DAY,
    current_period_start: now - 18 * DAY,
    current_period_end: now + 12 * DAY,
  })
  fake.addCharge(accountA, {
    customer: janeA,
    amount: 4900,
    description: 'Helpdesk Pro (monthly)',
    created: now - 48 * DAY,
  })
  const chargeA2 = fake.addCharge(accountA, {
    customer: janeA,
    amount: 4900,
    description: 'Helpdesk Pro (monthly)',
    created: now - 18 * DAY,
  })
  const extraSeats = fake.addCharge(accountA, {
    customer: janeA,
    amount: 1500,
    description: 'Extra seats',
    created: now - 9 * DAY,
  })
  const refund = fake.addRefund(accountA, {
    charge: extraSeats.id,
    amount: 1500,
    reason: 'requested_by_customer',
    created: now - 8 * DAY,
  })

  const janeB = fake.addCustomer(accountB, {
    email: 'Jane@Example.COM',
    name: 'Jane Doe',
    created: now - 200 * DAY,
  })
  fake.addSubscription(accountB, {
    customer: janeB,
    status: 'past_due',
    product_name: 'Billing bot Team',
    price: { unit_amount: 12000, currency: 'eur' },
    created: now - 150 * DAY,
    current_period_start: now - 25 * DAY,
    current_period_end: now + 5 * DAY,
  })
  const annual = fake.addCharge(accountB, {
    customer: janeB,
    amount: 12000,
    currency: 'eur',
    description: 'Billing bot Team',
    created: now - 25 * DAY,
  })
  const dispute = fake.addDispute(accountB, {
    charge: annual.id,
    reason: 'product_not_received',
    created: now - 3 * DAY,
  })
  fake.addCharge(accountB, {
    customer: janeB,
    amount: 12000,
    currency: 'eur',
    status: 'failed',
    description: 'Billing bot Team (retry)',
    created: now - 2 * DAY,
  })
  return { janeA, janeB, chargeA2, extraSeats, refund, annual, dispute }
}
