//! Configuration: what the library needs to talk to Stripe on the platform's behalf.
//!
//! Build one with [`Config::builder`] or [`Config::from_env`]. Every check runs in `build()`, so a
//! bad value is a `config_invalid` error that names the option (or environment variable), never a
//! panic at first use. Debug output never shows a secret.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use url::Url;

use crate::error::ConfigError;
use crate::ids::{ClientId, StripeAppId};
use crate::secret::{SecretKey, StateSecret, StripeAppSecret, WebhookSecret};

mod connect_env;
// Options by name are the Node binding's (a JS options object); Rust callers use the builder.
#[cfg(any(feature = "node", test))]
mod option_names;

pub use connect_env::ConnectEnv;
#[cfg(feature = "node")]
pub(crate) use option_names::check_option_names;

/// The `Stripe-Version` this library pins and parses shapes for.
pub const STRIPE_VERSION: &str = "2026-10-28.endive";
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";
pub const DEFAULT_CONNECT_BASE: &str = "https://connect.stripe.com";
/// Where Stripe serves Stripe App install links
/// (<https://docs.stripe.com/stripe-apps/install-links#use-install-link>).
pub const DEFAULT_INSTALL_BASE: &str = "https://marketplace.stripe.com";
/// How long one webhook delivery may spend in the stores and the sink unless configured.
pub const DEFAULT_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(20);
/// The longest `webhook_timeout` accepted.
pub(crate) const MAX_WEBHOOK_TIMEOUT: Duration = Duration::from_secs(3600);
/// How long one call to the connections store may take unless configured.
pub const DEFAULT_STORE_TIMEOUT: Duration = Duration::from_secs(10);
/// The longest `store_timeout` accepted.
pub(crate) const MAX_STORE_TIMEOUT: Duration = Duration::from_secs(3600);

/// Stripe's default webhook tolerance.
pub const DEFAULT_WEBHOOK_TOLERANCE_SECS: NonZeroU32 = NonZeroU32::new(300).unwrap();
/// How long an OAuth state (and the cookie that holds it) stays valid unless `state_ttl` is set.
pub const DEFAULT_STATE_TTL: Duration = Duration::from_secs(600);

/// The OAuth scope requested from the connecting account.
///
/// Stripe's own default is `read_only`, but only Extension apps may request it: a Platform must ask
/// for `read_write`, which is therefore this library's default. Either way the library itself only
/// reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    ReadWrite,
    ReadOnly,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ReadWrite => "read_write",
            Scope::ReadOnly => "read_only",
        }
    }

    pub fn parse(field: &str, value: &str) -> Result<Self, ConfigError> {
        match value {
            "read_write" => Ok(Scope::ReadWrite),
            "read_only" => Ok(Scope::ReadOnly),
            other => Err(ConfigError::new(field, format!("must be read_write or read_only, got {other:?}"))),
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The header that names the connected account on every API request: exactly one of the two is
/// sent, never both.
///
/// `Stripe-Account` (the default) is the header Stripe's Connect guide documents
/// (<https://docs.stripe.com/connect/authentication>). Stripe documents `Stripe-Context` as
/// superseding it (<https://docs.stripe.com/context>), with `acct_…` as the value for a connected
/// account of the platform; choose it with `account_header("stripe-context")` (env
/// `STRIPE_ACCOUNT_HEADER`, JS `accountHeader`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AccountHeader {
    #[default]
    StripeAccount,
    StripeContext,
}

impl AccountHeader {
    /// The option's value: `stripe-account` or `stripe-context`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccountHeader::StripeAccount => "stripe-account",
            AccountHeader::StripeContext => "stripe-context",
        }
    }

    /// The header's name as sent (lower case, as HTTP/2 sends every name).
    pub fn header_name(self) -> &'static str {
        self.as_str()
    }

    /// `stripe-account` or `stripe-context`, in any letter case (`Stripe-Context` as Stripe
    /// writes it): anything else is `config_invalid` naming `field`.
    pub fn parse(field: &str, value: &str) -> Result<Self, ConfigError> {
        match value.trim().to_ascii_lowercase().as_str() {
            "stripe-account" => Ok(AccountHeader::StripeAccount),
            "stripe-context" => Ok(AccountHeader::StripeContext),
            _ => Err(ConfigError::new(
                field,
                format!("must be stripe-account or stripe-context, got {:?}", crate::quote::quote_capped(value, 64)),
            )),
        }
    }
}

impl fmt::Display for AccountHeader {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How strictly webhook timestamps are checked.
///
/// A tolerance is a positive number of seconds by construction ([`NonZeroU32`]): 0 or a negative
/// number cannot be held, so it can never silently mean "no check" (as in some SDKs) or "reject
/// everything" (as in others). [`Tolerance::seconds`] builds one from a plain number.
///
/// ```compile_fail,E0308
/// let never = stripe_connect::Tolerance::Seconds(-1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tolerance {
    /// Reject a signature whose timestamp is more than this many seconds before **or after** now.
    Seconds(NonZeroU32),
    /// No time check at all: only for replaying stored events on purpose. Must be chosen by name;
    /// a tolerance of 0 never means this.
    SkipTimestampCheckForReplay,
}

impl Tolerance {
    /// `seconds` as a tolerance; 0 is a `config_invalid` error for `webhook_tolerance_seconds`.
    pub fn seconds(seconds: u32) -> Result<Self, ConfigError> {
        Self::seconds_named("webhook_tolerance_seconds", i64::from(seconds))
    }

    /// [`Tolerance::seconds`] for a signed number from an option or a JS argument, with errors
    /// naming `field`: 0 or less, or more than `u32::MAX`, is `config_invalid`.
    pub(crate) fn seconds_named(field: &str, seconds: i64) -> Result<Self, ConfigError> {
        match u32::try_from(seconds).ok().and_then(NonZeroU32::new) {
            Some(s) => Ok(Tolerance::Seconds(s)),
            None if seconds > 0 => {
                Err(ConfigError::new(field, format!("must be at most {} seconds, got {seconds}", u32::MAX)))
            }
            None => Err(ConfigError::new(
                field,
                format!(
                    "webhook tolerance must be a positive number of seconds, got {seconds}; to replay stored events \
                     without a time check, choose Tolerance::SkipTimestampCheckForReplay explicitly"
                ),
            )),
        }
    }

    /// The tolerance in seconds; `None` when the check is skipped.
    pub fn as_secs(self) -> Option<i64> {
        match self {
            Tolerance::Seconds(s) => Some(i64::from(s.get())),
            Tolerance::SkipTimestampCheckForReplay => None,
        }
    }
}

impl Default for Tolerance {
    fn default() -> Self {
        Tolerance::Seconds(DEFAULT_WEBHOOK_TOLERANCE_SECS)
    }
}

/// Everything the library is configured with, checked: build one through [`ConfigBuilder`] (or
/// [`Config::from_env`]). The fields are private, so nothing set after `build()` can skip its
/// checks; read them through the getters of the same names.
///
/// ```compile_fail,E0616
/// let mut config = stripe_connect::Config::builder().secret_key("sk_test_1").build().unwrap();
/// config.timeout = std::time::Duration::ZERO; // refused at build(), and cannot be set after it
/// ```
#[derive(Clone)]
pub struct Config {
    // Documented on the getters below.
    pub(crate) secret_key: SecretKey,
    pub(crate) client_id: Option<ClientId>,
    pub(crate) test_client_id: Option<ClientId>,
    pub(crate) stripe_app_id: Option<StripeAppId>,
    pub(crate) stripe_app_secret: Option<StripeAppSecret>,
    pub(crate) redirect_uri: Option<String>,
    pub(crate) scope: Scope,
    pub(crate) webhook_secrets: Vec<WebhookSecret>,
    pub(crate) webhook_tolerance: Tolerance,
    pub(crate) state_secret: StateSecret,
    pub(crate) state_ttl: Duration,
    pub(crate) api_base: Url,
    pub(crate) connect_base: Url,
    pub(crate) install_base: Url,
    pub(crate) stripe_version: String,
    pub(crate) account_header: AccountHeader,
    pub(crate) timeout: Duration,
    pub(crate) max_retries: u32,
    pub(crate) retry_base_delay: Duration,
    pub(crate) max_concurrency_per_account: usize,
    pub(crate) api_rate_share: f64,
    pub(crate) livemode: Option<bool>,
    pub(crate) webhook_timeout: Duration,
    pub(crate) store_timeout: Duration,
    pub(crate) cache_ttl: Duration,
    pub(crate) cache_max_entries: usize,
    /// Keeps this config's secret values known to the quoting of every error while it is alive.
    _remembered: std::sync::Arc<crate::quote::Remembered>,
}

/// Default [`Config::cache_ttl()`].
pub const DEFAULT_CACHE_TTL: Duration = Duration::from_secs(60);
/// Default [`Config::cache_max_entries()`].
pub const DEFAULT_CACHE_MAX_ENTRIES: usize = 10_000;

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("secret_key", &self.secret_key)
            .field("client_id", &self.client_id)
            .field("test_client_id", &self.test_client_id)
            .field("stripe_app_id", &self.stripe_app_id)
            .field("stripe_app_secret", &self.stripe_app_secret)
            .field("redirect_uri", &self.redirect_uri)
            .field("scope", &self.scope)
            .field("webhook_secrets", &format_args!("[{} redacted]", self.webhook_secrets.len()))
            .field("webhook_tolerance", &self.webhook_tolerance)
            .field("state_secret", &self.state_secret)
            .field("state_ttl", &self.state_ttl)
            .field("api_base", &self.api_base.as_str())
            .field("connect_base", &self.connect_base.as_str())
            .field("install_base", &self.install_base.as_str())
            .field("stripe_version", &self.stripe_version)
            .field("account_header", &self.account_header)
            .field("timeout", &self.timeout)
            .field("max_retries", &self.max_retries)
            .field("retry_base_delay", &self.retry_base_delay)
            .field("max_concurrency_per_account", &self.max_concurrency_per_account)
            .field("api_rate_share", &self.api_rate_share)
            .field("livemode", &self.livemode)
            .field("webhook_timeout", &self.webhook_timeout)
            .field("store_timeout", &self.store_timeout)
            .field("cache_ttl", &self.cache_ttl)
            .field("cache_max_entries", &self.cache_max_entries)
            .finish()
    }
}

impl Config {
    pub fn builder() -> ConfigBuilder {
        ConfigBuilder::default()
    }

    /// Reads `STRIPE_SECRET_KEY` (required), `STRIPE_CONNECT_CLIENT_ID`, `STRIPE_WEBHOOK_SECRET`
    /// (comma-separated for rotation), and optionally `STRIPE_CONNECT_TEST_CLIENT_ID`,
    /// `STRIPE_APP_ID` and `STRIPE_APP_SECRET` (Stripe App installs), `STRIPE_CONNECT_REDIRECT_URI`,
    /// `STRIPE_STATE_SECRET`, `STRIPE_CONNECT_SCOPE`, `STRIPE_ACCOUNT_HEADER` (`stripe-account` or
    /// `stripe-context`), and `STRIPE_API_BASE` / `STRIPE_CONNECT_BASE` / `STRIPE_INSTALL_BASE`
    /// (to point a running app at a local stand-in such as the test kit; plain `http://` only on a
    /// loopback host). To set more options, start from [`Config::env_builder`].
    pub fn from_env() -> Result<Config, ConfigError> {
        Self::env_builder(|name| std::env::var(name).ok())?.build()
    }

    /// A builder filled from a variable lookup, so that further options can be set before
    /// `build()`: `Config::env_builder(|name| std::env::var(name).ok())?.timeout(…).build()` reads
    /// the same variables as [`Config::from_env`]; a map stands in for the environment in tests.
    /// Fails only when `STRIPE_SECRET_KEY` is not set; the values are checked by `build()`,
    /// whose errors name the variable a bad value came from (`STRIPE_API_BASE: …`).
    pub fn env_builder(get: impl Fn(&str) -> Option<String>) -> Result<ConfigBuilder, ConfigError> {
        let mut b = Config::builder();
        match get("STRIPE_SECRET_KEY") {
            Some(v) => b = b.secret_key_from("STRIPE_SECRET_KEY", v),
            None => return Err(ConfigError::new("STRIPE_SECRET_KEY", "is not set")),
        }
        if let Some(v) = get("STRIPE_CONNECT_CLIENT_ID") {
            b = b.client_id_from("STRIPE_CONNECT_CLIENT_ID", v);
        }
        if let Some(v) = get("STRIPE_CONNECT_TEST_CLIENT_ID") {
            b = b.test_client_id_from("STRIPE_CONNECT_TEST_CLIENT_ID", v);
        }
        if let Some(v) = get("STRIPE_APP_ID") {
            b = b.stripe_app_id_from("STRIPE_APP_ID", v);
        }
        if let Some(v) = get("STRIPE_APP_SECRET") {
            b = b.stripe_app_secret_from("STRIPE_APP_SECRET", v);
        }
        if let Some(v) = get("STRIPE_WEBHOOK_SECRET") {
            b = b.webhook_secrets_from("STRIPE_WEBHOOK_SECRET", v.split(',').map(|s| s.trim().to_string()));
        }
        if let Some(v) = get("STRIPE_CONNECT_REDIRECT_URI") {
            b = b.redirect_uri_from("STRIPE_CONNECT_REDIRECT_URI", v);
        }
        if let Some(v) = get("STRIPE_STATE_SECRET") {
            b = b.state_secret_from("STRIPE_STATE_SECRET", v);
        }
        if let Some(v) = get("STRIPE_CONNECT_SCOPE") {
            b = b.scope_from("STRIPE_CONNECT_SCOPE", v);
        }
        if let Some(v) = get("STRIPE_ACCOUNT_HEADER") {
            b = b.account_header_from("STRIPE_ACCOUNT_HEADER", v);
        }
        if let Some(v) = get("STRIPE_API_BASE") {
            b = b.api_base_from("STRIPE_API_BASE", v);
        }
        if let Some(v) = get("STRIPE_CONNECT_BASE") {
            b = b.connect_base_from("STRIPE_CONNECT_BASE", v);
        }
        if let Some(v) = get("STRIPE_INSTALL_BASE") {
            b = b.install_base_from("STRIPE_INSTALL_BASE", v);
        }
        Ok(b)
    }

    /// [`Config::env_builder`] for callers that also take options (the Node binding's
    /// `StripeConnect.fromEnv(overrides)`): a `secret_key` given as an option stands in for a missing
    /// `STRIPE_SECRET_KEY`, so the environment need not hold it. Set the options on the result.
    pub fn env_builder_with_key(
        get: impl Fn(&str) -> Option<String>,
        secret_key: Option<String>,
    ) -> Result<ConfigBuilder, ConfigError> {
        Self::env_builder(|name| {
            get(name).or_else(|| if name == "STRIPE_SECRET_KEY" { secret_key.clone() } else { None })
        })
    }

    pub fn secret_key(&self) -> &SecretKey {
        &self.secret_key
    }
    /// The Connect client id for live mode, and for test mode when no
    /// [`test_client_id`](Config::test_client_id) is set.
    pub fn client_id(&self) -> Option<&ClientId> {
        self.client_id.as_ref()
    }
    /// The Connect client id used with a test key (`sk_test_…` / `rk_test_…`), when set: Stripe
    /// gives a platform one client id per mode, and only the test one accepts `http://` and
    /// `localhost` redirects.
    pub fn test_client_id(&self) -> Option<&ClientId> {
        self.test_client_id.as_ref()
    }
    /// The client id for this config's key: the test one with a test key when set, else
    /// `client_id`.
    pub fn client_id_for_key(&self) -> Option<&ClientId> {
        match self.secret_key.livemode() {
            Some(false) => self.test_client_id.as_ref().or(self.client_id.as_ref()),
            _ => self.client_id.as_ref(),
        }
    }
    /// The Stripe App installs connect through (its manifest id, `com.example.support`).
    pub fn stripe_app_id(&self) -> Option<&StripeAppId> {
        self.stripe_app_id.as_ref()
    }
    /// The Stripe App's signing secret, which verifies an install's `install_signature`.
    pub fn stripe_app_secret(&self) -> Option<&StripeAppSecret> {
        self.stripe_app_secret.as_ref()
    }
    /// Where install links point (default `https://marketplace.stripe.com`).
    pub fn install_base(&self) -> &Url {
        &self.install_base
    }
    /// Kept exactly as configured: Stripe compares it byte for byte with the Dashboard's list, so
    /// it is validated as a URL but never re-serialised (which would add `/`, lowercase the host…).
    pub fn redirect_uri(&self) -> Option<&str> {
        self.redirect_uri.as_deref()
    }
    pub fn scope(&self) -> Scope {
        self.scope
    }
    pub fn webhook_secrets(&self) -> &[WebhookSecret] {
        &self.webhook_secrets
    }
    pub fn webhook_tolerance(&self) -> Tolerance {
        self.webhook_tolerance
    }
    pub fn state_secret(&self) -> &StateSecret {
        &self.state_secret
    }
    /// How long an OAuth state stays valid (default 10 minutes).
    pub fn state_ttl(&self) -> Duration {
        self.state_ttl
    }
    pub fn api_base(&self) -> &Url {
        &self.api_base
    }
    pub fn connect_base(&self) -> &Url {
        &self.connect_base
    }
    pub fn stripe_version(&self) -> &str {
        &self.stripe_version
    }
    /// The header that names the connected account (default [`AccountHeader::StripeAccount`]).
    pub fn account_header(&self) -> AccountHeader {
        self.account_header
    }
    /// Total deadline of one call, retries and backoff included.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }
    /// Retries after the first attempt for safe (GET) requests. 0 means none.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }
    /// First retry backoff (default 500 ms); doubles per retry up to 5 s, with jitter.
    pub fn retry_base_delay(&self) -> Duration {
        self.retry_base_delay
    }
    /// Most requests in flight at once per connected account.
    pub fn max_concurrency_per_account(&self) -> usize {
        self.max_concurrency_per_account
    }
    /// This process's share of Stripe's per-account rate limits (default 1: all of them). See
    /// [`ConfigBuilder::api_rate_share`].
    pub fn api_rate_share(&self) -> f64 {
        self.api_rate_share
    }
    /// When set, webhook events whose `livemode` differs are ignored (outcome `ignored`).
    pub fn livemode(&self) -> Option<bool> {
        self.livemode
    }
    /// The most time one webhook delivery spends in the stores and the dispute sink (default
    /// 20 s). Past it the delivery fails with `store_failed`, and the event's claim is a lease of
    /// about this length (see [`crate::StripeConnect::handle_webhook`]).
    pub fn webhook_timeout(&self) -> Duration {
        self.webhook_timeout
    }
    /// The most time one call to the connections store may take (default 10 s): an OAuth
    /// callback, a disconnect, a query or a tool never waits longer on the app's database. Past
    /// it the call fails with `store_failed` ("timed out"); in a webhook delivery the tighter of
    /// this and `webhook_timeout` applies.
    pub fn store_timeout(&self) -> Duration {
        self.store_timeout
    }
    /// How long an email → customers resolution is reused (default 60 s; zero turns the cache
    /// off). Only that resolution is cached; money facts are always read fresh.
    pub fn cache_ttl(&self) -> Duration {
        self.cache_ttl
    }
    /// Most cached resolutions (default 10,000; the oldest go first).
    pub fn cache_max_entries(&self) -> usize {
        self.cache_max_entries
    }

    /// The client id, or a `config_invalid` error saying it is needed for `what`.
    pub fn require_client_id(&self, what: &str) -> Result<&ClientId, ConfigError> {
        self.client_id_for_key().ok_or_else(|| {
            ConfigError::new("client_id", format!("is required for {what} (STRIPE_CONNECT_CLIENT_ID, ca_…)"))
        })
    }

    /// The Stripe App id and signing secret, or a `config_invalid` error naming the missing one.
    pub fn require_stripe_app(&self, what: &str) -> Result<(&StripeAppId, &StripeAppSecret), ConfigError> {
        let id = self.stripe_app_id.as_ref().ok_or_else(|| {
            ConfigError::new("stripe_app_id", format!("is required for {what} (STRIPE_APP_ID, the app's manifest id)"))
        })?;
        let secret = self.stripe_app_secret.as_ref().ok_or_else(|| {
            ConfigError::new(
                "stripe_app_secret",
                format!("is required for {what} (STRIPE_APP_SECRET, the app's signing secret absec_…): it proves the install"),
            )
        })?;
        Ok((id, secret))
    }

    pub fn require_redirect_uri(&self, what: &str) -> Result<&str, ConfigError> {
        self.redirect_uri.as_deref().ok_or_else(|| ConfigError::new("redirect_uri", format!("is required for {what}")))
    }
}

/// Collects options; validation happens in [`ConfigBuilder::build`], which reports the first
/// problem with the name the value came from.
#[derive(Default)]
pub struct ConfigBuilder {
    secret_key: Option<(String, String)>,
    client_id: Option<(String, String)>,
    test_client_id: Option<(String, String)>,
    stripe_app_id: Option<(String, String)>,
    stripe_app_secret: Option<(String, String)>,
    install_base: Option<(String, String)>,
    redirect_uri: Option<(String, String)>,
    scope: Option<(String, String)>,
    webhook_secrets: Option<(String, Vec<String>)>,
    webhook_tolerance: Option<Result<Tolerance, ConfigError>>,
    state_secret: Option<(String, String)>,
    state_ttl: Option<Duration>,
    api_base: Option<(String, String)>,
    connect_base: Option<(String, String)>,
    stripe_version: Option<String>,
    account_header: Option<(String, String)>,
    timeout: Option<Duration>,
    max_retries: Option<u32>,
    retry_base_delay: Option<Duration>,
    max_concurrency_per_account: Option<usize>,
    api_rate_share: Option<f64>,
    livemode: Option<bool>,
    webhook_timeout: Option<Duration>,
    store_timeout: Option<Duration>,
    cache_ttl: Option<Duration>,
    cache_max_entries: Option<usize>,
}

impl ConfigBuilder {
    pub fn secret_key(self, v: impl Into<String>) -> Self {
        self.secret_key_from("secret_key", v)
    }
    fn secret_key_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.secret_key = Some((field.into(), v.into()));
        self
    }
    pub fn client_id(self, v: impl Into<String>) -> Self {
        self.client_id_from("client_id", v)
    }
    fn client_id_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.client_id = Some((field.into(), v.into()));
        self
    }
    pub fn redirect_uri(self, v: impl Into<String>) -> Self {
        self.redirect_uri_from("redirect_uri", v)
    }
    fn redirect_uri_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.redirect_uri = Some((field.into(), v.into()));
        self
    }
    /// `"read_write"` (default) or `"read_only"` (Extension apps only).
    pub fn scope(self, v: impl Into<String>) -> Self {
        self.scope_from("scope", v)
    }
    fn scope_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.scope = Some((field.into(), v.into()));
        self
    }
    /// One webhook signing secret (replaces any set before).
    pub fn webhook_secret(self, v: impl Into<String>) -> Self {
        self.webhook_secrets([v.into()])
    }
    /// Several webhook signing secrets, e.g. old and new during rotation.
    pub fn webhook_secrets<I: IntoIterator<Item = S>, S: Into<String>>(self, v: I) -> Self {
        self.webhook_secrets_from("webhook_secrets", v)
    }
    fn webhook_secrets_from<I: IntoIterator<Item = S>, S: Into<String>>(mut self, field: &str, v: I) -> Self {
        self.webhook_secrets = Some((field.into(), v.into_iter().map(Into::into).collect()));
        self
    }
    /// Webhook timestamp tolerance in seconds (default 300). 0 or less is an error at `build()`.
    pub fn webhook_tolerance_seconds(mut self, seconds: i64) -> Self {
        self.webhook_tolerance = Some(Tolerance::seconds_named("webhook_tolerance_seconds", seconds));
        self
    }
    /// Turn the webhook timestamp check off, for replaying stored events. Named, never implied.
    pub fn skip_webhook_timestamp_check_for_replay(mut self) -> Self {
        self.webhook_tolerance = Some(Ok(Tolerance::SkipTimestampCheckForReplay));
        self
    }
    /// The key that signs OAuth state (≥ 32 bytes). Default: derived from the secret key.
    pub fn state_secret(self, v: impl Into<String>) -> Self {
        self.state_secret_from("state_secret", v)
    }
    fn state_secret_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.state_secret = Some((field.into(), v.into()));
        self
    }
    pub fn state_ttl(mut self, v: Duration) -> Self {
        self.state_ttl = Some(v);
        self
    }
    /// Default `https://api.stripe.com`; override for tests. Plain `http://` is accepted only
    /// for a loopback host (`localhost`, `127.0.0.0/8`, `[::1]`): the secret key travels in it.
    pub fn api_base(self, v: impl Into<String>) -> Self {
        self.api_base_from("api_base", v)
    }
    fn api_base_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.api_base = Some((field.into(), v.into()));
        self
    }
    /// The Connect client id used with a test key (see [`Config::test_client_id`]).
    pub fn test_client_id(self, v: impl Into<String>) -> Self {
        self.test_client_id_from("test_client_id", v)
    }
    fn test_client_id_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.test_client_id = Some((field.into(), v.into()));
        self
    }
    /// The Stripe App that installs connect through: its manifest id (`com.example.support`).
    pub fn stripe_app_id(self, v: impl Into<String>) -> Self {
        self.stripe_app_id_from("stripe_app_id", v)
    }
    fn stripe_app_id_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.stripe_app_id = Some((field.into(), v.into()));
        self
    }
    /// The Stripe App's signing secret (`absec_…`), which verifies each install's redirect.
    pub fn stripe_app_secret(self, v: impl Into<String>) -> Self {
        self.stripe_app_secret_from("stripe_app_secret", v)
    }
    fn stripe_app_secret_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.stripe_app_secret = Some((field.into(), v.into()));
        self
    }
    /// Default `https://marketplace.stripe.com`; override for tests (`http://` on loopback only).
    pub fn install_base(self, v: impl Into<String>) -> Self {
        self.install_base_from("install_base", v)
    }
    fn install_base_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.install_base = Some((field.into(), v.into()));
        self
    }
    /// Default `https://connect.stripe.com`; override for tests (`http://` on loopback only).
    pub fn connect_base(self, v: impl Into<String>) -> Self {
        self.connect_base_from("connect_base", v)
    }
    fn connect_base_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.connect_base = Some((field.into(), v.into()));
        self
    }
    pub fn stripe_version(mut self, v: impl Into<String>) -> Self {
        self.stripe_version = Some(v.into());
        self
    }
    /// The header that names the connected account: `stripe-account` (the default) or
    /// `stripe-context` (any letter case); anything else is `config_invalid` at `build()`.
    pub fn account_header(self, v: impl Into<String>) -> Self {
        self.account_header_from("account_header", v)
    }
    fn account_header_from(mut self, field: &str, v: impl Into<String>) -> Self {
        self.account_header = Some((field.into(), v.into()));
        self
    }
    /// Total deadline per call (default 30 s).
    pub fn timeout(mut self, v: Duration) -> Self {
        self.timeout = Some(v);
        self
    }
    /// Retries of safe requests after the first attempt (default 2; 0 means none).
    pub fn max_retries(mut self, v: u32) -> Self {
        self.max_retries = Some(v);
        self
    }
    /// First retry backoff (default 500 ms; doubles per retry, capped at 5 s, jittered). Tests
    /// set it tiny.
    pub fn retry_base_delay(mut self, v: Duration) -> Self {
        self.retry_base_delay = Some(v);
        self
    }
    /// Requests in flight per connected account (default 8).
    pub fn max_concurrency_per_account(mut self, v: usize) -> Self {
        self.max_concurrency_per_account = Some(v);
        self
    }
    /// This process's share of each connected account's rate budget at Stripe, more than 0 and
    /// at most 1 (default 1). Stripe limits requests per account per second across everything the
    /// platform sends (100 in live mode, 25 in test mode, 20 for the Search API:
    /// <https://docs.stripe.com/rate-limits>); the client paces each account to `share` of those.
    /// With N instances of an app each sending about as much, give each `1 / N` (less if other
    /// code reads the same accounts).
    pub fn api_rate_share(mut self, v: f64) -> Self {
        self.api_rate_share = Some(v);
        self
    }

    /// How long an email → customers resolution is reused (default 60 s; `Duration::ZERO`: off).
    pub fn cache_ttl(mut self, v: Duration) -> Self {
        self.cache_ttl = Some(v);
        self
    }

    /// Most cached email → customers resolutions (default 10,000).
    pub fn cache_max_entries(mut self, v: usize) -> Self {
        self.cache_max_entries = Some(v);
        self
    }
    /// Only accept webhook events of this mode (others are `ignored`).
    pub fn livemode(mut self, v: bool) -> Self {
        self.livemode = Some(v);
        self
    }

    /// The most time one webhook delivery spends in the stores and the dispute sink (default
    /// 20 s, at most an hour). Past it the delivery fails with `store_failed` (answer 5xx) and
    /// the event is processed by a later redelivery.
    pub fn webhook_timeout(mut self, v: Duration) -> Self {
        self.webhook_timeout = Some(v);
        self
    }
    /// The most time one call to the connections store may take (default 10 s, at most an hour):
    /// past it the callback, disconnect, query or tool fails with `store_failed` ("timed out")
    /// instead of waiting on a hung database.
    pub fn store_timeout(mut self, v: Duration) -> Self {
        self.store_timeout = Some(v);
        self
    }
    /// Check every option and build the config: the first bad or missing value (no `secret_key`,
    /// a malformed id, URL or secret, a zero timeout, …) is a [`ConfigError`] naming its option
    /// or variable. No message quotes a secret: a value shaped like one, or equal to one of the
    /// configured secrets (a secret pasted into the wrong option), is named by kind and length.
    pub fn build(self) -> Result<Config, ConfigError> {
        let mut secrets: Vec<String> = Vec::new();
        secrets.extend(self.secret_key.as_ref().map(|(_, v)| v.clone()));
        secrets.extend(self.state_secret.as_ref().map(|(_, v)| v.clone()));
        secrets.extend(self.stripe_app_secret.as_ref().map(|(_, v)| v.clone()));
        secrets.extend(self.webhook_secrets.iter().flat_map(|(_, list)| list.iter().cloned()));
        // While the config lives, no error's text can quote one of these values (issue 20: an id or
        // a slug equal to the state secret was quoted whole).
        let remembered = crate::quote::remember(secrets.clone());
        self.build_checked(remembered).map_err(|mut e| {
            let secrets: Vec<&str> = secrets.iter().map(|s| s.trim()).collect();
            e.reason = crate::quote::scrub_secrets(&crate::quote::scrub_exact(&e.reason, &secrets));
            e
        })
    }

    fn build_checked(self, remembered: std::sync::Arc<crate::quote::Remembered>) -> Result<Config, ConfigError> {
        let (field, key) = self.secret_key.ok_or_else(|| ConfigError::new("secret_key", "is required"))?;
        let secret_key = SecretKey::named(&field, key)?;
        let client_id = match self.client_id {
            Some((field, v)) => Some(ClientId::parse(&v).map_err(|e| ConfigError::new(field, e.to_string()))?),
            None => None,
        };
        let test_client_id = match self.test_client_id {
            Some((field, v)) => Some(ClientId::parse(&v).map_err(|e| ConfigError::new(field, e.to_string()))?),
            None => None,
        };
        let stripe_app_id = match self.stripe_app_id {
            Some((field, v)) => Some(StripeAppId::parse(&v).map_err(|e| ConfigError::new(field, e.to_string()))?),
            None => None,
        };
        let stripe_app_secret = match self.stripe_app_secret {
            Some((field, v)) => Some(StripeAppSecret::named(&field, v)?),
            None => None,
        };
        let redirect_uri = match self.redirect_uri {
            Some((field, v)) => {
                if v.chars().any(char::is_whitespace) {
                    return Err(ConfigError::new(field, "contains whitespace"));
                }
                let url = parse_http_url(&field, &v)?;
                if url.fragment().is_some() {
                    return Err(ConfigError::new(field, "must not have a #fragment"));
                }
                // Stripe refuses a live-mode redirect that is not HTTPS (test client ids and
                // install links in test mode allow http and localhost): said at start-up, not by
                // Stripe's error page in the user's browser.
                if url.scheme() == "http" && secret_key.livemode() == Some(true) {
                    return Err(ConfigError::new(
                        field,
                        "must be https:// with a live key: Stripe accepts http:// redirects in test mode only",
                    ));
                }
                Some(v)
            }
            None => None,
        };
        let scope = match self.scope {
            Some((field, v)) => Scope::parse(&field, &v)?,
            None => Scope::default(),
        };
        let webhook_secrets = match self.webhook_secrets {
            Some((field, list)) => {
                if list.is_empty() || list.iter().all(|s| s.is_empty()) {
                    return Err(ConfigError::new(field, "lists no secret"));
                }
                list.into_iter().map(|s| WebhookSecret::named(&field, s)).collect::<Result<Vec<_>, _>>()?
            }
            None => Vec::new(),
        };
        let webhook_tolerance = self.webhook_tolerance.unwrap_or(Ok(Tolerance::default()))?;
        let state_secret = match self.state_secret {
            Some((field, v)) => StateSecret::named(&field, v)?,
            None => StateSecret::derived_from(&secret_key),
        };
        let state_ttl = self.state_ttl.unwrap_or(DEFAULT_STATE_TTL);
        if state_ttl.is_zero() {
            return Err(ConfigError::new("state_ttl", "must be more than zero"));
        }
        let api_base = match self.api_base {
            Some((field, v)) => parse_base_url(&field, &v)?,
            None => parse_base_url("api_base", DEFAULT_API_BASE)?,
        };
        let connect_base = match self.connect_base {
            Some((field, v)) => parse_base_url(&field, &v)?,
            None => parse_base_url("connect_base", DEFAULT_CONNECT_BASE)?,
        };
        let install_base = match self.install_base {
            Some((field, v)) => parse_base_url(&field, &v)?,
            None => parse_base_url("install_base", DEFAULT_INSTALL_BASE)?,
        };
        let stripe_version = self.stripe_version.unwrap_or_else(|| STRIPE_VERSION.to_string());
        if stripe_version.is_empty()
            || !stripe_version.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
        {
            return Err(ConfigError::new("stripe_version", "must look like 2026-10-28.endive"));
        }
        let account_header = match self.account_header {
            Some((field, v)) => AccountHeader::parse(&field, &v)?,
            None => AccountHeader::default(),
        };
        let timeout = self.timeout.unwrap_or(Duration::from_secs(30));
        if timeout.is_zero() {
            return Err(ConfigError::new("timeout", "must be more than zero"));
        }
        let max_concurrency_per_account = self.max_concurrency_per_account.unwrap_or(8);
        if max_concurrency_per_account == 0 {
            return Err(ConfigError::new("max_concurrency_per_account", "must be at least 1"));
        }
        let api_rate_share = self.api_rate_share.unwrap_or(1.0);
        if !(api_rate_share > 0.0 && api_rate_share <= 1.0) {
            return Err(ConfigError::new(
                "api_rate_share",
                format!(
                    "must be more than 0 and at most 1 (this instance's share of each account's rate budget at \
                     Stripe), got {api_rate_share}"
                ),
            ));
        }
        let webhook_timeout = positive_up_to(
            "webhook_timeout",
            self.webhook_timeout.unwrap_or(DEFAULT_WEBHOOK_TIMEOUT),
            MAX_WEBHOOK_TIMEOUT,
            ": the event's lease lasts as long, delaying redeliveries",
        )?;
        let store_timeout = positive_up_to(
            "store_timeout",
            self.store_timeout.unwrap_or(DEFAULT_STORE_TIMEOUT),
            MAX_STORE_TIMEOUT,
            "",
        )?;
        Ok(Config {
            secret_key,
            client_id,
            test_client_id,
            stripe_app_id,
            stripe_app_secret,
            redirect_uri,
            scope,
            webhook_secrets,
            webhook_tolerance,
            state_secret,
            state_ttl,
            api_base,
            connect_base,
            install_base,
            stripe_version,
            account_header,
            timeout,
            max_retries: self.max_retries.unwrap_or(2),
            retry_base_delay: self.retry_base_delay.unwrap_or(Duration::from_millis(500)),
            max_concurrency_per_account,
            api_rate_share,
            livemode: self.livemode,
            webhook_timeout,
            store_timeout,
            cache_ttl: self.cache_ttl.unwrap_or(DEFAULT_CACHE_TTL),
            cache_max_entries: self.cache_max_entries.unwrap_or(DEFAULT_CACHE_MAX_ENTRIES),
            _remembered: remembered,
        })
    }
}

fn parse_http_url(field: &str, value: &str) -> Result<Url, ConfigError> {
    let url = Url::parse(value).map_err(|e| ConfigError::new(field, format!("is not a URL ({e})")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ConfigError::new(field, "must be an http(s) URL"));
    }
    if url.host_str().is_none() {
        return Err(ConfigError::new(field, "has no host"));
    }
    Ok(url)
}

/// A base URL the secret key is sent to: `https://`, or `http://` on a loopback host only (a local
/// stand-in such as the test kit or wiremock), so that a typo cannot send the key in clear text.
fn parse_base_url(field: &str, value: &str) -> Result<Url, ConfigError> {
    let url = parse_http_url(field, value)?;
    if url.scheme() == "http" && !crate::http::is_loopback(&url) {
        return Err(ConfigError::new(
            field,
            format!(
                "must be https:// (plain http:// only for localhost, 127.0.0.1 or [::1]), got host {:?}",
                url.host_str().unwrap_or_default()
            ),
        ));
    }
    Ok(url)
}

/// `value` if it is more than zero and at most `max`; otherwise the error for `field`, with `why`
/// after the bound that was crossed.
fn positive_up_to(field: &str, value: Duration, max: Duration, why: &str) -> Result<Duration, ConfigError> {
    if value.is_zero() {
        return Err(ConfigError::new(field, "must be more than zero"));
    }
    if value > max {
        return Err(ConfigError::new(
            field,
            format!("must be at most an hour ({} ms), got {} ms{why}", max.as_millis(), value.as_millis()),
        ));
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn defaults() {
        let c = Config::builder().secret_key("sk_test_123").build().unwrap();
        assert_eq!(c.scope, Scope::ReadWrite);
        assert_eq!(c.api_base.as_str(), "https://api.stripe.com/");
        assert_eq!(c.connect_base.as_str(), "https://connect.stripe.com/");
        assert_eq!(c.stripe_version, STRIPE_VERSION);
        assert_eq!(c.webhook_tolerance, Tolerance::seconds(300).unwrap());
        assert_eq!(c.webhook_tolerance.as_secs(), Some(300));
        assert_eq!(c.max_retries, 2);
        assert_eq!(c.state_ttl, Duration::from_secs(600));
    }

    #[test]
    fn from_env_reads_comma_separated_secrets() {
        let c = Config::env_builder(env(&[
            ("STRIPE_SECRET_KEY", "sk_test_abc"),
            ("STRIPE_CONNECT_CLIENT_ID", "ca_123"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_old, whsec_new"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.client_id.unwrap().as_str(), "ca_123");
        let secrets: Vec<&str> = c.webhook_secrets.iter().map(|s| s.expose()).collect();
        assert_eq!(secrets, ["whsec_old", "whsec_new"]);
    }

    #[test]
    fn a_key_given_as_an_option_stands_in_for_a_missing_variable_only() {
        let key = Some("sk_test_option".to_string());
        let c = Config::env_builder_with_key(env(&[]), key.clone()).unwrap().build().unwrap();
        assert_eq!(c.secret_key.expose(), "sk_test_option");
        let c =
            Config::env_builder_with_key(env(&[("STRIPE_SECRET_KEY", "sk_test_env")]), key).unwrap().build().unwrap();
        assert_eq!(c.secret_key.expose(), "sk_test_env");
        let e = Config::env_builder_with_key(env(&[]), None).err().unwrap();
        assert_eq!(e.field, "STRIPE_SECRET_KEY");
    }

    #[test]
    fn from_env_errors_name_the_variable() {
        let e = Config::env_builder(env(&[])).err().unwrap();
        assert_eq!(e.field, "STRIPE_SECRET_KEY");
        let e = Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_a"), ("STRIPE_CONNECT_CLIENT_ID", "acct_1")]))
            .unwrap()
            .build()
            .unwrap_err();
        assert_eq!(e.field, "STRIPE_CONNECT_CLIENT_ID");
        let e =
            Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_a"), ("STRIPE_WEBHOOK_SECRET", "sk_live_oops")]))
                .unwrap()
                .build()
                .unwrap_err();
        assert_eq!(e.field, "STRIPE_WEBHOOK_SECRET");
        let e = Config::env_builder(env(&[("STRIPE_SECRET_KEY", "pk_live_a")])).unwrap().build().unwrap_err();
        assert_eq!(e.field, "STRIPE_SECRET_KEY");
    }

    /// Issue 10 item 1: an unset-but-present, blank or prefix-only secret never configures a
    /// webhook endpoint that verifies forged events.
    #[test]
    fn blank_webhook_secrets_are_config_invalid_in_the_builder_and_the_environment() {
        for list in [vec![], vec![""], vec![" "], vec!["whsec_"], vec!["whsec_ok", ""], vec!["whsec_ok", "whsec_"]] {
            let e = Config::builder().secret_key("sk_test_1").webhook_secrets(list.clone()).build().unwrap_err();
            assert_eq!(e.field, "webhook_secrets", "{list:?}");
        }
        for var in ["", " ", ",", " , ", "whsec_", "whsec_ok,", "whsec_ok, whsec_"] {
            let e = Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_a"), ("STRIPE_WEBHOOK_SECRET", var)]))
                .unwrap()
                .build()
                .unwrap_err();
            assert_eq!(e.field, "STRIPE_WEBHOOK_SECRET", "{var:?}");
        }
    }

    /// Issue 10 item 3: swapped variables never put a secret in the message.
    #[test]
    fn a_secret_in_the_wrong_variable_is_named_not_quoted() {
        let live = format!("sk_live_{}", "Q7".repeat(28));
        let e = Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_a"), ("STRIPE_CONNECT_CLIENT_ID", &live)]))
            .unwrap()
            .build()
            .unwrap_err();
        assert_eq!(e.field, "STRIPE_CONNECT_CLIENT_ID");
        assert!(!e.to_string().contains(&live[..12]) && e.reason.contains("64 chars"), "{e}");
        // A webhook secret that does not look like one, given as the scope: equal to a configured
        // secret, so not quoted either.
        let e = Config::builder()
            .secret_key("sk_test_a")
            .webhook_secret("endpoint-signing-key-42")
            .scope("endpoint-signing-key-42")
            .build()
            .unwrap_err();
        assert_eq!(e.field, "scope");
        assert!(!e.reason.contains("endpoint-signing-key-42") && e.reason.contains("23 chars"), "{e}");
    }

    #[test]
    fn from_env_reads_the_bases() {
        let c = Config::env_builder(env(&[
            ("STRIPE_SECRET_KEY", "sk_test_abc"),
            ("STRIPE_API_BASE", "http://127.0.0.1:12111"),
            ("STRIPE_CONNECT_BASE", "http://localhost:12111/connect"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.api_base.as_str(), "http://127.0.0.1:12111/");
        assert_eq!(c.connect_base.as_str(), "http://localhost:12111/connect");
        let c =
            Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_abc"), ("STRIPE_API_BASE", "http://[::1]:9")]))
                .unwrap()
                .build()
                .unwrap();
        assert_eq!(c.api_base.as_str(), "http://[::1]:9/");
        let c = Config::env_builder(env(&[
            ("STRIPE_SECRET_KEY", "sk_test_abc"),
            ("STRIPE_CONNECT_BASE", "https://stripe-stand-in.internal"),
        ]))
        .unwrap()
        .build()
        .unwrap();
        assert_eq!(c.connect_base.as_str(), "https://stripe-stand-in.internal/");
    }

    #[test]
    fn plain_http_base_off_loopback_is_config_error_naming_the_variable() {
        for (var, value) in [
            ("STRIPE_API_BASE", "http://api.stripe.com"),
            ("STRIPE_API_BASE", "http://10.0.0.8:12111"),
            ("STRIPE_CONNECT_BASE", "http://localhost.example.com"),
            ("STRIPE_CONNECT_BASE", "http://[::2]"),
            ("STRIPE_CONNECT_BASE", "ftp://127.0.0.1"),
        ] {
            let e = Config::env_builder(env(&[("STRIPE_SECRET_KEY", "sk_test_abc"), (var, value)]))
                .unwrap()
                .build()
                .unwrap_err();
            assert_eq!(e.field, var, "{value}");
            assert_eq!(crate::Error::from(e).code(), "config_invalid");
        }
        let e = Config::builder().secret_key("sk_test_1").api_base("http://example.com").build().unwrap_err();
        assert_eq!(e.field, "api_base");
        assert!(e.reason.contains("https://"), "{}", e.reason);
    }

    #[test]
    fn tolerance_zero_or_negative_is_config_error() {
        for t in [0, -1, -300] {
            let e = Config::builder().secret_key("sk_test_1").webhook_tolerance_seconds(t).build().unwrap_err();
            assert_eq!(e.field, "webhook_tolerance_seconds");
            assert!(e.reason.contains("SkipTimestampCheckForReplay"));
        }
        let c = Config::builder().secret_key("sk_test_1").skip_webhook_timestamp_check_for_replay().build().unwrap();
        assert_eq!(c.webhook_tolerance, Tolerance::SkipTimestampCheckForReplay);
        // The value itself cannot hold 0: `Tolerance::seconds` refuses it, and past u32 too.
        assert_eq!(Tolerance::seconds(0).unwrap_err().field, "webhook_tolerance_seconds");
        assert_eq!(Tolerance::seconds(1).unwrap().as_secs(), Some(1));
        let e = Config::builder().secret_key("sk_test_1").webhook_tolerance_seconds(1 << 40).build().unwrap_err();
        assert!(e.reason.contains("at most 4294967295"), "{e}");
    }

    /// Issue 21 item 4: the account header is one of two, chosen by option or environment; any
    /// other value is `config_invalid` naming where it came from.
    #[test]
    fn the_account_header_is_stripe_account_unless_stripe_context_is_chosen() {
        let c = Config::builder().secret_key("sk_test_1").build().unwrap();
        assert_eq!(c.account_header(), AccountHeader::StripeAccount);
        for v in ["stripe-context", "Stripe-Context", " STRIPE-CONTEXT "] {
            let c = Config::builder().secret_key("sk_test_1").account_header(v).build().unwrap();
            assert_eq!(c.account_header(), AccountHeader::StripeContext, "{v}");
        }
        let c = Config::builder().secret_key("sk_test_1").account_header("Stripe-Account").build().unwrap();
        assert_eq!(c.account_header(), AccountHeader::StripeAccount);
        for v in ["", "both", "stripe_context", "Stripe-Account, Stripe-Context"] {
            let e = Config::builder().secret_key("sk_test_1").account_header(v).build().unwrap_err();
            assert_eq!(e.field, "account_header", "{v}");
            assert!(e.reason.starts_with("must be stripe-account or stripe-context"), "{}", e.reason);
            assert_eq!(crate::Error::from(e).code(), "config_invalid");
        }
        let env = |value: &'static str| {
            move |name: &str| match name {
                "STRIPE_SECRET_KEY" => Some("sk_test_1".to_string()),
                "STRIPE_ACCOUNT_HEADER" => Some(value.to_string()),
                _ => None,
            }
        };
        let c = Config::env_builder(env("stripe-context")).unwrap().build().unwrap();
        assert_eq!(c.account_header(), AccountHeader::StripeContext);
        let e = Config::env_builder(env("context")).unwrap().build().unwrap_err();
        assert_eq!(e.field, "STRIPE_ACCOUNT_HEADER");
    }

    #[test]
    fn scope_and_urls_are_validated() {
        assert_eq!(
            Config::builder().secret_key("sk_test_1").scope("read_only").build().unwrap().scope,
            Scope::ReadOnly
        );
        assert_eq!(Config::builder().secret_key("sk_test_1").scope("admin").build().unwrap_err().field, "scope");
        assert_eq!(
            Config::builder().secret_key("sk_test_1").api_base("ftp://x").build().unwrap_err().field,
            "api_base"
        );
        assert_eq!(
            Config::builder().secret_key("sk_test_1").redirect_uri("not a url").build().unwrap_err().field,
            "redirect_uri"
        );
        assert_eq!(
            Config::builder().secret_key("sk_test_1").redirect_uri("https://a.example/cb#x").build().unwrap_err().field,
            "redirect_uri"
        );
        assert_eq!(
            Config::builder().secret_key("sk_test_1").redirect_uri("https://a.example/c b").build().unwrap_err().field,
            "redirect_uri"
        );
    }

    #[test]
    fn webhook_timeout_defaults_to_20_s_and_must_be_positive_and_at_most_an_hour() {
        let build = |t: Option<Duration>| {
            let b = Config::builder().secret_key("sk_test_1");
            match t {
                Some(t) => b.webhook_timeout(t),
                None => b,
            }
            .build()
        };
        assert_eq!(build(None).unwrap().webhook_timeout, Duration::from_secs(20));
        assert_eq!(build(Some(Duration::from_millis(150))).unwrap().webhook_timeout, Duration::from_millis(150));
        assert_eq!(build(Some(Duration::from_secs(3600))).unwrap().webhook_timeout, Duration::from_secs(3600));
        for bad in [Duration::ZERO, Duration::from_millis(3_600_001)] {
            let e = build(Some(bad)).unwrap_err();
            assert_eq!(e.field, "webhook_timeout", "{bad:?}");
        }
    }

    #[test]
    fn store_timeout_defaults_to_10_s_and_must_be_positive_and_at_most_an_hour() {
        let build = |t: Duration| Config::builder().secret_key("sk_test_1").store_timeout(t).build();
        assert_eq!(Config::builder().secret_key("sk_test_1").build().unwrap().store_timeout, Duration::from_secs(10));
        assert_eq!(build(Duration::from_millis(50)).unwrap().store_timeout, Duration::from_millis(50));
        for bad in [Duration::ZERO, Duration::from_millis(3_600_001)] {
            let e = build(bad).unwrap_err();
            assert_eq!(crate::Error::from(e.clone()).code(), "config_invalid");
            assert_eq!(e.field, "store_timeout", "{bad:?}");
        }
    }

    #[test]
    fn redirect_uri_is_kept_verbatim() {
        // Stripe matches it exactly against the Dashboard's list: no trailing `/` added, host case kept.
        let c = Config::builder().secret_key("sk_test_1").redirect_uri("https://Support.Example.com").build().unwrap();
        assert_eq!(c.redirect_uri.as_deref(), Some("https://Support.Example.com"));
    }

    /// Stripe accepts `http://` redirects in test mode only: a live key with one is refused at
    /// start-up, a test key (localhost, plain http) is not.
    #[test]
    fn a_live_key_needs_an_https_redirect() {
        let e = Config::builder().secret_key("sk_live_1").redirect_uri("http://support.example.com/cb").build();
        let e = e.unwrap_err();
        assert_eq!((e.field.as_str(), e.reason.contains("https")), ("redirect_uri", true), "{e}");
        for (key, uri) in [
            ("sk_test_1", "http://localhost:3000/cb"),
            ("rk_test_1", "http://127.0.0.1:3000/cb"),
            ("sk_live_1", "https://support.example.com/cb"),
        ] {
            assert!(Config::builder().secret_key(key).redirect_uri(uri).build().is_ok(), "{key} {uri}");
        }
    }

    /// Issue 21 item 5: one client id per mode, chosen by the key's mode.
    #[test]
    fn the_test_client_id_goes_with_a_test_key() {
        let build = |key: &str| {
            Config::builder().secret_key(key).client_id("ca_live").test_client_id("ca_test").build().unwrap()
        };
        assert_eq!(build("sk_test_1").client_id_for_key().map(ClientId::as_str), Some("ca_test"));
        assert_eq!(build("rk_live_1").client_id_for_key().map(ClientId::as_str), Some("ca_live"));
        let only_one = Config::builder().secret_key("sk_test_1").client_id("ca_live").build().unwrap();
        assert_eq!(only_one.client_id_for_key().map(ClientId::as_str), Some("ca_live"));
        let env = |vars: &[(&str, &str)]| {
            let vars: HashMap<String, String> = vars.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            Config::env_builder(|n| vars.get(n).cloned()).unwrap().build()
        };
        let c = env(&[
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_CONNECT_TEST_CLIENT_ID", "ca_test"),
            ("STRIPE_APP_ID", "com.example.support"),
            ("STRIPE_APP_SECRET", "absec_SUPERSECRET"),
            ("STRIPE_INSTALL_BASE", "http://127.0.0.1:12111"),
        ])
        .unwrap();
        assert_eq!(c.test_client_id().map(ClientId::as_str), Some("ca_test"));
        assert_eq!(c.stripe_app_id().map(StripeAppId::as_str), Some("com.example.support"));
        assert_eq!(c.install_base().as_str(), "http://127.0.0.1:12111/");
        assert!(!format!("{c:?}").contains("SUPERSECRET"));
        let e = env(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_CONNECT_TEST_CLIENT_ID", "cus_1")]).unwrap_err();
        assert_eq!(e.field, "STRIPE_CONNECT_TEST_CLIENT_ID");
        let e = env(&[("STRIPE_SECRET_KEY", "sk_test_1"), ("STRIPE_INSTALL_BASE", "http://example.com")]).unwrap_err();
        assert_eq!(e.field, "STRIPE_INSTALL_BASE");
        // An app secret pasted into another option is named, never quoted.
        let e = env(&[
            ("STRIPE_SECRET_KEY", "sk_test_1"),
            ("STRIPE_APP_SECRET", "absec_SUPERSECRET"),
            ("STRIPE_APP_ID", "absec_SUPERSECRET"),
        ])
        .unwrap_err();
        assert!(!e.to_string().contains("SUPERSECRET"), "{e}");
    }

    #[test]
    fn debug_shows_no_secret() {
        let c = Config::builder()
            .secret_key("sk_test_SUPERSECRET")
            .webhook_secrets(["whsec_SUPERSECRET1", "whsec_SUPERSECRET2"])
            .state_secret("STATE_SUPERSECRET_0123456789abcdefghijkl")
            .client_id("ca_visible")
            .build()
            .unwrap();
        let d = format!("{c:?} {c:#?}");
        assert!(!d.contains("SUPERSECRET"), "{d}");
        assert!(d.contains("ca_visible"));
    }
}
