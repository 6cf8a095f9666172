// The agent's test, with no model provider and no Stripe account: the AI SDK's mock model
// (`MockLanguageModelV3` from `ai/test`) plays the model, step by step, and the test kit plays
// Stripe. Run it with `node --test` (or vitest: the same calls). `ai` 6 runs on Node 20; `ai` 7
// needs Node 22.
import assert from 'node:assert/strict'
import { test } from 'node:test'

import { StripeConnect } from '@support/stripe-connect'
import { startFakeStripe } from '@support/stripe-connect/testing'
import { MockLanguageModelV3 } from 'ai/test'

import { answer } from './ai-sdk'

const usage = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 5, text: 5, reasoning: undefined },
}

test('the agent reads the payment history before it answers', async () => {
  const fake = await startFakeStripe()
  try {
    const stripe = new StripeConnect({
      secretKey: 'sk_test_agent',
      clientId: 'ca_agent',
      redirectUri: 'http://localhost:3000/api/stripe/connect/callback',
      apiBase: fake.url,
      connectBase: fake.url,
    })
    // The app connects its account through the kit's OAuth, as it does in production.
    const acct = fake.createAccount({ connected: false })
    fake.oauth.nextAccount = acct
    const start = stripe.authorizeUrl({ appSlug: 'helpdesk' })
    const { params } = await fake.authorize(start.url)
    await stripe.handleCallback({ query: new URLSearchParams(params), state: start.state })
    const jane = fake.addCustomer(acct, { email: 'jane@example.com' })
    fake.addCharge(acct, { customer: jane, amount: 1500, description: 'Extra seats' })

    // The model: first it calls a tool, then it answers from what the tool returned.
    const prompts: string[] = []
    const model = new MockLanguageModelV3({
      doGenerate: async ({ prompt }) => {
        prompts.push(JSON.stringify(prompt))
        if (prompts.length === 1)
          return {
            content: [
              {
                type: 'tool-call',
                toolCallId: 'call-1',
                toolName: 'get_payment_history',
                input: JSON.stringify({ email: 'jane@example.com' }),
              },
            ],
            finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
            usage,
            warnings: [],
          }
        return {
          content: [{ type: 'text', text: 'You were charged $15.00 for extra seats.' }],
          finishReason: { unified: 'stop', raw: 'stop' },
          usage,
          warnings: [],
        }
      },
    })

    const text = await answer(stripe, model, 'helpdesk', 'Why was I charged $15?')
    assert.equal(text, 'You were charged $15.00 for extra seats.')
    // The second call saw the tool's result, with the amount formatted for the model.
    assert.equal(prompts.length, 2)
    assert.match(prompts[1]!, /\$15\.00/)
    fake.assertNoViolations() // the agent only read
  } finally {
    await fake.close()
  }
})
