//! Webhook signature verification and test headers: sync, CPU only, payload bytes borrowed from
//! the JS buffer (no copy for a Buffer/Uint8Array) or written once from the JS string.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{Either, FromNapiValue, Unknown};
use napi::{check_status, sys, Env, JsValue};
use napi_derive::napi;

use super::error::js_error;
use super::numbers::whole_number;
use super::types::string_list;
use crate::{Clock, Error, SystemClock, Tolerance, WebhookSecret};

#[napi(object)]
#[derive(Default)]
pub struct VerifyOptions {
    /// Seconds a signature's timestamp may be away from now, either way (default 300).
    pub tolerance_seconds: Option<f64>,
    /// Unix seconds to check against (default: the system clock).
    pub now: Option<f64>,
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

/// Strings up to this many UTF-16 units are written into a per-thread buffer that is kept for the
/// next call; longer ones into a buffer of their own (so a rare huge body is not kept).
const KEPT_BUFFER_UNITS: usize = 256 * 1024;

thread_local! {
    static UTF8: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Run `f` on the bytes of `payload` (`string | Uint8Array`): a Buffer/Uint8Array is borrowed; a
/// string is written as UTF-8 in one pass (`napi_get_value_string_utf8` into a buffer of 3 bytes
/// per UTF-16 unit, whose count `napi_get_value_string_utf16` gives without reading the string).
/// napi-rs' own `String` conversion walks the string twice (`Utf8Length`, then `WriteUtf8`).
fn with_bytes<R>(env: &Env, payload: Unknown, f: impl FnOnce(&[u8]) -> R) -> napi::Result<R> {
    let (raw_env, value) = (env.raw(), payload.raw());
    let mut kind = sys::ValueType::napi_undefined;
    // SAFETY: `raw_env` and `value` come from this call's `Env` and argument, on the JS thread;
    // `kind` is a valid out-pointer.
    check_status!(unsafe { sys::napi_typeof(raw_env, value, &mut kind) })?;
    if kind != sys::ValueType::napi_string {
        // `&[u8]` takes any TypedArray/Buffer and rejects anything else with a TypeError.
        // SAFETY: same env and value as above; the borrowed bytes live as long as the argument,
        // which outlives this call (and `f` runs inside it).
        let bytes = unsafe { <&[u8]>::from_napi_value(raw_env, value) }?;
        return Ok(f(bytes));
    }
    let mut units = 0usize;
    // SAFETY: `value` is a string (checked above); a null buffer asks only for the length.
    check_status!(unsafe { sys::napi_get_value_string_utf16(raw_env, value, ptr::null_mut(), 0, &mut units) })?;
    // Every UTF-16 unit is at most 3 UTF-8 bytes (a surrogate pair: 2 units, 4 bytes); +1 for the
    // terminating NUL napi always writes.
    let capacity = units * 3 + 1;
    let write = |buf: &mut Vec<u8>| -> napi::Result<R> {
        if buf.len() < capacity {
            buf.resize(capacity, 0);
        }
        let mut written = 0usize;
        // SAFETY: `buf` holds at least `capacity` bytes, and napi writes at most `capacity`
        // (the NUL included); `written` is a valid out-pointer.
        check_status!(unsafe {
            sys::napi_get_value_string_utf8(raw_env, value, buf.as_mut_ptr().cast(), capacity, &mut written)
        })?;
        Ok(f(&buf[..written]))
    };
    if units > KEPT_BUFFER_UNITS {
        write(&mut Vec::new())
    } else {
        // `f` never calls back into JS, so the buffer is never borrowed twice.
        UTF8.with_borrow_mut(write)
    }
}

/// A whole number of seconds from JS, or `invalid_input` (NaN, ±Infinity, fractions).
fn seconds_arg(field: &str, v: f64) -> Result<i64, Error> {
    whole_number(field, v, i64::MIN, i64::MAX).map_err(|reason| Error::invalid_input(field, reason))
}

fn check(options: Option<VerifyOptions>) -> Result<(Tolerance, i64), Error> {
    let o = options.unwrap_or_default();
    let now = match o.now {
        Some(now) => seconds_arg("now", now)?,
        None => SystemClock.now(),
    };
    let tolerance = if o.skip_timestamp_check_for_replay == Some(true) {
        Tolerance::SkipTimestampCheckForReplay
    } else {
        match o.tolerance_seconds {
            Some(t) => Tolerance::seconds_named("toleranceSeconds", seconds_arg("toleranceSeconds", t)?)?,
            None => Tolerance::default(),
        }
    };
    Ok((tolerance, now))
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

/// Verify the signature only; returns the signed timestamp.
#[napi(js_name = "verifySignature")]
pub fn verify_signature(
    env: Env,
    #[napi(ts_arg_type = "string | Uint8Array")] payload: Unknown,
    header: Option<String>,
    secret: Either<String, Vec<String>>,
    options: Option<VerifyOptions>,
) -> napi::Result<i64> {
    with_bytes(&env, payload, |body| verify(body, header, secret, options))?.map_err(|e| js_error(&env, &e))
}

/// Verify the signature, then apply the core's event rules to the same bytes (the rules of
/// `parse_event`, `src/webhooks/shape.rs`): `constructEvent`'s one native call. The facade's
/// `JSON.parse` follows, the only pass that builds anything. The options come as plain arguments
/// (the facade reads them from its options object): converting an object through napi costs a
/// property lookup per field, a measurable share of a 2 KB event.
#[napi(js_name = "verifyEvent")]
pub fn verify_event(
    env: Env,
    #[napi(ts_arg_type = "string | Uint8Array")] payload: Unknown,
    header: Option<String>,
    secret: Either<String, Vec<String>>,
    tolerance_seconds: Option<f64>,
    now: Option<f64>,
    skip_timestamp_check_for_replay: Option<bool>,
) -> napi::Result<i64> {
    let options = VerifyOptions { tolerance_seconds, now, skip_timestamp_check_for_replay };
    with_bytes(&env, payload, |body| {
        let (tolerance, now) = check(Some(options))?;
        let secrets: Vec<WebhookSecret> = string_list(secret).into_iter().map(WebhookSecret::unchecked).collect();
        Ok::<_, Error>(crate::webhooks::verify_event_rules(body, header.as_deref(), &secrets, tolerance, now)?)
    })?
    .map_err(|e| js_error(&env, &e))
}

/// A `Stripe-Signature` header for `payload`, signed like Stripe does (tests). A secret anyone could
/// sign with (empty, blank, a bare `whsec_`) is `config_invalid`, as it is when verifying.
#[napi(js_name = "generateTestHeader")]
pub fn generate_test_header(
    env: Env,
    payload: Either<String, &[u8]>,
    secret: String,
    timestamp: Option<f64>,
) -> napi::Result<String> {
    let run = || -> Result<String, Error> {
        crate::webhooks::check_secrets(&[WebhookSecret::unchecked(secret.as_str())])?;
        let timestamp = match timestamp {
            Some(t) => seconds_arg("timestamp", t)?,
            None => SystemClock.now(),
        };
        Ok(crate::generate_test_header(bytes(&payload), &secret, timestamp))
    };
    run().map_err(|e| js_error(&env, &e))
}
