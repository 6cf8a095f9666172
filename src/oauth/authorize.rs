//! The link that sends a user to Stripe's "connect your account" page.

use url::Url;

use crate::config::Scope;
use crate::ids::ClientId;

/// Optional fields Stripe pre-fills on its onboarding form (`stripe_user[…]`). Empty values are
/// left out.
///
/// ```
/// let prefill = stripe_connect::Prefill { email: Some("owner@example.com".into()), ..Default::default() };
/// # let _ = prefill;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Prefill {
    /// `stripe_user[email]`
    pub email: Option<String>,
    /// `stripe_user[url]`: the business website.
    pub url: Option<String>,
    /// `stripe_user[business_name]`
    pub business_name: Option<String>,
    /// `stripe_user[country]`: two-letter country code (`US`, `FR`, …).
    pub country: Option<String>,
}

impl Prefill {
    fn pairs(&self) -> impl Iterator<Item = (&'static str, &str)> {
        [
            ("stripe_user[email]", &self.email),
            ("stripe_user[url]", &self.url),
            ("stripe_user[business_name]", &self.business_name),
            ("stripe_user[country]", &self.country),
        ]
        .into_iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
    }
}

/// Where to send the user, and the state that must go with them.
///
/// Put `state` in an httpOnly, `SameSite=Lax`, `Secure` cookie (max-age up to `expires_at`) before
/// redirecting to `url`; pass the cookie's value to
/// [`handle_callback`](crate::StripeConnect::handle_callback).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthorizeUrl {
    /// `{connect_base}/oauth/authorize?response_type=code&client_id=…&scope=…&redirect_uri=…&state=…`
    pub url: Url,
    /// The signed state (also in `url`).
    pub state: String,
    /// Unix seconds after which the state is refused.
    pub expires_at: i64,
}

/// `{base}/{segments…}`, keeping any path the base already has (a test server's prefix).
pub(crate) fn connect_endpoint(base: &Url, segments: &[&str]) -> Url {
    let mut url = base.clone();
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut path) = url.path_segments_mut() {
        path.pop_if_empty().extend(segments);
    }
    url
}

/// Stripe's authorize URL (pure: no I/O, no clock).
pub(crate) fn build_authorize_url(
    connect_base: &Url,
    client_id: &ClientId,
    scope: Scope,
    redirect_uri: &str,
    state: &str,
    prefill: &Prefill,
) -> Url {
    let mut url = connect_endpoint(connect_base, &["oauth", "authorize"]);
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id.as_str())
        .append_pair("scope", scope.as_str())
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", state)
        .extend_pairs(prefill.pairs());
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decoded(url: &Url) -> Vec<(String, String)> {
        url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect()
    }

    #[test]
    fn builds_stripes_authorize_url() {
        let url = build_authorize_url(
            &Url::parse("https://connect.stripe.com").unwrap(),
            &ClientId::parse("ca_123").unwrap(),
            Scope::ReadWrite,
            "https://support.example.com/api/stripe/callback",
            "st.ate",
            &Prefill { email: Some("a+b@example.com".into()), country: Some(String::new()), ..Default::default() },
        );
        assert_eq!(url.origin().ascii_serialization(), "https://connect.stripe.com");
        assert_eq!(url.path(), "/oauth/authorize");
        let expected: Vec<(String, String)> = [
            ("response_type", "code"),
            ("client_id", "ca_123"),
            ("scope", "read_write"),
            ("redirect_uri", "https://support.example.com/api/stripe/callback"),
            ("state", "st.ate"),
            ("stripe_user[email]", "a+b@example.com"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(decoded(&url), expected);
    }

    #[test]
    fn endpoints_keep_the_base_path_and_drop_its_query() {
        let e = |b: &str| connect_endpoint(&Url::parse(b).unwrap(), &["oauth", "token"]).to_string();
        assert_eq!(e("https://connect.stripe.com"), "https://connect.stripe.com/oauth/token");
        assert_eq!(e("http://127.0.0.1:9/prefix/"), "http://127.0.0.1:9/prefix/oauth/token");
        assert_eq!(e("http://127.0.0.1:9/prefix?x=1#f"), "http://127.0.0.1:9/prefix/oauth/token");
    }
}
