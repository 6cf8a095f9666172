//! What a support inbox asks about beyond charges: invoices, failed payment attempts, the refunds
//! of a payment, Radar's early fraud warnings, and all of it as one timeline.
//!
//! Stripe facts, each from Stripe's own pages:
//!
//! - Since API 2025-03-31 (basil) charges and payment intents no longer name their invoice; an
//!   invoice lists its payments instead, in `payments`, which is returned only when expanded
//!   ([changelog](https://docs.stripe.com/changelog/basil/2025-03-31/add-support-for-multiple-partial-payments-on-invoices),
//!   [the invoice object](https://docs.stripe.com/api/invoices/object#invoice_object-payments),
//!   [invoice payments](https://docs.stripe.com/api/invoice-payment)): the invoice list is read
//!   with `expand[]=data.payments`. The subscription is `parent.subscription_details.subscription`.
//! - A payment attempt that fails returns its PaymentIntent to `requires_payment_method` "so that
//!   the payment can be retried"
//!   ([lifecycle](https://docs.stripe.com/payments/paymentintents/lifecycle)); confirming moves
//!   it to `canceled` instead when the confirmation limit is reached
//!   ([confirm](https://docs.stripe.com/api/payment_intents/confirm)). `last_payment_error` holds
//!   the attempt's `code`, `decline_code`, `message` and failed `charge`
//!   ([the object](https://docs.stripe.com/api/payment_intents/object#payment_intent_object-last_payment_error)).
//! - A failed charge's `outcome` says why it failed; for an issuer decline its `reason` is the
//!   issuer's decline code ([declines](https://docs.stripe.com/declines)).
//! - Refunds are listed by `charge` or `payment_intent`
//!   ([list refunds](https://docs.stripe.com/api/refunds/list)).
//! - Early fraud warnings are listed by `charge` or `payment_intent`, with no customer filter
//!   ([list early fraud warnings](https://docs.stripe.com/api/radar/early_fraud_warnings/list));
//!   a warning is always about a charge, and comes after it.

use std::collections::{HashMap, HashSet};

use futures::future::try_join_all;

use super::types::{WireCharge, WireEarlyFraudWarning, WireInvoice, WirePaymentIntent, WireRefund};
use super::{
    complete_from, explain_decline, newest_of, EarlyFraudWarning, FailedPayment, Invoice, Refund, RetryAdvice,
};
use crate::api::list::{List, MAX_PAGE};
use crate::api::Api;
use crate::error::StripeError;
use crate::ids::expandable_id;

/// Most refunds read for one charge or payment intent (a payment is refunded in a few parts at most).
pub(crate) const MAX_REFUNDS: usize = 100;
/// Most charges asked about one by one for early fraud warnings, when the account's page of
/// newest warnings does not cover them.
pub(crate) const MAX_FRAUD_LOOKUPS: usize = 10;

/// The newest `limit` invoices of each customer with their payments (`expand[]=data.payments`),
/// merged newest first and cut to `limit`.
pub(crate) async fn invoices_of(
    api: &Api<'_>,
    customer_ids: &[String],
    limit: usize,
) -> Result<(Vec<Invoice>, bool), StripeError> {
    let (invoices, more) = newest_of(
        api,
        &["v1", "invoices"],
        customer_ids,
        &[("expand[]", "data.payments")],
        limit,
        |i: &WireInvoice| (Some(i.created), i.id.clone()),
    )
    .await?;
    Ok((invoices.into_iter().map(Invoice::from).collect(), more))
}

/// The newest `limit` payment intents of each customer, merged newest first and cut to `limit`.
pub(crate) async fn intents_of(
    api: &Api<'_>,
    customer_ids: &[String],
    limit: usize,
) -> Result<(Vec<WirePaymentIntent>, bool), StripeError> {
    newest_of(api, &["v1", "payment_intents"], customer_ids, &[], limit, |p: &WirePaymentIntent| {
        (Some(p.created), p.id.clone())
    })
    .await
}

/// Whether a payment intent's last attempt failed: `requires_payment_method` with a
/// `last_payment_error` (the attempt failed and the intent waits for another payment method;
/// without an error it was simply never attempted), or `canceled` with one (it failed until the
/// confirmation limit ended it). Any other status is not a failure of the intent: `requires_action`
/// waits for the customer (3D Secure), `processing` is under way, `succeeded` paid (its failed
/// attempts before are failed charges).
fn intent_failed(p: &WirePaymentIntent) -> bool {
    p.last_payment_error.is_some() && matches!(p.status.as_str(), "requires_payment_method" | "canceled")
}

/// The failed attempts among `intents` and `charges` (both of the same customers), newest first:
/// each failed payment intent (see [`intent_failed`]) once, with its failed charge; then each
/// failed charge not already named by one of those intents. Charges are read as well as intents
/// because an intent that succeeded on a later attempt keeps its earlier declines only as failed
/// charges ("I was declined, then it went through"), and a charge made without an intent has no
/// intent to fail.
pub(crate) fn failed_attempts(intents: &[WirePaymentIntent], charges: &[WireCharge]) -> Vec<FailedPayment> {
    let by_id: HashMap<&str, &WireCharge> = charges.iter().map(|c| (c.id.as_str(), c)).collect();
    let mut out: Vec<FailedPayment> = Vec::new();
    for p in intents.iter().filter(|p| intent_failed(p)) {
        let Some(e) = &p.last_payment_error else { continue };
        let charge_id = expandable_id(&e.charge);
        let charge = charge_id.as_deref().and_then(|id| by_id.get(id));
        let advice = e.advice_code.clone().or_else(|| charge.and_then(|c| c.outcome.as_ref()?.advice_code.clone()));
        out.push(explained(
            advice.as_deref(),
            FailedPayment {
                id: p.id.clone(),
                payment_intent_id: Some(p.id.clone()),
                // The failed attempt's own time when its charge was read, else the intent's.
                created: charge.map_or(p.created, |c| c.created),
                decline_code: e.decline_code.clone().or_else(|| charge.and_then(|c| c.decline_code())),
                charge_id,
                amount: p.amount,
                currency: p.currency.clone(),
                status: p.status.clone(),
                failure_code: e.code.clone(),
                failure_message: e.message.clone(),
                explanation: String::new(),
                retry: RetryAdvice::Unknown,
                description: p.description.clone(),
                customer_id: expandable_id(&p.customer),
            },
        ));
    }
    let named: HashSet<String> = out.iter().filter_map(|f| f.charge_id.clone()).collect();
    for c in charges.iter().filter(|c| c.status == "failed" && !named.contains(&c.id)) {
        let advice = c.outcome.as_ref().and_then(|o| o.advice_code.as_deref());
        out.push(explained(
            advice,
            FailedPayment {
                id: c.id.clone(),
                payment_intent_id: expandable_id(&c.payment_intent),
                charge_id: Some(c.id.clone()),
                amount: c.amount,
                currency: c.currency.clone(),
                created: c.created,
                status: c.status.clone(),
                decline_code: c.decline_code(),
                failure_code: c.failure_code.clone(),
                failure_message: c.failure_message.clone(),
                explanation: String::new(),
                retry: RetryAdvice::Unknown,
                description: c.description.clone(),
                customer_id: expandable_id(&c.customer),
            },
        ));
    }
    out.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    out
}

/// `f` with the plain sentence and retry advice of its codes (the decline-code table, with the
/// issuer's `advice` code over the table's retry advice).
fn explained(advice: Option<&str>, mut f: FailedPayment) -> FailedPayment {
    let reason = explain_decline(f.decline_code.as_deref(), f.failure_code.as_deref(), advice);
    f.explanation = reason.explanation.to_string();
    f.retry = reason.retry;
    f
}

/// Every refund of one charge (`charge=`) or payment intent (`payment_intent=`), newest first.
pub(crate) async fn refunds_by(
    api: &Api<'_>,
    filter: (&'static str, String),
) -> Result<(Vec<WireRefund>, bool), StripeError> {
    api.list_up_to::<WireRefund>(&["v1", "refunds"], vec![filter], MAX_REFUNDS).await
}

/// The refunds of each charge, concurrently, newest first.
pub(crate) async fn refunds_of_charges(
    api: &Api<'_>,
    charge_ids: &[String],
    fetched_at: i64,
) -> Result<Vec<Refund>, StripeError> {
    let lists = try_join_all(charge_ids.iter().map(|id| refunds_by(api, ("charge", id.clone())))).await?;
    let mut refunds: Vec<Refund> =
        lists.into_iter().flat_map(|(data, _)| data).map(|r| Refund::read(r, fetched_at)).collect();
    refunds.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    Ok(refunds)
}

/// One page of the account's newest early fraud warnings, and from when it holds every warning
/// (`None` in `Some((_, None))`: all of them). `None` if the page could not be read.
pub(crate) struct FraudPage {
    warnings: Vec<EarlyFraudWarning>,
    complete_from: Option<i64>,
}

/// `GET /v1/radar/early_fraud_warnings?limit=100`: the list has no customer filter (and the spec
/// this crate is checked against no `created` filter), so one page of the account's newest
/// warnings answers for every charge created since its oldest; best effort, like the dispute page.
pub(crate) async fn fraud_page(api: &Api<'_>) -> Option<FraudPage> {
    let page: List<WireEarlyFraudWarning> =
        api.get(&["v1", "radar", "early_fraud_warnings"], vec![("limit", MAX_PAGE.to_string())]).await.ok()?;
    let warnings: Vec<EarlyFraudWarning> = page.data.into_iter().map(EarlyFraudWarning::from).collect();
    let complete_from = complete_from(warnings.iter().map(|w| w.created), page.has_more, None);
    Some(FraudPage { warnings, complete_from })
}

/// The early fraud warnings on `charges` (`(id, created)`, newest first): from `page` for the
/// charges it covers (created no earlier than it is complete from: a warning comes after its
/// charge), and one `GET /v1/radar/early_fraud_warnings?charge=` each for the newest
/// [`MAX_FRAUD_LOOKUPS`] of the others. At most that many requests whatever the customer has; the
/// charges left unchecked are counted.
pub(crate) async fn fraud_warnings_on(
    api: &Api<'_>,
    page: Option<&FraudPage>,
    charges: &[(String, i64)],
) -> Result<(Vec<EarlyFraudWarning>, u32), StripeError> {
    let mut found = Vec::new();
    let mut ask = Vec::new();
    for (id, created) in charges {
        match page {
            Some(p) if p.complete_from.is_none_or(|t| *created >= t) => {
                found.extend(p.warnings.iter().filter(|w| w.charge_id.as_deref() == Some(id.as_str())).cloned());
            }
            _ => ask.push(id.clone()),
        }
    }
    let unchecked = ask.len().saturating_sub(MAX_FRAUD_LOOKUPS);
    ask.truncate(MAX_FRAUD_LOOKUPS);
    let lists = try_join_all(ask.iter().map(|id| fraud_warnings_by(api, ("charge", id.clone())))).await?;
    found.extend(lists.into_iter().flatten());
    found.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    found.dedup_by(|a, b| a.id == b.id);
    Ok((found, u32::try_from(unchecked).unwrap_or(u32::MAX)))
}

/// Every early fraud warning of one charge (`charge=`) or payment intent (`payment_intent=`).
pub(crate) async fn fraud_warnings_by(
    api: &Api<'_>,
    filter: (&'static str, String),
) -> Result<Vec<EarlyFraudWarning>, StripeError> {
    let list =
        api.list_all::<WireEarlyFraudWarning>(&["v1", "radar", "early_fraud_warnings"], vec![filter], MAX_PAGE).await?;
    Ok(list.into_iter().map(EarlyFraudWarning::from).collect())
}

/// The charges that can carry a fraud warning, `(id, created)`, newest first: all but the failed
/// ones (a failed charge was never paid, so the issuer has no payment to report).
pub(crate) fn fraud_candidates(charges: &[WireCharge]) -> Vec<(String, i64)> {
    charges.iter().filter(|c| c.status != "failed").map(|c| (c.id.clone(), c.created)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn intent(id: &str, status: &str, error: Option<serde_json::Value>, created: i64) -> WirePaymentIntent {
        serde_json::from_value(json!({"id": id, "amount": 4900, "currency": "usd", "created": created,
            "status": status, "customer": "cus_1", "last_payment_error": error}))
        .unwrap()
    }

    fn charge(id: &str, status: &str, pi: Option<&str>, created: i64) -> WireCharge {
        serde_json::from_value(json!({"id": id, "amount": 4900, "currency": "usd", "created": created,
            "status": status, "payment_intent": pi, "failure_code": if status == "failed" { json!("card_declined") } else { json!(null) },
            "outcome": {"type": if status == "failed" { "issuer_declined" } else { "authorized" }, "reason": "insufficient_funds"}}))
        .unwrap()
    }

    #[test]
    fn failed_attempts_are_failed_intents_and_failed_charges_each_once() {
        let declined = json!({"type": "card_error", "code": "card_declined", "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.", "charge": "ch_2"});
        let intents = vec![
            intent("pi_wait", "requires_payment_method", Some(declined), 10),
            intent("pi_new", "requires_payment_method", None, 50), // never attempted: not a failure
            intent("pi_3ds", "requires_action", Some(json!({"code": "authentication_required"})), 40),
            intent("pi_gave_up", "canceled", Some(json!({"code": "card_declined", "decline_code": "lost_card"})), 5),
            intent("pi_paid", "succeeded", None, 20),
            intent("pi_cancel", "canceled", None, 30), // canceled without a failure: not one
        ];
        let charges = vec![
            charge("ch_2", "failed", Some("pi_wait"), 12),
            charge("ch_retry_ok", "succeeded", Some("pi_paid"), 22),
            charge("ch_declined_first", "failed", Some("pi_paid"), 21),
            charge("ch_legacy", "failed", None, 3),
        ];
        let f = failed_attempts(&intents, &charges);
        let ids: Vec<&str> = f.iter().map(|x| x.id.as_str()).collect();
        assert_eq!(ids, ["ch_declined_first", "pi_wait", "pi_gave_up", "ch_legacy"]);
        let wait = &f[1];
        assert_eq!((wait.charge_id.as_deref(), wait.created), (Some("ch_2"), 12), "the attempt's own time");
        assert_eq!(
            (wait.decline_code.as_deref(), wait.failure_code.as_deref()),
            (Some("insufficient_funds"), Some("card_declined"))
        );
        assert_eq!(wait.status, "requires_payment_method");
        assert!(wait.explanation.contains("enough funds"), "{wait:?}");
        assert_eq!(wait.retry, RetryAdvice::AfterCustomerAction);
        assert_eq!(f[2].retry, RetryAdvice::No, "a lost card: not with this card");
        let first = &f[0];
        assert_eq!((first.payment_intent_id.as_deref(), first.status.as_str()), (Some("pi_paid"), "failed"));
        assert_eq!(first.decline_code.as_deref(), Some("insufficient_funds"), "from the charge's outcome");
        assert_eq!((f[2].charge_id.as_deref(), f[2].decline_code.as_deref()), (None, Some("lost_card")));
        assert_eq!(f[3].payment_intent_id, None);
    }

    #[test]
    fn the_issuers_advice_code_decides_the_retry_advice() {
        let mut c = charge("ch_1", "failed", None, 1);
        c.outcome = Some(
            serde_json::from_value(
                json!({"type": "issuer_declined", "reason": "insufficient_funds", "advice_code": "try_again_later"}),
            )
            .unwrap(),
        );
        let f = failed_attempts(&[], &[c]);
        assert_eq!((f[0].retry, f[0].decline_code.as_deref()), (RetryAdvice::Later, Some("insufficient_funds")));
    }

    #[test]
    fn only_an_issuer_decline_has_a_decline_code() {
        let mut c = charge("ch_1", "failed", None, 1);
        c.outcome = Some(serde_json::from_value(json!({"type": "blocked", "reason": "highest_risk_level"})).unwrap());
        assert_eq!(c.decline_code(), None);
        c.outcome = None;
        assert_eq!(c.decline_code(), None);
    }
}
