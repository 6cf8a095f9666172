//! Property tests (issue 10 item 10) over the edges that take input from outside: the
//! `Stripe-Signature` parser, ids, emails and slugs, the OAuth callback query. For every input:
//! no panic; every error's code is one of [`ERROR_CODES`]; an `invalid_input` sent nothing.
//! (The redirect builder is TypeScript: its property test is `__test__/redirect.spec.ts`.)
//!
//! Seeded and bounded so that every CI run is the same run and takes about a second: a failure
//! prints the smallest input proptest found, which becomes a plain regression test.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use async_trait::async_trait;
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, RngSeed, TestRunner};
use stripe_connect::{
    generate_test_header, verify_signature, AccountId, ApiTransport, AppSlug, CallbackQuery, ChargeId, ClientId,
    Config, CustomerId, DisputeId, Error, GetRequest, ManualClock, PaymentOptions, Prefill, RawResponse, RefundId,
    StripeConnect, Tolerance, TransportError, WebhookError, WebhookSecret, ERROR_CODES,
};

const SECRET: &str = "whsec_property_tests_0123456789";
const NOW: i64 = 1_750_000_000;

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(ProptestConfig {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_0010),
        failure_persistence: None,
        ..ProptestConfig::default()
    })
}

fn listed(e: &Error) -> bool {
    ERROR_CODES.contains(&e.code().as_str())
}

/// Text made of the pieces that confuse parsers, plus any character at all.
fn hostile_text(pieces: &'static [&'static str]) -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        3 => proptest::sample::select(pieces).prop_map(str::to_string),
        1 => any::<char>().prop_map(|c| c.to_string()),
        1 => "[ -~]{0,8}",
    ];
    proptest::collection::vec(piece, 0..12).prop_map(|v| v.concat())
}

const HEADER_PIECES: &[&str] = &[
    "t=",
    "v1=",
    "v0=",
    ",",
    "=",
    "1750000000",
    "-1",
    "00",
    " ",
    "\t",
    "\r\n",
    "t=1750000000",
    "abcdef0123456789",
    "9999999999999999999999",
    "é",
    "\0",
];

/// The header parser and verifier: never panics; an error has a listed code and is a webhook
/// error; a header that verifies was signed with the secret over these bytes.
#[test]
fn signature_headers_never_panic_and_fail_with_listed_codes() {
    let body = b"{\n  \"id\": \"evt_1\",\n  \"object\": \"event\"\n}";
    let secrets = [WebhookSecret::new(SECRET).unwrap()];
    let valid = generate_test_header(body, SECRET, NOW);
    let header = prop_oneof![
        2 => hostile_text(HEADER_PIECES),
        1 => (0..valid.len(), any::<char>()).prop_map(move |(i, c)| {
            // One character of a valid header replaced (on a char boundary).
            let mut h: Vec<char> = valid.chars().collect();
            h[i] = c;
            h.into_iter().collect::<String>()
        }),
    ];
    runner(2000)
        .run(&(proptest::option::of(header), -2_000_000_000i64..4_000_000_000), |(header, now)| {
            match verify_signature(body, header.as_deref(), &secrets, Tolerance::default(), now) {
                Ok(t) => {
                    let h = header.as_deref().unwrap();
                    let signed = generate_test_header(body, SECRET, t);
                    prop_assert!(h.contains(signed.split_once(",v1=").unwrap().1), "{h:?}");
                    prop_assert!((now - t).abs() <= 300);
                }
                Err(e) => {
                    prop_assert!(ERROR_CODES.contains(&e.code().as_str()), "{e:?}");
                    prop_assert!(e.code().as_str().starts_with("webhook_"), "{e:?}");
                    let unusable = matches!(e, WebhookError::UnusableSecret { .. });
                    prop_assert!(!unusable, "{:?}", e);
                }
            }
            Ok(())
        })
        .unwrap();
}

const ID_PIECES: &[&str] = &[
    "acct_",
    "cus_",
    "ch_",
    "py_",
    "re_",
    "pyr_",
    "dp_",
    "du_",
    "ca_",
    "..",
    "/",
    "%2f",
    "?",
    "#",
    "\r\n",
    " ",
    "é",
    "_",
    "1",
    "A",
    "sk_live_abc",
];

/// Ids and slugs: parsing never panics; a refusal is `invalid_input`; what is accepted is safe in
/// a URL path and a header (letters, digits, `_`, and for slugs `-` and `.`), and never `.`/`..`.
#[test]
fn ids_and_slugs_are_accepted_only_when_safe() {
    runner(3000)
        .run(&hostile_text(ID_PIECES), |s| {
            let ids: [Result<String, Error>; 6] = [
                AccountId::parse(&s).map(|v| v.to_string()),
                CustomerId::parse(&s).map(|v| v.to_string()),
                ChargeId::parse(&s).map(|v| v.to_string()),
                RefundId::parse(&s).map(|v| v.to_string()),
                DisputeId::parse(&s).map(|v| v.to_string()),
                ClientId::parse(&s).map(|v| v.to_string()),
            ];
            for id in ids {
                match id {
                    Ok(v) => prop_assert!(v.len() <= 255 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')),
                    Err(e) => {
                        prop_assert_eq!(e.code(), "invalid_input");
                        prop_assert!(!e.to_string().contains(['\r', '\n']));
                    }
                }
            }
            match AppSlug::parse(&s) {
                Ok(v) => prop_assert!(
                    v.as_str() != "."
                        && v.as_str() != ".."
                        && v.as_str().bytes().all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
                ),
                Err(e) => prop_assert_eq!(e.code(), "invalid_input"),
            }
            Ok(())
        })
        .unwrap();
}

/// An API transport that counts what it is asked to send and answers 404.
#[derive(Default)]
struct Counting(AtomicUsize);

#[async_trait]
impl ApiTransport for Counting {
    async fn get(&self, _: &GetRequest) -> Result<RawResponse, TransportError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(RawResponse { status: 404, headers: vec![], body: b"{}".to_vec() })
    }
}

const EMAIL_PIECES: &[&str] =
    &["a", "@", "example.com", "\"", "\\", " ", "\r\n", "\t", ".", "email:", "OR", "é", "+", "%40", "'"];

/// Emails and limits: a refusal is `invalid_input` and sent nothing; anything accepted reached
/// the transport (and only then failed, with a listed code).
#[test]
fn bad_emails_and_limits_are_invalid_input_and_send_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let transport = Arc::new(Counting::default());
    let config = Config::builder().secret_key("sk_test_1").max_retries(0).build().unwrap();
    let client = StripeConnect::builder(config).api_transport(transport.clone()).build();
    let account = AccountId::parse("acct_1").unwrap();
    let limit = prop_oneof![Just(None), (0u32..300).prop_map(Some), Just(Some(u32::MAX))];
    runner(600)
        .run(&(hostile_text(EMAIL_PIECES), limit), |(email, limit)| {
            let before = transport.0.load(Ordering::SeqCst);
            let result = rt.block_on(client.account(&account).payment_history(
                &email,
                limit.map_or(PaymentOptions::default(), |l| PaymentOptions::default().limit(l)),
            ));
            let sent = transport.0.load(Ordering::SeqCst) - before;
            let e = result.expect_err("every request answers 404");
            prop_assert!(listed(&e), "{e:?}");
            if e.code() == "invalid_input" {
                prop_assert_eq!(sent, 0, "invalid_input after sending: {:?}", e);
            } else {
                prop_assert_eq!(e.code(), "stripe_not_found");
                prop_assert!(sent > 0);
            }
            Ok(())
        })
        .unwrap();
}

const QUERY_PIECES: &[&str] = &[
    "code=",
    "ac_1",
    "state=",
    "STATE",
    "scope=read_write",
    "error=",
    "access_denied",
    "server_error",
    "error_description=",
    "%0D%0A",
    "&",
    "=",
    "%",
    "%zz",
    "+",
    "code=ac_2",
    "state=x",
    "&&",
    "?",
    "#",
];

/// The OAuth callback query, with a valid state somewhere in most cases: never panics, every
/// error has a listed code, and nothing reaches Stripe unless the state verified and a code was
/// there (the connect base is a listener that counts connections and answers nothing).
#[test]
fn callback_queries_fail_with_listed_codes_and_bad_ones_send_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let config = Config::builder()
        .secret_key("sk_test_1")
        .client_id("ca_1")
        .redirect_uri("https://support.example.com/cb")
        .connect_base(base)
        .timeout(std::time::Duration::from_millis(30))
        .build()
        .unwrap();
    let client = StripeConnect::builder(config).clock(Arc::new(ManualClock::new(NOW))).build();
    let app = AppSlug::parse("helpdesk").unwrap();
    let accepted = |listener: &std::net::TcpListener| std::iter::from_fn(|| listener.accept().ok()).count();
    runner(400)
        .run(&(hostile_text(QUERY_PIECES), any::<bool>()), |(query, with_cookie)| {
            let start = client.authorize_url(&app, &Prefill::default()).unwrap();
            let query = query.replace("STATE", &start.state);
            let parsed = CallbackQuery::parse(&query);
            let cookie = with_cookie.then_some(start.state.as_str());
            let result = rt.block_on(client.handle_callback(&parsed, cookie));
            let connections = accepted(&listener);
            let e = result.expect_err("the connect base never answers");
            prop_assert!(listed(&e), "{e:?}");
            prop_assert!(!e.to_string().contains(['\r', '\n']), "{e}");
            if e.code() == "invalid_input" || e.code().as_str().starts_with("oauth_") {
                prop_assert_eq!(connections, 0, "{} after a connection: {:?}", e.code(), query);
            }
            Ok(())
        })
        .unwrap();
}
