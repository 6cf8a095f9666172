//! Webhook signature verification and test headers: sync, CPU only, payload bytes borrowed from
//! the JS string or buffer (no copy for a Buffer/Uint8Array).

use napi::bindgen_prelude::Either;
use napi::Env;
use napi_derive::napi;

use super::error::js_error;
use super::types::string_list;
use crate::{Clock, Error, SystemClock, Tolerance, WebhookSecret};

#[napi(object)]
#[derive(Default)]
pub struct VerifyOptions {
    /// Seconds a signature's timestamp may be away from now, either way (default 300).
    pub tolerance_seconds: Option<i64>,
    /// Unix seconds to check against (default: the system clock).
    pub now: Option<i64>,
    /// Skip the timestamp check, to replay stored events on purpose.
    pub skip_timestamp_check_for_replay: Option<bool>,
}

/// `string | Uint8Array` (a Buffer is a Uint8Array). Spelled out in each signature: napi's .d.ts
/// generator does not resolve type aliases.
fn bytes<'a>(payload: &'a Either<String, &'a [u8]>) -> &'a [u8] {
    match payload {
        Either::A(s) => s.as_bytes(),
        Either::B(b) => b,
    }
}

fn check(options: Option<VerifyOptions>) -> Result<(Tolerance, i64), Error> {
    let o = options.unwrap_or_default();
    let tolerance = if o.skip_timestamp_check_for_replay == Some(true) {
        Tolerance::SkipTimestampCheckForReplay
    } else {
        match o.tolerance_seconds {
            Some(t) => Tolerance::seconds("toleranceSeconds", t)?,
            None => Tolerance::default(),
        }
    };
    Ok((tolerance, o.now.unwrap_or_else(|| SystemClock.now())))
}

/// The core's `verify_signature` with the JS arguments; returns the signed timestamp.
fn verify(
    payload: &[u8],
    header: Option<String>,
    secret: Either<String, Vec<String>>,
    options: Option<VerifyOptions>,
) -> Result<i64, Error> {
    let (tolerance, now) = check(options)?;
    // Unchecked: whatever the caller holds is tried, and a mismatch explains what looks wrong.
    let secrets: Vec<WebhookSecret> = string_list(secret).into_iter().map(WebhookSecret::unchecked).collect();
    Ok(crate::verify_signature(payload, header.as_deref(), &secrets, tolerance, now)?)
}

/// Verify the signature and that the body is a Stripe event (the checks of `construct_event`,
/// via `validate_event`, which does not build the event); the JS side then `JSON.parse`s the
/// same bytes for the caller.
#[napi(js_name = "verifyEvent")]
pub fn verify_event(
    env: Env,
    payload: Either<String, &[u8]>,
    header: Option<String>,
    secret: Either<String, Vec<String>>,
    options: Option<VerifyOptions>,
) -> napi::Result<()> {
    let body = bytes(&payload);
    verify(body, header, secret, options).and_then(|_| Ok(crate::validate_event(body)?)).map_err(|e| js_error(&env, &e))
}

/// Verify the signature only; returns the signed timestamp.
#[napi(js_name = "verifySignature")]
pub fn verify_signature(
    env: Env,
    payload: Either<String, &[u8]>,
    header: Option<String>,
    secret: Either<String, Vec<String>>,
    options: Option<VerifyOptions>,
) -> napi::Result<i64> {
    verify(bytes(&payload), header, secret, options).map_err(|e| js_error(&env, &e))
}

/// A `Stripe-Signature` header for `payload`, signed like Stripe does (tests).
#[napi(js_name = "generateTestHeader")]
pub fn generate_test_header(payload: Either<String, &[u8]>, secret: String, timestamp: Option<i64>) -> String {
    crate::generate_test_header(bytes(&payload), &secret, timestamp.unwrap_or_else(|| SystemClock.now()))
}
