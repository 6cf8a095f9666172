//! A wiremock Stripe for the contract tests.
//!
//! - Response bodies start from Stripe's own fixtures (`bindings/src/testing/stripe-objects.json`,
//!   the one copy the JS test kit serves too, copied from Stripe's public `fixtures3.json`
//!   (github.com/stripe/openapi) by `tests/fixtures/extract.py`), with ids and amounts changed as a
//!   test needs.
//! - Every server has two guards that fail the test when it ends: any request that is not a GET
//!   (`.expect(0)`), and any request no mock expected (`.expect(0)`, lowest priority). Mocks match
//!   the exact set of query parameters, so an extra parameter is unexpected too.
//! - [`FakeStripe::assert_contract`] checks every request received: GET, the Bearer key,
//!   `Stripe-Account`, the pinned `Stripe-Version`, the User-Agent, and that each query parameter
//!   is declared for that operation in Stripe's OpenAPI spec (`tests/fixtures/spec-params.json`).
//! - [`CannedStripe`] is the same Stripe as an [`ApiTransport`], for tests about *how* requests
//!   are issued rather than what is on the wire: it records, per connected account, the causal
//!   depth of every request and how many were in flight at once, so ordering and concurrency are
//!   asserted structurally, never with a clock.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use serde_json::{json, Value};
use stripe_connect::{
    AccountId, ApiTransport, ConfigBuilder, GetRequest, RawResponse, StripeConnect, StripeConnectBuilder,
    TransportError, STRIPE_VERSION, USER_AGENT,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::http::Method;
use wiremock::matchers::{any, header, method, path};
use wiremock::{Match, Mock, MockBuilder, MockServer, Request, ResponseTemplate};

pub const KEY: &str = "sk_test_51FakeKeyForContractTests";
pub const ACCT: &str = "acct_1TestAppAccount";

/// A JSON file of the repository, by its path from the crate root.
pub fn load(path: &str) -> Value {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
    serde_json::from_str(&std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))).unwrap()
}

/// A Stripe fixture object (`customer`, `charge`, `subscription`, `refund`, `dispute`, `product`,
/// `price`, `application`, `event`, `invoice`, `invoice_payment`, `payment_intent`,
/// `radar.early_fraud_warning`), from the file the JS test kit serves them from.
pub fn object(name: &str) -> Value {
    static OBJECTS: OnceLock<Value> = OnceLock::new();
    let object = &OBJECTS.get_or_init(|| load("bindings/src/testing/stripe-objects.json"))["resources"][name];
    assert!(object.is_object(), "no Stripe fixture object named {name}");
    object.clone()
}

/// An invoice of `customer` (basil: its subscription under `parent`), with `payments` as the
/// expanded list Stripe includes for `expand[]=data.payments`.
pub fn invoice(id: &str, customer: &str, created: i64, status: &str, payments: Vec<Value>) -> Value {
    let mut i = with(
        object("invoice"),
        json!({"id": id, "customer": customer, "created": created, "status": status, "number": format!("{id}-0001"),
            "hosted_invoice_url": format!("https://invoice.stripe.com/i/{id}"),
            "invoice_pdf": format!("https://pay.stripe.com/invoice/{id}/pdf"),
            "billing_reason": "subscription_cycle", "period_start": created - 2_592_000, "period_end": created}),
    );
    i["parent"] = json!({"quote_details": null, "subscription_details": {"metadata": null, "subscription": "sub_H"},
        "type": "subscription_details"});
    i["payments"] = list(&format!("/v1/invoices/{id}/payments"), payments, false);
    i
}

/// An invoice payment of a payment intent.
pub fn invoice_payment(
    id: &str,
    invoice: &str,
    payment_intent: &str,
    amount: i64,
    status: &str,
    created: i64,
) -> Value {
    with(
        object("invoice_payment"),
        json!({"id": id, "invoice": invoice, "amount_paid": if status == "paid" { json!(amount) } else { json!(null) },
            "amount_requested": amount, "currency": "usd", "status": status, "created": created,
            "payment": {"type": "payment_intent", "payment_intent": payment_intent}}),
    )
}

/// A payment intent of `customer`; `error` is its `last_payment_error`.
pub fn payment_intent(id: &str, customer: &str, status: &str, error: Option<Value>, created: i64) -> Value {
    with(
        object("payment_intent"),
        json!({"id": id, "customer": customer, "status": status, "last_payment_error": error, "created": created,
            "amount": 4900}),
    )
}

/// A card decline as `last_payment_error` carries it.
pub fn card_declined(decline_code: &str, charge: &str) -> Value {
    json!({"type": "card_error", "code": "card_declined", "decline_code": decline_code, "charge": charge,
        "message": "Your card was declined.", "doc_url": "https://docs.stripe.com/error-codes/card-declined"})
}

/// A Radar early fraud warning on `charge`.
pub fn fraud_warning(id: &str, charge: &str, created: i64) -> Value {
    with(object("radar.early_fraud_warning"), json!({"id": id, "charge": charge, "created": created}))
}

/// A refund of `charge`.
pub fn refund(id: &str, charge: &str, amount: i64, created: i64) -> Value {
    with(object("refund"), json!({"id": id, "charge": charge, "amount": amount, "created": created}))
}

fn with(mut v: Value, fields: Value) -> Value {
    for (k, f) in fields.as_object().unwrap() {
        v[k] = f.clone();
    }
    v
}

pub fn customer(id: &str, email: &str, created: i64) -> Value {
    with(object("customer"), json!({"id": id, "email": email, "created": created}))
}

pub fn charge(id: &str, customer: &str, amount: i64, created: i64) -> Value {
    with(object("charge"), json!({"id": id, "customer": customer, "amount": amount, "created": created}))
}

pub fn dispute(id: &str, charge: &str, status: &str) -> Value {
    with(object("dispute"), json!({"id": id, "charge": charge, "status": status}))
}

/// A subscription: `nickname` on its price, or none (then the product name is needed).
pub fn subscription(id: &str, customer: &str, created: i64, nickname: Option<&str>) -> Value {
    let mut s = with(object("subscription"), json!({"id": id, "customer": customer, "created": created}));
    s["items"]["data"][0]["price"]["nickname"] = json!(nickname);
    s
}

pub fn list(url: &str, data: Vec<Value>, has_more: bool) -> Value {
    json!({"object": "list", "url": url, "has_more": has_more, "data": data})
}

pub fn search(url: &str, data: Vec<Value>) -> Value {
    json!({"object": "search_result", "url": url, "has_more": false, "next_page": null, "data": data})
}

pub fn ok(body: Value) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(body).insert_header("request-id", "req_ok")
}

/// Stripe's error body with a `Request-Id`.
pub fn stripe_error(
    status: u16,
    error_type: &str,
    code: Option<&str>,
    message: &str,
    param: Option<&str>,
) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .set_body_json(json!({"error": {"type": error_type, "code": code, "message": message, "param": param,
            "doc_url": code.map(|c| format!("https://stripe.com/docs/error-codes/{c}"))}}))
        .insert_header("request-id", format!("req_{status}"))
}

/// Matches requests whose query is exactly these pairs (any order).
pub struct QueryIs(pub Vec<(String, String)>);

impl Match for QueryIs {
    fn matches(&self, request: &Request) -> bool {
        let mut got: Vec<(String, String)> =
            request.url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        let mut want = self.0.clone();
        got.sort();
        want.sort();
        got == want
    }
}

struct NotGet;

impl Match for NotGet {
    fn matches(&self, request: &Request) -> bool {
        request.method != Method::GET
    }
}

pub struct FakeStripe {
    pub server: MockServer,
}

impl FakeStripe {
    /// A server with the non-GET and unexpected-request guards mounted.
    pub async fn start() -> Self {
        let server = MockServer::start().await;
        Mock::given(NotGet)
            .respond_with(ResponseTemplate::new(405))
            .with_priority(1)
            .expect(0)
            .named("a request that is not a GET")
            .mount(&server)
            .await;
        Mock::given(any())
            .respond_with(ResponseTemplate::new(418))
            .with_priority(u8::MAX)
            .expect(0)
            .named("an unexpected request")
            .mount(&server)
            .await;
        FakeStripe { server }
    }

    /// Test config: this server as the API base, short deadline, tiny backoff.
    pub fn config(&self) -> ConfigBuilder {
        config_for(&self.server.uri())
    }

    pub fn client(&self) -> StripeConnect {
        StripeConnect::new(self.config().build().unwrap())
    }

    /// A GET to `path` with exactly `query`, on behalf of `ACCT`.
    pub fn get(&self, path_: &str, query: &[(&str, &str)]) -> MockBuilder {
        self.get_for(ACCT, path_, query)
    }

    /// A GET to `path` with exactly `query`, on behalf of `account`.
    pub fn get_for(&self, account: &str, path_: &str, query: &[(&str, &str)]) -> MockBuilder {
        Mock::given(method("GET"))
            .and(path(path_))
            .and(header("stripe-account", account))
            .and(QueryIs(query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()))
    }

    pub async fn requests(&self) -> Vec<Request> {
        self.server.received_requests().await.unwrap()
    }

    /// Checks every request received (see the module docs); returns how many there were.
    pub async fn assert_contract(&self, accounts: &[&str]) -> usize {
        let requests = self.requests().await;
        for r in &requests {
            check_request(r, accounts);
        }
        requests.len()
    }
}

pub fn config_for(base: &str) -> ConfigBuilder {
    stripe_connect::Config::builder()
        .secret_key(KEY)
        .api_base(base)
        .timeout(Duration::from_secs(5))
        .retry_base_delay(Duration::from_millis(1))
}

pub fn acct() -> AccountId {
    AccountId::parse(ACCT).unwrap()
}

/// GET, headers, and query parameters declared by the spec for that operation.
pub fn check_request(r: &Request, accounts: &[&str]) {
    let url = r.url.as_str();
    assert_eq!(r.method, Method::GET, "{url}");
    let h = |name: &str| r.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    assert_eq!(h("authorization"), format!("Bearer {KEY}"), "{url}");
    assert!(accounts.contains(&h("stripe-account").as_str()), "Stripe-Account {:?} on {url}", h("stripe-account"));
    assert_eq!(h("stripe-version"), STRIPE_VERSION, "{url}");
    assert_eq!(h("user-agent"), USER_AGENT, "{url}");
    for (name, value) in r.url.query_pairs() {
        if let Err(e) = declared(r.url.path(), &name, &value) {
            panic!("{url}: {e}");
        }
    }
}

/// `Ok` if the spec declares query parameter `name` (with `value`, for enums) for `GET path`.
pub fn declared(path: &str, name: &str, value: &str) -> Result<(), String> {
    static SPEC: OnceLock<Value> = OnceLock::new();
    let spec = SPEC.get_or_init(|| load("tests/fixtures/spec-params.json"));
    let segments: Vec<&str> = path.split('/').collect();
    let template = spec["paths"]
        .as_object()
        .unwrap()
        .keys()
        .find(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len() && ts.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
        })
        .ok_or_else(|| format!("GET {path} is not an operation the queries should use"))?;
    // `ids[]=a&ids[]=b` is the array parameter `ids`.
    let base = name.split('[').next().unwrap_or(name);
    let params = spec["paths"][template].as_array().unwrap();
    if !params.iter().any(|p| p == base) {
        return Err(format!("query parameter `{name}` is not declared for GET {template}"));
    }
    if let Some(values) = spec["enums"][template][base].as_array() {
        if !values.iter().any(|v| v == value) {
            return Err(format!("`{name}={value}` is not one of {values:?}"));
        }
    }
    Ok(())
}

/// A raw TCP server that answers every connection after the first `drop_first` with `good_body`,
/// and the first `drop_first` with headers promising 500 bytes, 20 bytes, then a closed socket.
/// Returns its base URL and the number of connections served.
pub async fn dropping_server(drop_first: usize, good_body: String) -> (String, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let counter = count.clone();
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            let good_body = good_body.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 1024];
                while !buf.windows(4).any(|w| w == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => buf.extend_from_slice(&chunk[..k]),
                    }
                }
                let reply = if n < drop_first {
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 500\r\n\r\n{\"object\": \"list\", \"da".to_string()
                } else {
                    format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{good_body}",
                        good_body.len()
                    )
                };
                let _ = sock.write_all(reply.as_bytes()).await;
                let _ = sock.shutdown().await;
            });
        }
    });
    (base, count)
}

/// One request a [`CannedStripe`] was sent.
#[derive(Debug, Clone)]
pub struct Sent {
    /// The `Stripe-Account` header.
    pub account: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    /// 1 + the greatest depth among the requests of the same account that had completed before
    /// this one was issued: requests issued together share a depth, a request that waited for
    /// another is one deeper. The deepest request of a call is its number of round trips.
    pub depth: usize,
    /// Whether a route answered it (an unrouted request gets a 418).
    pub routed: bool,
}

#[derive(Default)]
struct Record {
    sent: Vec<Sent>,
    /// Per account: the deepest request completed so far.
    completed_depth: HashMap<String, usize>,
    in_flight: HashMap<String, usize>,
    max_in_flight: HashMap<String, usize>,
    total_in_flight: usize,
    max_total_in_flight: usize,
}

impl Record {
    fn lock(m: &Mutex<Record>) -> std::sync::MutexGuard<'_, Record> {
        m.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Leaves the in-flight counts when the request ends, answered or cancelled (e.g. by a deadline).
struct InFlight<'a> {
    record: &'a Mutex<Record>,
    account: String,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        let mut r = Record::lock(self.record);
        *r.in_flight.get_mut(&self.account).unwrap() -= 1;
        r.total_in_flight -= 1;
    }
}

/// `GET path` with exactly `query` (sorted) answers 200 with `body`, on every account.
struct Route {
    path: String,
    query: Vec<(String, String)>,
    body: Value,
}

/// A Stripe behind the [`ApiTransport`] seam: canned Stripe-shaped answers (the same fixture
/// helpers as the wiremock server), each after a short sleep. The sleep only lets requests that
/// are issued together all be issued before any of them completes; nothing is asserted on time.
/// What is asserted is the record: each request's causal depth ([`Sent::depth`]) and the most
/// requests in flight at once, per account and in all.
pub struct CannedStripe {
    routes: Vec<Route>,
    pause: Duration,
    record: Mutex<Record>,
}

impl CannedStripe {
    /// Answers after `pause` (a few milliseconds: not zero, or each request would complete
    /// before the next one is issued).
    pub fn new(pause: Duration) -> Self {
        assert!(!pause.is_zero(), "a zero pause completes each request before its siblings are issued");
        CannedStripe { routes: Vec::new(), pause, record: Mutex::default() }
    }

    /// Answer `GET path` with exactly `query` (any order) with 200 and `body`, on any account.
    pub fn route(mut self, path: &str, query: &[(&str, &str)], body: Value) -> Self {
        let mut query: Vec<(String, String)> = query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        query.sort();
        self.routes.push(Route { path: path.to_string(), query, body });
        self
    }

    /// A client builder (test config) whose API requests go to this transport: the API base is
    /// never dialled.
    pub fn builder(self: &Arc<Self>, config: impl FnOnce(ConfigBuilder) -> ConfigBuilder) -> StripeConnectBuilder {
        StripeConnect::builder(config(config_for("https://api.stripe.test")).build().unwrap())
            .api_transport(self.clone())
    }

    pub fn sent(&self) -> Vec<Sent> {
        Record::lock(&self.record).sent.clone()
    }

    /// `(depth, path)` of every request of `account`, sorted.
    pub fn steps(&self, account: &str) -> Vec<(usize, String)> {
        let mut steps: Vec<(usize, String)> =
            self.sent().into_iter().filter(|s| s.account == account).map(|s| (s.depth, s.path)).collect();
        steps.sort();
        steps
    }

    /// The most requests of `account` in flight at once.
    pub fn max_in_flight(&self, account: &str) -> usize {
        Record::lock(&self.record).max_in_flight.get(account).copied().unwrap_or(0)
    }

    /// The most requests in flight at once, all accounts together.
    pub fn max_total_in_flight(&self) -> usize {
        Record::lock(&self.record).max_total_in_flight
    }

    /// Like [`FakeStripe::assert_contract`]: every request routed, with the headers and
    /// spec-declared query parameters; returns how many there were.
    pub fn assert_contract(&self, accounts: &[&str]) -> usize {
        let sent = self.sent();
        for s in &sent {
            let what = format!("GET {} {:?} on {}", s.path, s.query, s.account);
            assert!(s.routed, "no route for {what}");
            let h = |name: &str| s.headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_default();
            assert_eq!(h("authorization"), format!("Bearer {KEY}"), "{what}");
            assert!(accounts.contains(&s.account.as_str()), "unexpected Stripe-Account: {what}");
            assert_eq!(h("stripe-version"), STRIPE_VERSION, "{what}");
            assert_eq!(h("user-agent"), USER_AGENT, "{what}");
            for (name, value) in &s.query {
                if let Err(e) = declared(&s.path, name, value) {
                    panic!("{what}: {e}");
                }
            }
        }
        sent.len()
    }
}

#[async_trait]
impl ApiTransport for CannedStripe {
    async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError> {
        let url = request.url();
        let path = url.path().to_string();
        let mut query: Vec<(String, String)> =
            url.query_pairs().map(|(k, v)| (k.into_owned(), v.into_owned())).collect();
        query.sort();
        let headers: Vec<(String, String)> =
            request.headers().map(|(k, v)| (k.to_ascii_lowercase(), v.to_string())).collect();
        let account = headers.iter().find(|(k, _)| k == "stripe-account").map(|(_, v)| v.clone()).unwrap_or_default();
        let body = self.routes.iter().find(|r| r.path == path && r.query == query).map(|r| r.body.clone());

        let depth = {
            let mut r = Record::lock(&self.record);
            let depth = 1 + r.completed_depth.get(&account).copied().unwrap_or(0);
            r.sent.push(Sent { account: account.clone(), path, query, headers, depth, routed: body.is_some() });
            let n = r.in_flight.entry(account.clone()).or_default();
            *n += 1;
            let n = *n;
            let max = r.max_in_flight.entry(account.clone()).or_default();
            *max = (*max).max(n);
            r.total_in_flight += 1;
            r.max_total_in_flight = r.max_total_in_flight.max(r.total_in_flight);
            depth
        };
        let in_flight = InFlight { record: &self.record, account };
        tokio::time::sleep(self.pause).await;
        {
            let mut r = Record::lock(&self.record);
            let done = r.completed_depth.entry(in_flight.account.clone()).or_default();
            *done = (*done).max(depth);
        }
        drop(in_flight);

        let headers = vec![("request-id".to_string(), "req_canned".to_string())];
        Ok(match body {
            Some(body) => RawResponse { status: 200, headers, body: body.to_string().into_bytes() },
            None => RawResponse { status: 418, headers, body: b"{\"error\":{\"message\":\"no route\"}}".to_vec() },
        })
    }
}

/// What a [`misbehaving_server`] does after reading a request head.
#[derive(Debug, Clone, Copy)]
pub enum Misbehaviour {
    /// A 200 head promising 500 bytes, 20 of them, then nothing until the socket is dropped
    /// (never, within a test): the body stalls.
    StallBody,
    /// A 200 head with `content-length` 17 MiB, then the bytes.
    DeclaredTooLarge,
    /// A chunked 200 whose body goes on past 17 MiB.
    ChunkedTooLarge,
}

/// A raw TCP server that answers every request (any method, any path) with `how`. Returns its base
/// URL, the number of connections and the number of body bytes written.
pub async fn misbehaving_server(how: Misbehaviour) -> (String, Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (connections, written) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let (c, w) = (connections.clone(), written.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let w = w.clone();
            tokio::spawn(async move {
                let mut buf = Vec::new();
                let mut chunk = [0u8; 4096];
                while !buf.windows(4).any(|x| x == b"\r\n\r\n") {
                    match sock.read(&mut chunk).await {
                        Ok(0) | Err(_) => return,
                        Ok(k) => buf.extend_from_slice(&chunk[..k]),
                    }
                }
                let head = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n";
                let piece = vec![b' '; 64 * 1024];
                match how {
                    Misbehaviour::StallBody => {
                        let reply = format!("{head}content-length: 500\r\n\r\n{{\"object\": \"list\", \"da");
                        let _ = sock.write_all(reply.as_bytes()).await;
                        tokio::time::sleep(Duration::from_secs(60)).await;
                    }
                    Misbehaviour::DeclaredTooLarge => {
                        let total = 17 * 1024 * 1024;
                        let _ = sock.write_all(format!("{head}content-length: {total}\r\n\r\n").as_bytes()).await;
                        for _ in 0..total / piece.len() {
                            if sock.write_all(&piece).await.is_err() {
                                return;
                            }
                            w.fetch_add(piece.len(), Ordering::SeqCst);
                        }
                    }
                    Misbehaviour::ChunkedTooLarge => {
                        let _ = sock.write_all(format!("{head}transfer-encoding: chunked\r\n\r\n").as_bytes()).await;
                        for _ in 0..(17 * 1024 * 1024) / piece.len() {
                            let mut frame = format!("{:x}\r\n", piece.len()).into_bytes();
                            frame.extend_from_slice(&piece);
                            frame.extend_from_slice(b"\r\n");
                            if sock.write_all(&frame).await.is_err() {
                                return;
                            }
                            w.fetch_add(piece.len(), Ordering::SeqCst);
                        }
                        let _ = sock.write_all(b"0\r\n\r\n").await;
                    }
                }
            });
        }
    });
    (base, connections, written)
}
