//! One public error type with a stable string code per failure.
//!
//! `Error::code()` is the contract: JS sees it as `err.code`, docs/errors.md lists every value, and tests
//! assert it exactly. Messages are for people; codes are for programs. No message or field ever
//! holds a secret.

use std::fmt;

/// Every error this crate returns.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error(transparent)]
    Webhook(#[from] WebhookError),
    // Boxed: they carry Stripe's response details, and `Result<_, Error>` stays small.
    #[error(transparent)]
    OAuth(Box<OAuthError>),
    #[error(transparent)]
    Stripe(Box<StripeError>),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Input the caller gave that cannot be used (an id with the wrong prefix, an empty email...).
    /// Nothing was sent anywhere.
    #[error("invalid input `{field}`: {reason}")]
    InvalidInput { field: String, reason: String },
}

impl Error {
    /// The stable snake_case code of this error (see docs/errors.md).
    pub fn code(&self) -> &'static str {
        match self {
            Error::Webhook(e) => e.code(),
            Error::OAuth(e) => e.code(),
            Error::Stripe(e) => e.code(),
            Error::Store(_) => "store_failed",
            Error::Config(_) => "config_invalid",
            Error::InvalidInput { .. } => "invalid_input",
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
    #[error("the signed body is not a Stripe event this library accepts: {reason}")]
    InvalidPayload { reason: String },
    #[error(
        "the signed body is not a Stripe event (object = {object:?}): thin events and other objects are not accepted"
    )]
    ThinEvent { object: String },
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
    pub fn code(&self) -> &'static str {
        match self {
            WebhookError::MissingHeader => "webhook_missing_header",
            WebhookError::MalformedHeader { .. } => "webhook_malformed_header",
            WebhookError::NoV1Signature => "webhook_no_v1_signature",
            WebhookError::SignatureMismatch { .. } => "webhook_signature_mismatch",
            WebhookError::TimestampOutOfRange { .. } => "webhook_timestamp_out_of_range",
            WebhookError::InvalidPayload { .. } => "webhook_invalid_payload",
            WebhookError::ThinEvent { .. } => "webhook_thin_event",
            WebhookError::InProgress { .. } => "webhook_in_progress",
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

    pub fn code(&self) -> &'static str {
        match self.kind {
            OAuthErrorKind::AccessDenied => "oauth_access_denied",
            OAuthErrorKind::InvalidState => "oauth_invalid_state",
            OAuthErrorKind::StateExpired => "oauth_state_expired",
            OAuthErrorKind::StateUsed => "oauth_state_used",
            OAuthErrorKind::InvalidGrant => "oauth_invalid_grant",
            OAuthErrorKind::InvalidRequest => "oauth_invalid_request",
            OAuthErrorKind::InvalidScope => "oauth_invalid_scope",
            OAuthErrorKind::InvalidClient => "oauth_invalid_client",
            OAuthErrorKind::UnsupportedGrantType => "oauth_unsupported_grant_type",
            OAuthErrorKind::UnsupportedResponseType => "oauth_unsupported_response_type",
            OAuthErrorKind::Other => "oauth_error",
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
        }
    }

    pub fn code(&self) -> &'static str {
        match self.kind {
            StripeErrorKind::RateLimited => "stripe_rate_limited",
            StripeErrorKind::NotFound => "stripe_not_found",
            StripeErrorKind::AuthFailed => "stripe_auth_failed",
            StripeErrorKind::PermissionDenied => "stripe_permission_denied",
            StripeErrorKind::ApiError => "stripe_api_error",
            StripeErrorKind::Unavailable => "stripe_unavailable",
            StripeErrorKind::Timeout => "stripe_timeout",
            StripeErrorKind::BadResponse => "stripe_bad_response",
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
    pub message: String,
    /// The connected account concerned, so the caller can recover (e.g. save it by hand).
    pub account_id: Option<String>,
}

impl StoreError {
    pub fn new(operation: impl Into<String>, message: impl Into<String>) -> Self {
        StoreError { operation: operation.into(), message: message.into(), account_id: None }
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

/// Calls `$then! { code, … }` with every code `Error::code()` can return: the one list that
/// [`ERROR_CODES`] and the Node binding's `ErrorCode` string union are both made from.
macro_rules! with_error_codes {
    ($then:ident) => {
        $then! {
            webhook_missing_header,
            webhook_malformed_header,
            webhook_no_v1_signature,
            webhook_signature_mismatch,
            webhook_timestamp_out_of_range,
            webhook_invalid_payload,
            webhook_thin_event,
            webhook_in_progress,
            oauth_access_denied,
            oauth_invalid_state,
            oauth_state_expired,
            oauth_state_used,
            oauth_invalid_grant,
            oauth_invalid_request,
            oauth_invalid_scope,
            oauth_invalid_client,
            oauth_unsupported_grant_type,
            oauth_unsupported_response_type,
            oauth_error,
            stripe_rate_limited,
            stripe_not_found,
            stripe_auth_failed,
            stripe_permission_denied,
            stripe_api_error,
            stripe_unavailable,
            stripe_timeout,
            stripe_bad_response,
            invalid_input,
            store_failed,
            config_invalid,
        }
    };
}
#[cfg_attr(not(feature = "node"), allow(unused_imports))]
pub(crate) use with_error_codes;

macro_rules! code_list {
    ($($code:ident,)*) => {
        /// Every code `Error::code()` can return, for docs and for the JS type union.
        pub const ERROR_CODES: &[&str] = &[$(stringify!($code)),*];
    };
}
with_error_codes!(code_list);

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
                | WebhookError::InProgress { .. } => {}
            }
        }
        use OAuthErrorKind as O;
        let oauth = [
            O::AccessDenied,
            O::InvalidState,
            O::StateExpired,
            O::StateUsed,
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
        for e in &all {
            match e {
                Error::Webhook(_)
                | Error::OAuth(_)
                | Error::Stripe(_)
                | Error::Store(_)
                | Error::Config(_)
                | Error::InvalidInput { .. } => {}
            }
        }
        all
    }

    #[test]
    fn every_error_kind_has_its_code_in_error_codes_and_every_code_a_kind() {
        let produced: Vec<&str> = one_of_each().iter().map(Error::code).collect();
        for code in &produced {
            assert!(ERROR_CODES.contains(code), "{code} is missing from ERROR_CODES");
        }
        for code in ERROR_CODES {
            assert!(produced.contains(code), "ERROR_CODES lists {code}, which no error kind returns");
        }
        let mut unique = ERROR_CODES.to_vec();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ERROR_CODES.len(), "ERROR_CODES has a duplicate");
    }
}
