//! The options objects of the client's queries, declared once here: the generated TypeScript types
//! (`PaymentHistoryOptions`, …) are these, and the facade passes the caller's object as it is.
//! Numbers stay JS numbers (`f64`) until the glue checks them one way (`whole_number`): napi alone
//! would read `1.5` as 1 and NaN as 0.

use napi_derive::napi;

/// Charges of every customer with `email`, newest first.
#[napi(object, js_name = "PaymentHistoryOptions", object_to_js = false)]
pub struct PaymentHistoryOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// Every customer with this email (any letter case) is covered.
    pub email: String,
    /// Charges returned, newest first: 1–100, default 25.
    pub limit: Option<f64>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// By `email` (every customer with it) or by `customerId`: exactly one of the two.
#[napi(object, js_name = "NativeSubscriptionStatusOptions", object_to_js = false)]
pub struct NativeSubscriptionStatusOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    pub email: Option<String>,
    /// `cus_…`.
    pub customer_id: Option<String>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// One charge by id.
#[napi(object, js_name = "LookupChargeOptions", object_to_js = false)]
pub struct LookupChargeOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// `ch_…` or `py_…`.
    pub charge_id: String,
    /// Read it now (charges are never cached; this also skips joining an identical request).
    pub fresh: Option<bool>,
}

/// One refund by id.
#[napi(object, js_name = "VerifyRefundOptions", object_to_js = false)]
pub struct VerifyRefundOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// `re_…` or `pyr_…`.
    pub refund_id: String,
    /// Read it now (refunds are never cached; this also skips joining an identical request).
    pub fresh: Option<bool>,
}

/// By `email` (disputes on that customer's charges) or by `chargeId`: exactly one of the two.
#[napi(object, js_name = "NativeDisputesOptions", object_to_js = false)]
pub struct NativeDisputesOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    pub email: Option<String>,
    /// `ch_…` or `py_…`.
    pub charge_id: Option<String>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// What the platform's key may read on one account: by `appSlug` (its connected account, from the
/// connections store) or by `accountId`: exactly one of the two.
#[napi(object, js_name = "NativeCheckAccessOptions", object_to_js = false)]
pub struct NativeCheckAccessOptions {
    /// The app whose connected account is checked.
    pub app_slug: Option<String>,
    /// The connected account, `acct_…`.
    pub account_id: Option<String>,
    /// Send every probe now (never join an identical request in flight).
    pub fresh: Option<bool>,
}

/// A customer across every connected app of the connection store.
#[napi(object, js_name = "CustomerContextOptions", object_to_js = false)]
pub struct CustomerContextOptions {
    pub email: String,
    /// Payments per app, newest first: 1–100, default 25.
    pub limit: Option<f64>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// Invoices (with their payments) by `email` (every customer with it) or by `customerId`: exactly
/// one of the two.
#[napi(object, js_name = "NativeInvoicesOptions", object_to_js = false)]
pub struct NativeInvoicesOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    pub email: Option<String>,
    /// `cus_…`.
    pub customer_id: Option<String>,
    /// Invoices returned, newest first: 1–100, default 25.
    pub limit: Option<f64>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// Failed payment attempts of every customer with `email`, newest first.
#[napi(object, js_name = "FailedPaymentsOptions", object_to_js = false)]
pub struct FailedPaymentsOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// Every customer with this email (any letter case) is covered.
    pub email: String,
    /// Failed attempts returned, newest first (of each customer's newest payment intents and
    /// charges, as many of each): 1–100, default 25.
    pub limit: Option<f64>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// The refunds of a charge (`chargeId`) or of a payment intent (`paymentIntentId`): exactly one.
#[napi(object, js_name = "NativeRefundsOptions", object_to_js = false)]
pub struct NativeRefundsOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// `ch_…` or `py_…`.
    pub charge_id: Option<String>,
    /// `pi_…`.
    pub payment_intent_id: Option<String>,
    /// Read them now (refunds are never cached; this also skips joining an identical request).
    pub fresh: Option<bool>,
}

/// Radar early fraud warnings on the charges of `email`, on `chargeId` or on `paymentIntentId`:
/// exactly one of the three.
#[napi(object, js_name = "NativeEarlyFraudWarningsOptions", object_to_js = false)]
pub struct NativeEarlyFraudWarningsOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    pub email: Option<String>,
    /// `ch_…` or `py_…`.
    pub charge_id: Option<String>,
    /// `pi_…`.
    pub payment_intent_id: Option<String>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}

/// Everything billing-related of every customer with `email`, as one list, newest first.
#[napi(object, js_name = "BillingTimelineOptions", object_to_js = false)]
pub struct BillingTimelineOptions {
    /// The connected account, `acct_…`.
    pub account_id: String,
    /// Every customer with this email (any letter case) is covered.
    pub email: String,
    /// Entries returned, newest first: 1–100, default 25.
    pub limit: Option<f64>,
    /// Skip the cached email → customers resolution and any identical request in flight.
    pub fresh: Option<bool>,
}
