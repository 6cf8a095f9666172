//! `Stripe-Signature` verification (webhook deliveries, and Stripe App install redirects): pure, no I/O, time passed in.
//!
//! Stripe's scheme: `t=<unix>,v1=<hex>[,v1=<hex>…][,v0=…]`; each `v1` is the lowercase hex
//! HMAC-SHA256 of the raw bytes `"{t}.{body}"` keyed by the whole secret string. Stricter than the
//! official SDKs on purpose: `t` is digits only, a timestamp too far in the future is rejected like
//! one too old, an item without `=` makes the header malformed, and a `v1` that is not 64 lowercase
//! hex characters never matches.

use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::config::Tolerance;
use crate::error::{Direction, Hint, WebhookError};
use crate::secret::WebhookSecret;

type HmacSha256 = Hmac<Sha256>;

/// Longest `t` accepted: 12 digits reach the year 33658, and cannot overflow an i64.
const MAX_TIMESTAMP_DIGITS: usize = 12;

/// The parts of a `Stripe-Signature` header this library uses.
#[derive(Debug)]
pub(crate) struct ParsedHeader<'a> {
    pub timestamp: i64,
    /// The digits of `t` exactly as sent: they are what was signed.
    pub timestamp_text: &'a str,
    /// Every `v1` value decoded; `None` for a value that is not 64 lowercase hex characters.
    pub v1: Vec<Option<[u8; 32]>>,
}

fn malformed(reason: impl Into<String>) -> WebhookError {
    WebhookError::MalformedHeader { reason: reason.into() }
}

pub(crate) fn parse_header(header: Option<&str>) -> Result<ParsedHeader<'_>, WebhookError> {
    let header = match header {
        None => return Err(WebhookError::MissingHeader),
        Some(h) if h.trim().is_empty() => return Err(WebhookError::MissingHeader),
        Some(h) => h,
    };
    let mut timestamp: Option<&str> = None;
    let mut v1 = Vec::new();
    for item in header.split(',') {
        let Some((key, value)) = item.split_once('=') else {
            return Err(malformed(format!(
                "item {:?} is not key=value (expected t=<unix seconds>,v1=<hex>)",
                crate::ids::shorten(item)
            )));
        };
        match key {
            "t" => {
                if timestamp.is_some() {
                    return Err(malformed("more than one t="));
                }
                timestamp = Some(value);
            }
            "v1" => v1.push(decode_v1(value)),
            "" => return Err(malformed("an item has an empty key")),
            // v0 (a test-mode scheme) and schemes from the future are ignored.
            _ => {}
        }
    }
    let Some(text) = timestamp else {
        return Err(malformed("no t= timestamp"));
    };
    if text.is_empty() || text.len() > MAX_TIMESTAMP_DIGITS || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(malformed(format!(
            "t={:?} is not a Unix timestamp in whole seconds (digits only)",
            crate::ids::shorten(text)
        )));
    }
    let timestamp = text.parse::<i64>().map_err(|_| malformed("t= is out of range"))?;
    if v1.is_empty() {
        return Err(WebhookError::NoV1Signature);
    }
    Ok(ParsedHeader { timestamp, timestamp_text: text, v1 })
}

/// 64 lowercase hex characters → 32 bytes; anything else → `None` (never matches).
fn decode_v1(value: &str) -> Option<[u8; 32]> {
    if value.len() != 64 || !value.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
        return None;
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(value, &mut out).ok()?;
    Some(out)
}

/// HMAC-SHA256 of `"{t}.{payload}"` with the whole secret string as the key.
pub(crate) fn sign(timestamp_text: &str, payload: &[u8], secret: &[u8]) -> [u8; 32] {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp_text.as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac.finalize().into_bytes().into()
}

/// Verify `header` for the raw `payload` against any of `secrets`, at time `now` (Unix seconds).
/// Returns the signed timestamp.
///
/// The signature is checked before the timestamp, as Stripe's SDKs do, so a stale but authentic
/// delivery reports `webhook_timestamp_out_of_range` and a forged one `webhook_signature_mismatch`.
pub fn verify_signature(
    payload: &[u8],
    header: Option<&str>,
    secrets: &[WebhookSecret],
    tolerance: Tolerance,
    now: i64,
) -> Result<i64, WebhookError> {
    check_secrets(secrets)?;
    let parsed = parse_header(header)?;
    let mut matched = false;
    for secret in secrets {
        let expected = sign(parsed.timestamp_text, payload, secret.expose().as_bytes());
        for candidate in parsed.v1.iter().flatten() {
            // Constant-time: no early exit on the first differing byte, no short-circuit `|=`.
            matched |= bool::from(expected.ct_eq(candidate));
        }
    }
    if !matched {
        return Err(WebhookError::SignatureMismatch { hint: mismatch_hint(payload, secrets) });
    }
    if let Some(tolerance_seconds) = tolerance.as_secs() {
        let age = now.saturating_sub(parsed.timestamp);
        // The bound that was crossed says which way.
        let direction = if age > tolerance_seconds {
            Some(Direction::TooOld)
        } else if age < -tolerance_seconds {
            Some(Direction::InFuture)
        } else {
            None
        };
        if let Some(direction) = direction {
            return Err(WebhookError::TimestampOutOfRange {
                timestamp: parsed.timestamp,
                now,
                tolerance_seconds,
                direction,
            });
        }
    }
    Ok(parsed.timestamp)
}

/// `config_invalid` for an empty list, or a list holding a secret anyone could sign with: checked
/// before the header is read and before any HMAC, so that a misconfiguration is never a "valid".
pub(crate) fn check_secrets(secrets: &[WebhookSecret]) -> Result<(), WebhookError> {
    if secrets.is_empty() {
        return Err(WebhookError::UnusableSecret { reason: "the list of webhook secrets is empty".into() });
    }
    for (i, secret) in secrets.iter().enumerate() {
        if let Some(reason) = secret.unusable() {
            let which = if secrets.len() == 1 {
                "the webhook secret".to_string()
            } else {
                format!("webhook secret #{}", i + 1)
            };
            return Err(WebhookError::UnusableSecret { reason: format!("{which} {reason}") });
        }
    }
    Ok(())
}

/// What most often causes a mismatch, as far as can be told without the secret being wrong.
fn mismatch_hint(payload: &[u8], secrets: &[WebhookSecret]) -> Hint {
    if let Some(h) = secrets.iter().find_map(WebhookSecret::problem_hint) {
        return Hint(Some(h.into()));
    }
    if payload.is_empty() {
        return Hint(Some("the body is empty: are you passing the raw request body?".into()));
    }
    if payload.starts_with(b"[object ") {
        return Hint(Some("the body is \"[object Object]\": pass the raw request body, not a parsed object".into()));
    }
    // Stripe sends pretty-printed JSON; a one-line JSON body was almost certainly re-serialised.
    if payload.first() == Some(&b'{') && !payload.contains(&b'\n') {
        return Hint(Some(
            "the body is one-line JSON but Stripe sends it pretty-printed: it looks re-serialised; \
             pass the raw request body, byte for byte, not a parsed body serialised again"
                .into(),
        ));
    }
    Hint(Some(
        "check that the secret is this endpoint's signing secret (each endpoint, and the Stripe CLI, has its own) \
         and that the body is the raw request body"
            .into(),
    ))
}

/// A `Stripe-Signature` header for `payload`, signed like Stripe does. For tests.
pub fn generate_test_header(payload: &[u8], secret: &str, timestamp: i64) -> String {
    let t = timestamp.to_string();
    format!("t={t},v1={}", hex::encode(sign(&t, payload, secret.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn secret(s: &str) -> WebhookSecret {
        WebhookSecret::unchecked(s)
    }

    const T300: Tolerance = Tolerance::Seconds(NonZeroU32::new(300).unwrap());
    const T10: Tolerance = Tolerance::Seconds(NonZeroU32::new(10).unwrap());

    const BODY: &[u8] = b"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}";

    fn code(r: Result<i64, WebhookError>) -> &'static str {
        r.map(|_| "ok").unwrap_or_else(|e| e.code().as_str())
    }

    #[test]
    fn an_unusable_secret_is_named_alone_or_by_its_place_in_the_list() {
        let reason = |list: &[WebhookSecret]| match check_secrets(list) {
            Err(WebhookError::UnusableSecret { reason }) => reason,
            other => panic!("{other:?}"),
        };
        assert!(reason(&[secret("")]).starts_with("the webhook secret is empty"));
        assert!(reason(&[secret("whsec_ok"), secret(" ")]).starts_with("webhook secret #2 is blank"));
        assert!(check_secrets(&[secret("whsec_ok")]).is_ok());
    }

    #[test]
    fn generated_header_verifies() {
        let h = generate_test_header(BODY, "whsec_a", 1000);
        assert_eq!(verify_signature(BODY, Some(&h), &[secret("whsec_a")], T300, 1000).unwrap(), 1000);
    }

    #[test]
    fn timestamp_must_be_digits_only() {
        let sig = hex::encode(sign("1000", BODY, b"whsec_a"));
        for t in ["abc", "1.7e9", "123abc", "-1", "+1000", " 1000", "1000 ", "", "1234567890123"] {
            let h = format!("t={t},v1={sig}");
            assert_eq!(
                code(verify_signature(BODY, Some(&h), &[secret("whsec_a")], T300, 1000)),
                "webhook_malformed_header",
                "t={t:?}"
            );
        }
    }

    #[test]
    fn future_timestamps_are_rejected_like_old_ones() {
        let s = [secret("whsec_a")];
        let h = generate_test_header(BODY, "whsec_a", 1000);
        assert_eq!(code(verify_signature(BODY, Some(&h), &s, T300, 1300)), "ok");
        assert_eq!(code(verify_signature(BODY, Some(&h), &s, T300, 700)), "ok");
        let e = verify_signature(BODY, Some(&h), &s, T300, 699).unwrap_err();
        assert!(matches!(e, WebhookError::TimestampOutOfRange { direction: Direction::InFuture, .. }), "{e:?}");
        let e = verify_signature(BODY, Some(&h), &s, T300, 1301).unwrap_err();
        assert!(matches!(e, WebhookError::TimestampOutOfRange { direction: Direction::TooOld, .. }), "{e:?}");
        assert_eq!(
            code(verify_signature(BODY, Some(&h), &s, Tolerance::SkipTimestampCheckForReplay, 99_999_999)),
            "ok"
        );
    }

    #[test]
    fn v1_must_be_64_lowercase_hex() {
        let sig = hex::encode(sign("1000", BODY, b"whsec_a"));
        let s = [secret("whsec_a")];
        for bad in [sig.to_uppercase(), format!("{sig}00"), sig[..62].to_string(), format!(" {}", &sig[1..])] {
            let h = format!("t=1000,v1={bad}");
            assert_eq!(code(verify_signature(BODY, Some(&h), &s, T300, 1000)), "webhook_signature_mismatch", "{bad}");
        }
    }

    #[test]
    fn any_v1_and_any_secret_may_match_and_v0_is_ignored() {
        let good = hex::encode(sign("1000", BODY, b"whsec_new"));
        let h = format!("t=1000,v0={good},v1={},v1={good},x9=zzz", "0".repeat(64));
        let r = verify_signature(BODY, Some(&h), &[secret("whsec_old"), secret("whsec_new")], T300, 1000);
        assert_eq!(code(r), "ok");
        let only_v0 = format!("t=1000,v0={good}");
        assert_eq!(
            code(verify_signature(BODY, Some(&only_v0), &[secret("whsec_new")], T300, 1000)),
            "webhook_no_v1_signature"
        );
    }

    #[test]
    fn header_shape_errors() {
        let s = [secret("whsec_a")];
        let sig = "a".repeat(64);
        assert_eq!(code(verify_signature(BODY, None, &s, T300, 0)), "webhook_missing_header");
        assert_eq!(code(verify_signature(BODY, Some("  "), &s, T300, 0)), "webhook_missing_header");
        for h in [format!("t=1,t=2,v1={sig}"), format!("v1={sig}"), format!("t=1,v1={sig},junk"), format!("t=1,={sig}")]
        {
            assert_eq!(code(verify_signature(BODY, Some(&h), &s, T300, 1)), "webhook_malformed_header", "{h}");
        }
    }

    #[test]
    fn payload_is_raw_bytes_not_text() {
        // Not UTF-8: signed and verified as bytes, never decoded.
        let body = b"{\"a\":\"\xff\xfe\"}\n";
        let h = generate_test_header(body, "whsec_a", 5);
        assert_eq!(code(verify_signature(body, Some(&h), &[secret("whsec_a")], T10, 5)), "ok");
        // Same text with different whitespace does not verify.
        let h = generate_test_header(BODY, "whsec_a", 5);
        let compact = br#"{"id":"evt_1","object":"event"}"#;
        let e = verify_signature(compact, Some(&h), &[secret("whsec_a")], T10, 5).unwrap_err();
        assert!(e.to_string().contains("re-serialised"), "{e}");
        // Words for any caller: the JS face adds `await request.text()` where it fits.
        assert!(e.to_string().contains("raw request body, byte for byte"), "{e}");
        assert!(!e.to_string().contains("request.text()") && !e.to_string().contains("JSON.stringify"), "{e}");
    }

    /// Issue 10 item 1: a header anyone can compute (HMAC keyed by "", " ", "whsec_"...) must not
    /// verify; an empty or blank secret is `config_invalid`, also inside a list and with no header.
    #[test]
    fn blank_secrets_are_config_invalid_even_for_a_header_signed_with_them() {
        for blank in ["", " ", " \t\n", "whsec_", " whsec_ "] {
            let forged = generate_test_header(BODY, blank, 1000);
            for secrets in [
                vec![secret(blank)],
                vec![secret("whsec_real"), secret(blank)],
                vec![secret(blank), secret("whsec_real")],
            ] {
                let e = verify_signature(BODY, Some(&forged), &secrets, T300, 1000).unwrap_err();
                assert!(matches!(e, WebhookError::UnusableSecret { .. }), "{blank:?}: {e:?}");
                assert_eq!(e.code(), "config_invalid");
            }
            // Checked before the header: a missing header does not hide the misconfiguration.
            assert_eq!(code(verify_signature(BODY, None, &[secret(blank)], T300, 1000)), "config_invalid");
        }
        let e = verify_signature(BODY, Some("t=1000,v1=00"), &[], T300, 1000).unwrap_err();
        assert_eq!((e.code().as_str(), e.to_string().contains("empty")), ("config_invalid", true), "{e}");
    }

    #[test]
    fn a_pretty_printed_body_with_the_wrong_secret_gets_the_generic_hint() {
        // Only a one-line JSON body looks re-serialised; a pretty-printed Stripe body (or one-line
        // text that is not JSON) signed with another endpoint's secret points at the secret.
        let generic = "check that the secret is this endpoint's signing secret";
        for body in [BODY, b"not json, one line".as_slice()] {
            let h = generate_test_header(body, "whsec_other_endpoint", 5);
            let e = verify_signature(body, Some(&h), &[secret("whsec_a")], T10, 5).unwrap_err();
            let text = e.to_string();
            assert!(text.contains(generic), "{text}");
            assert!(!text.contains("re-serialised"), "{text}");
        }
    }

    #[test]
    fn a_twelve_digit_timestamp_is_parsed_and_thirteen_are_malformed() {
        let t = "999999999999"; // 12 digits: the longest accepted (the year 33658)
        let h = format!("t={t},v1={}", hex::encode(sign(t, BODY, b"whsec_a")));
        let s = [secret("whsec_a")];
        let now = 999_999_999_999;
        assert_eq!(verify_signature(BODY, Some(&h), &s, T300, now).unwrap(), now);
        let e = verify_signature(BODY, Some(&h), &s, T300, 1000).unwrap_err();
        assert!(matches!(e, WebhookError::TimestampOutOfRange { direction: Direction::InFuture, .. }), "{e:?}");
        let t13 = "1000000000000";
        let h13 = format!("t={t13},v1={}", hex::encode(sign(t13, BODY, b"whsec_a")));
        assert_eq!(code(verify_signature(BODY, Some(&h13), &s, T300, 1000)), "webhook_malformed_header");
    }

    #[test]
    fn hints_name_the_secret_problem() {
        let h = generate_test_header(BODY, "whsec_a", 5);
        let e = verify_signature(BODY, Some(&h), &[secret("whsec_a\n")], T10, 5).unwrap_err();
        assert!(e.to_string().contains("whitespace"), "{e}");
        let e = verify_signature(BODY, Some(&h), &[secret("sk_test_abc")], T10, 5).unwrap_err();
        assert!(e.to_string().contains("API key"), "{e}");
        assert!(!e.to_string().contains("sk_test_abc"), "{e}");
    }
}
