//! Parsing what Stripe's OAuth endpoints answer (pure: tested without a server).
//!
//! Errors are flat: `{"error": "invalid_grant", "error_description": "…"}`. A token response holds
//! live credentials (`access_token`, `refresh_token`), so no part of a body is ever copied into an
//! error message and only the fields we keep are read.

use serde_json::Value;

use crate::api::RawResponse;
use crate::error::{Error, OAuthError, OAuthErrorKind, StripeError, StripeErrorKind};
use crate::ids::AccountId;

/// What a successful code exchange tells us (the deprecated tokens are not read at all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Grant {
    pub account_id: AccountId,
    pub livemode: bool,
    pub scope: String,
}

/// How a deauthorize call ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Deauthorized {
    Now,
    /// Stripe answered `invalid_client`: the account is not connected (any more).
    AlreadyGone,
}

fn stripe_error(kind: StripeErrorKind, message: impl Into<String>, resp: &RawResponse) -> StripeError {
    let mut e = StripeError::new(kind, message);
    e.status = Some(resp.status);
    e.request_id = resp.request_id();
    e
}

fn bad_response(what: &str, resp: &RawResponse) -> Error {
    stripe_error(StripeErrorKind::BadResponse, format!("unexpected OAuth response from Stripe: {what}"), resp).into()
}

/// A string member of Stripe's answer, as it may be quoted in an error (see [`crate::quote`]).
fn text(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(crate::quote::quote)
}

/// Stripe's flat OAuth `error` values, each to its code.
fn oauth_kind(code: &str) -> OAuthErrorKind {
    match code {
        "invalid_grant" => OAuthErrorKind::InvalidGrant,
        "invalid_request" => OAuthErrorKind::InvalidRequest,
        "invalid_scope" => OAuthErrorKind::InvalidScope,
        "invalid_client" => OAuthErrorKind::InvalidClient,
        "unsupported_grant_type" => OAuthErrorKind::UnsupportedGrantType,
        "unsupported_response_type" => OAuthErrorKind::UnsupportedResponseType,
        "access_denied" => OAuthErrorKind::AccessDenied,
        _ => OAuthErrorKind::Other,
    }
}

/// The error an `error` member of a body stands for, if it has one.
fn body_error(body: &Value, resp: &RawResponse) -> Option<Error> {
    match body.get("error")? {
        Value::String(code) => {
            let mut e = OAuthError::new(oauth_kind(code), text(body, "error_description").unwrap_or_default());
            e.stripe_code = Some(crate::quote::quote_capped(code, 100));
            e.status = Some(resp.status);
            e.request_id = resp.request_id();
            Some(e.into())
        }
        // The API's nested shape, e.g. a 401 for a wrong secret key.
        nested @ Value::Object(_) => {
            let kind = match resp.status {
                401 => StripeErrorKind::AuthFailed,
                403 => StripeErrorKind::PermissionDenied,
                429 => StripeErrorKind::RateLimited,
                _ => StripeErrorKind::ApiError,
            };
            let mut e = stripe_error(kind, text(nested, "message").unwrap_or_default(), resp);
            e.error_type = nested.get("type").and_then(Value::as_str).map(crate::api::quote_field);
            e.stripe_code = nested.get("code").and_then(Value::as_str).map(crate::api::quote_field);
            Some(e.into())
        }
        _ => None,
    }
}

/// The JSON object of a 2xx response, or the error the response stands for.
fn success_body(resp: &RawResponse) -> Result<Value, Error> {
    let status = resp.status;
    let body = serde_json::from_slice::<Value>(&resp.body).ok().filter(Value::is_object);
    if status >= 500 {
        let msg = format!("Stripe's OAuth endpoint answered HTTP {status}; not retried");
        return Err(stripe_error(StripeErrorKind::Unavailable, msg, resp).into());
    }
    if let Some(e) = body.as_ref().and_then(|b| body_error(b, resp)) {
        return Err(e);
    }
    match body {
        Some(v) if (200..300).contains(&status) => Ok(v),
        _ if status == 429 => Err(stripe_error(
            StripeErrorKind::RateLimited,
            "Stripe's OAuth endpoint is rate limiting; not retried",
            resp,
        )
        .into()),
        _ if (200..300).contains(&status) => Err(bad_response("the body is not a JSON object", resp)),
        _ => Err(bad_response(&format!("HTTP {status} without an OAuth error body"), resp)),
    }
}

fn account_field(body: &Value, resp: &RawResponse) -> Result<AccountId, Error> {
    let raw =
        body.get("stripe_user_id").and_then(Value::as_str).ok_or_else(|| bad_response("no `stripe_user_id`", resp))?;
    AccountId::parse(raw).map_err(|_| bad_response("`stripe_user_id` is not an acct_ id", resp))
}

/// `POST /oauth/token`: `stripe_user_id`, `livemode` and `scope` are required.
pub(crate) fn parse_token_response(resp: &RawResponse) -> Result<Grant, Error> {
    let body = success_body(resp)?;
    let account_id = account_field(&body, resp)?;
    let livemode =
        body.get("livemode").and_then(Value::as_bool).ok_or_else(|| bad_response("no boolean `livemode`", resp))?;
    let scope = body
        .get("scope")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 100)
        .ok_or_else(|| bad_response("no `scope`", resp))?
        .to_string();
    Ok(Grant { account_id, livemode, scope })
}

/// `POST /oauth/deauthorize`: success echoes the account id; `invalid_client` means it was
/// already disconnected.
pub(crate) fn parse_deauthorize_response(resp: &RawResponse, expected: &AccountId) -> Result<Deauthorized, Error> {
    match success_body(resp) {
        Ok(body) if &account_field(&body, resp)? == expected => Ok(Deauthorized::Now),
        Ok(_) => Err(bad_response("`stripe_user_id` is not the account that was disconnected", resp)),
        Err(Error::OAuth(e)) if e.kind == OAuthErrorKind::InvalidClient => Ok(Deauthorized::AlreadyGone),
        Err(e) => Err(e),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn resp(status: u16, body: &str) -> RawResponse {
        RawResponse { status, headers: vec![("request-id".into(), "req_1".into())], body: body.as_bytes().to_vec() }
    }

    const TOKEN_OK: &str = r#"{"access_token":"sk_test_LEAK","livemode":false,"refresh_token":"rt_LEAK","token_type":"bearer",
        "stripe_publishable_key":"pk_test_LEAK","stripe_user_id":"acct_1PgafTB7WZ01zgkW","scope":"read_write"}"#;

    #[test]
    fn token_success_with_and_without_deprecated_tokens() {
        let g = parse_token_response(&resp(200, TOKEN_OK)).unwrap();
        assert_eq!(
            g,
            Grant {
                account_id: AccountId::parse("acct_1PgafTB7WZ01zgkW").unwrap(),
                livemode: false,
                scope: "read_write".into()
            }
        );
        assert!(!format!("{g:?}").contains("LEAK"));
        let bare =
            parse_token_response(&resp(200, r#"{"stripe_user_id":"acct_9","livemode":true,"scope":"read_only"}"#))
                .unwrap();
        assert!(bare.livemode);
    }

    #[test]
    fn flat_oauth_errors_map_to_codes() {
        for (stripe, ours) in [
            ("invalid_grant", "oauth_invalid_grant"),
            ("invalid_request", "oauth_invalid_request"),
            ("invalid_scope", "oauth_invalid_scope"),
            ("invalid_client", "oauth_invalid_client"),
            ("unsupported_grant_type", "oauth_unsupported_grant_type"),
            ("unsupported_response_type", "oauth_unsupported_response_type"),
            ("something_new", "oauth_error"),
        ] {
            let body =
                format!(r#"{{"error":"{stripe}","error_description":"Authorization code does not exist: ac_1"}}"#);
            let e = parse_token_response(&resp(400, &body)).unwrap_err();
            assert_eq!(e.code(), ours);
            assert_eq!((e.stripe_code(), e.status(), e.request_id()), (Some(stripe), Some(400), Some("req_1")));
            assert!(e.to_string().contains("does not exist"), "{e}");
        }
    }

    #[test]
    fn server_errors_and_bad_bodies() {
        for (status, body, code) in [
            (500, "", "stripe_unavailable"),
            (503, r#"{"error":"invalid_grant"}"#, "stripe_unavailable"),
            (429, "", "stripe_rate_limited"),
            (
                401,
                r#"{"error":{"type":"invalid_request_error","message":"Invalid API Key provided: sk_test_****1234"}}"#,
                "stripe_auth_failed",
            ),
            (400, "<html>", "stripe_bad_response"),
            (200, "<html>", "stripe_bad_response"),
            (200, "[]", "stripe_bad_response"),
            (200, r#"{"livemode":false,"scope":"read_write"}"#, "stripe_bad_response"),
            (200, r#"{"stripe_user_id":"acct_../x","livemode":false,"scope":"read_write"}"#, "stripe_bad_response"),
            (200, r#"{"stripe_user_id":"acct_1","livemode":"false","scope":"read_write"}"#, "stripe_bad_response"),
            (200, r#"{"stripe_user_id":"acct_1","livemode":false}"#, "stripe_bad_response"),
            (200, r#"{"error":"invalid_grant"}"#, "oauth_invalid_grant"),
        ] {
            let e = parse_token_response(&resp(status, body)).unwrap_err();
            assert_eq!(e.code(), code, "{status} {body}");
            assert_eq!(e.request_id(), Some("req_1"));
        }
    }

    #[test]
    fn bad_token_bodies_never_echo_tokens() {
        let body = r#"{"access_token":"sk_test_LEAK","refresh_token":"rt_LEAK","stripe_user_id":"acct_1","livemode":"sk_test_LEAK"}"#;
        let e = parse_token_response(&resp(200, body)).unwrap_err();
        assert!(!format!("{e} {e:?}").contains("LEAK"), "{e:?}");
    }

    #[test]
    fn deauthorize_outcomes() {
        let acct = AccountId::parse("acct_1").unwrap();
        assert_eq!(
            parse_deauthorize_response(&resp(200, r#"{"stripe_user_id":"acct_1"}"#), &acct).unwrap(),
            Deauthorized::Now
        );
        let gone = r#"{"error":"invalid_client","error_description":"This application is not connected to stripe account acct_1, or that account does not exist."}"#;
        assert_eq!(parse_deauthorize_response(&resp(401, gone), &acct).unwrap(), Deauthorized::AlreadyGone);
        let other = parse_deauthorize_response(&resp(200, r#"{"stripe_user_id":"acct_2"}"#), &acct).unwrap_err();
        assert_eq!(other.code(), "stripe_bad_response");
        assert_eq!(
            parse_deauthorize_response(&resp(400, r#"{"error":"invalid_request"}"#), &acct).unwrap_err().code(),
            "oauth_invalid_request"
        );
        assert_eq!(parse_deauthorize_response(&resp(502, ""), &acct).unwrap_err().code(), "stripe_unavailable");
    }
}
