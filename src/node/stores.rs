//! JS objects as the core's store traits: `stores.connections`, `stores.claims`,
//! `stores.disputes`. A method may be sync or async and the object may be a class instance.
//!
//! Each method is held as a weak ThreadsafeFunction (a stored callback never keeps the process
//! alive), bound to its object (so `this` works), called with "catch" semantics (a JS `throw`
//! becomes an error, not a crash), and its result accepted as a value or a promise of one. A
//! throw, a rejection or a value of the wrong type becomes [`StoreError`] → `store_failed` with
//! the JS message, quoted by the core. The TypeScript facade keeps the JS error itself and marks
//! the message with its number ([`JsCause`]); the JS `StripeConnectError` gets it back as `cause`.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use napi::bindgen_prelude::JsObjectValue;
use napi::bindgen_prelude::{FnArgs, FromNapiValue, Function, JsValuesTupleIntoVec, Object, Promise};
use napi::threadsafe_function::ThreadsafeFunction;
use napi::{Env, JsValue, Status};

use super::types::{JsConnection, JsDisputeAlert, JsFraudWarningAlert};
use crate::{
    AccountId, AppSlug, ClaimState, ClaimStore, Connection, ConnectionStore, DisputeAlert, DisputeSink, Error, Fence,
    FraudWarningAlert, LeaseToken, StoreError, StripeConnectBuilder,
};

/// What a JS method returned: a promise (of `R`), or `R` itself. Unlike napi's `Either`, a value
/// of the wrong type keeps `R`'s own error message.
enum MaybePromise<R: FromNapiValue + 'static> {
    Promise(Promise<R>),
    Value(R),
}

impl<R: FromNapiValue + 'static> FromNapiValue for MaybePromise<R> {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Self> {
        let mut is_promise = false;
        // SAFETY: `env` and `value` are what napi handed to this conversion, on the JS thread, for
        // the duration of the call; `is_promise` is a valid out-pointer.
        napi::check_status!(unsafe { napi::sys::napi_is_promise(env, value, &mut is_promise) })?;
        if is_promise {
            // SAFETY: the same env and value, which napi says is a promise.
            Ok(MaybePromise::Promise(unsafe { Promise::from_napi_value(env, value) }?))
        } else {
            // SAFETY: the same env and value; `R`'s conversion checks the value's type itself.
            Ok(MaybePromise::Value(unsafe { R::from_napi_value(env, value) }?))
        }
    }
}

/// A JS method returning `R` or `Promise<R>`, callable from any thread.
struct JsMethod<A: 'static + JsValuesTupleIntoVec, R: 'static + FromNapiValue> {
    /// `claims.claim`, ... (names the operation in errors).
    operation: &'static str,
    tsfn: ThreadsafeFunction<A, MaybePromise<R>, A, Status, false, true>,
}

impl<A, R> JsMethod<A, R>
where
    A: 'static + JsValuesTupleIntoVec,
    R: 'static + FromNapiValue + Send,
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
        let function: Function<A, MaybePromise<R>> =
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
        let fail = |e: napi::Error| store_error(self.operation, &e);
        match self.tsfn.call_async_catch(args).await.map_err(fail)? {
            MaybePromise::Promise(promise) => match promise.await {
                Ok(value) => Ok(value),
                // The promise was collected without settling (Bun collects a pending promise
                // nothing references, and napi's channel goes with it): it can never settle, so
                // this is a hung call. Wait like one: the caller's deadline (the store timeout, the
                // webhook's budget) answers "timed out", as for any hung store.
                Err(e) if e.reason == "oneshot canceled" => std::future::pending().await,
                Err(e) => Err(fail(e)),
            },
            MaybePromise::Value(value) => Ok(value),
        }
    }
}

/// The number the TypeScript facade gave a JS store's error it keeps for `cause` (the message
/// starts with `[js-error <n>] `, see `bindings/src/causes.ts`).
#[derive(Debug)]
pub struct JsCause(pub u32);

impl std::fmt::Display for JsCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the JS store's error #{} (err.cause in JS)", self.0)
    }
}

impl std::error::Error for JsCause {}

/// A JS store's failure as the core's: its words quoted (by `StoreError::new`), its kept error's
/// number as the source.
fn store_error(operation: &str, e: &napi::Error) -> StoreError {
    let message = js_message(e);
    let marked = message.strip_prefix("[js-error ").and_then(|rest| {
        let (n, rest) = rest.split_once("] ")?;
        Some((n.parse::<u32>().ok()?, rest))
    });
    match marked {
        Some((n, rest)) => StoreError::new(operation, rest).with_source(JsCause(n)),
        None => StoreError::new(operation, message),
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

/// What a `void` method returns: nothing (`undefined`/`null`) or an object (a Drizzle insert
/// resolves to the driver's result). Anything else (`false`, `5`, a string) is refused: it
/// usually means the method meant to report something, e.g. a `false` meant as "failed",
/// and a void method reports failure by throwing.
pub struct Void;

/// What a JS value is, for a method that expected nothing: `None` for nothing (`undefined`,
/// `null`) or an object, else its description (a string is not quoted: a store's string could
/// hold anything).
///
/// # Safety
/// `env` and `value` must be what napi handed to a conversion, on the JS thread.
unsafe fn not_nothing(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Option<String>> {
    use napi::sys::ValueType as T;
    let mut kind = T::napi_undefined;
    // SAFETY: the caller's promise; `kind` is a valid out-pointer.
    napi::check_status!(unsafe { napi::sys::napi_typeof(env, value, &mut kind) })?;
    Ok(Some(match kind {
        T::napi_undefined | T::napi_null | T::napi_object => return Ok(None),
        T::napi_boolean => {
            let mut b = false;
            // SAFETY: `value` is a boolean (checked above); `b` is a valid out-pointer.
            napi::check_status!(unsafe { napi::sys::napi_get_value_bool(env, value, &mut b) })?;
            format!("the boolean {b}")
        }
        T::napi_number => {
            let mut n = 0f64;
            // SAFETY: `value` is a number (checked above); `n` is a valid out-pointer.
            napi::check_status!(unsafe { napi::sys::napi_get_value_double(env, value, &mut n) })?;
            format!("the number {n}")
        }
        T::napi_string => "a string".to_string(),
        T::napi_function => "a function".to_string(),
        T::napi_bigint => "a bigint".to_string(),
        T::napi_symbol => "a symbol".to_string(),
        _ => "a value of an unknown kind".to_string(),
    }))
}

impl FromNapiValue for Void {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Self> {
        // SAFETY: `env` and `value` are what napi handed to this conversion, on the JS thread.
        match unsafe { not_nothing(env, value) }? {
            None => Ok(Void),
            // GenericFailure: the message is whole (`js_message` would prefix "wrong type" again).
            Some(got) => Err(napi::Error::new(
                Status::GenericFailure,
                format!(
                    "returned {got} where nothing was expected: return nothing (or a database driver's result \
                     object), and throw to report a failure"
                ),
            )),
        }
    }
}

/// `stores.connections`: `save`, `clearByAccount`, `getBySlug`, `list`, optional `getByAccount` and
/// `hasApp`.
pub struct JsConnectionStore {
    save: JsMethod<JsConnection, Void>,
    clear_by_account: JsMethod<String, Option<String>>,
    get_by_slug: JsMethod<String, Option<JsConnection>>,
    list: JsMethod<(), Vec<JsConnection>>,
    get_by_account: Option<JsMethod<String, Option<JsConnection>>>,
    has_app: Option<JsMethod<String, bool>>,
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
    async fn has_app(&self, app_slug: &AppSlug) -> Result<Option<bool>, StoreError> {
        match &self.has_app {
            Some(m) => m.call(app_slug.as_str().to_string()).await.map(Some),
            None => Ok(None),
        }
    }
}

/// What a JS `acquire` returns: `'acquired' | 'in_progress' | 'done'`.
struct JsClaimState(ClaimState);

impl FromNapiValue for JsClaimState {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Self> {
        let wrong = || {
            napi::Error::new(
                Status::GenericFailure,
                "returned something other than 'acquired', 'in_progress' or 'done'".to_string(),
            )
        };
        // SAFETY: `env` and `value` are what napi handed to this conversion, on the JS thread; the
        // String conversion checks that it is a string.
        let text = unsafe { String::from_napi_value(env, value) }.map_err(|_| wrong())?;
        match text.as_str() {
            "acquired" => Ok(JsClaimState(ClaimState::Acquired)),
            "in_progress" => Ok(JsClaimState(ClaimState::InProgress)),
            "done" => Ok(JsClaimState(ClaimState::Done)),
            _ => Err(wrong()),
        }
    }
}

/// What a JS `complete` or `release` returns: nothing (or a database driver's result object) or
/// `true` when the token held the key, `false` when another acquisition holds it and nothing was
/// changed. Any other value is refused, as for a `void` method.
struct JsFence(Fence);

impl FromNapiValue for JsFence {
    unsafe fn from_napi_value(env: napi::sys::napi_env, value: napi::sys::napi_value) -> napi::Result<Self> {
        let mut held = false;
        // SAFETY: `env` and `value` are what napi handed to this conversion, on the JS thread;
        // `held` is a valid out-pointer, written only when the value is a boolean.
        if unsafe { napi::sys::napi_get_value_bool(env, value, &mut held) } == napi::sys::Status::napi_ok {
            return Ok(JsFence(if held { Fence::Held } else { Fence::NotHeld }));
        }
        // SAFETY: the same env and value.
        match unsafe { not_nothing(env, value) }? {
            None => Ok(JsFence(Fence::Held)),
            Some(got) => Err(napi::Error::new(
                Status::GenericFailure,
                format!(
                    "returned {got} where nothing, true or false was expected: return nothing (or true) when the \
                     token held the key, false when another acquisition holds it, and throw to report a failure"
                ),
            )),
        }
    }
}

type KeyTokenSeconds = FnArgs<(String, String, f64)>;
type KeyToken = FnArgs<(String, String)>;

fn key_token_seconds(key: &str, token: &LeaseToken, d: Duration) -> KeyTokenSeconds {
    FnArgs::from((key.to_string(), token.as_str().to_string(), d.as_secs_f64()))
}

/// `stores.claims`: `acquire(key, token, leaseSeconds) → 'acquired' | 'in_progress' | 'done'`,
/// `complete(key, token, ttlSeconds)`, `release(key, token)` (a `claim` method, if any, is not
/// used: a single-use claim is an `acquire` with a token of its own). The token is the core's
/// [`LeaseToken`]: the store records it with the lease and changes the key in `complete` and
/// `release` only while it holds that token.
struct JsClaimStore {
    acquire: JsMethod<KeyTokenSeconds, JsClaimState>,
    complete: JsMethod<KeyTokenSeconds, JsFence>,
    release: JsMethod<KeyToken, JsFence>,
}

/// The words for a claims object of the shape before leases (`claim` and `release` only).
const SINGLE_USE_REFUSED: &str = "is missing: the claims store shape with only `claim` and `release` is no longer \
     accepted (it cannot tell whose lease it frees, so a late release could free another delivery's lease). \
     Implement acquire(key, token, leaseSeconds), complete(key, token, ttlSeconds) and release(key, token), \
     recording the token with the lease and checking it in complete and release";

impl JsClaimStore {
    fn from_object(o: &Object) -> Result<Self, Error> {
        let acquire = JsMethod::get(o, "claims.acquire")?;
        let complete = JsMethod::get(o, "claims.complete")?;
        let release = JsMethod::require(o, "claims.release")?;
        match (acquire, complete) {
            (Some(acquire), Some(complete)) => Ok(JsClaimStore { acquire, complete, release }),
            (None, None) => Err(Error::invalid_input("stores.claims.acquire", SINGLE_USE_REFUSED)),
            (Some(_), None) => Err(Error::invalid_input(
                "stores.claims.complete",
                "is missing: a store with `acquire` also needs `complete` (mark a key done for ttlSeconds)",
            )),
            (None, Some(_)) => Err(Error::invalid_input(
                "stores.claims.acquire",
                "is missing: a store with `complete` also needs `acquire` (take a key as a lease)",
            )),
        }
    }
}

#[async_trait]
impl ClaimStore for JsClaimStore {
    async fn acquire(&self, key: &str, token: &LeaseToken, lease: Duration) -> Result<ClaimState, StoreError> {
        Ok(self.acquire.call(key_token_seconds(key, token, lease)).await?.0)
    }
    async fn complete(&self, key: &str, token: &LeaseToken, ttl: Duration) -> Result<Fence, StoreError> {
        Ok(self.complete.call(key_token_seconds(key, token, ttl)).await?.0)
    }
    async fn release(&self, key: &str, token: &LeaseToken) -> Result<Fence, StoreError> {
        Ok(self.release.call(FnArgs::from((key.to_string(), token.as_str().to_string()))).await?.0)
    }
}

/// `stores.disputes`: `disputeCreated(alert)`, and `earlyFraudWarningCreated(alert)` when the app
/// takes early fraud warnings (opt-in: without the method they are not acted on).
pub struct JsDisputeSink {
    dispute_created: JsMethod<JsDisputeAlert, Void>,
    early_fraud_warning_created: Option<JsMethod<JsFraudWarningAlert, Void>>,
}

#[async_trait]
impl DisputeSink for JsDisputeSink {
    async fn dispute_created(&self, alert: &DisputeAlert) -> Result<(), StoreError> {
        self.dispute_created.call(JsDisputeAlert::from(alert)).await.map(drop)
    }

    fn takes_fraud_warnings(&self) -> bool {
        self.early_fraud_warning_created.is_some()
    }

    async fn early_fraud_warning_created(&self, alert: &FraudWarningAlert) -> Result<(), StoreError> {
        match &self.early_fraud_warning_created {
            Some(method) => method.call(JsFraudWarningAlert::from(alert)).await.map(drop),
            None => Ok(()),
        }
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
            has_app: JsMethod::get(&o, "connections.hasApp")?,
        }));
    }
    if let Some(o) = part("claims")? {
        builder = builder.claim_store(Arc::new(JsClaimStore::from_object(&o)?));
    }
    if let Some(o) = part("disputes")? {
        builder = builder.dispute_sink(Arc::new(JsDisputeSink {
            dispute_created: JsMethod::require(&o, "disputes.disputeCreated")?,
            early_fraud_warning_created: JsMethod::get(&o, "disputes.earlyFraudWarningCreated")?,
        }));
    }
    Ok(builder)
}
