//! The one dispute type: what the queries return and what a `charge.dispute.created` alert
//! carries, read from Stripe's dispute object by one tolerant wire struct.
//!
//! It sits below both `queries`/`store` and `webhooks`, so neither imports the other for it.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::expandable_id;

/// A Stripe dispute (`dp_…`). Amounts in the minor unit of `currency`, times in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "Dispute", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct Dispute {
    pub id: String,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    /// `ch_…` (Stripe documents it as always present; kept optional so a variant never fails).
    pub charge_id: Option<String>,
    /// `pi_…`, when the charge came from a PaymentIntent.
    pub payment_intent_id: Option<String>,
    /// `fraudulent`, `product_not_received`, … (a reason Stripe adds later stays a string).
    pub reason: Option<String>,
    pub status: String,
    /// `evidence_details.due_by`.
    pub evidence_due_by: Option<i64>,
    pub is_charge_refundable: bool,
    pub created: i64,
}

impl Dispute {
    /// Still needs attention: not `won`, `lost`, `warning_closed` or `prevented` (Stripe blocked or
    /// resolved it before it became a chargeback:
    /// <https://docs.stripe.com/changelog/basil/2025-08-27/add-preventions-to-dispute>). A status
    /// Stripe adds later counts as open, so it is shown rather than hidden.
    pub fn is_open(&self) -> bool {
        !matches!(self.status.as_str(), "won" | "lost" | "warning_closed" | "prevented")
    }
}

/// Stripe's dispute object as sent, by the API and inside `charge.dispute.created`. Only what
/// every dispute has is required; expandable fields are an id or an expanded object.
#[derive(Debug, Deserialize)]
pub(crate) struct WireDispute {
    pub id: String,
    pub amount: i64,
    pub currency: String,
    #[serde(default)]
    pub charge: Option<Value>,
    #[serde(default)]
    pub payment_intent: Option<Value>,
    #[serde(default)]
    pub reason: Option<String>,
    pub status: String,
    #[serde(default)]
    pub evidence_details: Option<WireEvidenceDetails>,
    #[serde(default)]
    pub is_charge_refundable: bool,
    pub created: i64,
}

#[derive(Debug, Deserialize)]
pub(crate) struct WireEvidenceDetails {
    #[serde(default)]
    pub due_by: Option<i64>,
}

impl From<WireDispute> for Dispute {
    fn from(d: WireDispute) -> Self {
        Dispute {
            charge_id: expandable_id(&d.charge),
            payment_intent_id: expandable_id(&d.payment_intent),
            evidence_due_by: d.evidence_details.and_then(|e| e.due_by),
            id: d.id,
            amount: d.amount,
            currency: d.currency,
            reason: d.reason,
            status: d.status,
            is_charge_refundable: d.is_charge_refundable,
            created: d.created,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stripe_disputes_with_ids_or_expanded_objects() {
        let wire: WireDispute = serde_json::from_value(serde_json::json!({
            "id": "dp_1", "object": "dispute", "amount": 1000, "currency": "usd",
            "charge": {"id": "ch_1", "object": "charge"}, "payment_intent": "pi_1", "reason": "a_reason_from_2030",
            "status": "needs_response", "evidence_details": {"due_by": 1_700_500_000, "has_evidence": false},
            "created": 1_700_000_000, "unknown": [1, 2]
        }))
        .unwrap();
        let d = Dispute::from(wire);
        assert_eq!(d.charge_id.as_deref(), Some("ch_1"));
        assert_eq!(d.payment_intent_id.as_deref(), Some("pi_1"));
        assert_eq!(d.reason.as_deref(), Some("a_reason_from_2030"));
        assert_eq!(d.evidence_due_by, Some(1_700_500_000));
        assert!(!d.is_charge_refundable, "absent means false");
        assert!(d.is_open());
        let closed = Dispute { status: "won".into(), ..d.clone() };
        assert!(!closed.is_open());
        // 2025-08-27.basil: Stripe stopped the chargeback before it was filed: nothing to answer.
        let prevented = Dispute { status: "prevented".into(), ..d.clone() };
        assert!(!prevented.is_open());
        let unknown = Dispute { status: "a_status_from_2031".into(), ..d };
        assert!(unknown.is_open(), "an unknown status is shown, not hidden");
    }
}
