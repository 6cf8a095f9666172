//! What the queries return (camelCase on the wire, for the Node binding and the support app), and
//! the lenient shapes Stripe's objects are read from.
//!
//! Amounts are integers in the currency's minor unit, next to their currency; timestamps are Unix
//! seconds; anything missing is `None` (`null`). Statuses and reasons are plain strings, so a new
//! Stripe value never fails parsing; unknown fields are ignored. Ids in results are strings for
//! the same reason: they are Stripe's output, and a prefix Stripe adds later (as `py_` once was)
//! must not fail a query. The ids a caller gives are typed (`AccountId`, `ChargeId`, …) and
//! checked before they reach a URL; `AppContext`'s, which the library chose, are typed too. Only the fields every object of
//! that kind has (`id`, `amount`, `currency`, `created`, …) are required: a body without them is
//! not a Stripe object and fails with `stripe_bad_response`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::api::list::{HasId, List};
use crate::ids::{expandable_id, AccountId, AppSlug};

pub use crate::dispute::Dispute;
pub(crate) use crate::dispute::WireDispute;
pub use crate::fraud_warning::EarlyFraudWarning;
pub(crate) use crate::fraud_warning::WireEarlyFraudWarning;

/// One customer object on a connected account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Customer", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Customer {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub created: Option<i64>,
}

/// Why the customer search was not used and only the exact-case email list was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "SearchFallback", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct SearchFallback {
    /// The error code of the failed search (`stripe_rate_limited`, `stripe_api_error`, …).
    pub code: String,
    pub message: String,
}

/// Customers whose email matches, from the list (exact case) and the search (any case).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct CustomerMatches {
    /// Newest first, one per customer id.
    pub customers: Vec<Customer>,
    /// Set when the search failed: then customers whose email differs in case may be missing.
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// One charge in a payment history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Payment", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Payment {
    pub id: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `succeeded`, `pending` or `failed` (as Stripe sends it).
    pub status: String,
    pub refunded: bool,
    pub amount_refunded: i64,
    pub disputed: bool,
    pub created: i64,
    pub description: Option<String>,
    pub customer_id: Option<String>,
}

/// Charges of every customer with the email, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "PaymentHistory", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct PaymentHistory {
    /// The customer ids the charges were read from.
    pub customer_ids: Vec<String>,
    pub payments: Vec<Payment>,
    /// More charges exist than `limit` returned.
    pub has_more: bool,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// One subscription, any status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Subscription", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Subscription {
    pub id: String,
    /// `active`, `trialing`, `past_due`, `canceled`, `unpaid`, `incomplete`, … (as Stripe sends it).
    pub status: String,
    /// From the first subscription item (API ≥ 2025-03-31), else the subscription's own field.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub canceled_at: Option<i64>,
    /// The price's nickname, else its product's name.
    pub plan_name: Option<String>,
    pub price_id: Option<String>,
    pub product_id: Option<String>,
    pub customer_id: Option<String>,
    pub created: Option<i64>,
}

/// Subscriptions of every customer with the email, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "SubscriptionStatus", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct SubscriptionStatus {
    pub customer_ids: Vec<String>,
    pub subscriptions: Vec<Subscription>,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// One charge, looked up by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Charge", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct ChargeDetails {
    pub id: String,
    pub amount: i64,
    pub amount_captured: Option<i64>,
    pub amount_refunded: i64,
    pub currency: String,
    pub status: String,
    pub paid: Option<bool>,
    pub captured: Option<bool>,
    pub refunded: bool,
    pub disputed: bool,
    /// The customer id, if the charge has one.
    pub customer_id: Option<String>,
    pub description: Option<String>,
    pub created: i64,
    pub payment_intent: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub receipt_url: Option<String>,
    /// Unix seconds when this was read from Stripe.
    pub fetched_at: i64,
}

/// One refund, looked up by id or listed for a charge or payment intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Refund", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Refund {
    pub id: String,
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled` (as Stripe sends it).
    pub status: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub charge_id: Option<String>,
    /// `pi_…`, when the refunded payment came from a PaymentIntent.
    pub payment_intent_id: Option<String>,
    /// `duplicate`, `fraudulent`, `requested_by_customer`, … (as Stripe sends it).
    pub reason: Option<String>,
    pub created: i64,
    /// Unix seconds when this was read from Stripe.
    pub fetched_at: i64,
}

/// Disputes found for a charge or an email.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Disputes", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Disputes {
    pub disputes: Vec<Dispute>,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// The refunds of one charge or payment intent, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Refunds", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Refunds {
    pub refunds: Vec<Refund>,
    /// More refunds exist than were read (more than 100 on one payment).
    pub has_more: bool,
    /// Unix seconds when this was read from Stripe.
    pub fetched_at: i64,
}

/// One payment toward an invoice: the invoice's `payments`, which Stripe returns only when
/// expanded (API ≥ 2025-03-31, when charges and payment intents stopped naming their invoice).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "InvoicePayment", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct InvoicePayment {
    /// `inpay_…`.
    pub id: String,
    /// `pi_…`, when the payment is a PaymentIntent (`payment.type` `payment_intent`).
    pub payment_intent_id: Option<String>,
    /// `ch_…`, when the payment is a charge without a PaymentIntent.
    pub charge_id: Option<String>,
    /// What was actually paid, in minor units; `null` until the payment is `paid`.
    pub amount_paid: Option<i64>,
    /// What this payment was meant to pay toward the invoice.
    pub amount_requested: i64,
    pub currency: String,
    /// `open`, `paid` or `canceled` (a status Stripe adds later stays a string).
    pub status: String,
    pub created: Option<i64>,
}

/// One invoice of a customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Invoice", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Invoice {
    /// `in_…`.
    pub id: String,
    /// The number on the invoice (`null` while it is a draft).
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `uncollectible`, `void` (a status Stripe adds later stays a string).
    pub status: Option<String>,
    /// Minor units of `currency`: what the customer owes in all.
    pub amount_due: i64,
    pub amount_paid: i64,
    /// What is still to be paid.
    pub amount_remaining: i64,
    pub currency: String,
    pub created: i64,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    /// `subscription_cycle`, `subscription_create`, `manual`, … (as Stripe sends it).
    pub billing_reason: Option<String>,
    /// The subscription that generated it (`parent.subscription_details.subscription`, API ≥
    /// 2025-03-31; the invoice's own `subscription` before).
    pub subscription_id: Option<String>,
    pub customer_id: Option<String>,
    /// The page where the customer sees and pays the invoice (`null` for drafts).
    pub hosted_invoice_url: Option<String>,
    /// The PDF's link (`null` for drafts).
    pub invoice_pdf: Option<String>,
    /// The payments toward it (the first ones Stripe includes when expanded), newest first.
    pub payments: Vec<InvoicePayment>,
}

/// Invoices of every customer with an email, or of one customer, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Invoices", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Invoices {
    pub customer_ids: Vec<String>,
    pub invoices: Vec<Invoice>,
    /// More invoices exist than `limit` returned.
    pub has_more: bool,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// A payment attempt that failed: a payment intent waiting for a new payment method after a
/// failure, or canceled after one, or a failed charge (also one whose payment intent later
/// succeeded with another attempt).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "FailedPayment", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct FailedPayment {
    /// The payment intent's id (`pi_…`), or the failed charge's when the failure is only known
    /// from the charge.
    pub id: String,
    pub payment_intent_id: Option<String>,
    /// The failed attempt's charge, when known.
    pub charge_id: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    /// The payment intent's status (`requires_payment_method`, `canceled`, `succeeded` when a
    /// later attempt paid), or `failed` for a charge.
    pub status: String,
    /// The issuer's reason (`insufficient_funds`, `do_not_honor`, …), when the issuer gave one.
    pub decline_code: Option<String>,
    /// Stripe's error code (`card_declined`, `expired_card`, `authentication_required`, …).
    pub failure_code: Option<String>,
    /// Stripe's message about the failure.
    pub failure_message: Option<String>,
    /// Why it failed, in one plain sentence a support reply can pass on (from Stripe's
    /// decline-code and error-code pages: see [`explain_decline`](crate::explain_decline)).
    pub explanation: String,
    /// Whether trying again can help: `later` (unchanged, a temporary problem),
    /// `after_customer_action` (another card, funds, details, authentication), `no`, or `unknown`.
    #[cfg_attr(feature = "node", napi(ts_type = "RetryAdvice"))]
    pub retry: super::RetryAdvice,
    pub description: Option<String>,
    pub customer_id: Option<String>,
}

/// Failed payment attempts of every customer with an email, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "FailedPayments", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct FailedPayments {
    pub customer_ids: Vec<String>,
    pub failed_payments: Vec<FailedPayment>,
    /// Older payment intents or charges exist than were read (`limit` of each per customer).
    pub has_more: bool,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// Early fraud warnings on a customer's charges, or on one charge or payment intent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "EarlyFraudWarnings", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct EarlyFraudWarnings {
    /// Newest first.
    pub warnings: Vec<EarlyFraudWarning>,
    /// Charges of the customer that were not checked (older than the account's newest warnings
    /// cover and beyond the per-charge requests allowed); 0 means every charge read was checked.
    pub unchecked_charges: u32,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// One line of a billing timeline: what happened, when, for how much.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "TimelineEntry", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct TimelineEntry {
    /// Unix seconds (the object's `created`).
    pub at: i64,
    /// `charge`, `refund`, `dispute`, `invoice`, `failed_payment` or `fraud_warning`.
    #[cfg_attr(
        feature = "node",
        napi(ts_type = "'charge' | 'refund' | 'dispute' | 'invoice' | 'failed_payment' | 'fraud_warning'")
    )]
    #[schemars(extend("enum" = ["charge", "refund", "dispute", "invoice", "failed_payment", "fraud_warning"]))]
    pub kind: String,
    /// The Stripe object's id (`ch_…`, `re_…`, `dp_…`, `in_…`, `pi_…`, `issfr_…`).
    pub id: String,
    /// Minor units of `currency` (an invoice's amount due; a fraud warning's charge amount).
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// The object's status as Stripe sends it; for a fraud warning, its fraud type.
    pub status: Option<String>,
}

/// Everything billing-related of a customer in one account, as one list, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "BillingTimeline", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct BillingTimeline {
    pub customer_ids: Vec<String>,
    pub entries: Vec<TimelineEntry>,
    /// Older entries exist than `limit` returned.
    pub has_more: bool,
    pub search_fallback: Option<SearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// Why one app's part of a customer context is missing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "AppFailure", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct AppFailure {
    /// The error code (`stripe_auth_failed` when the app's access was revoked, …).
    #[cfg_attr(feature = "node", napi(ts_type = "ErrorCode"))]
    pub code: String,
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

impl From<&crate::Error> for AppFailure {
    fn from(e: &crate::Error) -> Self {
        AppFailure {
            code: e.code().to_string(),
            message: e.to_string(),
            status: e.status(),
            request_id: e.request_id().map(str::to_string),
        }
    }
}

/// One connected app's view of the customer. When `error` is set, the lists are empty.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "AppContext", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct AppContext {
    #[cfg_attr(feature = "node", napi(ts_type = "string"))]
    pub app_slug: AppSlug,
    #[cfg_attr(feature = "node", napi(ts_type = "string"))]
    pub account_id: AccountId,
    pub livemode: bool,
    pub customers: Vec<Customer>,
    pub payments: Vec<Payment>,
    pub payments_has_more: bool,
    pub subscriptions: Vec<Subscription>,
    /// Open disputes on the charges in `payments`.
    pub open_disputes: Vec<Dispute>,
    /// The newest invoice of any of the customers, with its payments (`null` also when the
    /// invoices could not be read: best effort, like plan names).
    pub latest_invoice: Option<Invoice>,
    /// Failed payment attempts among the newest `limit` payment intents and charges of each
    /// customer (see `failedPayments` for what counts; the failed charges only when the payment
    /// intents could not be read).
    pub recent_failures: u32,
    pub search_fallback: Option<SearchFallback>,
    pub error: Option<AppFailure>,
}

/// A customer across every connected app.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(feature = "node", napi_derive::napi(object, js_name = "CustomerContext", object_from_js = false))]
#[non_exhaustive]
pub struct CustomerContext {
    pub email: String,
    /// One entry per connection in the store, in the store's order.
    pub apps: Vec<AppContext>,
    /// Unix seconds when the oldest data in this result was read from Stripe (a customer
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

// ---- Stripe's shapes (only what is read) ----

#[derive(Debug, Deserialize)]
pub(crate) struct WireCustomer {
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub created: Option<i64>,
}

impl HasId for WireCustomer {
    fn id(&self) -> &str {
        &self.id
    }
}

impl From<WireCustomer> for Customer {
    fn from(c: WireCustomer) -> Self {
        Customer { id: c.id, email: c.email, name: c.name, created: c.created }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireCharge {
    pub id: String,
    pub amount: i64,
    #[serde(default)]
    pub amount_captured: Option<i64>,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub paid: Option<bool>,
    #[serde(default)]
    pub captured: Option<bool>,
    #[serde(default)]
    pub refunded: bool,
    #[serde(default)]
    pub disputed: bool,
    #[serde(default)]
    pub customer: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
    pub created: i64,
    #[serde(default)]
    pub payment_intent: Option<Value>,
    #[serde(default)]
    pub failure_code: Option<String>,
    #[serde(default)]
    pub failure_message: Option<String>,
    #[serde(default)]
    pub receipt_url: Option<String>,
    #[serde(default)]
    pub outcome: Option<WireOutcome>,
}

/// A charge's `outcome`: for a charge the issuer declined (`type` `issuer_declined`), `reason`
/// is the issuer's decline code (docs.stripe.com/declines: "look at the Charge object's outcome").
#[derive(Debug, Deserialize)]
pub(crate) struct WireOutcome {
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    #[serde(default)]
    pub reason: Option<String>,
    /// The issuer's advice on retrying (`try_again_later`, `do_not_try_again`, `confirm_card_data`).
    #[serde(default)]
    pub advice_code: Option<String>,
}

impl WireCharge {
    /// The issuer's decline code, for a charge the issuer declined.
    pub(crate) fn decline_code(&self) -> Option<String> {
        let o = self.outcome.as_ref()?;
        (o.kind.as_deref() == Some("issuer_declined")).then(|| o.reason.clone()).flatten()
    }
}

impl HasId for WireCharge {
    fn id(&self) -> &str {
        &self.id
    }
}

impl From<WireCharge> for Payment {
    fn from(c: WireCharge) -> Self {
        Payment {
            customer_id: expandable_id(&c.customer),
            id: c.id,
            amount: c.amount,
            currency: c.currency,
            status: c.status,
            refunded: c.refunded,
            amount_refunded: c.amount_refunded,
            disputed: c.disputed,
            created: c.created,
            description: c.description,
        }
    }
}

impl ChargeDetails {
    pub(crate) fn read(c: WireCharge, fetched_at: i64) -> Self {
        ChargeDetails {
            fetched_at,
            customer_id: expandable_id(&c.customer),
            payment_intent: expandable_id(&c.payment_intent),
            id: c.id,
            amount: c.amount,
            amount_captured: c.amount_captured,
            amount_refunded: c.amount_refunded,
            currency: c.currency,
            status: c.status,
            paid: c.paid,
            captured: c.captured,
            refunded: c.refunded,
            disputed: c.disputed,
            description: c.description,
            created: c.created,
            failure_code: c.failure_code,
            failure_message: c.failure_message,
            receipt_url: c.receipt_url,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireSubscription {
    pub id: String,
    pub status: String,
    #[serde(default)]
    pub customer: Option<Value>,
    #[serde(default)]
    pub cancel_at_period_end: bool,
    #[serde(default)]
    pub canceled_at: Option<i64>,
    #[serde(default)]
    pub current_period_end: Option<i64>,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub items: Option<List<WireItem>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireItem {
    #[serde(default)]
    pub current_period_end: Option<i64>,
    #[serde(default)]
    pub price: Option<WirePrice>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WirePrice {
    pub id: String,
    #[serde(default)]
    pub nickname: Option<String>,
    #[serde(default)]
    pub product: Option<Value>,
}

impl HasId for WireSubscription {
    fn id(&self) -> &str {
        &self.id
    }
}

impl From<WireSubscription> for Subscription {
    fn from(s: WireSubscription) -> Self {
        let items = s.items.map(|l| l.data).unwrap_or_default();
        let price = items.iter().find_map(|i| i.price.as_ref());
        let product_name = price
            .and_then(|p| p.product.as_ref())
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
            .map(str::to_string);
        Subscription {
            current_period_end: items.iter().find_map(|i| i.current_period_end).or(s.current_period_end),
            plan_name: price.and_then(|p| p.nickname.clone()).or(product_name),
            price_id: price.map(|p| p.id.clone()),
            product_id: price.and_then(|p| expandable_id(&p.product)),
            customer_id: expandable_id(&s.customer),
            id: s.id,
            status: s.status,
            cancel_at_period_end: s.cancel_at_period_end,
            canceled_at: s.canceled_at,
            created: s.created,
        }
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireProduct {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

impl HasId for WireProduct {
    fn id(&self) -> &str {
        &self.id
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireRefund {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub charge: Option<Value>,
    #[serde(default)]
    pub payment_intent: Option<Value>,
    #[serde(default)]
    pub reason: Option<String>,
    pub created: i64,
}

impl HasId for WireRefund {
    fn id(&self) -> &str {
        &self.id
    }
}

impl Refund {
    pub(crate) fn read(r: WireRefund, fetched_at: i64) -> Self {
        Refund {
            fetched_at,
            charge_id: expandable_id(&r.charge),
            payment_intent_id: expandable_id(&r.payment_intent),
            id: r.id,
            status: r.status,
            amount: r.amount,
            currency: r.currency,
            reason: r.reason,
            created: r.created,
        }
    }
}

// ---- invoices (API ≥ 2025-03-31: `payments` instead of `charge` / `payment_intent`) ----

#[derive(Debug, Deserialize)]
pub(crate) struct WireInvoice {
    pub id: String,
    #[serde(default)]
    pub number: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    pub amount_due: i64,
    #[serde(default)]
    pub amount_paid: i64,
    #[serde(default)]
    pub amount_remaining: i64,
    pub currency: String,
    pub created: i64,
    #[serde(default)]
    pub period_start: Option<i64>,
    #[serde(default)]
    pub period_end: Option<i64>,
    #[serde(default)]
    pub billing_reason: Option<String>,
    #[serde(default)]
    pub customer: Option<Value>,
    #[serde(default)]
    pub parent: Option<WireInvoiceParent>,
    /// Before 2025-03-31 only; kept so an older account's answer still names its subscription.
    #[serde(default)]
    pub subscription: Option<Value>,
    #[serde(default)]
    pub hosted_invoice_url: Option<String>,
    #[serde(default)]
    pub invoice_pdf: Option<String>,
    /// Present only when expanded (`expand[]=data.payments`).
    #[serde(default)]
    pub payments: Option<List<WireInvoicePayment>>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireInvoiceParent {
    #[serde(default)]
    pub subscription_details: Option<WireSubscriptionDetails>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireSubscriptionDetails {
    #[serde(default)]
    pub subscription: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireInvoicePayment {
    pub id: String,
    #[serde(default)]
    pub amount_paid: Option<i64>,
    #[serde(default)]
    pub amount_requested: i64,
    pub currency: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub created: Option<i64>,
    #[serde(default)]
    pub payment: Option<WirePaymentRef>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WirePaymentRef {
    #[serde(default)]
    pub payment_intent: Option<Value>,
    #[serde(default)]
    pub charge: Option<Value>,
}

impl HasId for WireInvoice {
    fn id(&self) -> &str {
        &self.id
    }
}

impl From<WireInvoicePayment> for InvoicePayment {
    fn from(p: WireInvoicePayment) -> Self {
        let payment = p.payment.as_ref();
        InvoicePayment {
            payment_intent_id: payment.and_then(|r| expandable_id(&r.payment_intent)),
            charge_id: payment.and_then(|r| expandable_id(&r.charge)),
            id: p.id,
            amount_paid: p.amount_paid,
            amount_requested: p.amount_requested,
            currency: p.currency,
            status: p.status,
            created: p.created,
        }
    }
}

impl From<WireInvoice> for Invoice {
    fn from(i: WireInvoice) -> Self {
        let from_parent = i
            .parent
            .as_ref()
            .and_then(|p| p.subscription_details.as_ref())
            .and_then(|d| expandable_id(&d.subscription));
        let mut payments: Vec<InvoicePayment> =
            i.payments.map(|l| l.data).unwrap_or_default().into_iter().map(InvoicePayment::from).collect();
        payments.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
        Invoice {
            subscription_id: from_parent.or_else(|| expandable_id(&i.subscription)),
            customer_id: expandable_id(&i.customer),
            id: i.id,
            number: i.number,
            status: i.status,
            amount_due: i.amount_due,
            amount_paid: i.amount_paid,
            amount_remaining: i.amount_remaining,
            currency: i.currency,
            created: i.created,
            period_start: i.period_start,
            period_end: i.period_end,
            billing_reason: i.billing_reason,
            hosted_invoice_url: i.hosted_invoice_url,
            invoice_pdf: i.invoice_pdf,
            payments,
        }
    }
}

// ---- payment intents ----

#[derive(Debug, Deserialize)]
pub(crate) struct WirePaymentIntent {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    pub created: i64,
    pub status: String,
    #[serde(default)]
    pub customer: Option<Value>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub last_payment_error: Option<WirePaymentError>,
}

/// A payment intent's `last_payment_error`: the error of its last failed attempt.
#[derive(Debug, Deserialize)]
pub(crate) struct WirePaymentError {
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub advice_code: Option<String>,
    #[serde(default)]
    pub decline_code: Option<String>,
    #[serde(default)]
    pub message: Option<String>,
    /// For card errors, the failed charge's id.
    #[serde(default)]
    pub charge: Option<Value>,
}

impl HasId for WirePaymentIntent {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for WireEarlyFraudWarning {
    fn id(&self) -> &str {
        &self.id
    }
}

impl HasId for WireDispute {
    fn id(&self) -> &str {
        &self.id
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscription_period_end_from_items_then_top_level() {
        let with_items: WireSubscription = serde_json::from_value(serde_json::json!({
            "id": "sub_1", "status": "a_status_stripe_adds_later", "customer": {"id": "cus_1", "object": "customer"},
            "current_period_end": 5, "cancel_at_period_end": true, "unknown_field": [1, 2],
            "items": {"object": "list", "has_more": false, "data": [
                {"current_period_end": 9, "price": {"id": "price_1", "nickname": null,
                  "product": {"id": "prod_1", "name": "Pro"}}}
            ]}
        }))
        .unwrap();
        let s = Subscription::from(with_items);
        assert_eq!(s.current_period_end, Some(9));
        assert_eq!(s.plan_name.as_deref(), Some("Pro"));
        assert_eq!(s.product_id.as_deref(), Some("prod_1"));
        assert_eq!(s.customer_id.as_deref(), Some("cus_1"));
        assert_eq!(s.status, "a_status_stripe_adds_later");
        let old: WireSubscription =
            serde_json::from_value(serde_json::json!({"id": "sub_2", "status": "active", "current_period_end": 5}))
                .unwrap();
        let s = Subscription::from(old);
        assert_eq!((s.current_period_end, s.plan_name, s.price_id), (Some(5), None, None));
    }

    #[test]
    fn camel_case_and_nulls() {
        let p = Payment {
            id: "ch_1".into(),
            amount: 100,
            currency: "usd".into(),
            status: "succeeded".into(),
            refunded: false,
            amount_refunded: 0,
            disputed: false,
            created: 1,
            description: None,
            customer_id: None,
        };
        let v = serde_json::to_value(&p).unwrap();
        assert_eq!(v["amountRefunded"], 0);
        assert!(v["customerId"].is_null() && v["description"].is_null());
    }
}
