// Step 7 of the demo: the support agent (the AI SDK's generateText with a scripted mock model)
// asks about the customer through createSupportTools; the compact tool result is printed with its
// size next to the raw Stripe objects the same question reads. It runs last: replaying the tool's
// requests to weigh the raw objects adds to the request log step 6 reports on.
import { generateText, stepCountIs } from 'ai'
import { MockLanguageModelV3 } from 'ai/test'
import type { StripeConnect } from '@support/stripe-connect'
import { createSupportTools } from '@support/stripe-connect/ai'
import type { FakeStripe } from '@support/stripe-connect/testing'

import { rawBytes, toolResultIn } from './agent.js'
import { DEMO_EMAIL } from './customer.js'
import { day, Transcript } from './transcript.js'

const usage = {
  inputTokens: { total: 0, noCache: 0, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 0, text: 0, reasoning: undefined },
}

export async function agentStep(t: Transcript, fake: FakeStripe, stripe: StripeConnect) {
  t.header(
    "The support agent asks: generateText + createSupportTools(stripe, { appSlugs: ['billing-bot'] })",
  )
  const question = 'Why was my last payment declined?'
  t.note(`The conversation is about billing-bot. The customer writes: "${question}"`)
  const args = { email: DEMO_EMAIL }
  const model = new MockLanguageModelV3({
    doGenerate: async (options) => {
      const seen = toolResultIn(options.prompt, 'get_customer_context')
      if (seen === undefined) {
        return {
          content: [
            {
              type: 'tool-call',
              toolCallId: 'call-1',
              toolName: 'get_customer_context',
              input: JSON.stringify(args),
            },
          ],
          finishReason: { unified: 'tool-calls', raw: undefined },
          usage,
          warnings: [],
        }
      }
      // The second step answers from what the tool returned.
      const app = seen.success ? seen.data.apps[0] : undefined
      const failed = app?.payments.items.find((p) => p.status === 'failed')
      const sub = app?.subscriptions.items[0]
      const text = failed
        ? `Your ${failed.amountFormatted} payment on ${day(failed.created)} ("${failed.description}") failed, so ${sub?.planName} is ${sub?.status}.`
        : 'I could not find a failed payment.'
      return {
        content: [{ type: 'text', text }],
        finishReason: { unified: 'stop', raw: undefined },
        usage,
        warnings: [],
      }
    },
  })

  const before = fake.apiRequests().length
  const result = await generateText({
    model,
    tools: createSupportTools(stripe, { appSlugs: ['billing-bot'] }),
    stopWhen: stepCountIs(3),
    prompt: question,
  })
  const made = fake.apiRequests().slice(before)
  const call = result.steps[0]?.toolCalls[0]
  const output = result.steps[0]?.toolResults[0]?.output
  t.send(`model → ${call?.toolName}(${JSON.stringify(call?.input)})`)
  const json = JSON.stringify(output)
  const bytes = Buffer.byteLength(json)
  const raw = await rawBytes(fake, made)
  t.recv(
    `tool result: ${bytes.toLocaleString('en-US')} bytes   (the raw Stripe objects it read: ${raw.toLocaleString('en-US')} bytes in ${made.length} GETs, ${(raw / bytes).toFixed(1)}× more)`,
  )
  t.info(json.length > 600 ? `${json.slice(0, 600)}…` : json)
  t.recv(`model → "${result.text}"`)
  t.check(
    (output as { success?: boolean } | undefined)?.success === true,
    'the tool answered with data',
    output,
  )
  t.check(bytes < 4096, `the result is under 4 KB (${bytes} bytes)`, bytes)
  t.check(raw > bytes, 'smaller than the raw objects', { bytes, raw })
  t.check(
    result.steps.length === 2 && /failed, so Billing bot Team is past_due/.test(result.text),
    "the model's second step read the result: the failed €120.00 payment, past_due",
    result.text,
  )
  t.check(
    made.every((r) => r.method === 'GET'),
    `the tool sent only GETs (${made.length})`,
  )
}
