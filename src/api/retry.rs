//! What a response means: success, or a [`StripeError`] plus whether and when to try again.
//!
//! Pure functions, unit-tested without a server. The rules:
//! - `Stripe-Should-Retry: false` forbids a retry, `true` allows one, whatever the status;
//! - otherwise network errors, broken bodies, 409, 429 and 5xx are retried (GETs are safe);
//! - `Retry-After` (seconds) is a floor on the wait; the caller caps every wait by the deadline;
//! - backoff is exponential from `base`, capped at [`MAX_BACKOFF`], jittered to 50–100 %.

use std::time::Duration;

use rand::Rng;
use serde::Deserialize;

use super::transport::{RawResponse, TransportError, TransportErrorKind};
use crate::error::{StripeError, StripeErrorKind};
use crate::quote::{quote, quote_capped};

/// Longest backoff between two attempts (before `Retry-After`).
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);

/// A failed attempt: the error to report if no retry follows, and the retry advice.
#[derive(Debug)]
pub(crate) struct Failure {
    pub error: StripeError,
    pub retryable: bool,
    pub retry_after: Option<Duration>,
}

#[derive(Deserialize)]
struct ErrorEnvelope {
    error: ErrorBody,
}

#[derive(Deserialize, Default)]
struct ErrorBody {
    #[serde(rename = "type")]
    error_type: Option<String>,
    code: Option<String>,
    message: Option<String>,
    param: Option<String>,
}

/// A 2xx response comes back as it is; anything else is a [`Failure`].
// Failures are the cold path and are boxed once they become a public `Error`.
#[allow(clippy::result_large_err)]
pub(crate) fn classify(outcome: Result<RawResponse, TransportError>) -> Result<RawResponse, Failure> {
    let resp = match outcome {
        Ok(r) => r,
        Err(e) => return Err(transport_failure(e)),
    };
    if (200..300).contains(&resp.status) {
        return Ok(resp);
    }
    Err(status_failure(&resp))
}

fn transport_failure(e: TransportError) -> Failure {
    let (kind, retryable, what) = match e.kind {
        TransportErrorKind::Network => (StripeErrorKind::Unavailable, true, "cannot reach Stripe"),
        TransportErrorKind::Timeout => (StripeErrorKind::Timeout, true, "Stripe did not answer in time"),
        TransportErrorKind::Body => {
            (StripeErrorKind::BadResponse, true, "Stripe's response broke off (truncated body)")
        }
        TransportErrorKind::TooLarge => (StripeErrorKind::BadResponse, false, "Stripe's response is too large"),
        _ => (StripeErrorKind::Unavailable, false, "the request could not be sent"),
    };
    Failure { error: StripeError::new(kind, format!("{what}: {}", e.message)), retryable, retry_after: None }
}

fn status_failure(resp: &RawResponse) -> Failure {
    let status = resp.status;
    let kind = match status {
        401 => StripeErrorKind::AuthFailed,
        403 => StripeErrorKind::PermissionDenied,
        404 => StripeErrorKind::NotFound,
        429 => StripeErrorKind::RateLimited,
        400..=499 => StripeErrorKind::ApiError,
        500..=599 => StripeErrorKind::Unavailable,
        _ => StripeErrorKind::BadResponse,
    };
    let body = serde_json::from_slice::<ErrorEnvelope>(&resp.body).map(|e| e.error).ok();
    let lacking = body.as_ref().and_then(|b| lacks_permission(status, b));
    let kind = if lacking.is_some() { StripeErrorKind::KeyLacksPermission } else { kind };
    // Stripe's text is quoted, not trusted: a proxy or a stand-in may send anything.
    let message = match (&lacking, body.as_ref().and_then(|b| b.message.as_deref())) {
        // Our own sentence: Stripe's quotes the key (redacted by Stripe, but a stand-in may not).
        (Some(Some(permission)), _) => format!(
            "the restricted API key lacks the permission `{permission}` on this account: grant it (Read) to \
             the key, with Connect permissions, in the Dashboard"
        ),
        (Some(None), _) => "the restricted API key lacks a permission this request needs on this account \
             (Stripe did not name it): grant the endpoint's resource Read, with Connect permissions"
            .to_string(),
        (None, Some(m)) => quote(m),
        (None, None) => format!("HTTP {status}{}", describe_body(&resp.body)),
    };
    let hint = match kind {
        StripeErrorKind::AuthFailed => {
            " (is the secret key right, and is the account still connected to the platform?)"
        }
        _ => "",
    };
    let body = body.unwrap_or_default();
    let mut error = StripeError::new(kind, format!("{message}{hint}"));
    error.status = Some(status);
    error.error_type = body.error_type.as_deref().map(quote_field);
    error.stripe_code = body.code.as_deref().map(quote_field);
    error.param = body.param.as_deref().map(quote_field);
    error.request_id = resp.request_id();
    error.rate_limited_reason = resp.header("stripe-rate-limited-reason").map(quote_field);
    error.permission = lacking.flatten();
    let retryable = match resp.header("stripe-should-retry") {
        Some(v) if v.trim().eq_ignore_ascii_case("true") => true,
        Some(v) if v.trim().eq_ignore_ascii_case("false") => false,
        _ => matches!(status, 409 | 429 | 500..=599),
    };
    let retry_after = resp.header("retry-after").and_then(parse_retry_after);
    Failure { error, retryable, retry_after }
}

/// Stripe's answer to a restricted key without the permission an endpoint needs, as Stripe's
/// libraries and their users report it (Stripe's API reference does not spell it out): HTTP 403,
/// `type: "invalid_request_error"` (stripe-node turns a 403 into `StripePermissionError`), no
/// `code`, and the message "The provided key 'rk_…' does not have the required permissions for
/// this endpoint on account 'acct_…'. Having the 'rak_charge_read' permission would allow this
/// request to continue." Matched conservatively: a 403 whose type is `invalid_request_error` (or
/// `permission_error`, or none) and whose message has that wording. `Some(Some(name))` when the
/// permission is named (in straight, curly or no quotes), `Some(None)` when it is not.
fn lacks_permission(status: u16, body: &ErrorBody) -> Option<Option<String>> {
    if status != 403 {
        return None;
    }
    if !matches!(body.error_type.as_deref(), None | Some("invalid_request_error" | "permission_error")) {
        return None;
    }
    let message = body.message.as_deref()?;
    if !message.contains("does not have the required permissions") {
        return None;
    }
    let named = message.split_once("Having the ").and_then(|(_, rest)| {
        let name = rest.trim_start_matches(['\'', '"', '\u{2018}', '\u{2019}', '`']);
        let end = name.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_')).unwrap_or(name.len());
        let name = &name[..end];
        // A permission name, not a key: `rak_…` as Stripe names them, short, and never a secret.
        (name.starts_with("rak_") && name.len() <= 100).then(|| quote_field(name))
    });
    Some(named)
}

/// `Retry-After` in seconds (Stripe sends an integer; fractions are accepted, dates ignored).
fn parse_retry_after(v: &str) -> Option<Duration> {
    let secs: f64 = v.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs.min(3600.0)))
}

/// Bytes of a body that [`describe_body`] reads.
const BODY_HEAD: usize = 4096;

/// A short, printable description of a body that is not a Stripe error.
///
/// Scrubbed like every quoted text (see [`crate::quote`]): a proxy that echoes the request would
/// otherwise put `Authorization: Bearer sk_…` in the message. Only the head is read
/// ([`body_head`]).
pub(crate) fn describe_body(body: &[u8]) -> String {
    if body.is_empty() {
        return " (empty body)".to_string();
    }
    let text = quote_capped(&body_head(body), 80).replace('\u{FFFD}', " ");
    format!(": body {:?}", text.trim())
}

/// The first [`BODY_HEAD`] bytes of `body` as text. When the body is longer, the head ends before
/// the token (letters, digits, `_`, as in a key) that the cut would split, so no fragment of a
/// secret is left without the prefix that gets it redacted. A character the cut splits becomes
/// U+FFFD.
fn body_head(body: &[u8]) -> String {
    let mut head = String::from_utf8_lossy(&body[..body.len().min(BODY_HEAD)]).into_owned();
    if body.len() > BODY_HEAD {
        let keep = head.trim_end_matches(|c: char| c.is_ascii_alphanumeric() || c == '_').len();
        head.truncate(keep);
    }
    head
}

/// A short field of Stripe's error body (`type`, `code`, `param`, a header): cleaned and capped.
pub(crate) fn quote_field(text: &str) -> String {
    quote_capped(text, 100)
}

/// The wait before retry number `retry` (0-based): `base · 2^retry`, capped, jittered to 50–100 %,
/// and never shorter than `Retry-After`.
pub(crate) fn backoff(base: Duration, retry: u32, retry_after: Option<Duration>) -> Duration {
    let exp = base.saturating_mul(1u32.checked_shl(retry.min(16)).unwrap_or(u32::MAX)).min(MAX_BACKOFF);
    let jittered = exp.mul_f64(rand::rng().random_range(0.5..=1.0));
    jittered.max(retry_after.unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, headers: &[(&str, &str)], body: &str) -> Result<RawResponse, TransportError> {
        Ok(RawResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: body.as_bytes().to_vec(),
        })
    }

    fn fail(r: Result<RawResponse, TransportError>) -> Failure {
        classify(r).unwrap_err()
    }

    #[test]
    fn status_codes_map_to_kinds_and_retry_rules() {
        for (status, code, retry) in [
            (401, "stripe_auth_failed", false),
            (403, "stripe_permission_denied", false),
            (404, "stripe_not_found", false),
            (400, "stripe_api_error", false),
            (409, "stripe_api_error", true),
            (429, "stripe_rate_limited", true),
            (500, "stripe_unavailable", true),
            (503, "stripe_unavailable", true),
            (302, "stripe_bad_response", false),
        ] {
            let f = fail(resp(status, &[], ""));
            assert_eq!((f.error.code().as_str(), f.retryable), (code, retry), "HTTP {status}");
            assert_eq!(f.error.status, Some(status));
        }
        assert_eq!(classify(resp(200, &[], "{}")).unwrap().body, b"{}");
    }

    /// Issue 21 item 3: each form of Stripe's restricted-key refusal that is accepted, with and
    /// without the permission named; the key itself never reaches the message.
    #[test]
    fn a_restricted_key_refusal_is_its_own_code_naming_the_permission() {
        let key = format!("rk_test_{}", "A1b2".repeat(20));
        let body = |ty: Option<&str>, message: &str| {
            let mut e = serde_json::json!({ "message": message });
            if let Some(t) = ty {
                e["type"] = t.into();
            }
            serde_json::json!({ "error": e }).to_string()
        };
        let cases = [
            // As stripe-node's users report it (stripe/stripe-node#2246), key unredacted here.
            (Some("invalid_request_error"), format!("The provided key '{key}' does not have the required permissions for this endpoint on account 'acct_1PJB'. Having the 'rak_charge_read' permission would allow this request to continue."), Some("rak_charge_read")),
            // Curly quotes (tylerjrichards/st-paywall#36).
            (Some("invalid_request_error"), format!("The provided key '{key}' does not have the required permissions for this endpoint on account \u{2018}acct_1\u{2019}. Having the \u{2018}rak_subscription_read\u{2019} permission would allow this request to continue."), Some("rak_subscription_read")),
            // No quotes around the permission (Fivetran's troubleshooting page).
            (Some("invalid_request_error"), format!("The provided key '{key}' does not have the required permissions for this endpoint on account acct_1. Having the rak_event_read permission would allow this request to continue."), Some("rak_event_read")),
            // Another error type Stripe documents for permissions, and none at all.
            (Some("permission_error"), format!("The provided key '{key}' does not have the required permissions for this endpoint."), None),
            (None, "The provided key 'rk_live_***' does not have the required permissions for this endpoint on account 'acct_1'.".to_string(), None),
        ];
        for (ty, message, permission) in cases {
            let f = fail(resp(403, &[], &body(ty, &message)));
            assert_eq!(f.error.code().as_str(), "stripe_key_lacks_permission", "{message}");
            assert!(!f.retryable);
            assert_eq!(f.error.permission.as_deref(), permission, "{message}");
            let shown = crate::Error::from(f.error).to_string();
            assert!(!shown.contains(&key) && !shown.contains("A1b2A1b2"), "{shown}");
            match permission {
                Some(p) => assert!(shown.contains(&format!("`{p}`")), "{shown}"),
                None => assert!(shown.contains("Stripe did not name it"), "{shown}"),
            }
        }
        // Not that wording, or not a 403, or another type: the codes they always had.
        let other = body(
            Some("invalid_request_error"),
            "The provided key 'rk_test_x' does not have access to account 'acct_1'.",
        );
        assert_eq!(fail(resp(403, &[], &other)).error.code().as_str(), "stripe_permission_denied");
        let wording = body(Some("invalid_request_error"), "The provided key 'rk_test_x' does not have the required permissions for this endpoint. Having the 'rak_charge_read' permission would allow this request to continue.");
        assert_eq!(fail(resp(401, &[], &wording)).error.code().as_str(), "stripe_auth_failed");
        assert_eq!(fail(resp(400, &[], &wording)).error.code().as_str(), "stripe_api_error");
        let api_error = body(
            Some("api_error"),
            "The provided key 'rk_test_x' does not have the required permissions for this endpoint.",
        );
        assert_eq!(fail(resp(403, &[], &api_error)).error.code().as_str(), "stripe_permission_denied");
        // A "permission" that is not a permission name is not repeated.
        let odd = body(None, &format!("The provided key 'rk_test_x' does not have the required permissions for this endpoint. Having the '{key}' permission would allow this request to continue."));
        let f = fail(resp(403, &[], &odd));
        assert_eq!((f.error.code().as_str(), f.error.permission.as_deref()), ("stripe_key_lacks_permission", None));
    }

    #[test]
    fn should_retry_header_wins() {
        assert!(!fail(resp(500, &[("stripe-should-retry", "false")], "")).retryable);
        assert!(!fail(resp(429, &[("Stripe-Should-Retry", "false")], "")).retryable);
        assert!(fail(resp(400, &[("stripe-should-retry", "true")], "")).retryable);
        assert!(fail(resp(400, &[("stripe-should-retry", " TRUE ")], "")).retryable);
        assert!(!fail(resp(503, &[("stripe-should-retry", "False")], "")).retryable);
    }

    #[test]
    fn an_unknown_should_retry_value_falls_back_to_the_status() {
        for value in ["maybe", "", "1", "yes"] {
            assert!(fail(resp(500, &[("stripe-should-retry", value)], "")).retryable, "500 with {value:?}");
            assert!(!fail(resp(400, &[("stripe-should-retry", value)], "")).retryable, "400 with {value:?}");
        }
    }

    #[test]
    fn a_401_says_what_to_check() {
        let body = r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided"}}"#;
        let f = fail(resp(401, &[], body));
        assert_eq!(
            f.error.message,
            "Invalid API Key provided (is the secret key right, and is the account still connected to \
             the platform?)"
        );
        let f = fail(resp(403, &[], body));
        assert_eq!(f.error.message, "Invalid API Key provided", "the hint is for 401 only");
    }

    #[test]
    fn keeps_stripe_error_fields_and_headers() {
        let body = r#"{"error":{"type":"invalid_request_error","code":"resource_missing","message":"No such charge: 'ch_1'","param":"id","doc_url":"x"}}"#;
        let f = fail(resp(404, &[("request-id", "req_123"), ("retry-after", "2")], body));
        assert_eq!(f.error.stripe_code.as_deref(), Some("resource_missing"));
        assert_eq!(f.error.error_type.as_deref(), Some("invalid_request_error"));
        assert_eq!(f.error.param.as_deref(), Some("id"));
        assert_eq!(f.error.request_id.as_deref(), Some("req_123"));
        assert_eq!(f.retry_after, Some(Duration::from_secs(2)));
        assert!(f.error.to_string().contains("No such charge"));
        let f = fail(resp(429, &[("stripe-rate-limited-reason", "global-rate")], "<html>busy</html>"));
        assert_eq!(f.error.rate_limited_reason.as_deref(), Some("global-rate"));
        assert!(f.error.message.contains("<html>busy"), "{}", f.error.message);
    }

    /// Issue 10 item 3: a proxy that echoes the request puts the `Authorization` header in a
    /// non-JSON body; Stripe-shaped error bodies may quote keys too. Neither reaches the message.
    #[test]
    fn quoted_upstream_bodies_are_scrubbed_of_secrets() {
        let key = "sk_test_51Hx9ZzLkdIwHu7ixEchoedBack00";
        let echo = format!("GET /v1/charges HTTP/1.1\r\nAuthorization: Bearer {key}\r\n");
        let json = format!(r#"{{"error":{{"message":"Invalid API Key provided: {key}","code":"x\r\ny"}}}}"#);
        for (status, body) in [(502, echo.clone()), (400, echo.clone()), (401, json), (418, format!("key={key}"))] {
            let f = fail(resp(status, &[("request-id", "req_1\u{2028}x")], &body));
            let all = format!("{} {:?}", f.error, f.error);
            assert!(!all.contains("Echoed") && !all.contains("51Hx9"), "HTTP {status}: {all}");
            assert!(!all.contains("\u{2028}"), "{all}");
        }
        // The same from a 2xx body that is not JSON.
        let ok = RawResponse { status: 200, headers: vec![], body: echo.into_bytes() };
        let e = super::super::parse::<serde_json::Value>(&ok, &["v1", "charges"]).unwrap_err();
        assert!(!e.to_string().contains("51Hx9") && e.to_string().contains("[credential redacted"), "{e}");
    }

    /// A body longer than the head that is read: a key cut by the cut is dropped, not half-quoted.
    #[test]
    fn a_secret_cut_at_the_head_is_not_half_quoted() {
        let mut body = " ".repeat(4090).into_bytes();
        body.extend_from_slice(b"sk_live_abcdefghijklmnop");
        assert!(!describe_body(&body).contains("sk_li"));
    }

    /// Over 4 KiB the head ends before the token the cut splits, here inside a key's random part:
    /// neither the key's prefix nor its fragment stays. Kills `>` made `==` and `<` (a body over
    /// the head was not trimmed), `||` made `&&` (nothing was trimmed) and `==` made `!=` (the
    /// trim stopped at the `_` the cut left last).
    #[test]
    fn a_body_over_the_head_ends_before_the_token_the_cut_splits() {
        // 4080 spaces, "key=" (to 4084), "sk_live_" (to 4092), "Ab1_" (to 4096), then more key.
        let body = format!("{}key=sk_live_Ab1_cd2EfG3hIj", " ".repeat(4080));
        assert_eq!(body.len(), BODY_HEAD + 10);
        assert_eq!(body_head(body.as_bytes()), format!("{}key=", " ".repeat(4080)));
    }

    /// A body of at most 4 KiB is read whole: nothing was cut, so nothing is trimmed, even a last
    /// word. Kills `>` made `>=` (a body of exactly 4 KiB lost "Found") and `<` (so did a short
    /// one).
    #[test]
    fn a_body_that_fits_the_head_is_read_whole() {
        let exact = format!("{}Not Found", " ".repeat(BODY_HEAD - 9));
        assert_eq!(body_head(exact.as_bytes()), exact);
        assert_eq!(body_head(b"Not Found"), "Not Found");
        assert_eq!(describe_body(b"Not Found"), ": body \"Not Found\"");
        assert_eq!(describe_body(b"Bad\r\nGateway\x1b[2J"), ": body \"Bad  Gateway [2J\"");
    }

    /// The 4 KiB cut can split a character: the head ends in U+FFFD (no panic, no stray byte).
    #[test]
    fn a_character_split_by_the_cut_becomes_a_replacement_character() {
        let body = format!("a{}", "é".repeat(2048));
        assert_eq!(body.len(), BODY_HEAD + 1);
        assert_eq!(body_head(body.as_bytes()), format!("a{}\u{FFFD}", "é".repeat(2047)));
    }

    #[test]
    fn transport_errors() {
        let f = fail(Err(TransportError::new(TransportErrorKind::Network, "refused")));
        assert_eq!((f.error.code().as_str(), f.retryable), ("stripe_unavailable", true));
        // A socket timeout is a timeout (retried), not "unavailable".
        let f = fail(Err(TransportError::new(TransportErrorKind::Timeout, "read timed out")));
        assert_eq!((f.error.code().as_str(), f.retryable), ("stripe_timeout", true));
        assert_eq!(f.error.message, "Stripe did not answer in time: read timed out");
        let f = fail(Err(TransportError::new(TransportErrorKind::Body, "eof")));
        assert_eq!((f.error.code().as_str(), f.retryable), ("stripe_bad_response", true));
        let f = fail(Err(TransportError::new(TransportErrorKind::Request, "bad header")));
        assert!(!f.retryable);
        let f = fail(Err(TransportError::new(TransportErrorKind::TooLarge, "17 MiB")));
        assert_eq!((f.error.code().as_str(), f.retryable), ("stripe_bad_response", false));
        let f = fail(Err(TransportError::new(TransportErrorKind::Timeout, "body stalled")));
        assert_eq!(f.error.code(), "stripe_timeout");
    }

    #[test]
    fn retry_after_parsing() {
        assert_eq!(parse_retry_after("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after("0.5"), Some(Duration::from_millis(500)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(parse_retry_after("-1"), None);
        assert_eq!(parse_retry_after("NaN"), None);
    }

    #[test]
    fn backoff_grows_is_capped_and_jittered() {
        let base = Duration::from_millis(100);
        for _ in 0..50 {
            let d0 = backoff(base, 0, None);
            assert!(d0 >= Duration::from_millis(50) && d0 <= base, "{d0:?}");
            let d3 = backoff(base, 3, None);
            assert!(d3 >= Duration::from_millis(400) && d3 <= Duration::from_millis(800), "{d3:?}");
            assert!(backoff(base, 30, None) <= MAX_BACKOFF);
        }
        assert_eq!(backoff(Duration::ZERO, 1, Some(Duration::from_secs(1))), Duration::from_secs(1));
    }
}
