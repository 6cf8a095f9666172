//! The one early-fraud-warning type: what a `radar.early_fraud_warning.created` alert carries and
//! what the queries return, read from Stripe's `radar.early_fraud_warning` object by one tolerant
//! wire struct (<https://docs.stripe.com/api/radar/early_fraud_warnings/object>).
//!
//! An early fraud warning is the card issuer's notice that a charge looks fraudulent; a dispute
//! often follows (<https://docs.stripe.com/disputes/measuring#early-fraud-warnings>). Like
//! [`crate::dispute`], it sits below both `queries`/`store` and `webhooks`.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::ids::expandable_id;

/// A Radar early fraud warning (`issfr_…`). Times in Unix seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "EarlyFraudWarning", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct EarlyFraudWarning {
    pub id: String,
    /// `ch_…`: the charge the warning is about.
    pub charge_id: Option<String>,
    /// `pi_…`, when the charge came from a PaymentIntent.
    pub payment_intent_id: Option<String>,
    /// `made_with_stolen_card`, `unauthorized_use_of_card`, … (a type Stripe adds later stays a string).
    pub fraud_type: String,
    /// Stripe: "An EFW is actionable if it has not received a dispute and has not been fully
    /// refunded" — a refund now may avoid a dispute later.
    pub actionable: bool,
    pub created: i64,
}

/// Stripe's `radar.early_fraud_warning` as sent, by the API and inside the event. Expandable
/// fields are an id or an expanded object.
#[derive(Debug, Deserialize)]
pub(crate) struct WireEarlyFraudWarning {
    pub id: String,
    #[serde(default)]
    pub charge: Option<Value>,
    #[serde(default)]
    pub payment_intent: Option<Value>,
    pub fraud_type: String,
    #[serde(default)]
    pub actionable: bool,
    pub created: i64,
}

impl From<WireEarlyFraudWarning> for EarlyFraudWarning {
    fn from(w: WireEarlyFraudWarning) -> Self {
        EarlyFraudWarning {
            charge_id: expandable_id(&w.charge),
            payment_intent_id: expandable_id(&w.payment_intent),
            id: w.id,
            fraud_type: w.fraud_type,
            actionable: w.actionable,
            created: w.created,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_stripes_object_with_ids_or_expanded_objects_and_new_fraud_types() {
        let w: WireEarlyFraudWarning = serde_json::from_value(serde_json::json!({
            "id": "issfr_1", "object": "radar.early_fraud_warning", "actionable": true,
            "charge": {"id": "ch_1", "object": "charge"}, "payment_intent": "pi_1",
            "created": 1_700_000_000, "fraud_type": "a_type_from_2030", "livemode": false, "new_field": [1]
        }))
        .unwrap();
        assert_eq!(
            EarlyFraudWarning::from(w),
            EarlyFraudWarning {
                id: "issfr_1".into(),
                charge_id: Some("ch_1".into()),
                payment_intent_id: Some("pi_1".into()),
                fraud_type: "a_type_from_2030".into(),
                actionable: true,
                created: 1_700_000_000,
            }
        );
        let missing: Result<WireEarlyFraudWarning, _> =
            serde_json::from_value(serde_json::json!({"id": "issfr_2", "charge": "ch_2", "created": 1}));
        assert!(missing.unwrap_err().to_string().contains("fraud_type"));
    }
}
