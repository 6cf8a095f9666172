//! The HTTP layer against a misbehaving Stripe: retries, deadlines, broken bodies, error mapping,
//! headers, the per-account concurrency limit, and the swappable GET-only transport.
//!
//! Stripe facts: error bodies are `{error:{type, code, message, param, doc_url}}` with a
//! `Request-Id` header; 429s may carry `Stripe-Rate-Limited-Reason`; `Stripe-Should-Retry`
//! overrides the client's own retry decision (stripe-node and stripe-go honour it first).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use serde_json::json;
use stripe_connect::{
    AccountId, ApiTransport, ChargeId, GetRequest, RawResponse, StripeConnect, TransportError, STRIPE_VERSION,
    USER_AGENT,
};
use wiremock::ResponseTemplate;

use crate::fake_stripe::{
    acct, charge, config_for, dropping_server, misbehaving_server, ok, stripe_error, CannedStripe, FakeStripe,
    Misbehaviour, ACCT, KEY,
};

const CHARGE: &str = "ch_3MmlLrLkdIwHu7ix0snN0B15";
const CHARGE_PATH: &str = "/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15";

fn charge_id() -> ChargeId {
    ChargeId::parse(CHARGE).unwrap()
}

fn the_charge() -> serde_json::Value {
    charge(CHARGE, "cus_A", 2500, 1_700_000_000)
}

async fn lookup(client: &StripeConnect) -> Result<stripe_connect::ChargeDetails, stripe_connect::Error> {
    client.account(&acct()).lookup_charge(&charge_id()).await
}

fn rate_limited() -> ResponseTemplate {
    stripe_error(429, "invalid_request_error", Some("rate_limit"), "Too many requests", None)
}

/// The charge answers `first` once, then 200 with the charge.
async fn first_then_ok(fake: &FakeStripe, first: ResponseTemplate) {
    fake.get(CHARGE_PATH, &[])
        .respond_with(first)
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get(CHARGE_PATH, &[]).respond_with(ok(the_charge())).expect(1).mount(&fake.server).await;
}

#[tokio::test]
async fn a_500_then_200_is_retried_and_succeeds() {
    let fake = FakeStripe::start().await;
    first_then_ok(&fake, ResponseTemplate::new(500)).await;
    let c = lookup(&fake.client()).await.unwrap();
    assert_eq!((c.id.as_str(), c.amount), (CHARGE, 2500));
    assert_eq!(fake.assert_contract(&[ACCT]).await, 2);
}

#[tokio::test]
async fn network_errors_409_429_and_5xx_are_retried() {
    for status in [409, 429, 500, 502, 503, 504] {
        let fake = FakeStripe::start().await;
        first_then_ok(&fake, stripe_error(status, "api_error", None, "try again", None)).await;
        assert_eq!(lookup(&fake.client()).await.unwrap().id, CHARGE, "HTTP {status}");
    }
    // A 400 without Stripe-Should-Retry is final.
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(stripe_error(400, "invalid_request_error", Some("parameter_invalid"), "no", Some("expand")))
        .expect(1)
        .mount(&fake.server)
        .await;
    assert_eq!(lookup(&fake.client()).await.unwrap_err().code(), "stripe_api_error");
}

#[tokio::test]
async fn stripe_should_retry_false_is_not_retried() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(
            stripe_error(500, "api_error", None, "Something went wrong", None)
                .insert_header("stripe-should-retry", "false"),
        )
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_unavailable");
    assert_eq!(err.status(), Some(500));
    assert_eq!(err.request_id(), Some("req_500"));
}

#[tokio::test]
async fn stripe_should_retry_true_allows_a_retry_of_a_400() {
    let fake = FakeStripe::start().await;
    let retry = stripe_error(400, "invalid_request_error", Some("lock_timeout"), "Try again", None);
    first_then_ok(&fake, retry.insert_header("stripe-should-retry", "true")).await;
    assert!(lookup(&fake.client()).await.is_ok());
}

#[tokio::test]
async fn a_429_with_retry_after_waits_then_succeeds() {
    let fake = FakeStripe::start().await;
    first_then_ok(&fake, rate_limited().insert_header("retry-after", "1")).await;
    let started = Instant::now();
    assert!(lookup(&fake.client()).await.is_ok());
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured ({:?})",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_429_that_persists_is_rate_limited_with_its_reason() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(rate_limited().insert_header("stripe-rate-limited-reason", "account-rate"))
        .expect(2)
        .mount(&fake.server)
        .await;
    let client = StripeConnect::new(fake.config().max_retries(1).build().unwrap());
    let err = lookup(&client).await.unwrap_err();
    assert_eq!(err.code(), "stripe_rate_limited");
    let stripe_connect::Error::Stripe(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.rate_limited_reason.as_deref(), Some("account-rate"));
    assert_eq!(e.stripe_code.as_deref(), Some("rate_limit"));
}

/// Waiting would end at the deadline (10 s) with `stripe_timeout`; not waiting answers at once
/// with the 429's error. The bound is half the deadline, so load cannot reach it.
#[tokio::test]
async fn retry_after_past_the_deadline_is_not_waited_for() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(rate_limited().insert_header("retry-after", "30"))
        .expect(1)
        .mount(&fake.server)
        .await;
    let client = StripeConnect::new(fake.config().timeout(Duration::from_secs(10)).build().unwrap());
    let started = Instant::now();
    let err = lookup(&client).await.unwrap_err();
    assert_eq!(err.code(), "stripe_rate_limited", "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    assert_eq!(fake.requests().await.len(), 1);
}

/// The server would answer after 10 s; the 200 ms deadline ends the call with the first attempt
/// still in flight: one request, no retry, and well before the answer.
#[tokio::test]
async fn a_response_slower_than_the_deadline_is_stripe_timeout() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(ok(the_charge()).set_delay(Duration::from_secs(10)))
        .mount(&fake.server)
        .await;
    let client = StripeConnect::new(fake.config().timeout(Duration::from_millis(200)).build().unwrap());
    let started = Instant::now();
    let err = lookup(&client).await.unwrap_err();
    assert_eq!(err.code(), "stripe_timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the deadline is total, not per socket read: {:?}",
        started.elapsed()
    );
    assert_eq!(fake.requests().await.len(), 1, "the deadline is total: no retry after it");
}

/// Every attempt takes at least 150 ms and every backoff at least 10 ms, so a 400 ms deadline
/// leaves room for at most 3 of the 51 attempts allowed.
#[tokio::test]
async fn the_deadline_covers_retries_and_backoff() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(503).set_delay(Duration::from_millis(150)))
        .mount(&fake.server)
        .await;
    let config =
        fake.config().timeout(Duration::from_millis(400)).max_retries(50).retry_base_delay(Duration::from_millis(20));
    let client = StripeConnect::new(config.build().unwrap());
    let started = Instant::now();
    let err = lookup(&client).await.unwrap_err();
    assert!(matches!(err.code().as_str(), "stripe_timeout" | "stripe_unavailable"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let attempts = fake.requests().await.len();
    assert!((1..=3).contains(&attempts), "the retries stop at the deadline: {attempts} attempts");
}

#[tokio::test]
async fn a_connection_dropped_mid_body_is_bad_response_and_is_retried() {
    let body = the_charge().to_string();
    let (base, connections) = dropping_server(usize::MAX, body.clone()).await;
    let client = StripeConnect::new(config_for(&base).max_retries(0).build().unwrap());
    let err = lookup(&client).await.unwrap_err();
    assert_eq!(err.code(), "stripe_bad_response", "{err}");
    assert!(err.to_string().contains("truncated"), "{err}");
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1);

    let (base, connections) = dropping_server(1, body).await;
    let client = StripeConnect::new(config_for(&base).max_retries(2).build().unwrap());
    assert_eq!(lookup(&client).await.unwrap().id, CHARGE);
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 2);
}

/// Issue 10 item 6: a head, then a body that stalls until the deadline, is `stripe_timeout`
/// within the deadline, every time, with a cold client and with a warm one (the transport's own
/// timer, as long as the deadline, used to win the race and report a truncated body).
#[tokio::test]
async fn a_body_that_stalls_until_the_deadline_is_stripe_timeout() {
    let (base, connections, _) = misbehaving_server(Misbehaviour::StallBody).await;
    let deadline = Duration::from_millis(250);
    let client = StripeConnect::new(config_for(&base).timeout(deadline).max_retries(2).build().unwrap());
    for attempt in 0..6 {
        let started = Instant::now();
        let err = lookup(&client).await.unwrap_err();
        assert_eq!(err.code(), "stripe_timeout", "call {attempt}: {err}");
        assert!(started.elapsed() < deadline + Duration::from_millis(500), "call {attempt}: {:?}", started.elapsed());
    }
    assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 6, "one attempt per call: no retry");
}

/// Issue 10 item 6: a body over the 16 MiB cap is `stripe_bad_response` at once, not retried
/// (it used to be retried as if truncated: 48 MiB read before failing). A declared length over
/// the cap is refused before the body is read.
#[tokio::test]
async fn a_body_over_the_cap_is_bad_response_at_once_and_not_retried() {
    for how in [Misbehaviour::DeclaredTooLarge, Misbehaviour::ChunkedTooLarge] {
        let (base, connections, written) = misbehaving_server(how).await;
        let client = StripeConnect::new(config_for(&base).max_retries(2).build().unwrap());
        let err = lookup(&client).await.unwrap_err();
        assert_eq!(err.code(), "stripe_bad_response", "{how:?}: {err}");
        assert!(err.to_string().contains("too large"), "{err}");
        assert_eq!(connections.load(std::sync::atomic::Ordering::SeqCst), 1, "{how:?}: not retried");
        let written = written.load(std::sync::atomic::Ordering::SeqCst);
        assert!(written <= 17 * 1024 * 1024, "{how:?}: {written} bytes");
    }
}

#[tokio::test]
async fn html_instead_of_json_is_bad_response_and_not_retried() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(200).set_body_raw("<html><body>Bad gateway</body></html>", "text/html"))
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_bad_response");
    assert_eq!(err.status(), Some(200));
    assert!(err.to_string().contains("not JSON"), "{err}");
}

#[tokio::test]
async fn json_of_the_wrong_shape_is_bad_response() {
    // (One server per case: wiremock's scoped mocks misbehave next to prioritised ones.)
    let wrong = [
        json!({"id": CHARGE, "amount": "a lot", "currency": "usd", "created": 1}),
        json!([1, 2]),
        json!({"object": "charge"}),
        json!(null),
    ];
    for body in &wrong {
        let fake = FakeStripe::start().await;
        fake.get(CHARGE_PATH, &[]).respond_with(ok(body.clone())).expect(1).mount(&fake.server).await;
        let err = lookup(&fake.client()).await.unwrap_err();
        assert_eq!(err.code(), "stripe_bad_response", "{body}");
        assert_eq!(err.request_id(), Some("req_ok"));
    }
    let fake = FakeStripe::start().await;
    fake.get("/v1/customers", &[("email", "a@b.co"), ("limit", "100")])
        .respond_with(ok(json!({"object": "list", "data": "nope", "has_more": false})))
        .mount(&fake.server)
        .await;
    fake.get("/v1/customers/search", &[("query", "email:\"a@b.co\""), ("limit", "100")])
        .respond_with(ok(json!({"object": "search_result", "data": [], "has_more": false})))
        .mount(&fake.server)
        .await;
    let err = fake.client().account(&acct()).customers_by_email("a@b.co").await.unwrap_err();
    assert_eq!(err.code(), "stripe_bad_response");
}

#[tokio::test]
async fn a_401_keeps_stripes_error_and_request_id() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(stripe_error(
            401,
            "invalid_request_error",
            None,
            "Invalid API Key provided: sk_test_****ests",
            None,
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_auth_failed");
    assert_eq!((err.status(), err.request_id()), (Some(401), Some("req_401")));
    let stripe_connect::Error::Stripe(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.error_type.as_deref(), Some("invalid_request_error"));
    assert!(!err.to_string().contains(KEY), "the key must never appear in an error");
}

#[tokio::test]
async fn a_404_keeps_code_param_and_request_id() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(stripe_error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            "No such charge: 'ch_3MmlLrLkdIwHu7ix0snN0B15'",
            Some("id"),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_not_found");
    assert_eq!(err.stripe_code(), Some("resource_missing"));
    assert_eq!(err.request_id(), Some("req_404"));
    let stripe_connect::Error::Stripe(e) = &err else { panic!("{err:?}") };
    assert_eq!(e.param.as_deref(), Some("id"));
    assert!(err.to_string().contains("No such charge"), "{err}");
}

#[tokio::test]
async fn other_4xx_are_api_errors_and_403_is_permission_denied() {
    for (status, code) in [(400, "stripe_api_error"), (403, "stripe_permission_denied"), (409, "stripe_api_error")] {
        let fake = FakeStripe::start().await;
        fake.get(CHARGE_PATH, &[])
            .respond_with(stripe_error(status, "invalid_request_error", Some("x"), "no", None))
            .expect(1)
            .mount(&fake.server)
            .await;
        let client = StripeConnect::new(fake.config().max_retries(0).build().unwrap());
        assert_eq!(lookup(&client).await.unwrap_err().code(), code, "HTTP {status}");
    }
}

#[tokio::test]
async fn max_retries_zero_means_exactly_one_request() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[]).respond_with(ResponseTemplate::new(503)).expect(1).mount(&fake.server).await;
    let client = StripeConnect::new(fake.config().max_retries(0).build().unwrap());
    assert_eq!(lookup(&client).await.unwrap_err().code(), "stripe_unavailable");
}

#[tokio::test]
async fn default_retries_are_two_then_unavailable() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>502</html>"))
        .expect(3)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_unavailable");
    assert!(err.to_string().contains("after 3 attempts"), "{err}");
}

#[tokio::test]
async fn nobody_listening_is_unavailable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let client = StripeConnect::new(config_for(&base).build().unwrap());
    assert_eq!(lookup(&client).await.unwrap_err().code(), "stripe_unavailable");
}

/// Counted in flight at the transport, under the limiter (which wraps every transport): one
/// account never has more than its limit in flight, and the accounts do not share one. The calls
/// are `fresh()`, so identical ones are each sent (not coalesced).
#[tokio::test]
async fn concurrency_is_limited_per_account() {
    let canned = || Arc::new(CannedStripe::new(Duration::from_millis(10)).route(CHARGE_PATH, &[], the_charge()));
    let lookups = |stripe: &Arc<CannedStripe>, accounts: Vec<&'static str>| {
        let client = stripe.builder(|c| c.max_concurrency_per_account(2)).build().fresh();
        async move {
            let calls = accounts.iter().map(|a| {
                let client = client.clone();
                async move { client.account(&AccountId::parse(a).unwrap()).lookup_charge(&charge_id()).await.unwrap() }
            });
            futures::future::join_all(calls).await.len()
        }
    };

    let stripe = canned();
    assert_eq!(lookups(&stripe, vec![ACCT; 6]).await, 6);
    assert_eq!(stripe.max_in_flight(ACCT), 2, "6 calls at once on one account, at most 2 in flight");
    assert_eq!(stripe.assert_contract(&[ACCT]), 6);

    let stripe = canned();
    let accounts = [ACCT, "acct_2", "acct_3"];
    assert_eq!(lookups(&stripe, accounts.iter().flat_map(|a| [*a; 4]).collect()).await, 12);
    for a in accounts {
        assert_eq!(stripe.max_in_flight(a), 2, "4 calls at once on {a}, at most 2 in flight");
    }
    assert_eq!(stripe.max_total_in_flight(), 6, "accounts do not share a limit: 2 each in flight together");
    assert_eq!(stripe.assert_contract(&accounts), 12);
}

/// A transport that records what it was asked to send.
#[derive(Default)]
struct Recording(Mutex<Vec<GetRequest>>);

#[async_trait]
impl ApiTransport for Recording {
    async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError> {
        self.0.lock().unwrap().push(request.clone());
        Ok(RawResponse { status: 200, headers: vec![], body: the_charge().to_string().into_bytes() })
    }
}

#[tokio::test]
async fn the_transport_is_swappable_and_gets_every_header() {
    let recording = Arc::new(Recording::default());
    let client = StripeConnect::builder(config_for("https://api.example.test").build().unwrap())
        .api_transport(recording.clone())
        .build();
    assert_eq!(lookup(&client).await.unwrap().id, CHARGE);
    let sent = recording.0.lock().unwrap();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].url().as_str(), format!("https://api.example.test{CHARGE_PATH}"));
    let headers: Vec<(&str, &str)> = sent[0].headers().collect();
    let bearer = format!("Bearer {KEY}");
    for expected in [
        ("authorization", bearer.as_str()),
        ("stripe-account", ACCT),
        ("stripe-version", STRIPE_VERSION),
        ("user-agent", USER_AGENT),
    ] {
        assert!(headers.contains(&expected), "{expected:?} missing from {:?}", sent[0]);
    }
    assert!(!format!("{:?}", sent[0]).contains(KEY), "Debug must redact the key");
}

#[test]
fn the_spec_check_rejects_undeclared_parameters() {
    use crate::fake_stripe::declared;
    assert!(declared("/v1/customers", "email", "a@b.co").is_ok());
    assert!(declared("/v1/products", "ids[]", "prod_1").is_ok());
    assert!(declared("/v1/subscriptions", "status", "all").is_ok());
    assert!(declared("/v1/subscriptions", "status", "everything").is_err());
    assert!(declared("/v1/charges", "email", "a@b.co").is_err());
    assert!(declared("/v1/charges/ch_1", "limit", "1").is_err());
    assert!(declared("/v1/customers/cus_1/sources", "limit", "1").is_err());
}

/// Any charge of `account`, answered at once.
async fn any_charge(fake: &FakeStripe, account: &str) {
    wiremock::Mock::given(wiremock::matchers::method("GET"))
        .and(wiremock::matchers::path_regex(r"^/v1/charges/ch_\w+$"))
        .and(wiremock::matchers::header("stripe-account", account))
        .respond_with(ok(the_charge()))
        .mount(&fake.server)
        .await;
}

/// `n` lookups of distinct charges on `account` at once (distinct: nothing is coalesced); how long
/// they took together.
async fn burst(client: &StripeConnect, account: &str, n: usize) -> Duration {
    let account = AccountId::parse(account).unwrap();
    let started = Instant::now();
    let calls = (0..n).map(|i| {
        let (client, account) = (client.clone(), account.clone());
        async move { client.account(&account).lookup_charge(&ChargeId::parse(format!("ch_burst{i}")).unwrap()).await }
    });
    for result in futures::future::join_all(calls).await {
        result.unwrap();
    }
    started.elapsed()
}

/// Issue 22 item 4: each account is paced to Stripe's limit for the key's mode
/// (<https://docs.stripe.com/rate-limits>: 25 requests a second in test mode, 100 in live mode),
/// times the instance's share. The exact windows are unit-tested in `api::pace` with paused time.
#[tokio::test]
async fn each_account_is_paced_to_stripes_limit_for_the_mode_and_the_share() {
    let fake = FakeStripe::start().await;
    any_charge(&fake, ACCT).await;
    any_charge(&fake, "acct_1OtherAccount").await;
    let test_mode = StripeConnect::new(fake.config().build().unwrap());
    // 30 in test mode: 25 in the first second, 5 in the next.
    let took = burst(&test_mode, ACCT, 30).await;
    assert!(took >= Duration::from_millis(950), "30 requests in {took:?}");
    // Another account has its own budget: 25 at once.
    assert!(burst(&test_mode, "acct_1OtherAccount", 25).await < Duration::from_millis(900));

    let live = StripeConnect::new(config_for(&fake.server.uri()).secret_key("sk_live_51FakeLiveKey").build().unwrap());
    // A fresh second for ACCT: 100 fit in one second in live mode.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(burst(&live, ACCT, 60).await < Duration::from_millis(900), "live mode: 60 at once");
    let half = StripeConnect::new(
        config_for(&fake.server.uri()).secret_key("sk_live_51FakeLiveKey").api_rate_share(0.25).build().unwrap(),
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let took = burst(&half, ACCT, 30).await;
    assert!(took >= Duration::from_millis(950), "a quarter of 100 is 25 a second: 30 took {took:?}");
}

/// Issue 22 item 4: a 429 pauses the account for its `Retry-After`, every request of it (not only
/// the one that got it: the limit is the account's); other accounts go on.
#[tokio::test]
async fn a_429_pauses_its_account_for_retry_after_and_not_the_others() {
    let fake = FakeStripe::start().await;
    first_then_ok(
        &fake,
        rate_limited().insert_header("retry-after", "1").insert_header("stripe-rate-limited-reason", "global-rate"),
    )
    .await;
    any_charge(&fake, ACCT).await;
    any_charge(&fake, "acct_1OtherAccount").await;
    let client = fake.client();
    let started = Instant::now();
    let first = tokio::spawn({
        let client = client.clone();
        async move { lookup(&client).await }
    });
    // The 429 is in (and read: the answer is immediate) before the others start.
    while fake.requests().await.is_empty() {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let other = burst(&client, "acct_1OtherAccount", 3).await;
    let same = burst(&client, ACCT, 3).await;
    first.await.unwrap().unwrap();
    assert!(other < Duration::from_millis(500), "another account is not paused ({other:?})");
    assert!(started.elapsed() >= Duration::from_millis(950), "the retry waited for Retry-After");
    assert!(same >= Duration::from_millis(700), "the same account waited for the pause ({same:?})");
}

/// A pause that outlasts a call's deadline fails the call at once with the 429's code, sending
/// nothing, instead of waiting to time out.
#[tokio::test]
async fn a_pause_past_the_deadline_fails_at_once_as_rate_limited_and_sends_nothing() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(rate_limited().insert_header("retry-after", "30"))
        .expect(1)
        .mount(&fake.server)
        .await;
    let client = fake.client();
    assert_eq!(lookup(&client).await.unwrap_err().code(), "stripe_rate_limited");
    let started = Instant::now();
    let err = burst_one(&client).await;
    assert_eq!(err.code(), "stripe_rate_limited");
    assert!(err.to_string().contains("not sent: Stripe rate-limited account acct_1TestAppAccount (429)"), "{err}");
    assert!(started.elapsed() < Duration::from_millis(500));
    assert_eq!(fake.requests().await.len(), 1, "nothing more was sent");
    fake.server.verify().await;
}

async fn burst_one(client: &StripeConnect) -> stripe_connect::Error {
    client.account(&acct()).lookup_charge(&ChargeId::parse("ch_after_the_429").unwrap()).await.unwrap_err()
}

/// Only a 429 pauses its account: a 503 is retried at once (after the backoff), with no pause.
#[tokio::test]
async fn a_5xx_does_not_pause_the_account() {
    let fake = FakeStripe::start().await;
    first_then_ok(&fake, ResponseTemplate::new(503)).await;
    let client = fake.client();
    let started = Instant::now();
    lookup(&client).await.unwrap();
    assert!(started.elapsed() < Duration::from_millis(700), "{:?}", started.elapsed());
}
