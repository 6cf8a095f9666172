//! HTTP plumbing shared by the OAuth flow and the API queries.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use rustls_platform_verifier::BuilderVerifierExt;

use crate::error::{Error, StripeError, StripeErrorKind};

/// `User-Agent` on every request.
pub const USER_AGENT: &str = concat!("stripe-connect-rs/", env!("CARGO_PKG_VERSION"));

/// Whether `url`'s host is this machine: `localhost`, `127.0.0.0/8` or `[::1]`. The one loopback
/// rule: a plain `http://` API or Connect base is allowed only there (the secret key travels in
/// it), and the Next.js routes leave `Secure` off the state cookie only there. `*.localhost` is not
/// included: not every resolver sends it to loopback.
pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// The one reqwest client (rustls, keep-alive). No cookies, no proxies read from disk.
/// On failure, the message for a `stripe_unavailable` error.
fn build_client(timeout: Duration) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .tls_backend_preconfigured(tls_config()?)
        .user_agent(USER_AGENT)
        // Stripe never redirects API or OAuth calls; following one would carry Stripe-Account
        // (and form bodies) to wherever it points.
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .pool_idle_timeout(std::time::Duration::from_secs(90))
        .build()
        .map_err(|e| format!("cannot build HTTP client: {}", error_chain(&e)))
}

/// rustls on the `ring` provider with the OS's trust store (what reqwest's default `rustls` feature
/// does with aws-lc-rs). Passed to reqwest ready-made, so no process-wide default provider is
/// installed: a Rust service embedding the crate keeps its own choice.
fn tls_config() -> Result<rustls::ClientConfig, String> {
    // rustls 0.23.48 deprecates the ring provider because ring has no post-quantum (hybrid ML-KEM)
    // key exchange; only aws-lc-rs has one. The crate keeps ring (Cargo.toml: aws-lc-sys's C build),
    // so the key exchange stays X25519 / P-256 / P-384 as before. `expect`, not `allow`: moving
    // to aws-lc-rs, or a rustls that drops the deprecation, turns this into a warning to revisit.
    #[expect(deprecated, reason = "ring is kept deliberately; see the comment above")]
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_platform_verifier())
        .map_err(|e| format!("cannot set up TLS: {e}"))?
        .with_no_client_auth();
    // reqwest leaves ALPN to a preconfigured TLS config. HTTP/1.1 only: the build has no HTTP/2
    // (Cargo.toml), so offering `h2` would let a server pick a protocol the client cannot speak.
    tls.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(tls)
}

/// The shared reqwest client, built on first use and kept (with its keep-alive pool) for every
/// later request. Building it initialises rustls and its crypto provider and loads the system CA
/// store (~1.8 MiB resident, ~3.6 ms): a process that only verifies webhooks never pays for that.
/// A build failure is kept too, and every request reports it (`stripe_unavailable`).
pub(crate) struct LazyClient {
    timeout: Duration,
    cell: OnceLock<Result<reqwest::Client, String>>,
}

impl LazyClient {
    pub(crate) fn new(timeout: Duration) -> Self {
        LazyClient { timeout, cell: OnceLock::new() }
    }

    /// The client, built by the first caller.
    pub(crate) fn get(&self) -> Result<&reqwest::Client, Error> {
        match self.cell.get_or_init(|| build_client(self.timeout)) {
            Ok(client) => Ok(client),
            Err(message) => Err(StripeError::new(StripeErrorKind::Unavailable, message.clone()).into()),
        }
    }

    /// Whether the client has been built (tests).
    #[cfg(test)]
    pub(crate) fn is_built(&self) -> bool {
        self.cell.get().is_some()
    }
}

impl std::fmt::Debug for LazyClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyClient").field("built", &self.cell.get().is_some()).finish_non_exhaustive()
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_built_once_on_first_use() {
        let lazy = LazyClient::new(Duration::from_secs(5));
        assert!(!lazy.is_built());
        let first: *const reqwest::Client = lazy.get().unwrap();
        assert!(lazy.is_built());
        let second: *const reqwest::Client = lazy.get().unwrap();
        assert_eq!(first, second, "one shared client (one keep-alive pool)");
    }
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback;

    #[test]
    fn loopback_is_localhost_127_slash_8_and_ipv6_one() {
        for yes in
            ["http://localhost:3000/x", "http://LOCALHOST", "http://127.0.0.1", "http://127.9.8.7:1", "http://[::1]:80"]
        {
            assert!(is_loopback(&url::Url::parse(yes).unwrap()), "{yes}");
        }
        for no in [
            "http://app.localhost",
            "http://localhost.example.com",
            "http://128.0.0.1",
            "http://[::2]",
            "http://10.0.0.1",
            "http://example.com",
        ] {
            assert!(!is_loopback(&url::Url::parse(no).unwrap()), "{no}");
        }
    }
}
