//! Webhook signature verification and test headers: sync, CPU only, payload bytes borrowed from
//! the JS buffer (no copy for a Buffer/Uint8Array) or written once from the JS string.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{Either, FromNapiValue, Unknown};
use napi::{check_status, sys, Env, JsValue};
use napi_derive::napi;

use super::error::js_error;
use super::types::string_list;
use crate::{Clock, Error, JsonKind, SystemClock, Tolerance, WebhookSecret};

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

/// The core's `validate_event` on the bytes (no signature check): the facade calls it only when
/// `JSON.parse` rejected a verified body, so that the error is the core's `webhook_invalid_payload`.
#[napi(js_name = "validateEvent")]
pub fn validate_event(env: Env, #[napi(ts_arg_type = "string | Uint8Array")] payload: Unknown) -> napi::Result<()> {
    with_bytes(&env, payload, crate::validate_event)?.map_err(|e| js_error(&env, &Error::from(e)))
}

/// The core's event rules (`check_event_view`: the checks of `parse_event`) on the object
/// `JSON.parse` made of a verified body. The rules read the few fields they need straight from the
/// JS object (kinds, and the `object`, `id` and `type` strings): the body is not walked again and
/// nothing is converted.
#[napi(js_name = "checkEvent")]
pub fn check_event(env: Env, #[napi(ts_arg_type = "unknown")] event: Unknown) -> napi::Result<()> {
    let mut view = JsEventView::new(env.raw(), event.raw());
    crate::check_event_view(&mut view).map_err(|e| js_error(&env, &Error::from(e)))
}

/// -2^63, exactly representable (an f64 has no exact 2^63 - 1).
const I64_MIN: f64 = i64::MIN as f64;

/// [`crate::EventView`] over a JS value; a failing napi call reads as a missing field. Every napi
/// call costs tens of nanoseconds here, so each value is looked up and typed once: the top-level
/// fields are kept, and so is the last parent (`data.object` while its fields are read).
struct JsEventView {
    env: sys::napi_env,
    root: sys::napi_value,
    root_is_object: bool,
    top: Vec<(String, sys::napi_value, sys::napi_valuetype)>,
    parent: Option<(Vec<String>, sys::napi_value, sys::napi_valuetype)>,
}

impl JsEventView {
    fn new(env: sys::napi_env, root: sys::napi_value) -> Self {
        let mut view = JsEventView { env, root, root_is_object: false, top: Vec::with_capacity(8), parent: None };
        view.root_is_object = view.type_of(root) == sys::ValueType::napi_object;
        view
    }

    fn property(&self, object: sys::napi_value, name: &str) -> Option<(sys::napi_value, sys::napi_valuetype)> {
        let mut key = [0u8; 32];
        let key = key.get_mut(..=name.len())?;
        key[..name.len()].copy_from_slice(name.as_bytes());
        let mut out = ptr::null_mut();
        // SAFETY: `key` is NUL-terminated (one more zeroed byte than `name`); `object` and
        // `self.env` belong to the current call on the JS thread; `out` is a valid out-pointer.
        let status = unsafe { sys::napi_get_named_property(self.env, object, key.as_ptr().cast(), &mut out) };
        (status == sys::Status::napi_ok).then(|| (out, self.type_of(out)))
    }

    fn type_of(&self, value: sys::napi_value) -> sys::napi_valuetype {
        let mut t = sys::ValueType::napi_undefined;
        // SAFETY: `value` was produced by napi in this call's env; `t` is a valid out-pointer.
        let status = unsafe { sys::napi_typeof(self.env, value, &mut t) };
        if status == sys::Status::napi_ok {
            t
        } else {
            sys::ValueType::napi_undefined
        }
    }

    fn top_level(&mut self, key: &str) -> Option<(sys::napi_value, sys::napi_valuetype)> {
        if let Some((_, v, t)) = self.top.iter().find(|(k, _, _)| k == key) {
            return Some((*v, *t));
        }
        if !self.root_is_object {
            return None;
        }
        let (v, t) = self.property(self.root, key)?;
        self.top.push((key.to_string(), v, t));
        Some((v, t))
    }

    /// The value at `path` and its type; `None` if a parent is absent or not an object.
    fn get(&mut self, path: &[&str]) -> Option<(sys::napi_value, sys::napi_valuetype)> {
        let (last, parents) = path.split_last()?;
        let Some((first, rest)) = parents.split_first() else { return self.top_level(last) };
        let (parent, parent_type) = match &self.parent {
            Some((p, v, t)) if p.len() == parents.len() && p.iter().zip(parents).all(|(a, b)| a == b) => (*v, *t),
            _ => {
                let (mut v, mut t) = self.top_level(first)?;
                for key in rest {
                    if t != sys::ValueType::napi_object {
                        return None;
                    }
                    (v, t) = self.property(v, key)?;
                }
                self.parent = Some((parents.iter().map(|s| s.to_string()).collect(), v, t));
                (v, t)
            }
        };
        if parent_type != sys::ValueType::napi_object {
            return None;
        }
        self.property(parent, last)
    }
}

impl crate::EventView for JsEventView {
    fn kind(&mut self, path: &[&str]) -> JsonKind {
        let Some((v, t)) = self.get(path) else { return JsonKind::Missing };
        match t {
            sys::ValueType::napi_undefined => JsonKind::Missing,
            sys::ValueType::napi_null => JsonKind::Null,
            sys::ValueType::napi_boolean => JsonKind::Bool,
            sys::ValueType::napi_string => JsonKind::String,
            sys::ValueType::napi_number => {
                let mut n = 0f64;
                // SAFETY: `v` is a number (its type was read above) in this call's env.
                unsafe { sys::napi_get_value_double(self.env, v, &mut n) };
                // What serde reads as an i64 (2^63 itself is out of range).
                if n.fract() == 0.0 && (I64_MIN..-I64_MIN).contains(&n) {
                    JsonKind::Integer
                } else {
                    JsonKind::Float
                }
            }
            sys::ValueType::napi_object => {
                let mut array = false;
                // SAFETY: `v` is a value of this call's env; `array` is a valid out-pointer.
                unsafe { sys::napi_is_array(self.env, v, &mut array) };
                if array {
                    JsonKind::Array
                } else {
                    JsonKind::Object
                }
            }
            // Functions, symbols, bigints: nothing JSON.parse makes.
            _ => JsonKind::Float,
        }
    }

    fn text(&mut self, path: &[&str]) -> Option<String> {
        let (v, t) = self.get(path)?;
        if t != sys::ValueType::napi_string {
            return None;
        }
        let mut buf = [0u8; 128];
        let mut len = 0usize;
        // SAFETY: `v` is a string (checked above); napi writes at most `buf.len()` bytes into `buf`.
        let status =
            unsafe { sys::napi_get_value_string_utf8(self.env, v, buf.as_mut_ptr().cast(), buf.len(), &mut len) };
        if status != sys::Status::napi_ok {
            return None;
        }
        if len < buf.len() - 1 {
            return Some(String::from_utf8_lossy(&buf[..len]).into_owned());
        }
        // Longer than the stack buffer: ask for the length, then read it whole.
        // SAFETY: a null buffer asks only for the length of the string `v`.
        unsafe { sys::napi_get_value_string_utf8(self.env, v, ptr::null_mut(), 0, &mut len) };
        let mut long = vec![0u8; len + 1];
        // SAFETY: `long` has room for the whole string and its NUL; napi writes at most `long.len()`.
        unsafe { sys::napi_get_value_string_utf8(self.env, v, long.as_mut_ptr().cast(), long.len(), &mut len) };
        long.truncate(len);
        Some(String::from_utf8_lossy(&long).into_owned())
    }
}

/// A `Stripe-Signature` header for `payload`, signed like Stripe does (tests).
#[napi(js_name = "generateTestHeader")]
pub fn generate_test_header(payload: Either<String, &[u8]>, secret: String, timestamp: Option<i64>) -> String {
    crate::generate_test_header(bytes(&payload), &secret, timestamp.unwrap_or_else(|| SystemClock.now()))
}
