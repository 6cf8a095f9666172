//! [`Account::check_access`]: what the platform's key may read on one connected account, one cheap
//! GET per capability. Meant for a restricted key (`rk_…`, the key Stripe recommends): Stripe
//! refuses a resource the key has no Connect permission for with its own 403, which the library
//! reports as `stripe_key_lacks_permission` naming the permission.

use serde::{Deserialize, Serialize};

use super::account::Account;
use crate::api::Api;
use crate::error::{Error, ErrorCode, StripeError};
use crate::ids::{AccountId, AppSlug};

/// What a support agent's queries and tools read; [`Account::check_access`] probes each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Capability {
    /// `GET /v1/customers` (Dashboard resource "Customers").
    Customers,
    /// `GET /v1/charges` ("Charges").
    Charges,
    /// `GET /v1/refunds` ("Refunds").
    Refunds,
    /// `GET /v1/subscriptions` ("Subscriptions").
    Subscriptions,
    /// `GET /v1/disputes` ("Disputes").
    Disputes,
    /// `GET /v1/customers/search` (the Search API over "Customers").
    Search,
}

impl Capability {
    /// Every capability, in the order a report lists them.
    pub const ALL: [Capability; 6] = [
        Capability::Customers,
        Capability::Charges,
        Capability::Refunds,
        Capability::Subscriptions,
        Capability::Disputes,
        Capability::Search,
    ];

    /// `customers`, `charges`, `refunds`, `subscriptions`, `disputes`, `search`.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::Customers => "customers",
            Capability::Charges => "charges",
            Capability::Refunds => "refunds",
            Capability::Subscriptions => "subscriptions",
            Capability::Disputes => "disputes",
            Capability::Search => "search",
        }
    }

    /// The one request that probes it: the path and its query (`limit=1`: one object at most).
    fn probe(self) -> (&'static [&'static str], Vec<(&'static str, String)>) {
        let one = ("limit", "1".to_string());
        match self {
            Capability::Customers => (&["v1", "customers"], vec![one]),
            Capability::Charges => (&["v1", "charges"], vec![one]),
            Capability::Refunds => (&["v1", "refunds"], vec![one]),
            Capability::Subscriptions => (&["v1", "subscriptions"], vec![one]),
            Capability::Disputes => (&["v1", "disputes"], vec![one]),
            // A query that matches nothing real: only whether the key may search is asked.
            Capability::Search => (&["v1", "customers", "search"], vec![("query", PROBE_QUERY.to_string()), one]),
        }
    }
}

/// The search the `search` probe sends (an address of the reserved `.invalid` domain).
const PROBE_QUERY: &str = "email:\"access-check@example.invalid\"";

impl std::fmt::Display for Capability {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One capability's answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "AccessCheck", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct AccessCheck {
    #[cfg_attr(
        feature = "node",
        napi(ts_type = "'customers' | 'charges' | 'refunds' | 'subscriptions' | 'disputes' | 'search'")
    )]
    pub capability: String,
    /// The key read it on this account.
    pub ok: bool,
    /// Stripe refused the key (`stripe_key_lacks_permission` or `stripe_permission_denied`). When
    /// `ok` and `denied` are both false the check could not tell (Stripe down, slow, rate
    /// limited, …): `code` says which, and the check may be run again.
    pub denied: bool,
    /// The error code when not `ok`.
    #[cfg_attr(feature = "node", napi(ts_type = "ErrorCode"))]
    pub code: Option<String>,
    /// The error's message when not `ok` (no key, ever).
    pub message: Option<String>,
    /// The restricted-key permission Stripe named as missing (`rak_charge_read`), when it did.
    pub permission: Option<String>,
    /// Stripe's `Request-Id`, where Stripe answered.
    pub request_id: Option<String>,
}

/// What the key may read on one account (`check_access` / `checkAccess`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[cfg_attr(
    feature = "node",
    napi_derive::napi(object, js_name = "AccessReport", use_nullable = true, object_from_js = false)
)]
#[non_exhaustive]
pub struct AccessReport {
    #[cfg_attr(feature = "node", napi(ts_type = "string"))]
    pub account_id: AccountId,
    /// The app the account was found by, when it was.
    #[cfg_attr(feature = "node", napi(ts_type = "string"))]
    pub app_slug: Option<AppSlug>,
    /// One per capability: customers, charges, refunds, subscriptions, disputes, search.
    pub checks: Vec<AccessCheck>,
    /// Every check is `ok`.
    pub all_ok: bool,
    /// Unix seconds when the checks started.
    pub fetched_at: i64,
}

impl AccessReport {
    /// The check of `capability`.
    pub fn check(&self, capability: Capability) -> Option<&AccessCheck> {
        self.checks.iter().find(|c| c.capability == capability.as_str())
    }
}

impl Account {
    /// Whether the platform's key can read each [`Capability`] on this account: one GET each
    /// (`limit=1`), concurrently, each answered on its own. A refusal is `denied` with its code
    /// (`stripe_key_lacks_permission` naming the permission for a restricted key without it); a
    /// network failure, a 5xx or a timeout is reported with its own code and is not a refusal.
    /// Never fails as a whole: the report says what each check found.
    pub async fn check_access(&self) -> AccessReport {
        let fetched_at = self.client().now();
        let api = self.api();
        let checks = futures::future::join_all(Capability::ALL.iter().map(|c| probe(&api, *c))).await;
        AccessReport {
            account_id: self.id().clone(),
            app_slug: self.app_slug().cloned(),
            all_ok: checks.iter().all(|c| c.ok),
            checks,
            fetched_at,
        }
    }
}

async fn probe(api: &Api<'_>, capability: Capability) -> AccessCheck {
    let (path, query) = capability.probe();
    let answer: Result<serde::de::IgnoredAny, StripeError> = api.get(path, query).await;
    let mut check = AccessCheck {
        capability: capability.as_str().to_string(),
        ok: true,
        denied: false,
        code: None,
        message: None,
        permission: None,
        request_id: None,
    };
    if let Err(e) = answer {
        let e = Error::from(e);
        check.ok = false;
        check.denied = matches!(e.code(), ErrorCode::StripeKeyLacksPermission | ErrorCode::StripePermissionDenied);
        check.code = Some(e.code().to_string());
        check.message = Some(e.to_string());
        check.permission = e.missing_permission().map(str::to_string);
        check.request_id = e.request_id().map(str::to_string);
    }
    check
}
