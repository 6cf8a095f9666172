//! The query Stripe's redirect brings back to the callback route.

use std::fmt;

use crate::error::{Error, OAuthError, OAuthErrorKind};

/// The callback's query parameters. Build it from the raw query string or from key/value pairs
/// (what a framework's parsed query gives you); unknown parameters are ignored.
///
/// Debug hides the authorization `code`.
#[derive(Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct CallbackQuery {
    pub code: Option<String>,
    pub state: Option<String>,
    pub scope: Option<String>,
    pub error: Option<String>,
    pub error_description: Option<String>,
    /// The first known parameter that appeared more than once: refused rather than guessing which
    /// one Stripe meant.
    duplicate: Option<&'static str>,
}

impl CallbackQuery {
    /// Parse a query string (`code=ac_…&state=…&scope=read_write`, with or without the leading
    /// `?`). Never fails: what is missing is reported by `handle_callback`.
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
        let mut q = CallbackQuery::default();
        q.duplicate = fill_params(
            pairs,
            &mut [
                ("code", &mut q.code),
                ("state", &mut q.state),
                ("scope", &mut q.scope),
                ("error", &mut q.error),
                ("error_description", &mut q.error_description),
            ],
        );
        q
    }

    /// What Stripe's redirect says, before any state or code check: an error the user or Stripe
    /// reported (`error=…`), or a refusal of a repeated parameter.
    pub(crate) fn redirect_error(&self) -> Option<Error> {
        redirect_error(self.duplicate, self.error.as_deref(), self.error_description.as_deref())
    }

    /// The authorization code, checked for shape only (Stripe's are `ac_…`; the form body encodes
    /// whatever it is).
    pub(crate) fn checked_code(&self) -> Result<&str, Error> {
        let code = self.code.as_deref().filter(|c| !c.is_empty()).ok_or_else(|| {
            Error::invalid_input(
                "code",
                "the callback has no authorization `code` (and no `error`): was it opened by hand?",
            )
        })?;
        if code.len() > 255 || !code.bytes().all(|b| b.is_ascii_graphic()) {
            return Err(Error::invalid_input(
                "code",
                "is not an authorization code (too long, or has spaces or control characters)",
            ));
        }
        Ok(code)
    }
}

/// Put each pair whose key names a slot into that slot (unknown keys are ignored); the first name
/// given twice is returned, to be refused rather than guessing which one Stripe meant.
pub(crate) fn fill_params<I, K, V>(pairs: I, slots: &mut [(&'static str, &mut Option<String>)]) -> Option<&'static str>
where
    I: IntoIterator<Item = (K, V)>,
    K: AsRef<str>,
    V: AsRef<str>,
{
    let mut duplicate = None;
    for (k, v) in pairs {
        let Some((name, slot)) = slots.iter_mut().find(|(name, _)| *name == k.as_ref()) else { continue };
        if slot.is_some() {
            duplicate.get_or_insert(*name);
        } else {
            **slot = Some(v.as_ref().to_string());
        }
    }
    duplicate
}

/// What a connect redirect (OAuth or a Stripe App install) says before any state check: a
/// parameter repeated (refused rather than guessing which one Stripe meant), or an error the user
/// or Stripe reported (`error=…`).
pub(crate) fn redirect_error(
    duplicate: Option<&'static str>,
    error: Option<&str>,
    error_description: Option<&str>,
) -> Option<Error> {
    if let Some(name) = duplicate {
        return Some(Error::invalid_input(name, "appears more than once in the callback query"));
    }
    let code = error?;
    // Whatever the request carried reaches logs: cleaned and capped, never verbatim.
    let description = error_description.map(crate::quote::quote).unwrap_or_default();
    let err = if code == "access_denied" {
        let why = if description.is_empty() {
            "the user declined to connect their Stripe account".into()
        } else {
            description
        };
        OAuthError::new(OAuthErrorKind::AccessDenied, why)
    } else {
        let mut e = OAuthError::new(OAuthErrorKind::Other, format!("Stripe redirected with an error: {description}"));
        e.stripe_code = Some(crate::quote::quote_capped(code, 100));
        e
    };
    Some(err.into())
}

impl fmt::Debug for CallbackQuery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallbackQuery")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state)
            .field("scope", &self.scope)
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_query_strings_and_pairs_alike() {
        let a = CallbackQuery::parse("?code=ac_123&scope=read_write&state=s%2Bt&extra=1");
        let b = CallbackQuery::from_pairs([("state", "s+t"), ("code", "ac_123"), ("scope", "read_write")]);
        assert_eq!(a, b);
        assert_eq!(a.state.as_deref(), Some("s+t"));
        assert_eq!(a.scope.as_deref(), Some("read_write"));
        assert_eq!(a.code.as_deref(), Some("ac_123"));
        assert_eq!(a.checked_code().unwrap(), "ac_123");
        assert!(a.redirect_error().is_none());
    }

    #[test]
    fn access_denied_needs_no_state() {
        let e = CallbackQuery::parse("error=access_denied&error_description=The+user+denied+your+request")
            .redirect_error()
            .unwrap();
        assert_eq!(e.code(), "oauth_access_denied");
        assert!(e.to_string().contains("The user denied your request"), "{e}");
        assert_eq!(CallbackQuery::parse("error=access_denied").redirect_error().unwrap().code(), "oauth_access_denied");
    }

    #[test]
    fn other_errors_carry_stripes_code_and_description() {
        let e =
            CallbackQuery::parse("error=invalid_scope&error_description=Bad+scope&state=x").redirect_error().unwrap();
        assert_eq!(e.code(), "oauth_error");
        assert_eq!(e.stripe_code(), Some("invalid_scope"));
        assert!(e.to_string().contains("Bad scope"));
    }

    /// Issue 10 item 5: `error_description=<CRLF + 500 KB>` reaches the error (and `onError`)
    /// without line breaks and a few hundred characters long.
    #[test]
    fn a_forged_error_description_is_cleaned_and_capped() {
        let long = format!("%0D%0A2026-11-30T00:00:00Z INFO user=admin login ok%0D%0A{}", "A".repeat(500_000));
        for error in ["server_error", "access_denied"] {
            let q = CallbackQuery::parse(&format!("error={error}%0D%0Ax&error_description={long}"));
            let e = q.redirect_error().unwrap();
            let msg = e.to_string();
            assert!(!msg.contains(['\r', '\n']), "{error}: {msg:.120}");
            assert!(msg.chars().count() < 500, "{error}: {} chars", msg.chars().count());
            assert!(msg.contains("characters in all"), "{msg:.400}");
            assert!(e.stripe_code().is_none_or(|c| !c.contains(['\r', '\n'])));
        }
    }

    #[test]
    fn duplicates_and_bad_codes_are_invalid_input() {
        for q in [
            "code=a&code=b&state=x",
            "state=x&state=y",
            "scope=a&scope=b",
            "error=a&error=b",
            "error_description=a&error_description=b",
        ] {
            let e = CallbackQuery::parse(q).redirect_error().unwrap();
            assert_eq!(e.code(), "invalid_input", "{q}");
            let field = q.split('=').next().unwrap();
            assert!(e.to_string().contains(&format!("`{field}`")), "{q}: {e}");
        }
        let longest = "a".repeat(255);
        assert_eq!(CallbackQuery::from_pairs([("code", longest.as_str())]).checked_code().unwrap(), longest);
        let too_long = "a".repeat(256);
        assert_eq!(
            CallbackQuery::from_pairs([("code", too_long.as_str())]).checked_code().unwrap_err().code(),
            "invalid_input"
        );
        for q in ["state=x", "code=&state=x", "code=ac+1&state=x", "code=ac%0A1"] {
            assert_eq!(CallbackQuery::parse(q).checked_code().unwrap_err().code(), "invalid_input", "{q}");
        }
    }

    #[test]
    fn debug_hides_the_code() {
        let d = format!("{:?}", CallbackQuery::parse("code=ac_SECRET&state=x"));
        assert!(!d.contains("ac_SECRET") && d.contains("[redacted]"), "{d}");
    }
}
