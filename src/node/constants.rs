//! The core's constants as the addon's exports, so the TypeScript never restates them.

use napi_derive::napi;

/// The `Stripe-Version` the client pins unless `stripeVersion` is given.
#[napi(js_name = "STRIPE_VERSION")]
pub const STRIPE_VERSION: &str = crate::STRIPE_VERSION;

/// How long an OAuth state (and the cookie that holds it) is valid, in seconds.
#[napi(js_name = "STATE_TTL_SECONDS")]
pub const STATE_TTL_SECONDS: u32 = crate::DEFAULT_STATE_TTL.as_secs() as u32;

macro_rules! error_code_union {
    ($($code:ident,)*) => {
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

/// Whether `value` is a valid app slug (the core's rule, `AppSlug::parse`: 1–100 ASCII letters,
/// digits, `_`, `-` and `.`, not `.` or `..`).
#[napi]
pub fn is_app_slug(value: String) -> bool {
    crate::AppSlug::parse(value).is_ok()
}
