//! The queries' results as `#[napi(object)]` types, so the TypeScript types are generated from
//! them (`bindings/native/index.d.ts`) and the facade needs no cast. Each `mirror!` destructures
//! the core type without `..`: a field added to the core does not compile until it is added here.

use napi_derive::napi;

use crate::{
    AccountId, AppContext, AppFailure, AppSlug, ChargeDetails, Customer, CustomerContext, Dispute, Disputes, Payment,
    PaymentHistory, Refund, SearchFallback, Subscription, SubscriptionStatus,
};

/// `From<core type>` for its mirror. Every field is named once; `field: f` converts it with `f`.
macro_rules! mirror {
    ($core:ident => $js:ident { $($field:ident $(: $convert:expr)?),* $(,)? }) => {
        impl From<$core> for $js {
            fn from(value: $core) -> Self {
                let $core { $($field),* } = value;
                $js { $($field: mirror!(@convert $field $($convert)?)),* }
            }
        }
    };
    (@convert $field:ident) => { $field };
    (@convert $field:ident $convert:expr) => { $convert($field) };
}

fn each<T, U: From<T>>(items: Vec<T>) -> Vec<U> {
    items.into_iter().map(U::from).collect()
}

fn opt<T, U: From<T>>(item: Option<T>) -> Option<U> {
    item.map(U::from)
}

mirror!(SearchFallback => JsSearchFallback { code, message });
mirror!(Customer => JsCustomer { id, email, name, created });
mirror!(Payment => JsPayment {
    id, amount, currency, status, refunded, amount_refunded, disputed, created, description, customer_id,
});
mirror!(PaymentHistory => JsPaymentHistory { customer_ids, payments: each, has_more, search_fallback: opt, fetched_at });
mirror!(Subscription => JsSubscription {
    id, status, current_period_end, cancel_at_period_end, canceled_at, plan_name, price_id, product_id, customer_id,
    created,
});
mirror!(SubscriptionStatus => JsSubscriptionStatus {
    customer_ids, subscriptions: each, search_fallback: opt, fetched_at,
});
mirror!(ChargeDetails => JsCharge {
    id, amount, amount_captured, amount_refunded, currency, status, paid, captured, refunded, disputed, customer,
    description, created, payment_intent, failure_code, failure_message, receipt_url, fetched_at,
});
mirror!(Refund => JsRefund { id, status, amount, currency, charge_id, reason, created, fetched_at });
mirror!(Dispute => JsDispute {
    id, amount, currency, charge_id, payment_intent_id, reason, status, evidence_due_by, is_charge_refundable, created,
});
mirror!(Disputes => JsDisputes { disputes: each, search_fallback: opt, fetched_at });
mirror!(AppFailure => JsAppFailure { code, message, status, request_id });
mirror!(AppContext => JsAppContext {
    app_slug: |s: AppSlug| s.as_str().to_string(),
    account_id: |a: AccountId| a.as_str().to_string(),
    livemode,
    customers: each,
    payments: each,
    payments_has_more,
    subscriptions: each,
    open_disputes: each,
    search_fallback: opt,
    error: opt,
});
mirror!(CustomerContext => JsCustomerContext { email, apps: each, fetched_at });

/// Why the case-insensitive customer search was not used (only the exact-case email list was).
#[napi(object, js_name = "SearchFallback")]
pub struct JsSearchFallback {
    /// The search's error code (`stripe_rate_limited`, …).
    pub code: String,
    pub message: String,
}

#[napi(object, js_name = "Customer", use_nullable = true)]
pub struct JsCustomer {
    pub id: String,
    pub email: Option<String>,
    pub name: Option<String>,
    pub created: Option<i64>,
}

/// One charge in a payment history.
#[napi(object, js_name = "Payment", use_nullable = true)]
pub struct JsPayment {
    pub id: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `succeeded`, `pending` or `failed`.
    pub status: String,
    pub refunded: bool,
    pub amount_refunded: i64,
    pub disputed: bool,
    pub created: i64,
    pub description: Option<String>,
    pub customer_id: Option<String>,
}

/// Charges of every customer with the email, newest first.
#[napi(object, js_name = "PaymentHistory", use_nullable = true)]
pub struct JsPaymentHistory {
    /// The customer ids the charges were read from (one email can map to several customers).
    pub customer_ids: Vec<String>,
    pub payments: Vec<JsPayment>,
    /// More charges exist than `limit` returned.
    pub has_more: bool,
    pub search_fallback: Option<JsSearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (the email → customers
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

#[napi(object, js_name = "Subscription", use_nullable = true)]
pub struct JsSubscription {
    pub id: String,
    /// `active`, `trialing`, `past_due`, `canceled`, `unpaid`, `incomplete`, …
    pub status: String,
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

#[napi(object, js_name = "SubscriptionStatus", use_nullable = true)]
pub struct JsSubscriptionStatus {
    pub customer_ids: Vec<String>,
    /// Any status, newest first.
    pub subscriptions: Vec<JsSubscription>,
    pub search_fallback: Option<JsSearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (the email → customers
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// One charge, looked up by id.
#[napi(object, js_name = "Charge", use_nullable = true)]
pub struct JsCharge {
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
    /// The customer id.
    pub customer: Option<String>,
    pub description: Option<String>,
    pub created: i64,
    pub payment_intent: Option<String>,
    pub failure_code: Option<String>,
    pub failure_message: Option<String>,
    pub receipt_url: Option<String>,
    /// Unix seconds when this was read from Stripe.
    pub fetched_at: i64,
}

#[napi(object, js_name = "Refund", use_nullable = true)]
pub struct JsRefund {
    pub id: String,
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled`.
    pub status: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub charge_id: Option<String>,
    pub reason: Option<String>,
    pub created: i64,
    /// Unix seconds when this was read from Stripe.
    pub fetched_at: i64,
}

/// A Stripe dispute: the one type of the queries' results and of a dispute alert.
#[napi(object, js_name = "Dispute", use_nullable = true)]
pub struct JsDispute {
    pub id: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub charge_id: Option<String>,
    pub payment_intent_id: Option<String>,
    pub reason: Option<String>,
    pub status: String,
    pub evidence_due_by: Option<i64>,
    pub is_charge_refundable: bool,
    pub created: i64,
}

#[napi(object, js_name = "Disputes", use_nullable = true)]
pub struct JsDisputes {
    /// Newest first.
    pub disputes: Vec<JsDispute>,
    pub search_fallback: Option<JsSearchFallback>,
    /// Unix seconds when the oldest data in this result was read from Stripe (the email → customers
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}

/// Why one app's part of a customer context is missing (the other apps still answered).
#[napi(object, js_name = "AppFailure", use_nullable = true)]
pub struct JsAppFailure {
    #[napi(ts_type = "ErrorCode")]
    pub code: String,
    pub message: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

/// One connected app's view of the customer. When `error` is set the lists are empty.
#[napi(object, js_name = "AppContext", use_nullable = true)]
pub struct JsAppContext {
    pub app_slug: String,
    pub account_id: String,
    pub livemode: bool,
    pub customers: Vec<JsCustomer>,
    pub payments: Vec<JsPayment>,
    pub payments_has_more: bool,
    pub subscriptions: Vec<JsSubscription>,
    /// Open disputes on the charges in `payments`.
    pub open_disputes: Vec<JsDispute>,
    pub search_fallback: Option<JsSearchFallback>,
    pub error: Option<JsAppFailure>,
}

/// A customer across every connected app (one entry per connection in the store).
#[napi(object, js_name = "CustomerContext")]
pub struct JsCustomerContext {
    pub email: String,
    pub apps: Vec<JsAppContext>,
    /// Unix seconds when the oldest data in this result was read from Stripe (the email → customers
    /// resolution may come from the cache: up to `cacheTtlMs` old).
    pub fetched_at: i64,
}
