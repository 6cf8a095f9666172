//! Who a dispute is about. The support app finds the conversation to flag by customer email and
//! app, and a dispute event names only the charge: so the handler reads the disputed charge with
//! its customer expanded (one GET), within a time budget, before alerting. Best effort: when that
//! read fails or finds no email, the alert still goes out and says why the customer is unknown.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::client::StripeConnect;
use crate::ids::{shorten, AccountId, ChargeId};

/// The most the customer read may take of a webhook delivery, so the sink still has time.
pub const DISPUTE_CUSTOMER_BUDGET: Duration = Duration::from_secs(5);

/// What the alert learns about the disputed charge's customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct DisputeCustomer {
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub charge_description: Option<String>,
    /// Set when `customer_email` is unknown: why.
    pub unknown_reason: Option<String>,
}

impl DisputeCustomer {
    fn unknown(reason: impl Into<String>) -> Self {
        DisputeCustomer { unknown_reason: Some(reason.into()), ..Default::default() }
    }
}

#[derive(Debug, Deserialize)]
struct WireCharge {
    #[serde(default)]
    customer: Option<Value>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    receipt_email: Option<String>,
    #[serde(default)]
    billing_details: Option<WireBillingDetails>,
}

#[derive(Debug, Deserialize)]
struct WireBillingDetails {
    #[serde(default)]
    email: Option<String>,
}

/// The customer of a charge read with `expand[]=customer`: its email, else the charge's receipt
/// or billing email (a guest checkout has no customer object but often an email).
fn from_charge(charge: WireCharge) -> DisputeCustomer {
    let (customer_id, customer_email, deleted) = match &charge.customer {
        Some(Value::Object(c)) => (
            c.get("id").and_then(Value::as_str).map(str::to_string),
            c.get("email").and_then(Value::as_str).filter(|e| !e.is_empty()).map(str::to_string),
            c.get("deleted").and_then(Value::as_bool).unwrap_or(false),
        ),
        Some(Value::String(id)) => (Some(id.clone()), None, false),
        _ => (None, None, false),
    };
    let fallback = charge
        .receipt_email
        .filter(|e| !e.is_empty())
        .or_else(|| charge.billing_details.and_then(|b| b.email).filter(|e| !e.is_empty()));
    let email = customer_email.or(fallback);
    let unknown_reason = match (&email, &customer_id) {
        (Some(_), _) => None,
        (None, None) => Some("the disputed charge has no customer and no receipt or billing email".to_string()),
        (None, Some(id)) if deleted => Some(format!("the disputed charge's customer {id} was deleted")),
        (None, Some(id)) => Some(format!("the disputed charge's customer {id} has no email")),
    };
    DisputeCustomer { customer_id, customer_email: email, charge_description: charge.description, unknown_reason }
}

impl StripeConnect {
    /// The disputed charge's customer on `account`, read within `budget`. Never fails: what went
    /// wrong is the `unknown_reason`.
    pub(crate) async fn dispute_customer(
        &self,
        account: Option<&AccountId>,
        charge: Option<&str>,
        budget: Duration,
    ) -> DisputeCustomer {
        let Some(account) = account else {
            return DisputeCustomer::unknown("the event names no connected account, so no charge was read");
        };
        let Some(charge) = charge else {
            return DisputeCustomer::unknown("the dispute names no charge");
        };
        let charge = match ChargeId::parse(charge) {
            Ok(c) => c,
            Err(_) => {
                return DisputeCustomer::unknown(format!(
                    "the dispute's charge {:?} is not a charge id",
                    shorten(charge)
                ))
            }
        };
        let api = self.api(account);
        let path = ["v1", "charges", charge.as_str()];
        let read = api.get::<WireCharge>(&path, vec![("expand[]", "customer".to_string())]);
        match tokio::time::timeout(budget, read).await {
            Ok(Ok(c)) => from_charge(c),
            Ok(Err(e)) => DisputeCustomer::unknown(format!("reading charge {charge} failed ({}): {e}", e.code())),
            Err(_) => DisputeCustomer::unknown(format!("reading charge {charge} took longer than {budget:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> DisputeCustomer {
        from_charge(serde_json::from_value(v).unwrap())
    }

    #[test]
    fn email_from_the_customer_then_the_receipt_then_billing() {
        let c = read(json!({"customer": {"id": "cus_1", "email": "jane@example.com"}, "description": "Pro",
            "receipt_email": "other@example.com"}));
        assert_eq!(
            c,
            DisputeCustomer {
                customer_id: Some("cus_1".into()),
                customer_email: Some("jane@example.com".into()),
                charge_description: Some("Pro".into()),
                unknown_reason: None
            }
        );
        let guest =
            read(json!({"customer": null, "receipt_email": null, "billing_details": {"email": "g@example.com"}}));
        assert_eq!((guest.customer_id, guest.customer_email.as_deref()), (None, Some("g@example.com")));
        let none = read(json!({"customer": null}));
        assert_eq!(
            none.unknown_reason.as_deref(),
            Some("the disputed charge has no customer and no receipt or billing email")
        );
        let deleted = read(json!({"customer": {"id": "cus_2", "object": "customer", "deleted": true}}));
        assert_eq!(deleted.unknown_reason.as_deref(), Some("the disputed charge's customer cus_2 was deleted"));
        let no_email = read(json!({"customer": {"id": "cus_3", "email": null}}));
        assert!(no_email.unknown_reason.unwrap().contains("cus_3 has no email"));
    }
}
