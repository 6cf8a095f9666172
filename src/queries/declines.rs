//! Why a payment failed, in a sentence a support person can pass on, and whether trying again can
//! help: one table over Stripe's decline codes (<https://docs.stripe.com/declines/codes>), the
//! error codes a failed card payment carries when it has no decline code
//! (<https://docs.stripe.com/error-codes>), and the issuer's advice code, which overrides the
//! table's retry advice when present (<https://docs.stripe.com/declines/card#retrying-issuer-declines>).
//!
//! The sentences are this library's words, written from Stripe's "description" and "next steps"
//! columns. For the codes Stripe says not to explain to the customer (suspected fraud, a lost or
//! stolen card, …), the sentence is the generic decline's and says so: a model relays it safely.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Whether trying the payment again can succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "node", napi_derive::napi(string_enum = "snake_case"))]
pub enum RetryAdvice {
    /// The same payment method may succeed later, unchanged: a temporary problem at the bank or
    /// in processing.
    Later,
    /// Only after the customer acts: another card, added funds, corrected details, authenticating
    /// the payment, or a call to their bank.
    AfterCustomerAction,
    /// Not with this payment method: the bank will not approve it.
    No,
    /// The failure's code is not one this table knows.
    Unknown,
}

/// What a failed payment's codes mean ([`explain_decline`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeclineReason {
    /// One plain sentence: what happened and what the customer can do.
    pub explanation: &'static str,
    /// Whether retrying can help (the issuer's advice code when it gave one, else the table's).
    pub retry: RetryAdvice,
}

use RetryAdvice::{AfterCustomerAction as Act, Later, No};

/// The generic decline's words: what Stripe advises telling a customer whose card was declined for
/// suspected fraud, as lost or stolen, or by a block list (never the specific reason).
const GENERIC: &str = "The card issuer declined the payment. (Stripe advises giving the customer no more detail than this for this decline.) They should contact their bank or use another payment method.";

/// Stripe's card decline codes (<https://docs.stripe.com/declines/codes>), sorted by code.
const DECLINE_CODES: &[(&str, &str, RetryAdvice)] = &[
    ("approve_with_id", "The bank could not authorize the payment this time; it can be tried again, and if it fails again the customer should contact their bank.", Later),
    ("authentication_required", "The bank wants the customer to confirm this payment (for example with 3D Secure); it can go through once they authenticate it.", Act),
    ("call_issuer", "The bank declined the payment without giving a reason; the customer should call their bank.", Act),
    ("card_not_supported", "The card cannot be used for this kind of purchase; the customer should ask their bank or use another card.", Act),
    ("card_velocity_exceeded", "The card is over its balance, credit limit or transaction limit; the customer should contact their bank or use another card.", Act),
    ("currency_not_supported", "The card cannot pay in this currency; the customer should use another card.", Act),
    ("do_not_honor", "The bank declined the payment without giving a reason; the customer should contact their bank.", Act),
    ("do_not_try_again", "The bank declined the payment and asked that it not be tried again; the customer should contact their bank or use another card.", No),
    ("duplicate_transaction", "The same amount was charged to the same card very recently, so this one was declined; check whether the earlier payment went through.", No),
    ("expired_card", "The card has expired; the customer needs to use another card.", Act),
    ("fraudulent", GENERIC, No),
    ("generic_decline", "The bank declined the payment without giving a reason; the customer should contact their bank or use another card.", Act),
    ("incorrect_cvc", "The card's security code (CVC) was wrong; the customer should enter it again.", Act),
    ("incorrect_number", "The card number was wrong; the customer should enter it again.", Act),
    ("incorrect_pin", "The PIN was wrong (card reader); the customer should try again with the right PIN.", Act),
    ("incorrect_zip", "The postal code did not match the card's billing address; the customer should enter it again.", Act),
    ("insufficient_funds", "The card did not have enough funds; the customer can add funds or use another payment method.", Act),
    ("invalid_account", "The card, or the account behind it, is not valid; the customer should contact their bank.", Act),
    ("invalid_amount", "The bank refused the amount (invalid, or above what the card allows); the customer should check with their bank.", Act),
    ("invalid_cvc", "The card's security code (CVC) was not valid; the customer should enter it again.", Act),
    ("invalid_expiry_month", "The card's expiry month was wrong; the customer should enter it again.", Act),
    ("invalid_expiry_year", "The card's expiry year was wrong; the customer should enter it again.", Act),
    ("invalid_number", "The card number was not valid; the customer should enter it again.", Act),
    ("invalid_pin", "The PIN was not valid (card reader); the customer should try again with the right PIN.", Act),
    ("issuer_not_available", "The bank could not be reached; the payment can be tried again.", Later),
    ("lost_card", GENERIC, No),
    ("merchant_blacklist", GENERIC, No),
    ("new_account_information_available", "The card or its account has changed (a new number or expiry date); the customer should update their card.", Act),
    ("no_action_taken", "The bank declined the payment without giving a reason; the customer should contact their bank.", Act),
    ("not_permitted", "The bank does not permit this payment; the customer should contact their bank.", Act),
    ("offline_pin_required", "The card needs its PIN (card reader); the customer should try again and enter it.", Act),
    ("online_or_offline_pin_required", "The card needs its PIN (card reader); the customer should try again and enter it.", Act),
    ("pickup_card", GENERIC, No),
    ("pin_try_exceeded", "The PIN was entered wrong too many times; the customer needs another card or payment method.", Act),
    ("processing_error", "An error occurred while the card was processed; the payment can be tried again.", Later),
    ("reenter_transaction", "The bank could not process the payment; it can be tried again.", Later),
    ("restricted_card", "The card cannot be used for this payment; the customer should contact their bank or use another card.", Act),
    ("revocation_of_all_authorizations", "The customer told their bank to stop all recurring payments on this card; only they can lift that, with their bank.", Act),
    ("revocation_of_authorization", "The customer told their bank to stop recurring payments to this business; only they can lift that, with their bank.", Act),
    ("security_violation", GENERIC, No),
    ("service_not_allowed", "The bank does not allow this kind of payment on the card; the customer should contact their bank.", Act),
    ("stolen_card", GENERIC, No),
    ("stop_payment_order", "The customer told their bank to stop this payment; only they can lift that, with their bank.", Act),
    ("testmode_decline", "A Stripe test card was used: this decline is expected in test mode, and no real card was charged.", No),
    ("transaction_not_allowed", "The card does not allow this kind of payment; the customer should contact their bank.", Act),
    ("try_again_later", "The bank declined the payment for now; trying again later can succeed.", Later),
    ("withdrawal_count_exceeded", "The card is over its limit of transactions; the customer should use another card.", Act),
];

/// Error codes a failed card payment carries without a decline code
/// (<https://docs.stripe.com/error-codes>), sorted by code. `card_declined` alone is the generic
/// decline.
const ERROR_CODES: &[(&str, &str, RetryAdvice)] = &[
    ("authentication_required", "The bank wants the customer to confirm this payment (for example with 3D Secure); it can go through once they authenticate it.", Act),
    ("card_declined", "The bank declined the payment without giving a reason; the customer should contact their bank or use another card.", Act),
    ("expired_card", "The card has expired; the customer needs to use another card.", Act),
    ("incorrect_cvc", "The card's security code (CVC) was wrong; the customer should enter it again.", Act),
    ("incorrect_number", "The card number was wrong; the customer should enter it again.", Act),
    ("incorrect_zip", "The postal code did not match the card's billing address; the customer should enter it again.", Act),
    ("invalid_cvc", "The card's security code (CVC) was not valid; the customer should enter it again.", Act),
    ("invalid_expiry_month", "The card's expiry month was wrong; the customer should enter it again.", Act),
    ("invalid_expiry_year", "The card's expiry year was wrong; the customer should enter it again.", Act),
    ("invalid_number", "The card number was not valid; the customer should enter it again.", Act),
    ("payment_intent_authentication_failure", "The customer did not complete the bank's confirmation of the payment (for example 3D Secure); they can try again and complete it.", Act),
    ("processing_error", "An error occurred while the card was processed; the payment can be tried again.", Later),
];

const UNKNOWN: &str =
    "The payment failed for a reason this library has no plain words for; Stripe's failure message may say more.";

/// The explanation of a failed payment from its codes: the decline code when there is one (it is
/// the most specific), else the error code; `retry` from the issuer's advice code when it gave one
/// (`try_again_later`, `do_not_try_again`, `confirm_card_data`), else from the table.
pub fn explain_decline(
    decline_code: Option<&str>,
    error_code: Option<&str>,
    advice_code: Option<&str>,
) -> DeclineReason {
    let row = |table: &'static [(&'static str, &'static str, RetryAdvice)], code: Option<&str>| {
        let code = code?;
        table.binary_search_by(|(c, _, _)| (*c).cmp(code)).ok().map(|i| (table[i].1, table[i].2))
    };
    let (explanation, retry) = row(DECLINE_CODES, decline_code)
        .or_else(|| row(ERROR_CODES, error_code))
        .unwrap_or((UNKNOWN, RetryAdvice::Unknown));
    let retry = match advice_code {
        Some("try_again_later") => Later,
        Some("do_not_try_again") => No,
        Some("confirm_card_data") => Act,
        _ => retry,
    };
    DeclineReason { explanation, retry }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_sorted_and_have_each_code_once() {
        for table in [DECLINE_CODES, ERROR_CODES] {
            for pair in table.windows(2) {
                assert!(pair[0].0 < pair[1].0, "{} before {}", pair[0].0, pair[1].0);
            }
            for (code, sentence, _) in table {
                assert!(code.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'), "{code}");
                assert!(sentence.ends_with('.') && sentence.len() < 200, "{code}: {sentence}");
            }
        }
        assert_eq!(DECLINE_CODES.len(), 47);
    }

    #[test]
    fn a_decline_code_is_explained_with_its_retry_advice() {
        let funds = explain_decline(Some("insufficient_funds"), Some("card_declined"), None);
        assert!(funds.explanation.contains("enough funds"), "{funds:?}");
        assert_eq!(funds.retry, RetryAdvice::AfterCustomerAction);
        assert_eq!(explain_decline(Some("try_again_later"), None, None).retry, RetryAdvice::Later);
        assert_eq!(explain_decline(Some("do_not_try_again"), None, None).retry, RetryAdvice::No);
        assert!(explain_decline(Some("expired_card"), None, None).explanation.contains("expired"));
    }

    #[test]
    fn without_a_decline_code_the_error_code_explains() {
        let auth = explain_decline(None, Some("payment_intent_authentication_failure"), None);
        assert!(auth.explanation.contains("did not complete"), "{auth:?}");
        assert_eq!(auth.retry, RetryAdvice::AfterCustomerAction);
        assert_eq!(explain_decline(None, Some("processing_error"), None).retry, RetryAdvice::Later);
        // An unknown decline code falls back to the error code, not to "unknown".
        let card = explain_decline(Some("a_code_from_2030"), Some("card_declined"), None);
        assert!(card.explanation.contains("without giving a reason"), "{card:?}");
    }

    #[test]
    fn the_issuers_advice_code_overrides_the_tables_retry() {
        let funds = explain_decline(Some("insufficient_funds"), None, Some("try_again_later"));
        assert_eq!(funds.retry, RetryAdvice::Later);
        assert!(funds.explanation.contains("enough funds"));
        assert_eq!(explain_decline(Some("generic_decline"), None, Some("do_not_try_again")).retry, RetryAdvice::No);
        assert_eq!(explain_decline(None, None, Some("confirm_card_data")).retry, RetryAdvice::AfterCustomerAction);
        // An advice code this library does not know leaves the table's advice.
        assert_eq!(explain_decline(Some("processing_error"), None, Some("new_advice")).retry, RetryAdvice::Later);
    }

    #[test]
    fn unknown_codes_say_so() {
        for reason in [explain_decline(None, None, None), explain_decline(Some("zzz"), Some("yyy"), None)] {
            assert_eq!(reason, DeclineReason { explanation: UNKNOWN, retry: RetryAdvice::Unknown });
        }
    }

    #[test]
    fn declines_stripe_says_not_to_explain_get_the_generic_words() {
        for code in
            ["fraudulent", "lost_card", "stolen_card", "pickup_card", "merchant_blacklist", "security_violation"]
        {
            let reason = explain_decline(Some(code), Some("card_declined"), None);
            assert_eq!(reason.explanation, GENERIC, "{code}");
            assert_eq!(reason.retry, RetryAdvice::No, "{code}");
        }
        // No sentence a model may relay names a suspicion.
        for (code, sentence, _) in DECLINE_CODES.iter().chain(ERROR_CODES) {
            let lower = sentence.to_lowercase();
            for word in ["fraud", "stolen", "lost", "blacklist", "block list"] {
                assert!(!lower.contains(word), "{code}: {sentence}");
            }
        }
    }

    #[test]
    fn retry_advice_serializes_in_snake_case() {
        let json = serde_json::to_string(&[Later, Act, No, RetryAdvice::Unknown]).unwrap();
        assert_eq!(json, r#"["later","after_customer_action","no","unknown"]"#);
    }
}
