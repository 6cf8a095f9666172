//! Who a dispute or an early fraud warning is about. The support app finds the conversation to
//! flag by customer email and app, and these events name only the charge: so the handler reads the
//! charge with its customer expanded (one GET), within a time budget, before alerting. Best effort:
//! when that read fails or finds no email, the alert still goes out and says why the customer is
//! unknown.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::client::StripeConnect;
use crate::ids::{shorten, AccountId, ChargeId};

/// The most the customer read may take of a webhook delivery, so the sink still has time (for
/// early fraud warnings too).
pub const DISPUTE_CUSTOMER_BUDGET: Duration = Duration::from_secs(5);

/// What the alert learns about the charge (disputed or flagged) and its customer.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct ChargeCustomer {
    /// The charge's amount and currency (an early fraud warning does not carry them).
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer_id: Option<String>,
    pub customer_email: Option<String>,
    pub charge_description: Option<String>,
    /// Set when `customer_email` is unknown: why.
    pub unknown_reason: Option<String>,
}

impl ChargeCustomer {
    fn unknown(reason: impl Into<String>) -> Self {
        ChargeCustomer { unknown_reason: Some(reason.into()), ..Default::default() }
    }
}

#[derive(Debug, Deserialize)]
struct WireCharge {
    #[serde(default)]
    amount: Option<i64>,
    #[serde(default)]
    currency: Option<String>,
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
fn from_charge(charge: WireCharge, which: &str) -> ChargeCustomer {
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
        (None, None) => Some(format!("the {which} charge has no customer and no receipt or billing email")),
        (None, Some(id)) if deleted => Some(format!("the {which} charge's customer {id} was deleted")),
        (None, Some(id)) => Some(format!("the {which} charge's customer {id} has no email")),
    };
    ChargeCustomer {
        amount: charge.amount,
        currency: charge.currency,
        customer_id,
        customer_email: email,
        charge_description: charge.description,
        unknown_reason,
    }
}

/// What an alert is about: it names the charge in the reasons.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Subject {
    Dispute,
    FraudWarning,
}

impl StripeConnect {
    /// The charge of `subject` and its customer on `account`, read within `budget`. Never fails:
    /// what went wrong is the `unknown_reason`.
    pub(crate) async fn charge_customer(
        &self,
        account: Option<&AccountId>,
        charge: Option<&str>,
        subject: Subject,
        budget: Duration,
    ) -> ChargeCustomer {
        let (event, which) = match subject {
            Subject::Dispute => ("dispute", "disputed"),
            Subject::FraudWarning => ("early fraud warning", "flagged"),
        };
        let Some(account) = account else {
            return ChargeCustomer::unknown("the event names no connected account, so no charge was read");
        };
        let Some(charge) = charge else {
            return ChargeCustomer::unknown(format!("the {event} names no charge"));
        };
        let charge = match ChargeId::parse(charge) {
            Ok(c) => c,
            Err(_) => {
                return ChargeCustomer::unknown(format!(
                    "the {event}'s charge {:?} is not a charge id",
                    shorten(charge)
                ))
            }
        };
        let api = self.api(account);
        let path = ["v1", "charges", charge.as_str()];
        let read = api.get::<WireCharge>(&path, vec![("expand[]", "customer".to_string())]);
        match tokio::time::timeout(budget, read).await {
            Ok(Ok(c)) => from_charge(c, which),
            Ok(Err(e)) => ChargeCustomer::unknown(format!("reading charge {charge} failed ({}): {e}", e.code())),
            Err(_) => ChargeCustomer::unknown(format!("reading charge {charge} took longer than {budget:?}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(v: Value) -> ChargeCustomer {
        from_charge(serde_json::from_value(v).unwrap(), "disputed")
    }

    #[test]
    fn email_from_the_customer_then_the_receipt_then_billing() {
        let c = read(json!({"customer": {"id": "cus_1", "email": "jane@example.com"}, "description": "Pro",
            "receipt_email": "other@example.com", "amount": 4900, "currency": "usd"}));
        assert_eq!(
            c,
            ChargeCustomer {
                amount: Some(4900),
                currency: Some("usd".into()),
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
