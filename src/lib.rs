//! # stripe-connect
//!
//! Stripe Connect (Standard accounts, OAuth) for a support platform: connect an app's Stripe
//! account, read what a customer paid, subscribed to, refunded and disputed, and act on the two
//! Connect webhooks that matter (`account.application.deauthorized`, `charge.dispute.created`).
//!
//! **Query, don't execute.** The API transport only sends GET; the only POSTs go to the OAuth
//! endpoints on the Connect host. Nothing here can move money or change a financial object.
//!
//! Depend on it by `git` or `path` (it is not on crates.io) and run it inside a Tokio runtime: see
//! the [`guide`] (`docs/rust.md`), which starts with both.
//!
//! ```no_run
//! use stripe_connect::{AppSlug, Config, PaymentOptions, StripeConnect};
//!
//! # async fn run(body: &[u8], header: Option<&str>) -> Result<(), stripe_connect::Error> {
//! let client = StripeConnect::new(Config::from_env()?);
//! let outcome = client.handle_webhook(body, header).await?;
//! println!("{outcome:?}");
//!
//! // Queries live on an account handle: `client.account(&id)`, or the account an app connected.
//! let helpdesk = client.app(&AppSlug::parse("helpdesk")?).await?;
//! let history = helpdesk.payment_history("jenny.rosen@example.com", PaymentOptions::default()).await?;
//! let disputes = helpdesk.disputes("jenny.rosen@example.com").await?;
//! println!("{} payments, {} disputes", history.payments.len(), disputes.disputes.len());
//! # Ok(()) }
//! ```
//!
//! Every error has a stable [`Error::code`]; secrets print as `[redacted]`.
//!
//! Connecting an app is [`StripeConnect::authorize_url`] then [`StripeConnect::handle_callback`].
//! The OAuth API has no routes: **deciding who may connect an app is the caller's job**, done
//! before `authorize_url` (its docs show how). A callback that switches an app to a different
//! account reports it in [`Connected::replaced_account_id`].

mod api;
mod cache;
mod client;
mod config;
mod dispute;
mod error;
mod fraud_warning;
mod http;
mod ids;
mod oauth;
mod queries;
mod quote;
mod secret;
mod signature;
mod store;
mod tools;
mod webhooks;

#[cfg(feature = "node")]
pub mod node;

/// The Rust guide (`docs/rust.md` in the repository): handling webhooks, connecting an app, looking
/// up a customer. It lives here so that `cargo test` compiles its examples.
#[cfg(any(doc, doctest))]
#[doc = include_str!("../docs/rust.md")]
pub mod guide {}

// The README's Rust example is compiled too.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use api::{ApiTransport, GetRequest, RawResponse, ReqwestTransport, TransportError, TransportErrorKind};
pub use client::{StripeConnect, StripeConnectBuilder};
pub use config::{
    AccountHeader, Config, ConfigBuilder, ConnectEnv, Scope, Tolerance, DEFAULT_API_BASE, DEFAULT_CACHE_MAX_ENTRIES,
    DEFAULT_CACHE_TTL, DEFAULT_CONNECT_BASE, DEFAULT_STATE_TTL, DEFAULT_WEBHOOK_TIMEOUT, STRIPE_VERSION,
};
pub use error::{
    ConfigError, Direction, Error, ErrorCode, Hint, OAuthError, OAuthErrorKind, StoreError, StripeError,
    StripeErrorKind, WebhookError, ERROR_CODES,
};
pub use fraud_warning::EarlyFraudWarning;
pub use http::USER_AGENT;
pub use ids::{AccountId, AppSlug, ChargeId, ClientId, CustomerId, DisputeId, PaymentIntentId, RefundId, StripeAppId};
pub use oauth::{
    AuthorizeUrl, CallbackQuery, Connected, DisconnectResult, InstallQuery, InstallUrl, Prefill, STRIPE_APP_SCOPE,
};
pub use queries::{
    explain_decline, AccessCheck, AccessReport, Account, AppContext, AppFailure, BillingTimeline, Capability,
    ChargeDetails, Customer, CustomerContext, CustomerMatches, DeclineReason, Dispute, Disputes, DisputesOf,
    EarlyFraudWarnings, FailedPayment, FailedPayments, FraudWarningsOf, Invoice, InvoicePayment, Invoices, InvoicesOf,
    ListOptions, Payment, PaymentHistory, PaymentOptions, Refund, Refunds, RefundsOf, RetryAdvice, SearchFallback,
    Subscription, SubscriptionStatus, SubscriptionsOf, TimelineEntry, DEFAULT_PAYMENT_LIMIT, MAX_PAYMENT_LIMIT,
};
pub use secret::{SecretKey, StateSecret, StripeAppSecret, WebhookSecret};
pub use store::{
    ClaimState, ClaimStore, Clock, Connection, ConnectionStore, DisputeAlert, DisputeSink, Fence, FraudWarningAlert,
    LeaseToken, ManualClock, MemoryClaimStore, MemoryConnectionStore, MemoryDisputeSink, SystemClock,
};
pub use tools::{
    currency_decimals, definitions as tool_definitions, format_amount, Discrepancy, ToolDefinition, ToolError,
    ToolResult, ToolScope, DEFAULT_TOOL_LIST_LIMIT, MAX_TOOL_LIST_LIMIT, MAX_TOOL_RESULT_BYTES, MAX_TOOL_TEXT,
};
pub use webhooks::{
    check_event_rules, construct_event, generate_test_header, parse_event, validate_event, verify_signature,
    DeauthorizedApplication, DisputeCreated, Event, EventKind, IgnoreReason, WebhookOutcome, DISPUTE_CUSTOMER_BUDGET,
    EVENT_CLAIM_TTL,
};
