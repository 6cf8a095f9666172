//! The core's constants as the addon's exports, so the TypeScript never restates them.

use napi_derive::napi;

/// The `Stripe-Version` the client pins unless `stripeVersion` is given.
#[napi(js_name = "STRIPE_VERSION")]
pub const STRIPE_VERSION: &str = crate::STRIPE_VERSION;

/// How long an OAuth state (and the cookie that holds it) is valid, in seconds.
#[napi(js_name = "STATE_TTL_SECONDS")]
pub const STATE_TTL_SECONDS: u32 = crate::DEFAULT_STATE_TTL.as_secs() as u32;

macro_rules! error_code_union {
    ($($code:ident => $variant:ident, $status:literal, $retryable:literal;)*) => {
        /// Every `err.code` value (the core's `ERROR_CODES`), as a string union.
        #[napi(string_enum)]
        #[allow(non_camel_case_types, dead_code)]
        pub enum ErrorCode {
            $($code,)*
        }
    };
}
crate::error::with_error_codes!(error_code_union);

/// Every `err.code` value, in the core's order.
#[napi(js_name = "errorCodes", ts_return_type = "ErrorCode[]")]
pub fn error_codes() -> Vec<&'static str> {
    crate::ERROR_CODES.to_vec()
}

/// The HTTP status a route answers with `code` (the core's `ErrorCode::http_status`); 500 for a
/// string that is no code of this library.
#[napi(js_name = "errorHttpStatus")]
pub fn error_http_status(code: String) -> u32 {
    crate::ErrorCode::parse(&code).map_or(500, |c| u32::from(c.http_status()))
}

/// Whether the same call may succeed later (the core's `ErrorCode::is_retryable`); `false` for a
/// string that is no code of this library.
#[napi(js_name = "isRetryableError")]
pub fn is_retryable_error(code: String) -> bool {
    crate::ErrorCode::parse(&code).is_some_and(crate::ErrorCode::is_retryable)
}

/// Whether `value` is a valid app slug (the core's rule, `AppSlug::parse`: 1–100 ASCII letters,
/// digits, `_`, `-` and `.`, not `.` or `..`).
#[napi]
pub fn is_app_slug(value: String) -> bool {
    crate::AppSlug::parse(value).is_ok()
}

/// Whether `url` is on this machine (the core's one loopback rule: `localhost`, `127.0.0.0/8`,
/// `[::1]`); `false` for a string that is not a URL.
#[napi(js_name = "isLoopbackUrl")]
pub fn is_loopback_url(url: String) -> bool {
    url::Url::parse(&url).is_ok_and(|u| crate::http::is_loopback(&u))
}

/// `text` as the library quotes anything it did not write itself (the core's `quote`): secrets by
/// kind and length, control characters replaced, cut to 300 characters. For what the facade
/// prints of errors that are not the library's (the bins' output, the routes' default `onError`).
#[napi(js_name = "quoteForLog")]
pub fn quote_for_log(text: String) -> String {
    crate::quote::quote(&crate::quote::scrub_configured(&text))
}
