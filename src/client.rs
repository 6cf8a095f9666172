//! [`StripeConnect`]: the configured client every operation hangs off.
//!
//! The OAuth flow (`oauth`), the read-only queries (`queries`) and webhook handling (`webhooks`)
//! each add their methods in their own module; this file only holds what they share.

use std::sync::Arc;

use crate::api::{Api, ApiClient, ApiSettings, ApiTransport, ReqwestTransport};
use crate::cache::CustomerCache;
use crate::config::Config;
use crate::error::Error;
use crate::http::LazyClient;
use crate::ids::{AccountId, AppSlug};
use crate::store::{
    ClaimStore, Clock, ConnectionStore, DisputeSink, MemoryClaimStore, MemoryConnectionStore, MemoryDisputeSink,
    SystemClock, Timed,
};

/// The library's entry point. Cheap to clone (shared inside); build once per process.
#[derive(Clone)]
pub struct StripeConnect {
    pub(crate) inner: Arc<Inner>,
    /// Set by [`StripeConnect::fresh`]: bypass the customer cache and request coalescing.
    pub(crate) fresh: bool,
}

pub(crate) struct Inner {
    pub(crate) config: Config,
    pub(crate) connections: Arc<dyn ConnectionStore>,
    pub(crate) claims: Arc<dyn ClaimStore>,
    pub(crate) disputes: Arc<dyn DisputeSink>,
    pub(crate) clock: Arc<dyn Clock>,
    /// One shared HTTP client, built on the first request (not here: a process that only verifies
    /// webhooks never loads TLS); keep-alive connections are reused across calls.
    pub(crate) http: Arc<LazyClient>,
    /// The GET-only API transport and the per-account concurrency limit.
    pub(crate) api: Arc<ApiClient>,
    /// Email → customers per account, for `config.cache_ttl`.
    pub(crate) customers: CustomerCache,
}

impl std::fmt::Debug for StripeConnect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeConnect").field("config", &self.inner.config).finish_non_exhaustive()
    }
}

impl StripeConnect {
    /// A client with in-memory stores (per process) and the system clock. Cannot fail: every
    /// check ran when `config` was built.
    pub fn new(config: Config) -> Self {
        StripeConnect::builder(config).build()
    }

    /// Choose the stores, clock or transport of a client for `config` (the checked options).
    pub fn builder(config: Config) -> StripeConnectBuilder {
        StripeConnectBuilder {
            config,
            connections: None,
            claims: None,
            disputes: None,
            clock: None,
            api_transport: None,
        }
    }

    /// Start an API call on `account` (its deadline starts now).
    pub(crate) fn api<'a>(&'a self, account: &'a AccountId) -> Api<'a> {
        self.inner.api.call(account, self.fresh)
    }

    pub fn config(&self) -> &Config {
        &self.inner.config
    }

    pub fn connections(&self) -> &Arc<dyn ConnectionStore> {
        &self.inner.connections
    }

    /// Whether the connection store knows an app `app_slug`, connected or not
    /// ([`ConnectionStore::has_app`], bounded by the store timeout): `Some(false)` is an app that
    /// does not exist, which an authorize route refuses before sending anyone to Stripe (the
    /// callback could not save its connection). `None`: the store cannot tell.
    pub async fn has_app(&self, app_slug: &AppSlug) -> Result<Option<bool>, Error> {
        Ok(self.connections().has_app(app_slug).await.map_err(|e| e.in_operation("connections.has_app"))?)
    }

    pub fn claims(&self) -> &Arc<dyn ClaimStore> {
        &self.inner.claims
    }

    pub fn dispute_sink(&self) -> &Arc<dyn DisputeSink> {
        &self.inner.disputes
    }

    pub(crate) fn now(&self) -> i64 {
        self.inner.clock.now()
    }

    /// `account` was disconnected (a deauthorization, `disconnect`): drop its cached customer
    /// resolutions and void the ones under way (they are not cached when they finish), and let no
    /// later call join one of its GETs in flight.
    pub(crate) fn forget_account(&self, account: &AccountId) {
        self.inner.customers.forget_account(account.as_str());
        self.inner.api.forget_account(account);
    }

    /// The same client for calls that must read everything from Stripe now: no cached email →
    /// customers resolution, no joining an identical request already in flight
    /// (`stripe.fresh().payment_history(…)`; `fresh: true` in Node).
    pub fn fresh(&self) -> StripeConnect {
        StripeConnect { inner: self.inner.clone(), fresh: true }
    }
}

/// Chooses stores and clock; anything not set gets the in-memory default.
pub struct StripeConnectBuilder {
    config: Config,
    connections: Option<Arc<dyn ConnectionStore>>,
    claims: Option<Arc<dyn ClaimStore>>,
    disputes: Option<Arc<dyn DisputeSink>>,
    clock: Option<Arc<dyn Clock>>,
    api_transport: Option<Arc<dyn ApiTransport>>,
}

impl StripeConnectBuilder {
    pub fn connection_store(mut self, store: Arc<dyn ConnectionStore>) -> Self {
        self.connections = Some(store);
        self
    }
    pub fn claim_store(mut self, store: Arc<dyn ClaimStore>) -> Self {
        self.claims = Some(store);
        self
    }
    pub fn dispute_sink(mut self, sink: Arc<dyn DisputeSink>) -> Self {
        self.disputes = Some(sink);
        self
    }
    /// Inject time (tests). Also used by the default claim store.
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = Some(clock);
        self
    }

    /// Replace the GET-only API transport (tests, or a service with its own HTTP stack).
    /// Default: [`ReqwestTransport`] over the shared client.
    pub fn api_transport(mut self, transport: Arc<dyn ApiTransport>) -> Self {
        self.api_transport = Some(transport);
        self
    }

    /// The client. Cannot fail: the options were checked when the [`Config`] was built, and
    /// nothing here is checked or connected (the HTTP client is built on the first request).
    pub fn build(self) -> StripeConnect {
        let clock = self.clock.unwrap_or_else(|| Arc::new(SystemClock));
        let http = Arc::new(LazyClient::new(self.config.timeout));
        let transport = self.api_transport.unwrap_or_else(|| Arc::new(ReqwestTransport::lazy(http.clone())));
        let c = &self.config;
        let api = ApiClient::new(
            transport,
            ApiSettings {
                base: c.api_base.clone(),
                secret_key: c.secret_key.clone(),
                stripe_version: c.stripe_version.clone(),
                account_header: c.account_header.header_name(),
                timeout: c.timeout,
                max_retries: c.max_retries,
                retry_base_delay: c.retry_base_delay,
                max_concurrency_per_account: c.max_concurrency_per_account,
                // A key of unknown mode is paced to test mode's lower limit.
                rate_limits: crate::api::pace::Limits::share_of_stripe(
                    c.secret_key.livemode() == Some(true),
                    c.api_rate_share,
                ),
            },
        );
        StripeConnect {
            inner: Arc::new(Inner {
                // The app's stores are bounded; the in-memory defaults cannot hang.
                connections: match self.connections {
                    Some(store) => Arc::new(Timed::new(store, self.config.store_timeout)),
                    None => Arc::new(MemoryConnectionStore::new()),
                },
                claims: match self.claims {
                    Some(store) => Arc::new(Timed::new(store, self.config.store_timeout)),
                    None => Arc::new(MemoryClaimStore::with_clock(clock.clone())),
                },
                disputes: self.disputes.unwrap_or_else(|| Arc::new(MemoryDisputeSink::new())),
                clock,
                http,
                api: Arc::new(api),
                customers: CustomerCache::new(self.config.cache_ttl, self.config.cache_max_entries),
                config: self.config,
            }),
            fresh: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constructing_does_not_build_the_http_client() {
        let config = Config::builder().secret_key("sk_test_123").build().unwrap();
        let client = StripeConnect::new(config);
        // TLS and the CA store are loaded by the first request, not here.
        assert!(!client.inner.http.is_built());
        assert!(client.inner.http.get().is_ok());
        assert!(client.inner.http.is_built());
    }

    /// A connections store that knows its apps (`helpdesk` only), or one that never answers.
    struct Apps {
        hang: bool,
    }

    #[async_trait::async_trait]
    impl ConnectionStore for Apps {
        async fn save(&self, _: &crate::Connection) -> Result<(), crate::StoreError> {
            Ok(())
        }
        async fn clear_by_account(&self, _: &AccountId) -> Result<Option<AppSlug>, crate::StoreError> {
            Ok(None)
        }
        async fn get_by_slug(&self, _: &AppSlug) -> Result<Option<crate::Connection>, crate::StoreError> {
            Ok(None)
        }
        async fn list(&self) -> Result<Vec<crate::Connection>, crate::StoreError> {
            Ok(vec![])
        }
        async fn has_app(&self, app_slug: &AppSlug) -> Result<Option<bool>, crate::StoreError> {
            if self.hang {
                std::future::pending::<()>().await;
            }
            Ok(Some(app_slug.as_str() == "helpdesk"))
        }
    }

    #[tokio::test]
    async fn has_app_asks_the_store_bounded_by_the_store_timeout() {
        let slug = |s: &str| AppSlug::parse(s).unwrap();
        let config = || {
            Config::builder()
                .secret_key("sk_test_1")
                .store_timeout(std::time::Duration::from_millis(50))
                .build()
                .unwrap()
        };
        // The in-memory store cannot tell (it only knows connections): nothing is refused.
        assert_eq!(StripeConnect::new(config()).has_app(&slug("nope")).await.unwrap(), None);
        let known = StripeConnect::builder(config()).connection_store(Arc::new(Apps { hang: false })).build();
        assert_eq!(known.has_app(&slug("helpdesk")).await.unwrap(), Some(true));
        assert_eq!(known.has_app(&slug("nope")).await.unwrap(), Some(false));
        let hung = StripeConnect::builder(config()).connection_store(Arc::new(Apps { hang: true })).build();
        let e = hung.has_app(&slug("helpdesk")).await.unwrap_err();
        assert_eq!(e.code(), crate::ErrorCode::StoreFailed);
        assert!(e.to_string().contains("connections.has_app") && e.to_string().contains("timed out"), "{e}");
    }

    /// The same through the client: calls on 2,000 distinct accounts, then no entry left.
    #[tokio::test]
    async fn calls_on_many_accounts_leave_the_limiter_empty() {
        struct NotFound;
        #[async_trait::async_trait]
        impl crate::ApiTransport for NotFound {
            async fn get(&self, _: &crate::GetRequest) -> Result<crate::RawResponse, crate::TransportError> {
                Ok(crate::RawResponse { status: 404, headers: vec![], body: b"{}".to_vec() })
            }
        }
        let config = crate::Config::builder().secret_key("sk_test_1").build().unwrap();
        let client = StripeConnect::builder(config).api_transport(Arc::new(NotFound)).build();
        let charge = crate::ChargeId::parse("ch_1").unwrap();
        for i in 0..2_000 {
            let e = client
                .account(&AccountId::parse(format!("acct_{i}")).unwrap())
                .lookup_charge(&charge)
                .await
                .unwrap_err();
            assert_eq!(e.code(), "stripe_not_found");
        }
        assert_eq!(client.inner.api.limited_accounts(), 0);
    }
}
