//! `#[napi(object)]` mirrors of the core's types (camelCase in JS), converted with `From`/`TryFrom`.
//! `null` in JS is `None` here; results use `null` for a missing value (`use_nullable`).

use std::collections::HashMap;

use napi::bindgen_prelude::Either;
use napi_derive::napi;

use super::numbers::{cache_millis, millis, whole_number};
use crate::{
    AccountId, AppSlug, AuthorizeUrl, Config, ConfigBuilder, ConfigError, Connected, Connection, DisconnectResult,
    DisputeAlert, Error, FraudWarningAlert, IgnoreReason, InstallUrl, Prefill, WebhookOutcome,
};

/// The options of `new StripeConnect(...)` except `stores` (passed separately).
// `Serialize` (camelCase, as napi names the fields) gives the option names a JS options object is
// checked against (`NativeOptions::names`): the struct is the one list.
#[napi(object)]
#[derive(Default, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct NativeOptions {
    /// The platform's secret key, `sk_…` or `rk_…`.
    pub secret_key: Option<String>,
    /// The Connect client id, `ca_…` (needed for OAuth): the live one, and the test one too
    /// unless `testClientId` is given.
    pub client_id: Option<String>,
    /// The Connect client id used with a test key (`sk_test_…` / `rk_test_…`); Stripe gives a
    /// platform one per mode, and only the test one allows `http://` and `localhost` redirects.
    pub test_client_id: Option<String>,
    /// The Stripe App installs connect through: its manifest id (`com.example.support`).
    pub stripe_app_id: Option<String>,
    /// The Stripe App's signing secret (`absec_…`): it proves each install's redirect.
    pub stripe_app_secret: Option<String>,
    /// Must exactly match a redirect URI configured in the Stripe Dashboard.
    pub redirect_uri: Option<String>,
    /// `read_write` (Platform apps; the default) or `read_only` (Extension apps only).
    #[napi(ts_type = "'read_write' | 'read_only'")]
    pub scope: Option<String>,
    /// One `whsec_…` secret, or several during rotation.
    pub webhook_secrets: Option<Either<String, Vec<String>>>,
    /// Webhook timestamp tolerance, either way (default 300; 0 or less is `config_invalid`).
    pub webhook_tolerance_seconds: Option<f64>,
    /// Key (≥ 32 bytes) that signs OAuth state. Default: derived from `secretKey`.
    pub state_secret: Option<String>,
    /// Default `https://api.stripe.com` (override for tests).
    pub api_base: Option<String>,
    /// Default `https://connect.stripe.com` (override for tests).
    pub connect_base: Option<String>,
    /// Where install links point; default `https://marketplace.stripe.com` (override for tests).
    pub install_base: Option<String>,
    /// The pinned `Stripe-Version`.
    pub stripe_version: Option<String>,
    /// The header that names the connected account: `'stripe-account'` (the default) or
    /// `'stripe-context'` (https://docs.stripe.com/context). Exactly one is sent, never both.
    #[napi(ts_type = "'stripe-account' | 'stripe-context'")]
    pub account_header: Option<String>,
    /// Total deadline per call, retries included (default 30000).
    pub timeout_ms: Option<f64>,
    /// Retries of safe requests after the first attempt (default 2; 0 means none).
    pub max_retries: Option<f64>,
    /// Only act on webhook events of this mode (others are `ignored`).
    pub livemode: Option<bool>,
    /// The most time one webhook delivery spends in the stores and the dispute sink (default
    /// 20000, at most 3600000). Past it the delivery fails with `store_failed` (answer 500) and a
    /// redelivery processes the event; the event's lease lasts this long plus a few seconds.
    pub webhook_timeout_ms: Option<f64>,
    /// The most time one call to the connections or claims store may take (default 10000, at
    /// most 3600000): an OAuth callback, a disconnect, a query or a tool never waits longer on the
    /// app's database. Past it the call fails with `store_failed` ("timed out").
    pub store_timeout_ms: Option<f64>,
    /// How long an email → customers resolution is reused, per account (default 60000; 0 turns the
    /// cache off). Money facts are never cached; pass `fresh: true` to a query to bypass it.
    pub cache_ttl_ms: Option<f64>,
    /// Most cached email → customers resolutions (default 10000; the oldest go first).
    pub cache_max_entries: Option<f64>,
    /// This instance's share of each connected account's rate budget at Stripe, more than 0 and
    /// at most 1 (default 1). Stripe limits requests per account per second across all of the
    /// platform's requests (100 live, 25 test, 20 for the Search API); each account is paced to
    /// this share of those. With N instances, give each `1 / N`.
    pub api_rate_share: Option<f64>,
}

impl NativeOptions {
    /// Set every given option on `builder` (later values replace earlier ones). A number option
    /// that is not a whole number in range (NaN, ±Infinity, 1.5) is `config_invalid`, never
    /// truncated or read as 0.
    pub fn apply(self, mut b: ConfigBuilder) -> Result<ConfigBuilder, ConfigError> {
        let number = |field: &str, v: f64, min: i64, max: i64| {
            whole_number(field, v, min, max).map_err(|reason| ConfigError::new(field, reason))
        };
        if let Some(v) = self.secret_key {
            b = b.secret_key(v);
        }
        if let Some(v) = self.client_id {
            b = b.client_id(v);
        }
        if let Some(v) = self.test_client_id {
            b = b.test_client_id(v);
        }
        if let Some(v) = self.stripe_app_id {
            b = b.stripe_app_id(v);
        }
        if let Some(v) = self.stripe_app_secret {
            b = b.stripe_app_secret(v);
        }
        if let Some(v) = self.redirect_uri {
            b = b.redirect_uri(v);
        }
        if let Some(v) = self.scope {
            b = b.scope(v);
        }
        if let Some(v) = self.webhook_secrets {
            b = b.webhook_secrets(string_list(v));
        }
        if let Some(v) = self.webhook_tolerance_seconds {
            b = b.webhook_tolerance_seconds(number("webhookToleranceSeconds", v, i64::MIN, i64::MAX)?);
        }
        if let Some(v) = self.state_secret {
            b = b.state_secret(v);
        }
        if let Some(v) = self.api_base {
            b = b.api_base(v);
        }
        if let Some(v) = self.connect_base {
            b = b.connect_base(v);
        }
        if let Some(v) = self.install_base {
            b = b.install_base(v);
        }
        if let Some(v) = self.stripe_version {
            b = b.stripe_version(v);
        }
        if let Some(v) = self.account_header {
            b = b.account_header(v);
        }
        if let Some(v) = self.timeout_ms {
            let ms = number("timeoutMs", v, 0, i64::from(u32::MAX))?;
            let ms = u64::try_from(ms).map_err(|_| ConfigError::new("timeoutMs", "must be more than zero"))?;
            b = b.timeout(std::time::Duration::from_millis(ms));
        }
        if let Some(v) = self.max_retries {
            let n = number("maxRetries", v, 0, i64::from(u32::MAX))?;
            let n = u32::try_from(n).map_err(|_| ConfigError::new("maxRetries", "must be 0 or more"))?;
            b = b.max_retries(n);
        }
        if let Some(v) = self.livemode {
            b = b.livemode(v);
        }
        if let Some(v) = self.webhook_timeout_ms {
            b = b.webhook_timeout(millis("webhookTimeoutMs", v, crate::config::MAX_WEBHOOK_TIMEOUT)?);
        }
        if let Some(v) = self.store_timeout_ms {
            b = b.store_timeout(millis("storeTimeoutMs", v, crate::config::MAX_STORE_TIMEOUT)?);
        }
        if let Some(v) = self.cache_ttl_ms {
            b = b.cache_ttl(cache_millis("cacheTtlMs", v)?);
        }
        if let Some(v) = self.cache_max_entries {
            let n = number("cacheMaxEntries", v, 0, i64::from(u32::MAX))?;
            b = b.cache_max_entries(usize::try_from(n).unwrap_or(usize::MAX));
        }
        if let Some(v) = self.api_rate_share {
            if !(v > 0.0 && v <= 1.0) {
                return Err(ConfigError::new(
                    "apiRateShare",
                    format!(
                        "must be more than 0 and at most 1 (this instance's share of each account's rate budget \
                         at Stripe), got {v}"
                    ),
                ));
            }
            b = b.api_rate_share(v);
        }
        Ok(b)
    }

    /// Every option's JS name, from the struct itself (a field added is a name known).
    pub fn names() -> Vec<String> {
        match serde_json::to_value(NativeOptions::default()) {
            Ok(serde_json::Value::Object(fields)) => fields.into_iter().map(|(name, _)| name).collect(),
            _ => Vec::new(),
        }
    }

    /// `Config::from_env()` over `vars` (JS's `process.env`, which under Bun and after dotenv is
    /// not the C environment) with these options on top; the rules are the core's
    /// ([`Config::env_builder_with_key`]).
    pub fn over_env(self, vars: HashMap<String, String>) -> Result<Config, Error> {
        let key = self.secret_key.clone();
        Ok(self.apply(Config::env_builder_with_key(|name| vars.get(name).cloned(), key)?)?.build()?)
    }
}

/// `string | string[]` as a list.
pub fn string_list(v: Either<String, Vec<String>>) -> Vec<String> {
    match v {
        Either::A(one) => vec![one],
        Either::B(many) => many,
    }
}

/// `stripe_user[…]` fields that prefill Stripe's onboarding form.
#[napi(object)]
pub struct NativePrefill {
    pub email: Option<String>,
    pub url: Option<String>,
    pub business_name: Option<String>,
    /// Two-letter country code.
    pub country: Option<String>,
}

impl From<NativePrefill> for Prefill {
    fn from(p: NativePrefill) -> Self {
        Prefill { email: p.email, url: p.url, business_name: p.business_name, country: p.country }
    }
}

/// Where to send the user, and the state to keep in an httpOnly cookie until the callback.
#[napi(object)]
pub struct NativeAuthorizeUrl {
    pub url: String,
    pub state: String,
    /// Unix seconds after which the state is refused.
    pub expires_at: i64,
}

impl From<AuthorizeUrl> for NativeAuthorizeUrl {
    fn from(a: AuthorizeUrl) -> Self {
        NativeAuthorizeUrl { url: a.url.to_string(), state: a.state, expires_at: a.expires_at }
    }
}

impl From<InstallUrl> for NativeAuthorizeUrl {
    fn from(a: InstallUrl) -> Self {
        NativeAuthorizeUrl { url: a.url.to_string(), state: a.state, expires_at: a.expires_at }
    }
}

#[napi(object)]
pub struct NativeDisconnectResult {
    pub account_id: String,
    pub app_slug: String,
    /// Stripe said the account was not connected any more; the local connection was cleared anyway.
    pub already_disconnected: bool,
    /// A Stripe App install's connection: cleared here, nothing sent; the app stays installed on
    /// the account until its owner uninstalls it in the Dashboard.
    pub left_installed: bool,
}

impl From<DisconnectResult> for NativeDisconnectResult {
    fn from(d: DisconnectResult) -> Self {
        NativeDisconnectResult {
            account_id: d.account_id.as_str().to_string(),
            app_slug: d.app_slug.as_str().to_string(),
            already_disconnected: d.already_disconnected,
            left_installed: d.left_installed,
        }
    }
}

/// A row of the apps table, as JS stores see it.
#[napi(object, js_name = "NativeConnection")]
pub struct JsConnection {
    pub app_slug: String,
    /// `acct_…`
    pub account_id: String,
    pub livemode: bool,
    /// The OAuth scope Stripe granted, or `stripe_app` for a Stripe App install.
    #[napi(ts_type = "'read_write' | 'read_only' | 'stripe_app'")]
    pub scope: String,
}

impl From<&Connection> for JsConnection {
    fn from(c: &Connection) -> Self {
        JsConnection {
            app_slug: c.app_slug.as_str().to_string(),
            account_id: c.account_id.as_str().to_string(),
            livemode: c.livemode,
            scope: c.scope.clone(),
        }
    }
}

impl TryFrom<JsConnection> for Connection {
    type Error = Error;
    fn try_from(c: JsConnection) -> Result<Self, Error> {
        Ok(Connection {
            app_slug: AppSlug::parse(&c.app_slug)?,
            account_id: AccountId::parse(&c.account_id)?,
            livemode: c.livemode,
            scope: c.scope,
        })
    }
}

/// What `handleCallback` resolves with: the connection saved, and the account it replaced.
#[napi(object, js_name = "NativeConnected", use_nullable = true)]
pub struct JsConnected {
    pub app_slug: String,
    /// `acct_…`
    pub account_id: String,
    pub livemode: bool,
    #[napi(ts_type = "'read_write' | 'read_only' | 'stripe_app'")]
    pub scope: String,
    /// The account the app was connected to until now, when this callback replaced it with a
    /// different one; `null` for a first connection and for the same account connected again.
    pub replaced_account_id: Option<String>,
}

impl From<&Connected> for JsConnected {
    fn from(c: &Connected) -> Self {
        let JsConnection { app_slug, account_id, livemode, scope } = JsConnection::from(&c.connection);
        JsConnected {
            app_slug,
            account_id,
            livemode,
            scope,
            replaced_account_id: c.replaced_account_id.as_ref().map(|a| a.as_str().to_string()),
        }
    }
}

/// What the dispute sink receives.
#[napi(object, js_name = "NativeDisputeAlert", use_nullable = true, object_from_js = false)]
pub struct JsDisputeAlert {
    pub event_id: String,
    pub app_slug: Option<String>,
    pub account_id: Option<String>,
    pub livemode: bool,
    pub dispute: crate::Dispute,
    /// The disputed charge's customer, read with the charge.
    pub customer_id: Option<String>,
    /// The customer's email (else the charge's receipt or billing email); null when unknown.
    pub customer_email: Option<String>,
    pub charge_description: Option<String>,
    /// Why `customerEmail` is null: the read failed or timed out, no customer, no email.
    pub customer_unknown_reason: Option<String>,
}

impl From<&DisputeAlert> for JsDisputeAlert {
    fn from(a: &DisputeAlert) -> Self {
        JsDisputeAlert {
            event_id: a.event_id.clone(),
            app_slug: a.app_slug.as_ref().map(|s| s.as_str().to_string()),
            account_id: a.account_id.as_ref().map(|s| s.as_str().to_string()),
            livemode: a.livemode,
            dispute: a.dispute.clone(),
            customer_id: a.customer_id.clone(),
            customer_email: a.customer_email.clone(),
            charge_description: a.charge_description.clone(),
            customer_unknown_reason: a.customer_unknown_reason.clone(),
        }
    }
}

/// What the dispute sink's `earlyFraudWarningCreated` receives.
#[napi(object, js_name = "NativeFraudWarningAlert", use_nullable = true, object_from_js = false)]
pub struct JsFraudWarningAlert {
    pub event_id: String,
    pub app_slug: Option<String>,
    pub account_id: Option<String>,
    pub livemode: bool,
    pub warning: crate::EarlyFraudWarning,
    /// The flagged charge's amount (minor units of `currency`), read with the charge; null when
    /// that read failed.
    pub amount: Option<i64>,
    pub currency: Option<String>,
    pub customer_id: Option<String>,
    /// The customer's email (else the charge's receipt or billing email); null when unknown.
    pub customer_email: Option<String>,
    pub charge_description: Option<String>,
    /// Why `customerEmail` is null: the read failed or timed out, no customer, no email.
    pub customer_unknown_reason: Option<String>,
}

impl From<&FraudWarningAlert> for JsFraudWarningAlert {
    fn from(a: &FraudWarningAlert) -> Self {
        JsFraudWarningAlert {
            event_id: a.event_id.clone(),
            app_slug: a.app_slug.as_ref().map(|s| s.as_str().to_string()),
            account_id: a.account_id.as_ref().map(|s| s.as_str().to_string()),
            livemode: a.livemode,
            warning: a.warning.clone(),
            amount: a.amount,
            currency: a.currency.clone(),
            customer_id: a.customer_id.clone(),
            customer_email: a.customer_email.clone(),
            charge_description: a.charge_description.clone(),
            customer_unknown_reason: a.customer_unknown_reason.clone(),
        }
    }
}

#[napi(object, use_nullable = true)]
pub struct OutcomeDisconnected {
    #[napi(ts_type = "'disconnected'")]
    pub outcome: String,
    pub event_id: String,
    pub account_id: String,
    pub app_slug: Option<String>,
}

#[napi(object, use_nullable = true)]
pub struct OutcomeDisputeRecorded {
    #[napi(ts_type = "'dispute_recorded'")]
    pub outcome: String,
    pub event_id: String,
    pub dispute_id: String,
    pub account_id: Option<String>,
    pub app_slug: Option<String>,
}

#[napi(object, use_nullable = true)]
pub struct OutcomeFraudWarningRecorded {
    #[napi(ts_type = "'fraud_warning_recorded'")]
    pub outcome: String,
    pub event_id: String,
    pub warning_id: String,
    pub account_id: Option<String>,
    pub app_slug: Option<String>,
}

#[napi(object)]
pub struct OutcomeDuplicate {
    #[napi(ts_type = "'duplicate'")]
    pub outcome: String,
    pub event_id: String,
    pub event_type: String,
}

#[napi(object)]
pub struct OutcomeIgnored {
    #[napi(ts_type = "'ignored'")]
    pub outcome: String,
    pub event_id: String,
    pub event_type: String,
    #[napi(ts_type = "'unhandled_type' | 'livemode_mismatch'")]
    pub reason: String,
}

/// `handleWebhook`'s result: one object per outcome, told apart by `outcome`.
pub type JsWebhookOutcome = napi::bindgen_prelude::Either5<
    OutcomeDisconnected,
    OutcomeDisputeRecorded,
    OutcomeFraudWarningRecorded,
    OutcomeDuplicate,
    OutcomeIgnored,
>;

pub fn webhook_outcome(o: WebhookOutcome) -> JsWebhookOutcome {
    use napi::bindgen_prelude::Either5;
    let outcome = o.kind().to_string();
    let str_of = |s: Option<&str>| s.map(str::to_string);
    match o {
        WebhookOutcome::Disconnected { event_id, account_id, app_slug } => Either5::A(OutcomeDisconnected {
            outcome,
            event_id,
            account_id: account_id.as_str().to_string(),
            app_slug: str_of(app_slug.as_ref().map(AppSlug::as_str)),
        }),
        WebhookOutcome::DisputeRecorded { event_id, dispute_id, account_id, app_slug } => {
            Either5::B(OutcomeDisputeRecorded {
                outcome,
                event_id,
                dispute_id,
                account_id: str_of(account_id.as_ref().map(AccountId::as_str)),
                app_slug: str_of(app_slug.as_ref().map(AppSlug::as_str)),
            })
        }
        WebhookOutcome::FraudWarningRecorded { event_id, warning_id, account_id, app_slug } => {
            Either5::C(OutcomeFraudWarningRecorded {
                outcome,
                event_id,
                warning_id,
                account_id: str_of(account_id.as_ref().map(AccountId::as_str)),
                app_slug: str_of(app_slug.as_ref().map(AppSlug::as_str)),
            })
        }
        WebhookOutcome::Duplicate { event_id, event_type } => {
            Either5::D(OutcomeDuplicate { outcome, event_id, event_type })
        }
        WebhookOutcome::Ignored { event_id, event_type, reason } => Either5::E(OutcomeIgnored {
            outcome,
            event_id,
            event_type,
            reason: match reason {
                IgnoreReason::UnhandledType => "unhandled_type",
                IgnoreReason::LivemodeMismatch => "livemode_mismatch",
            }
            .to_string(),
        }),
    }
}
