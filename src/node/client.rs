//! `NativeClient`: the core [`StripeConnect`] behind the TypeScript `StripeConnect` class.

use std::collections::HashMap;

use napi::bindgen_prelude::{Either, Object, PromiseRaw};
use napi::Env;
use napi_derive::napi;

use super::error::{js_error, promise};
use super::stores;
use super::types::{webhook_outcome, JsWebhookOutcome, NativeOptions};
use crate::{Config, Error, StripeConnect};

#[napi]
pub struct NativeClient {
    inner: StripeConnect,
}

fn build(env: &Env, config: Result<Config, Error>, js_stores: Option<Object>) -> napi::Result<NativeClient> {
    let run = || -> Result<NativeClient, Error> {
        let builder = stores::install(env, js_stores, StripeConnect::builder(config?))?;
        Ok(NativeClient { inner: builder.build()? })
    };
    run().map_err(|e| js_error(env, &e))
}

#[napi]
impl NativeClient {
    #[napi(constructor)]
    pub fn new(env: Env, options: NativeOptions, stores: Option<Object>) -> napi::Result<Self> {
        let config = options.apply(Config::builder()).build().map_err(Error::from);
        build(&env, config, stores)
    }

    /// The environment variables `vars` (`STRIPE_SECRET_KEY`, ...) with `overrides` on top.
    #[napi(factory)]
    pub fn from_env(
        env: Env,
        vars: HashMap<String, String>,
        overrides: Option<NativeOptions>,
        stores: Option<Object>,
    ) -> napi::Result<Self> {
        build(&env, overrides.unwrap_or_default().over_env(vars), stores)
    }

    /// The configuration with every secret redacted (for `util.inspect`).
    #[napi]
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner.config())
    }

    #[napi(ts_return_type = "Promise<OutcomeDisconnected | OutcomeDisputeRecorded | OutcomeDuplicate | OutcomeIgnored>")]
    pub fn handle_webhook<'env>(
        &self,
        env: &'env Env,
        payload: Either<String, &[u8]>,
        header: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, JsWebhookOutcome>> {
        let body = match payload {
            Either::A(s) => s.into_bytes(),
            Either::B(b) => b.to_vec(),
        };
        let client = self.inner.clone();
        promise(env, async move { client.handle_webhook(&body, header.as_deref()).await }, webhook_outcome)
    }
}
