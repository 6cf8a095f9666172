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

/// One refund, looked up by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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
    pub reason: Option<String>,
    pub created: i64,
}

impl Refund {
    pub(crate) fn read(r: WireRefund, fetched_at: i64) -> Self {
        Refund {
            fetched_at,
            charge_id: expandable_id(&r.charge),
            id: r.id,
            status: r.status,
            amount: r.amount,
            currency: r.currency,
            reason: r.reason,
            created: r.created,
        }
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
