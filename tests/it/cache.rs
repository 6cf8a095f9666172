//! The email → customers cache and request coalescing, counted at a wiremock Stripe: what a
//! conversation of several questions about one customer sends, with the cache on, off, bypassed
//! (`fresh()`), expired and dropped by a deauthorization; identical concurrent calls; `fetched_at`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use stripe_connect::{
    generate_test_header, AppSlug, ChargeId, Connection, ConnectionStore, ManualClock, MemoryConnectionStore,
    PaymentOptions, Scope, StripeConnect, WebhookOutcome,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fake_stripe::{acct, charge, customer, list, ok, search, FakeStripe, ACCT};

const EMAIL: &str = "jenny.rosen@example.com";
const NOW: i64 = 1_750_000_000;
const WHSEC: &str = "whsec_cache_tests";

/// The customers list and search for `EMAIL`, each expected `times` times; one customer, `cus_A`.
async fn mount_customers(fake: &FakeStripe, times: u64) {
    mount_slow_customers(fake, times, Duration::ZERO).await;
}

/// The same, answered after `delay`.
async fn mount_slow_customers(fake: &FakeStripe, times: u64, delay: Duration) {
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(ok(list("/v1/customers", vec![customer("cus_A", EMAIL, 3)], false)).set_delay(delay))
        .expect(times)
        .named("customers list")
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", &format!("email:\"{EMAIL}\"")), ("limit", "100")])
        .respond_with(ok(search("/v1/customers/search", vec![])).set_delay(delay))
        .expect(times)
        .named("customers search")
        .mount(&fake.server)
        .await;
}

/// Waits until the fake has received `n` customers lists and `n` customers searches (a
/// resolution sends both at once, but not in the same instant).
async fn customers_lists_received(fake: &FakeStripe, n: usize) {
    for _ in 0..1000 {
        let requests = fake.requests().await;
        let count = |path: &str| requests.iter().filter(|r| r.url.path() == path).count();
        if count("/v1/customers") >= n && count("/v1/customers/search") >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the fake never received {n} customers list(s) and search(es)");
}

fn deauthorization(event_id: &str) -> (Vec<u8>, String) {
    let body = serde_json::to_vec(&json!({
        "id": event_id, "object": "event", "type": "account.application.deauthorized",
        "account": ACCT, "livemode": false, "created": NOW,
        "data": {"object": {"id": "ca_1", "object": "application", "name": "Support"}}
    }))
    .unwrap();
    let header = generate_test_header(&body, WHSEC, NOW);
    (body, header)
}

/// `cus_A`'s charges (limit 25), expected `times` times, answered after `delay`.
async fn mount_charges(fake: &FakeStripe, times: u64, delay: Duration) {
    fake.get("/v1/charges", &[("customer", "cus_A"), ("limit", "25")])
        .respond_with(ok(list("/v1/charges", vec![charge("ch_1", "cus_A", 1000, 5)], false)).set_delay(delay))
        .expect(times)
        .named("charges")
        .mount(&fake.server)
        .await;
}

fn client(fake: &FakeStripe, ttl: Option<Duration>, clock: &ManualClock) -> StripeConnect {
    let mut config = fake.config().webhook_secrets([WHSEC]);
    if let Some(ttl) = ttl {
        config = config.cache_ttl(ttl);
    }
    StripeConnect::builder(config.build().unwrap()).clock(Arc::new(clock.clone())).build()
}

#[tokio::test]
async fn a_conversation_resolves_the_email_once_and_reads_money_facts_every_time() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, 1).await;
    mount_charges(&fake, 3, Duration::ZERO).await;
    let clock = ManualClock::new(NOW);
    let stripe = client(&fake, None, &clock);
    let first = stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(first.fetched_at, NOW);
    clock.advance(30);
    let second = stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(second.payments, first.payments);
    assert_eq!(second.fetched_at, NOW, "the customer resolution is 30 s old: the result says so");
    let found = stripe.account(&acct()).customers_by_email(EMAIL).await.unwrap();
    assert_eq!((found.customers.len(), found.fetched_at), (1, NOW));
    // A money fact read on its own is as new as the call.
    fake.get("/v1/charges/ch_1", &[])
        .respond_with(ok(charge("ch_1", "cus_A", 1000, 5)))
        .expect(1)
        .mount(&fake.server)
        .await;
    let one = stripe.account(&acct()).lookup_charge(&ChargeId::parse("ch_1").unwrap()).await.unwrap();
    assert_eq!(one.fetched_at, NOW + 30);
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    fake.server.verify().await;
}

#[tokio::test]
async fn cache_ttl_zero_turns_the_cache_off() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, 2).await;
    mount_charges(&fake, 2, Duration::ZERO).await;
    let clock = ManualClock::new(NOW);
    let stripe = client(&fake, Some(Duration::ZERO), &clock);
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    clock.advance(5);
    let second = stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(second.fetched_at, NOW + 5);
    fake.server.verify().await;
}

#[tokio::test]
async fn fresh_reads_the_customers_again_and_refreshes_the_cache() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, 2).await;
    mount_charges(&fake, 3, Duration::ZERO).await;
    let clock = ManualClock::new(NOW);
    let stripe = client(&fake, None, &clock);
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    clock.advance(10);
    let fresh = stripe.fresh().account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(fresh.fetched_at, NOW + 10);
    // The fresh answer replaced the cached one.
    assert_eq!(
        stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap().fetched_at,
        NOW + 10
    );
    fake.server.verify().await;
}

#[tokio::test]
async fn an_entry_expires_after_its_ttl() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, 2).await;
    mount_charges(&fake, 3, Duration::ZERO).await;
    let stripe = client(&fake, Some(Duration::from_millis(150)), &ManualClock::new(NOW));
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    fake.server.verify().await;
}

#[tokio::test]
async fn a_deauthorization_drops_the_accounts_entries() {
    let fake = FakeStripe::start().await;
    mount_customers(&fake, 2).await;
    mount_charges(&fake, 2, Duration::ZERO).await;
    let clock = ManualClock::new(NOW);
    let stripe = client(&fake, None, &clock);
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    let (body, header) = deauthorization("evt_deauth_cache");
    let outcome = stripe.handle_webhook(&body, Some(&header)).await.unwrap();
    assert!(matches!(outcome, WebhookOutcome::Disconnected { .. }), "{outcome:?}");
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    fake.server.verify().await;
}

#[tokio::test]
async fn twenty_identical_concurrent_calls_cost_the_requests_of_one() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/customers", &[("email", EMAIL), ("limit", "100")])
        .respond_with(
            ok(list("/v1/customers", vec![customer("cus_A", EMAIL, 3)], false)).set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", &format!("email:\"{EMAIL}\"")), ("limit", "100")])
        .respond_with(ok(search("/v1/customers/search", vec![])).set_delay(Duration::from_millis(200)))
        .expect(1)
        .mount(&fake.server)
        .await;
    mount_charges(&fake, 1, Duration::from_millis(200)).await;
    let stripe = client(&fake, None, &ManualClock::new(NOW));
    let calls = (0..20).map(|_| {
        let stripe = stripe.clone();
        async move { stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap() }
    });
    let results = futures::future::join_all(calls).await;
    assert!(results.iter().all(|r| r.payments == results[0].payments && r.payments.len() == 1));
    assert_eq!(fake.assert_contract(&[ACCT]).await, 3, "one customers list, one search, one charges page");
    fake.server.verify().await;
}

#[tokio::test]
async fn coalesced_callers_share_a_failure_too_and_fresh_ones_send_their_own() {
    let fake = FakeStripe::start().await;
    fake.get("/v1/charges/ch_1", &[])
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"error": {"type": "invalid_request_error", "code": "resource_missing",
                    "message": "No such charge: 'ch_1'"}}))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(3)
        .mount(&fake.server)
        .await;
    let stripe = client(&fake, None, &ManualClock::new(NOW));
    let (account, charge) = (acct(), ChargeId::parse("ch_1").unwrap());
    let handle = stripe.account(&account);
    let shared = (0..5).map(|_| handle.lookup_charge(&charge));
    let fresh = (0..2).map(|_| {
        let (handle, charge) = (handle.fresh(), charge.clone());
        async move { handle.lookup_charge(&charge).await }
    });
    let (shared, fresh) = futures::join!(futures::future::join_all(shared), futures::future::join_all(fresh));
    for r in shared.iter().chain(&fresh) {
        assert_eq!(r.as_ref().unwrap_err().code(), "stripe_not_found");
    }
    fake.server.verify().await;
}

/// Issue 22 item 2: a resolution whose requests were sent before a deauthorization and that
/// finishes after it is answered to its caller but not cached: the next query resolves the email
/// again (without the epoch it was answered from the cache, with no customer request).
#[tokio::test]
async fn a_resolution_under_way_across_a_deauthorization_is_not_cached() {
    let fake = FakeStripe::start().await;
    mount_slow_customers(&fake, 2, Duration::from_millis(400)).await;
    mount_charges(&fake, 2, Duration::ZERO).await;
    let stripe = client(&fake, None, &ManualClock::new(NOW));
    let under_way = tokio::spawn({
        let stripe = stripe.clone();
        async move { stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await }
    });
    customers_lists_received(&fake, 1).await;
    let (body, header) = deauthorization("evt_deauth_in_flight");
    let outcome = stripe.handle_webhook(&body, Some(&header)).await.unwrap();
    assert!(matches!(outcome, WebhookOutcome::Disconnected { .. }), "{outcome:?}");
    let answered = under_way.await.unwrap().unwrap();
    assert_eq!(answered.customer_ids, ["cus_A"], "its caller still gets the answer");
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    fake.server.verify().await;
}

/// The same across `disconnect`, which clears the connection after Stripe's deauthorize answer.
#[tokio::test]
async fn a_resolution_under_way_across_a_disconnect_is_not_cached() {
    let fake = FakeStripe::start().await;
    mount_slow_customers(&fake, 2, Duration::from_millis(400)).await;
    mount_charges(&fake, 2, Duration::ZERO).await;
    let connect = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/deauthorize"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "stripe_user_id": ACCT })))
        .expect(1)
        .mount(&connect)
        .await;
    let connections = Arc::new(MemoryConnectionStore::new());
    let helpdesk = AppSlug::parse("helpdesk").unwrap();
    connections.save(&Connection::new(helpdesk.clone(), acct(), false, Scope::ReadWrite)).await.unwrap();
    let config = fake.config().client_id("ca_cache_tests").connect_base(connect.uri()).build().unwrap();
    let stripe = StripeConnect::builder(config).connection_store(connections.clone()).build();
    let under_way = tokio::spawn({
        let stripe = stripe.clone();
        async move { stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await }
    });
    customers_lists_received(&fake, 1).await;
    let result = stripe.disconnect(&helpdesk).await.unwrap();
    assert_eq!((result.account_id.as_str(), result.already_disconnected), (ACCT, false));
    under_way.await.unwrap().unwrap();
    stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await.unwrap();
    assert_eq!(connections.list().await.unwrap(), []);
    fake.server.verify().await;
    connect.verify().await;
}

/// A resolution that starts after a deauthorization sends its own requests rather than joining
/// identical ones sent before it (their answer describes the account as it was), and its own
/// answer is cached as usual.
#[tokio::test]
async fn a_resolution_after_a_deauthorization_does_not_join_a_request_from_before_it() {
    let fake = FakeStripe::start().await;
    mount_slow_customers(&fake, 2, Duration::from_millis(400)).await;
    // Three charges reads, or two when the first two resolutions end together and share one.
    fake.get("/v1/charges", &[("customer", "cus_A"), ("limit", "25")])
        .respond_with(ok(list("/v1/charges", vec![charge("ch_1", "cus_A", 1000, 5)], false)))
        .expect(2..=3)
        .named("charges")
        .mount(&fake.server)
        .await;
    let stripe = client(&fake, None, &ManualClock::new(NOW));
    let history = |stripe: StripeConnect| async move {
        stripe.account(&acct()).payment_history(EMAIL, PaymentOptions::default()).await
    };
    let before = tokio::spawn(history(stripe.clone()));
    customers_lists_received(&fake, 1).await;
    let (body, header) = deauthorization("evt_deauth_coalesced");
    stripe.handle_webhook(&body, Some(&header)).await.unwrap();
    let after = tokio::spawn(history(stripe.clone()));
    customers_lists_received(&fake, 2).await;
    before.await.unwrap().unwrap();
    after.await.unwrap().unwrap();
    // The second resolution's answer (from after the deauthorization) is the one kept.
    history(stripe.clone()).await.unwrap();
    fake.server.verify().await;
}
