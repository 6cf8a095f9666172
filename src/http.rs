//! HTTP plumbing shared by the OAuth flow and the API queries.

use crate::config::Config;
use crate::error::{Error, StripeError, StripeErrorKind};

/// `User-Agent` on every request.
pub const USER_AGENT: &str = concat!("stripe-connect-rs/", env!("CARGO_PKG_VERSION"));

/// The one reqwest client (rustls, keep-alive). No cookies, no proxies read from disk.
pub(crate) fn build_client(config: &Config) -> Result<reqwest::Client, Error> {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        // Stripe never redirects API or OAuth calls; following one would carry Stripe-Account
        // (and form bodies) to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(config.timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .build()
        .map_err(|e| {
            StripeError::new(StripeErrorKind::Unavailable, format!("cannot build HTTP client: {}", error_chain(&e)))
                .into()
        })
}

/// reqwest's Display hides the cause ("error sending request"); walk `source()` for the real one.
pub(crate) fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut cur = e.source();
    while let Some(c) = cur {
        let m = c.to_string();
        if !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        cur = c.source();
    }
    s
}
