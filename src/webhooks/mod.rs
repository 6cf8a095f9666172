//! Stripe webhooks: signature verification (pure), typed events, and the handler that dedupes and
//! acts through the stores.

mod customer;
mod event;
mod handler;
mod shape;

#[cfg(feature = "node")]
pub(crate) use crate::signature::check_secrets;
pub use crate::signature::{generate_test_header, verify_signature};
pub use customer::DISPUTE_CUSTOMER_BUDGET;
pub use event::{
    check_event_rules, parse_event, validate_event, DeauthorizedApplication, DisputeCreated, Event, EventKind,
};
pub use handler::{IgnoreReason, WebhookOutcome, EVENT_CLAIM_TTL};

use crate::config::Tolerance;
use crate::error::WebhookError;
use crate::secret::WebhookSecret;

/// Verify `header` over the raw `payload` and parse the event: the Rust twin of
/// `stripe.webhooks.constructEvent`, with `now` injected.
pub fn construct_event(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[WebhookSecret],
    tolerance: Tolerance,
    now: i64,
) -> Result<Event, WebhookError> {
    verify_signature(payload, header, secrets, tolerance, now)?;
    parse_event(payload)
}

/// Verify `header` over the raw `payload` and apply the event rules, without parsing the body:
/// for the Node `constructEvent`, whose `JSON.parse` follows (and rejects what is not JSON).
#[cfg(feature = "node")]
pub(crate) fn verify_event_rules(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[WebhookSecret],
    tolerance: Tolerance,
    now: i64,
) -> Result<i64, WebhookError> {
    let timestamp = verify_signature(payload, header, secrets, tolerance, now)?;
    shape::check(payload)?;
    Ok(timestamp)
}
