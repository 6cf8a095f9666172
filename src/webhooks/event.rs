//! Typed Stripe events: the Connect events that matter, and everything else passed through.
//!
//! Unknown fields and new enum values never fail parsing: statuses and reasons stay strings.

use std::borrow::Cow;

use serde::de::IgnoredAny;
use serde::Deserialize;
use serde_json::Value;

use super::shape;
use crate::dispute::{Dispute, WireDispute};
use crate::error::WebhookError;
use crate::fraud_warning::{EarlyFraudWarning, WireEarlyFraudWarning};

/// A verified Stripe event.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Event {
    pub id: String,
    /// `type`, e.g. `charge.dispute.created`.
    pub event_type: String,
    /// The connected account for Connect events (top-level `account`).
    pub account: Option<String>,
    pub livemode: bool,
    pub created: i64,
    pub api_version: Option<String>,
    /// `data.object` as sent.
    pub data_object: Value,
    pub kind: EventKind,
}

/// What the event means to this library.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum EventKind {
    /// `account.application.deauthorized`: the account in `Event::account` disconnected the platform.
    ApplicationDeauthorized(DeauthorizedApplication),
    /// `charge.dispute.created`.
    DisputeCreated(DisputeCreated),
    /// `radar.early_fraud_warning.created`: the card issuer reported a charge as likely fraud.
    EarlyFraudWarningCreated(EarlyFraudWarning),
    /// Any other event type.
    Other,
}

/// `data.object` of `account.application.deauthorized`: the platform's application.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, Deserialize)]
pub struct DeauthorizedApplication {
    /// `ca_…`
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
}

/// `charge.dispute.created`'s dispute: the one [`Dispute`] type the queries also return.
pub type DisputeCreated = Dispute;

fn invalid(reason: impl Into<String>) -> WebhookError {
    WebhookError::InvalidPayload { reason: reason.into() }
}

/// The JSON-validity check that follows the rules (which skip what they do not read).
fn whole_json(payload: &[u8]) -> Result<(), WebhookError> {
    serde_json::from_slice::<IgnoredAny>(payload).map(drop).map_err(|e| invalid(format!("not valid JSON: {e}")))
}

/// Parse a (verified) body as a Stripe event. A body that breaks the event rules is
/// `webhook_invalid_payload`, or `webhook_thin_event` for an object other than `"event"`; then a
/// body that is not JSON is `webhook_invalid_payload`. The rules are the ones the Node
/// `constructEvent` applies (`src/webhooks/shape.rs`), on the same bytes, before its `JSON.parse`.
pub fn parse_event(payload: &[u8]) -> Result<Event, WebhookError> {
    let shape = shape::check(payload)?;
    whole_json(payload)?;
    let data_object: Value = serde_json::from_slice(shape.data_object).map_err(|e| invalid(e.to_string()))?;
    // The rules admitted these objects, so reading them cannot fail; an error here is still
    // reported, never a panic.
    let kind = match shape.event_type.as_ref() {
        shape::APPLICATION_DEAUTHORIZED => EventKind::ApplicationDeauthorized(
            DeauthorizedApplication::deserialize(&data_object).map_err(|e| invalid(e.to_string()))?,
        ),
        shape::DISPUTE_CREATED => EventKind::DisputeCreated(Dispute::from(
            WireDispute::deserialize(&data_object).map_err(|e| invalid(e.to_string()))?,
        )),
        shape::EARLY_FRAUD_WARNING_CREATED => EventKind::EarlyFraudWarningCreated(EarlyFraudWarning::from(
            WireEarlyFraudWarning::deserialize(&data_object).map_err(|e| {
                invalid(format!(
                    "{}: data.object is not an early fraud warning: {e}",
                    shape::EARLY_FRAUD_WARNING_CREATED
                ))
            })?,
        )),
        _ => EventKind::Other,
    };
    Ok(Event {
        id: shape.id.into_owned(),
        event_type: shape.event_type.into_owned(),
        account: shape.account.map(Cow::into_owned),
        livemode: shape.livemode,
        created: shape.created,
        api_version: shape.api_version.map(Cow::into_owned),
        data_object,
        kind,
    })
}

/// The event rules alone, over the bytes (`src/webhooks/shape.rs`): what the Node `constructEvent`
/// runs before its `JSON.parse`. Values the rules do not read are skipped, not validated: a caller
/// must still parse the body with a strict JSON parser (or call [`validate_event`]).
pub fn check_event_rules(payload: &[u8]) -> Result<(), WebhookError> {
    shape::check(payload).map(drop)
}

/// The checks of [`parse_event`] without building the event: the event rules, then JSON validity.
pub fn validate_event(payload: &[u8]) -> Result<(), WebhookError> {
    shape::check(payload)?;
    whole_json(payload)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(kind: &str, object: Value) -> Vec<u8> {
        serde_json::to_vec_pretty(&serde_json::json!({
            "id": "evt_1", "object": "event", "type": kind, "account": "acct_1", "livemode": true,
            "created": 1_700_000_000, "api_version": "2026-10-28.endive", "brand_new_field": {"x": 1},
            "data": {"object": object}
        }))
        .unwrap()
    }

    #[test]
    fn dispute_created_fields() {
        let e = parse_event(&event(
            "charge.dispute.created",
            serde_json::json!({"id": "dp_1", "object": "dispute", "amount": 1000, "currency": "usd", "charge": "ch_1",
                "payment_intent": null, "reason": "a_reason_from_2030", "status": "needs_response",
                "evidence_details": {"due_by": 1_700_500_000, "has_evidence": false},
                "is_charge_refundable": true, "created": 1_700_000_000, "unknown": [1, 2]}),
        ))
        .unwrap();
        let EventKind::DisputeCreated(d) = e.kind else { panic!("{:?}", e.kind) };
        assert_eq!((d.id.as_str(), d.amount, d.currency.as_str()), ("dp_1", 1000, "usd"));
        assert_eq!(d.charge_id.as_deref(), Some("ch_1"));
        assert_eq!(d.payment_intent_id, None);
        assert_eq!(d.reason.as_deref(), Some("a_reason_from_2030"));
        assert_eq!(d.evidence_due_by, Some(1_700_500_000));
        assert!(d.is_charge_refundable);
        assert_eq!(e.account.as_deref(), Some("acct_1"));
        assert!(e.livemode);
    }

    #[test]
    fn early_fraud_warning_created_reads_the_warning_and_refuses_a_broken_one() {
        let e = parse_event(&event(
            "radar.early_fraud_warning.created",
            serde_json::json!({"id": "issfr_1", "object": "radar.early_fraud_warning", "actionable": true,
                "charge": "ch_1", "payment_intent": "pi_1", "created": 1_700_000_000,
                "fraud_type": "made_with_stolen_card", "livemode": true}),
        ))
        .unwrap();
        let EventKind::EarlyFraudWarningCreated(w) = e.kind else { panic!("{:?}", e.kind) };
        assert_eq!((w.id.as_str(), w.charge_id.as_deref(), w.actionable), ("issfr_1", Some("ch_1"), true));
        let broken = parse_event(&event(
            "radar.early_fraud_warning.created",
            serde_json::json!({"id": "issfr_2", "object": "radar.early_fraud_warning", "charge": "ch_1", "created": 1}),
        ))
        .unwrap_err();
        assert_eq!(broken.code(), crate::ErrorCode::WebhookInvalidPayload);
        assert!(broken.to_string().contains("not an early fraud warning"), "{broken}");
    }

    #[test]
    fn deauthorized_reads_the_application() {
        let e = parse_event(&event(
            "account.application.deauthorized",
            serde_json::json!({"id": "ca_1", "object": "application", "name": "Support"}),
        ))
        .unwrap();
        assert_eq!(
            e.kind,
            EventKind::ApplicationDeauthorized(DeauthorizedApplication {
                id: "ca_1".into(),
                name: Some("Support".into())
            })
        );
    }

    #[test]
    fn other_types_pass_through() {
        let e = parse_event(&event("customer.created", serde_json::json!({"id": "cus_1"}))).unwrap();
        assert_eq!(e.kind, EventKind::Other);
        assert_eq!(e.event_type, "customer.created");
        assert_eq!(e.data_object["id"], "cus_1");
    }

    #[test]
    fn rejects_what_stripe_does_not_send() {
        let code = |b: &[u8]| parse_event(b).unwrap_err().code();
        assert_eq!(code(b"not json"), "webhook_invalid_payload");
        assert_eq!(code(b"{\"id\": \"evt_1\""), "webhook_invalid_payload");
        assert_eq!(code(b"[1,2]"), "webhook_invalid_payload");
        assert_eq!(code(b"{\"id\":\"evt_1\",\"type\":\"x\",\"data\":{\"object\":{}}}"), "webhook_invalid_payload");
        assert_eq!(
            code(br#"{"id":"evt_1","object":"v2.core.event","type":"v1.billing.meter.error_report_triggered"}"#),
            "webhook_thin_event"
        );
        assert_eq!(code(br#"{"id":"evt_1","object":"event","type":"x"}"#), "webhook_invalid_payload");
        assert_eq!(code(br#"{"id":7,"object":"event","type":"x","data":{"object":{}}}"#), "webhook_invalid_payload");
        // A dispute event whose object is not a dispute.
        assert_eq!(
            code(&event("charge.dispute.created", serde_json::json!({"id": "dp_1"}))),
            "webhook_invalid_payload"
        );
    }

    #[test]
    fn validate_event_agrees_with_parse_event() {
        let bodies: Vec<Vec<u8>> = vec![
            b"not json".to_vec(),
            b"[1,2]".to_vec(),
            b"{\"id\": \"evt_1\"".to_vec(),
            br#"{"id":"evt_1","object":"v2.core.event","type":"x"}"#.to_vec(),
            br#"{"id":"evt_1","object":"event","type":"x"}"#.to_vec(),
            br#"{"id":7,"object":"event","type":"x","data":{"object":{}}}"#.to_vec(),
            event("charge.dispute.created", serde_json::json!({"id": "dp_1"})),
            event("customer.created", serde_json::json!({"id": "cus_1", "nested": {"a": [1, "\u{e9}"]}})),
            event("account.application.deauthorized", serde_json::json!({"id": "ca_1", "name": "x"})),
        ];
        for b in bodies {
            // Same outcome and code (positions in messages may differ).
            let parsed = parse_event(&b).map(drop).map_err(|e| e.code());
            assert_eq!(validate_event(&b).map_err(|e| e.code()), parsed, "{}", String::from_utf8_lossy(&b));
        }
    }
}
