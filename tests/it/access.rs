//! Issue 21 items 3 and 4 against a wiremock Stripe: `check_access` (one `limit=1` GET per
//! capability), a restricted key that lacks a permission (`stripe_key_lacks_permission`, the
//! permission named, the key never shown), and the account header (`Stripe-Account` by default,
//! `Stripe-Context` when chosen, never both).
//!
//! Stripe's refusal of a restricted key is the shape its libraries' users report (stripe-node#2246):
//! HTTP 403, `type: "invalid_request_error"`, no `code`, "The provided key 'rk_…' does not have the
//! required permissions for this endpoint on account 'acct_…'. Having the 'rak_…' permission would
//! allow this request to continue."

use std::sync::Arc;

use serde_json::json;
use stripe_connect::{
    AccountId, AppSlug, Capability, ChargeId, Connection, ConnectionStore, ErrorCode, MemoryConnectionStore, Scope,
    StripeConnect, ToolScope, STRIPE_VERSION,
};
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, Request, ResponseTemplate};

use crate::fake_stripe::{acct, charge, declared, list, ok, search, FakeStripe, QueryIs, ACCT};

/// A restricted key, as a platform would configure it. Its text must never reach a message.
const RK: &str = "rk_test_51RestrictedKeyForAccessTestsZZ9";

/// A probe: the capability, the path, the exact query.
type Probe = (Capability, &'static str, Vec<(&'static str, &'static str)>);

/// The six probes.
fn probes() -> Vec<Probe> {
    let one = ("limit", "1");
    vec![
        (Capability::Customers, "/v1/customers", vec![one]),
        (Capability::Charges, "/v1/charges", vec![one]),
        (Capability::Refunds, "/v1/refunds", vec![one]),
        (Capability::Subscriptions, "/v1/subscriptions", vec![one]),
        (Capability::Disputes, "/v1/disputes", vec![one]),
        (Capability::Search, "/v1/customers/search", vec![("query", "email:\"access-check@example.invalid\""), one]),
    ]
}

/// Stripe's answer to a restricted key without `permission`.
fn lacks(permission: &str) -> ResponseTemplate {
    ResponseTemplate::new(403)
        .set_body_json(json!({"error": {"type": "invalid_request_error", "message": format!(
            "The provided key '{RK}' does not have the required permissions for this endpoint on account '{ACCT}'. \
             Having the '{permission}' permission would allow this request to continue."
        )}}))
        .insert_header("request-id", "req_rk")
}

fn empty(path: &str) -> ResponseTemplate {
    if path.ends_with("/search") {
        ok(search(path, vec![]))
    } else {
        ok(list(path, vec![], false))
    }
}

/// Every request: GET, the restricted key, the account in exactly the chosen header, the pinned
/// version, and query parameters Stripe's spec declares.
fn check(r: &Request, account_header: &str) {
    let url = r.url.as_str();
    let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string);
    assert_eq!(r.method.as_str(), "GET", "{url}");
    assert_eq!(h("authorization").as_deref(), Some(format!("Bearer {RK}").as_str()), "{url}");
    assert_eq!(h(account_header).as_deref(), Some(ACCT), "{url}");
    let other = if account_header == "stripe-account" { "stripe-context" } else { "stripe-account" };
    assert_eq!(h(other), None, "{other} must not be sent beside {account_header}: {url}");
    assert_eq!(h("stripe-version").as_deref(), Some(STRIPE_VERSION), "{url}");
    for (name, value) in r.url.query_pairs() {
        declared(r.url.path(), &name, &value).unwrap_or_else(|e| panic!("{url}: {e}"));
    }
}

async fn connected(slug: &str) -> Arc<MemoryConnectionStore> {
    let store = Arc::new(MemoryConnectionStore::new());
    let c = Connection::new(AppSlug::parse(slug).unwrap(), AccountId::parse(ACCT).unwrap(), false, Scope::ReadWrite);
    store.save(&c).await.unwrap();
    store
}

#[tokio::test]
async fn check_access_reads_each_capability_once_and_reports_all_ok() {
    let fake = FakeStripe::start().await;
    for (_, p, q) in probes() {
        fake.get(p, &q).respond_with(empty(p)).expect(1).mount(&fake.server).await;
    }
    let client = StripeConnect::builder(fake.config().secret_key(RK).build().unwrap())
        .connection_store(connected("helpdesk").await)
        .build();
    let report = client.app(&AppSlug::parse("helpdesk").unwrap()).await.unwrap().check_access().await;
    assert!(report.all_ok, "{report:?}");
    assert_eq!(report.account_id.as_str(), ACCT);
    assert_eq!(report.app_slug.as_ref().map(AppSlug::as_str), Some("helpdesk"));
    let names: Vec<&str> = report.checks.iter().map(|c| c.capability.as_str()).collect();
    assert_eq!(names, ["customers", "charges", "refunds", "subscriptions", "disputes", "search"]);
    for c in &report.checks {
        assert!(c.ok && !c.denied && c.code.is_none() && c.message.is_none(), "{c:?}");
    }
    let requests = fake.requests().await;
    assert_eq!(requests.len(), 6);
    for r in &requests {
        check(r, "stripe-account");
    }
}

/// Issue 21 item 3's "done when": a restricted key lacking permissions. Charges and search are
/// refused with Stripe's wording; disputes answer 503 (not a refusal: `stripe_unavailable`, not
/// denied); the rest are readable.
#[tokio::test]
async fn a_restricted_key_lacking_permissions_is_reported_per_capability() {
    let fake = FakeStripe::start().await;
    for (capability, p, q) in probes() {
        let answer = match capability {
            Capability::Charges => lacks("rak_charge_read"),
            Capability::Search => lacks("rak_customer_read"),
            Capability::Disputes => {
                ResponseTemplate::new(503).set_body_json(json!({"error": {"type": "api_error", "message": "down"}}))
            }
            _ => empty(p),
        };
        fake.get(p, &q).respond_with(answer).mount(&fake.server).await;
    }
    let config = fake.config().secret_key(RK).max_retries(0).build().unwrap();
    let report = StripeConnect::new(config).account(&acct()).check_access().await;
    assert!(!report.all_ok);
    let charges = report.check(Capability::Charges).unwrap();
    assert!(!charges.ok && charges.denied, "{charges:?}");
    assert_eq!(charges.code.as_deref(), Some("stripe_key_lacks_permission"));
    assert_eq!(charges.permission.as_deref(), Some("rak_charge_read"));
    assert_eq!(charges.request_id.as_deref(), Some("req_rk"));
    let message = charges.message.as_deref().unwrap();
    assert!(message.contains("`rak_charge_read`"), "{message}");
    assert!(!message.contains(RK) && !message.contains("RestrictedKeyForAccess"), "{message}");
    let searchable = report.check(Capability::Search).unwrap();
    assert_eq!((searchable.denied, searchable.permission.as_deref()), (true, Some("rak_customer_read")));
    let disputes = report.check(Capability::Disputes).unwrap();
    assert!(!disputes.ok && !disputes.denied, "a 503 is not a refusal: {disputes:?}");
    assert_eq!(disputes.code.as_deref(), Some("stripe_unavailable"));
    for c in [Capability::Customers, Capability::Refunds, Capability::Subscriptions] {
        assert!(report.check(c).unwrap().ok, "{c}");
    }
    let debug = format!("{report:?}");
    assert!(!debug.contains(RK), "{debug}");
    for r in &fake.requests().await {
        check(r, "stripe-account");
    }
}

/// A query on a resource the key may not read fails with the code, the permission and no key.
#[tokio::test]
async fn a_query_the_key_may_not_make_fails_with_stripe_key_lacks_permission() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/charges/ch_1", &[]).respond_with(lacks("rak_charge_read")).expect(1).mount(&fake.server).await;
    let client = StripeConnect::new(fake.config().secret_key(RK).build().unwrap());
    let e = client.account(&acct()).lookup_charge(&ChargeId::parse("ch_1").unwrap()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StripeKeyLacksPermission);
    assert_eq!(e.missing_permission(), Some("rak_charge_read"));
    assert_eq!(e.status(), Some(403));
    assert!(!e.code().is_retryable());
    let shown = e.to_string();
    assert!(shown.contains("rak_charge_read") && !shown.contains(RK), "{shown}");
    assert!(!format!("{e:?}").contains(RK));
}

/// The agent's tools report it as data: the code, not retryable, the permission, never the key.
#[tokio::test]
async fn a_tool_reports_the_missing_permission_without_the_key() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/charges/ch_1", &[]).respond_with(lacks("rak_charge_read")).expect(1).mount(&fake.server).await;
    Mock::given(method("GET")).and(path("/v1/refunds")).respond_with(empty("/v1/refunds")).mount(&fake.server).await;
    let client = StripeConnect::builder(fake.config().secret_key(RK).build().unwrap())
        .connection_store(connected("helpdesk").await)
        .build();
    let scope = ToolScope::new(["helpdesk"]).unwrap();
    let r = client.call_tool("lookup_charge", &json!({"chargeId": "ch_1"}), &scope).await;
    let e = r.error().unwrap_or_else(|| panic!("expected an error, got {}", r.to_json()));
    assert_eq!((e.code, e.retryable), ("stripe_key_lacks_permission", false));
    assert!(e.message.contains("`rak_charge_read`"), "{}", e.message);
    let shown = r.to_json();
    assert!(!shown.contains(RK) && !shown.contains("RestrictedKeyForAccess"), "{shown}");
}

/// Issue 21 item 4: with `stripe-context` every request names the account in `Stripe-Context`
/// and sends no `Stripe-Account`; by default the reverse.
#[tokio::test]
async fn the_account_goes_in_exactly_one_header() {
    for (choice, sent) in [(None, "stripe-account"), (Some("stripe-context"), "stripe-context")] {
        let fake = FakeStripe::start().await;
        Mock::given(method("GET"))
            .and(path("/v1/charges/ch_1"))
            .and(header(sent, ACCT))
            .and(QueryIs(vec![]))
            .respond_with(ok(charge("ch_1", "cus_1", 500, 1_700_000_000)))
            .expect(1)
            .mount(&fake.server)
            .await;
        let mut config = fake.config().secret_key(RK);
        if let Some(c) = choice {
            config = config.account_header(c);
        }
        let client = StripeConnect::new(config.build().unwrap());
        let c = client.account(&acct()).lookup_charge(&ChargeId::parse("ch_1").unwrap()).await.unwrap();
        assert_eq!(c.id, "ch_1");
        // The probes too.
        for (_, p, q) in probes() {
            Mock::given(method("GET"))
                .and(path(p))
                .and(header(sent, ACCT))
                .and(QueryIs(q.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
                .respond_with(empty(p))
                .mount(&fake.server)
                .await;
        }
        assert!(client.account(&acct()).check_access().await.all_ok, "{sent}");
        let requests = fake.requests().await;
        assert_eq!(requests.len(), 7, "{sent}");
        for r in &requests {
            check(r, sent);
        }
    }
}
