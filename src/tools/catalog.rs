//! Every tool, each declared once: its request type (the arguments' parser and JSON Schema), its
//! [`Tool`] impl (title, description, examples, what it runs), and its line in [`with_tools!`],
//! the one list the registry, the dispatcher and the JS `ToolName` union are generated from.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::registry::{Tool, DEFAULT_TOOL_LIST_LIMIT, MAX_TOOL_LIST_LIMIT};
use super::request::{MinorUnits, ToolLimit};
use super::results::{
    reconcile, search_warning, Capped, ChargeOut, DisputeOut, FailedPaymentOut, InvoiceOut, PaymentOut, RefundCheck,
    RefundOut, Shrink, SubscriptionOut, TimelineEntryOut,
};
use super::{ContextOut, ToolScope, LIST_CAP};
use crate::client::StripeConnect;
use crate::error::Error;
use crate::ids::{AppSlug, ChargeId, RefundId};
use crate::queries::{DisputesOf, Email, ListOptions, PaymentOptions};

/// Every tool, in the order models and docs list them: `name: Type`. The name is written here
/// only; `$then!` generates from the list (the registry in `registry.rs`, `ToolName` for JS).
macro_rules! with_tools {
    ($then:ident) => {
        $then! {
            get_customer_context: $crate::tools::catalog::GetCustomerContext,
            get_payment_history: $crate::tools::catalog::GetPaymentHistory,
            get_subscription_status: $crate::tools::catalog::GetSubscriptionStatus,
            lookup_charge: $crate::tools::catalog::LookupCharge,
            verify_refund: $crate::tools::catalog::VerifyRefund,
            get_disputes: $crate::tools::catalog::GetDisputes,
            get_invoices: $crate::tools::catalog::GetInvoices,
            get_failed_payments: $crate::tools::catalog::GetFailedPayments,
            get_billing_timeline: $crate::tools::catalog::GetBillingTimeline,
            list_connected_apps: $crate::tools::catalog::ListConnectedApps,
        }
    };
}
pub(crate) use with_tools;

// The descriptions of arguments several tools share.
const APP_SLUG: &str = "The app to ask, by its slug (see list_connected_apps). Omit it when the conversation is \
    about one app; never a Stripe acct_ id.";
const EMAIL: &str = "The customer's email address, any letter case.";
const CHARGE_ID: &str = "A Stripe charge id (ch_… or py_…), as it appears in the payment history.";

fn limit_of(what: &str) -> String {
    format!("Most {what} to return (newest first), 1-{MAX_TOOL_LIST_LIMIT}, default {DEFAULT_TOOL_LIST_LIMIT}.")
}

pub(crate) struct GetCustomerContext;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerContextArgs {
    #[schemars(description = EMAIL)]
    email: Email,
    #[schemars(description = limit_of("payments per app"))]
    limit: Option<ToolLimit>,
}

impl Tool for GetCustomerContext {
    const TITLE: &'static str = "Customer context across apps";
    const DESCRIPTION: &'static str = "Everything billing knows about one customer, by email, in every app this \
        conversation may see: their customer records, newest payments (amount, status, refunded, disputed), \
        subscriptions (status, plan, renewal date) and open disputes, per app. Use it first when a customer writes \
        about billing. Read-only: it never charges, refunds or changes anything. An app that fails is reported in \
        its own `error`; the others still answer. Amounts are in minor units with `amountFormatted` for reading; \
        times are Unix seconds.";
    type Args = CustomerContextArgs;
    type Output = ContextOut;

    fn examples() -> Vec<Value> {
        vec![json!({"email": "jane@example.com"}), json!({"email": "jane@example.com", "limit": 5})]
    }

    async fn run(
        stripe: &StripeConnect,
        a: CustomerContextArgs,
        scope: &ToolScope,
    ) -> Result<(ContextOut, Option<i64>), Error> {
        stripe.tool_context(&a.email, ToolLimit::get(a.limit) as usize, scope).await
    }
}

pub(crate) struct GetPaymentHistory;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct PaymentHistoryArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    #[schemars(description = EMAIL)]
    email: Email,
    #[schemars(description = limit_of("payments"))]
    limit: Option<ToolLimit>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PaymentsOut {
    app_slug: String,
    customer_count: usize,
    payments: Capped<PaymentOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetPaymentHistory {
    const TITLE: &'static str = "Payment history";
    const DESCRIPTION: &'static str = "The customer's charges in one app, newest first: amount, status (succeeded, \
        pending, failed), whether refunded (and how much) or disputed, date and description. Covers every customer \
        record with that email. Use it to answer \"was I charged?\", \"why was I charged twice?\". Read-only: it \
        never refunds or charges. `truncated: true` means older payments exist; ask with a larger `limit` if needed.";
    type Args = PaymentHistoryArgs;
    type Output = PaymentsOut;

    fn examples() -> Vec<Value> {
        vec![
            json!({"email": "jane@example.com"}),
            json!({"appSlug": "helpdesk", "email": "jane@example.com", "limit": 20}),
        ]
    }

    async fn run(
        stripe: &StripeConnect,
        a: PaymentHistoryArgs,
        scope: &ToolScope,
    ) -> Result<(PaymentsOut, Option<i64>), Error> {
        let limit = ToolLimit::get(a.limit);
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let h = app.account.payment_history(a.email.as_str(), PaymentOptions::default().limit(limit)).await?;
        let out = PaymentsOut {
            app_slug: app.slug,
            customer_count: h.customer_ids.len(),
            payments: Capped::new(h.payments, limit as usize, h.has_more, PaymentOut::from),
            warning: search_warning(&h.search_fallback),
        };
        Ok((out, Some(h.fetched_at)))
    }
}

pub(crate) struct GetSubscriptionStatus;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SubscriptionStatusArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    #[schemars(description = EMAIL)]
    email: Email,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SubscriptionsOut {
    app_slug: String,
    customer_count: usize,
    subscriptions: Capped<SubscriptionOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetSubscriptionStatus {
    const TITLE: &'static str = "Subscription status";
    const DESCRIPTION: &'static str = "Every subscription of the customer in one app, any status (active, trialing, \
        past_due, canceled, unpaid, …), newest first, with the plan name, when the current period ends, and whether \
        it cancels at period end. Use it for \"is my plan active?\", \"when do I renew?\", \"did my cancellation go \
        through?\". Read-only: it never cancels or changes a subscription.";
    type Args = SubscriptionStatusArgs;
    type Output = SubscriptionsOut;

    fn examples() -> Vec<Value> {
        vec![json!({"email": "jane@example.com"}), json!({"appSlug": "billing-bot", "email": "jane@example.com"})]
    }

    async fn run(
        stripe: &StripeConnect,
        a: SubscriptionStatusArgs,
        scope: &ToolScope,
    ) -> Result<(SubscriptionsOut, Option<i64>), Error> {
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let s = app.account.subscription_status(a.email.as_str()).await?;
        let out = SubscriptionsOut {
            app_slug: app.slug,
            customer_count: s.customer_ids.len(),
            subscriptions: Capped::new(s.subscriptions, LIST_CAP, false, SubscriptionOut::from),
            warning: search_warning(&s.search_fallback),
        };
        Ok((out, Some(s.fetched_at)))
    }
}

pub(crate) struct LookupCharge;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct LookupChargeArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    #[schemars(description = CHARGE_ID)]
    charge_id: ChargeId,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ChargeLookupOut {
    app_slug: String,
    charge: ChargeOut,
    /// The charge's refunds, newest first (each with its own status: a refund can be pending or fail).
    refunds: Capped<RefundOut>,
}

impl Tool for LookupCharge {
    const TITLE: &'static str = "Look up a charge";
    const DESCRIPTION: &'static str = "One charge by its id in one app: amount, status, paid, refunded (and how \
        much), disputed, the customer id, description, failure reason if it failed, and each of its refunds (amount, \
        status: succeeded, pending, failed…, reason, date). Use it when the customer or a payment history names a \
        specific charge, e.g. \"did my refund for the second charge go through?\". Read-only: it never refunds or \
        captures.";
    type Args = LookupChargeArgs;
    type Output = ChargeLookupOut;

    fn examples() -> Vec<Value> {
        vec![json!({"chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"})]
    }

    async fn run(
        stripe: &StripeConnect,
        a: LookupChargeArgs,
        scope: &ToolScope,
    ) -> Result<(ChargeLookupOut, Option<i64>), Error> {
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let (c, r) = futures::try_join!(app.account.lookup_charge(&a.charge_id), app.account.refunds(&a.charge_id))?;
        let read_at = Some(c.fetched_at.min(r.fetched_at));
        let refunds = Capped::new(r.refunds, LIST_CAP, r.has_more, RefundOut::from);
        Ok((ChargeLookupOut { app_slug: app.slug, charge: ChargeOut::from(c), refunds }, read_at))
    }
}

pub(crate) struct VerifyRefund;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct VerifyRefundArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    /// The Stripe refund id (re_… or pyr_…) the app reported.
    refund_id: RefundId,
    /// The amount the app says was refunded, in minor units of the refund's currency.
    expected_amount: Option<MinorUnits>,
    #[schemars(description = CHARGE_ID)]
    charge_id: Option<ChargeId>,
}

impl Tool for VerifyRefund {
    const TITLE: &'static str = "Verify a refund";
    const DESCRIPTION: &'static str = "Check a refund the app says it made: does it exist on that app's Stripe \
        account, did it succeed, for how much, on which charge. Give `expectedAmount` (minor units, e.g. 1500 for \
        $15.00) and/or `chargeId` to have them compared. `verified` is true only when the refund succeeded and \
        nothing differs; otherwise `discrepancies` says what is wrong (refund_not_found, amount_mismatch, \
        charge_mismatch, refund_pending, refund_requires_action, refund_failed, refund_canceled, \
        refund_status_unknown). Read-only: it never creates or changes a refund.";
    type Args = VerifyRefundArgs;
    type Output = RefundCheck;

    fn examples() -> Vec<Value> {
        vec![
            json!({"refundId": "re_1Nispe2eZvKYlo2Cd31jOCgZ"}),
            json!({"refundId": "re_1Nispe2eZvKYlo2Cd31jOCgZ", "expectedAmount": 1500, "chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"}),
        ]
    }

    async fn run(
        stripe: &StripeConnect,
        a: VerifyRefundArgs,
        scope: &ToolScope,
    ) -> Result<(RefundCheck, Option<i64>), Error> {
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let found = match app.account.verify_refund(&a.refund_id).await {
            Ok(r) => Some(r),
            Err(e) if e.code() == "stripe_not_found" => None,
            Err(e) => return Err(e),
        };
        let read_at = found.as_ref().map(|r| r.fetched_at);
        let expected_amount = a.expected_amount.map(|m| m.0);
        let expected_charge = a.charge_id.as_ref().map(ChargeId::as_str);
        let check = RefundCheck {
            app_slug: Some(app.slug),
            ..reconcile(a.refund_id.as_str(), found, expected_amount, expected_charge)
        };
        Ok((check, read_at))
    }
}

pub(crate) struct GetDisputes;

#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct DisputesArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    #[schemars(description = EMAIL)]
    email: Option<Email>,
    #[schemars(description = CHARGE_ID)]
    charge_id: Option<ChargeId>,
}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DisputesOut {
    app_slug: String,
    disputes: Capped<DisputeOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetDisputes {
    const TITLE: &'static str = "Disputes";
    const DESCRIPTION: &'static str = "Disputes (chargebacks) in one app, newest first: on the charges of a customer \
        (`email`) or on one charge (`chargeId`); give exactly one of the two. Each has its amount, reason, status, \
        whether it is still open, and the evidence due date. Read-only: it never submits evidence or accepts a \
        dispute.";
    type Args = DisputesArgs;
    type Output = DisputesOut;

    fn examples() -> Vec<Value> {
        vec![json!({"email": "jane@example.com"}), json!({"chargeId": "ch_3MmlLrLkdIwHu7ix0snN0B15"})]
    }

    async fn run(
        stripe: &StripeConnect,
        a: DisputesArgs,
        scope: &ToolScope,
    ) -> Result<(DisputesOut, Option<i64>), Error> {
        // Exactly one of the two: a rule the schema leaves to the description.
        let of = match (a.email, a.charge_id) {
            (Some(e), None) => DisputesOf::from(e.as_str()),
            (None, Some(c)) => DisputesOf::from(c),
            _ => return Err(Error::invalid_input("email", "give exactly one of email or chargeId")),
        };
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let d = app.account.disputes(of).await?;
        let out = DisputesOut {
            app_slug: app.slug,
            disputes: Capped::new(d.disputes, LIST_CAP, false, DisputeOut::from),
            warning: search_warning(&d.search_fallback),
        };
        Ok((out, Some(d.fetched_at)))
    }
}

/// The arguments of the tools that read one customer's list in one app.
#[derive(Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CustomerListArgs {
    #[schemars(description = APP_SLUG)]
    app_slug: Option<AppSlug>,
    #[schemars(description = EMAIL)]
    email: Email,
    #[schemars(description = limit_of("items"))]
    limit: Option<ToolLimit>,
}

pub(crate) struct GetInvoices;

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InvoicesOut {
    app_slug: String,
    customer_count: usize,
    invoices: Capped<InvoiceOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetInvoices {
    const TITLE: &'static str = "Invoices";
    const DESCRIPTION: &'static str = "The customer's invoices in one app, newest first: number, status (draft, \
        open, paid, uncollectible, void), amount due and remaining, currency, billing period, why it was billed, \
        the subscription, the hosted invoice page (hostedInvoiceUrl, where the customer views and pays it) and the \
        PDF link (invoicePdf), and the payments made toward it. Use it for \"send me my invoice\", \"did my invoice \
        get paid?\", \"why do I owe this?\": the links are the ones to give the customer. Read-only: it never \
        creates, pays, voids or sends an invoice.";
    type Args = CustomerListArgs;
    type Output = InvoicesOut;

    fn examples() -> Vec<Value> {
        vec![
            json!({"email": "jane@example.com"}),
            json!({"appSlug": "helpdesk", "email": "jane@example.com", "limit": 3}),
        ]
    }

    async fn run(
        stripe: &StripeConnect,
        a: CustomerListArgs,
        scope: &ToolScope,
    ) -> Result<(InvoicesOut, Option<i64>), Error> {
        let limit = ToolLimit::get(a.limit);
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let found = app.account.invoices(a.email.as_str(), ListOptions::default().limit(limit)).await?;
        let out = InvoicesOut {
            app_slug: app.slug,
            customer_count: found.customer_ids.len(),
            invoices: Capped::new(found.invoices, limit as usize, found.has_more, InvoiceOut::from),
            warning: search_warning(&found.search_fallback),
        };
        Ok((out, Some(found.fetched_at)))
    }
}

pub(crate) struct GetFailedPayments;

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct FailedPaymentsOut {
    app_slug: String,
    customer_count: usize,
    failed_payments: Capped<FailedPaymentOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetFailedPayments {
    const TITLE: &'static str = "Failed payments";
    const DESCRIPTION: &'static str = "The customer's failed payment attempts in one app, newest first: declined \
        or failed card payments, payments waiting for a new payment method after a failure, and earlier declines \
        of payments that went through later. Each has its amount, date, the bank's decline code and Stripe's error \
        code, `explanation` (why it failed, in a plain sentence you can pass on) and `retry`: `later` (trying the \
        same card again later can work), `after_customer_action` (the customer must use another card, add funds, \
        fix details or authenticate), `no` (not with this card) or `unknown`. Use it for \"why was my card \
        declined?\", \"my payment failed\". Read-only: it never retries or charges.";
    type Args = CustomerListArgs;
    type Output = FailedPaymentsOut;

    fn examples() -> Vec<Value> {
        vec![
            json!({"email": "jane@example.com"}),
            json!({"appSlug": "billing-bot", "email": "jane@example.com", "limit": 5}),
        ]
    }

    async fn run(
        stripe: &StripeConnect,
        a: CustomerListArgs,
        scope: &ToolScope,
    ) -> Result<(FailedPaymentsOut, Option<i64>), Error> {
        let limit = ToolLimit::get(a.limit);
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let found = app.account.failed_payments(a.email.as_str(), PaymentOptions::default().limit(limit)).await?;
        let out = FailedPaymentsOut {
            app_slug: app.slug,
            customer_count: found.customer_ids.len(),
            failed_payments: Capped::new(found.failed_payments, limit as usize, found.has_more, FailedPaymentOut::from),
            warning: search_warning(&found.search_fallback),
        };
        Ok((out, Some(found.fetched_at)))
    }
}

pub(crate) struct GetBillingTimeline;

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct TimelineOut {
    app_slug: String,
    customer_count: usize,
    entries: Capped<TimelineEntryOut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
}

impl Tool for GetBillingTimeline {
    const TITLE: &'static str = "Billing timeline";
    const DESCRIPTION: &'static str = "Everything that happened in the customer's billing in one app as one list, \
        newest first: charges, refunds, disputes, invoices, failed payment attempts and early fraud warnings (the \
        card issuer reporting a charge as possible fraud). Each line is `at` (Unix seconds), `kind` (charge, refund, \
        dispute, invoice, failed_payment, fraud_warning), `id`, amount, currency and status. Use it to see the \
        order of events: \"I was charged twice\", \"what happened after my card was declined?\"; then ask the \
        specific tool (lookup_charge, get_invoices, get_failed_payments, get_disputes) about a line. Read-only.";
    type Args = CustomerListArgs;
    type Output = TimelineOut;

    fn examples() -> Vec<Value> {
        vec![
            json!({"email": "jane@example.com"}),
            json!({"appSlug": "helpdesk", "email": "jane@example.com", "limit": 25}),
        ]
    }

    async fn run(
        stripe: &StripeConnect,
        a: CustomerListArgs,
        scope: &ToolScope,
    ) -> Result<(TimelineOut, Option<i64>), Error> {
        let limit = ToolLimit::get(a.limit);
        let app = stripe.scoped_app(a.app_slug.as_ref(), scope).await?;
        let t = app.account.billing_timeline(a.email.as_str(), ListOptions::default().limit(limit)).await?;
        let out = TimelineOut {
            app_slug: app.slug,
            customer_count: t.customer_ids.len(),
            entries: Capped::new(t.entries, limit as usize, t.has_more, TimelineEntryOut::from),
            warning: search_warning(&t.search_fallback),
        };
        Ok((out, Some(t.fetched_at)))
    }
}

pub(crate) struct ListConnectedApps;

#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoArgs {}

#[derive(Serialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ConnectedApp {
    app_slug: String,
    connected: bool,
    livemode: Option<bool>,
}

#[derive(Serialize, JsonSchema)]
pub(crate) struct ConnectedApps {
    apps: Vec<ConnectedApp>,
}

impl Tool for ListConnectedApps {
    const TITLE: &'static str = "Connected apps";
    const DESCRIPTION: &'static str = "The apps this conversation may see, by slug, and whether each has a Stripe \
        account connected (and if it is live or test mode). Use it to learn which `appSlug` values other tools \
        accept. Takes no arguments; read-only.";
    type Args = NoArgs;
    type Output = ConnectedApps;

    fn examples() -> Vec<Value> {
        vec![json!({})]
    }

    async fn run(stripe: &StripeConnect, _: NoArgs, scope: &ToolScope) -> Result<(ConnectedApps, Option<i64>), Error> {
        let mut apps = Vec::new();
        for slug in scope.apps() {
            let c =
                stripe.connections().get_by_slug(slug).await.map_err(|e| e.in_operation("connections.get_by_slug"))?;
            apps.push(ConnectedApp {
                app_slug: slug.as_str().to_string(),
                connected: c.is_some(),
                livemode: c.map(|c| c.livemode),
            });
        }
        Ok((ConnectedApps { apps }, None))
    }
}

#[cfg(test)]
impl PaymentsOut {
    pub(crate) fn for_test(payments: Capped<PaymentOut>) -> Self {
        PaymentsOut { app_slug: "helpdesk".into(), customer_count: 1, payments, warning: None }
    }
}

#[cfg(test)]
impl InvoicesOut {
    pub(crate) fn for_test(invoices: Capped<InvoiceOut>) -> Self {
        InvoicesOut { app_slug: "helpdesk".into(), customer_count: 1, invoices, warning: None }
    }
}

impl Shrink for PaymentsOut {
    fn shrink(&mut self) -> bool {
        self.payments.drop_last()
    }
}

impl Shrink for SubscriptionsOut {
    fn shrink(&mut self) -> bool {
        self.subscriptions.drop_last()
    }
}

impl Shrink for DisputesOut {
    fn shrink(&mut self) -> bool {
        self.disputes.drop_last()
    }
}

impl Shrink for ChargeLookupOut {
    /// The charge stays; its oldest refunds go first.
    fn shrink(&mut self) -> bool {
        self.refunds.drop_last()
    }
}

impl Shrink for InvoicesOut {
    fn shrink(&mut self) -> bool {
        self.invoices.drop_last()
    }
}

impl Shrink for FailedPaymentsOut {
    fn shrink(&mut self) -> bool {
        self.failed_payments.drop_last()
    }
}

impl Shrink for TimelineOut {
    fn shrink(&mut self) -> bool {
        self.entries.drop_last()
    }
}

// The scope's apps have nothing to give up (and are far under the budget).
impl Shrink for ConnectedApps {}
