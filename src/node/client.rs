//! `NativeClient`: the core [`StripeConnect`] behind the TypeScript `StripeConnect` class.

use std::collections::HashMap;

use napi::bindgen_prelude::{Either, Object, PromiseRaw, Unknown};
use napi::Env;
use napi_derive::napi;

use super::config::checked_options;
use super::error::{js_error, promise};
use super::numbers::whole_number;
use super::queries::{
    BillingTimelineOptions, CustomerContextOptions, FailedPaymentsOptions, LookupChargeOptions,
    NativeCheckAccessOptions, NativeDisputesOptions, NativeEarlyFraudWarningsOptions, NativeInvoicesOptions,
    NativeRefundsOptions, NativeSubscriptionStatusOptions, PaymentHistoryOptions, VerifyRefundOptions,
};
use super::stores;
use super::types::{
    webhook_outcome, JsConnected, JsWebhookOutcome, NativeAuthorizeUrl, NativeDisconnectResult, NativePrefill,
};
use crate::{
    Account, AccountId, AppSlug, CallbackQuery, ChargeId, Config, ConfigBuilder, DisputesOf, Error, FraudWarningsOf,
    InstallQuery, InvoicesOf, ListOptions, PaymentOptions, Prefill, RefundId, RefundsOf, StripeConnect,
    SubscriptionsOf,
};

#[napi]
pub struct NativeClient {
    pub(crate) inner: StripeConnect,
}

fn build(env: &Env, config: Result<Config, Error>, js_stores: Option<Object>) -> napi::Result<NativeClient> {
    let run = || -> Result<NativeClient, Error> {
        let builder = stores::install(env, js_stores, StripeConnect::builder(config?))?;
        Ok(NativeClient { inner: builder.build() })
    };
    run().map_err(|e| js_error(env, &e))
}

#[napi]
impl NativeClient {
    /// `options` is checked name by name (an unknown key is `config_invalid`), then read.
    #[napi(constructor, ts_args_type = "options: NativeOptions, stores?: object | undefined | null")]
    pub fn new(env: Env, options: Unknown, stores: Option<Object>) -> napi::Result<Self> {
        let options = checked_options(&env, Some(options))?;
        let config = options.apply(Config::builder()).and_then(ConfigBuilder::build).map_err(Error::from);
        build(&env, config, stores)
    }

    /// The environment variables `vars` (`STRIPE_SECRET_KEY`, ...) with `overrides` on top.
    #[napi(
        factory,
        ts_args_type = "vars: Record<string, string>, overrides?: NativeOptions | undefined | null, stores?: object | undefined | null"
    )]
    pub fn from_env(
        env: Env,
        vars: HashMap<String, String>,
        overrides: Option<Unknown>,
        stores: Option<Object>,
    ) -> napi::Result<Self> {
        build(&env, checked_options(&env, overrides)?.over_env(vars), stores)
    }

    /// The client for one query: `fresh: true` bypasses the customer cache and request coalescing.
    fn client(&self, fresh: Option<bool>) -> StripeConnect {
        if fresh == Some(true) {
            self.inner.fresh()
        } else {
            self.inner.clone()
        }
    }

    /// The account `account_id` names, as the handle the core's queries live on.
    fn account(&self, account_id: &str, fresh: Option<bool>) -> Result<Account, Error> {
        Ok(self.client(fresh).account(&AccountId::parse(account_id)?))
    }

    /// The configuration with every secret redacted (for `util.inspect`).
    #[napi]
    pub fn describe(&self) -> String {
        format!("{:?}", self.inner.config())
    }

    #[napi(
        ts_return_type = "Promise<OutcomeDisconnected | OutcomeDisputeRecorded | OutcomeFraudWarningRecorded | OutcomeDuplicate | OutcomeIgnored>"
    )]
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
        promise(env, async move { client.handle_webhook(&body, header.as_deref()).await }, |_, o| {
            Ok(webhook_outcome(o))
        })
    }

    /// Stripe's authorize URL for `app_slug` and the signed state to keep in a cookie.
    #[napi]
    pub fn authorize_url(
        &self,
        env: Env,
        app_slug: String,
        prefill: Option<NativePrefill>,
    ) -> napi::Result<NativeAuthorizeUrl> {
        let run = || -> Result<NativeAuthorizeUrl, Error> {
            let start = self
                .inner
                .authorize_url(&AppSlug::parse(&app_slug)?, &prefill.map(Prefill::from).unwrap_or_default())?;
            Ok(start.into())
        };
        run().map_err(|e| js_error(&env, &e))
    }

    /// Check the redirect (`query`, a query string) against the cookie's `state`, exchange the
    /// code once, save the connection; say which account it replaced, if a different one.
    #[napi(ts_return_type = "Promise<NativeConnected>")]
    pub fn handle_callback<'env>(
        &self,
        env: &'env Env,
        query: String,
        state: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, JsConnected>> {
        let client = self.inner.clone();
        let query = CallbackQuery::parse(&query);
        promise(env, async move { client.handle_callback(&query, state.as_deref()).await }, |_, c| {
            Ok(JsConnected::from(&c))
        })
    }

    /// The Stripe App's install link for `app_slug` and the signed state to keep in a cookie.
    #[napi]
    pub fn install_url(&self, env: Env, app_slug: String) -> napi::Result<NativeAuthorizeUrl> {
        let run =
            || -> Result<NativeAuthorizeUrl, Error> { Ok(self.inner.install_url(&AppSlug::parse(&app_slug)?)?.into()) };
        run().map_err(|e| js_error(&env, &e))
    }

    /// Check a Stripe App install's redirect (`query`, a query string) against the cookie's
    /// `state`, verify its `install_signature`, save the connection; say which account it
    /// replaced, if a different one.
    #[napi(ts_return_type = "Promise<NativeConnected>")]
    pub fn handle_install_callback<'env>(
        &self,
        env: &'env Env,
        query: String,
        state: Option<String>,
    ) -> napi::Result<PromiseRaw<'env, JsConnected>> {
        let client = self.inner.clone();
        let query = InstallQuery::parse(&query);
        promise(env, async move { client.handle_install_callback(&query, state.as_deref()).await }, |_, c| {
            Ok(JsConnected::from(&c))
        })
    }

    /// Whether the connection store knows the app (`hasApp`), connected or not; `null` when it
    /// cannot tell.
    #[napi(ts_return_type = "Promise<boolean | null>")]
    pub fn has_app<'env>(&self, env: &'env Env, app_slug: String) -> napi::Result<PromiseRaw<'env, Option<bool>>> {
        let client = self.inner.clone();
        promise(env, async move { client.has_app(&AppSlug::parse(&app_slug)?).await }, |_, known| Ok(known))
    }

    #[napi(ts_return_type = "Promise<NativeDisconnectResult>")]
    pub fn disconnect<'env>(
        &self,
        env: &'env Env,
        app_slug: String,
    ) -> napi::Result<PromiseRaw<'env, NativeDisconnectResult>> {
        let client = self.inner.clone();
        promise(env, async move { client.disconnect(&AppSlug::parse(&app_slug)?).await }, |_, d| Ok(d.into()))
    }

    #[napi(ts_return_type = "Promise<PaymentHistory>")]
    pub fn payment_history<'env>(
        &self,
        env: &'env Env,
        options: PaymentHistoryOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::PaymentHistory>> {
        let PaymentHistoryOptions { account_id, email, limit, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move { account?.payment_history(&email, PaymentOptions { limit: limit_arg(limit)? }).await },
            |_, v| Ok(v),
        )
    }

    /// By `email` (every customer with it) or by `customer_id`: exactly one of the two.
    #[napi(ts_return_type = "Promise<SubscriptionStatus>")]
    pub fn subscription_status<'env>(
        &self,
        env: &'env Env,
        options: NativeSubscriptionStatusOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::SubscriptionStatus>> {
        let NativeSubscriptionStatusOptions { account_id, email, customer_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move {
                let of = SubscriptionsOf::one_of(email, customer_id)?;
                account?.subscription_status(of).await
            },
            |_, v| Ok(v),
        )
    }

    #[napi(ts_return_type = "Promise<Charge>")]
    pub fn lookup_charge<'env>(
        &self,
        env: &'env Env,
        options: LookupChargeOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::ChargeDetails>> {
        let LookupChargeOptions { account_id, charge_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(env, async move { account?.lookup_charge(&ChargeId::parse(&charge_id)?).await }, |_, v| Ok(v))
    }

    /// By `appSlug` or by `accountId`: exactly one of the two. One GET per capability.
    #[napi(ts_return_type = "Promise<AccessReport>")]
    pub fn check_access<'env>(
        &self,
        env: &'env Env,
        options: NativeCheckAccessOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::AccessReport>> {
        let NativeCheckAccessOptions { app_slug, account_id, fresh } = options;
        let client = self.client(fresh);
        promise(
            env,
            async move {
                let account = match (app_slug, account_id) {
                    (Some(slug), None) => client.app(&AppSlug::parse(slug)?).await?,
                    (None, Some(id)) => client.account(&AccountId::parse(id)?),
                    (Some(_), Some(_)) => {
                        return Err(Error::invalid_input("appSlug", "give appSlug or accountId, not both"))
                    }
                    (None, None) => {
                        return Err(Error::invalid_input("appSlug", "one of appSlug or accountId is required"))
                    }
                };
                Ok(account.check_access().await)
            },
            |_, v| Ok(v),
        )
    }

    #[napi(ts_return_type = "Promise<Refund>")]
    pub fn verify_refund<'env>(
        &self,
        env: &'env Env,
        options: VerifyRefundOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::Refund>> {
        let VerifyRefundOptions { account_id, refund_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(env, async move { account?.verify_refund(&RefundId::parse(&refund_id)?).await }, |_, v| Ok(v))
    }

    /// By `email` (disputes on that customer's charges) or by `charge_id`: exactly one of the two.
    #[napi(ts_return_type = "Promise<Disputes>")]
    pub fn disputes<'env>(
        &self,
        env: &'env Env,
        options: NativeDisputesOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::Disputes>> {
        let NativeDisputesOptions { account_id, email, charge_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move {
                let of = DisputesOf::one_of(email, charge_id)?;
                account?.disputes(of).await
            },
            |_, v| Ok(v),
        )
    }

    /// By `email` (every customer with it) or by `customer_id`: exactly one of the two.
    #[napi(ts_return_type = "Promise<Invoices>")]
    pub fn invoices<'env>(
        &self,
        env: &'env Env,
        options: NativeInvoicesOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::Invoices>> {
        let NativeInvoicesOptions { account_id, email, customer_id, limit, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move {
                let of = InvoicesOf::one_of(email, customer_id)?;
                account?.invoices(of, ListOptions { limit: limit_arg(limit)? }).await
            },
            |_, v| Ok(v),
        )
    }

    #[napi(ts_return_type = "Promise<FailedPayments>")]
    pub fn failed_payments<'env>(
        &self,
        env: &'env Env,
        options: FailedPaymentsOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::FailedPayments>> {
        let FailedPaymentsOptions { account_id, email, limit, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move { account?.failed_payments(&email, PaymentOptions { limit: limit_arg(limit)? }).await },
            |_, v| Ok(v),
        )
    }

    /// By `charge_id` or by `payment_intent_id`: exactly one of the two.
    #[napi(ts_return_type = "Promise<Refunds>")]
    pub fn refunds<'env>(
        &self,
        env: &'env Env,
        options: NativeRefundsOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::Refunds>> {
        let NativeRefundsOptions { account_id, charge_id, payment_intent_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move {
                let of = RefundsOf::one_of(charge_id, payment_intent_id)?;
                account?.refunds(of).await
            },
            |_, v| Ok(v),
        )
    }

    /// By `email`, `charge_id` or `payment_intent_id`: exactly one of the three.
    #[napi(ts_return_type = "Promise<EarlyFraudWarnings>")]
    pub fn early_fraud_warnings<'env>(
        &self,
        env: &'env Env,
        options: NativeEarlyFraudWarningsOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::EarlyFraudWarnings>> {
        let NativeEarlyFraudWarningsOptions { account_id, email, charge_id, payment_intent_id, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move {
                let of = FraudWarningsOf::one_of(email, charge_id, payment_intent_id)?;
                account?.early_fraud_warnings(of).await
            },
            |_, v| Ok(v),
        )
    }

    #[napi(ts_return_type = "Promise<BillingTimeline>")]
    pub fn billing_timeline<'env>(
        &self,
        env: &'env Env,
        options: BillingTimelineOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::BillingTimeline>> {
        let BillingTimelineOptions { account_id, email, limit, fresh } = options;
        let account = self.account(&account_id, fresh);
        promise(
            env,
            async move { account?.billing_timeline(&email, ListOptions { limit: limit_arg(limit)? }).await },
            |_, v| Ok(v),
        )
    }

    #[napi(ts_return_type = "Promise<CustomerContext>")]
    pub fn customer_context<'env>(
        &self,
        env: &'env Env,
        options: CustomerContextOptions,
    ) -> napi::Result<PromiseRaw<'env, crate::CustomerContext>> {
        let CustomerContextOptions { email, limit, fresh } = options;
        let client = self.client(fresh);
        promise(
            env,
            async move { client.customer_context(&email, PaymentOptions { limit: limit_arg(limit)? }).await },
            |_, v| Ok(v),
        )
    }
}

/// A JS `limit` as the core's: `1.5`, NaN or ±Infinity are `invalid_input` (napi alone would send
/// `limit=1`), and so is a number outside the core's range (named with the number given).
fn limit_arg(limit: Option<f64>) -> Result<Option<u32>, Error> {
    limit
        .map(|v| {
            let n = whole_number("limit", v, 1, i64::from(crate::MAX_PAYMENT_LIMIT))
                .map_err(|r| Error::invalid_input("limit", r))?;
            Ok(u32::try_from(n).unwrap_or(crate::MAX_PAYMENT_LIMIT))
        })
        .transpose()
}
