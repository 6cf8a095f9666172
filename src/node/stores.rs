//! JS objects as the core's store traits: `stores.connections`, `stores.claims`,
//! `stores.disputes`. A method may be sync or async and the object may be a class instance.
//!
//! Each method is held as a weak ThreadsafeFunction (a stored callback never keeps the process
//! alive), bound to its object (so `this` works), called with "catch" semantics (a JS `throw`
//! becomes an error, not a crash), and its result accepted as a value or a promise of one. A
//! throw, a rejection or a value of the wrong type becomes [`StoreError`] → `store_failed` with
//! the JS message.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{
    Either, FnArgs, FromNapiValue, Function, JsValuesTupleIntoVec, Object, Promise, TypeName, ValidateNapiValue,
};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, JsValue, Status};

use super::types::{JsConnection, JsDisputeAlert};
use crate::{
    AccountId, AppSlug, ClaimStore, Connection, ConnectionStore, DisputeAlert, DisputeSink, Error, StoreError,
    StripeConnectBuilder,
};

/// A JS method returning `R` or `Promise<R>`, callable from any thread.
struct JsMethod<A: 'static + JsValuesTupleIntoVec, R: 'static + FromNapiValue + ValidateNapiValue + TypeName> {
    /// `claims.claim`, ... (names the operation in errors).
    operation: &'static str,
    tsfn: ThreadsafeFunction<A, Either<Promise<R>, R>, A, Status, false, true>,
}

impl<A, R> JsMethod<A, R>
where
    A: 'static + JsValuesTupleIntoVec,
    R: 'static + FromNapiValue + ValidateNapiValue + TypeName + Send,
{
    /// `object[name]` bound to `object`; `None` if absent, `invalid_input` if not a function.
    fn get(object: &Object, operation: &'static str) -> Result<Option<Self>, Error> {
        let name = operation.rsplit('.').next().unwrap_or(operation);
        let bad = |reason: String| Error::invalid_input(format!("stores.{operation}"), reason);
        let value: Option<napi::bindgen_prelude::Unknown> =
            object.get_named_property(name).map_err(|e| bad(e.reason.clone()))?;
        let Some(value) =
            value.filter(|v| !matches!(v.get_type(), Ok(napi::ValueType::Undefined | napi::ValueType::Null)))
        else {
            return Ok(None);
        };
        if value.get_type().ok() != Some(napi::ValueType::Function) {
            return Err(bad("is not a function".into()));
        }
        // SAFETY: `value` was just read from `object` on this (the JS) thread with the same env, and
        // its type was checked to be a function above.
        let function: Function<A, Either<Promise<R>, R>> =
            unsafe { Function::from_napi_value(object.value().env, value.raw()) }.map_err(|e| bad(e.reason.clone()))?;
        let tsfn = function
            .bind(object)
            .and_then(|bound| bound.build_threadsafe_function::<A>().callee_handled::<false>().weak::<true>().build())
            .map_err(|e| bad(e.reason.clone()))?;
        Ok(Some(JsMethod { operation, tsfn }))
    }

    fn require(object: &Object, operation: &'static str) -> Result<Self, Error> {
        Self::get(object, operation)?.ok_or_else(|| {
            Error::invalid_input(format!("stores.{operation}"), "is missing: the store object must have this method")
        })
    }

    async fn call(&self, args: A) -> Result<R, StoreError> {
        let fail = |e: napi::Error| StoreError::new(self.operation, js_message(&e));
        match self.tsfn.call_async_catch(args).await.map_err(fail)? {
            Either::A(promise) => promise.await.map_err(fail),
            Either::B(value) => Ok(value),
        }
    }
}

/// The JS error's message, or what napi says about a value of the wrong type.
fn js_message(e: &napi::Error) -> String {
    let reason = e.reason.trim();
    let reason = if reason.is_empty() { "the JS method failed without a message" } else { reason };
    match e.status {
        Status::InvalidArg
        | Status::ObjectExpected
        | Status::StringExpected
        | Status::NumberExpected
        | Status::BooleanExpected
        | Status::ArrayExpected => format!("returned a value of the wrong type ({reason})"),
        _ => reason.to_string(),
    }
}

/// What a `void` method returns: any value (a Drizzle insert resolves to a result object) is fine.
pub struct Void;

impl TypeName for Void {
    fn type_name() -> &'static str {
        "void"
    }
    fn value_type() -> napi::ValueType {
        napi::ValueType::Unknown
    }
}

impl ValidateNapiValue for Void {
    unsafe fn validate(
        _env: napi::sys::napi_env,
        _value: napi::sys::napi_value,
    ) -> napi::Result<napi::sys::napi_value> {
        Ok(std::ptr::null_mut())
    }
}

impl FromNapiValue for Void {
    unsafe fn from_napi_value(_env: napi::sys::napi_env, _value: napi::sys::napi_value) -> napi::Result<Self> {
        Ok(Void)
    }
}

/// `stores.connections`: `save`, `clearByAccount`, `getBySlug`, `list`, optional `getByAccount`.
pub struct JsConnectionStore {
    save: JsMethod<JsConnection, Void>,
    clear_by_account: JsMethod<String, Option<String>>,
    get_by_slug: JsMethod<String, Option<JsConnection>>,
    list: JsMethod<(), Vec<JsConnection>>,
    get_by_account: Option<JsMethod<String, Option<JsConnection>>>,
}

fn connection(operation: &str, c: JsConnection) -> Result<Connection, StoreError> {
    Connection::try_from(c).map_err(|e| StoreError::new(operation, format!("returned an invalid connection: {e}")))
}

#[async_trait]
impl ConnectionStore for JsConnectionStore {
    async fn save(&self, c: &Connection) -> Result<(), StoreError> {
        self.save.call(JsConnection::from(c)).await.map(drop)
    }
    async fn clear_by_account(&self, account_id: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        let slug = self.clear_by_account.call(account_id.as_str().to_string()).await?;
        slug.map(|s| AppSlug::parse(&s))
            .transpose()
            .map_err(|e| StoreError::new(self.clear_by_account.operation, format!("returned an invalid app slug: {e}")))
    }
    async fn get_by_slug(&self, app_slug: &AppSlug) -> Result<Option<Connection>, StoreError> {
        let found = self.get_by_slug.call(app_slug.as_str().to_string()).await?;
        found.map(|c| connection(self.get_by_slug.operation, c)).transpose()
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        let all = self.list.call(()).await?;
        all.into_iter().map(|c| connection(self.list.operation, c)).collect()
    }
    async fn get_by_account(&self, account_id: &AccountId) -> Result<Option<Connection>, StoreError> {
        match &self.get_by_account {
            Some(m) => m.call(account_id.as_str().to_string()).await?.map(|c| connection(m.operation, c)).transpose(),
            // Same as the trait's default: scan `list()`.
            None => Ok(self.list().await?.into_iter().find(|c| &c.account_id == account_id)),
        }
    }
}

/// `stores.claims`: `claim(key, ttlSeconds) → boolean`, `release(key)`.
pub struct JsClaimStore {
    claim: JsMethod<FnArgs<(String, f64)>, bool>,
    release: JsMethod<String, Void>,
}

#[async_trait]
impl ClaimStore for JsClaimStore {
    async fn claim(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.claim.call(FnArgs::from((key.to_string(), ttl.as_secs_f64()))).await
    }
    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.release.call(key.to_string()).await.map(drop)
    }
}

/// `stores.disputes`: `disputeCreated(alert)`.
pub struct JsDisputeSink {
    dispute_created: JsMethod<JsDisputeAlert, Void>,
}

#[async_trait]
impl DisputeSink for JsDisputeSink {
    async fn dispute_created(&self, alert: &DisputeAlert) -> Result<(), StoreError> {
        self.dispute_created.call(JsDisputeAlert::from(alert)).await.map(drop)
    }
}

/// Put the JS stores found in `stores` (`{connections?, claims?, disputes?}`) on `builder`;
/// the ones not given stay the in-memory defaults.
pub fn install(
    _env: &Env,
    stores: Option<Object>,
    mut builder: StripeConnectBuilder,
) -> Result<StripeConnectBuilder, Error> {
    let Some(stores) = stores else { return Ok(builder) };
    let part = |name: &str| -> Result<Option<Object>, Error> {
        stores
            .get_named_property::<Option<Object>>(name)
            .map_err(|e| Error::invalid_input(format!("stores.{name}"), format!("must be an object ({})", e.reason)))
    };
    if let Some(o) = part("connections")? {
        builder = builder.connection_store(Arc::new(JsConnectionStore {
            save: JsMethod::require(&o, "connections.save")?,
            clear_by_account: JsMethod::require(&o, "connections.clearByAccount")?,
            get_by_slug: JsMethod::require(&o, "connections.getBySlug")?,
            list: JsMethod::require(&o, "connections.list")?,
            get_by_account: JsMethod::get(&o, "connections.getByAccount")?,
        }));
    }
    if let Some(o) = part("claims")? {
        builder = builder.claim_store(Arc::new(JsClaimStore {
            claim: JsMethod::require(&o, "claims.claim")?,
            release: JsMethod::require(&o, "claims.release")?,
        }));
    }
    if let Some(o) = part("disputes")? {
        builder = builder.dispute_sink(Arc::new(JsDisputeSink {
            dispute_created: JsMethod::require(&o, "disputes.disputeCreated")?,
        }));
    }
    Ok(builder)
}
