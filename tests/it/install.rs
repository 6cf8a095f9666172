//! Stripe App installs end to end: the install link, the redirect Stripe sends back (signed as
//! docs.stripe.com/stripe-apps/install-links#redirect describes), queries on the installed account
//! through the API host, and uninstall (`account.application.deauthorized`). The Connect host must
//! see nothing at all, and the API host nothing until a query runs.

use std::sync::Arc;

use serde_json::json;
use stripe_connect::{
    generate_test_header, AppSlug, ClaimStore, Config, ConfigBuilder, Connected, Error, InstallQuery, ManualClock,
    MemoryClaimStore, StripeConnect, WebhookOutcome,
};
use wiremock::matchers::{header, method, path, query_param};

use crate::oauth::catch_all;
use wiremock::{Mock, MockServer, ResponseTemplate};

const TEST_KEY: &str = "sk_test_51InstallContractKey0123456789";
const LIVE_KEY: &str = "sk_live_51InstallContractKey0123456789";
const APP_ID: &str = "com.example.support";
const APP_SECRET: &str = "absec_install_contract_secret";
const REDIRECT_URI: &str = "https://support.example.com/api/stripe/connect/callback";
const WEBHOOK_SECRET: &str = "whsec_install_contract";
const ACCOUNT: &str = "acct_1PgafTB7WZ01zgkW";
const USER: &str = "usr_1InstallUser";
const NOW: i64 = 1_750_000_000;

struct Harness {
    connect: MockServer,
    api: MockServer,
    clock: ManualClock,
    client: StripeConnect,
}

impl Harness {
    async fn new(key: &str) -> Self {
        Self::with(key, |b| b, Arc::new(MemoryClaimStore::new())).await
    }

    async fn with(key: &str, tweak: impl FnOnce(ConfigBuilder) -> ConfigBuilder, claims: Arc<dyn ClaimStore>) -> Self {
        let (connect, api) = (MockServer::start().await, MockServer::start().await);
        catch_all(&connect).await;
        catch_all(&api).await;
        let clock = ManualClock::new(NOW);
        let config = tweak(
            Config::builder()
                .secret_key(key)
                .stripe_app_id(APP_ID)
                .stripe_app_secret(APP_SECRET)
                .redirect_uri(REDIRECT_URI)
                .webhook_secrets([WEBHOOK_SECRET])
                .connect_base(connect.uri())
                .install_base(connect.uri())
                .api_base(api.uri()),
        )
        .build()
        .unwrap();
        let client = StripeConnect::builder(config).clock(Arc::new(clock.clone())).claim_store(claims).build();
        Harness { connect, api, clock, client }
    }

    fn start(&self, app: &str) -> String {
        self.client.install_url(&AppSlug::parse(app).unwrap()).unwrap().state
    }

    async fn redirect(&self, query: &InstallQuery, cookie: &str) -> Result<Connected, Error> {
        self.client.handle_install_callback(query, Some(cookie)).await
    }

    async fn connected_account(&self, app: &str) -> Option<String> {
        let found = self.client.connections().get_by_slug(&AppSlug::parse(app).unwrap()).await.unwrap();
        found.map(|c| c.account_id.as_str().to_string())
    }

    async fn sent_anything(&self) -> bool {
        !self.connect.received_requests().await.unwrap().is_empty()
            || !self.api.received_requests().await.unwrap().is_empty()
    }
}

/// The redirect Stripe sends after an install, signed with `secret` at `t` over
/// `{ state, user_id, account_id }` (the order Stripe's page insists on).
/// A redirect's query, as decoded pairs.
type Pairs = Vec<(String, String)>;

fn stripe_redirect(state: &str, account: &str, secret: &str, t: i64, livemode: bool) -> Pairs {
    let payload = format!(r#"{{"state":{},"user_id":"{USER}","account_id":"{account}"}}"#, json!(state));
    let mut pairs = vec![
        ("user_id".to_string(), USER.to_string()),
        ("account_id".to_string(), account.to_string()),
        ("state".to_string(), state.to_string()),
        ("install_signature".to_string(), generate_test_header(payload.as_bytes(), secret, t)),
    ];
    if !livemode {
        pairs.push(("livemode".to_string(), "false".to_string()));
    }
    pairs
}

fn query(pairs: &[(String, String)]) -> InstallQuery {
    InstallQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

fn with(pairs: &[(String, String)], name: &str, value: &str) -> Pairs {
    pairs.iter().map(|(k, v)| (k.clone(), if k == name { value.to_string() } else { v.clone() })).collect()
}

#[tokio::test]
async fn the_install_link_is_stripes_with_a_signed_state() {
    let h = Harness::new(TEST_KEY).await;
    let start = h.client.install_url(&AppSlug::parse("helpdesk").unwrap()).unwrap();
    assert_eq!(start.url.path(), format!("/apps/install/link/{APP_ID}"));
    let pairs: Vec<(String, String)> = start.url.query_pairs().into_owned().collect();
    assert_eq!(
        pairs,
        vec![("redirect_uri".to_string(), REDIRECT_URI.to_string()), ("state".to_string(), start.state.clone())]
    );
    assert_eq!(start.expires_at, NOW + 600);
    let default = Config::builder()
        .secret_key(TEST_KEY)
        .stripe_app_id(APP_ID)
        .stripe_app_secret(APP_SECRET)
        .redirect_uri(REDIRECT_URI)
        .build()
        .unwrap();
    let link = StripeConnect::new(default).install_url(&AppSlug::parse("helpdesk").unwrap()).unwrap();
    assert!(link.url.as_str().starts_with("https://marketplace.stripe.com/apps/install/link/com.example.support?"));
    assert!(!h.sent_anything().await);
}

#[tokio::test]
async fn the_install_path_needs_the_app_id_its_secret_and_a_redirect() {
    for (missing, field) in [("id", "stripe_app_id"), ("secret", "stripe_app_secret"), ("redirect", "redirect_uri")] {
        let mut b = Config::builder().secret_key(TEST_KEY);
        if missing != "id" {
            b = b.stripe_app_id(APP_ID);
        }
        if missing != "secret" {
            b = b.stripe_app_secret(APP_SECRET);
        }
        if missing != "redirect" {
            b = b.redirect_uri(REDIRECT_URI);
        }
        let client = StripeConnect::new(b.build().unwrap());
        let e = client.install_url(&AppSlug::parse("helpdesk").unwrap()).unwrap_err();
        let Error::Config(config) = &e else { panic!("{missing}: {e}") };
        assert_eq!((e.code().as_str(), config.field.as_str()), ("config_invalid", field), "{missing}: {e}");
    }
    for (value, why) in [("sk_test_x", "an API key"), ("whsec_x", "a webhook secret"), ("absec_", "the prefix")] {
        let e = Config::builder().secret_key(TEST_KEY).stripe_app_secret(value).build().unwrap_err();
        assert_eq!(e.field, "stripe_app_secret", "{why}");
        assert!(!e.to_string().contains(value) || value == "absec_", "{why}: {e}");
    }
    let e = Config::builder().secret_key(TEST_KEY).stripe_app_id("com/example").build().unwrap_err();
    assert_eq!(e.field, "stripe_app_id");
}

/// Install, query the installed account, uninstall: end to end, both hosts watched.
#[tokio::test]
async fn an_install_connects_queries_and_uninstall_disconnects() {
    let h = Harness::new(TEST_KEY).await;
    let state = h.start("helpdesk");
    let connected =
        h.redirect(&query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false)), &state).await.unwrap();
    assert_eq!(connected.connection.account_id.as_str(), ACCOUNT);
    assert_eq!(connected.connection.app_slug.as_str(), "helpdesk");
    assert!(!connected.connection.livemode, "a test-mode install (livemode=false)");
    assert_eq!(connected.connection.scope, stripe_connect::STRIPE_APP_SCOPE);
    assert_eq!(connected.replaced_account_id, None);
    assert!(!h.sent_anything().await, "an install is proven by its signature: nothing is sent");

    // The installed account is read with the platform's key and Stripe-Account, like OAuth's.
    Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(query_param("email", "jenny.rosen@example.com"))
        .and(header("stripe-account", ACCOUNT))
        .and(header("authorization", format!("Bearer {TEST_KEY}").as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list", "url": "/v1/customers", "has_more": false, "data": []
        })))
        .expect(1..)
        .mount(&h.api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1/customers/search"))
        .and(header("stripe-account", ACCOUNT))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "search_result", "url": "/v1/customers/search", "has_more": false, "data": []
        })))
        .mount(&h.api)
        .await;
    let app = h.client.app(&AppSlug::parse("helpdesk").unwrap()).await.unwrap();
    let history = app.payment_history("jenny.rosen@example.com", Default::default()).await.unwrap();
    assert!(history.payments.is_empty());

    // Uninstall: Stripe sends account.application.deauthorized, which clears the connection.
    let body = serde_json::to_vec_pretty(&json!({
        "id": "evt_uninstall_1", "object": "event", "api_version": "2026-10-28.endive", "account": ACCOUNT,
        "created": NOW, "livemode": false, "pending_webhooks": 1, "type": "account.application.deauthorized",
        "request": {"id": null, "idempotency_key": null},
        "data": {"object": {"id": "ca_StripeAppApplication", "object": "application", "name": "Support"}}
    }))
    .unwrap();
    let signature = generate_test_header(&body, WEBHOOK_SECRET, NOW);
    let outcome = h.client.handle_webhook(&body, Some(&signature)).await.unwrap();
    assert!(
        matches!(outcome, WebhookOutcome::Disconnected { ref app_slug, .. } if app_slug.as_ref().map(AppSlug::as_str) == Some("helpdesk")),
        "{outcome:?}"
    );
    assert_eq!(h.connected_account("helpdesk").await, None);
    let e = h.client.app(&AppSlug::parse("helpdesk").unwrap()).await.unwrap_err();
    assert_eq!(e.code(), "app_not_connected");
    h.api.verify().await;
    assert!(h.connect.received_requests().await.unwrap().is_empty());
}

/// A forged or altered redirect: another account, another user, the signature of another state,
/// another secret, no signature, a stale one. Each is refused with its code, nothing stored, and
/// the state stays unclaimed (the genuine redirect still connects afterwards).
#[tokio::test]
async fn forged_and_altered_redirects_store_nothing() {
    let h = Harness::new(TEST_KEY).await;
    let state = h.start("helpdesk");
    let genuine = stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false);
    let other_state = h.start("helpdesk");
    let cases: Vec<(&str, Pairs, &str)> = vec![
        ("another account", with(&genuine, "account_id", "acct_1Attacker"), "install_signature_invalid"),
        ("another user", with(&genuine, "user_id", "usr_1Attacker"), "install_signature_invalid"),
        (
            "signed for another state",
            with(&genuine, "install_signature", &stripe_redirect(&other_state, ACCOUNT, APP_SECRET, NOW, false)[3].1),
            "install_signature_invalid",
        ),
        (
            "signed with another secret",
            stripe_redirect(&state, ACCOUNT, "absec_somebody_else", NOW, false),
            "install_signature_invalid",
        ),
        (
            "no signature",
            genuine.iter().filter(|(k, _)| k != "install_signature").cloned().collect(),
            "install_signature_invalid",
        ),
        (
            "a stale signature",
            stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW - 301, false),
            "install_signature_invalid",
        ),
        ("not an account id", with(&genuine, "account_id", "cus_1"), "invalid_input"),
        (
            "a live-mode install with a test key",
            genuine.iter().filter(|(k, _)| k != "livemode").cloned().collect(),
            "livemode_mismatch",
        ),
    ];
    for (what, pairs, code) in cases {
        let e = h.redirect(&query(&pairs), &state).await.unwrap_err();
        assert_eq!(e.code(), code, "{what}: {e}");
        assert_eq!(h.connected_account("helpdesk").await, None, "{what}: nothing stored");
        assert!(!e.to_string().contains(APP_SECRET), "{what}: {e}");
    }
    // The genuine redirect is still accepted: no refusal above used the state.
    let ok = h.redirect(&query(&genuine), &state).await.unwrap();
    assert_eq!(ok.connection.account_id.as_str(), ACCOUNT);
    assert!(!h.sent_anything().await);
}

#[tokio::test]
async fn a_replayed_or_crossed_redirect_is_refused() {
    let h = Harness::new(TEST_KEY).await;
    let state = h.start("helpdesk");
    let redirect = query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false));
    h.redirect(&redirect, &state).await.unwrap();
    // The same redirect again (a reload, a replay): the state was used.
    let e = h.redirect(&redirect, &state).await.unwrap_err();
    assert_eq!(e.code(), "oauth_state_used");
    // Another app's state as the cookie: the state in the redirect is not the cookie's.
    let billing = h.start("billing");
    let e = h.redirect(&redirect, &billing).await.unwrap_err();
    assert_eq!(e.code(), "oauth_invalid_state");
    assert_eq!(h.connected_account("billing").await, None);
    // A state for `billing`, signed by Stripe for this account, connects `billing` only: the slug
    // comes from the state, never from the redirect.
    let for_billing = query(&stripe_redirect(&billing, "acct_1Billing", APP_SECRET, NOW, false));
    let c = h.redirect(&for_billing, &billing).await.unwrap();
    assert_eq!(c.connection.app_slug.as_str(), "billing");
    assert_eq!(h.connected_account("helpdesk").await.as_deref(), Some(ACCOUNT));
    // An expired state, even with a fresh signature.
    let late = h.start("helpdesk");
    h.clock.advance(601);
    let fresh = query(&stripe_redirect(&late, "acct_1Later", APP_SECRET, NOW + 601, false));
    assert_eq!(h.redirect(&fresh, &late).await.unwrap_err().code(), "oauth_state_expired");
    assert!(!h.sent_anything().await);
}

#[tokio::test]
async fn a_denied_install_and_a_reinstall_on_another_account() {
    let h = Harness::new(TEST_KEY).await;
    let state = h.start("helpdesk");
    let denied = InstallQuery::parse("error=access_denied&error_description=The%20user%20denied%20your%20request");
    assert_eq!(h.redirect(&denied, &state).await.unwrap_err().code(), "oauth_access_denied");
    h.redirect(&query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false)), &state).await.unwrap();
    let again = h.start("helpdesk");
    let moved = h.redirect(&query(&stripe_redirect(&again, "acct_1Moved", APP_SECRET, NOW, false)), &again).await;
    assert_eq!(moved.unwrap().replaced_account_id.map(|a| a.as_str().to_string()).as_deref(), Some(ACCOUNT));
}

/// A live key with a test-mode connection (or the reverse) is refused before any request; a live
/// install with a live key connects in live mode.
#[tokio::test]
async fn a_key_of_the_other_mode_is_refused_before_any_request() {
    let live = Harness::new(LIVE_KEY).await;
    let state = live.start("helpdesk");
    let c = live.redirect(&query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, true)), &state).await.unwrap();
    assert!(c.connection.livemode);
    let state = live.start("billing");
    let e = live.redirect(&query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false)), &state).await.unwrap_err();
    assert_eq!(e.code(), "livemode_mismatch");
    assert!(e.to_string().contains("test mode") && e.to_string().contains("live key"), "{e}");

    // A connection saved in test mode, read with a live key: refused, nothing sent.
    let mut test_connection = c.connection.clone();
    test_connection.livemode = false;
    live.client.connections().save(&test_connection).await.unwrap();
    let e = live.client.app(&AppSlug::parse("helpdesk").unwrap()).await.unwrap_err();
    assert_eq!(e.code(), "livemode_mismatch");
    let context = live.client.customer_context("jenny.rosen@example.com", Default::default()).await;
    let context = context.unwrap();
    assert_eq!(context.apps[0].error.as_ref().map(|f| f.code.as_str()), Some("livemode_mismatch"));
    assert!(!live.sent_anything().await);
}

/// Disconnecting an installed app clears it here and sends nothing (the library never POSTs to
/// the API; the owner uninstalls the app in the Dashboard).
#[tokio::test]
async fn disconnect_of_an_install_clears_it_and_sends_nothing() {
    let h = Harness::new(TEST_KEY).await;
    let state = h.start("helpdesk");
    h.redirect(&query(&stripe_redirect(&state, ACCOUNT, APP_SECRET, NOW, false)), &state).await.unwrap();
    let gone = h.client.disconnect(&AppSlug::parse("helpdesk").unwrap()).await.unwrap();
    assert!(gone.left_installed && !gone.already_disconnected);
    assert_eq!(gone.account_id.as_str(), ACCOUNT);
    assert_eq!(h.connected_account("helpdesk").await, None);
    assert!(!h.sent_anything().await);
}
