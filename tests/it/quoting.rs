//! Issue 20 item 3, the Rust face: messages that quoted their input whole. A slug or an id that is
//! a secret (shaped like one, or equal to a configured one) is named by kind and length wherever
//! an error quotes it, and a store's own words reach the message quoted, with the original kept as
//! `source()`.

use std::sync::Arc;

use async_trait::async_trait;
use serde_json::json;
use stripe_connect::{
    AccountId, AppSlug, ChargeId, Connection, ConnectionStore, Error, ErrorCode, StoreError, StripeConnect, ToolScope,
};

use crate::fake_stripe::{acct, stripe_error, FakeStripe, KEY};

/// Slug-shaped, so it passes every input rule: only the configured-secret rule can catch it.
const STATE_SECRET: &str = "state-secret-0123456789-abcdefghij-klmnop";

fn client(fake: &FakeStripe) -> StripeConnect {
    StripeConnect::new(fake.config().client_id("ca_QuotingTest1").state_secret(STATE_SECRET).build().unwrap())
}

fn assert_no_secret(text: &str, secret: &str) {
    assert!(!text.contains(secret), "the secret is in: {text}");
}

#[tokio::test]
async fn a_slug_equal_to_the_state_secret_is_not_quoted_by_any_error() {
    let fake = FakeStripe::start().await;
    let c = client(&fake);
    let slug = AppSlug::parse(STATE_SECRET).unwrap();
    let e = c.disconnect(&slug).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert_no_secret(&e.to_string(), STATE_SECRET);
    assert!(e.to_string().contains("[value of a configured secret redacted, 41 chars]"), "{e}");

    let scope = ToolScope::new(["helpdesk"]).unwrap();
    let r = c.call_tool("lookup_charge", &json!({"appSlug": STATE_SECRET, "chargeId": "ch_1"}), &scope).await;
    assert_eq!(r.error().unwrap().code, "app_out_of_scope");
    assert_no_secret(&r.to_json(), STATE_SECRET);

    let e = Error::AppNotConnected { app_slug: STATE_SECRET.to_string() };
    assert_no_secret(&e.to_string(), STATE_SECRET);
    assert_eq!(fake.requests().await.len(), 0, "nothing was sent");
}

#[tokio::test]
async fn a_key_given_as_a_slug_or_inside_an_id_is_named_by_kind_and_length() {
    let fake = FakeStripe::start().await;
    let c = client(&fake);
    let key = format!("sk_test_{}", "9Zq".repeat(30));
    // "app sk_test_… has no Stripe connection", verbatim before.
    let e = c.disconnect(&AppSlug::parse(&key).unwrap()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidInput);
    assert_no_secret(&e.to_string(), &key);
    assert!(e.to_string().contains("[sk_test_… redacted, 98 chars]"), "{e}");

    let e = Error::AppOutOfScope { app_slug: key.clone(), allowed: vec!["helpdesk".into()] };
    assert_no_secret(&e.to_string(), &key);

    // Stripe's 404 quotes the id it was given: "No such charge: 'ch_sk_test_…'".
    let charge = format!("ch_{key}");
    fake.get(&format!("/v1/charges/{charge}"), &[])
        .respond_with(stripe_error(
            404,
            "invalid_request_error",
            Some("resource_missing"),
            &format!("No such charge: '{charge}'"),
            Some("id"),
        ))
        .expect(1)
        .mount(&fake.server)
        .await;
    let e = c.account(&acct()).lookup_charge(&ChargeId::parse(&charge).unwrap()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StripeNotFound);
    assert_no_secret(&e.to_string(), &key);
    // The configured key itself, wherever it appears.
    let e = Error::InvalidInput { field: "email".into(), reason: format!("got {KEY}") };
    assert_no_secret(&e.to_string(), KEY);
}

/// A store that fails the way a database driver does: a URL with its password, a query with
/// its parameters, a line break that would forge a log line, and megabytes of text.
struct NoisyStore;

#[derive(Debug)]
struct DriverError(String);

impl std::fmt::Display for DriverError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DriverError {}

fn noisy() -> StoreError {
    let text = format!(
        "connect mysql://app:{KEY}@db.internal/prod failed\r\nINFO forged line Bearer abcdefgh12345678 {}",
        "x".repeat(5 << 20)
    );
    StoreError::new("", &text).with_source(DriverError(text.clone()))
}

#[async_trait]
impl ConnectionStore for NoisyStore {
    async fn save(&self, _: &Connection) -> Result<(), StoreError> {
        Err(noisy())
    }
    async fn clear_by_account(&self, _: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        Err(noisy())
    }
    async fn get_by_slug(&self, _: &AppSlug) -> Result<Option<Connection>, StoreError> {
        Err(noisy())
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        Err(noisy())
    }
}

#[tokio::test]
async fn a_stores_words_are_quoted_and_its_error_kept_as_source() {
    let fake = FakeStripe::start().await;
    let c = StripeConnect::builder(fake.config().client_id("ca_QuotingTest1").build().unwrap())
        .connection_store(Arc::new(NoisyStore))
        .build();
    let e = c.disconnect(&AppSlug::parse("helpdesk").unwrap()).await.unwrap_err();
    assert_eq!(e.code(), ErrorCode::StoreFailed);
    let text = e.to_string();
    assert_no_secret(&text, KEY);
    assert!(!text.contains(['\r', '\n']), "{text:.200}");
    assert!(!text.contains("abcdefgh12345678"), "{text:.200}");
    assert!(text.len() < 1_000, "{} bytes", text.len());
    assert!(text.contains("characters in all)"), "{text:.400}");
    let source = std::error::Error::source(&e).expect("the store's own error");
    assert!(source.to_string().contains(KEY), "the original is kept whole for the app's logs");

    // What a model reads: the operation, not the store's words.
    let scope = ToolScope::new(["helpdesk"]).unwrap();
    let r = c.call_tool("list_connected_apps", &json!({}), &scope).await;
    let err = r.error().unwrap();
    assert_eq!((err.code, err.retryable), ("store_failed", true));
    assert!(err.message.contains("connections.get_by_slug"), "{}", err.message);
    assert!(!err.message.contains("mysql"), "{}", err.message);
}
