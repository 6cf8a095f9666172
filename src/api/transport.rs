//! The transport: one trait with one request method, `get`.
//!
//! There is no method parameter anywhere on the way to the wire: [`GetRequest`] has no verb and no
//! body, and [`ApiTransport`] can only `get` it. That is what makes the API side of the library
//! read-only by construction (the OAuth POSTs go through their own code, to the Connect host).

use std::sync::Arc;

use async_trait::async_trait;
use url::Url;

use crate::http::{error_chain, LazyClient};

/// Largest response body accepted (Stripe's largest list pages are a few hundred KB).
pub const MAX_BODY_BYTES: usize = 16 * 1024 * 1024;

/// One GET to the Stripe API: a URL and the headers to send. Built only by this crate, with the
/// platform key, the connected account and the pinned version already in `headers`.
#[derive(Clone)]
pub struct GetRequest {
    url: Url,
    headers: Vec<(&'static str, String)>,
}

impl GetRequest {
    pub(crate) fn new(url: Url, headers: Vec<(&'static str, String)>) -> Self {
        GetRequest { url, headers }
    }

    /// The API base, the path (each segment percent-encoded) and the query.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// `Authorization`, `Stripe-Account`, `Stripe-Version` (and `User-Agent`). The authorization
    /// value holds the secret key: a transport sends it and never logs it.
    pub fn headers(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.headers.iter().map(|(k, v)| (*k, v.as_str()))
    }
}

impl std::fmt::Debug for GetRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers()
            .map(|(k, v)| if k.eq_ignore_ascii_case("authorization") { (k, "[redacted]") } else { (k, v) })
            .collect();
        f.debug_struct("GetRequest").field("url", &self.url.as_str()).field("headers", &headers).finish()
    }
}

/// What came back: status, headers (names lower-case) and the whole body.
#[derive(Debug, Clone, Default)]
pub struct RawResponse {
    /// The HTTP status, whatever it is (the caller maps it).
    pub status: u16,
    /// Header names and values; values that are not visible ASCII may be left out.
    pub headers: Vec<(String, String)>,
    /// The whole body, at most [`MAX_BODY_BYTES`].
    pub body: Vec<u8>,
}

impl RawResponse {
    /// The first value of header `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// Stripe's `Request-Id` header, for errors.
    pub fn request_id(&self) -> Option<String> {
        self.header("request-id").map(|v| crate::quote::quote_capped(v, 100))
    }
}

/// How a request failed before a whole response was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TransportErrorKind {
    /// Could not connect, or the connection broke before the response head. Retried.
    Network,
    /// The socket timeout passed. Retried within the call's deadline.
    Timeout,
    /// The head arrived but the body broke off (truncated, reset). Retried; reported as
    /// `stripe_bad_response` when retries run out.
    Body,
    /// The body is larger than [`MAX_BODY_BYTES`]: `stripe_bad_response` at once, not retried
    /// (another attempt would read as much again).
    TooLarge,
    /// The request could not be built (e.g. a header value that is not valid HTTP). Not retried.
    Request,
}

/// A transport failure (no HTTP status to map).
#[derive(Debug, Clone)]
pub struct TransportError {
    /// Decides the retry and the error code.
    pub kind: TransportErrorKind,
    /// For people: what broke, with its causes.
    pub message: String,
}

impl TransportError {
    /// A failure of this kind.
    pub fn new(kind: TransportErrorKind, message: impl Into<String>) -> Self {
        TransportError { kind, message: message.into() }
    }
}

/// Sends GET requests to the Stripe API. Swap it in tests with
/// [`StripeConnectBuilder::api_transport`](crate::StripeConnectBuilder::api_transport).
///
/// `get` is the only request method, on purpose: implementations have nothing to send but a GET,
/// and there is no verb to pass:
///
/// ```compile_fail
/// # async fn f(t: &dyn stripe_connect::ApiTransport, r: &stripe_connect::GetRequest) {
/// t.post(r).await; // no such method: the API side cannot send a POST
/// # }
/// ```
#[async_trait]
pub trait ApiTransport: Send + Sync {
    /// Send one GET with `request.headers()` and read the whole body.
    async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError>;
}

/// The default transport: the crate's shared reqwest client (rustls, keep-alive).
#[derive(Debug, Clone)]
pub struct ReqwestTransport {
    client: Client,
}

#[derive(Debug, Clone)]
enum Client {
    Ready(reqwest::Client),
    /// The crate's shared client, built on the first request.
    Lazy(Arc<LazyClient>),
}

impl ReqwestTransport {
    /// A transport over `client` (its user agent and timeouts apply).
    pub fn new(client: reqwest::Client) -> Self {
        ReqwestTransport { client: Client::Ready(client) }
    }

    pub(crate) fn lazy(client: Arc<LazyClient>) -> Self {
        ReqwestTransport { client: Client::Lazy(client) }
    }

    fn client(&self) -> Result<&reqwest::Client, TransportError> {
        match &self.client {
            Client::Ready(c) => Ok(c),
            Client::Lazy(l) => l.get().map_err(|e| TransportError::new(TransportErrorKind::Request, e.to_string())),
        }
    }
}

/// A failure of `send()`, before any of the response body is read: a GET has no request body and
/// the response body is read (and its failures classified as `Body`) by [`read_response`].
fn transport_error(e: &reqwest::Error, during: &str) -> TransportError {
    let kind = if e.is_builder() {
        TransportErrorKind::Request
    } else if e.is_timeout() {
        TransportErrorKind::Timeout
    } else {
        TransportErrorKind::Network
    };
    TransportError::new(kind, format!("{during}: {}", error_chain(e)))
}

#[async_trait]
impl ApiTransport for ReqwestTransport {
    async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError> {
        let mut headers = reqwest::header::HeaderMap::new();
        for (name, value) in request.headers() {
            let mut v = reqwest::header::HeaderValue::from_str(value).map_err(|_| {
                TransportError::new(TransportErrorKind::Request, format!("the {name} header value is not valid HTTP"))
            })?;
            v.set_sensitive(name.eq_ignore_ascii_case("authorization"));
            headers.insert(name, v);
        }
        let resp = self
            .client()?
            .get(request.url().clone())
            .headers(headers)
            .send()
            .await
            .map_err(|e| transport_error(&e, "sending the request"))?;
        read_response(resp).await
    }
}

/// Status, headers and the whole body (at most [`MAX_BODY_BYTES`]) of a response: the API
/// transport and the OAuth POSTs read Stripe's answers the same way.
pub(crate) async fn read_response(mut resp: reqwest::Response) -> Result<RawResponse, TransportError> {
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
        .collect();
    let too_large = |what: String| {
        TransportError::new(TransportErrorKind::TooLarge, format!("{what}, more than the {MAX_BODY_BYTES}-byte limit"))
    };
    if let Some(declared) = resp.content_length().filter(|n| *n > MAX_BODY_BYTES as u64) {
        return Err(too_large(format!("the body is declared as {declared} bytes")));
    }
    let mut body = Vec::new();
    while let Some(chunk) = resp.chunk().await.map_err(|e| {
        // A body that stalls until the timeout is a timeout, not a broken body.
        let kind = if e.is_timeout() { TransportErrorKind::Timeout } else { TransportErrorKind::Body };
        TransportError::new(kind, format!("reading the body after {} bytes: {}", body.len(), error_chain(&e)))
    })? {
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(too_large(format!("the body grew past {} bytes", body.len() + chunk.len())));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawResponse { status, headers, body })
}
