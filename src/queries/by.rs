//! Whose subscriptions or disputes a caller asks for: every customer with an email, or one id.
//! Callers that take the two as optional fields (the Node binding's `{ email } | { customerId }`)
//! get the "exactly one of" rule here, with the id checked before anything is sent.

use crate::error::Error;
use crate::ids::{ChargeId, CustomerId, PaymentIntentId};

/// The customers whose subscriptions [`Account::subscription_status`](super::Account::subscription_status)
/// reads: an email (`From<&str>`) or a customer id (`From<CustomerId>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SubscriptionsOf {
    /// Every customer with this email, in any letter case.
    Email(String),
    Customer(CustomerId),
}

/// The charges whose disputes [`Account::disputes`](super::Account::disputes) reads: an email
/// (`From<&str>`) or a charge id (`From<ChargeId>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputesOf {
    /// The charges of every customer with this email.
    Email(String),
    Charge(ChargeId),
}

/// The customers whose invoices [`Account::invoices`](super::Account::invoices) reads: an email
/// (`From<&str>`) or a customer id (`From<CustomerId>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InvoicesOf {
    /// Every customer with this email, in any letter case.
    Email(String),
    Customer(CustomerId),
}

/// The payment whose refunds [`Account::refunds`](super::Account::refunds) lists: a charge
/// (`From<ChargeId>`) or a payment intent (`From<PaymentIntentId>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundsOf {
    Charge(ChargeId),
    PaymentIntent(PaymentIntentId),
}

/// Where [`Account::early_fraud_warnings`](super::Account::early_fraud_warnings) looks: the
/// charges of every customer with an email (`From<&str>`), one charge (`From<ChargeId>`) or one
/// payment intent (`From<PaymentIntentId>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FraudWarningsOf {
    /// The charges of every customer with this email.
    Email(String),
    Charge(ChargeId),
    PaymentIntent(PaymentIntentId),
}

impl InvoicesOf {
    /// Exactly one of `email` or `customer_id` (`invalid_input` for both or neither, or a bad id).
    pub fn one_of(email: Option<String>, customer_id: Option<String>) -> Result<Self, Error> {
        match one_of(("email", email), ("customerId", customer_id))? {
            Ok(email) => Ok(Self::Email(email)),
            Err(id) => Ok(Self::Customer(CustomerId::parse(id)?)),
        }
    }
}

impl RefundsOf {
    /// Exactly one of `charge_id` or `payment_intent_id` (`invalid_input` for both or neither, or
    /// a bad id).
    pub fn one_of(charge_id: Option<String>, payment_intent_id: Option<String>) -> Result<Self, Error> {
        match one_of(("chargeId", charge_id), ("paymentIntentId", payment_intent_id))? {
            Ok(id) => Ok(Self::Charge(ChargeId::parse(id)?)),
            Err(id) => Ok(Self::PaymentIntent(PaymentIntentId::parse(id)?)),
        }
    }
}

impl FraudWarningsOf {
    /// Exactly one of `email`, `charge_id` or `payment_intent_id` (`invalid_input` for none or
    /// several, or a bad id).
    pub fn one_of(
        email: Option<String>,
        charge_id: Option<String>,
        payment_intent_id: Option<String>,
    ) -> Result<Self, Error> {
        match (email, charge_id, payment_intent_id) {
            (Some(e), None, None) => Ok(Self::Email(e)),
            (None, Some(c), None) => Ok(Self::Charge(ChargeId::parse(c)?)),
            (None, None, Some(p)) => Ok(Self::PaymentIntent(PaymentIntentId::parse(p)?)),
            (None, None, None) => {
                Err(Error::invalid_input("email", "one of email, chargeId or paymentIntentId is required"))
            }
            _ => Err(Error::invalid_input("email", "give one of email, chargeId or paymentIntentId, not several")),
        }
    }
}

impl From<ChargeId> for RefundsOf {
    fn from(id: ChargeId) -> Self {
        Self::Charge(id)
    }
}
impl From<&ChargeId> for RefundsOf {
    fn from(id: &ChargeId) -> Self {
        Self::Charge(id.clone())
    }
}
impl From<PaymentIntentId> for RefundsOf {
    fn from(id: PaymentIntentId) -> Self {
        Self::PaymentIntent(id)
    }
}
impl From<&PaymentIntentId> for RefundsOf {
    fn from(id: &PaymentIntentId) -> Self {
        Self::PaymentIntent(id.clone())
    }
}
impl From<PaymentIntentId> for FraudWarningsOf {
    fn from(id: PaymentIntentId) -> Self {
        Self::PaymentIntent(id)
    }
}
impl From<&PaymentIntentId> for FraudWarningsOf {
    fn from(id: &PaymentIntentId) -> Self {
        Self::PaymentIntent(id.clone())
    }
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

/// `From` an email (`&str` or `String`, checked when the query runs) or an id, owned or borrowed.
macro_rules! email_or_id {
    ($of:ident, $variant:ident, $id:ty) => {
        impl From<&str> for $of {
            fn from(email: &str) -> Self {
                Self::Email(email.to_string())
            }
        }
        impl From<String> for $of {
            fn from(email: String) -> Self {
                Self::Email(email)
            }
        }
        impl From<$id> for $of {
            fn from(id: $id) -> Self {
                Self::$variant(id)
            }
        }
        impl From<&$id> for $of {
            fn from(id: &$id) -> Self {
                Self::$variant(id.clone())
            }
        }
    };
}
email_or_id!(SubscriptionsOf, Customer, CustomerId);
email_or_id!(DisputesOf, Charge, ChargeId);
email_or_id!(InvoicesOf, Customer, CustomerId);
email_or_id!(FraudWarningsOf, Charge, ChargeId);

#[cfg(test)]
mod tests {
    use super::*;

    fn code<T>(r: Result<T, Error>) -> &'static str {
        r.err().map_or("ok", |e| e.code().as_str())
    }

    #[test]
    fn an_email_is_a_str_and_an_id_is_its_type() {
        let cus = CustomerId::parse("cus_123").unwrap();
        assert_eq!(SubscriptionsOf::from("a@b.c"), SubscriptionsOf::Email("a@b.c".into()));
        assert_eq!(SubscriptionsOf::from(&cus), SubscriptionsOf::Customer(cus.clone()));
        assert_eq!(SubscriptionsOf::from(cus.clone()), SubscriptionsOf::Customer(cus));
        let ch = ChargeId::parse("ch_123").unwrap();
        assert_eq!(DisputesOf::from(String::from("a@b.c")), DisputesOf::Email("a@b.c".into()));
        assert_eq!(DisputesOf::from(&ch), DisputesOf::Charge(ch));
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
        assert_eq!(
            InvoicesOf::one_of(None, Some("cus_1".into())).unwrap(),
            InvoicesOf::Customer(CustomerId::parse("cus_1").unwrap())
        );
        assert_eq!(code(InvoicesOf::one_of(Some("a@b.c".into()), Some("cus_1".into()))), "invalid_input");
        assert_eq!(code(InvoicesOf::one_of(None, Some("ch_1".into()))), "invalid_input");
        let pi = PaymentIntentId::parse("pi_1").unwrap();
        assert_eq!(RefundsOf::one_of(None, Some("pi_1".into())).unwrap(), RefundsOf::from(&pi));
        assert_eq!(
            RefundsOf::one_of(Some("ch_1".into()), None).unwrap(),
            RefundsOf::from(ChargeId::parse("ch_1").unwrap())
        );
        assert_eq!(code(RefundsOf::one_of(Some("ch_1".into()), Some("pi_1".into()))), "invalid_input");
        assert_eq!(code(RefundsOf::one_of(None, None)), "invalid_input");
        assert_eq!(code(RefundsOf::one_of(None, Some("ch_1".into()))), "invalid_input");
        assert_eq!(FraudWarningsOf::one_of(None, None, Some("pi_1".into())).unwrap(), FraudWarningsOf::from(pi));
        assert_eq!(FraudWarningsOf::one_of(Some("a@b.c".into()), None, None).unwrap(), FraudWarningsOf::from("a@b.c"));
        assert_eq!(code(FraudWarningsOf::one_of(None, None, None)), "invalid_input");
        assert_eq!(code(FraudWarningsOf::one_of(Some("a@b.c".into()), Some("ch_1".into()), None)), "invalid_input");
        assert_eq!(code(FraudWarningsOf::one_of(None, Some("../x".into()), None)), "invalid_input");
    }
}
