// The support app's agent: one conversation, one app; the model cannot ask about another.
import { generateText, stepCountIs, type LanguageModel } from 'ai'
import type { StripeConnect } from '@support/stripe-connect'
import { createSupportTools } from '@support/stripe-connect/ai'

export async function answer(
  stripe: StripeConnect,
  model: LanguageModel,
  appSlug: string,
  question: string,
) {
  const { text } = await generateText({
    model,
    tools: createSupportTools(stripe, { appSlugs: [appSlug] }),
    stopWhen: stepCountIs(5),
    system: 'You answer billing questions. Amounts: use amountFormatted. Never promise a refund.',
    prompt: question,
  })
  return text
}
