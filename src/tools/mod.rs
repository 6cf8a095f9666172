//! Read-only tools for a support agent (an LLM with tool calling), over the queries.
//!
//! A fixed registry ([`definitions`]): each tool has a name, a description written for a model,
//! and a JSON Schema of its arguments generated from the type they are parsed into (each tool is
//! declared once, in `catalog.rs`). [`StripeConnect::call_tool`] runs one with the model's JSON
//! arguments inside a [`ToolScope`] the caller fixes (the apps this conversation may see) and
//! returns a [`ToolResult`], never an error: `{"success": true, "data": …, "fetchedAt": …}` or
//! `{"success": false, "error": {"code", "message", "retryable"}}` with the library's stable codes.
//!
//! - Arguments are checked before anything is sent: wrong types, unknown properties, an `acct_`
//!   id anywhere, `../` in an id, an unknown tool are `invalid_input` results.
//! - Apps are named by slug, never by account id. An app outside the scope is `app_out_of_scope`
//!   (nothing sent); an app in it without a connection is `app_not_connected`.
//! - Results are compact (see [`results`]): a customer with the demo's data fits in 4 KB.
//!
//! ```no_run
//! use stripe_connect::{Config, StripeConnect, ToolScope};
//!
//! # async fn run() -> Result<(), stripe_connect::Error> {
//! let stripe = StripeConnect::new(Config::from_env()?);
//! // The conversation is about the helpdesk app: the model cannot ask about any other.
//! let scope = ToolScope::new(["helpdesk"])?;
//! for tool in stripe.tools() {
//!     println!("{}: {}", tool.name, tool.input_schema);
//! }
//! let args = serde_json::json!({"email": "jane@example.com", "limit": 5});
//! let result = stripe.call_tool("get_payment_history", &args, &scope).await;
//! println!("{}", result.to_json()); // what goes back to the model
//! # Ok(()) }
//! ```

pub(crate) mod catalog;
mod money;
pub(crate) mod registry;
mod request;
pub(crate) mod results;
mod view;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;
use serde_json::Value;

use crate::client::StripeConnect;
use crate::error::Error;
use crate::ids::AppSlug;
use crate::queries::{Account, Email};
pub use money::{decimals as currency_decimals, format_amount};
pub use registry::{definitions, ToolDefinition, DEFAULT_TOOL_LIST_LIMIT, MAX_TOOL_LIST_LIMIT};
use results::{search_warning, Capped, CustomerOut, DisputeOut, InvoiceSummaryOut, PaymentOut, SubscriptionOut};
pub use results::{Discrepancy, MAX_RESULT_BYTES as MAX_TOOL_RESULT_BYTES, MAX_TEXT as MAX_TOOL_TEXT};

/// Subscriptions, disputes and customers shown per list.
const LIST_CAP: usize = DEFAULT_TOOL_LIST_LIMIT as usize;

/// The apps one conversation may see, fixed by the caller before the model runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToolScope {
    apps: Vec<AppSlug>,
}

impl ToolScope {
    /// A scope of one or more app slugs (`invalid_input` if empty or a slug is malformed).
    pub fn new<I, S>(apps: I) -> Result<ToolScope, Error>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut slugs: Vec<AppSlug> = Vec::new();
        for s in apps {
            let slug = AppSlug::parse(s)?;
            if !slugs.contains(&slug) {
                slugs.push(slug);
            }
        }
        if slugs.is_empty() {
            return Err(Error::invalid_input("app_slugs", "a tool scope needs at least one app slug"));
        }
        Ok(ToolScope { apps: slugs })
    }

    /// A scope from a caller's value as it came (JS's `appSlugs`): an array of slug strings, or
    /// `invalid_input`. A lone string is refused, not read as its characters (`'helpdesk'` once
    /// became the scope h, e, l, p, d, s, k).
    pub fn from_value(value: &Value) -> Result<ToolScope, Error> {
        let kind = |v: &Value| match v {
            Value::Null => "nothing (null, undefined, or a value JSON cannot hold)",
            Value::Bool(_) => "a boolean",
            Value::Number(_) => "a number",
            Value::String(_) => "a string",
            Value::Array(_) => "an array",
            Value::Object(_) => "an object",
        };
        let Value::Array(items) = value else {
            let hint = if value.is_string() { " (write ['helpdesk'], not 'helpdesk')" } else { "" };
            return Err(Error::invalid_input(
                "app_slugs",
                format!("must be an array of app slugs, got {}{hint}", kind(value)),
            ));
        };
        let mut slugs = Vec::with_capacity(items.len());
        for (i, item) in items.iter().enumerate() {
            match item.as_str() {
                Some(s) => slugs.push(s),
                None => {
                    return Err(Error::invalid_input(
                        "app_slugs",
                        format!("must be an array of app slugs, got {} at index {i}", kind(item)),
                    ))
                }
            }
        }
        ToolScope::new(slugs)
    }

    pub fn apps(&self) -> &[AppSlug] {
        &self.apps
    }

    fn names(&self) -> Vec<String> {
        self.apps.iter().map(|a| a.as_str().to_string()).collect()
    }
}

/// A tool's error as the model sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
#[non_exhaustive]
pub struct ToolError {
    /// One of [`crate::ERROR_CODES`].
    #[schemars(schema_with = "error_code_schema")]
    pub code: &'static str,
    pub message: String,
    /// Whether the same call may succeed later (rate limits, timeouts, Stripe or a store down).
    pub retryable: bool,
}

/// The codes a tool error may carry: every code of the core's table.
fn error_code_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "enum": crate::ERROR_CODES,
        "description": "The stable error code (docs/errors.md)."
    })
}

impl From<&Error> for ToolError {
    /// The model reads this. A store's failure is told by its operation only: the store's own
    /// words (a query, its parameters, a host name) are for the app's logs, not for a model.
    fn from(e: &Error) -> Self {
        let message = match e {
            Error::Store(s) => format!(
                "the support app's own store failed during {}: nothing about the customer is known from this; \
                 try again later",
                s.operation
            ),
            other => other.to_string(),
        };
        ToolError { code: e.code().as_str(), message, retryable: e.code().is_retryable() }
    }
}

/// What a tool call returns: data, or an error described as data. Serializes to
/// `{"success": true, "data": …, "fetchedAt": <unix s>}` or
/// `{"success": false, "error": {"code", "message", "retryable"}}`.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum ToolResult {
    /// `data` is JSON text whose keys keep their documented order (`id` first, lists' `count`
    /// and `truncated` before their `items`).
    Success {
        data: Box<RawValue>,
        fetched_at: i64,
    },
    Failure {
        error: ToolError,
    },
}

impl ToolResult {
    pub fn is_success(&self) -> bool {
        matches!(self, ToolResult::Success { .. })
    }

    /// The data as a JSON value (parsed from the result's text).
    pub fn data(&self) -> Option<Value> {
        match self {
            ToolResult::Success { data, .. } => serde_json::from_str(data.get()).ok(),
            ToolResult::Failure { .. } => None,
        }
    }

    pub fn error(&self) -> Option<&ToolError> {
        match self {
            ToolResult::Failure { error } => Some(error),
            ToolResult::Success { .. } => None,
        }
    }

    /// The result as compact JSON text (what a model is given).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| r#"{"success":false}"#.to_string())
    }

    /// The whole result as a JSON value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

impl Serialize for ToolResult {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            ToolResult::Success { data, fetched_at } => {
                let mut m = s.serialize_map(Some(3))?;
                m.serialize_entry("success", &true)?;
                m.serialize_entry("data", data)?;
                m.serialize_entry("fetchedAt", fetched_at)?;
                m.end()
            }
            ToolResult::Failure { error } => {
                let mut m = s.serialize_map(Some(2))?;
                m.serialize_entry("success", &false)?;
                m.serialize_entry("error", error)?;
                m.end()
            }
        }
    }
}

/// What `get_customer_context` answers: the customer's email, then each app of the scope.
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct ContextOut {
    email: String,
    apps: Vec<AppOut>,
}

impl results::Shrink for ContextOut {
    /// The longest list of any app gives up its oldest item: many apps with many records share
    /// the budget, each list saying what it left out (`count`, `truncated`).
    fn shrink(&mut self) -> bool {
        let sizes: Vec<usize> = self
            .apps
            .iter()
            .flat_map(|a| {
                [
                    a.payments.items.len(),
                    a.subscriptions.items.len(),
                    a.open_disputes.items.len(),
                    a.customers.items.len(),
                ]
            })
            .collect();
        let Some(at) = results::longest(&sizes) else { return false };
        let app = &mut self.apps[at / 4];
        match at % 4 {
            0 => app.payments.drop_last(),
            1 => app.subscriptions.drop_last(),
            2 => app.open_disputes.drop_last(),
            _ => app.customers.drop_last(),
        }
    }
}

/// One app's part of the customer context; when `error` is set, its lists are empty.
#[derive(Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AppOut {
    app_slug: String,
    livemode: Option<bool>,
    error: Option<ToolError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    warning: Option<String>,
    customers: Capped<CustomerOut>,
    payments: Capped<PaymentOut>,
    subscriptions: Capped<SubscriptionOut>,
    open_disputes: Capped<DisputeOut>,
    /// The customer's newest invoice: its id, status, amount due and date (get_invoices has its
    /// number, links and payments).
    latest_invoice: Option<InvoiceSummaryOut>,
    /// Failed payment attempts among the newest payments (get_failed_payments says why).
    recent_failures: u32,
}

/// The app a tool asks, resolved within the scope: its account and its slug as the answer shows it.
pub(crate) struct ScopedApp {
    pub(crate) account: Account,
    pub(crate) slug: String,
}

impl StripeConnect {
    /// The tool registry (the same for every client; see [`definitions`]).
    pub fn tools(&self) -> Vec<ToolDefinition> {
        definitions()
    }

    /// Run tool `name` with the model's JSON `args`, within `scope`. Never fails: errors come
    /// back as [`ToolResult::Failure`] with a stable code. `fetchedAt` is when the answer was read.
    pub async fn call_tool(&self, name: &str, args: &Value, scope: &ToolScope) -> ToolResult {
        match registry::call(self, name, args, scope).await {
            // When the oldest part of the answer was read (a cached customer resolution may be
            // older than this call); now, for answers that read nothing kept.
            Ok((data, read_at)) => ToolResult::Success { data, fetched_at: read_at.unwrap_or_else(|| self.now()) },
            Err(e) => ToolResult::Failure { error: ToolError::from(&e) },
        }
    }

    /// [`call_tool`](Self::call_tool) with the arguments as JSON text, as a model's tool call
    /// carries them: text that is not JSON is an `invalid_input` result.
    pub async fn call_tool_json(&self, name: &str, args_json: &str, scope: &ToolScope) -> ToolResult {
        match serde_json::from_str::<Value>(args_json) {
            Ok(args) => self.call_tool(name, &args, scope).await,
            Err(e) => ToolResult::Failure {
                error: ToolError::from(&Error::invalid_input("arguments", format!("not JSON: {e}"))),
            },
        }
    }

    /// The account of the app the model named (or of the scope's only app), if the scope allows
    /// it. Nothing is sent to Stripe here.
    async fn scoped_app(&self, named: Option<&AppSlug>, scope: &ToolScope) -> Result<ScopedApp, Error> {
        let slug = match named {
            Some(slug) => {
                if !scope.apps().contains(slug) {
                    return Err(Error::AppOutOfScope { app_slug: slug.as_str().to_string(), allowed: scope.names() });
                }
                slug.clone()
            }
            None => match scope.apps() {
                [only] => only.clone(),
                _ => {
                    return Err(Error::invalid_input(
                        "appSlug",
                        format!("this conversation may see several apps ({}): say which", scope.names().join(", ")),
                    ))
                }
            },
        };
        Ok(ScopedApp { account: self.app(&slug).await?, slug: slug.as_str().to_string() })
    }

    /// The customer context over the scope's apps only, each compacted; an app without a
    /// connection is reported as `app_not_connected` in its entry.
    async fn tool_context(
        &self,
        email: &Email,
        limit: usize,
        scope: &ToolScope,
    ) -> Result<(ContextOut, Option<i64>), Error> {
        let started = self.now();
        let mut connections = Vec::new();
        for slug in scope.apps() {
            let c =
                self.connections().get_by_slug(slug).await.map_err(|e| e.in_operation("connections.get_by_slug"))?;
            connections.push((slug.clone(), c));
        }
        let apps: Vec<(AppOut, Option<i64>)> =
            futures::future::join_all(connections.into_iter().map(|(slug, c)| async move {
                let Some(c) = c else {
                    let error = ToolError::from(&Error::AppNotConnected { app_slug: slug.as_str().to_string() });
                    return (
                        AppOut {
                            app_slug: slug.as_str().to_string(),
                            livemode: None,
                            customers: Capped::new(Vec::<CustomerOut>::new(), 0, false, |x| x),
                            payments: Capped::new(Vec::<PaymentOut>::new(), 0, false, |x| x),
                            subscriptions: Capped::new(Vec::<SubscriptionOut>::new(), 0, false, |x| x),
                            open_disputes: Capped::new(Vec::<DisputeOut>::new(), 0, false, |x| x),
                            latest_invoice: None,
                            recent_failures: 0,
                            warning: None,
                            error: Some(error),
                        },
                        None,
                    );
                };
                let (ctx, resolved_at) = self.app_context(c, email, limit).await;
                let out = AppOut {
                    app_slug: ctx.app_slug.as_str().to_string(),
                    livemode: Some(ctx.livemode),
                    warning: search_warning(&ctx.search_fallback),
                    customers: Capped::new(ctx.customers, LIST_CAP, false, CustomerOut::from),
                    payments: Capped::new(ctx.payments, limit, ctx.payments_has_more, PaymentOut::from),
                    subscriptions: Capped::new(ctx.subscriptions, LIST_CAP, false, SubscriptionOut::from),
                    open_disputes: Capped::new(ctx.open_disputes, LIST_CAP, false, DisputeOut::from),
                    latest_invoice: ctx.latest_invoice.map(|i| view::View(view::InvoiceSummary(i))),
                    recent_failures: ctx.recent_failures,
                    error: ctx.error.map(|f| ToolError {
                        code: known_code(&f.code).as_str(),
                        retryable: known_code(&f.code).is_retryable(),
                        message: f.message,
                    }),
                };
                (out, resolved_at)
            }))
            .await;
        // The oldest part: a cached customer resolution, or this call's own reads.
        let read_at = apps.iter().filter_map(|(_, at)| *at).fold(started, i64::min);
        let apps = apps.into_iter().map(|(app, _)| app).collect();
        Ok((ContextOut { email: email.as_str().to_string(), apps }, Some(read_at)))
    }
}

/// `code` as an [`ErrorCode`](crate::ErrorCode) (a per-app failure carries it as text).
fn known_code(code: &str) -> crate::ErrorCode {
    crate::ErrorCode::parse(code).unwrap_or(crate::ErrorCode::StripeApiError)
}

/// Issue 23 item 5: every tool result fits [`MAX_RESULT_BYTES`](results::MAX_RESULT_BYTES) for any
/// customer. Seeded property tests over generated customers (many apps, many records, long text).
#[cfg(test)]
mod budget_tests {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed, TestRunner};
    use serde_json::{json, Value};

    use super::catalog::{InvoicesOut, PaymentsOut};
    use super::registry::within_budget;
    use super::results::{Capped, MAX_RESULT_BYTES};
    use super::{AppOut, ContextOut};
    use crate::dispute::Dispute;
    use crate::queries::{Customer, Invoice, Payment, Subscription};
    use crate::tools::view::{InvoiceSummary, View};

    fn runner() -> TestRunner {
        TestRunner::new(Config {
            cases: 48,
            rng_seed: RngSeed::Fixed(0x4b_b0d9),
            failure_persistence: None,
            ..Config::default()
        })
    }

    fn long(n: usize) -> String {
        "Helpdesk Pro — seats, add-ons and a long description ".chars().cycle().take(n).collect()
    }

    fn payment(i: usize, text: usize) -> Payment {
        serde_json::from_value(json!({"id": format!("ch_{i:024}"), "amount": 123456789, "currency": "usd",
            "status": "succeeded", "refunded": true, "amountRefunded": 1000, "disputed": true, "created": 1_700_000_000,
            "description": long(text), "customerId": "cus_1"}))
        .unwrap()
    }

    fn customer(i: usize, text: usize) -> Customer {
        serde_json::from_value(json!({"id": format!("cus_{i:020}"), "email": "jane@example.com", "name": long(text),
            "created": 1_700_000_000}))
        .unwrap()
    }

    fn subscription(i: usize, text: usize) -> Subscription {
        serde_json::from_value(
            json!({"id": format!("sub_{i:020}"), "status": "past_due", "currentPeriodEnd": 1_800_000_000,
            "cancelAtPeriodEnd": false, "canceledAt": null, "planName": long(text), "priceId": "price_1",
            "productId": "prod_1", "customerId": "cus_1", "created": 1_700_000_000}),
        )
        .unwrap()
    }

    fn dispute(i: usize) -> Dispute {
        serde_json::from_value(json!({"id": format!("dp_{i:024}"), "amount": 12000, "currency": "eur",
            "chargeId": "ch_1", "paymentIntentId": null, "reason": "product_not_received", "status": "needs_response",
            "evidenceDueBy": 1_800_000_000, "isChargeRefundable": false, "created": 1_700_000_000}))
        .unwrap()
    }

    fn invoice(i: usize, text: usize) -> Invoice {
        serde_json::from_value(json!({"id": format!("in_{i:024}"), "number": format!("{:X}-{i:04}", 0xDEAD_BEEFu32),
            "status": "uncollectible", "amountDue": 123456789, "amountPaid": 0, "amountRemaining": 123456789,
            "currency": "usd", "created": 1_700_000_000, "periodStart": 1_700_000_000, "periodEnd": 1_700_000_000,
            "billingReason": "subscription_cycle", "subscriptionId": "sub_1", "customerId": "cus_1",
            "hostedInvoiceUrl": format!("https://invoice.stripe.com/i/{}", long(text)),
            "invoicePdf": format!("https://pay.stripe.com/invoice/{}/pdf", long(text)), "payments": []}))
        .unwrap()
    }

    /// Every list in `v` (an object with `count`, `truncated`, `items`) says what it shows.
    fn lists_are_honest(v: &Value, cut_somewhere: &mut bool) {
        match v {
            Value::Object(m) => {
                if let (Some(count), Some(items), Some(truncated)) =
                    (m.get("count"), m.get("items"), m.get("truncated"))
                {
                    assert_eq!(count.as_u64().unwrap() as usize, items.as_array().unwrap().len(), "{v}");
                    *cut_somewhere |= truncated.as_bool().unwrap();
                }
                m.values().for_each(|x| lists_are_honest(x, cut_somewhere));
            }
            Value::Array(a) => a.iter().for_each(|x| lists_are_honest(x, cut_somewhere)),
            _ => {}
        }
    }

    #[test]
    fn a_customer_context_of_any_size_fits_the_budget_and_says_what_it_cut() {
        let shape = (
            1usize..=8,
            0usize..=25,
            0usize..=10,
            0usize..=10,
            0usize..=10,
            0usize..=200,
            proptest::bool::ANY,
            0u32..=25,
        );
        runner()
            .run(&shape, |(apps, payments, customers, subscriptions, disputes, text, invoiced, failures)| {
                let app = |n: usize| AppOut {
                    app_slug: format!("app-{n}-with-a-longer-slug"),
                    livemode: Some(false),
                    error: None,
                    warning: None,
                    customers: Capped::new((0..customers).map(|i| customer(i, text)).collect(), 10, false, Into::into),
                    payments: Capped::new((0..payments).map(|i| payment(i, text)).collect(), 25, false, Into::into),
                    subscriptions: Capped::new(
                        (0..subscriptions).map(|i| subscription(i, text)).collect(),
                        10,
                        false,
                        Into::into,
                    ),
                    open_disputes: Capped::new((0..disputes).map(dispute).collect(), 10, false, Into::into),
                    latest_invoice: invoiced.then(|| View(InvoiceSummary(invoice(n, text)))),
                    recent_failures: failures,
                };
                let out = ContextOut { email: "jane@example.com".into(), apps: (0..apps).map(app).collect() };
                let full = serde_json::to_string(&out).unwrap().len();
                let text = within_budget(out).unwrap();
                prop_assert!(text.get().len() + 64 <= MAX_RESULT_BYTES, "{} bytes", text.get().len());
                let v: Value = serde_json::from_str(text.get()).unwrap();
                prop_assert_eq!(v["apps"].as_array().unwrap().len(), apps, "every app is still there");
                let mut cut = false;
                lists_are_honest(&v, &mut cut);
                prop_assert_eq!(cut, full + 64 > MAX_RESULT_BYTES, "truncated exactly when something was cut");
                Ok(())
            })
            .unwrap();
    }

    #[test]
    fn a_payment_history_at_the_largest_limit_fits_and_keeps_the_newest() {
        let out = PaymentsOut::for_test(Capped::new((0..25).map(|i| payment(i, 120)).collect(), 25, false, Into::into));
        let v: Value = serde_json::from_str(within_budget(out).unwrap().get()).unwrap();
        let items = v["payments"]["items"].as_array().unwrap();
        assert!(items.len() < 25 && !items.is_empty(), "{}", items.len());
        assert_eq!(items[0]["id"], format!("ch_{:024}", 0), "the newest stays");
        assert_eq!(
            (v["payments"]["count"].as_u64(), v["payments"]["truncated"].as_bool()),
            (Some(items.len() as u64), Some(true))
        );
    }

    #[test]
    fn invoices_with_their_links_and_payments_at_the_largest_limit_fit_and_keep_the_newest() {
        let with_payments = |i: usize| {
            let mut inv = invoice(i, 120);
            inv.payments =
                serde_json::from_value(json!([{"id": "inpay_1", "paymentIntentId": "pi_1", "chargeId": null,
                "amountPaid": 100, "amountRequested": 100, "currency": "usd", "status": "paid", "created": 1}]))
                .unwrap();
            inv
        };
        let out = InvoicesOut::for_test(Capped::new((0..25).map(with_payments).collect(), 25, false, Into::into));
        let text = within_budget(out).unwrap();
        assert!(text.get().len() + 64 <= MAX_RESULT_BYTES);
        let v: Value = serde_json::from_str(text.get()).unwrap();
        let items = v["invoices"]["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.len() < 25, "{}", items.len());
        assert_eq!(items[0]["id"], format!("in_{:024}", 0), "the newest stays");
        assert_eq!(v["invoices"]["truncated"], true);
    }
}
