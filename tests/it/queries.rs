//! The queries against a wiremock Stripe: what is sent (GET, path, spec-declared query, headers on
//! every page) and what comes back (the support app's camelCase shapes).
//!
//! Stripe facts (Stripe's API reference): the customers list `email` filter is case-sensitive and
//! the Search API (`email:"…"`) is not; one email can have several customer objects; lists page
//! with `limit`/`starting_after`/`has_more`; since 2025-03-31 `current_period_end` is on the
//! subscription items.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use stripe_connect::{
    AccountId, AppSlug, ChargeId, Connection, ConnectionStore, CustomerId, ErrorCode, ListOptions,
    MemoryConnectionStore, PaymentIntentId, PaymentOptions, RefundId, Scope, StripeConnect,
};

use crate::fake_stripe::{
    acct, card_declined, charge, customer, dispute, fraud_warning, invoice, invoice_payment, list, object, ok,
    payment_intent, refund, search, stripe_error, subscription, CannedStripe, FakeStripe, ACCT,
};

const EMAIL: &str = "Jenny.Rosen@example.com";

fn email_search() -> String {
    format!("email:\"{EMAIL}\"")
}

/// Customers of `EMAIL` on `account`: the list (exact case) answers `listed`, the search answers
/// `searched`.
async fn mount_customers(fake: &FakeStripe, account: &str, listed: Vec<Value>, searched: Vec<Value>) {
    fake.get_for(account, "/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", listed, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/customers/search", &[("query", &email_search()), ("limit", "100")])
        .respond_with(ok(search("/v1/customers/search", searched)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

async fn mount_charges(
    fake: &FakeStripe,
    account: &str,
    customer: &str,
    limit: &str,
    charges: Vec<Value>,
    has_more: bool,
) {
    fake.get_for(account, "/v1/charges", &[("customer", customer), ("limit", limit)])
        .respond_with(ok(list("/v1/charges", charges, has_more)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

/// The customer's invoices (with their payments expanded) and payment intents, as the customer
/// context reads them: the newest invoice, and the newest `limit` payment intents.
async fn mount_context_billing(
    fake: &FakeStripe,
    account: &str,
    customer: &str,
    invoices: Vec<Value>,
    intents: Vec<Value>,
) {
    fake.get_for(account, "/v1/invoices", &[("customer", customer), ("expand[]", "data.payments"), ("limit", "1")])
        .respond_with(ok(list("/v1/invoices", invoices, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/payment_intents", &[("customer", customer), ("limit", "25")])
        .respond_with(ok(list("/v1/payment_intents", intents, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

async fn mount_subscriptions(fake: &FakeStripe, account: &str, customer: &str, subs: Vec<Value>) {
    fake.get_for(account, "/v1/subscriptions", &[("customer", customer), ("status", "all"), ("limit", "100")])
        .respond_with(ok(list("/v1/subscriptions", subs, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

#[tokio::test]
async fn customers_by_email_pages_the_list_and_merges_the_case_insensitive_search() {
    let fake = FakeStripe::start().await;
    // The list filter is case-sensitive: it finds two objects with the exact email, on two pages.
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", vec![customer("cus_A", EMAIL, 300)], true)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100"), ("starting_after", "cus_A")])
        .respond_with(ok(list("/v1/customers", vec![customer("cus_B", EMAIL, 100)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    // The search also finds them, plus one in another case; a different email is dropped.
    fake.get("/v1/customers/search", &[("query", &email_search()), ("limit", "100")])
        .respond_with(ok(search(
            "/v1/customers/search",
            vec![
                customer("cus_B", EMAIL, 100),
                customer("cus_C", "JENNY.ROSEN@EXAMPLE.COM", 200),
                customer("cus_X", "jenny@other.com", 50),
            ],
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    let found = fake.client().account(&acct()).customers_by_email(EMAIL).await.unwrap();
    let ids: Vec<&str> = found.customers.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["cus_A", "cus_C", "cus_B"], "merged by id, newest first");
    assert_eq!(found.search_fallback, None);
    assert_eq!(found.customers[1].email.as_deref(), Some("JENNY.ROSEN@EXAMPLE.COM"));
    // Stripe-Account and Stripe-Version on every request, the second page included.
    assert_eq!(fake.assert_contract(&[ACCT]).await, 3);
    let v = serde_json::to_value(&found).unwrap();
    assert!(v.get("searchFallback").is_some() && v["customers"][0].get("created").is_some(), "{v}");
}

#[tokio::test]
async fn the_search_follows_next_page() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut first = search("/v1/customers/search", vec![customer("cus_A", "jenny.rosen@example.com", 2)]);
    first["has_more"] = json!(true);
    first["next_page"] = json!("page_abc");
    fake.get("/v1/customers/search", &[("query", &email_search()), ("limit", "100")])
        .respond_with(ok(first))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", &email_search()), ("limit", "100"), ("page", "page_abc")])
        .respond_with(ok(search("/v1/customers/search", vec![customer("cus_B", "JENNY.ROSEN@example.com", 1)])))
        .expect(1)
        .mount(&fake.server)
        .await;
    let found = fake.client().account(&acct()).customers_by_email(EMAIL).await.unwrap();
    assert_eq!(found.customers.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["cus_A", "cus_B"]);
    assert_eq!(fake.assert_contract(&[ACCT]).await, 3);
}

#[tokio::test]
async fn a_failed_search_falls_back_to_the_list_and_says_so() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", vec![customer("cus_A", EMAIL, 300)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", &email_search()), ("limit", "100")])
        .respond_with(stripe_error(
            400,
            "invalid_request_error",
            Some("feature_not_enabled"),
            "Search is not available",
            None,
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let found = fake.client().account(&acct()).customers_by_email(EMAIL).await.unwrap();
    assert_eq!(found.customers.len(), 1);
    let fallback = found.search_fallback.expect("the failed search is reported");
    assert_eq!(fallback.code, "stripe_api_error");
    assert!(fallback.message.contains("Search is not available"), "{}", fallback.message);
}

#[tokio::test]
async fn a_failed_list_fails_the_call() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(stripe_error(
            401,
            "invalid_request_error",
            None,
            "The account is not connected to your platform",
            None,
        ))
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", &email_search()), ("limit", "100")])
        .respond_with(ok(search("/v1/customers/search", vec![])))
        .mount(&fake.server)
        .await;
    let err = fake.client().account(&acct()).customers_by_email(EMAIL).await.unwrap_err();
    assert_eq!(err.code(), "stripe_auth_failed");
    assert_eq!(err.request_id(), Some("req_401"));
}

#[tokio::test]
async fn payment_history_covers_every_customer_newest_first_within_the_limit() {
    let fake = FakeStripe::start().await;
    mount_customers(
        &fake,
        ACCT,
        vec![customer("cus_A", EMAIL, 3), customer("cus_B", EMAIL, 2)],
        vec![customer("cus_C", "jenny.rosen@EXAMPLE.com", 1)],
    )
    .await;
    let mut refunded = charge("ch_A2", "cus_A", 5000, 1_700_000_300);
    refunded["refunded"] = json!(true);
    refunded["amount_refunded"] = json!(5000);
    refunded["disputed"] = json!(true);
    refunded["description"] = json!(null);
    mount_charges(&fake, ACCT, "cus_A", "3", vec![refunded, charge("ch_A1", "cus_A", 1000, 1_700_000_100)], false)
        .await;
    mount_charges(&fake, ACCT, "cus_B", "3", vec![], false).await; // a customer with no charges
    mount_charges(
        &fake,
        ACCT,
        "cus_C",
        "3",
        vec![
            charge("ch_C1", "cus_C", 2000, 1_700_000_200),
            charge("ch_C0", "cus_C", 10, 1),
            charge("ch_Cz", "cus_C", 10, 0),
        ],
        true,
    )
    .await;

    let history =
        fake.client().account(&acct()).payment_history(EMAIL, PaymentOptions::default().limit(3)).await.unwrap();
    let ids: Vec<&str> = history.payments.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["ch_A2", "ch_C1", "ch_A1"]);
    assert_eq!(history.customer_ids, ["cus_A", "cus_B", "cus_C"]);
    assert!(history.has_more);
    let first = &history.payments[0];
    assert_eq!((first.amount, first.currency.as_str(), first.status.as_str()), (5000, "usd", "succeeded"));
    assert_eq!((first.refunded, first.amount_refunded, first.disputed), (true, 5000, true));
    assert_eq!(
        (first.created, first.customer_id.as_deref(), first.description.as_deref()),
        (1_700_000_300, Some("cus_A"), None)
    );
    assert_eq!(history.payments[1].description.as_deref(), Some("My First Test Charge (created for API docs)"));
    let v = serde_json::to_value(&history).unwrap();
    let keys: Vec<&str> = v["payments"][0].as_object().unwrap().keys().map(String::as_str).collect();
    for k in [
        "id",
        "amount",
        "currency",
        "status",
        "refunded",
        "amountRefunded",
        "disputed",
        "created",
        "description",
        "customerId",
    ] {
        assert!(keys.contains(&k), "{k} missing from {keys:?}");
    }
    assert!(v["payments"][0]["description"].is_null());
    assert_eq!(fake.assert_contract(&[ACCT]).await, 5);
}

/// Issue 10 item 9: a stand-in that serves 2 charges a page (with `has_more`) for a limit of 4
/// used to stop the history after the first page. Each customer's list is read on until the
/// limit is met or `has_more` is false, with `starting_after` and the remaining count.
#[tokio::test]
async fn payment_history_reads_on_past_short_pages_until_the_limit_or_the_end() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3), customer("cus_B", EMAIL, 2)], vec![]).await;
    let a = |i: i64| charge(&format!("ch_A{i}"), "cus_A", 100, 1_700_000_000 + i);
    let b = |i: i64| charge(&format!("ch_B{i}"), "cus_B", 100, 1_600_000_000 + i);
    mount_charges(&fake, ACCT, "cus_A", "4", vec![a(9), a(8)], true).await;
    fake.get("/v1/charges", &[("customer", "cus_A"), ("limit", "2"), ("starting_after", "ch_A8")])
        .respond_with(ok(list("/v1/charges", vec![a(7), a(6)], true)))
        .expect(1)
        .mount(&fake.server)
        .await;
    // cus_B: a short page, then the end of the list.
    mount_charges(&fake, ACCT, "cus_B", "4", vec![b(9)], true).await;
    fake.get("/v1/charges", &[("customer", "cus_B"), ("limit", "3"), ("starting_after", "ch_B9")])
        .respond_with(ok(list("/v1/charges", vec![b(8)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;

    let history =
        fake.client().account(&acct()).payment_history(EMAIL, PaymentOptions::default().limit(4)).await.unwrap();
    let ids: Vec<&str> = history.payments.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["ch_A9", "ch_A8", "ch_A7", "ch_A6"]);
    assert!(history.has_more);
    assert_eq!(fake.assert_contract(&[ACCT]).await, 6);
}

/// With full pages nothing extra is requested: one charges request per customer.
#[tokio::test]
async fn payment_history_with_full_pages_sends_one_request_per_customer() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    let a = |i: i64| charge(&format!("ch_A{i}"), "cus_A", 100, 1_700_000_000 + i);
    mount_charges(&fake, ACCT, "cus_A", "2", vec![a(9), a(8)], true).await;
    let history =
        fake.client().account(&acct()).payment_history(EMAIL, PaymentOptions::default().limit(2)).await.unwrap();
    assert_eq!(history.payments.len(), 2);
    assert!(history.has_more);
    assert_eq!(fake.assert_contract(&[ACCT]).await, 3);
}

#[tokio::test]
async fn payment_history_default_limit_is_25_and_no_customers_means_no_charge_requests() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![], vec![]).await;
    let history = fake.client().account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert!(history.payments.is_empty() && history.customer_ids.is_empty() && !history.has_more);
    assert_eq!(fake.assert_contract(&[ACCT]).await, 2, "no charges are asked for without a customer");

    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    mount_charges(&fake, ACCT, "cus_A", "25", vec![charge("ch_1", "cus_A", 100, 1)], false).await;
    assert_eq!(
        fake.client().account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap().payments.len(),
        1
    );
}

#[tokio::test]
async fn subscriptions_by_email_read_all_statuses_items_period_end_and_plan_names() {
    let fake = FakeStripe::start().await;
    mount_customers(
        &fake,
        ACCT,
        vec![customer("cus_A", EMAIL, 3)],
        vec![customer("cus_B", "JENNY.rosen@example.com", 2)],
    )
    .await;
    let mut canceled = subscription("sub_old", "cus_A", 100, Some("Legacy monthly"));
    canceled["status"] = json!("canceled");
    canceled["items"]["data"][0]["current_period_end"] = json!(null);
    canceled["current_period_end"] = json!(1_600_000_000); // the pre-2025-03-31 place
    mount_subscriptions(&fake, ACCT, "cus_A", vec![subscription("sub_new", "cus_A", 200, None), canceled]).await;
    mount_subscriptions(&fake, ACCT, "cus_B", vec![]).await;
    // The price has no nickname: the product's name, in one request for all products.
    fake.get("/v1/products", &[("ids[]", "prod_QXg1hqf4jFNsqG"), ("limit", "1")])
        .respond_with(ok(list("/v1/products", vec![object("product")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;

    let status = fake.client().account(&acct()).subscription_status(EMAIL).await.unwrap();
    assert_eq!(status.customer_ids, ["cus_A", "cus_B"]);
    let [new, old] = &status.subscriptions[..] else { panic!("{status:?}") };
    assert_eq!((new.id.as_str(), new.status.as_str()), ("sub_new", "active"));
    assert_eq!(new.current_period_end, Some(976_287_773), "read from items.data[]");
    assert_eq!(new.plan_name.as_deref(), Some("T-shirt"));
    assert_eq!(new.price_id.as_deref(), Some("price_1PgafmB7WZ01zgkW6dKueIc5"));
    assert_eq!((new.customer_id.as_deref(), new.canceled_at), (Some("cus_A"), Some(1_234_567_890)));
    assert_eq!((old.status.as_str(), old.current_period_end), ("canceled", Some(1_600_000_000)));
    assert_eq!(old.plan_name.as_deref(), Some("Legacy monthly"));
    let v = serde_json::to_value(new).unwrap();
    for k in ["currentPeriodEnd", "cancelAtPeriodEnd", "canceledAt", "planName", "priceId", "customerId"] {
        assert!(v.get(k).is_some(), "{k} missing from {v}");
    }
    assert_eq!(fake.assert_contract(&[ACCT]).await, 5);
}

#[tokio::test]
async fn a_failed_plan_name_lookup_keeps_the_subscriptions() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    mount_subscriptions(&fake, ACCT, "cus_A", vec![subscription("sub_new", "cus_A", 200, None)]).await;
    // A restricted key without product access: the name is a label, not worth the whole answer.
    fake.get("/v1/products", &[("ids[]", "prod_QXg1hqf4jFNsqG"), ("limit", "1")])
        .respond_with(stripe_error(403, "invalid_request_error", None, "no product access", None))
        .expect(1)
        .mount(&fake.server)
        .await;
    let status = fake.client().account(&acct()).subscription_status(EMAIL).await.unwrap();
    let [sub] = &status.subscriptions[..] else { panic!("{status:?}") };
    assert_eq!((sub.id.as_str(), sub.status.as_str(), sub.plan_name.as_deref()), ("sub_new", "active", None));
    assert_eq!(sub.current_period_end, Some(976_287_773));
}

#[tokio::test]
async fn subscriptions_for_a_customer_follow_has_more_to_the_second_page() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/subscriptions", &[("customer", "cus_A"), ("status", "all"), ("limit", "100")])
        .respond_with(ok(list("/v1/subscriptions", vec![subscription("sub_2", "cus_A", 2, Some("Pro"))], true)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get(
        "/v1/subscriptions",
        &[("customer", "cus_A"), ("status", "all"), ("limit", "100"), ("starting_after", "sub_2")],
    )
    .respond_with(ok(list("/v1/subscriptions", vec![subscription("sub_1", "cus_A", 1, Some("Basic"))], false)))
    .expect(1)
    .mount(&fake.server)
    .await;
    let subs = fake.client().account(&acct()).subscription_status(&CustomerId::parse("cus_A").unwrap()).await.unwrap();
    let names: Vec<_> = subs.subscriptions.iter().map(|s| s.plan_name.as_deref().unwrap()).collect();
    assert_eq!(names, ["Pro", "Basic"]);
    assert_eq!((subs.customer_ids, subs.search_fallback), (vec!["cus_A".to_string()], None));
    assert_eq!(fake.assert_contract(&[ACCT]).await, 2);
}

#[tokio::test]
async fn a_page_that_repeats_itself_is_bad_response_not_a_loop() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/disputes", &[("charge", "ch_1"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![dispute("dp_1", "ch_1", "won")], true)))
        .mount(&fake.server)
        .await;
    fake.get("/v1/disputes", &[("charge", "ch_1"), ("limit", "99"), ("starting_after", "dp_1")])
        .respond_with(ok(list("/v1/disputes", vec![dispute("dp_1", "ch_1", "won")], true)))
        .mount(&fake.server)
        .await;
    let err = fake.client().account(&acct()).disputes(&ChargeId::parse("ch_1").unwrap()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_bad_response");
}

/// Answers `GET /v1/charges/<id>` once with the fixture's charge, whose id it returns.
async fn mount_fixture_charge(fake: &FakeStripe) -> ChargeId {
    fake.get("/v1/charges/ch_1PgafuB7WZ01zgkWXYmPNZs8", &[])
        .respond_with(ok(object("charge")))
        .expect(1)
        .mount(&fake.server)
        .await;
    ChargeId::parse("ch_1PgafuB7WZ01zgkWXYmPNZs8").unwrap()
}

#[tokio::test]
async fn lookup_charge_returns_the_support_app_shape() {
    let fake = FakeStripe::start().await;
    let charge = mount_fixture_charge(&fake).await;
    let c = fake.client().account(&acct()).lookup_charge(&charge).await.unwrap();
    assert_eq!(
        (c.id.as_str(), c.amount, c.currency.as_str(), c.status.as_str()),
        ("ch_1PgafuB7WZ01zgkWXYmPNZs8", 100, "usd", "succeeded")
    );
    assert_eq!((c.refunded, c.customer_id.as_deref(), c.created), (false, None, 1_234_567_890));
    assert_eq!(c.description.as_deref(), Some("My First Test Charge (created for API docs)"));
    assert_eq!(c.paid, Some(true));
    let v = serde_json::to_value(&c).unwrap();
    for k in ["id", "amount", "currency", "status", "refunded", "customerId", "description", "created"] {
        assert!(v.get(k).is_some(), "{k} missing from {v}");
    }
    assert_eq!(fake.assert_contract(&[ACCT]).await, 1);
}

#[tokio::test]
async fn verify_refund_returns_status_amount_and_charge() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/refunds/re_1Pgc72B7WZ01zgkWqPvrRrPE", &[])
        .respond_with(ok(object("refund")))
        .expect(1)
        .mount(&fake.server)
        .await;
    let r = fake
        .client()
        .account(&acct())
        .verify_refund(&RefundId::parse("re_1Pgc72B7WZ01zgkWqPvrRrPE").unwrap())
        .await
        .unwrap();
    assert_eq!((r.status.as_deref(), r.amount, r.currency.as_str()), (Some("succeeded"), 100, "usd"));
    assert_eq!(
        (r.charge_id.as_deref(), r.reason.as_deref(), r.created),
        (Some("ch_1PgafuB7WZ01zgkWXYmPNZs8"), None, 1_234_567_890)
    );
    let v = serde_json::to_value(&r).unwrap();
    assert!(v.get("chargeId").is_some() && v["reason"].is_null(), "{v}");
    assert_eq!(fake.assert_contract(&[ACCT]).await, 1);
}

#[tokio::test]
async fn disputes_for_a_charge() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/disputes", &[("charge", "ch_1PgafuB7WZ01zgkWXYmPNZs8"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![object("dispute")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let ds = fake
        .client()
        .account(&acct())
        .disputes(&ChargeId::parse("ch_1PgafuB7WZ01zgkWXYmPNZs8").unwrap())
        .await
        .unwrap();
    let [d] = &ds.disputes[..] else { panic!("{ds:?}") };
    assert!(ds.search_fallback.is_none());
    assert_eq!((d.id.as_str(), d.amount, d.currency.as_str()), ("dp_1Pgc71B7WZ01zgkWMevJiAUx", 1000, "usd"));
    assert_eq!(
        (d.charge_id.as_deref(), d.reason.as_deref(), d.status.as_str()),
        (Some("ch_1PgafuB7WZ01zgkWXYmPNZs8"), Some("general"), "warning_needs_response")
    );
    assert_eq!((d.evidence_due_by, d.is_charge_refundable, d.created), (Some(1_723_679_999), true, 1_234_567_890));
    let v = serde_json::to_value(d).unwrap();
    assert!(v.get("evidenceDueBy").is_some() && v.get("isChargeRefundable").is_some(), "{v}");
    assert_eq!(fake.assert_contract(&[ACCT]).await, 1);
}

/// A charge of cus_A that Stripe flags as disputed.
fn disputed_charge(id: &str, created: i64) -> Value {
    let mut c = charge(id, "cus_A", 700, created);
    c["disputed"] = json!(true);
    c
}

#[tokio::test]
async fn disputes_for_an_email_come_from_the_dispute_page_and_ask_only_about_disputed_charges_it_misses() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 1)], vec![]).await;
    mount_charges(
        &fake,
        ACCT,
        "cus_A",
        "100",
        vec![disputed_charge("ch_D", 3), disputed_charge("ch_E", 2), charge("ch_ok", "cus_A", 100, 1)],
        false,
    )
    .await;
    // The page holds ch_D's dispute (and another customer's), not ch_E's: ch_E alone is asked about.
    fake.get("/v1/disputes", &[("created[gte]", "1"), ("limit", "100")])
        .respond_with(ok(list(
            "/v1/disputes",
            vec![dispute("dp_other", "ch_someone_else", "needs_response"), dispute("dp_1", "ch_D", "needs_response")],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut e = dispute("dp_2", "ch_E", "won");
    e["created"] = json!(5);
    fake.get("/v1/disputes", &[("charge", "ch_E"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![e], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let found = fake.client().account(&acct()).disputes(EMAIL).await.unwrap();
    assert_eq!(found.disputes.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dp_1", "dp_2"]);
    assert_eq!(found.disputes[0].charge_id.as_deref(), Some("ch_D"));
    // list + search + charges + dispute page + ch_E
    assert_eq!(fake.assert_contract(&[ACCT]).await, 5);
}

async fn store(apps: &[(&str, &str)]) -> Arc<MemoryConnectionStore> {
    let store = Arc::new(MemoryConnectionStore::new());
    for (slug, account) in apps {
        let c =
            Connection::new(AppSlug::parse(slug).unwrap(), AccountId::parse(account).unwrap(), false, Scope::ReadWrite);
        store.save(&c).await.unwrap();
    }
    store
}

/// One app with a customer, a disputed charge (one open dispute, one won) and a subscription. The
/// disputes come from the account's dispute page (which also holds a dispute on another customer's
/// charge); nothing is asked per charge.
async fn mount_happy_app(fake: &FakeStripe, account: &str) {
    mount_customers(fake, account, vec![customer("cus_A", EMAIL, 1)], vec![]).await;
    let mut disputed = charge("ch_D", "cus_A", 700, 3);
    disputed["disputed"] = json!(true);
    mount_charges(fake, account, "cus_A", "25", vec![disputed, charge("ch_ok", "cus_A", 100, 2)], false).await;
    mount_subscriptions(fake, account, "cus_A", vec![subscription("sub_1", "cus_A", 1, Some("Pro"))]).await;
    let paid = invoice("in_A", "cus_A", 3, "paid", vec![invoice_payment("inpay_A", "in_A", "pi_ok", 700, "paid", 3)]);
    let declined = payment_intent(
        "pi_declined",
        "cus_A",
        "requires_payment_method",
        Some(card_declined("expired_card", "ch_x")),
        4,
    );
    mount_context_billing(fake, account, "cus_A", vec![paid], vec![declined]).await;
    fake.get_for(account, "/v1/disputes", &[("created[gte]", "1"), ("limit", "100")])
        .respond_with(ok(list(
            "/v1/disputes",
            vec![
                dispute("dp_other", "ch_someone_else", "needs_response"),
                dispute("dp_open", "ch_D", "needs_response"),
                dispute("dp_won", "ch_D", "won"),
            ],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/products", &[("limit", "100")])
        .respond_with(ok(list("/v1/products", vec![object("product")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

#[tokio::test]
async fn customer_context_reports_each_app_and_one_failing_app_does_not_fail_the_others() {
    let fake = FakeStripe::start().await;
    mount_happy_app(&fake, "acct_happy").await;
    // Revoked: Stripe answers 401 for the connected account.
    for p in ["/v1/customers", "/v1/customers/search"] {
        let q: Vec<(&str, String)> = if p == "/v1/customers" {
            vec![("email", EMAIL.into()), ("limit", "100".into())]
        } else {
            vec![("query", email_search()), ("limit", "100".into())]
        };
        let q: Vec<(&str, &str)> = q.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fake.get_for("acct_revoked", p, &q)
            .respond_with(stripe_error(
                401,
                "invalid_request_error",
                Some("account_invalid"),
                "The provided key does not have access to account 'acct_revoked'",
                None,
            ))
            .mount(&fake.server)
            .await;
    }
    mount_customers(&fake, "acct_empty", vec![], vec![]).await;
    let connections =
        store(&[("a-happy", "acct_happy"), ("b-revoked", "acct_revoked"), ("c-empty", "acct_empty")]).await;
    let client = StripeConnect::builder(fake.config().build().unwrap()).connection_store(connections).build();

    let ctx = client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(ctx.email, EMAIL);
    let [happy, revoked, empty] = &ctx.apps[..] else { panic!("{ctx:?}") };
    assert_eq!((happy.app_slug.as_str(), happy.account_id.as_str(), &happy.error), ("a-happy", "acct_happy", &None));
    assert_eq!(happy.payments.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(), ["ch_D", "ch_ok"]);
    assert_eq!(happy.subscriptions[0].plan_name.as_deref(), Some("Pro"));
    assert_eq!(happy.open_disputes.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dp_open"]);
    let latest = happy.latest_invoice.as_ref().expect("the newest invoice");
    assert_eq!((latest.id.as_str(), latest.status.as_deref()), ("in_A", Some("paid")));
    assert_eq!(latest.payments[0].payment_intent_id.as_deref(), Some("pi_ok"));
    assert_eq!(happy.recent_failures, 1, "the declined payment intent");
    assert_eq!((revoked.latest_invoice.as_ref(), revoked.recent_failures), (None, 0));
    let failure = revoked.error.as_ref().expect("the revoked app reports its error");
    assert_eq!(
        (failure.code.as_str(), failure.status, failure.request_id.as_deref()),
        ("stripe_auth_failed", Some(401), Some("req_401"))
    );
    assert!(revoked.payments.is_empty() && revoked.customers.is_empty());
    assert_eq!((&empty.error, empty.customers.len(), empty.payments.len()), (&None, 0, 0));
    let v = serde_json::to_value(&ctx).unwrap();
    assert_eq!(v["apps"][1]["error"]["code"], "stripe_auth_failed");
    assert!(v["apps"][0].get("openDisputes").is_some() && v["apps"][0].get("appSlug").is_some(), "{v}");
    fake.assert_contract(&["acct_happy", "acct_revoked", "acct_empty"]).await;
}

struct BrokenStore;

#[async_trait::async_trait]
impl ConnectionStore for BrokenStore {
    async fn save(&self, _: &Connection) -> Result<(), stripe_connect::StoreError> {
        unreachable!()
    }
    async fn clear_by_account(&self, _: &AccountId) -> Result<Option<AppSlug>, stripe_connect::StoreError> {
        unreachable!()
    }
    async fn get_by_slug(&self, _: &AppSlug) -> Result<Option<Connection>, stripe_connect::StoreError> {
        unreachable!()
    }
    async fn list(&self) -> Result<Vec<Connection>, stripe_connect::StoreError> {
        Err(stripe_connect::StoreError::new("connections.list", "database is down"))
    }
}

#[tokio::test]
async fn customer_context_fails_only_when_the_store_cannot_list_the_apps() {
    let fake = FakeStripe::start().await;
    let client = StripeConnect::builder(fake.config().build().unwrap()).connection_store(Arc::new(BrokenStore)).build();
    assert_eq!(client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap_err().code(), "store_failed");
    let none = StripeConnect::new(fake.config().build().unwrap())
        .customer_context(EMAIL, PaymentOptions::default())
        .await
        .unwrap();
    assert!(none.apps.is_empty());
    assert!(fake.requests().await.is_empty());
}

#[tokio::test]
async fn a_hung_connections_store_times_out_the_customer_context() {
    let fake = FakeStripe::start().await;
    let config = fake.config().store_timeout(Duration::from_millis(50)).build().unwrap();
    let client = StripeConnect::builder(config).connection_store(Arc::new(crate::oauth::HungConnections)).build();
    let call = client.customer_context(EMAIL, PaymentOptions::default());
    let err = tokio::time::timeout(Duration::from_secs(5), call).await.expect("bounded").unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert!(err.to_string().contains("connections.list") && err.to_string().contains("timed out after 50 ms"));
    assert!(err.to_string().contains("(the store timeout)") && !err.to_string().contains("storeTimeoutMs"), "{err}");
    assert!(fake.requests().await.is_empty());
}

/// A client on a [`CannedStripe`] answering `answers` on every account, with one connection per
/// account.
async fn canned_context(
    answers: Vec<(&'static str, Query, Value)>,
    accounts: &[&str],
) -> (Arc<CannedStripe>, StripeConnect) {
    let mut stripe = CannedStripe::new(Duration::from_millis(10));
    for (path, query, body) in answers {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        stripe = stripe.route(path, &query, body);
    }
    let stripe = Arc::new(stripe);
    let slugs: Vec<(String, &str)> = accounts.iter().map(|a| (a.replace('_', "-"), *a)).collect();
    let apps: Vec<(&str, &str)> = slugs.iter().map(|(s, a)| (s.as_str(), *a)).collect();
    let client = stripe.builder(|c| c).connection_store(store(&apps).await).build();
    (stripe, client)
}

/// `(depth, path)` pairs, borrowed.
fn steps_of(steps: &[(usize, String)]) -> Vec<(usize, &str)> {
    steps.iter().map(|(d, p)| (*d, p.as_str())).collect()
}

/// The order is asserted on the requests' causal depth (see [`CannedStripe`]), not on a clock:
/// per app, depth 1 is the customers list and search together, depth 2 the charges and the
/// subscriptions together with the account's dispute page and product page, which answer for the
/// disputed charge and the plan without a price nickname: nothing waits for the charges. Asking
/// about the disputed charge or the product after the charges (the old third step) would make it
/// 3, fetching charges and subscriptions one after the other too, and running the apps one after
/// the other would keep fewer requests in flight at once than the apps have first steps.
#[tokio::test]
async fn customer_context_takes_two_round_trips_whatever_the_number_of_apps() {
    let accounts = ["acct_a1", "acct_a2", "acct_a3", "acct_a4", "acct_a5"];
    let (stripe, client) = canned_context(app_answers(), &accounts).await;

    let ctx = client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(ctx.apps.len(), accounts.len());
    for app in &ctx.apps {
        assert!(app.error.is_none(), "{app:?}");
        assert_eq!(app.open_disputes.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dp_open"], "{app:?}");
        assert_eq!(app.subscriptions[0].plan_name.as_deref(), Some("T-shirt"), "named from the product page");
    }

    let two_steps = [
        (1, "/v1/customers"),
        (1, "/v1/customers/search"),
        (2, "/v1/charges"),
        (2, "/v1/disputes"),
        (2, "/v1/invoices"),
        (2, "/v1/payment_intents"),
        (2, "/v1/products"),
        (2, "/v1/subscriptions"),
    ];
    for a in accounts {
        assert_eq!(
            steps_of(&stripe.steps(a)),
            two_steps,
            "{a}: customers (list + search) → charges + subscriptions + newest invoice + payment intents + dispute \
             page + product page"
        );
        assert_eq!(stripe.max_in_flight(a), 6, "{a}: the six requests of the second step are in flight together");
    }
    let round_trips = stripe.sent().iter().map(|s| s.depth).max();
    assert_eq!(round_trips, Some(2), "two round trips, for any number of apps");
    assert!(
        stripe.max_total_in_flight() >= 2 * accounts.len(),
        "the apps run concurrently: every app's first step is in flight at once"
    );
    for app in &ctx.apps {
        assert_eq!(app.latest_invoice.as_ref().map(|i| i.id.as_str()), Some("in_A"), "{app:?}");
        assert_eq!(app.recent_failures, 1, "{app:?}");
    }
    // 5 apps × (list + search + charges + subscriptions + invoice + payment intents + dispute page + product page)
    assert_eq!(stripe.assert_contract(&accounts), 40);
}

/// When the dispute page cannot answer for a disputed charge — it is full (`has_more`) and the
/// charge is older than its oldest dispute — that charge's disputes are asked for in a third
/// step, together with the name of a product the product page did not hold. Three round trips at
/// most, and the same answer as the common case.
#[tokio::test]
async fn customer_context_asks_per_charge_when_the_dispute_page_does_not_cover_the_charge() {
    let accounts = ["acct_b1", "acct_b2"];
    let mut answers = app_answers();
    for (path, query, body) in answers.iter_mut() {
        if *path == "/v1/disputes" && query.iter().any(|(k, _)| *k == "created[gte]") {
            // A full page of newer disputes on other charges: `ch_D` (created 2) is older.
            let mut newer = dispute("dp_newer", "ch_someone_else", "needs_response");
            newer["created"] = json!(50);
            *body = list("/v1/disputes", vec![newer], true);
        }
        if *path == "/v1/products" && query.iter().all(|(k, _)| *k == "limit") {
            *body = list("/v1/products", vec![], false);
        }
    }
    let (stripe, client) = canned_context(answers, &accounts).await;

    let ctx = client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    for app in &ctx.apps {
        assert!(app.error.is_none(), "{app:?}");
        assert_eq!(app.open_disputes.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dp_open"], "{app:?}");
        assert_eq!(app.subscriptions[0].plan_name.as_deref(), Some("T-shirt"), "named by `ids[]`");
    }
    let three_steps = [
        (1, "/v1/customers"),
        (1, "/v1/customers/search"),
        (2, "/v1/charges"),
        (2, "/v1/disputes"),
        (2, "/v1/invoices"),
        (2, "/v1/payment_intents"),
        (2, "/v1/products"),
        (2, "/v1/subscriptions"),
        (3, "/v1/disputes"),
        (3, "/v1/products"),
    ];
    for a in accounts {
        assert_eq!(steps_of(&stripe.steps(a)), three_steps, "{a}");
        let third: Vec<Vec<(String, String)>> =
            stripe.sent().into_iter().filter(|s| s.account == a && s.depth == 3).map(|s| s.query).collect();
        assert!(third.contains(&vec![("charge".into(), "ch_D".into()), ("limit".into(), "100".into())]), "{third:?}");
        assert!(third.iter().any(|q| q.iter().any(|(k, _)| k == "ids[]")), "{third:?}");
    }
    assert_eq!(stripe.sent().iter().map(|s| s.depth).max(), Some(3), "three round trips at most");
    assert_eq!(stripe.assert_contract(&accounts), 2 * 10);
}

/// The dispute page only answers for charges created since the customer was: a disputed charge
/// older than that (attached to the customer later), or one the page has no dispute for, is asked
/// about on its own; a charge the page answers for is not.
#[tokio::test]
async fn customer_context_asks_about_disputed_charges_older_than_the_page_or_missing_from_it() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 10)], vec![]).await;
    // ch_new (created 30) is answered by the page; ch_old (5) predates the customer (10);
    // ch_gone (20) is flagged but the page holds no dispute of it.
    mount_charges(
        &fake,
        ACCT,
        "cus_A",
        "25",
        vec![disputed_charge("ch_new", 30), disputed_charge("ch_gone", 20), disputed_charge("ch_old", 5)],
        false,
    )
    .await;
    mount_subscriptions(&fake, ACCT, "cus_A", vec![]).await;
    mount_context_billing(&fake, ACCT, "cus_A", vec![], vec![]).await;
    fake.get("/v1/disputes", &[("created[gte]", "10"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![dispute("dp_new", "ch_new", "needs_response")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/products", &[("limit", "100")])
        .respond_with(ok(list("/v1/products", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    for (ch, dp, status) in [("ch_old", "dp_old", "under_review"), ("ch_gone", "dp_gone", "lost")] {
        let mut d = dispute(dp, ch, status);
        d["created"] = json!(if ch == "ch_old" { 6 } else { 21 });
        fake.get("/v1/disputes", &[("charge", ch), ("limit", "100")])
            .respond_with(ok(list("/v1/disputes", vec![d], false)))
            .expect(1)
            .mount(&fake.server)
            .await;
    }
    fake.get("/v1/disputes", &[("charge", "ch_new"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![], false)))
        .expect(0)
        .mount(&fake.server)
        .await;
    let client =
        StripeConnect::builder(fake.config().build().unwrap()).connection_store(store(&[("app", ACCT)]).await).build();
    let ctx = client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    let [app] = &ctx.apps[..] else { panic!("{ctx:?}") };
    assert!(app.error.is_none(), "{app:?}");
    // dp_gone is lost (closed); the open ones newest first.
    assert_eq!(app.open_disputes.iter().map(|d| d.id.as_str()).collect::<Vec<_>>(), ["dp_new", "dp_old"]);
    // list + search + charges + subscriptions + invoice + payment intents + dispute page + product page
    // + 2 per-charge
    assert_eq!(fake.assert_contract(&[ACCT]).await, 10);
}

/// A query string's pairs.
type Query = Vec<(&'static str, String)>;

/// One app with one customer, a disputed charge with one open dispute, and a subscription whose
/// price has no nickname: the path, exact query and answer of each request of a customer context
/// (the account's dispute and product pages answer for the charge and the plan), and of the
/// per-charge and per-product requests the other queries make.
fn app_answers() -> Vec<(&'static str, Query, Value)> {
    let mut disputed = charge("ch_D", "cus_A", 700, 2);
    disputed["disputed"] = json!(true);
    let q = |pairs: &[(&'static str, &str)]| -> Query { pairs.iter().map(|(k, v)| (*k, v.to_string())).collect() };
    let open = || list("/v1/disputes", vec![dispute("dp_open", "ch_D", "needs_response")], false);
    vec![
        (
            "/v1/customers",
            q(&[("email", EMAIL), ("limit", "100")]),
            list("/v1/customers", vec![customer("cus_A", EMAIL, 1)], false),
        ),
        (
            "/v1/customers/search",
            q(&[("query", &email_search()), ("limit", "100")]),
            search("/v1/customers/search", vec![]),
        ),
        ("/v1/charges", q(&[("customer", "cus_A"), ("limit", "25")]), list("/v1/charges", vec![disputed], false)),
        (
            "/v1/subscriptions",
            q(&[("customer", "cus_A"), ("status", "all"), ("limit", "100")]),
            list("/v1/subscriptions", vec![subscription("sub_1", "cus_A", 1, None)], false),
        ),
        ("/v1/disputes", q(&[("created[gte]", "1"), ("limit", "100")]), open()),
        ("/v1/products", q(&[("limit", "100")]), list("/v1/products", vec![object("product")], false)),
        (
            "/v1/invoices",
            q(&[("customer", "cus_A"), ("expand[]", "data.payments"), ("limit", "1")]),
            list("/v1/invoices", vec![invoice("in_A", "cus_A", 2, "open", vec![])], false),
        ),
        (
            "/v1/payment_intents",
            q(&[("customer", "cus_A"), ("limit", "25")]),
            list(
                "/v1/payment_intents",
                vec![payment_intent(
                    "pi_D",
                    "cus_A",
                    "requires_payment_method",
                    Some(card_declined("do_not_honor", "ch_x")),
                    2,
                )],
                false,
            ),
        ),
        ("/v1/disputes", q(&[("charge", "ch_D"), ("limit", "100")]), open()),
        (
            "/v1/products",
            q(&[("ids[]", "prod_QXg1hqf4jFNsqG"), ("limit", "1")]),
            list("/v1/products", vec![object("product")], false),
        ),
    ]
}

/// [`app_answers`] on the wiremock server for `account`, any number of times.
async fn mount_app(fake: &FakeStripe, account: &str) {
    for (path, query, body) in app_answers() {
        let query: Vec<(&str, &str)> = query.iter().map(|(k, v)| (*k, v.as_str())).collect();
        fake.get_for(account, path, &query).respond_with(ok(body)).mount(&fake.server).await;
    }
}

#[tokio::test]
async fn bad_input_is_invalid_input_and_sends_nothing() {
    let fake = FakeStripe::start().await;
    let client = fake.client();
    let a = acct();
    for email in
        ["", "   ", "not-an-email", "@example.com", "jenny@", "a@b@c", "jen ny@example.com", "x\"@y.z", "a\\b@c.d"]
    {
        assert_eq!(
            client.account(&a).customers_by_email(email).await.unwrap_err().code(),
            "invalid_input",
            "{email:?}"
        );
        assert_eq!(
            client.account(&a).payment_history(email, PaymentOptions::default()).await.unwrap_err().code(),
            "invalid_input",
            "{email:?}"
        );
        assert_eq!(
            client.account(&a).subscription_status(email).await.unwrap_err().code(),
            "invalid_input",
            "{email:?}"
        );
        assert_eq!(client.account(&a).disputes(email).await.unwrap_err().code(), "invalid_input", "{email:?}");
        assert_eq!(
            client.customer_context(email, PaymentOptions::default()).await.unwrap_err().code(),
            "invalid_input",
            "{email:?}"
        );
    }
    for limit in [0, 101, 1000] {
        assert_eq!(
            client.account(&a).payment_history(EMAIL, PaymentOptions::default().limit(limit)).await.unwrap_err().code(),
            "invalid_input"
        );
        assert_eq!(
            client.customer_context(EMAIL, PaymentOptions::default().limit(limit)).await.unwrap_err().code(),
            "invalid_input"
        );
    }
    for bad in ["../charges", "ch_1/refunds", "ch_1?expand[]=customer", "ch_..", "re_1", ""] {
        assert_eq!(ChargeId::parse(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    for bad in ["re_../charges", "ch_1", "re_1%2F"] {
        assert_eq!(RefundId::parse(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    for bad in ["acct_1\r\nX-Evil: 1", "cus_1", "acct_"] {
        assert_eq!(AccountId::parse(bad).unwrap_err().code(), "invalid_input", "{bad:?}");
    }
    assert_eq!(CustomerId::parse("cus_1/../x").unwrap_err().code(), "invalid_input");
    assert!(fake.requests().await.is_empty(), "nothing may be sent for bad input");
}

/// No public query can send anything but GET: every one of them runs against a server whose
/// non-GET guard expects 0 requests (and the transport has no method to send anything else).
#[tokio::test]
async fn no_public_function_sends_anything_but_get_to_the_api() {
    let fake = FakeStripe::start().await;
    mount_app(&fake, ACCT).await;
    fake.get("/v1/charges/ch_D", &[]).respond_with(ok(charge("ch_D", "cus_A", 700, 2))).mount(&fake.server).await;
    fake.get("/v1/refunds/re_1", &[]).respond_with(ok(object("refund"))).mount(&fake.server).await;
    fake.get("/v1/charges", &[("customer", "cus_A"), ("limit", "100")])
        .respond_with(ok(list("/v1/charges", vec![], false)))
        .mount(&fake.server)
        .await;
    fake.get("/v1/invoices", &[("customer", "cus_A"), ("expand[]", "data.payments"), ("limit", "25")])
        .respond_with(ok(list("/v1/invoices", vec![], false)))
        .mount(&fake.server)
        .await;
    fake.get("/v1/refunds", &[("charge", "ch_D"), ("limit", "100")])
        .respond_with(ok(list("/v1/refunds", vec![], false)))
        .mount(&fake.server)
        .await;
    for q in [&[("limit", "100")][..], &[("charge", "ch_D"), ("limit", "100")][..]] {
        fake.get("/v1/radar/early_fraud_warnings", q)
            .respond_with(ok(list("/v1/radar/early_fraud_warnings", vec![], false)))
            .mount(&fake.server)
            .await;
    }
    let client =
        StripeConnect::builder(fake.config().build().unwrap()).connection_store(store(&[("app", ACCT)]).await).build();
    let (a, ch, cus) = (acct(), ChargeId::parse("ch_D").unwrap(), CustomerId::parse("cus_A").unwrap());
    client.account(&a).customers_by_email(EMAIL).await.unwrap();
    client.account(&a).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    client.account(&a).subscription_status(EMAIL).await.unwrap();
    client.account(&a).subscription_status(&cus).await.unwrap();
    client.account(&a).lookup_charge(&ch).await.unwrap();
    client.account(&a).verify_refund(&RefundId::parse("re_1").unwrap()).await.unwrap();
    client.account(&a).disputes(&ch).await.unwrap();
    client.account(&a).disputes(EMAIL).await.unwrap();
    client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    // Issue 24's queries.
    client.account(&a).invoices(EMAIL, ListOptions::default()).await.unwrap();
    client.account(&a).failed_payments(EMAIL, PaymentOptions::default()).await.unwrap();
    client.account(&a).refunds(&ch).await.unwrap();
    client.account(&a).early_fraud_warnings(&ch).await.unwrap();
    client.account(&a).early_fraud_warnings(EMAIL).await.unwrap();
    client.account(&a).billing_timeline(EMAIL, ListOptions::default()).await.unwrap();
    let requests = fake.requests().await;
    assert!(requests.len() >= 15);
    assert!(requests.iter().all(|r| r.method == wiremock::http::Method::GET));
    fake.assert_contract(&[ACCT]).await;
}

#[tokio::test]
async fn unknown_fields_and_new_status_values_parse() {
    let fake = FakeStripe::start().await;
    let mut c = object("charge");
    c["status"] = json!("a_status_from_2030");
    c["brand_new_field"] = json!({"nested": [1, 2, 3]});
    c["customer"] = json!({"id": "cus_expanded", "object": "customer"});
    fake.get("/v1/charges/ch_1PgafuB7WZ01zgkWXYmPNZs8", &[]).respond_with(ok(c)).mount(&fake.server).await;
    let got = fake
        .client()
        .account(&acct())
        .lookup_charge(&ChargeId::parse("ch_1PgafuB7WZ01zgkWXYmPNZs8").unwrap())
        .await
        .unwrap();
    assert_eq!((got.status.as_str(), got.customer_id.as_deref()), ("a_status_from_2030", Some("cus_expanded")));
}

#[tokio::test]
async fn a_404_on_lookup_is_not_found() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/refunds/re_missing", &[])
        .respond_with(stripe_error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            "No such refund: 're_missing'",
            Some("id"),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = fake.client().account(&acct()).verify_refund(&RefundId::parse("re_missing").unwrap()).await.unwrap_err();
    assert_eq!(
        (err.code().as_str(), err.stripe_code(), err.request_id()),
        ("stripe_not_found", Some("resource_missing"), Some("req_404"))
    );
}

/// Issue 20 item 9: `client.app(&slug)` resolves the app's connection into the same handle as
/// `client.account(&id)`, carrying the slug; the query then goes to that account.
#[tokio::test]
async fn an_app_handle_queries_the_apps_connected_account() {
    let fake = FakeStripe::start().await;
    let charge = mount_fixture_charge(&fake).await;
    let client = StripeConnect::builder(fake.config().build().unwrap())
        .connection_store(store(&[("helpdesk", ACCT)]).await)
        .build();
    let app = client.app(&AppSlug::parse("helpdesk").unwrap()).await.unwrap();
    assert_eq!((app.id().as_str(), app.app_slug().map(AppSlug::as_str)), (ACCT, Some("helpdesk")));
    assert_eq!(client.account(&acct()).app_slug(), None);
    let c = app.lookup_charge(&charge).await.unwrap();
    assert_eq!(c.id, charge.as_str());
    assert_eq!(fake.assert_contract(&[ACCT]).await, 1);

    let e = client.app(&AppSlug::parse("billing-bot").unwrap()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::AppNotConnected);
}

/// `.fresh()` on a handle (or a handle from a fresh client) bypasses the cache; the handle it
/// came from does not.
#[tokio::test]
async fn a_fresh_handle_is_fresh_and_leaves_its_source_as_it_was() {
    let fake = FakeStripe::start().await;
    let client = fake.client();
    let handle = client.account(&acct());
    assert!(!handle.is_fresh());
    assert!(handle.fresh().is_fresh());
    assert!(!handle.is_fresh());
    assert!(client.fresh().account(&acct()).is_fresh());
    assert_eq!(handle.fresh().id(), handle.id());
    let shown = format!("{:?}", handle.fresh());
    assert!(shown.contains(ACCT) && shown.contains("fresh: true"), "{shown}");
}

// ---- Issue 24: invoices, failed payments, refunds per payment, early fraud warnings, timeline ----

async fn mount_invoices(fake: &FakeStripe, customer: &str, limit: &str, invoices: Vec<Value>, has_more: bool) {
    fake.get("/v1/invoices", &[("customer", customer), ("expand[]", "data.payments"), ("limit", limit)])
        .respond_with(ok(list("/v1/invoices", invoices, has_more)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

async fn mount_intents(fake: &FakeStripe, customer: &str, limit: &str, intents: Vec<Value>) {
    fake.get("/v1/payment_intents", &[("customer", customer), ("limit", limit)])
        .respond_with(ok(list("/v1/payment_intents", intents, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

/// Basil (2025-03-31): an invoice names its payments (only when `expand[]=data.payments`) and its
/// subscription under `parent.subscription_details`; every customer with the email is covered.
#[tokio::test]
async fn invoices_by_email_expand_their_payments_and_cover_every_customer() {
    let fake = FakeStripe::start().await;
    mount_customers(
        &fake,
        ACCT,
        vec![customer("cus_A", EMAIL, 3)],
        vec![customer("cus_B", "jenny.rosen@example.COM", 2)],
    )
    .await;
    let paid = invoice(
        "in_A2",
        "cus_A",
        300,
        "paid",
        vec![
            invoice_payment("inpay_1", "in_A2", "pi_first", 4900, "canceled", 290),
            invoice_payment("inpay_2", "in_A2", "pi_second", 4900, "paid", 295),
        ],
    );
    let mut future_status = invoice("in_B1", "cus_B", 200, "a_status_stripe_adds_in_2031", vec![]);
    future_status["parent"] = json!(null);
    future_status["subscription"] = json!("sub_pre_basil");
    mount_invoices(&fake, "cus_A", "2", vec![paid, invoice("in_A1", "cus_A", 100, "void", vec![])], true).await;
    mount_invoices(&fake, "cus_B", "2", vec![future_status], false).await;

    let found = fake.client().account(&acct()).invoices(EMAIL, ListOptions::default().limit(2)).await.unwrap();
    assert_eq!(found.customer_ids, ["cus_A", "cus_B"]);
    assert_eq!(found.invoices.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(), ["in_A2", "in_B1"]);
    assert!(found.has_more, "cus_A has more, and in_A1 was cut");
    let i = &found.invoices[0];
    assert_eq!(
        (i.number.as_deref(), i.status.as_deref(), i.currency.as_str()),
        (Some("in_A2-0001"), Some("paid"), "usd")
    );
    assert_eq!((i.amount_due, i.amount_paid, i.amount_remaining), (1000, 0, 1000), "Stripe's fixture amounts");
    assert_eq!((i.period_start, i.period_end, i.created), (Some(300 - 2_592_000), Some(300), 300));
    assert_eq!(
        (i.billing_reason.as_deref(), i.subscription_id.as_deref()),
        (Some("subscription_cycle"), Some("sub_H"))
    );
    assert_eq!(i.hosted_invoice_url.as_deref(), Some("https://invoice.stripe.com/i/in_A2"));
    assert_eq!(i.invoice_pdf.as_deref(), Some("https://pay.stripe.com/invoice/in_A2/pdf"));
    assert_eq!(i.customer_id.as_deref(), Some("cus_A"));
    let payments: Vec<(&str, Option<&str>, Option<i64>, &str)> = i
        .payments
        .iter()
        .map(|p| (p.id.as_str(), p.payment_intent_id.as_deref(), p.amount_paid, p.status.as_str()))
        .collect();
    assert_eq!(
        payments,
        [("inpay_2", Some("pi_second"), Some(4900), "paid"), ("inpay_1", Some("pi_first"), None, "canceled")],
        "newest first; amount_paid is null until paid"
    );
    let b = &found.invoices[1];
    assert_eq!(b.status.as_deref(), Some("a_status_stripe_adds_in_2031"), "an unknown status is kept");
    assert_eq!(b.subscription_id.as_deref(), Some("sub_pre_basil"), "the pre-basil field is still read");
    let v = serde_json::to_value(&found).unwrap();
    for key in ["hostedInvoiceUrl", "invoicePdf", "amountRemaining", "billingReason", "subscriptionId", "payments"] {
        assert!(v["invoices"][0].get(key).is_some(), "{key}: {v}");
    }
    assert_eq!(v["invoices"][0]["payments"][0]["paymentIntentId"], "pi_second");
    assert_eq!(fake.assert_contract(&[ACCT]).await, 4);
}

#[tokio::test]
async fn invoices_of_one_customer_id_send_one_request() {
    let fake = FakeStripe::start().await;
    mount_invoices(&fake, "cus_A", "25", vec![invoice("in_1", "cus_A", 5, "open", vec![])], false).await;
    let cus = CustomerId::parse("cus_A").unwrap();
    let found = fake.client().account(&acct()).invoices(&cus, ListOptions::default()).await.unwrap();
    assert_eq!(
        (found.customer_ids.as_slice(), found.invoices.len(), found.has_more),
        (&["cus_A".to_string()][..], 1, false)
    );
    let requests = fake.requests().await;
    assert_eq!(requests.len(), 1);
    let expand: Vec<String> =
        requests[0].url.query_pairs().filter(|(k, _)| k == "expand[]").map(|(_, v)| v.into_owned()).collect();
    assert_eq!(expand, ["data.payments"], "payments come back only when expanded");
    fake.assert_contract(&[ACCT]).await;
}

/// A declined attempt is a payment intent back in `requires_payment_method` with a
/// `last_payment_error`, or one canceled after its failures, or a failed charge (also of an intent
/// that later succeeded); each once, with the issuer's decline code.
#[tokio::test]
async fn failed_payments_are_failed_intents_and_failed_charges_newest_first() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    mount_intents(
        &fake,
        "cus_A",
        "25",
        vec![
            payment_intent(
                "pi_waiting",
                "cus_A",
                "requires_payment_method",
                Some(card_declined("insufficient_funds", "ch_2")),
                400,
            ),
            payment_intent("pi_fresh", "cus_A", "requires_payment_method", None, 350),
            payment_intent("pi_paid", "cus_A", "succeeded", None, 300),
        ],
    )
    .await;
    let mut declined = charge("ch_2", "cus_A", 4900, 401);
    declined["status"] = json!("failed");
    declined["payment_intent"] = json!("pi_waiting");
    let mut first_try = charge("ch_1", "cus_A", 4900, 301);
    first_try["status"] = json!("failed");
    first_try["payment_intent"] = json!("pi_paid");
    first_try["failure_code"] = json!("card_declined");
    first_try["failure_message"] = json!("Your card was declined.");
    first_try["outcome"] =
        json!({"type": "issuer_declined", "reason": "do_not_honor", "network_status": "declined_by_network"});
    let mut retried = charge("ch_3", "cus_A", 4900, 302);
    retried["payment_intent"] = json!("pi_paid");
    mount_charges(&fake, ACCT, "cus_A", "25", vec![declined, retried, first_try], false).await;

    let found = fake.client().account(&acct()).failed_payments(EMAIL, PaymentOptions::default()).await.unwrap();
    type Row<'a> = (&'a str, Option<&'a str>, Option<&'a str>, &'a str, Option<&'a str>);
    let rows: Vec<Row> = found
        .failed_payments
        .iter()
        .map(|f| {
            (
                f.id.as_str(),
                f.payment_intent_id.as_deref(),
                f.charge_id.as_deref(),
                f.status.as_str(),
                f.decline_code.as_deref(),
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            ("pi_waiting", Some("pi_waiting"), Some("ch_2"), "requires_payment_method", Some("insufficient_funds")),
            ("ch_1", Some("pi_paid"), Some("ch_1"), "failed", Some("do_not_honor")),
        ]
    );
    let first = &found.failed_payments[1];
    assert_eq!(
        (first.failure_code.as_deref(), first.failure_message.as_deref()),
        (Some("card_declined"), Some("Your card was declined."))
    );
    assert_eq!((first.amount, first.currency.as_str(), first.created), (4900, "usd", 301));
    // The plain sentence and retry advice of Stripe's decline-code table.
    assert!(found.failed_payments[0].explanation.contains("enough funds"), "{:?}", found.failed_payments[0]);
    assert_eq!(found.failed_payments[0].retry, stripe_connect::RetryAdvice::AfterCustomerAction);
    assert!(first.explanation.contains("contact their bank"), "{first:?}");
    let v = serde_json::to_value(&found.failed_payments[0]).unwrap();
    assert_eq!(v["retry"], "after_customer_action");
    assert!(!found.has_more);
    assert_eq!(fake.assert_contract(&[ACCT]).await, 4);
}

#[tokio::test]
async fn refunds_of_a_charge_and_of_a_payment_intent() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/refunds", &[("charge", "ch_1"), ("limit", "100")])
        .respond_with(ok(list(
            "/v1/refunds",
            vec![refund("re_2", "ch_1", 500, 20), refund("re_1", "ch_1", 1000, 10)],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut on_intent = refund("re_3", "ch_9", 700, 30);
    on_intent["payment_intent"] = json!("pi_9");
    on_intent["status"] = json!("pending");
    fake.get("/v1/refunds", &[("payment_intent", "pi_9"), ("limit", "100")])
        .respond_with(ok(list("/v1/refunds", vec![on_intent], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let a = fake.client().account(&acct());
    let by_charge = a.refunds(&ChargeId::parse("ch_1").unwrap()).await.unwrap();
    assert_eq!(
        by_charge.refunds.iter().map(|r| (r.id.as_str(), r.amount)).collect::<Vec<_>>(),
        [("re_2", 500), ("re_1", 1000)]
    );
    assert_eq!((by_charge.refunds[0].status.as_deref(), by_charge.has_more), (Some("succeeded"), false));
    let by_intent = a.refunds(&PaymentIntentId::parse("pi_9").unwrap()).await.unwrap();
    let r = &by_intent.refunds[0];
    assert_eq!(
        (r.charge_id.as_deref(), r.payment_intent_id.as_deref(), r.status.as_deref()),
        (Some("ch_9"), Some("pi_9"), Some("pending"))
    );
    assert_eq!(fake.assert_contract(&[ACCT]).await, 2);
}

/// The warnings list has no customer filter: one page of the account's newest warnings answers for
/// the charges created since its oldest; older charges are asked about one by one, the newest 10
/// at most, and the rest are counted as unchecked.
#[tokio::test]
async fn early_fraud_warnings_by_email_are_bounded_and_by_charge_are_one_request() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    // ch_new (created 500) is covered by the full page (its oldest warning is from 400); the
    // 12 old charges (created 100..111) are not; one failed charge is never asked about.
    let mut charges = vec![charge("ch_new", "cus_A", 4900, 500)];
    charges.extend((0..12).rev().map(|i| charge(&format!("ch_old{i:02}"), "cus_A", 100, 100 + i)));
    let mut failed = charge("ch_failed", "cus_A", 100, 90);
    failed["status"] = json!("failed");
    charges.push(failed);
    mount_charges(&fake, ACCT, "cus_A", "100", charges, false).await;
    fake.get("/v1/radar/early_fraud_warnings", &[("limit", "100")])
        .respond_with(ok(list(
            "/v1/radar/early_fraud_warnings",
            vec![fraud_warning("issfr_new", "ch_new", 600), fraud_warning("issfr_other", "ch_someone_else", 400)],
            true,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    for i in 2..12 {
        let ch = format!("ch_old{i:02}");
        let found = if i == 11 { vec![fraud_warning("issfr_old", &ch, 120)] } else { vec![] };
        fake.get("/v1/radar/early_fraud_warnings", &[("charge", &ch), ("limit", "100")])
            .respond_with(ok(list("/v1/radar/early_fraud_warnings", found, false)))
            .expect(1)
            .mount(&fake.server)
            .await;
    }
    let a = fake.client().account(&acct());
    let found = a.early_fraud_warnings(EMAIL).await.unwrap();
    assert_eq!(found.warnings.iter().map(|w| w.id.as_str()).collect::<Vec<_>>(), ["issfr_new", "issfr_old"]);
    assert_eq!(found.unchecked_charges, 2, "ch_old00 and ch_old01: beyond the 10 lookups");
    let w = &found.warnings[0];
    assert_eq!((w.charge_id.as_deref(), w.fraud_type.as_str(), w.actionable), (Some("ch_new"), "misc", true));
    // list + search + charges + page + 10 lookups
    assert_eq!(fake.assert_contract(&[ACCT]).await, 14);

    let fake = FakeStripe::start().await;
    fake.get("/v1/radar/early_fraud_warnings", &[("charge", "ch_1"), ("limit", "100")])
        .respond_with(ok(list("/v1/radar/early_fraud_warnings", vec![fraud_warning("issfr_1", "ch_1", 5)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/radar/early_fraud_warnings", &[("payment_intent", "pi_1"), ("limit", "100")])
        .respond_with(ok(list("/v1/radar/early_fraud_warnings", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let a = fake.client().account(&acct());
    let one = a.early_fraud_warnings(&ChargeId::parse("ch_1").unwrap()).await.unwrap();
    assert_eq!((one.warnings.len(), one.unchecked_charges), (1, 0));
    let none = a.early_fraud_warnings(&PaymentIntentId::parse("pi_1").unwrap()).await.unwrap();
    assert!(none.warnings.is_empty());
    assert_eq!(fake.assert_contract(&[ACCT]).await, 2);
}

/// One list, newest first, across charges, refunds, disputes, invoices, failed attempts and fraud
/// warnings; a failed charge is a failed attempt, never also a charge.
#[tokio::test]
async fn billing_timeline_merges_everything_newest_first() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 3)], vec![]).await;
    let mut refunded = charge("ch_R", "cus_A", 1500, 300);
    refunded["amount_refunded"] = json!(1500);
    refunded["refunded"] = json!(true);
    let mut disputed = charge("ch_D", "cus_A", 12000, 200);
    disputed["disputed"] = json!(true);
    let mut failed = charge("ch_F", "cus_A", 4900, 400);
    failed["status"] = json!("failed");
    failed["outcome"] = json!({"type": "issuer_declined", "reason": "insufficient_funds"});
    mount_charges(&fake, ACCT, "cus_A", "10", vec![failed, refunded, disputed], false).await;
    mount_intents(&fake, "cus_A", "10", vec![payment_intent("pi_3ds", "cus_A", "requires_action", None, 450)]).await;
    mount_invoices(&fake, "cus_A", "10", vec![invoice("in_1", "cus_A", 250, "paid", vec![])], false).await;
    fake.get("/v1/disputes", &[("created[gte]", "3"), ("limit", "100")])
        .respond_with(ok(list(
            "/v1/disputes",
            vec![{
                let mut d = dispute("dp_1", "ch_D", "prevented");
                d["created"] = json!(260);
                d
            }],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/radar/early_fraud_warnings", &[("limit", "100")])
        .respond_with(ok(list("/v1/radar/early_fraud_warnings", vec![fraud_warning("issfr_1", "ch_D", 210)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/refunds", &[("charge", "ch_R"), ("limit", "100")])
        .respond_with(ok(list("/v1/refunds", vec![refund("re_1", "ch_R", 1500, 310)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;

    let t = fake.client().account(&acct()).billing_timeline(EMAIL, ListOptions::default().limit(10)).await.unwrap();
    type Line<'a> = (i64, &'a str, &'a str, Option<i64>, Option<&'a str>);
    let lines: Vec<Line> =
        t.entries.iter().map(|e| (e.at, e.kind.as_str(), e.id.as_str(), e.amount, e.status.as_deref())).collect();
    assert_eq!(
        lines,
        [
            (400, "failed_payment", "ch_F", Some(4900), Some("failed")),
            (310, "refund", "re_1", Some(1500), Some("succeeded")),
            (300, "charge", "ch_R", Some(1500), Some("succeeded")),
            (260, "dispute", "dp_1", Some(1000), Some("prevented")),
            (250, "invoice", "in_1", Some(1000), Some("paid")),
            (210, "fraud_warning", "issfr_1", Some(12000), Some("misc")),
            (200, "charge", "ch_D", Some(12000), Some("succeeded")),
        ],
        "the 3DS intent is waiting for the customer, not failed"
    );
    assert!(t.entries.iter().all(|e| e.currency.as_deref() == Some("usd")));
    assert!(!t.has_more);
    // list + search + charges + intents + invoices + dispute page + fraud page + refunds of ch_R
    assert_eq!(fake.assert_contract(&[ACCT]).await, 8);
    let v = serde_json::to_value(&t.entries[0]).unwrap();
    assert_eq!(
        v,
        json!({"at": 400, "kind": "failed_payment", "id": "ch_F", "amount": 4900, "currency": "usd", "status": "failed"})
    );
}

#[tokio::test]
async fn the_new_queries_refuse_bad_input_and_send_nothing() {
    let fake = FakeStripe::start().await; // no mocks: any request fails the test
    let a = fake.client().account(&acct());
    let code = |e: stripe_connect::Error| e.code();
    for email in ["", "not-an-email", "a\"b@c.d"] {
        assert_eq!(code(a.invoices(email, ListOptions::default()).await.unwrap_err()), ErrorCode::InvalidInput);
        assert_eq!(
            code(a.failed_payments(email, PaymentOptions::default()).await.unwrap_err()),
            ErrorCode::InvalidInput
        );
        assert_eq!(code(a.early_fraud_warnings(email).await.unwrap_err()), ErrorCode::InvalidInput);
        assert_eq!(code(a.billing_timeline(email, ListOptions::default()).await.unwrap_err()), ErrorCode::InvalidInput);
    }
    for limit in [0, 101] {
        let e = a.invoices(EMAIL, ListOptions::default().limit(limit)).await.unwrap_err();
        assert_eq!(code(e), ErrorCode::InvalidInput);
        let e = a.billing_timeline(EMAIL, ListOptions::default().limit(limit)).await.unwrap_err();
        assert!(e.to_string().contains("must be 1 to 100"), "{e}");
        assert_eq!(
            code(a.failed_payments(EMAIL, PaymentOptions::default().limit(limit)).await.unwrap_err()),
            ErrorCode::InvalidInput
        );
    }
    for bad in ["ch_1", "pi_", "pi_1/../refunds", "pi_1?expand[]=x"] {
        assert_eq!(code(PaymentIntentId::parse(bad).unwrap_err()), ErrorCode::InvalidInput, "{bad}");
    }
    assert_eq!(
        code(stripe_connect::RefundsOf::one_of(Some("pi_1".into()), None).unwrap_err()),
        ErrorCode::InvalidInput
    );
    assert!(fake.requests().await.is_empty(), "nothing may be sent for bad input");
}

/// The latest invoice and the failure count are best effort: a key that may not read invoices or
/// payment intents (403) leaves them empty, and the rest of the app's context still answers.
#[tokio::test]
async fn customer_context_keeps_the_app_when_invoices_or_payment_intents_cannot_be_read() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, ACCT, vec![customer("cus_A", EMAIL, 1)], vec![]).await;
    let mut failed = charge("ch_F", "cus_A", 700, 3);
    failed["status"] = json!("failed");
    mount_charges(&fake, ACCT, "cus_A", "25", vec![failed], false).await;
    mount_subscriptions(&fake, ACCT, "cus_A", vec![]).await;
    let denied = || {
        stripe_error(
            403,
            "invalid_request_error",
            None,
            "The provided key does not have the required permissions",
            None,
        )
    };
    fake.get("/v1/invoices", &[("customer", "cus_A"), ("expand[]", "data.payments"), ("limit", "1")])
        .respond_with(denied())
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/payment_intents", &[("customer", "cus_A"), ("limit", "25")])
        .respond_with(denied())
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/disputes", &[("created[gte]", "1"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/products", &[("limit", "100")])
        .respond_with(ok(list("/v1/products", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let client =
        StripeConnect::builder(fake.config().build().unwrap()).connection_store(store(&[("app", ACCT)]).await).build();
    let ctx = client.customer_context(EMAIL, PaymentOptions::default()).await.unwrap();
    let [app] = &ctx.apps[..] else { panic!("{ctx:?}") };
    assert!(app.error.is_none(), "{app:?}");
    assert_eq!(app.payments.len(), 1);
    assert_eq!((app.latest_invoice.as_ref(), app.recent_failures), (None, 1), "the failed charge still counts");
    fake.assert_contract(&[ACCT]).await;
}
