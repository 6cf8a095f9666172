//! The agent tools against a wiremock Stripe: each tool's requests and compact result, arguments a
//! model gets wrong (an error result, nothing sent), the caller's scope, the 4 KB budget,
//! zero-decimal amounts, and `verify_refund`'s discrepancies.
//!
//! "Nothing sent" is enforced by [`FakeStripe`]'s guards: any request no mock expected fails the
//! test when the server drops.

use std::sync::Arc;

use serde_json::{json, Value};
use stripe_connect::{
    tool_definitions, AccountId, AppSlug, Connection, ConnectionStore, MemoryConnectionStore, Scope, StripeConnect,
    ToolResult, ToolScope, ERROR_CODES,
};

use crate::fake_stripe::{
    card_declined, charge, customer, dispute, invoice, invoice_payment, list, object, ok, payment_intent, search,
    stripe_error, subscription, FakeStripe,
};

const EMAIL: &str = "jane@example.com";
const HELPDESK: &str = "acct_1Helpdesk";
const BILLING: &str = "acct_1BillingBot";

async fn client(fake: &FakeStripe, apps: &[(&str, &str)]) -> StripeConnect {
    let store = Arc::new(MemoryConnectionStore::new());
    for (slug, account) in apps {
        let c =
            Connection::new(AppSlug::parse(slug).unwrap(), AccountId::parse(account).unwrap(), false, Scope::ReadWrite);
        store.save(&c).await.unwrap();
    }
    StripeConnect::builder(fake.config().build().unwrap()).connection_store(store).build()
}

fn scope(apps: &[&str]) -> ToolScope {
    ToolScope::new(apps).unwrap()
}

fn data(r: &ToolResult) -> Value {
    r.data().unwrap_or_else(|| panic!("expected success, got {}", r.to_json()))
}

fn error_code(r: &ToolResult) -> &'static str {
    r.error().unwrap_or_else(|| panic!("expected an error, got {}", r.to_json())).code
}

async fn mount_customers(fake: &FakeStripe, account: &str, found: Vec<Value>) {
    fake.get_for(account, "/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", found.clone(), false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/customers/search", &[("query", &format!("email:\"{EMAIL}\"")), ("limit", "100")])
        .respond_with(ok(search("/v1/customers/search", found)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

fn described(mut c: Value, description: &str, currency: &str) -> Value {
    c["description"] = json!(description);
    c["currency"] = json!(currency);
    c
}

/// The demo's customer on helpdesk: three charges (one refunded), an active subscription.
async fn mount_helpdesk(fake: &FakeStripe, charges_limit: &str) {
    mount_customers(fake, HELPDESK, vec![customer("cus_H", EMAIL, 10)]).await;
    let mut seats = described(charge("ch_H3", "cus_H", 1500, 300), "Extra seats", "usd");
    seats["refunded"] = json!(true);
    seats["amount_refunded"] = json!(1500);
    let charges = vec![
        seats,
        described(charge("ch_H2", "cus_H", 4900, 200), "Helpdesk Pro (monthly)", "usd"),
        described(charge("ch_H1", "cus_H", 4900, 100), "Helpdesk Pro (monthly)", "usd"),
    ];
    fake.get_for(HELPDESK, "/v1/charges", &[("customer", "cus_H"), ("limit", charges_limit)])
        .respond_with(ok(list("/v1/charges", charges, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/subscriptions", &[("customer", "cus_H"), ("status", "all"), ("limit", "100")])
        .respond_with(ok(list(
            "/v1/subscriptions",
            vec![subscription("sub_H", "cus_H", 50, Some("Helpdesk Pro"))],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    let paid =
        invoice("in_H2", "cus_H", 200, "paid", vec![invoice_payment("inpay_H2", "in_H2", "pi_H2", 4900, "paid", 200)]);
    mount_context_billing(fake, HELPDESK, "cus_H", charges_limit, paid, vec![]).await;
}

/// The newest invoice and the newest payment intents the customer context reads per customer.
async fn mount_context_billing(
    fake: &FakeStripe,
    account: &str,
    customer: &str,
    limit: &str,
    inv: Value,
    pis: Vec<Value>,
) {
    fake.get_for(account, "/v1/invoices", &[("customer", customer), ("expand[]", "data.payments"), ("limit", "1")])
        .respond_with(ok(list("/v1/invoices", vec![inv], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/payment_intents", &[("customer", customer), ("limit", limit)])
        .respond_with(ok(list("/v1/payment_intents", pis, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

/// The account-wide pages the customer context reads alongside the charges.
async fn mount_context_pages(fake: &FakeStripe, account: &str, since: &str, disputes: Vec<Value>) {
    fake.get_for(account, "/v1/disputes", &[("created[gte]", since), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", disputes, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(account, "/v1/products", &[("limit", "100")])
        .respond_with(ok(list("/v1/products", vec![object("product")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

/// The demo's customer on billing-bot: a disputed €120.00 charge, a failed one, a past_due plan.
async fn mount_billing(fake: &FakeStripe) {
    mount_customers(fake, BILLING, vec![customer("cus_B", EMAIL, 20)]).await;
    let mut disputed = described(charge("ch_B1", "cus_B", 12000, 250), "Billing bot Team", "eur");
    disputed["disputed"] = json!(true);
    let mut failed = described(charge("ch_B2", "cus_B", 12000, 400), "Billing bot Team (retry)", "eur");
    failed["status"] = json!("failed");
    fake.get_for(BILLING, "/v1/charges", &[("customer", "cus_B"), ("limit", "10")])
        .respond_with(ok(list("/v1/charges", vec![failed, disputed], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut sub = subscription("sub_B", "cus_B", 60, Some("Billing bot Team"));
    sub["status"] = json!("past_due");
    fake.get_for(BILLING, "/v1/subscriptions", &[("customer", "cus_B"), ("status", "all"), ("limit", "100")])
        .respond_with(ok(list("/v1/subscriptions", vec![sub], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut open = invoice("in_B", "cus_B", 400, "open", vec![]);
    open["currency"] = json!("eur");
    open["amount_due"] = json!(12000);
    open["amount_remaining"] = json!(12000);
    let retry = payment_intent(
        "pi_B2",
        "cus_B",
        "requires_payment_method",
        Some(card_declined("insufficient_funds", "ch_B2")),
        399,
    );
    mount_context_billing(fake, BILLING, "cus_B", "10", open, vec![retry]).await;
    let mut d = dispute("dp_B", "ch_B1", "needs_response");
    d["amount"] = json!(12000);
    d["currency"] = json!("eur");
    mount_context_pages(fake, BILLING, "20", vec![d]).await;
}

#[tokio::test]
async fn get_customer_context_covers_the_scope_only_compactly_and_under_4_kb() {
    let fake = FakeStripe::start().await;
    mount_helpdesk(&fake, "10").await;
    mount_context_pages(&fake, HELPDESK, "10", vec![]).await;
    mount_billing(&fake).await;
    // A third connected app outside the scope: never asked (the guards fail on any request to it).
    let c = client(&fake, &[("helpdesk", HELPDESK), ("billing-bot", BILLING), ("other-app", "acct_1Other")]).await;
    let r = c.call_tool("get_customer_context", &json!({"email": EMAIL}), &scope(&["helpdesk", "billing-bot"])).await;
    let d = &data(&r);
    assert_eq!(d["email"], EMAIL);
    let apps: Vec<&str> = d["apps"].as_array().unwrap().iter().map(|a| a["appSlug"].as_str().unwrap()).collect();
    assert_eq!(apps, ["helpdesk", "billing-bot"], "the scope's apps, in the scope's order");
    let h = &d["apps"][0];
    assert_eq!(h["payments"]["count"], 3);
    assert_eq!(h["payments"]["truncated"], false);
    assert_eq!(h["payments"]["items"][0]["amountFormatted"], "$15.00");
    assert_eq!(h["payments"]["items"][0]["refunded"], true);
    assert_eq!(h["subscriptions"]["items"][0]["planName"], "Helpdesk Pro");
    assert!(h["error"].is_null());
    let b = &d["apps"][1];
    assert_eq!(b["openDisputes"]["items"][0]["amountFormatted"], "€120.00");
    assert_eq!(b["openDisputes"]["items"][0]["open"], true);
    assert_eq!(b["subscriptions"]["items"][0]["status"], "past_due");
    // Issue 24: the newest invoice (a summary) and the count of recent failed attempts, per app.
    assert_eq!(
        h["latestInvoice"],
        json!({"id": "in_H2", "status": "paid", "amountDue": 1000, "amountDueFormatted": "$10.00", "currency": "usd",
            "created": 200})
    );
    assert_eq!(h["recentFailures"], 0);
    assert_eq!(b["latestInvoice"]["amountDueFormatted"], "€120.00");
    assert_eq!(b["recentFailures"], 1, "the declined intent and its failed charge are one attempt");
    let text = r.to_json();
    // Keys in their documented order: ids first, a list's count and truncated before its items.
    assert!(
        text.starts_with(r#"{"success":true,"data":{"email":"jane@example.com","apps":[{"appSlug":"helpdesk""#),
        "{text}"
    );
    assert!(
        text.contains(
            r#""payments":{"count":3,"truncated":false,"items":[{"id":"ch_H3","amount":1500,"amountFormatted":"$15.00""#
        ),
        "{text}"
    );
    assert!(text.len() < 4096, "{} bytes: {text}", text.len());
    for banned in ["acct_", "fingerprint", "address", "metadata", "receipt_url", "billing_details"] {
        assert!(!text.contains(banned), "{banned} in {text}");
    }
    assert!(r.to_value()["fetchedAt"].as_i64().unwrap() > 1_700_000_000);
    fake.assert_contract(&[HELPDESK, BILLING]).await;
}

#[tokio::test]
async fn get_customer_context_reports_an_unconnected_app_in_its_entry() {
    let fake = FakeStripe::start().await;
    mount_billing(&fake).await;
    let c = client(&fake, &[("billing-bot", BILLING)]).await;
    let r =
        c.call_tool("get_customer_context", &json!({"email": EMAIL}), &scope(&["status-page", "billing-bot"])).await;
    let d = &data(&r);
    assert_eq!(d["apps"][0]["appSlug"], "status-page");
    assert_eq!(d["apps"][0]["error"]["code"], "app_not_connected");
    assert_eq!(d["apps"][0]["error"]["retryable"], false);
    assert!(d["apps"][0]["latestInvoice"].is_null() && d["apps"][0]["recentFailures"] == 0);
    assert!(d["apps"][1]["error"].is_null());
}

#[tokio::test]
async fn get_payment_history_is_capped_with_truncated_and_count() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, HELPDESK, vec![customer("cus_H", EMAIL, 10)]).await;
    let charges: Vec<Value> = (0..2).map(|i| charge(&format!("ch_{i}"), "cus_H", 5000, 100 - i)).collect();
    fake.get_for(HELPDESK, "/v1/charges", &[("customer", "cus_H"), ("limit", "2")])
        .respond_with(ok(list("/v1/charges", charges, true)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let r = c.call_tool("get_payment_history", &json!({"email": EMAIL, "limit": 2}), &scope(&["helpdesk"])).await;
    let d = &data(&r);
    assert_eq!(d["appSlug"], "helpdesk");
    assert_eq!(d["customerCount"], 1);
    assert_eq!((d["payments"]["count"].as_u64(), d["payments"]["truncated"].as_bool()), (Some(2), Some(true)));
    assert_eq!(d["payments"]["items"][0]["id"], "ch_0");
    assert!(d.get("warning").is_none(), "no warning when the search worked: {d}");
    fake.assert_contract(&[HELPDESK]).await;
}

#[tokio::test]
async fn zero_decimal_amounts_are_whole_units() {
    let fake = FakeStripe::start().await;
    let mut yen = charge("ch_JP", "cus_J", 5000, 100);
    yen["currency"] = json!("jpy");
    fake.get_for(HELPDESK, "/v1/charges/ch_JP", &[]).respond_with(ok(yen)).expect(1).mount(&fake.server).await;
    let mut part = crate::fake_stripe::refund("re_JP", "ch_JP", 2000, 150);
    part["currency"] = json!("jpy");
    fake.get_for(HELPDESK, "/v1/refunds", &[("charge", "ch_JP"), ("limit", "100")])
        .respond_with(ok(list("/v1/refunds", vec![part], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let r = c.call_tool("lookup_charge", &json!({"chargeId": "ch_JP"}), &scope(&["helpdesk"])).await;
    let d = data(&r);
    let ch = &d["charge"];
    assert_eq!((ch["amount"].as_i64(), ch["amountFormatted"].as_str()), (Some(5000), Some("¥5000")));
    assert_eq!(ch["customerId"], "cus_J");
    // Issue 24: the charge's refunds, each with its own status, in the same answer.
    let refunds = &d["refunds"];
    assert_eq!((refunds["count"].as_u64(), refunds["truncated"].as_bool()), (Some(1), Some(false)));
    assert_eq!(
        refunds["items"][0],
        json!({"id": "re_JP", "status": "succeeded", "amount": 2000, "amountFormatted": "¥2000", "currency": "jpy",
            "reason": null, "created": 150})
    );
    fake.assert_contract(&[HELPDESK]).await;
}

#[tokio::test]
async fn get_subscription_status_and_get_disputes() {
    let fake = FakeStripe::start().await;
    mount_billing_customer_only(&fake).await;
    let c = client(&fake, &[("billing-bot", BILLING)]).await;
    let s = scope(&["billing-bot"]);
    let r = c.call_tool("get_subscription_status", &json!({"email": EMAIL, "appSlug": "billing-bot"}), &s).await;
    let d = &data(&r);
    assert_eq!(d["subscriptions"]["items"][0]["status"], "past_due");
    assert_eq!(d["subscriptions"]["items"][0]["planName"], "Billing bot Team");
    assert_eq!(d["subscriptions"]["count"], 1);

    let r = c.call_tool("get_disputes", &json!({"chargeId": "ch_B1"}), &s).await;
    let d = &data(&r);
    assert_eq!(d["disputes"]["items"][0]["id"], "dp_B");
    assert_eq!(d["disputes"]["items"][0]["open"], true);
    assert_eq!(d["disputes"]["count"], 1);
    fake.assert_contract(&[BILLING]).await;
}

async fn mount_billing_customer_only(fake: &FakeStripe) {
    mount_customers(fake, BILLING, vec![customer("cus_B", EMAIL, 20)]).await;
    let mut sub = subscription("sub_B", "cus_B", 60, Some("Billing bot Team"));
    sub["status"] = json!("past_due");
    fake.get_for(BILLING, "/v1/subscriptions", &[("customer", "cus_B"), ("status", "all"), ("limit", "100")])
        .respond_with(ok(list("/v1/subscriptions", vec![sub], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(BILLING, "/v1/disputes", &[("charge", "ch_B1"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![dispute("dp_B", "ch_B1", "needs_response")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
}

#[tokio::test]
async fn get_disputes_by_email() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, BILLING, vec![customer("cus_B", EMAIL, 20)]).await;
    let mut disputed = charge("ch_B1", "cus_B", 12000, 250);
    disputed["disputed"] = json!(true);
    fake.get_for(BILLING, "/v1/charges", &[("customer", "cus_B"), ("limit", "100")])
        .respond_with(ok(list("/v1/charges", vec![disputed], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(BILLING, "/v1/disputes", &[("created[gte]", "20"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![dispute("dp_B", "ch_B1", "won")], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("billing-bot", BILLING)]).await;
    let r = c.call_tool("get_disputes", &json!({"email": EMAIL}), &scope(&["billing-bot"])).await;
    let d = &data(&r);
    assert_eq!(
        (d["disputes"]["items"][0]["id"].as_str(), d["disputes"]["items"][0]["open"].as_bool()),
        (Some("dp_B"), Some(false))
    );
    fake.assert_contract(&[BILLING]).await;
}

#[tokio::test]
async fn verify_refund_verifies_or_lists_discrepancies() {
    let fake = FakeStripe::start().await;
    let good = object("refund"); // succeeded, 100 usd, on ch_1PgafuB7WZ01zgkWXYmPNZs8
    fake.get_for(HELPDESK, "/v1/refunds/re_1Good", &[])
        .respond_with(ok(good.clone()))
        .expect(3)
        .mount(&fake.server)
        .await;
    let mut pending = good.clone();
    pending["status"] = json!("pending");
    fake.get_for(HELPDESK, "/v1/refunds/re_1Pending", &[])
        .respond_with(ok(pending))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/refunds/re_1Missing", &[])
        .respond_with(stripe_error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            "No such refund: 're_1Missing'",
            Some("id"),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let s = scope(&["helpdesk"]);
    let call = |args: Value| {
        let c = c.clone();
        let s = s.clone();
        async move { c.call_tool("verify_refund", &args, &s).await }
    };
    let codes = |d: &Value| -> Vec<String> {
        d["discrepancies"].as_array().unwrap().iter().map(|x| x["code"].as_str().unwrap().to_string()).collect()
    };

    let r =
        call(json!({"refundId": "re_1Good", "expectedAmount": 100, "chargeId": "ch_1PgafuB7WZ01zgkWXYmPNZs8"})).await;
    let d = &data(&r);
    assert_eq!(
        (d["verified"].as_bool(), d["status"].as_str(), d["amountFormatted"].as_str()),
        (Some(true), Some("succeeded"), Some("$1.00"))
    );
    assert!(codes(d).is_empty());

    let r = call(json!({"refundId": "re_1Good", "expectedAmount": 1500, "chargeId": "ch_1Other"})).await;
    let d = &data(&r);
    assert_eq!(
        (d["verified"].as_bool(), codes(d)),
        (Some(false), vec!["amount_mismatch".to_string(), "charge_mismatch".to_string()])
    );
    assert!(d["discrepancies"][0]["message"].as_str().unwrap().contains("$15.00"));

    let r = call(json!({"refundId": "re_1Good"})).await;
    assert_eq!(data(&r)["verified"], true, "nothing expected: verified on status alone");

    let r = call(json!({"refundId": "re_1Pending", "expectedAmount": 100})).await;
    assert_eq!(codes(&data(&r)), ["refund_pending"]);

    let r = call(json!({"refundId": "re_1Missing"})).await;
    let d = &data(&r);
    assert_eq!((d["verified"].as_bool(), codes(d)), (Some(false), vec!["refund_not_found".to_string()]));
    assert!(d["amount"].is_null() && d["chargeId"].is_null());
    fake.assert_contract(&[HELPDESK]).await;
}

#[tokio::test]
async fn list_connected_apps_names_apps_by_slug_only() {
    let fake = FakeStripe::start().await;
    let c = client(&fake, &[("helpdesk", HELPDESK), ("billing-bot", BILLING)]).await;
    let r = c.call_tool("list_connected_apps", &json!({}), &scope(&["helpdesk", "status-page"])).await;
    assert_eq!(
        data(&r),
        json!({"apps": [
            {"appSlug": "helpdesk", "connected": true, "livemode": false},
            {"appSlug": "status-page", "connected": false, "livemode": null}
        ]})
    );
    assert!(!r.to_json().contains("acct_") && !r.to_json().contains("billing-bot"));
    assert_eq!(fake.requests().await.len(), 0);
}

#[tokio::test]
async fn arguments_a_model_gets_wrong_are_errors_with_nothing_sent() {
    let fake = FakeStripe::start().await; // no mocks: any request fails the test
    let c = client(&fake, &[("helpdesk", HELPDESK), ("billing-bot", BILLING)]).await;
    let one = scope(&["helpdesk"]);
    let cases: Vec<(&str, Value)> = vec![
        ("get_payment_history", json!({"email": 42})),
        ("get_payment_history", json!({"email": EMAIL, "limit": "10"})),
        ("get_payment_history", json!({"email": EMAIL, "limit": 0})),
        ("get_payment_history", json!({"email": EMAIL, "limit": 26})),
        ("get_payment_history", json!({"email": EMAIL, "limit": 2.5})),
        ("get_payment_history", json!({"email": EMAIL, "accountId": "x"})),
        ("get_payment_history", json!({"email": EMAIL, "appSlug": "acct_1Helpdesk"})),
        ("get_payment_history", json!({"email": "not-an-email"})),
        ("get_payment_history", json!({})),
        ("get_payment_history", json!([EMAIL])),
        ("get_payment_history", json!("jane@example.com")),
        ("get_customer_context", json!({"email": EMAIL, "account": "acct_1Helpdesk"})),
        ("get_subscription_status", json!({"email": "a\"b@x.com"})),
        ("lookup_charge", json!({"chargeId": "../charges"})),
        ("lookup_charge", json!({"chargeId": "ch_1/../../v1/refunds"})),
        ("lookup_charge", json!({"chargeId": "re_123"})),
        ("verify_refund", json!({"refundId": "re_../x"})),
        ("verify_refund", json!({"refundId": "re_1", "expectedAmount": -5})),
        ("verify_refund", json!({"refundId": "re_1", "chargeId": "acct_1Helpdesk"})),
        ("get_disputes", json!({"email": EMAIL, "chargeId": "ch_1"})),
        ("get_disputes", json!({})),
        ("list_connected_apps", json!({"appSlug": "helpdesk"})),
        ("create_refund", json!({"chargeId": "ch_1"})),
        ("", json!({})),
    ];
    for (name, args) in cases {
        let r = c.call_tool(name, &args, &one).await;
        assert_eq!(error_code(&r), "invalid_input", "{name} {args}");
        assert!(!r.error().unwrap().retryable);
        let v = r.to_value();
        assert_eq!(v["success"], false);
        assert!(v.get("data").is_none(), "{v}");
    }
    // Arguments as a model's tool call carries them: JSON text, or not.
    let r = c.call_tool_json("get_payment_history", "{\"email\": ", &one).await;
    assert_eq!(error_code(&r), "invalid_input");
    assert!(r.error().unwrap().message.contains("not JSON"));
    // Two apps in scope and none named: the model must say which.
    let two = scope(&["helpdesk", "billing-bot"]);
    let r = c.call_tool("lookup_charge", &json!({"chargeId": "ch_1"}), &two).await;
    assert_eq!(error_code(&r), "invalid_input");
    assert!(r.error().unwrap().message.contains("helpdesk, billing-bot"));
    assert_eq!(fake.requests().await.len(), 0);
}

#[tokio::test]
async fn refusals_name_the_argument_as_the_model_sent_it() {
    let fake = FakeStripe::start().await; // no mocks: any request fails the test
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let one = scope(&["helpdesk"]);
    for (name, args, field) in [
        ("lookup_charge", json!({"chargeId": "re_123"}), "chargeId"),
        ("verify_refund", json!({"refundId": "ch_1"}), "refundId"),
        ("verify_refund", json!({"refundId": "re_1", "expectedAmount": 2.5}), "expectedAmount"),
        ("get_payment_history", json!({"email": EMAIL, "appSlug": "a/b"}), "appSlug"),
        ("get_payment_history", json!({"email": "nope"}), "email"),
        ("get_payment_history", json!({"email": EMAIL, "accountId": "x"}), "arguments"),
    ] {
        let r = c.call_tool(name, &args, &one).await;
        assert_eq!(error_code(&r), "invalid_input", "{name} {args}");
        let msg = &r.error().unwrap().message;
        assert!(msg.starts_with(&format!("invalid input `{field}`: ")), "{name} {args}: {msg}");
        assert!(!msg.contains("_id`") && !msg.contains("app_slug"), "no snake_case names: {msg}");
    }
    // `null` arguments are `{}`: a tool without arguments runs.
    let r = c.call_tool("list_connected_apps", &Value::Null, &one).await;
    assert_eq!(data(&r)["apps"][0]["appSlug"], "helpdesk");
    assert_eq!(fake.requests().await.len(), 0);
}

#[tokio::test]
async fn the_scope_is_fixed_by_the_caller() {
    let fake = FakeStripe::start().await; // no mocks: any request fails the test
    let c = client(&fake, &[("helpdesk", HELPDESK), ("billing-bot", BILLING)]).await;
    let only_helpdesk = scope(&["helpdesk"]);
    for (name, args) in [
        ("get_payment_history", json!({"appSlug": "billing-bot", "email": EMAIL})),
        ("get_subscription_status", json!({"appSlug": "billing-bot", "email": EMAIL})),
        ("lookup_charge", json!({"appSlug": "billing-bot", "chargeId": "ch_1"})),
        ("verify_refund", json!({"appSlug": "billing-bot", "refundId": "re_1"})),
        ("get_disputes", json!({"appSlug": "billing-bot", "chargeId": "ch_1"})),
    ] {
        let r = c.call_tool(name, &args, &only_helpdesk).await;
        assert_eq!(error_code(&r), "app_out_of_scope", "{name}");
        let msg = &r.error().unwrap().message;
        assert!(msg.contains("billing-bot") && msg.contains("helpdesk") && !msg.contains("acct_"), "{msg}");
    }
    // In scope but not connected.
    let r = c.call_tool("get_payment_history", &json!({"email": EMAIL}), &scope(&["status-page"])).await;
    assert_eq!(error_code(&r), "app_not_connected");
    assert_eq!(fake.requests().await.len(), 0);
    // A scope needs at least one valid slug.
    assert_eq!(ToolScope::new(Vec::<String>::new()).unwrap_err().code(), "invalid_input");
    assert_eq!(ToolScope::new(["a/b"]).unwrap_err().code(), "invalid_input");
    assert!(ERROR_CODES.contains(&"app_out_of_scope") && ERROR_CODES.contains(&"app_not_connected"));
}

/// Issue 20: a scope given as a string (`appSlugs: 'helpdesk'`) became the scope h, e, l, p, d, s, k.
#[test]
fn a_scope_from_a_callers_value_must_be_an_array_of_strings() {
    let scope = ToolScope::from_value(&json!(["helpdesk", "billing-bot", "helpdesk"])).unwrap();
    let apps: Vec<&str> = scope.apps().iter().map(AppSlug::as_str).collect();
    assert_eq!(apps, ["helpdesk", "billing-bot"]);
    for (value, reason) in [
        (json!("helpdesk"), "must be an array of app slugs, got a string (write ['helpdesk'], not 'helpdesk')"),
        (json!(null), "must be an array of app slugs, got nothing (null, undefined, or a value JSON cannot hold)"),
        (json!({"0": "helpdesk"}), "must be an array of app slugs, got an object"),
        (json!(7), "must be an array of app slugs, got a number"),
        (json!(["helpdesk", 7]), "must be an array of app slugs, got a number at index 1"),
        (json!([["helpdesk"]]), "must be an array of app slugs, got an array at index 0"),
        (json!([]), "a tool scope needs at least one app slug"),
    ] {
        let e = ToolScope::from_value(&value).unwrap_err();
        assert_eq!(e.code(), "invalid_input", "{value}");
        assert_eq!(e.to_string(), format!("invalid input `app_slugs`: {reason}"), "{value}");
    }
}

#[tokio::test]
async fn stripe_failures_are_error_results_that_say_whether_to_retry() {
    let fake = FakeStripe::start().await;
    fake.get_for(HELPDESK, "/v1/charges/ch_1", &[])
        .respond_with(stripe_error(429, "rate_limit_error", Some("rate_limit"), "Too many requests", None))
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/charges/ch_2", &[])
        .respond_with(stripe_error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            "No such charge: 'ch_2'",
            Some("id"),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    // lookup_charge reads the charge's refunds alongside it (sent or cancelled with the charge's failure).
    for ch in ["ch_1", "ch_2"] {
        fake.get_for(HELPDESK, "/v1/refunds", &[("charge", ch), ("limit", "100")])
            .respond_with(ok(list("/v1/refunds", vec![], false)))
            .mount(&fake.server)
            .await;
    }
    let c = StripeConnect::builder(fake.config().max_retries(0).build().unwrap())
        .connection_store({
            let s = Arc::new(MemoryConnectionStore::new());
            s.save(&Connection::new(
                AppSlug::parse("helpdesk").unwrap(),
                AccountId::parse(HELPDESK).unwrap(),
                false,
                Scope::ReadWrite,
            ))
            .await
            .unwrap();
            s
        })
        .build();
    let s = scope(&["helpdesk"]);
    let r = c.call_tool("lookup_charge", &json!({"chargeId": "ch_1"}), &s).await;
    let e = r.error().unwrap();
    assert_eq!((e.code, e.retryable), ("stripe_rate_limited", true));
    let r = c.call_tool("lookup_charge", &json!({"chargeId": "ch_2"}), &s).await;
    let e = r.error().unwrap();
    assert_eq!((e.code, e.retryable), ("stripe_not_found", false));
    assert!(!e.message.contains("sk_test"), "{}", e.message);
}

#[tokio::test]
async fn every_documented_example_is_accepted() {
    // Stripe answers 404 to everything: an example is accepted if its error is not invalid_input.
    let server = wiremock::MockServer::start().await;
    wiremock::Mock::given(wiremock::matchers::any())
        .respond_with(stripe_error(404, "invalid_request_error", Some("resource_missing"), "No such object", None))
        .mount(&server)
        .await;
    let store = Arc::new(MemoryConnectionStore::new());
    for (slug, acct) in [("helpdesk", HELPDESK), ("billing-bot", BILLING)] {
        store
            .save(&Connection::new(
                AppSlug::parse(slug).unwrap(),
                AccountId::parse(acct).unwrap(),
                false,
                Scope::ReadWrite,
            ))
            .await
            .unwrap();
    }
    let c = StripeConnect::builder(crate::fake_stripe::config_for(&server.uri()).build().unwrap())
        .connection_store(store)
        .build();
    let defs = tool_definitions();
    assert_eq!(
        defs.iter().map(|d| d.name).collect::<Vec<_>>(),
        [
            "get_customer_context",
            "get_payment_history",
            "get_subscription_status",
            "lookup_charge",
            "verify_refund",
            "get_disputes",
            "get_invoices",
            "get_failed_payments",
            "get_billing_timeline",
            "list_connected_apps"
        ]
    );
    for d in &defs {
        for example in &d.examples {
            // Examples without appSlug run in a one-app scope; with one, in that app's.
            let app = example.get("appSlug").and_then(Value::as_str).unwrap_or("helpdesk");
            let r = c.call_tool(d.name, example, &scope(&[app])).await;
            if let Some(e) = r.error() {
                assert_eq!(e.code, "stripe_not_found", "{} {example}: {}", d.name, e.message);
            }
        }
    }
    assert_eq!(c.tools(), defs);
}

// ---- Issue 24: get_invoices, get_failed_payments, get_billing_timeline ----

#[tokio::test]
async fn get_invoices_gives_the_links_a_reply_sends_and_the_payments() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, HELPDESK, vec![customer("cus_H", EMAIL, 10)]).await;
    let paid =
        invoice("in_H2", "cus_H", 200, "paid", vec![invoice_payment("inpay_H2", "in_H2", "pi_H2", 4900, "paid", 201)]);
    let mut open = invoice("in_H3", "cus_H", 300, "open", vec![]);
    open["amount_remaining"] = json!(4900);
    open["amount_due"] = json!(4900);
    fake.get_for(HELPDESK, "/v1/invoices", &[("customer", "cus_H"), ("expand[]", "data.payments"), ("limit", "2")])
        .respond_with(ok(list("/v1/invoices", vec![open, paid], true)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let r = c.call_tool("get_invoices", &json!({"email": EMAIL, "limit": 2}), &scope(&["helpdesk"])).await;
    let d = data(&r);
    assert_eq!((d["appSlug"].as_str(), d["customerCount"].as_u64()), (Some("helpdesk"), Some(1)));
    assert_eq!((d["invoices"]["count"].as_u64(), d["invoices"]["truncated"].as_bool()), (Some(2), Some(true)));
    let first = &d["invoices"]["items"][0];
    assert_eq!((first["id"].as_str(), first["status"].as_str()), (Some("in_H3"), Some("open")));
    assert_eq!(
        (first["amountDueFormatted"].as_str(), first["amountRemainingFormatted"].as_str()),
        (Some("$49.00"), Some("$49.00"))
    );
    assert_eq!(first["hostedInvoiceUrl"], "https://invoice.stripe.com/i/in_H3");
    assert_eq!(first["invoicePdf"], "https://pay.stripe.com/invoice/in_H3/pdf");
    assert_eq!(first["subscriptionId"], "sub_H");
    let payment = &d["invoices"]["items"][1]["payments"][0];
    assert_eq!((payment["paymentIntentId"].as_str(), payment["amountPaid"].as_i64()), (Some("pi_H2"), Some(4900)));
    assert!(first.get("customerId").is_none() && first.get("amountPaid").is_none(), "{first}");
    assert!(r.to_json().len() <= 4096);
    fake.assert_contract(&[HELPDESK]).await;
}

#[tokio::test]
async fn get_failed_payments_says_why_in_plain_words_and_whether_to_retry() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, BILLING, vec![customer("cus_B", EMAIL, 20)]).await;
    fake.get_for(BILLING, "/v1/payment_intents", &[("customer", "cus_B"), ("limit", "10")])
        .respond_with(ok(list(
            "/v1/payment_intents",
            vec![payment_intent(
                "pi_B2",
                "cus_B",
                "requires_payment_method",
                Some(card_declined("insufficient_funds", "ch_B2")),
                399,
            )],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    let mut failed = described(charge("ch_B2", "cus_B", 12000, 400), "Billing bot Team (retry)", "eur");
    failed["status"] = json!("failed");
    fake.get_for(BILLING, "/v1/charges", &[("customer", "cus_B"), ("limit", "10")])
        .respond_with(ok(list("/v1/charges", vec![failed], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("billing-bot", BILLING)]).await;
    let r = c.call_tool("get_failed_payments", &json!({"email": EMAIL}), &scope(&["billing-bot"])).await;
    let d = data(&r);
    assert_eq!(d["failedPayments"]["count"], 1, "the intent and its failed charge are one attempt: {d}");
    let f = &d["failedPayments"]["items"][0];
    assert_eq!(
        (f["id"].as_str(), f["chargeId"].as_str(), f["created"].as_i64()),
        (Some("pi_B2"), Some("ch_B2"), Some(400))
    );
    assert_eq!(
        (f["declineCode"].as_str(), f["failureCode"].as_str()),
        (Some("insufficient_funds"), Some("card_declined"))
    );
    assert_eq!(f["retry"], "after_customer_action");
    assert!(f["explanation"].as_str().unwrap().contains("enough funds"), "{f}");
    assert_eq!(f["amountFormatted"], "$49.00");
    assert!(f.get("customerId").is_none());
    fake.assert_contract(&[BILLING]).await;
}

#[tokio::test]
async fn get_billing_timeline_is_one_compact_list_newest_first() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, HELPDESK, vec![customer("cus_H", EMAIL, 10)]).await;
    let mut seats = described(charge("ch_H3", "cus_H", 1500, 300), "Extra seats", "usd");
    seats["refunded"] = json!(true);
    seats["amount_refunded"] = json!(1500);
    let charges = vec![seats, described(charge("ch_H2", "cus_H", 4900, 200), "Helpdesk Pro (monthly)", "usd")];
    fake.get_for(HELPDESK, "/v1/charges", &[("customer", "cus_H"), ("limit", "5")])
        .respond_with(ok(list("/v1/charges", charges, false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/payment_intents", &[("customer", "cus_H"), ("limit", "5")])
        .respond_with(ok(list("/v1/payment_intents", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/invoices", &[("customer", "cus_H"), ("expand[]", "data.payments"), ("limit", "5")])
        .respond_with(ok(list("/v1/invoices", vec![invoice("in_H2", "cus_H", 199, "paid", vec![])], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/disputes", &[("created[gte]", "10"), ("limit", "100")])
        .respond_with(ok(list("/v1/disputes", vec![], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/radar/early_fraud_warnings", &[("limit", "100")])
        .respond_with(ok(list(
            "/v1/radar/early_fraud_warnings",
            vec![crate::fake_stripe::fraud_warning("issfr_H", "ch_H2", 250)],
            false,
        )))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get_for(HELPDESK, "/v1/refunds", &[("charge", "ch_H3"), ("limit", "100")])
        .respond_with(ok(list("/v1/refunds", vec![crate::fake_stripe::refund("re_H3", "ch_H3", 1500, 310)], false)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let c = client(&fake, &[("helpdesk", HELPDESK)]).await;
    let r = c.call_tool("get_billing_timeline", &json!({"email": EMAIL, "limit": 5}), &scope(&["helpdesk"])).await;
    let d = data(&r);
    let lines: Vec<String> = d["entries"]["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            format!(
                "{} {} {} {} {}",
                e["at"],
                e["kind"].as_str().unwrap(),
                e["id"].as_str().unwrap(),
                e["amountFormatted"].as_str().unwrap(),
                e["status"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "310 refund re_H3 $15.00 succeeded",
            "300 charge ch_H3 $15.00 succeeded",
            "250 fraud_warning issfr_H $49.00 misc",
            "200 charge ch_H2 $49.00 succeeded",
            "199 invoice in_H2 $10.00 paid",
        ]
    );
    assert_eq!((d["entries"]["count"].as_u64(), d["entries"]["truncated"].as_bool()), (Some(5), Some(false)));
    let text = r.to_json();
    assert!(text.contains(r#"{"at":310,"kind":"refund","id":"re_H3","amount":1500,"amountFormatted":"$15.00","currency":"usd","status":"succeeded"}"#), "{text}");
    fake.assert_contract(&[HELPDESK]).await;
}

#[tokio::test]
async fn the_new_tools_refuse_what_a_model_gets_wrong_and_send_nothing() {
    let fake = FakeStripe::start().await; // no mocks: any request fails the test
    let c = client(&fake, &[("helpdesk", HELPDESK), ("billing-bot", BILLING)]).await;
    let one = scope(&["helpdesk"]);
    for name in ["get_invoices", "get_failed_payments", "get_billing_timeline"] {
        for (args, field) in [
            (json!({}), "arguments"),
            (json!({"email": "nope"}), "email"),
            (json!({"email": EMAIL, "limit": 26}), "limit"),
            (json!({"email": EMAIL, "customerId": "cus_1"}), "arguments"),
            (json!({"email": EMAIL, "appSlug": "acct_1Helpdesk"}), "appSlug"),
        ] {
            let r = c.call_tool(name, &args, &one).await;
            assert_eq!(error_code(&r), "invalid_input", "{name} {args}");
            let msg = &r.error().unwrap().message;
            assert!(msg.starts_with(&format!("invalid input `{field}`: ")), "{name} {args}: {msg}");
        }
        let r = c.call_tool(name, &json!({"email": EMAIL, "appSlug": "billing-bot"}), &one).await;
        assert_eq!(error_code(&r), "app_out_of_scope", "{name}");
    }
    assert_eq!(fake.requests().await.len(), 0);
}
