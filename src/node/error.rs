//! The one place a core [`Error`] becomes a JS error, built on the JS thread so that it carries
//! its fields: `code` (always), `requestId`, `statusCode`, `stripeCode`, `accountId`, `retryAfter`
//! (where known).
//! Sync functions throw it; async ones reject with it (see [`promise`]).

use std::future::Future;

use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{Object, PromiseRaw, ToNapiValue, Unknown};
use napi::{Env, JsValue, Status};

use crate::Error;

/// `error` as a `napi::Error` that holds a JS `Error` object with `code` and the follow-up fields.
/// Must run on the JS thread.
pub fn js_error(env: &Env, error: &Error) -> napi::Error {
    match build(env, error) {
        Ok(object) => napi::Error::from(object.to_unknown()),
        // Could not even allocate the error object: keep the code as the status text.
        Err(_) => napi::Error::new(Status::GenericFailure, format!("[{}] {error}", error.code())),
    }
}

fn build<'env>(env: &'env Env, error: &Error) -> napi::Result<Object<'env>> {
    let mut object = env.create_error(napi::Error::new(Status::GenericFailure, error.to_string()))?;
    object.set_named_property("code", error.code().as_str())?;
    if let Some(request_id) = error.request_id() {
        object.set_named_property("requestId", request_id)?;
    }
    if let Some(status) = error.status() {
        object.set_named_property("statusCode", u32::from(status))?;
    }
    if let Some(stripe_code) = error.stripe_code() {
        object.set_named_property("stripeCode", stripe_code)?;
    }
    if let Some(account_id) = error.account_id() {
        object.set_named_property("accountId", account_id)?;
    }
    // A JS store's own error, kept by the TypeScript facade: it sets it as `cause`.
    if let Some(cause) = std::error::Error::source(error).and_then(|s| s.downcast_ref::<super::stores::JsCause>()) {
        object.set_named_property("causeId", cause.0)?;
    }
    if let Some(seconds) = error.retry_after_seconds() {
        object.set_named_property("retryAfter", u32::try_from(seconds).unwrap_or(u32::MAX))?;
    }
    Ok(object)
}

/// Run `work` on napi's tokio runtime and return a promise: resolved with `convert(value)` or
/// rejected with [`js_error`], both built on the JS thread.
pub fn promise<'env, T, V, F, C>(env: &'env Env, work: F, convert: C) -> napi::Result<PromiseRaw<'env, V>>
where
    T: Send + 'static,
    V: ToNapiValue,
    F: Future<Output = Result<T, Error>> + Send + 'static,
    C: FnOnce(&Env, T) -> napi::Result<V> + 'static,
{
    env.spawn_future_with_callback(async move { Ok(work.await) }, move |env, result| match result {
        Ok(value) => convert(env, value),
        Err(error) => Err(js_error(env, &error)),
    })
}

/// [`promise`] for results the core already shapes for JS (`#[serde(rename_all = "camelCase")]`,
/// `None` → `null`): converted straight to JS values, no JSON text in between.
pub fn promise_serde<'env, T, F>(env: &'env Env, work: F) -> napi::Result<PromiseRaw<'env, Unknown<'static>>>
where
    T: serde::Serialize + Send + 'static,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    promise(env, work, |env, value| env.to_js_value(&value))
}
