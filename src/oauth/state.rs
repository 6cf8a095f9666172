//! The OAuth `state`: a signed, self-contained token, so the callback needs no server-side session.
//!
//! Layout: `base64url(payload) "." base64url(HMAC-SHA256(state_secret, payload))`, where the
//! payload is `v1.<expires_at>.<nonce>.<app_slug>` (slug last: it may contain dots). The nonce makes
//! every state unique, so it doubles as the single-use key claimed in the claims store.

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::error::{OAuthError, OAuthErrorKind};
use crate::ids::AppSlug;
use crate::secret::StateSecret;

const VERSION: &str = "v1";
/// Far above any token we issue (about 250 characters); refuses junk before decoding it.
const MAX_TOKEN_LEN: usize = 512;
/// Claims-store key prefix of a used state's nonce.
pub(crate) const CLAIM_PREFIX: &str = "oauth_state:";

/// What a state that verified says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct VerifiedState {
    pub app_slug: AppSlug,
    pub nonce: String,
    pub expires_at: i64,
}

impl VerifiedState {
    pub fn claim_key(&self) -> String {
        format!("{CLAIM_PREFIX}{}", self.nonce)
    }
}

/// 128 random bits as 32 lowercase hex characters.
pub(crate) fn new_nonce() -> String {
    format!("{:032x}", rand::random::<u128>())
}

fn mac(secret: &StateSecret) -> Hmac<Sha256> {
    // HMAC accepts keys of any length; this cannot fail.
    Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes()).expect("HMAC takes any key length")
}

/// Sign a state for `app_slug` that expires at `expires_at` (Unix seconds).
pub(crate) fn sign_state(secret: &StateSecret, app_slug: &AppSlug, nonce: &str, expires_at: i64) -> String {
    let payload = format!("{VERSION}.{expires_at}.{nonce}.{app_slug}");
    let mut m = mac(secret);
    m.update(payload.as_bytes());
    format!("{}.{}", B64.encode(payload), B64.encode(m.finalize().into_bytes()))
}

fn invalid(why: &str) -> OAuthError {
    OAuthError::new(OAuthErrorKind::InvalidState, format!("invalid state: {why}"))
}

/// Check the callback's state against the cookie's, in constant time. Both must be present.
pub(crate) fn check_cookie(query_state: Option<&str>, cookie_state: Option<&str>) -> Result<(), OAuthError> {
    let Some(query) = query_state.filter(|s| !s.is_empty()) else {
        return Err(invalid("the callback URL has no `state` parameter (was it opened from Stripe's redirect?)"));
    };
    let Some(cookie) = cookie_state.filter(|s| !s.is_empty()) else {
        return Err(invalid(
            "no state cookie: set it httpOnly (SameSite=Lax) on the callback's host when redirecting to Stripe; it may \
             also have expired, or the flow was started in another browser",
        ));
    };
    if bool::from(query.as_bytes().ct_eq(cookie.as_bytes())) {
        Ok(())
    } else {
        Err(invalid("the `state` in the callback URL does not match the state cookie (a forged or crossed callback)"))
    }
}

/// Verify the signature and expiry of `token` at `now`. The MAC is compared in constant time.
pub(crate) fn verify_state(secret: &StateSecret, token: &str, now: i64) -> Result<VerifiedState, OAuthError> {
    if token.len() > MAX_TOKEN_LEN {
        return Err(invalid("too long to be a state this library issued"));
    }
    let (payload_b64, tag_b64) = token.split_once('.').ok_or_else(|| invalid("not a state this library issued"))?;
    let (Ok(payload), Ok(tag)) = (B64.decode(payload_b64), B64.decode(tag_b64)) else {
        return Err(invalid("not a state this library issued (bad encoding)"));
    };
    let mut m = mac(secret);
    m.update(&payload);
    if m.verify_slice(&tag).is_err() {
        return Err(invalid("the signature does not verify (forged, altered, or signed with another state secret)"));
    }
    // Signed by us from here on; the checks below only guard against our own older formats.
    let parsed = std::str::from_utf8(&payload).ok().and_then(parse_payload);
    let state = parsed.ok_or_else(|| invalid("unknown state format (issued by another version of this library?)"))?;
    if now >= state.expires_at {
        return Err(OAuthError::new(
            OAuthErrorKind::StateExpired,
            format!("the state expired {} s ago: start the connect flow again", now.saturating_sub(state.expires_at)),
        ));
    }
    Ok(state)
}

fn parse_payload(payload: &str) -> Option<VerifiedState> {
    let mut parts = payload.splitn(4, '.');
    if parts.next()? != VERSION {
        return None;
    }
    let expires = parts.next()?;
    let nonce = parts.next()?;
    let slug = parts.next()?;
    if expires.is_empty() || !expires.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if nonce.len() != 32 || !nonce.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(VerifiedState {
        app_slug: AppSlug::parse(slug).ok()?,
        nonce: nonce.to_string(),
        expires_at: expires.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_700_000_000;

    fn secret(s: &str) -> StateSecret {
        StateSecret::named("state_secret", s.repeat(40)).unwrap()
    }

    fn slug(s: &str) -> AppSlug {
        AppSlug::parse(s).unwrap()
    }

    #[test]
    fn round_trip_binds_slug_nonce_and_expiry() {
        let nonce = new_nonce();
        let token = sign_state(&secret("a"), &slug("help.desk-2"), &nonce, NOW + 600);
        assert!(
            token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)),
            "URL and cookie safe: {token}"
        );
        let v = verify_state(&secret("a"), &token, NOW).unwrap();
        assert_eq!(v, VerifiedState { app_slug: slug("help.desk-2"), nonce: nonce.clone(), expires_at: NOW + 600 });
        assert_eq!(v.claim_key(), format!("oauth_state:{nonce}"));
    }

    #[test]
    fn nonces_are_random() {
        let (a, b) = (new_nonce(), new_nonce());
        assert_eq!(a.len(), 32);
        assert_ne!(a, b);
    }

    #[test]
    fn expiry_is_exclusive() {
        let token = sign_state(&secret("a"), &slug("app"), &new_nonce(), NOW + 600);
        assert!(verify_state(&secret("a"), &token, NOW + 599).is_ok());
        assert_eq!(verify_state(&secret("a"), &token, NOW + 600).unwrap_err().code(), "oauth_state_expired");
    }

    #[test]
    fn other_secret_or_altered_payload_is_invalid() {
        let token = sign_state(&secret("a"), &slug("app-a"), &new_nonce(), NOW + 600);
        assert_eq!(verify_state(&secret("b"), &token, NOW).unwrap_err().code(), "oauth_invalid_state");

        // Swap the slug inside the payload but keep the original MAC.
        let (payload, tag) = token.split_once('.').unwrap();
        let text = String::from_utf8(B64.decode(payload).unwrap()).unwrap().replace("app-a", "app-b");
        let forged = format!("{}.{tag}", B64.encode(text));
        assert_eq!(verify_state(&secret("a"), &forged, NOW).unwrap_err().code(), "oauth_invalid_state");
    }

    #[test]
    fn garbage_never_panics() {
        let long = "a".repeat(10_000);
        for junk in ["", ".", "..", "a.b", "v1", "é.é", "%%%.%%%", "AAAA.AAAA", long.as_str()] {
            assert_eq!(verify_state(&secret("a"), junk, NOW).unwrap_err().code(), "oauth_invalid_state", "{junk:?}");
        }
    }

    #[test]
    fn signed_but_malformed_payloads_are_invalid() {
        let s = secret("a");
        let sign = |payload: &str| {
            let mut m = mac(&s);
            m.update(payload.as_bytes());
            format!("{}.{}", B64.encode(payload), B64.encode(m.finalize().into_bytes()))
        };
        let nonce = "0".repeat(32);
        for p in [
            format!("v2.{}.{nonce}.app", NOW + 60),
            format!("v1.-1.{nonce}.app"),
            format!("v1.{}.short.app", NOW + 60),
            format!("v1.{}.{nonce}.bad/slug", NOW + 60),
            format!("v1.{}.{nonce}", NOW + 60),
            format!("v1.99999999999999999999.{nonce}.app"),
        ] {
            assert_eq!(verify_state(&s, &sign(&p), NOW).unwrap_err().code(), "oauth_invalid_state", "{p}");
        }
        assert!(verify_state(&s, &sign(&format!("v1.{}.{nonce}.app", NOW + 60)), NOW).is_ok());
    }

    #[test]
    fn a_signed_nonce_must_be_32_hex_characters() {
        let s = secret("a");
        let sign = |payload: &str| {
            let mut m = mac(&s);
            m.update(payload.as_bytes());
            format!("{}.{}", B64.encode(payload), B64.encode(m.finalize().into_bytes()))
        };
        // Hex but the wrong length, and the right length but not hex: each alone is refused.
        for nonce in
            ["abc123".to_string(), "0".repeat(31), "0".repeat(33), "z".repeat(32), format!("{}g", "0".repeat(31))]
        {
            let p = format!("v1.{}.{nonce}.app", NOW + 60);
            assert_eq!(verify_state(&s, &sign(&p), NOW).unwrap_err().code(), "oauth_invalid_state", "{nonce}");
        }
        assert!(verify_state(&s, &sign(&format!("v1.{}.{}.app", NOW + 60, "aB".repeat(16))), NOW).is_ok());
    }

    #[test]
    fn tokens_over_the_length_cap_are_refused_as_too_long() {
        let too_long = |token: &str| verify_state(&secret("a"), token, NOW).unwrap_err().to_string();
        // Over the cap with a `.` (so it would otherwise be split and decoded): "too long".
        let over = format!("{}.{}", "A".repeat(300), "A".repeat(300));
        assert!(too_long(&over).contains("too long"), "{}", too_long(&over));
        let just_over = format!("{}.{}", "A".repeat(256), "A".repeat(256));
        assert_eq!(just_over.len(), MAX_TOKEN_LEN + 1);
        assert!(too_long(&just_over).contains("too long"));
        // At the cap: not refused for its length (it fails later, on its signature).
        let at_cap = format!("{}.{}", "A".repeat(255), "A".repeat(256));
        assert_eq!(at_cap.len(), MAX_TOKEN_LEN);
        let msg = too_long(&at_cap);
        assert!(!msg.contains("too long") && msg.contains("signature"), "{msg}");
    }

    #[test]
    fn cookie_must_match_query() {
        assert!(check_cookie(Some("abc"), Some("abc")).is_ok());
        for (q, c) in [
            (None, Some("abc")),
            (Some("abc"), None),
            (Some(""), Some("")),
            (Some("abc"), Some("abd")),
            (Some("abc"), Some("abcd")),
        ] {
            assert_eq!(check_cookie(q, c).unwrap_err().code(), "oauth_invalid_state", "{q:?} {c:?}");
        }
    }
}
