// Type-level tests of the tools' typed results (issue 23 item 6), checked by `npm run typecheck`
// and never run. Each `@ts-expect-error` must meet an error: were `data` a generic record again
// (`Record<string, unknown>`), the field accesses below would fail and the expected errors would go
// unused, and tsc fails either way.
import type { StripeConnect, StripeConnectErrorCode } from '@support/stripe-connect'
import type {
  GetCustomerContextData,
  GetPaymentHistoryData,
  LookupChargeData,
  ToolData,
  ToolDataOf,
  ToolName,
  ToolResult,
  ToolResultOf,
  VerifyRefundData,
} from '@support/stripe-connect/tools'

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false

// ToolData is keyed by exactly the tools of the registry, each to its own generated type.
true satisfies Same<keyof ToolData, ToolName>
true satisfies Same<ToolData['get_payment_history'], GetPaymentHistoryData>
true satisfies Same<ToolDataOf<'lookup_charge'>, LookupChargeData>
true satisfies Same<ToolResultOf<'verify_refund'>, ToolResult<VerifyRefundData>>
// @ts-expect-error not a tool
type _NoSuchTool = ToolDataOf<'refund_charge'>

export async function typedData(client: StripeConnect): Promise<void> {
  const scope = { appSlugs: ['helpdesk'] }

  const history = await client.callTool('get_payment_history', { email: 'j@example.com' }, scope)
  true satisfies Same<typeof history, ToolResult<GetPaymentHistoryData>>
  if (history.success) {
    history.data.payments.items[0]?.amountFormatted satisfies string | undefined
    history.data.payments.count satisfies number
    history.data.warning satisfies string | null | undefined
    // @ts-expect-error no such field
    history.data.nope
    // @ts-expect-error `description` is optional and nullable
    history.data.payments.items[0]!.description satisfies string
  } else {
    history.error.code satisfies StripeConnectErrorCode
  }

  const context = await client.callTool('get_customer_context', { email: 'j@example.com' }, scope)
  if (context.success) {
    context.data satisfies GetCustomerContextData
    context.data.apps[0]?.error?.code satisfies StripeConnectErrorCode | undefined
    context.data.apps[0]?.subscriptions.items[0]?.planName satisfies string | null | undefined
    // @ts-expect-error a charge lookup's field, not the context's
    context.data.charge
  }

  const refund = await client.callTool('verify_refund', { refundId: 're_1' }, scope)
  if (refund.success) {
    refund.data.verified satisfies boolean
    refund.data.discrepancies[0]?.code satisfies string | undefined
    // @ts-expect-error the amount is absent when the refund was not found
    refund.data.amount satisfies number
  }

  // A result of one tool is not the result of another.
  // @ts-expect-error a charge lookup is not a payment history
  const wrong: ToolResultOf<'get_payment_history'> = await client.callTool(
    'lookup_charge',
    { chargeId: 'ch_1' },
    scope,
  )
  void wrong

  // Code that annotated the plain `ToolResult` still compiles.
  const annotated: ToolResult = await client.callTool('lookup_charge', { chargeId: 'ch_1' }, scope)
  void annotated

  // A name that is only a `string` (a model may name a tool that does not exist) type-checks and
  // gives the plain `ToolResult`; at run time that is an `invalid_input` result.
  const fromModel: string = 'refund_charge'
  const unknown = await client.callTool(fromModel, {}, scope)
  true satisfies Same<typeof unknown, ToolResult>
  const literal = await client.callTool('refund_charge', {}, scope)
  true satisfies Same<typeof literal, ToolResult>
  if (literal.success) literal.data.anything satisfies unknown

  // Any `ToolName` (as `/ai` calls them): the union of their results, still a `ToolResult`.
  const someTool = 'list_connected_apps' as ToolName
  ;(await client.callTool(someTool, {}, scope)) satisfies ToolResult
}
