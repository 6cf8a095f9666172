//! `charge.dispute.created` alerts name the customer: the handler reads the disputed charge with
//! its customer expanded (one GET, on the event's account, within a budget) and puts the email,
//! the customer id and the charge's description in the alert. When that read fails or finds no
//! email, the alert still goes out and says why the customer is unknown.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use stripe_connect::{
    generate_test_header, AccountId, AppSlug, Connection, ConnectionStore, DisputeAlert, ManualClock,
    MemoryConnectionStore, MemoryDisputeSink, Scope, StripeConnect,
};

use crate::fake_stripe::{charge, customer, object, ok, stripe_error, FakeStripe};

const SECRET: &str = "whsec_test_dispute_alerts";
const NOW: i64 = 1_750_000_000;
const ACCT: &str = "acct_1Disputed";
const CHARGE: &str = "ch_1PgafuB7WZ01zgkWXYmPNZs8";

/// A signed `charge.dispute.created` for Stripe's dispute fixture on `account`.
fn dispute_event(id: &str, account: Option<&str>) -> (Vec<u8>, String) {
    let mut dispute = object("dispute");
    dispute["charge"] = json!(CHARGE);
    let body = serde_json::to_vec(&json!({
        "id": id, "object": "event", "api_version": "2026-10-28.endive", "account": account,
        "created": NOW, "livemode": false, "pending_webhooks": 1, "type": "charge.dispute.created",
        "request": {"id": null, "idempotency_key": null}, "data": {"object": dispute}
    }))
    .unwrap();
    let header = generate_test_header(&body, SECRET, NOW);
    (body, header)
}

async fn connected_helpdesk() -> Arc<MemoryConnectionStore> {
    let connections = Arc::new(MemoryConnectionStore::new());
    let c =
        Connection::new(AppSlug::parse("helpdesk").unwrap(), AccountId::parse(ACCT).unwrap(), false, Scope::ReadWrite);
    connections.save(&c).await.unwrap();
    connections
}

async fn client(fake: &FakeStripe, timeout: Duration) -> (StripeConnect, Arc<MemoryDisputeSink>) {
    let config = fake.config().webhook_secret(SECRET).max_retries(0).timeout(timeout).build().unwrap();
    let connections = connected_helpdesk().await;
    let sink = Arc::new(MemoryDisputeSink::new());
    let client = StripeConnect::builder(config)
        .connection_store(connections)
        .dispute_sink(sink.clone())
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
    (client, sink)
}

fn charge_with(customer: Value) -> Value {
    let mut c = charge(CHARGE, "cus_x", 1000, NOW - 100);
    c["customer"] = customer;
    c["description"] = json!("Helpdesk Pro (monthly)");
    c["receipt_email"] = json!(null);
    c
}

async fn mount_charge(fake: &FakeStripe, response: wiremock::ResponseTemplate) {
    fake.get_for(ACCT, &format!("/v1/charges/{CHARGE}"), &[("expand[]", "customer")])
        .respond_with(response)
        .expect(1)
        .mount(&fake.server)
        .await;
}

async fn deliver(client: &StripeConnect, sink: &MemoryDisputeSink, id: &str, account: Option<&str>) -> DisputeAlert {
    let (body, header) = dispute_event(id, account);
    let outcome = client.handle_webhook(&body, Some(&header)).await.unwrap();
    assert_eq!(outcome.kind(), "dispute_recorded");
    let alerts = sink.alerts();
    assert_eq!(alerts.len(), 1, "the alert goes out whatever the customer read gave");
    alerts.into_iter().next().unwrap()
}

#[tokio::test]
async fn the_alert_names_the_customer_from_the_charge_read_with_the_customer_expanded() {
    let fake = FakeStripe::start().await;
    mount_charge(&fake, ok(charge_with(customer("cus_Jane", "jane@example.com", 1)))).await;
    let (client, sink) = client(&fake, Duration::from_secs(5)).await;
    let alert = deliver(&client, &sink, "evt_named", Some(ACCT)).await;
    assert_eq!(alert.app_slug.as_ref().map(|s| s.as_str()), Some("helpdesk"));
    assert_eq!(
        (
            alert.customer_id.as_deref(),
            alert.customer_email.as_deref(),
            alert.charge_description.as_deref(),
            alert.customer_unknown_reason.as_deref()
        ),
        (Some("cus_Jane"), Some("jane@example.com"), Some("Helpdesk Pro (monthly)"), None)
    );
    let v = serde_json::to_value(&alert).unwrap();
    assert_eq!(v["customer_email"], "jane@example.com");
    // One GET with Stripe-Account, the pinned version and a spec-declared `expand[]`.
    assert_eq!(fake.assert_contract(&[ACCT]).await, 1);
}

#[tokio::test]
async fn a_guest_charge_gives_its_billing_email() {
    let fake = FakeStripe::start().await;
    let mut guest = charge_with(json!(null));
    guest["billing_details"]["email"] = json!("guest@example.com");
    mount_charge(&fake, ok(guest)).await;
    let (client, sink) = client(&fake, Duration::from_secs(5)).await;
    let alert = deliver(&client, &sink, "evt_guest", Some(ACCT)).await;
    assert_eq!((alert.customer_id, alert.customer_email.as_deref()), (None, Some("guest@example.com")));
    assert_eq!(alert.customer_unknown_reason, None);
}

#[tokio::test]
async fn a_failed_read_still_alerts_and_says_why() {
    let fake = FakeStripe::start().await;
    mount_charge(&fake, stripe_error(500, "api_error", None, "Something went wrong", None)).await;
    let (client, sink) = client(&fake, Duration::from_secs(5)).await;
    let alert = deliver(&client, &sink, "evt_failed_read", Some(ACCT)).await;
    assert_eq!((alert.customer_id, alert.customer_email), (None, None));
    let why = alert.customer_unknown_reason.expect("the reason");
    assert!(why.contains(CHARGE) && why.contains("stripe_unavailable"), "{why}");
    assert!(!why.contains("sk_test"), "{why}");
}

#[tokio::test]
async fn a_slow_read_is_cut_short_within_the_budget() {
    let fake = FakeStripe::start().await;
    mount_charge(&fake, ok(charge_with(json!(null))).set_delay(Duration::from_secs(3))).await;
    let (client, sink) = client(&fake, Duration::from_millis(300)).await;
    let started = std::time::Instant::now();
    let alert = deliver(&client, &sink, "evt_slow_read", Some(ACCT)).await;
    assert!(started.elapsed() < Duration::from_secs(3), "the delivery did not wait for the slow read");
    let why = alert.customer_unknown_reason.expect("the reason");
    assert!(why.contains(CHARGE) && (why.contains("stripe_timeout") || why.contains("longer than")), "{why}");
}

#[tokio::test]
async fn no_account_means_no_read() {
    let fake = FakeStripe::start().await; // no mocks: a request would fail the test
    let (client, sink) = client(&fake, Duration::from_secs(5)).await;
    let alert = deliver(&client, &sink, "evt_platform", None).await;
    assert_eq!(alert.app_slug, None);
    assert!(alert.customer_unknown_reason.unwrap().contains("no connected account"));
    assert_eq!(fake.requests().await.len(), 0);
}

#[tokio::test]
async fn the_customer_read_leaves_half_of_the_webhook_timeout_to_the_sink() {
    // A 2 s delivery budget: the read gets at most 1 s of it, so the alert goes out within the
    // webhook timeout even though this Stripe would answer after 10 s (and the API timeout is 10 s).
    let fake = FakeStripe::start().await;
    mount_charge(&fake, ok(charge_with(json!(null))).set_delay(Duration::from_secs(10))).await;
    let config = fake
        .config()
        .webhook_secret(SECRET)
        .max_retries(0)
        .timeout(Duration::from_secs(10))
        .webhook_timeout(Duration::from_secs(2))
        .build()
        .unwrap();
    let sink = Arc::new(MemoryDisputeSink::new());
    let client = StripeConnect::builder(config)
        .connection_store(connected_helpdesk().await)
        .dispute_sink(sink.clone())
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
    let started = std::time::Instant::now();
    let alert = deliver(&client, &sink, "evt_half_budget", Some(ACCT)).await;
    assert!(started.elapsed() < Duration::from_secs(2), "answered after {:?}", started.elapsed());
    assert!(alert.customer_unknown_reason.is_some());
}

/// A signed `radar.early_fraud_warning.created` for Stripe's fixture warning on [`CHARGE`].
fn fraud_warning_event(id: &str) -> (Vec<u8>, String) {
    let mut warning = object("radar.early_fraud_warning");
    warning["charge"] = json!(CHARGE);
    let body = serde_json::to_vec(&json!({
        "id": id, "object": "event", "api_version": "2026-10-28.endive", "account": ACCT,
        "created": NOW, "livemode": false, "pending_webhooks": 1, "type": "radar.early_fraud_warning.created",
        "request": {"id": null, "idempotency_key": null}, "data": {"object": warning}
    }))
    .unwrap();
    let header = generate_test_header(&body, SECRET, NOW);
    (body, header)
}

#[tokio::test]
async fn an_early_fraud_warning_alert_carries_the_charges_amount_and_customer() {
    let fake = FakeStripe::start().await;
    let c = json!({"id": "cus_w", "object": "customer", "email": "jane@example.com"});
    mount_charge(&fake, ok(charge_with(c))).await;
    let (client, sink) = client(&fake, Duration::from_secs(5)).await;
    let (body, header) = fraud_warning_event("evt_efw_1");
    let outcome = client.handle_webhook(&body, Some(&header)).await.unwrap();
    assert_eq!(outcome.kind(), "fraud_warning_recorded");
    let [alert] = sink.fraud_warnings().try_into().unwrap();
    assert_eq!(alert.app_slug.as_ref().map(AppSlug::as_str), Some("helpdesk"));
    assert_eq!(alert.warning.charge_id.as_deref(), Some(CHARGE));
    assert_eq!((alert.amount, alert.currency.as_deref()), (Some(1000), Some("usd")));
    assert_eq!(alert.customer_email.as_deref(), Some("jane@example.com"));
    assert_eq!(alert.customer_unknown_reason, None);
    assert!(sink.alerts().is_empty(), "not a dispute alert");
    // The same event again: done, the sink is not called twice.
    assert_eq!(client.handle_webhook(&body, Some(&header)).await.unwrap().kind(), "duplicate");
    assert_eq!(sink.fraud_warnings().len(), 1);
}

/// A sink that keeps the default: it does not take early fraud warnings.
struct DisputesOnly;

#[async_trait::async_trait]
impl stripe_connect::DisputeSink for DisputesOnly {
    async fn dispute_created(&self, _: &DisputeAlert) -> Result<(), stripe_connect::StoreError> {
        Ok(())
    }
}

#[tokio::test]
async fn early_fraud_warnings_are_opt_in_and_ignored_without_a_read_by_a_sink_that_does_not_take_them() {
    let fake = FakeStripe::start().await;
    let config = fake.config().webhook_secret(SECRET).max_retries(0).build().unwrap();
    let client = StripeConnect::builder(config)
        .dispute_sink(Arc::new(DisputesOnly))
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
    let (body, header) = fraud_warning_event("evt_efw_2");
    let outcome = client.handle_webhook(&body, Some(&header)).await.unwrap();
    assert_eq!(
        outcome,
        stripe_connect::WebhookOutcome::Ignored {
            event_id: "evt_efw_2".into(),
            event_type: "radar.early_fraud_warning.created".into(),
            reason: stripe_connect::IgnoreReason::UnhandledType,
        }
    );
    assert!(fake.server.received_requests().await.unwrap_or_default().is_empty(), "nothing read from Stripe");
}
