//! The queries' results go to JS as the core's own types: each result struct in
//! `src/queries/types.rs` and `src/dispute.rs` carries `#[napi(object)]` under this feature, so
//! its TypeScript type in `bindings/native/index.d.ts` is generated from the one declaration.
//! What those types hold that napi cannot convert by itself is converted here.

use napi::bindgen_prelude::ToNapiValue;

use crate::{AccountId, AppSlug};

macro_rules! as_js_string {
    ($($id:ty),*) => {$(
        impl ToNapiValue for $id {
            unsafe fn to_napi_value(env: napi::sys::napi_env, value: Self) -> napi::Result<napi::sys::napi_value> {
                // SAFETY: the caller's contract (a live env on the JS thread), passed on unchanged.
                unsafe { String::to_napi_value(env, value.as_str().to_string()) }
            }
        }
    )*};
}

as_js_string!(AccountId, AppSlug);
