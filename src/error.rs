//! One public error type with a stable string code per failure.
//!
//! `Error::code()` is the contract: JS sees it as `err.code`, docs/errors.md lists every value, and tests
//! assert it exactly. Messages are for people; codes are for programs. No message or field ever
//! holds a secret.

use std::fmt;

/// Every error this crate returns.
///
/// Its `Display` is what every face shows (a JS `err.message`, a tool result's `message`, a log
/// line): text the library did not write itself is quoted ([`crate::quote`]: secret-shaped values
/// named by kind and length, control characters replaced, length capped), and any value equal to
/// a secret of a live `Config` is replaced by its length. The unquoted original of a store's
/// failure stays reachable through `source()` (and `cause` in JS) for the app's own logs.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    Webhook(WebhookError),
    // Boxed: they carry Stripe's response details, and `Result<_, Error>` stays small.
    OAuth(Box<OAuthError>),
    Stripe(Box<StripeError>),
    Store(StoreError),
    Config(ConfigError),
    /// Input the caller gave that cannot be used (an id with the wrong prefix, an empty email...).
    /// Nothing was sent anywhere.
    InvalidInput {
        field: String,
        reason: String,
    },
    /// An agent tool named an app its scope does not include (the caller fixes the scope; the
    /// model cannot widen it). Nothing was sent.
    AppOutOfScope {
        app_slug: String,
        allowed: Vec<String>,
    },
    /// The app has no Stripe connection in the connection store. Nothing was sent.
    AppNotConnected {
        app_slug: String,
    },
    /// The app's connection was made in one mode (live or test) and the secret key is of the
    /// other: Stripe would answer for the wrong data, or not at all. Nothing was sent.
    LivemodeMismatch {
        app_slug: String,
        /// The connection's mode (`true`: live).
        connection_livemode: bool,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let slug = |s: &str| crate::quote::quote_capped(s, 64);
        let text = match self {
            Error::Webhook(e) => e.to_string(),
            Error::OAuth(e) => e.to_string(),
            Error::Stripe(e) => e.to_string(),
            Error::Store(e) => e.to_string(),
            Error::Config(e) => e.to_string(),
            Error::InvalidInput { field, reason } => format!("invalid input `{}`: {reason}", slug(field)),
            Error::AppOutOfScope { app_slug, allowed } => format!(
                "app {:?} is outside this conversation's scope (it may see: {})",
                slug(app_slug),
                allowed.iter().map(|a| slug(a)).collect::<Vec<_>>().join(", ")
            ),
            Error::AppNotConnected { app_slug } => format!("app {:?} has no Stripe account connected", slug(app_slug)),
            Error::LivemodeMismatch { app_slug, connection_livemode } => {
                let (connection, key) = if *connection_livemode { ("live", "test") } else { ("test", "live") };
                format!(
                    "app {:?} was connected in {connection} mode but the secret key is a {key} key: use a {connection} \
                     key, or connect the app again with this one; nothing was sent",
                    slug(app_slug)
                )
            }
        };
        // The last line of defence, whatever a variant quotes: no secret-shaped token, no value
        // of a configured secret.
        f.write_str(&crate::quote::scrub_configured(&crate::quote::scrub_secrets(&text)))
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Store(e) => e.source.as_deref().map(|s| s as &(dyn std::error::Error + 'static)),
            _ => None,
        }
    }
}

impl From<WebhookError> for Error {
    fn from(e: WebhookError) -> Self {
        Error::Webhook(e)
    }
}

impl From<StoreError> for Error {
    fn from(e: StoreError) -> Self {
        Error::Store(e)
    }
}

impl From<ConfigError> for Error {
    fn from(e: ConfigError) -> Self {
        Error::Config(e)
    }
}

impl Error {
    /// The stable code of this error (see docs/errors.md): compare it with an [`ErrorCode`], or
    /// with its string (`e.code() == "store_failed"`); `e.code().http_status()` is the answer of
    /// an HTTP route, `e.code().is_retryable()` whether trying again may help.
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Webhook(e) => e.code(),
            Error::OAuth(e) => e.code(),
            Error::Stripe(e) => e.code(),
            Error::Store(_) => ErrorCode::StoreFailed,
            Error::Config(_) => ErrorCode::ConfigInvalid,
            Error::InvalidInput { .. } => ErrorCode::InvalidInput,
            Error::AppOutOfScope { .. } => ErrorCode::AppOutOfScope,
            Error::AppNotConnected { .. } => ErrorCode::AppNotConnected,
            Error::LivemodeMismatch { .. } => ErrorCode::LivemodeMismatch,
        }
    }

    /// Stripe's `Request-Id` header, where there was a response.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Stripe(e) => e.request_id.as_deref(),
            Error::OAuth(e) => e.request_id.as_deref(),
            _ => None,
        }
    }

    /// HTTP status of Stripe's response, where there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Stripe(e) => e.status,
            Error::OAuth(e) => e.status,
            _ => None,
        }
    }

    /// Stripe's own error code (`resource_missing`, `invalid_grant`, ...), where Stripe sent one.
    pub fn stripe_code(&self) -> Option<&str> {
        match self {
            Error::Stripe(e) => e.stripe_code.as_deref(),
            Error::OAuth(e) => e.stripe_code.as_deref(),
            _ => None,
        }
    }

    /// The restricted-key permission Stripe named as missing (`rak_charge_read`), for
    /// `stripe_key_lacks_permission`.
    pub fn missing_permission(&self) -> Option<&str> {
        match self {
            Error::Stripe(e) => e.permission.as_deref(),
            _ => None,
        }
    }

    /// The connected account the failed operation concerned, when the caller needs it to recover
    /// (e.g. a connection Stripe made but the store could not save).
    pub fn account_id(&self) -> Option<&str> {
        match self {
            Error::Store(e) => e.account_id.as_deref(),
            _ => None,
        }
    }

    /// Seconds after which retrying may succeed, where the error says so (`webhook_in_progress`:
    /// the rest of another delivery's lease at most). The HTTP answer's `Retry-After`.
    pub fn retry_after_seconds(&self) -> Option<u64> {
        match self {
            Error::Webhook(WebhookError::InProgress { retry_after_seconds, .. }) => Some(*retry_after_seconds),
            _ => None,
        }
    }

    pub(crate) fn invalid_input(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Error::InvalidInput { field: field.into(), reason: reason.into() }
    }
}

impl From<OAuthError> for Error {
    fn from(e: OAuthError) -> Self {
        Error::OAuth(Box::new(e))
    }
}

impl From<StripeError> for Error {
    fn from(e: StripeError) -> Self {
        Error::Stripe(Box::new(e))
    }
}

/// Webhook verification and parsing failures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum WebhookError {
    #[error(
        "no Stripe-Signature header: is this request from Stripe, and does your framework pass the header through?"
    )]
    MissingHeader,
    #[error("malformed Stripe-Signature header: {reason}")]
    MalformedHeader { reason: String },
    #[error("the Stripe-Signature header has no v1 signature (only v0 or unknown schemes)")]
    NoV1Signature,
    #[error("no v1 signature matches any configured webhook secret{hint}")]
    SignatureMismatch { hint: Hint },
    #[error("signature timestamp {timestamp} is outside the tolerance of {tolerance_seconds} s around now ({now}){direction}")]
    TimestampOutOfRange { timestamp: i64, now: i64, tolerance_seconds: i64, direction: Direction },
    // The reason may quote the body (serde names the value it did not expect): quoted, not echoed.
    #[error("the signed body is not a Stripe event this library accepts: {}", crate::quote::quote(reason))]
    InvalidPayload { reason: String },
    #[error(
        "the signed body is not a Stripe event (object = {:?}): thin events and other objects are not accepted",
        crate::quote::quote_capped(object, 100)
    )]
    ThinEvent { object: String },
    /// No secret, or one that anyone could sign with (empty, blank, a bare `whsec_`): a
    /// configuration error (`config_invalid`), found before any HMAC is computed.
    #[error("no usable webhook secret: {reason}")]
    UnusableSecret { reason: String },
    /// Another delivery of this event holds a live lease on it (it is being processed, or its
    /// holder died and the lease has not run out yet). Answer non-2xx (409) so that Stripe
    /// redelivers it later; after the lease a redelivery is either a duplicate or processed.
    #[error(
        "event {event_id} is being processed by another delivery (its lease runs out within {retry_after_seconds} s): \
         answer non-2xx (409) so that Stripe redelivers it"
    )]
    InProgress { event_id: String, retry_after_seconds: u64 },
}

impl WebhookError {
    pub fn code(&self) -> ErrorCode {
        match self {
            WebhookError::MissingHeader => ErrorCode::WebhookMissingHeader,
            WebhookError::MalformedHeader { .. } => ErrorCode::WebhookMalformedHeader,
            WebhookError::NoV1Signature => ErrorCode::WebhookNoV1Signature,
            WebhookError::SignatureMismatch { .. } => ErrorCode::WebhookSignatureMismatch,
            WebhookError::TimestampOutOfRange { .. } => ErrorCode::WebhookTimestampOutOfRange,
            WebhookError::InvalidPayload { .. } => ErrorCode::WebhookInvalidPayload,
            WebhookError::ThinEvent { .. } => ErrorCode::WebhookThinEvent,
            WebhookError::UnusableSecret { .. } => ErrorCode::ConfigInvalid,
            WebhookError::InProgress { .. } => ErrorCode::WebhookInProgress,
        }
    }
}

/// An optional explanation appended to a message (empty when there is nothing useful to add).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Hint(pub Option<String>);

impl fmt::Display for Hint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Some(h) => write!(f, ". {h}"),
            None => Ok(()),
        }
    }
}

/// Which way a timestamp missed the tolerance window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    TooOld,
    InFuture,
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Direction::TooOld => f.write_str(": too old (a replay, or a server clock that is behind)"),
            Direction::InFuture => f.write_str(": in the future (is this server's clock behind?)"),
        }
    }
}

/// What kind of OAuth failure happened; each maps to one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum OAuthErrorKind {
    /// The user clicked "deny" on Stripe's page (`error=access_denied`).
    AccessDenied,
    /// The state is missing, does not match the cookie, or its signature does not verify.
    InvalidState,
    /// The state verified but is past its expiry.
    StateExpired,
    /// The state was already used by an earlier callback.
    StateUsed,
    /// A Stripe App install's redirect is not signed by Stripe for these values: no
    /// `install_signature`, a malformed or stale one, or one that does not match the `state`,
    /// `user_id` and `account_id` it came with (a forged or altered redirect).
    InstallSignatureInvalid,
    InvalidGrant,
    InvalidRequest,
    InvalidScope,
    InvalidClient,
    UnsupportedGrantType,
    UnsupportedResponseType,
    /// Any other OAuth error Stripe reports.
    Other,
}

/// An OAuth failure: from the redirect's query, the state check, or Stripe's token endpoint.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.render())]
#[non_exhaustive]
pub struct OAuthError {
    pub kind: OAuthErrorKind,
    /// Stripe's `error` value, where Stripe sent one.
    pub stripe_code: Option<String>,
    /// Stripe's `error_description`, or our own explanation.
    pub description: String,
    pub status: Option<u16>,
    pub request_id: Option<String>,
}

impl OAuthError {
    pub fn new(kind: OAuthErrorKind, description: impl Into<String>) -> Self {
        OAuthError { kind, stripe_code: None, description: description.into(), status: None, request_id: None }
    }

    pub fn code(&self) -> ErrorCode {
        match self.kind {
            OAuthErrorKind::AccessDenied => ErrorCode::OAuthAccessDenied,
            OAuthErrorKind::InvalidState => ErrorCode::OAuthInvalidState,
            OAuthErrorKind::StateExpired => ErrorCode::OAuthStateExpired,
            OAuthErrorKind::StateUsed => ErrorCode::OAuthStateUsed,
            OAuthErrorKind::InstallSignatureInvalid => ErrorCode::InstallSignatureInvalid,
            OAuthErrorKind::InvalidGrant => ErrorCode::OAuthInvalidGrant,
            OAuthErrorKind::InvalidRequest => ErrorCode::OAuthInvalidRequest,
            OAuthErrorKind::InvalidScope => ErrorCode::OAuthInvalidScope,
            OAuthErrorKind::InvalidClient => ErrorCode::OAuthInvalidClient,
            OAuthErrorKind::UnsupportedGrantType => ErrorCode::OAuthUnsupportedGrantType,
            OAuthErrorKind::UnsupportedResponseType => ErrorCode::OAuthUnsupportedResponseType,
            OAuthErrorKind::Other => ErrorCode::OAuthError,
        }
    }

    fn render(&self) -> String {
        let mut s = format!("OAuth: {}", self.description);
        if let Some(c) = &self.stripe_code {
            s.push_str(&format!(" (Stripe error `{c}`)"));
        }
        if let Some(r) = &self.request_id {
            s.push_str(&format!(" [request {r}]"));
        }
        s
    }
}

/// What kind of Stripe API failure happened; each maps to one code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StripeErrorKind {
    /// 429 after retries.
    RateLimited,
    /// 404: the object does not exist on that account.
    NotFound,
    /// 401: bad secret key, or the account is no longer connected to the platform.
    AuthFailed,
    /// 403: the key may not do this on that account.
    PermissionDenied,
    /// 403 with Stripe's restricted-key wording: the platform's restricted key (`rk_…`) lacks a
    /// permission this request needs (named in [`StripeError::permission`] when Stripe names it).
    KeyLacksPermission,
    /// Any other 4xx Stripe error.
    ApiError,
    /// Network failure or 5xx after retries.
    Unavailable,
    /// The per-call deadline passed.
    Timeout,
    /// A body that is not what Stripe sends: not JSON, wrong shape, truncated.
    BadResponse,
}

/// A failure talking to Stripe, with what an operator needs to follow it up.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{}", self.render())]
#[non_exhaustive]
pub struct StripeError {
    pub kind: StripeErrorKind,
    pub message: String,
    pub status: Option<u16>,
    /// Stripe's `error.type` (`invalid_request_error`, ...).
    pub error_type: Option<String>,
    /// Stripe's `error.code` (`resource_missing`, ...).
    pub stripe_code: Option<String>,
    pub param: Option<String>,
    pub request_id: Option<String>,
    /// `Stripe-Rate-Limited-Reason` on a 429.
    pub rate_limited_reason: Option<String>,
    /// The restricted-key permission Stripe said would allow the request (`rak_charge_read`),
    /// for `stripe_key_lacks_permission`; quoted like every text Stripe sends.
    pub permission: Option<String>,
}

impl StripeError {
    pub fn new(kind: StripeErrorKind, message: impl Into<String>) -> Self {
        StripeError {
            kind,
            message: message.into(),
            status: None,
            error_type: None,
            stripe_code: None,
            param: None,
            request_id: None,
            rate_limited_reason: None,
            permission: None,
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self.kind {
            StripeErrorKind::RateLimited => ErrorCode::StripeRateLimited,
            StripeErrorKind::NotFound => ErrorCode::StripeNotFound,
            StripeErrorKind::AuthFailed => ErrorCode::StripeAuthFailed,
            StripeErrorKind::PermissionDenied => ErrorCode::StripePermissionDenied,
            StripeErrorKind::KeyLacksPermission => ErrorCode::StripeKeyLacksPermission,
            StripeErrorKind::ApiError => ErrorCode::StripeApiError,
            StripeErrorKind::Unavailable => ErrorCode::StripeUnavailable,
            StripeErrorKind::Timeout => ErrorCode::StripeTimeout,
            StripeErrorKind::BadResponse => ErrorCode::StripeBadResponse,
        }
    }

    fn render(&self) -> String {
        let mut s = format!("Stripe: {}", self.message);
        if let Some(st) = self.status {
            s.push_str(&format!(" (HTTP {st}"));
            if let Some(c) = &self.stripe_code {
                s.push_str(&format!(", {c}"));
            }
            s.push(')');
        }
        if let Some(r) = &self.request_id {
            s.push_str(&format!(" [request {r}]"));
        }
        s
    }
}

/// A store (connections, claims, dispute sink) failed. Whatever was being done was not completed.
#[derive(Debug, Clone, thiserror::Error)]
#[error("store failed during {operation}: {message}{}", self.account_suffix())]
#[non_exhaustive]
pub struct StoreError {
    /// What the library was doing (`connections.save`, `claims.claim`, ...).
    pub operation: String,
    /// The store's own words, quoted ([`crate::quote`]): secrets by kind and length, no control
    /// characters, at most 300 characters.
    pub message: String,
    /// The connected account concerned, so the caller can recover (e.g. save it by hand).
    pub account_id: Option<String>,
    /// The store's own error, unquoted, for the app's logs (`Error::source()`); never shown by
    /// the library.
    pub source: Option<std::sync::Arc<dyn std::error::Error + Send + Sync>>,
}

impl StoreError {
    /// `message` is quoted: a store's text may hold anything (a database URL with its password,
    /// a query's parameters, control characters, megabytes).
    pub fn new(operation: impl Into<String>, message: impl AsRef<str>) -> Self {
        StoreError {
            operation: operation.into(),
            message: crate::quote::quote(message.as_ref()),
            account_id: None,
            source: None,
        }
    }

    /// Keep the store's own error for `source()` (its text is quoted into `message` by the caller).
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.source = Some(std::sync::Arc::new(source));
        self
    }

    pub fn with_account(mut self, account_id: impl Into<String>) -> Self {
        self.account_id = Some(account_id.into());
        self
    }

    /// Name the operation, unless the store already did.
    pub(crate) fn in_operation(mut self, operation: &str) -> Self {
        if self.operation.is_empty() {
            self.operation = operation.to_string();
        }
        self
    }

    fn account_suffix(&self) -> String {
        self.account_id.as_ref().map(|a| format!(" (account {a})")).unwrap_or_default()
    }
}

/// Configuration that is missing or malformed. `field` names the option or environment variable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration `{field}`: {reason}")]
#[non_exhaustive]
pub struct ConfigError {
    pub field: String,
    pub reason: String,
}

impl ConfigError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ConfigError { field: field.into(), reason: reason.into() }
    }
}

/// Calls `$then! { code => Variant, http status, retryable; … }` with every error code: the one
/// table that [`ErrorCode`], [`ERROR_CODES`] and the Node binding's `ErrorCode` string union are
/// made from. The status is what an HTTP route answers with the code; `retryable` says whether
/// the same call may succeed later, unchanged (Stripe busy, slow or down, a store failing, a
/// lease held by another delivery).
macro_rules! with_error_codes {
    ($then:ident) => {
        $then! {
            webhook_missing_header => WebhookMissingHeader, 400, false;
            webhook_malformed_header => WebhookMalformedHeader, 400, false;
            webhook_no_v1_signature => WebhookNoV1Signature, 400, false;
            webhook_signature_mismatch => WebhookSignatureMismatch, 400, false;
            webhook_timestamp_out_of_range => WebhookTimestampOutOfRange, 400, false;
            webhook_invalid_payload => WebhookInvalidPayload, 400, false;
            webhook_thin_event => WebhookThinEvent, 400, false;
            webhook_in_progress => WebhookInProgress, 409, true;
            oauth_access_denied => OAuthAccessDenied, 403, false;
            oauth_invalid_state => OAuthInvalidState, 400, false;
            oauth_state_expired => OAuthStateExpired, 400, false;
            oauth_state_used => OAuthStateUsed, 400, false;
            install_signature_invalid => InstallSignatureInvalid, 400, false;
            oauth_invalid_grant => OAuthInvalidGrant, 400, false;
            oauth_invalid_request => OAuthInvalidRequest, 400, false;
            oauth_invalid_scope => OAuthInvalidScope, 400, false;
            oauth_invalid_client => OAuthInvalidClient, 500, false;
            oauth_unsupported_grant_type => OAuthUnsupportedGrantType, 500, false;
            oauth_unsupported_response_type => OAuthUnsupportedResponseType, 500, false;
            oauth_error => OAuthError, 502, false;
            stripe_rate_limited => StripeRateLimited, 429, true;
            stripe_not_found => StripeNotFound, 404, false;
            stripe_auth_failed => StripeAuthFailed, 502, false;
            stripe_permission_denied => StripePermissionDenied, 502, false;
            stripe_key_lacks_permission => StripeKeyLacksPermission, 502, false;
            stripe_api_error => StripeApiError, 502, false;
            stripe_unavailable => StripeUnavailable, 503, true;
            stripe_timeout => StripeTimeout, 504, true;
            stripe_bad_response => StripeBadResponse, 502, false;
            invalid_input => InvalidInput, 400, false;
            store_failed => StoreFailed, 500, true;
            config_invalid => ConfigInvalid, 500, false;
            app_out_of_scope => AppOutOfScope, 403, false;
            app_not_connected => AppNotConnected, 404, false;
            livemode_mismatch => LivemodeMismatch, 500, false;
            missing_app => MissingApp, 400, false;
            unknown_app => UnknownApp, 404, false;
            forbidden => Forbidden, 403, false;
            body_unreadable => BodyUnreadable, 400, true;
            payload_too_large => PayloadTooLarge, 413, false;
            redirect_refused => RedirectRefused, 500, false;
            internal_error => InternalError, 500, false;
        }
    };
}
#[cfg_attr(not(feature = "node"), allow(unused_imports))]
pub(crate) use with_error_codes;

macro_rules! error_code_enum {
    ($($code:ident => $variant:ident, $status:literal, $retryable:literal;)*) => {
        /// The stable code of a failure: what programs branch on (JS sees it as `err.code`, a tool
        /// result as `error.code`, an HTTP route's JSON as `code`). docs/errors.md lists them all.
        ///
        /// The last seven are answered by the HTTP routes (`@support/stripe-connect/next`) for
        /// requests that never reach a client call (no `appSlug`, a body that could not be read,
        /// …); no [`Error`] carries them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum ErrorCode {
            $(
                #[doc = concat!("`", stringify!($code), "` (HTTP ", stringify!($status), ")")]
                $variant,
            )*
        }

        impl ErrorCode {
            /// Every code, in the order docs/errors.md lists them.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant),*];

            /// The snake_case string (`"stripe_not_found"`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => stringify!($code),)*
                }
            }

            /// The HTTP status a route answers with this code: 400 for the caller's input, 403 for
            /// a refusal, 404 for what does not exist, 409 for a lease held elsewhere, 413 for a
            /// body over the cap, 429 for Stripe's rate limit, 500 for the server's own
            /// configuration or store, 502/503/504 for Stripe failing, down or slow.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// Whether the same call may succeed later, unchanged: Stripe busy, slow or down, a
            /// store failing, another delivery holding the event's lease, a body cut off.
            pub const fn is_retryable(self) -> bool {
                match self {
                    $(ErrorCode::$variant => $retryable,)*
                }
            }

            /// The code named `code`, if there is one.
            pub fn parse(code: &str) -> Option<ErrorCode> {
                match code {
                    $(stringify!($code) => Some(ErrorCode::$variant),)*
                    _ => None,
                }
            }
        }

        /// Every code's string, for docs and for the JS type union (`ErrorCode::ALL` as text).
        pub const ERROR_CODES: &[&str] = &[$(stringify!($code)),*];
    };
}
with_error_codes!(error_code_enum);

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for ErrorCode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        ErrorCode::parse(s).ok_or_else(|| Error::invalid_input("code", "not an error code of this library"))
    }
}

impl AsRef<str> for ErrorCode {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

// `err.code() == "store_failed"` keeps reading as it did when codes were strings.
impl PartialEq<str> for ErrorCode {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<ErrorCode> for &str {
    fn eq(&self, other: &ErrorCode) -> bool {
        *self == other.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One error of every kind. Each `match` below names every variant with no wildcard, so a new
    /// kind stops this test from compiling until it is listed here (and its code checked).
    fn one_of_each() -> Vec<Error> {
        let webhook = [
            WebhookError::MissingHeader,
            WebhookError::MalformedHeader { reason: String::new() },
            WebhookError::NoV1Signature,
            WebhookError::SignatureMismatch { hint: Hint::default() },
            WebhookError::TimestampOutOfRange {
                timestamp: 0,
                now: 0,
                tolerance_seconds: 0,
                direction: Direction::TooOld,
            },
            WebhookError::InvalidPayload { reason: String::new() },
            WebhookError::ThinEvent { object: String::new() },
            WebhookError::UnusableSecret { reason: String::new() },
            WebhookError::InProgress { event_id: String::new(), retry_after_seconds: 0 },
        ];
        for e in &webhook {
            match e {
                WebhookError::MissingHeader
                | WebhookError::MalformedHeader { .. }
                | WebhookError::NoV1Signature
                | WebhookError::SignatureMismatch { .. }
                | WebhookError::TimestampOutOfRange { .. }
                | WebhookError::InvalidPayload { .. }
                | WebhookError::ThinEvent { .. }
                | WebhookError::UnusableSecret { .. }
                | WebhookError::InProgress { .. } => {}
            }
        }
        use OAuthErrorKind as O;
        let oauth = [
            O::AccessDenied,
            O::InvalidState,
            O::StateExpired,
            O::StateUsed,
            O::InstallSignatureInvalid,
            O::InvalidGrant,
            O::InvalidRequest,
            O::InvalidScope,
            O::InvalidClient,
            O::UnsupportedGrantType,
            O::UnsupportedResponseType,
            O::Other,
        ];
        for k in &oauth {
            match k {
                O::AccessDenied
                | O::InvalidState
                | O::StateExpired
                | O::StateUsed
                | O::InstallSignatureInvalid
                | O::InvalidGrant
                | O::InvalidRequest
                | O::InvalidScope
                | O::InvalidClient
                | O::UnsupportedGrantType
                | O::UnsupportedResponseType
                | O::Other => {}
            }
        }
        use StripeErrorKind as S;
        let stripe = [
            S::RateLimited,
            S::NotFound,
            S::AuthFailed,
            S::PermissionDenied,
            S::KeyLacksPermission,
            S::ApiError,
            S::Unavailable,
            S::Timeout,
            S::BadResponse,
        ];
        for k in &stripe {
            match k {
                S::RateLimited
                | S::NotFound
                | S::AuthFailed
                | S::PermissionDenied
                | S::KeyLacksPermission
                | S::ApiError
                | S::Unavailable
                | S::Timeout
                | S::BadResponse => {}
            }
        }
        let mut all: Vec<Error> = webhook.into_iter().map(Error::from).collect();
        all.extend(oauth.into_iter().map(|k| Error::from(OAuthError::new(k, ""))));
        all.extend(stripe.into_iter().map(|k| Error::from(StripeError::new(k, ""))));
        all.push(Error::from(StoreError::new("", "")));
        all.push(Error::from(ConfigError::new("", "")));
        all.push(Error::invalid_input("", ""));
        all.push(Error::AppOutOfScope { app_slug: String::new(), allowed: Vec::new() });
        all.push(Error::AppNotConnected { app_slug: String::new() });
        all.push(Error::LivemodeMismatch { app_slug: String::new(), connection_livemode: true });
        for e in &all {
            match e {
                Error::Webhook(_)
                | Error::OAuth(_)
                | Error::Stripe(_)
                | Error::Store(_)
                | Error::Config(_)
                | Error::InvalidInput { .. }
                | Error::AppOutOfScope { .. }
                | Error::AppNotConnected { .. }
                | Error::LivemodeMismatch { .. } => {}
            }
        }
        all
    }

    /// Codes only the HTTP routes answer with (requests that never reach a client call).
    const ROUTE_ONLY: &[ErrorCode] = &[
        ErrorCode::MissingApp,
        ErrorCode::UnknownApp,
        ErrorCode::Forbidden,
        ErrorCode::BodyUnreadable,
        ErrorCode::PayloadTooLarge,
        ErrorCode::RedirectRefused,
        ErrorCode::InternalError,
    ];

    #[test]
    fn every_error_kind_has_its_code_in_error_codes_and_every_code_a_kind() {
        let produced: Vec<ErrorCode> = one_of_each().iter().map(Error::code).collect();
        for code in &produced {
            assert!(ERROR_CODES.contains(&code.as_str()), "{code} is missing from ERROR_CODES");
        }
        for code in ErrorCode::ALL {
            assert!(
                produced.contains(code) || ROUTE_ONLY.contains(code),
                "ERROR_CODES lists {code}, which no error kind returns and no route answers"
            );
        }
        for code in ROUTE_ONLY {
            assert!(!produced.contains(code), "{code} is said to be route-only, but an error kind returns it");
        }
        let strings: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(strings, ERROR_CODES);
        let mut unique = ERROR_CODES.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ERROR_CODES.len(), "ERROR_CODES has a duplicate");
    }

    #[test]
    fn each_code_parses_back_and_maps_to_one_status() {
        for code in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(code.as_str()), Some(*code));
            assert_eq!(code.as_str().parse::<ErrorCode>().unwrap(), *code);
            assert_eq!(code.to_string(), code.as_str());
            assert!((400..600).contains(&code.http_status()), "{code}");
        }
        assert_eq!(ErrorCode::parse("no_such_code"), None);
        assert_eq!("no_such_code".parse::<ErrorCode>().unwrap_err().code(), ErrorCode::InvalidInput);
        // The answers the routes and the docs promise.
        let table = [
            (ErrorCode::WebhookSignatureMismatch, 400, false),
            (ErrorCode::WebhookInProgress, 409, true),
            (ErrorCode::StoreFailed, 500, true),
            (ErrorCode::ConfigInvalid, 500, false),
            (ErrorCode::InvalidInput, 400, false),
            (ErrorCode::MissingApp, 400, false),
            (ErrorCode::UnknownApp, 404, false),
            (ErrorCode::Forbidden, 403, false),
            (ErrorCode::PayloadTooLarge, 413, false),
            (ErrorCode::StripeRateLimited, 429, true),
            (ErrorCode::StripeNotFound, 404, false),
            (ErrorCode::StripeUnavailable, 503, true),
            (ErrorCode::StripeTimeout, 504, true),
            (ErrorCode::AppOutOfScope, 403, false),
        ];
        for (code, status, retryable) in table {
            assert_eq!((code.http_status(), code.is_retryable()), (status, retryable), "{code}");
        }
        // Every webhook refusal but a held lease is a 400: the delivery itself is wrong.
        for code in ErrorCode::ALL.iter().filter(|c| c.as_str().starts_with("webhook_")) {
            let expected = if *code == ErrorCode::WebhookInProgress { 409 } else { 400 };
            assert_eq!(code.http_status(), expected, "{code}");
        }
    }

    /// docs/errors.md's table: one row per code (or a row of codes that share an answer), with the
    /// status and retry columns the core gives them, and no code left out.
    #[test]
    fn docs_errors_md_lists_every_code_with_its_status() {
        let doc = include_str!("../docs/errors.md");
        let mut listed = Vec::new();
        for row in doc.lines().filter(|l| l.starts_with("| `")) {
            let cells: Vec<&str> = row.split(" | ").collect();
            let codes: Vec<&str> =
                cells[0].trim_start_matches("| ").split(" / ").map(|c| c.trim_matches('`')).collect();
            for name in codes {
                let code = ErrorCode::parse(name).unwrap_or_else(|| panic!("docs/errors.md lists unknown code {name}"));
                assert_eq!(cells[1], code.http_status().to_string(), "status of {name}");
                assert_eq!(cells[2], if code.is_retryable() { "yes" } else { "no" }, "retry of {name}");
                listed.push(code);
            }
        }
        assert_eq!(listed, ErrorCode::ALL, "docs/errors.md lists the codes in the core's order, each once");
    }
}
