//! The default transport and the retry loop at their edges: the response body cap, redirects
//! (never followed), what `Debug` of a request shows, and the attempt count in messages.

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use serde_json::json;
use stripe_connect::{ApiTransport, ChargeId, GetRequest, RawResponse, StripeConnect, TransportError};
use wiremock::ResponseTemplate;

use crate::fake_stripe::{acct, charge, config_for, stripe_error, FakeStripe, ACCT, KEY};

const CHARGE: &str = "ch_3MmlLrLkdIwHu7ix0snN0B15";
const CHARGE_PATH: &str = "/v1/charges/ch_3MmlLrLkdIwHu7ix0snN0B15";
/// The documented cap on a response body: Stripe's largest list pages are a few hundred KB.
const SIXTEEN_MIB: usize = 16 * 1024 * 1024;

async fn lookup(client: &StripeConnect) -> Result<stripe_connect::ChargeDetails, stripe_connect::Error> {
    client.account(&acct()).lookup_charge(&ChargeId::parse(CHARGE).unwrap()).await
}

/// A real charge body padded (in `description`) to exactly `len` bytes.
fn charge_body_of(len: usize) -> Vec<u8> {
    let mut value = charge(CHARGE, "cus_A", 2500, 1_700_000_000);
    value["description"] = json!("");
    let bare = serde_json::to_vec(&value).unwrap().len();
    value["description"] = json!("x".repeat(len - bare));
    let body = serde_json::to_vec(&value).unwrap();
    assert_eq!(body.len(), len);
    body
}

#[tokio::test]
async fn a_body_of_exactly_16_mib_is_read_and_one_byte_more_is_refused() {
    let fake = FakeStripe::start().await;
    let exact = charge_body_of(SIXTEEN_MIB);
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(200).set_body_raw(exact, "application/json"))
        .up_to_n_times(1)
        .with_priority(1)
        .expect(1)
        .mount(&fake.server)
        .await;
    let over = charge_body_of(SIXTEEN_MIB + 1);
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(200).set_body_raw(over, "application/json"))
        .expect(1)
        .mount(&fake.server)
        .await;
    let client = StripeConnect::new(fake.config().max_retries(0).build().unwrap());

    let c = lookup(&client).await.unwrap();
    let description = c.description.unwrap();
    assert!(description.len() > SIXTEEN_MIB - 4096 && description.bytes().all(|b| b == b'x'));

    let err = lookup(&client).await.unwrap_err();
    assert_eq!(err.code(), "stripe_bad_response");
    assert!(err.to_string().contains(&format!("more than the {SIXTEEN_MIB}-byte limit")), "{err}");
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    // Following it would carry the secret key and Stripe-Account to wherever it points.
    let fake = FakeStripe::start().await;
    let elsewhere = format!("{}/v1/charges/ch_elsewhere", fake.server.uri());
    fake.get(CHARGE_PATH, &[])
        .respond_with(ResponseTemplate::new(302).insert_header("location", elsewhere.as_str()))
        .expect(1)
        .mount(&fake.server)
        .await;
    fake.get("/v1/charges/ch_elsewhere", &[])
        .respond_with(ResponseTemplate::new(200).set_body_json(charge("ch_elsewhere", "cus_A", 1, 1)))
        .expect(0)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!((err.code().as_str(), err.status()), ("stripe_bad_response", Some(302)));
    assert_eq!(fake.requests().await.len(), 1);
}

#[tokio::test]
async fn a_failure_on_the_first_attempt_does_not_count_attempts() {
    let fake = FakeStripe::start().await;
    fake.get(CHARGE_PATH, &[])
        .respond_with(stripe_error(404, "invalid_request_error", Some("resource_missing"), "No such charge", None))
        .expect(1)
        .mount(&fake.server)
        .await;
    let err = lookup(&fake.client()).await.unwrap_err();
    assert_eq!(err.code(), "stripe_not_found");
    let stripe_connect::Error::Stripe(e) = &err else { panic!("not a Stripe error: {err:?}") };
    assert_eq!(e.message, "No such charge", "no \"(after 1 attempts)\" on a first answer");
}

/// Keeps `Debug` of every request it is given, and answers with the charge.
#[derive(Default)]
struct DebugRecorder(Mutex<Vec<String>>);

#[async_trait]
impl ApiTransport for DebugRecorder {
    async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError> {
        self.0.lock().unwrap().push(format!("{request:?}"));
        let body = charge(CHARGE, "cus_A", 2500, 1_700_000_000).to_string().into_bytes();
        Ok(RawResponse { status: 200, headers: vec![], body })
    }
}

#[tokio::test]
async fn debug_of_a_request_shows_url_and_headers_with_the_key_redacted() {
    let recorder = Arc::new(DebugRecorder::default());
    let client = StripeConnect::builder(config_for("https://api.example.test").build().unwrap())
        .api_transport(recorder.clone())
        .build();
    lookup(&client).await.unwrap();
    let shown = recorder.0.lock().unwrap()[0].clone();
    assert!(shown.starts_with("GetRequest { url: \"https://api.example.test/v1/charges/"), "{shown}");
    assert!(shown.contains("(\"authorization\", \"[redacted]\")"), "{shown}");
    assert!(shown.contains(&format!("(\"stripe-account\", \"{ACCT}\")")), "{shown}");
    assert!(!shown.contains(KEY), "{shown}");
}
