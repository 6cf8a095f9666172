//! Whose subscriptions or disputes a caller asks for: every customer with an email, or one id.
//! Callers that take the two as optional fields (the Node binding's `{ email } | { customerId }`)
//! get the "exactly one of" rule here, with the id checked before anything is sent.

use crate::client::StripeConnect;
use crate::error::Error;
use crate::ids::{AccountId, ChargeId, CustomerId};

use super::{Disputes, SubscriptionStatus};

/// The customers whose subscriptions [`StripeConnect::subscription_status`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionsOf {
    /// Every customer with this email, in any letter case.
    Email(String),
    Customer(CustomerId),
}

/// The charges whose disputes [`StripeConnect::disputes`] reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputesOf {
    /// The charges of every customer with this email.
    Email(String),
    Charge(ChargeId),
}

impl SubscriptionsOf {
    /// Exactly one of `email` or `customer_id` (`invalid_input` for both or neither, or a bad id).
    pub fn one_of(email: Option<String>, customer_id: Option<String>) -> Result<Self, Error> {
        match one_of(("email", email), ("customerId", customer_id))? {
            Ok(email) => Ok(Self::Email(email)),
            Err(id) => Ok(Self::Customer(CustomerId::parse(id)?)),
        }
    }
}

impl DisputesOf {
    /// Exactly one of `email` or `charge_id` (`invalid_input` for both or neither, or a bad id).
    pub fn one_of(email: Option<String>, charge_id: Option<String>) -> Result<Self, Error> {
        match one_of(("email", email), ("chargeId", charge_id))? {
            Ok(email) => Ok(Self::Email(email)),
            Err(id) => Ok(Self::Charge(ChargeId::parse(id)?)),
        }
    }
}

/// `Ok(a)` or `Err(b)`, whichever one was given. The names are the options' names as the caller
/// spells them, for the error message.
fn one_of(
    (a_name, a): (&str, Option<String>),
    (b_name, b): (&str, Option<String>),
) -> Result<Result<String, String>, Error> {
    match (a, b) {
        (Some(a), None) => Ok(Ok(a)),
        (None, Some(b)) => Ok(Err(b)),
        (Some(_), Some(_)) => Err(Error::invalid_input(a_name, format!("give {a_name} or {b_name}, not both"))),
        (None, None) => Err(Error::invalid_input(a_name, format!("one of {a_name} or {b_name} is required"))),
    }
}

impl StripeConnect {
    /// Every subscription, any status, newest first, of every customer with an email or of one
    /// customer (whose `customer_ids` is then just that id).
    pub async fn subscription_status(
        &self,
        account: &AccountId,
        of: &SubscriptionsOf,
    ) -> Result<SubscriptionStatus, Error> {
        match of {
            SubscriptionsOf::Email(email) => self.subscriptions_by_email(account, email).await,
            SubscriptionsOf::Customer(customer) => {
                let fetched_at = self.now();
                Ok(SubscriptionStatus {
                    customer_ids: vec![customer.as_str().to_string()],
                    subscriptions: self.subscriptions_for_customer(account, customer).await?,
                    search_fallback: None,
                    fetched_at,
                })
            }
        }
    }

    /// The disputes, newest first, on the charges of every customer with an email or of one charge.
    pub async fn disputes(&self, account: &AccountId, of: &DisputesOf) -> Result<Disputes, Error> {
        match of {
            DisputesOf::Email(email) => self.disputes_for_email(account, email).await,
            DisputesOf::Charge(charge) => {
                let fetched_at = self.now();
                let disputes = self.disputes_for_charge(account, charge).await?;
                Ok(Disputes { disputes, search_fallback: None, fetched_at })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(r: Result<T, Error>) -> &'static str {
        r.err().map_or("ok", |e| e.code().as_str())
    }

    #[test]
    fn exactly_one_of_email_or_id() {
        assert_eq!(
            SubscriptionsOf::one_of(Some("a@b.c".into()), None).unwrap(),
            SubscriptionsOf::Email("a@b.c".into())
        );
        assert_eq!(
            SubscriptionsOf::one_of(None, Some("cus_123".into())).unwrap(),
            SubscriptionsOf::Customer(CustomerId::parse("cus_123").unwrap())
        );
        assert_eq!(code(SubscriptionsOf::one_of(Some("a@b.c".into()), Some("cus_123".into()))), "invalid_input");
        assert_eq!(code(SubscriptionsOf::one_of(None, None)), "invalid_input");
        assert_eq!(code(SubscriptionsOf::one_of(None, Some("ch_123".into()))), "invalid_input");
        assert_eq!(
            DisputesOf::one_of(None, Some("ch_123".into())).unwrap(),
            DisputesOf::Charge(ChargeId::parse("ch_123").unwrap())
        );
        assert_eq!(code(DisputesOf::one_of(Some("a@b.c".into()), Some("ch_123".into()))), "invalid_input");
        assert_eq!(code(DisputesOf::one_of(None, None)), "invalid_input");
        assert_eq!(code(DisputesOf::one_of(None, Some("../charges".into()))), "invalid_input");
    }
}
