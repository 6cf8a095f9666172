//! What tools return: compact, camelCase, for a model's context window.
//!
//! Amounts in minor units next to `amountFormatted`; Unix seconds; lists capped with `count` (items
//! shown) and `truncated` (more exist than shown). Never card fingerprints, addresses, raw metadata
//! or account ids; free text (descriptions, names) is cut to [`MAX_TEXT`] characters.

use serde::Serialize;

use super::money::format_amount;
use super::view::{InvoiceSummary, View};
use crate::queries::{
    ChargeDetails, Customer, Dispute, FailedPayment, Invoice, Payment, Refund, SearchFallback, Subscription,
    TimelineEntry,
};

/// Longest free-text field (descriptions, plan and customer names) in a result.
pub const MAX_TEXT: usize = 120;

pub(crate) fn text(s: Option<&str>) -> Option<String> {
    let s = s?;
    if s.chars().count() <= MAX_TEXT {
        Some(s.to_string())
    } else {
        let cut: String = s.chars().take(MAX_TEXT - 1).collect();
        Some(format!("{cut}…"))
    }
}

/// A list cut to a cap: `count` items shown; `truncated` when more exist.
#[derive(Debug, Serialize, schemars::JsonSchema)]
pub(crate) struct Capped<T> {
    pub count: usize,
    pub truncated: bool,
    pub items: Vec<T>,
}

impl<T> Capped<T> {
    /// The first `cap` of `all`; `more` says whether more exist beyond `all` itself.
    pub(crate) fn new<S>(all: Vec<S>, cap: usize, more: bool, f: impl Fn(S) -> T) -> Self {
        let truncated = more || all.len() > cap;
        let items: Vec<T> = all.into_iter().take(cap).map(f).collect();
        Capped { count: items.len(), items, truncated }
    }

    /// Drop the last (oldest) item, saying so: `count` follows and `truncated` is set.
    pub(crate) fn drop_last(&mut self) -> bool {
        if self.items.pop().is_none() {
            return false;
        }
        self.count = self.items.len();
        self.truncated = true;
        true
    }
}

/// Most bytes of a tool's whole result (`{"success":true,"data":…,"fetchedAt":…}`): what a model's
/// context is given for one call, whatever the customer has.
pub const MAX_RESULT_BYTES: usize = 4096;

/// An answer that can give up list items to fit [`MAX_RESULT_BYTES`].
pub(crate) trait Shrink {
    /// Drop one item of the longest list (the oldest), marking that list truncated; `false` when
    /// there is nothing left to drop.
    fn shrink(&mut self) -> bool {
        false
    }
}

/// The index of the longest of `lists` (item counts; the first on a tie), `None` if all are empty.
pub(crate) fn longest(lists: &[usize]) -> Option<usize> {
    let (at, most) = lists.iter().enumerate().fold((0, 0), |best, (i, n)| if *n > best.1 { (i, *n) } else { best });
    (most > 0).then_some(at)
}

impl Shrink for RefundCheck {}

/// A note for the model when an answer may be incomplete.
pub(crate) fn search_warning(f: &Option<SearchFallback>) -> Option<String> {
    f.as_ref().map(|f| {
        format!(
            "the case-insensitive customer search failed ({}); customers whose email differs in letter case may be missing",
            f.code
        )
    })
}

/// The model's views of the query results (see [`super::view`]).
pub(crate) type CustomerOut = View<Customer>;
pub(crate) type PaymentOut = View<Payment>;
pub(crate) type SubscriptionOut = View<Subscription>;
pub(crate) type DisputeOut = View<Dispute>;
pub(crate) type ChargeOut = View<ChargeDetails>;
pub(crate) type RefundOut = View<Refund>;
pub(crate) type InvoiceOut = View<Invoice>;
pub(crate) type InvoiceSummaryOut = View<InvoiceSummary>;
pub(crate) type FailedPaymentOut = View<FailedPayment>;
pub(crate) type TimelineEntryOut = View<TimelineEntry>;

/// One thing that does not match what the app reported about a refund.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, schemars::JsonSchema)]
pub struct Discrepancy {
    /// `refund_not_found`, `amount_mismatch`, `charge_mismatch`, `refund_pending`,
    /// `refund_requires_action`, `refund_failed`, `refund_canceled` or `refund_status_unknown`.
    pub code: &'static str,
    pub message: String,
}

fn discrepancy(code: &'static str, message: String) -> Discrepancy {
    Discrepancy { code, message }
}

/// The verdict on a refund the app reported.
#[derive(Debug, Serialize, schemars::JsonSchema)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RefundCheck {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_slug: Option<String>,
    pub refund_id: String,
    pub verified: bool,
    pub status: Option<String>,
    pub amount: Option<i64>,
    pub amount_formatted: Option<String>,
    pub currency: Option<String>,
    pub charge_id: Option<String>,
    pub reason: Option<String>,
    pub created: Option<i64>,
    pub discrepancies: Vec<Discrepancy>,
}

/// Compare the refund Stripe has (`None`: no such refund on that account) with what the app
/// said: `verified` only when it succeeded and nothing differs.
pub(crate) fn reconcile(
    refund_id: &str,
    refund: Option<Refund>,
    expected_amount: Option<i64>,
    expected_charge: Option<&str>,
) -> RefundCheck {
    let Some(r) = refund else {
        return RefundCheck {
            app_slug: None,
            refund_id: refund_id.to_string(),
            verified: false,
            status: None,
            amount: None,
            amount_formatted: None,
            currency: None,
            charge_id: None,
            reason: None,
            created: None,
            discrepancies: vec![discrepancy(
                "refund_not_found",
                format!("no refund {refund_id} exists on this app's Stripe account"),
            )],
        };
    };
    let mut found = Vec::new();
    match r.status.as_deref() {
        Some("succeeded") => {}
        Some("pending") => found.push(discrepancy("refund_pending", "the refund is still pending at Stripe".into())),
        Some("requires_action") => found.push(discrepancy(
            "refund_requires_action",
            "the refund needs the customer to act (e.g. give bank details) before it can complete".into(),
        )),
        Some("failed") => {
            found.push(discrepancy("refund_failed", "the refund failed: the money was not returned".into()))
        }
        Some("canceled") => found.push(discrepancy("refund_canceled", "the refund was canceled".into())),
        other => found.push(discrepancy(
            "refund_status_unknown",
            format!("Stripe reports status {other:?}, which is not succeeded"),
        )),
    }
    if let Some(want) = expected_amount {
        if want != r.amount {
            found.push(discrepancy(
                "amount_mismatch",
                format!(
                    "the app reported {} but Stripe refunded {}",
                    format_amount(want, &r.currency),
                    format_amount(r.amount, &r.currency)
                ),
            ));
        }
    }
    if let Some(want) = expected_charge {
        if r.charge_id.as_deref() != Some(want) {
            found.push(discrepancy(
                "charge_mismatch",
                format!(
                    "the app reported charge {want} but the refund is on {}",
                    r.charge_id.as_deref().unwrap_or("no charge")
                ),
            ));
        }
    }
    RefundCheck {
        app_slug: None,
        refund_id: r.id,
        verified: found.is_empty(),
        amount_formatted: Some(format_amount(r.amount, &r.currency)),
        status: r.status,
        amount: Some(r.amount),
        currency: Some(r.currency),
        charge_id: r.charge_id,
        reason: r.reason,
        created: Some(r.created),
        discrepancies: found,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refund(status: Option<&str>, amount: i64, charge: &str) -> Refund {
        serde_json::from_value(serde_json::json!({
            "id": "re_1", "status": status, "amount": amount, "currency": "jpy", "chargeId": charge,
            "reason": null, "created": 5, "fetchedAt": 5
        }))
        .unwrap()
    }

    fn codes(c: &RefundCheck) -> Vec<&'static str> {
        c.discrepancies.iter().map(|d| d.code).collect()
    }

    #[test]
    fn reconciles_status_amount_and_charge() {
        let ok = reconcile("re_1", Some(refund(Some("succeeded"), 5000, "ch_1")), Some(5000), Some("ch_1"));
        assert!(ok.verified && ok.discrepancies.is_empty());
        assert_eq!(ok.amount_formatted.as_deref(), Some("¥5000"));
        let off = reconcile("re_1", Some(refund(Some("succeeded"), 4000, "ch_2")), Some(5000), Some("ch_1"));
        assert!(!off.verified);
        assert_eq!(codes(&off), ["amount_mismatch", "charge_mismatch"]);
        assert!(off.discrepancies[0].message.contains("¥5000") && off.discrepancies[0].message.contains("¥4000"));
        for (status, code) in [
            (Some("pending"), "refund_pending"),
            (Some("requires_action"), "refund_requires_action"),
            (Some("failed"), "refund_failed"),
            (Some("canceled"), "refund_canceled"),
            (Some("a_new_status"), "refund_status_unknown"),
            (None, "refund_status_unknown"),
        ] {
            let c = reconcile("re_1", Some(refund(status, 5000, "ch_1")), None, None);
            assert_eq!((c.verified, codes(&c)), (false, vec![code]), "{status:?}");
        }
        let missing = reconcile("re_9", None, Some(1), None);
        assert_eq!((missing.verified, codes(&missing)), (false, vec!["refund_not_found"]));
        assert_eq!(missing.refund_id, "re_9");
    }

    #[test]
    fn caps_and_text() {
        let c = Capped::new((0..12).collect::<Vec<i32>>(), 10, false, |x| x);
        assert_eq!((c.count, c.truncated, c.items.len()), (10, true, 10));
        let c = Capped::new(vec![1, 2], 10, false, |x| x);
        assert_eq!((c.count, c.truncated), (2, false));
        let c = Capped::new(vec![1, 2], 10, true, |x| x);
        assert!(c.truncated);
        let long = "é".repeat(500);
        let t = text(Some(&long)).unwrap();
        assert_eq!(t.chars().count(), MAX_TEXT);
        assert!(t.ends_with('…'));
    }
}
