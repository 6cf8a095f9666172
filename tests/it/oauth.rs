//! OAuth contract tests: every request the flow sends is asserted exactly (method, path,
//! Content-Type, form fields, Bearer key, no Stripe-Account), with `.expect(n)` and a catch-all
//! that fails on anything else, on the Connect host and on the API host (which must see nothing).
//!
//! Response bodies are the shapes of Stripe's OAuth reference (connect.stripe.com/oauth/token and
//! /oauth/deauthorize are not in the OpenAPI fixtures); the account id is `resources.account.id`
//! of Stripe's public `fixtures3.json` (github.com/stripe/openapi).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use stripe_connect::{
    AccountId, AppSlug, AuthorizeUrl, CallbackQuery, ClaimState, ClaimStore, Config, ConfigBuilder, Connected,
    Connection, ConnectionStore, DisconnectResult, Error, Fence, LeaseToken, ManualClock, MemoryConnectionStore,
    Prefill, Scope, StoreError, StripeConnect,
};
use wiremock::matchers::{any, header, method, path};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

const SECRET_KEY: &str = "sk_test_51OauthContractKey0123456789";
const CLIENT_ID: &str = "ca_FkyHCg7X8mlvCUdMDao4mMxagUfhIwXb";
const REDIRECT_URI: &str = "https://support.example.com/api/stripe/callback?from=settings&tab=a%20b";
const STATE_SECRET: &str = "oauth-contract-state-secret-0123456789abcdef";
/// fixtures3.json `resources.account.id`.
const ACCOUNT: &str = "acct_1PgafTB7WZ01zgkW";
const CODE: &str = "ac_1PgafTB7WZ01zgkWcodeXYZ";
const NOW: i64 = 1_750_000_000;

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

/// Stripe's token response, deprecated tokens included (they must be neither stored nor shown).
fn token_ok(livemode: bool, scope: &str) -> Value {
    json!({
        "access_token": "sk_test_TOKEN_MUST_NOT_LEAK",
        "livemode": livemode,
        "refresh_token": "rt_TOKEN_MUST_NOT_LEAK",
        "token_type": "bearer",
        "stripe_publishable_key": "pk_test_TOKEN_MUST_NOT_LEAK",
        "stripe_user_id": ACCOUNT,
        "scope": scope
    })
}

fn oauth_error(code: &str, description: &str) -> Value {
    json!({ "error": code, "error_description": description })
}

/// No `Stripe-Account` header: OAuth calls are the platform's own, never on behalf of an account.
struct NoHeader(&'static str);

impl Match for NoHeader {
    fn matches(&self, request: &Request) -> bool {
        !request.headers.contains_key(self.0)
    }
}

/// The form body holds exactly these fields (decoded), no more.
struct FormIs(Vec<(String, String)>);

impl Match for FormIs {
    fn matches(&self, request: &Request) -> bool {
        let mut sent: Vec<(String, String)> = url::form_urlencoded::parse(&request.body).into_owned().collect();
        let mut want = self.0.clone();
        sent.sort();
        want.sort();
        sent == want
    }
}

fn oauth_post(endpoint: &str, form: &[(&str, &str)]) -> MockBuilder {
    Mock::given(method("POST"))
        .and(path(endpoint))
        .and(header("content-type", "application/x-www-form-urlencoded"))
        .and(header("authorization", format!("Bearer {SECRET_KEY}").as_str()))
        .and(NoHeader("stripe-account"))
        .and(FormIs(form.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
}

fn token_exchange(code: &str) -> MockBuilder {
    oauth_post("/oauth/token", &[("grant_type", "authorization_code"), ("code", code)])
}

fn deauthorize(account: &str) -> MockBuilder {
    oauth_post("/oauth/deauthorize", &[("client_id", CLIENT_ID), ("stripe_user_id", account)])
}

/// Lowest priority: whatever no other mock matched fails verification.
pub(crate) async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(500))
        .with_priority(u8::MAX)
        .expect(0)
        .named("unexpected request")
        .mount(server)
        .await;
}

fn slug(s: &str) -> AppSlug {
    AppSlug::parse(s).unwrap()
}

struct Harness {
    connect: MockServer,
    api: MockServer,
    clock: ManualClock,
    client: StripeConnect,
}

impl Harness {
    async fn new() -> Self {
        Self::with(|b| b, None, None).await
    }

    async fn with(
        tweak: impl FnOnce(ConfigBuilder) -> ConfigBuilder,
        connections: Option<Arc<dyn ConnectionStore>>,
        claims: Option<Arc<dyn ClaimStore>>,
    ) -> Self {
        let (connect, api) = (MockServer::start().await, MockServer::start().await);
        catch_all(&connect).await;
        catch_all(&api).await;
        let clock = ManualClock::new(NOW);
        let config = tweak(Self::config(&connect, &api)).build().unwrap();
        let mut builder = StripeConnect::builder(config).clock(Arc::new(clock.clone()));
        if let Some(c) = connections {
            builder = builder.connection_store(c);
        }
        if let Some(c) = claims {
            builder = builder.claim_store(c);
        }
        Harness { client: builder.build(), connect, api, clock }
    }

    /// The API base is a server of its own that must receive nothing.
    fn config(connect: &MockServer, api: &MockServer) -> ConfigBuilder {
        Config::builder()
            .secret_key(SECRET_KEY)
            .client_id(CLIENT_ID)
            .redirect_uri(REDIRECT_URI)
            .state_secret(STATE_SECRET)
            .connect_base(connect.uri())
            .api_base(api.uri())
    }

    fn start(&self, app: &str) -> AuthorizeUrl {
        self.client.authorize_url(&slug(app), &Prefill::default()).unwrap()
    }

    /// The redirect Stripe sends back on success, with the state cookie set to `cookie`.
    async fn callback(&self, query_state: &str, cookie: Option<&str>) -> Result<Connected, Error> {
        let query = CallbackQuery::from_pairs([("code", CODE), ("scope", "read_write"), ("state", query_state)]);
        self.client.handle_callback(&query, cookie).await
    }

    /// The one successful code exchange a test expects.
    async fn expect_one_exchange(&self) {
        token_exchange(CODE)
            .respond_with(ResponseTemplate::new(200).set_body_json(token_ok(false, "read_write")))
            .expect(1)
            .mount(&self.connect)
            .await;
    }

    async fn connection(&self, app: &str) -> Option<Connection> {
        self.client.connections().get_by_slug(&slug(app)).await.unwrap()
    }

    async fn posts(&self) -> usize {
        self.connect.received_requests().await.unwrap().len()
    }

    async fn verify(&self) {
        self.connect.verify().await;
        self.api.verify().await;
        assert!(self.api.received_requests().await.unwrap().is_empty(), "nothing may reach the API host");
    }
}

fn pairs(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

// ---------------------------------------------------------------------------------------------
// Authorize URL
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn authorize_url_round_trips_every_parameter() {
    let h = Harness::new().await;
    let prefill = Prefill {
        email: Some("o'brien+support@exämple.com".into()),
        url: Some("https://shop.example.com/a?b=c&d=e#f".into()),
        business_name: Some("Café & Co. / 100% = \"yes\"?".into()),
        country: Some("FR".into()),
    };
    let start = h.client.authorize_url(&slug("help.desk-2"), &prefill).unwrap();
    let reparsed = url::Url::parse(start.url.as_str()).unwrap();
    assert_eq!(reparsed, start.url);
    assert_eq!(
        format!("{}{}", reparsed.origin().ascii_serialization(), reparsed.path()),
        format!("{}/oauth/authorize", h.connect.uri())
    );
    let expected: Vec<(String, String)> = [
        ("response_type", "code"),
        ("client_id", CLIENT_ID),
        ("scope", "read_write"),
        ("redirect_uri", REDIRECT_URI),
        ("state", start.state.as_str()),
        ("stripe_user[email]", "o'brien+support@exämple.com"),
        ("stripe_user[url]", "https://shop.example.com/a?b=c&d=e#f"),
        ("stripe_user[business_name]", "Café & Co. / 100% = \"yes\"?"),
        ("stripe_user[country]", "FR"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    assert_eq!(pairs(&reparsed), expected);
    assert_eq!(reparsed.fragment(), None, "a `#` in a value must be encoded, not end the query");
    assert_eq!(start.expires_at, NOW + 600);
    h.verify().await;
}

#[tokio::test]
async fn authorize_url_uses_configured_scope_and_fresh_states() {
    let h = Harness::with(|b| b.scope("read_only"), None, None).await;
    let (a, b) = (h.start("app"), h.start("app"));
    assert_ne!(a.state, b.state, "every flow gets its own nonce");
    assert!(pairs(&a.url).contains(&("scope".into(), "read_only".into())));
    assert!(!pairs(&a.url).iter().any(|(k, _)| k.starts_with("stripe_user")), "empty prefill adds nothing");
}

#[tokio::test]
async fn authorize_url_needs_client_id_and_redirect_uri() {
    let connect = MockServer::start().await;
    for build in [
        Config::builder().secret_key(SECRET_KEY).redirect_uri(REDIRECT_URI),
        Config::builder().secret_key(SECRET_KEY).client_id(CLIENT_ID),
    ] {
        let client = StripeConnect::new(build.connect_base(connect.uri()).build().unwrap());
        let err = client.authorize_url(&slug("app"), &Prefill::default()).unwrap_err();
        assert_eq!(err.code(), "config_invalid");
    }
}

// ---------------------------------------------------------------------------------------------
// Callback and code exchange
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn callback_exchanges_the_code_once_and_saves_the_connection() {
    let h = Harness::new().await;
    h.expect_one_exchange().await;
    let start = h.start("helpdesk");

    let conn = h.callback(&start.state, Some(&start.state)).await.unwrap();
    let expected = Connection::new(slug("helpdesk"), AccountId::parse(ACCOUNT).unwrap(), false, Scope::ReadWrite);
    assert_eq!(conn.connection, expected);
    assert_eq!(conn.replaced_account_id, None, "a first connection replaces nothing");
    assert_eq!(h.connection("helpdesk").await, Some(expected));
    let shown = format!("{conn:?} {:?} {:?}", h.client, h.client.connections().list().await.unwrap());
    assert!(!shown.contains("TOKEN_MUST_NOT_LEAK") && !shown.contains(SECRET_KEY), "{shown}");
    h.verify().await;
}

#[tokio::test]
async fn callback_from_a_raw_query_string_and_a_live_read_only_grant() {
    let h = Harness::new().await;
    let body = json!({ "livemode": true, "scope": "read_only", "stripe_user_id": ACCOUNT });
    token_exchange(CODE).respond_with(ResponseTemplate::new(200).set_body_json(body)).expect(1).mount(&h.connect).await;
    let start = h.start("helpdesk");
    let raw = format!("?code={CODE}&scope=read_only&state={}", start.state);
    let conn = h.client.handle_callback(&CallbackQuery::parse(&raw), Some(&start.state)).await.unwrap();
    assert!(conn.connection.livemode);
    assert_eq!(conn.connection.scope, "read_only");
    h.verify().await;
}

#[tokio::test]
async fn token_endpoint_errors_map_to_codes_after_one_post() {
    for (status, stripe, code) in [
        (400, "invalid_grant", "oauth_invalid_grant"),
        (400, "invalid_request", "oauth_invalid_request"),
        (400, "invalid_scope", "oauth_invalid_scope"),
        (401, "invalid_client", "oauth_invalid_client"),
        (400, "unsupported_grant_type", "oauth_unsupported_grant_type"),
        (400, "unsupported_response_type", "oauth_unsupported_response_type"),
        (400, "brand_new_error", "oauth_error"),
    ] {
        let h = Harness::new().await;
        let description = format!("Authorization code does not exist: {CODE}");
        token_exchange(CODE)
            .respond_with(
                ResponseTemplate::new(status)
                    .set_body_json(oauth_error(stripe, &description))
                    .insert_header("request-id", "req_oauth1"),
            )
            .expect(1)
            .mount(&h.connect)
            .await;
        let start = h.start("helpdesk");
        let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
        assert_eq!(err.code(), code, "{stripe}");
        assert_eq!(
            (err.stripe_code(), err.status(), err.request_id()),
            (Some(stripe), Some(status), Some("req_oauth1"))
        );
        assert!(err.to_string().contains(&description), "{err}");
        assert_eq!(h.connection("helpdesk").await, None);
        h.verify().await;
    }
}

#[tokio::test]
async fn a_500_from_the_token_endpoint_is_sent_exactly_once() {
    let h = Harness::new().await;
    token_exchange(CODE)
        .respond_with(ResponseTemplate::new(500).insert_header("request-id", "req_500"))
        .expect(1)
        .mount(&h.connect)
        .await;
    let start = h.start("helpdesk");
    let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "stripe_unavailable");
    assert_eq!((err.status(), err.request_id()), (Some(500), Some("req_500")));
    // Calling back again does not resend the code either: the state is spent.
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "oauth_state_used");
    assert_eq!(h.posts().await, 1);
    h.verify().await;
}

#[tokio::test]
async fn bad_token_bodies_are_bad_responses_and_leak_nothing() {
    for body in [
        "not json".to_string(),
        json!({ "access_token": "sk_test_TOKEN_MUST_NOT_LEAK", "livemode": false, "scope": "read_write" }).to_string(),
        json!({ "access_token": "sk_test_TOKEN_MUST_NOT_LEAK", "stripe_user_id": "acct_../charges", "livemode": false, "scope": "read_write" }).to_string(),
        json!({ "stripe_user_id": ACCOUNT, "livemode": "sk_test_TOKEN_MUST_NOT_LEAK", "scope": "read_write" }).to_string(),
    ] {
        let h = Harness::new().await;
        token_exchange(CODE).respond_with(ResponseTemplate::new(200).set_body_string(body.clone())).expect(1).mount(&h.connect).await;
        let start = h.start("helpdesk");
        let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
        assert_eq!(err.code(), "stripe_bad_response", "{body}");
        assert_eq!(err.status(), Some(200));
        assert!(!format!("{err} {err:?}").contains("TOKEN_MUST_NOT_LEAK"), "{err:?}");
        assert_eq!(h.connection("helpdesk").await, None);
        h.verify().await;
    }
}

#[tokio::test]
async fn network_failure_is_unavailable_and_not_retried() {
    // A port with nothing listening.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let client = StripeConnect::builder(
        Config::builder()
            .secret_key(SECRET_KEY)
            .client_id(CLIENT_ID)
            .redirect_uri(REDIRECT_URI)
            .connect_base(format!("http://{closed}"))
            .build()
            .unwrap(),
    )
    .clock(Arc::new(ManualClock::new(NOW)))
    .build();
    let start = client.authorize_url(&slug("app"), &Prefill::default()).unwrap();
    let query = CallbackQuery::from_pairs([("code", CODE), ("state", &start.state)]);
    let err = client.handle_callback(&query, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "stripe_unavailable");
    assert!(!err.to_string().contains(SECRET_KEY));
    assert_eq!(client.handle_callback(&query, Some(&start.state)).await.unwrap_err().code(), "oauth_state_used");
}

#[tokio::test]
async fn a_slow_token_endpoint_times_out_after_one_post() {
    let h = Harness::with(|b| b.timeout(Duration::from_millis(200)), None, None).await;
    token_exchange(CODE)
        .respond_with(
            ResponseTemplate::new(200).set_body_json(token_ok(false, "read_write")).set_delay(Duration::from_secs(2)),
        )
        .expect(1)
        .mount(&h.connect)
        .await;
    let start = h.start("helpdesk");
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "stripe_timeout");
    assert_eq!(h.connection("helpdesk").await, None);
    h.verify().await;
}

/// Issue 10 item 6, OAuth side: a token answer whose body stalls is `stripe_timeout` within the
/// deadline (it was `stripe_unavailable`), and one over the 16 MiB cap is `stripe_bad_response`;
/// either way one POST.
#[tokio::test]
async fn a_stalled_or_oversized_token_answer_gets_its_own_code_after_one_post() {
    use crate::fake_stripe::{misbehaving_server, Misbehaviour};
    // Reading 16 MiB in a debug build on a busy machine takes a while: a roomy deadline there.
    for (how, code, deadline) in [
        (Misbehaviour::StallBody, "stripe_timeout", Duration::from_millis(300)),
        (Misbehaviour::DeclaredTooLarge, "stripe_bad_response", Duration::from_secs(20)),
        (Misbehaviour::ChunkedTooLarge, "stripe_bad_response", Duration::from_secs(20)),
    ] {
        let (base, connections, _) = misbehaving_server(how).await;
        let client = StripeConnect::builder(
            Config::builder()
                .secret_key(SECRET_KEY)
                .client_id(CLIENT_ID)
                .redirect_uri(REDIRECT_URI)
                .connect_base(base)
                .timeout(deadline)
                .build()
                .unwrap(),
        )
        .clock(Arc::new(ManualClock::new(NOW)))
        .build();
        let start = client.authorize_url(&slug("app"), &Prefill::default()).unwrap();
        let query = CallbackQuery::from_pairs([("code", CODE), ("state", &start.state)]);
        let started = std::time::Instant::now();
        let err = client.handle_callback(&query, Some(&start.state)).await.unwrap_err();
        assert_eq!(err.code(), code, "{how:?}: {err}");
        assert!(started.elapsed() < deadline + Duration::from_millis(700), "{how:?}: {:?}", started.elapsed());
        assert_eq!(connections.load(Ordering::SeqCst), 1, "{how:?}");
    }
}

#[tokio::test]
async fn a_replayed_callback_sends_nothing() {
    let h = Harness::new().await;
    h.expect_one_exchange().await;
    let start = h.start("helpdesk");
    h.callback(&start.state, Some(&start.state)).await.unwrap();
    let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "oauth_state_used");
    assert_eq!(h.posts().await, 1);
    h.verify().await;
}

/// Leases run out and done marks expire, but a state's claim does not free the state: a failed
/// exchange leaves it spent until the state itself has expired, with no lease to wait out.
#[tokio::test]
async fn a_state_is_never_accepted_twice_even_after_a_failed_exchange_and_time() {
    let h = Harness::new().await;
    token_exchange(CODE)
        .respond_with(ResponseTemplate::new(400).set_body_json(serde_json::json!({
            "error": "invalid_grant", "error_description": "This authorization code has already been used."
        })))
        .expect(1)
        .mount(&h.connect)
        .await;
    let start = h.start("helpdesk");
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "oauth_invalid_grant");
    for advance in [1, 60, 538] {
        h.clock.advance(advance);
        assert_eq!(
            h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(),
            "oauth_state_used",
            "{advance} s later"
        );
    }
    h.clock.advance(1); // 600 s: the state's own expiry
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "oauth_state_expired");
    assert_eq!(h.posts().await, 1);
    h.verify().await;
}

#[tokio::test]
async fn concurrent_callbacks_with_one_state_exchange_once() {
    let h = Harness::new().await;
    token_exchange(CODE)
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(token_ok(false, "read_write"))
                .set_delay(Duration::from_millis(200)),
        )
        .expect(1)
        .mount(&h.connect)
        .await;
    let start = h.start("helpdesk");
    let (a, b) =
        tokio::join!(h.callback(&start.state, Some(&start.state)), h.callback(&start.state, Some(&start.state)));
    let mut codes: Vec<&str> =
        [&a, &b].iter().map(|r| r.as_ref().map(|_| "connected").unwrap_or_else(|e| e.code().as_str())).collect();
    codes.sort();
    assert_eq!(codes, ["connected", "oauth_state_used"]);
    assert_eq!(h.posts().await, 1);
    h.verify().await;
}

#[tokio::test]
async fn expired_state_is_refused_before_stripe() {
    let h = Harness::new().await;
    let start = h.start("helpdesk");
    h.clock.advance(600);
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "oauth_state_expired");
    h.verify().await;
}

#[tokio::test]
async fn ttl_comes_from_config() {
    let h = Harness::with(|b| b.state_ttl(Duration::from_secs(30)), None, None).await;
    h.expect_one_exchange().await;
    let (late, fresh) = (h.start("late"), h.start("fresh"));
    assert_eq!(late.expires_at, NOW + 30);
    h.clock.advance(29);
    h.callback(&fresh.state, Some(&fresh.state)).await.unwrap();
    h.clock.advance(1);
    assert_eq!(h.callback(&late.state, Some(&late.state)).await.unwrap_err().code(), "oauth_state_expired");
    h.verify().await;
}

#[tokio::test]
async fn state_signed_with_another_secret_is_invalid() {
    let h = Harness::new().await;
    let other = StripeConnect::new(
        Harness::config(&h.connect, &h.api).state_secret("another-state-secret-0123456789abcdefghij").build().unwrap(),
    );
    let foreign = other.authorize_url(&slug("helpdesk"), &Prefill::default()).unwrap();
    assert_eq!(h.callback(&foreign.state, Some(&foreign.state)).await.unwrap_err().code(), "oauth_invalid_state");
    h.verify().await;
}

#[tokio::test]
async fn missing_mismatched_or_forged_state_is_invalid() {
    let h = Harness::new().await;
    let start = h.start("helpdesk");
    let mut forged = start.state.clone().into_bytes();
    let mid = forged.len() - 10;
    forged[mid] = if forged[mid] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).unwrap();
    for (query_state, cookie) in [
        (start.state.as_str(), None),
        (start.state.as_str(), Some("")),
        ("", Some(start.state.as_str())),
        (start.state.as_str(), Some(&start.state[..start.state.len() - 1])),
        (forged.as_str(), Some(forged.as_str())),
        ("not-a-state", Some("not-a-state")),
    ] {
        let err = h.callback(query_state, cookie).await.unwrap_err();
        assert_eq!(err.code(), "oauth_invalid_state", "{query_state:?} / {cookie:?}");
    }
    let no_state = CallbackQuery::from_pairs([("code", CODE)]);
    assert_eq!(
        h.client.handle_callback(&no_state, Some(&start.state)).await.unwrap_err().code(),
        "oauth_invalid_state"
    );
    h.verify().await;
}

#[tokio::test]
async fn one_apps_state_cannot_connect_another() {
    let h = Harness::new().await;
    h.expect_one_exchange().await;
    let (a, b) = (h.start("app-a"), h.start("app-b"));
    // A's state in the URL, B's in the cookie (or the other way round): refused, nothing sent.
    assert_eq!(h.callback(&a.state, Some(&b.state)).await.unwrap_err().code(), "oauth_invalid_state");
    assert_eq!(h.callback(&b.state, Some(&a.state)).await.unwrap_err().code(), "oauth_invalid_state");
    assert_eq!(h.posts().await, 0);
    // A's state in both: the slug comes from the signed state, so it connects A and only A.
    let conn = h.callback(&a.state, Some(&a.state)).await.unwrap();
    assert_eq!(conn.connection.app_slug, slug("app-a"));
    assert_eq!(h.connection("app-b").await, None);
    h.verify().await;
}

#[tokio::test]
async fn redirect_errors_need_no_state_and_send_nothing() {
    let h = Harness::new().await;
    let start = h.start("helpdesk");
    for (query, cookie, code, stripe_code, text) in [
        (
            "error=access_denied&error_description=The+user+denied+your+request",
            None,
            "oauth_access_denied",
            None,
            "The user denied your request",
        ),
        ("error=access_denied", None, "oauth_access_denied", None, "declined"),
        (
            &format!("error=access_denied&state={}", start.state),
            Some(start.state.as_str()),
            "oauth_access_denied",
            None,
            "declined",
        ),
        (
            "error=invalid_scope&error_description=Invalid+scope+%27admin%27",
            None,
            "oauth_error",
            Some("invalid_scope"),
            "Invalid scope 'admin'",
        ),
    ] {
        let err = h.client.handle_callback(&CallbackQuery::parse(query), cookie).await.unwrap_err();
        assert_eq!((err.code().as_str(), err.stripe_code()), (code, stripe_code), "{query}");
        assert!(err.to_string().contains(text), "{err}");
    }
    h.verify().await;
}

#[tokio::test]
async fn missing_code_is_invalid_input_and_keeps_the_state() {
    let h = Harness::new().await;
    h.expect_one_exchange().await;
    let start = h.start("helpdesk");
    let no_code = CallbackQuery::from_pairs([("state", start.state.as_str()), ("scope", "read_write")]);
    assert_eq!(h.client.handle_callback(&no_code, Some(&start.state)).await.unwrap_err().code(), "invalid_input");
    let twice = CallbackQuery::parse(&format!("code={CODE}&code=ac_other&state={}", start.state));
    assert_eq!(h.client.handle_callback(&twice, Some(&start.state)).await.unwrap_err().code(), "invalid_input");
    // Nothing was claimed: the real callback still works.
    h.callback(&start.state, Some(&start.state)).await.unwrap();
    h.verify().await;
}

// ---------------------------------------------------------------------------------------------
// Replacing a connection
// ---------------------------------------------------------------------------------------------

const OTHER_ACCOUNT: &str = "acct_1OtherAccountXYZ0";

#[tokio::test]
async fn a_callback_that_switches_the_account_reports_the_one_it_replaced() {
    let h = Harness::new().await;
    let before = Connection::new(slug("helpdesk"), AccountId::parse(OTHER_ACCOUNT).unwrap(), true, Scope::ReadWrite);
    h.client.connections().save(&before).await.unwrap();
    h.expect_one_exchange().await;
    let start = h.start("helpdesk");
    let conn = h.callback(&start.state, Some(&start.state)).await.unwrap();
    assert_eq!(conn.replaced_account_id, Some(AccountId::parse(OTHER_ACCOUNT).unwrap()));
    assert_eq!(conn.connection.account_id.as_str(), ACCOUNT);
    assert_eq!(h.connection("helpdesk").await.unwrap().account_id.as_str(), ACCOUNT, "the new account is saved");
    h.verify().await;
}

#[tokio::test]
async fn connecting_the_same_account_again_replaces_nothing() {
    let h = Harness::new().await;
    token_exchange(CODE)
        .respond_with(ResponseTemplate::new(200).set_body_json(token_ok(false, "read_write")))
        .expect(2)
        .mount(&h.connect)
        .await;
    let first = h.start("helpdesk");
    assert_eq!(h.callback(&first.state, Some(&first.state)).await.unwrap().replaced_account_id, None);
    let again = h.start("helpdesk");
    let conn = h.callback(&again.state, Some(&again.state)).await.unwrap();
    assert_eq!(conn.replaced_account_id, None, "the same account again is a no-op, not a replacement");
    assert_eq!(conn.connection.account_id.as_str(), ACCOUNT);
    h.verify().await;
}

/// A connections store that is down (every call fails) until `up` is set.
#[derive(Default)]
struct FlakyConnections {
    up: std::sync::atomic::AtomicBool,
    inner: MemoryConnectionStore,
}

impl FlakyConnections {
    fn check(&self) -> Result<(), StoreError> {
        if self.up.load(Ordering::SeqCst) {
            Ok(())
        } else {
            Err(StoreError::new("", "connection refused (mysql:3306)"))
        }
    }
}

#[async_trait]
impl ConnectionStore for FlakyConnections {
    async fn save(&self, c: &Connection) -> Result<(), StoreError> {
        self.check()?;
        self.inner.save(c).await
    }
    async fn clear_by_account(&self, a: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        self.check()?;
        self.inner.clear_by_account(a).await
    }
    async fn get_by_slug(&self, s: &AppSlug) -> Result<Option<Connection>, StoreError> {
        self.check()?;
        self.inner.get_by_slug(s).await
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        self.check()?;
        self.inner.list().await
    }
}

#[tokio::test]
async fn an_unreadable_connection_store_fails_before_the_state_is_spent() {
    let store = Arc::new(FlakyConnections::default());
    let h = Harness::with(|b| b, Some(store.clone()), None).await;
    let start = h.start("helpdesk");
    let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert!(err.to_string().contains("connections.get_by_slug"), "{err}");
    assert_eq!(h.posts().await, 0, "nothing is sent to Stripe");
    // The state was not claimed: once the store is back, the same callback succeeds.
    store.up.store(true, Ordering::SeqCst);
    h.expect_one_exchange().await;
    let conn = h.callback(&start.state, Some(&start.state)).await.unwrap();
    assert_eq!(conn.connection.account_id.as_str(), ACCOUNT);
    h.verify().await;
}

// ---------------------------------------------------------------------------------------------
// Store failures
// ---------------------------------------------------------------------------------------------

/// A connections store whose writes fail (the database is down).
#[derive(Default)]
struct BrokenConnections {
    saves: AtomicUsize,
    inner: MemoryConnectionStore,
}

#[async_trait]
impl ConnectionStore for BrokenConnections {
    async fn save(&self, _: &Connection) -> Result<(), StoreError> {
        self.saves.fetch_add(1, Ordering::SeqCst);
        Err(StoreError::new("", "connection refused (mysql:3306)"))
    }
    async fn clear_by_account(&self, _: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        Err(StoreError::new("", "connection refused (mysql:3306)"))
    }
    async fn get_by_slug(&self, app_slug: &AppSlug) -> Result<Option<Connection>, StoreError> {
        self.inner.get_by_slug(app_slug).await
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        self.inner.list().await
    }
}

struct BrokenClaims;

#[async_trait]
impl ClaimStore for BrokenClaims {
    async fn acquire(&self, _: &str, _: &LeaseToken, _: Duration) -> Result<ClaimState, StoreError> {
        Err(StoreError::new("", "redis timeout"))
    }
    async fn complete(&self, _: &str, _: &LeaseToken, _: Duration) -> Result<Fence, StoreError> {
        Ok(Fence::Held)
    }
    async fn release(&self, _: &str, _: &LeaseToken) -> Result<Fence, StoreError> {
        Ok(Fence::Held)
    }
}

#[tokio::test]
async fn store_failure_after_stripe_connected_carries_the_account_id() {
    let store = Arc::new(BrokenConnections::default());
    let h = Harness::with(|b| b, Some(store.clone()), None).await;
    h.expect_one_exchange().await;
    let start = h.start("helpdesk");
    let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert_eq!(err.account_id(), Some(ACCOUNT));
    let msg = err.to_string();
    assert!(
        msg.contains("connections.save") && msg.contains("helpdesk") && msg.contains("do not run the callback again"),
        "{msg}"
    );
    assert!(!format!("{msg} {err:?}").contains("TOKEN_MUST_NOT_LEAK"));
    assert_eq!(store.saves.load(Ordering::SeqCst), 1);
    // Re-running the callback must not spend the code a second time.
    assert_eq!(h.callback(&start.state, Some(&start.state)).await.unwrap_err().code(), "oauth_state_used");
    assert_eq!(h.posts().await, 1);
    h.verify().await;
}

#[tokio::test]
async fn claim_store_failure_sends_nothing() {
    let h = Harness::with(|b| b, None, Some(Arc::new(BrokenClaims))).await;
    let start = h.start("helpdesk");
    let err = h.callback(&start.state, Some(&start.state)).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert!(err.to_string().contains("claims.claim"), "{err}");
    h.verify().await;
}

/// Stores whose calls never finish (a database that accepted the connection and went silent).
pub(crate) struct HungConnections;

#[async_trait]
impl ConnectionStore for HungConnections {
    async fn save(&self, _: &Connection) -> Result<(), StoreError> {
        std::future::pending().await
    }
    async fn clear_by_account(&self, _: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        std::future::pending().await
    }
    async fn get_by_slug(&self, _: &AppSlug) -> Result<Option<Connection>, StoreError> {
        std::future::pending().await
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        std::future::pending().await
    }
}

struct HungClaims;

#[async_trait]
impl ClaimStore for HungClaims {
    async fn acquire(&self, _: &str, _: &LeaseToken, _: Duration) -> Result<ClaimState, StoreError> {
        std::future::pending().await
    }
    async fn complete(&self, _: &str, _: &LeaseToken, _: Duration) -> Result<Fence, StoreError> {
        std::future::pending().await
    }
    async fn release(&self, _: &str, _: &LeaseToken) -> Result<Fence, StoreError> {
        std::future::pending().await
    }
}

/// `f`, or a test failure if it has not finished in 5 s (the store timeout is 50 ms).
async fn finishes<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(5), f).await.expect("the store timeout ends the call")
}

#[tokio::test]
async fn a_hung_connections_store_times_out_the_callback_and_the_disconnect() {
    let short = |b: ConfigBuilder| b.store_timeout(Duration::from_millis(50));
    let h = Harness::with(short, Some(Arc::new(HungConnections)), None).await;
    let start = h.start("helpdesk");
    let err = finishes(h.callback(&start.state, Some(&start.state))).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    let msg = err.to_string();
    assert!(msg.contains("connections.get_by_slug") && msg.contains("timed out after 50 ms"), "{msg}");
    assert_eq!(h.posts().await, 0, "nothing is sent to Stripe");
    let err = finishes(h.client.disconnect(&AppSlug::parse("helpdesk").unwrap())).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert!(err.to_string().contains("timed out"), "{err}");
    h.verify().await;
}

#[tokio::test]
async fn a_hung_claims_store_times_out_the_callback_and_sends_nothing() {
    let short = |b: ConfigBuilder| b.store_timeout(Duration::from_millis(50));
    let h = Harness::with(short, None, Some(Arc::new(HungClaims))).await;
    let start = h.start("helpdesk");
    let err = finishes(h.callback(&start.state, Some(&start.state))).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    let msg = err.to_string();
    assert!(msg.contains("claims.claim") && msg.contains("timed out after 50 ms"), "{msg}");
    assert_eq!(h.posts().await, 0);
    h.verify().await;
}

// ---------------------------------------------------------------------------------------------
// Disconnect
// ---------------------------------------------------------------------------------------------

async fn connected(h: &Harness, app: &str) {
    let conn = Connection::new(slug(app), AccountId::parse(ACCOUNT).unwrap(), false, Scope::ReadWrite);
    h.client.connections().save(&conn).await.unwrap();
}

#[tokio::test]
async fn disconnect_deauthorizes_then_clears() {
    let h = Harness::new().await;
    connected(&h, "helpdesk").await;
    deauthorize(ACCOUNT)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "stripe_user_id": ACCOUNT })))
        .expect(1)
        .mount(&h.connect)
        .await;
    let result: DisconnectResult = h.client.disconnect(&slug("helpdesk")).await.unwrap();
    assert_eq!(
        (result.account_id.as_str(), result.app_slug.as_str(), result.already_disconnected),
        (ACCOUNT, "helpdesk", false)
    );
    assert_eq!(h.connection("helpdesk").await, None);
    h.verify().await;
}

#[tokio::test]
async fn disconnect_of_an_account_already_gone_at_stripe_still_clears() {
    let h = Harness::new().await;
    connected(&h, "helpdesk").await;
    let body = oauth_error(
        "invalid_client",
        &format!("This application is not connected to stripe account {ACCOUNT}, or that account does not exist."),
    );
    deauthorize(ACCOUNT).respond_with(ResponseTemplate::new(401).set_body_json(body)).expect(1).mount(&h.connect).await;
    let result = h.client.disconnect(&slug("helpdesk")).await.unwrap();
    assert!(result.already_disconnected);
    assert_eq!(h.connection("helpdesk").await, None);
    h.verify().await;
}

#[tokio::test]
async fn disconnect_without_a_connection_is_invalid_input() {
    let h = Harness::new().await;
    let err = h.client.disconnect(&slug("never-connected")).await.unwrap_err();
    assert_eq!(err.code(), "invalid_input");
    assert!(err.to_string().contains("never-connected"), "{err}");
    h.verify().await;
}

#[tokio::test]
async fn disconnect_failures_keep_the_connection() {
    for (status, body, code) in [
        (500, json!({}), "stripe_unavailable"),
        (400, oauth_error("invalid_request", "No such user: acct_x"), "oauth_invalid_request"),
        (200, json!({ "stripe_user_id": "acct_someoneelse" }), "stripe_bad_response"),
    ] {
        let h = Harness::new().await;
        connected(&h, "helpdesk").await;
        deauthorize(ACCOUNT)
            .respond_with(ResponseTemplate::new(status).set_body_json(body))
            .expect(1)
            .mount(&h.connect)
            .await;
        assert_eq!(h.client.disconnect(&slug("helpdesk")).await.unwrap_err().code(), code);
        assert!(h.connection("helpdesk").await.is_some(), "{code}: a failed disconnect keeps the connection");
        h.verify().await;
    }
}

#[tokio::test]
async fn disconnect_store_failure_carries_the_account_id() {
    let store = Arc::new(BrokenConnections::default());
    let conn = Connection::new(slug("helpdesk"), AccountId::parse(ACCOUNT).unwrap(), false, Scope::ReadWrite);
    store.inner.save(&conn).await.unwrap();
    let h = Harness::with(|b| b, Some(store), None).await;
    deauthorize(ACCOUNT)
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "stripe_user_id": ACCOUNT })))
        .expect(1)
        .mount(&h.connect)
        .await;
    let err = h.client.disconnect(&slug("helpdesk")).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.account_id()), ("store_failed", Some(ACCOUNT)));
    h.verify().await;
}

#[tokio::test]
async fn disconnect_needs_a_client_id() {
    let h = Harness::new().await;
    let client =
        StripeConnect::new(Config::builder().secret_key(SECRET_KEY).connect_base(h.connect.uri()).build().unwrap());
    assert_eq!(client.disconnect(&slug("helpdesk")).await.unwrap_err().code(), "config_invalid");
    h.verify().await;
}
