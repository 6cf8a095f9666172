//! Connecting through a Stripe App install link, beside Connect OAuth.
//!
//! Stripe's flow (<https://docs.stripe.com/stripe-apps/install-links>): the user follows
//! `https://marketplace.stripe.com/apps/install/link/{app id}?redirect_uri=…&state=…`, picks an
//! account and installs the app; Stripe then redirects to `redirect_uri` with `user_id`,
//! `account_id`, the `state` unchanged, `install_signature`, and `livemode=false` for a test-mode
//! install. The signature is Stripe's `Stripe-Signature` scheme over the JSON
//! `{"state":…,"user_id":…,"account_id":…}` (in that order), keyed with the app's signing secret
//! (`absec_…`), so a redirect whose account was altered or forged does not verify. Nothing is
//! exchanged afterwards: in platform-key mode the platform reads the installing account with its
//! own key and `Stripe-Account`, the same path as an OAuth connection.

use std::num::NonZeroU32;

use url::Url;

use super::callback::{fill_params, redirect_error};
use crate::config::Tolerance;
use crate::error::{Error, OAuthError, OAuthErrorKind, WebhookError};
use crate::ids::{AccountId, StripeAppId};
use crate::secret::{StripeAppSecret, WebhookSecret};
use crate::signature::verify_signature;

/// The `scope` of a connection made by a Stripe App install: its permissions are the app's, set
/// in its manifest, not an OAuth scope.
pub const STRIPE_APP_SCOPE: &str = "stripe_app";

/// How old an `install_signature` may be: the redirect follows the install at once, and Stripe's
/// libraries verify its header with this default tolerance (5 minutes).
const SIGNATURE_TOLERANCE_SECS: NonZeroU32 = NonZeroU32::new(300).expect("not zero");

/// The longest `user_id` / `install_signature` accepted (Stripe's are far shorter).
const MAX_PARAM_LEN: usize = 512;

/// The query Stripe's install redirect brings back. Build it from the raw query string or from
/// key/value pairs; unknown parameters are ignored, a known one given twice is refused.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallQuery {
    pub user_id: Option<String>,
    pub account_id: Option<String>,
    pub state: Option<String>,
    /// Not a secret: it proves one redirect, and only with the app's signing secret.
    pub install_signature: Option<String>,
    /// `false` for a test-mode install (Stripe appends `livemode=false`); absent in live mode.
    pub livemode: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    duplicate: Option<&'static str>,
}

impl InstallQuery {
    /// Parse a query string (with or without the leading `?`). Never fails: what is missing is
    /// reported by `handle_install_callback`.
    pub fn parse(query: &str) -> Self {
        let query = query.strip_prefix('?').unwrap_or(query);
        Self::from_pairs(url::form_urlencoded::parse(query.as_bytes()))
    }

    /// From already-decoded key/value pairs.
    pub fn from_pairs<I, K, V>(pairs: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut q = InstallQuery::default();
        q.duplicate = fill_params(
            pairs,
            &mut [
                ("user_id", &mut q.user_id),
                ("account_id", &mut q.account_id),
                ("state", &mut q.state),
                ("install_signature", &mut q.install_signature),
                ("livemode", &mut q.livemode),
                ("error", &mut q.error),
                ("error_description", &mut q.error_description),
            ],
        );
        q
    }

    pub(crate) fn redirect_error(&self) -> Option<Error> {
        redirect_error(self.duplicate, self.error.as_deref(), self.error_description.as_deref())
    }

    /// The install's parameters, checked for shape (the signature check comes next).
    pub(crate) fn checked(&self) -> Result<Install<'_>, Error> {
        let missing = |name: &str| {
            Error::invalid_input(
                name,
                "the install redirect has no such parameter (and no `error`): was it opened by hand, or is the app \
                 in Connect OAuth mode instead of platform-key mode?",
            )
        };
        let account = self.account_id.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| missing("account_id"))?;
        let account_id = AccountId::parse(account)?;
        let user_id = self.user_id.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| missing("user_id"))?;
        if user_id.len() > MAX_PARAM_LEN || !user_id.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_input("user_id", "is not a Stripe user id (too long, or not printable ASCII)"));
        }
        let signature = self.install_signature.as_deref().filter(|v| !v.is_empty()).ok_or_else(|| {
            Error::from(OAuthError::new(
                OAuthErrorKind::InstallSignatureInvalid,
                "the install redirect has no `install_signature`: nothing proves Stripe sent it, so nothing was saved",
            ))
        })?;
        let livemode = match self.livemode.as_deref() {
            None => true,
            Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(Error::invalid_input("livemode", "must be `true` or `false`")),
        };
        Ok(Install { account_id, user_id, signature, livemode })
    }
}

/// A redirect's install, shape-checked.
pub(crate) struct Install<'q> {
    pub account_id: AccountId,
    pub user_id: &'q str,
    pub signature: &'q str,
    pub livemode: bool,
}

/// Where to send the user to install the app, and the state that must go with them.
///
/// Put `state` in an httpOnly, `SameSite=Lax`, `Secure` cookie before redirecting to `url`; pass
/// the cookie's value to [`handle_install_callback`](crate::StripeConnect::handle_install_callback).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct InstallUrl {
    /// `{install_base}/apps/install/link/{stripe_app_id}?redirect_uri=…&state=…`
    pub url: Url,
    /// The signed state (also in `url`).
    pub state: String,
    /// Unix seconds after which the state is refused.
    pub expires_at: i64,
}

/// Stripe's install link (pure: no I/O, no clock).
pub(crate) fn build_install_url(base: &Url, app_id: &StripeAppId, redirect_uri: &str, state: &str) -> Url {
    let mut url = super::authorize::connect_endpoint(base, &["apps", "install", "link", app_id.as_str()]);
    url.query_pairs_mut().append_pair("redirect_uri", redirect_uri).append_pair("state", state);
    url
}

/// The payload Stripe signs: `{ state, user_id, account_id }`, in that order, as compact JSON
/// (what `JSON.stringify` and Ruby's `JSON.dump` produce).
fn signed_payload(state: &str, user_id: &str, account_id: &str) -> String {
    #[derive(serde::Serialize)]
    struct Payload<'a> {
        state: &'a str,
        user_id: &'a str,
        account_id: &'a str,
    }
    serde_json::to_string(&Payload { state, user_id, account_id }).expect("strings always serialise")
}

fn invalid_signature(why: &str) -> Error {
    OAuthError::new(
        OAuthErrorKind::InstallSignatureInvalid,
        format!("the install redirect's `install_signature` {why}; nothing was saved"),
    )
    .into()
}

/// Check `install.signature` against the app's signing secret at `now` (Unix seconds), with the
/// webhooks' `Stripe-Signature` verification (constant-time, the signature before its age), the
/// secret as the only key and Stripe's default tolerance.
pub(crate) fn verify_install_signature(
    secret: &StripeAppSecret,
    state: &str,
    install: &Install<'_>,
    now: i64,
) -> Result<(), Error> {
    if install.signature.len() > MAX_PARAM_LEN {
        return Err(invalid_signature("is too long to be Stripe's"));
    }
    let payload = signed_payload(state, install.user_id, install.account_id.as_str());
    let key = [WebhookSecret::unchecked(secret.expose())];
    let tolerance = Tolerance::Seconds(SIGNATURE_TOLERANCE_SECS);
    match verify_signature(payload.as_bytes(), Some(install.signature), &key, tolerance, now) {
        Ok(_) => Ok(()),
        Err(WebhookError::SignatureMismatch { .. }) => Err(invalid_signature(
            "does not match its `state`, `user_id` and `account_id` (an altered or forged redirect, or \
             STRIPE_APP_SECRET is not this app's signing secret)",
        )),
        Err(WebhookError::TimestampOutOfRange { timestamp, .. }) => Err(invalid_signature(&format!(
            "was made {} s from now, outside the {SIGNATURE_TOLERANCE_SECS} s Stripe allows (a replayed \
             redirect, or a server clock that is off)",
            now.saturating_sub(timestamp)
        ))),
        Err(e) => Err(invalid_signature(&format!("is not a Stripe signature ({e})"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signature::generate_test_header;

    const NOW: i64 = 1_700_000_000;

    fn secret() -> StripeAppSecret {
        StripeAppSecret::new("absec_test_123").unwrap()
    }

    fn query(sig: &str) -> InstallQuery {
        InstallQuery::from_pairs([
            ("user_id", "usr_1"),
            ("account_id", "acct_1A"),
            ("state", "st.ate"),
            ("install_signature", sig),
            ("livemode", "false"),
        ])
    }

    fn signed(state: &str, user: &str, account: &str, t: i64) -> String {
        generate_test_header(signed_payload(state, user, account).as_bytes(), "absec_test_123", t)
    }

    /// The payload's field order and spelling are Stripe's: `{ state, user_id, account_id }`.
    #[test]
    fn the_signed_payload_is_stripes_json() {
        assert_eq!(signed_payload("s", "usr_1", "acct_1"), r#"{"state":"s","user_id":"usr_1","account_id":"acct_1"}"#);
    }

    #[test]
    fn a_redirect_signed_for_its_values_verifies() {
        let q = query(&signed("st.ate", "usr_1", "acct_1A", NOW));
        let install = q.checked().unwrap();
        assert!(!install.livemode);
        assert_eq!(verify_install_signature(&secret(), "st.ate", &install, NOW + 10).map_err(|e| e.code()), Ok(()));
    }

    #[test]
    fn an_altered_account_state_or_secret_does_not_verify() {
        let sig = signed("st.ate", "usr_1", "acct_OTHER", NOW);
        let q = query(&sig);
        let e = verify_install_signature(&secret(), "st.ate", &q.checked().unwrap(), NOW).unwrap_err();
        assert_eq!(e.code(), "install_signature_invalid");
        let good = query(&signed("st.ate", "usr_1", "acct_1A", NOW));
        let e = verify_install_signature(&secret(), "other.state", &good.checked().unwrap(), NOW).unwrap_err();
        assert_eq!(e.code(), "install_signature_invalid");
        let other = StripeAppSecret::new("absec_other").unwrap();
        let e = verify_install_signature(&other, "st.ate", &good.checked().unwrap(), NOW).unwrap_err();
        assert_eq!(e.code(), "install_signature_invalid");
        assert!(e.to_string().contains("STRIPE_APP_SECRET"), "{e}");
    }

    #[test]
    fn a_stale_or_malformed_signature_is_refused() {
        let q = query(&signed("st.ate", "usr_1", "acct_1A", NOW - 301));
        let e = verify_install_signature(&secret(), "st.ate", &q.checked().unwrap(), NOW).unwrap_err();
        assert_eq!(e.code(), "install_signature_invalid");
        assert!(e.to_string().contains("300 s"), "{e}");
        for bad in ["v1=abc", "t=1", "garbage", &"t=1,v1=".repeat(100)] {
            let q = query(bad);
            let e = verify_install_signature(&secret(), "st.ate", &q.checked().unwrap(), NOW).unwrap_err();
            assert_eq!(e.code(), "install_signature_invalid", "{bad}");
        }
    }

    /// The bounds are inclusive: a signature exactly 300 s old, a `user_id` and an
    /// `install_signature` of exactly 512 characters are accepted; one more is refused.
    #[test]
    fn the_limits_are_inclusive() {
        let at_limit = query(&signed("st.ate", "usr_1", "acct_1A", NOW - 300));
        assert!(verify_install_signature(&secret(), "st.ate", &at_limit.checked().unwrap(), NOW).is_ok());
        let future = query(&signed("st.ate", "usr_1", "acct_1A", NOW + 300));
        assert!(verify_install_signature(&secret(), "st.ate", &future.checked().unwrap(), NOW).is_ok());

        let sig = signed("st.ate", "usr_1", "acct_1A", NOW);
        let padded = |len: usize| format!("{sig},v0={}", "a".repeat(len - sig.len() - 4));
        let longest = query(&padded(MAX_PARAM_LEN));
        assert_eq!(longest.install_signature.as_ref().map(String::len), Some(MAX_PARAM_LEN));
        assert!(verify_install_signature(&secret(), "st.ate", &longest.checked().unwrap(), NOW).is_ok());
        let too_long = query(&padded(MAX_PARAM_LEN + 1));
        let e = verify_install_signature(&secret(), "st.ate", &too_long.checked().unwrap(), NOW).unwrap_err();
        assert!(e.to_string().contains("too long"), "{e}");

        let user = |len: usize| {
            InstallQuery::from_pairs([
                ("account_id", "acct_1".to_string()),
                ("user_id", format!("usr_{}", "u".repeat(len - 4))),
                ("install_signature", "x".to_string()),
            ])
        };
        assert_eq!(user(MAX_PARAM_LEN).checked().map(|i| i.user_id.len()).ok(), Some(MAX_PARAM_LEN));
        assert_eq!(user(MAX_PARAM_LEN + 1).checked().err().map(|e| e.code().as_str()), Some("invalid_input"));
    }

    #[test]
    fn missing_or_bad_parameters_have_their_codes() {
        let cases: [(&[(&str, &str)], &str); 6] = [
            (&[("user_id", "usr_1"), ("install_signature", "t=1,v1=a")], "invalid_input"),
            (&[("account_id", "cus_1"), ("user_id", "usr_1"), ("install_signature", "x")], "invalid_input"),
            (&[("account_id", "acct_1"), ("install_signature", "x")], "invalid_input"),
            (&[("account_id", "acct_1"), ("user_id", "usr 1"), ("install_signature", "x")], "invalid_input"),
            (&[("account_id", "acct_1"), ("user_id", "usr_1")], "install_signature_invalid"),
            (
                &[("account_id", "acct_1"), ("user_id", "usr_1"), ("install_signature", "x"), ("livemode", "no")],
                "invalid_input",
            ),
        ];
        for (pairs, code) in cases {
            let e = InstallQuery::from_pairs(pairs.iter().copied()).checked().err().unwrap();
            assert_eq!(e.code(), code, "{pairs:?}");
        }
        let live =
            InstallQuery::from_pairs([("account_id", "acct_1"), ("user_id", "usr_1"), ("install_signature", "x")]);
        assert!(live.checked().unwrap().livemode);
    }

    #[test]
    fn a_repeated_parameter_or_a_denial_comes_first() {
        let q = InstallQuery::parse("account_id=acct_1&account_id=acct_2&user_id=u&install_signature=x");
        let e = q.redirect_error().unwrap();
        assert_eq!(e.code(), "invalid_input");
        assert!(e.to_string().contains("`account_id`"), "{e}");
        let q = InstallQuery::parse("error=access_denied&error_description=The%20user%20denied%20your%20request");
        assert_eq!(q.redirect_error().unwrap().code(), "oauth_access_denied");
    }

    #[test]
    fn builds_stripes_install_link() {
        let url = build_install_url(
            &Url::parse("https://marketplace.stripe.com").unwrap(),
            &StripeAppId::parse("com.example.support").unwrap(),
            "https://support.example.com/api/stripe/connect/callback",
            "st.ate",
        );
        assert_eq!(
            url.as_str(),
            "https://marketplace.stripe.com/apps/install/link/com.example.support?redirect_uri=https%3A%2F%2Fsupport.example.com%2Fapi%2Fstripe%2Fconnect%2Fcallback&state=st.ate"
        );
    }
}
