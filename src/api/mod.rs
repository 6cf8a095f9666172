//! The Stripe API side: GET only, on behalf of one connected account.
//!
//! - [`transport`]: the [`ApiTransport`] trait (one method, `get`) and the reqwest implementation.
//! - [`retry`]: what a response means, whether to retry, how long to wait.
//! - [`list`]: list and search envelopes and pagination.
//!
//! Every request carries `Authorization: Bearer <secret key>`, `Stripe-Account: acct_…` (a
//! validated [`AccountId`]), the pinned `Stripe-Version` and the library's `User-Agent`. One
//! [`Api`] value is one call: it holds the call's deadline, and every request made through it
//! (pages and retries included) ends by then with `stripe_timeout`.

pub(crate) mod list;
pub(crate) mod retry;
pub(crate) mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::error::{StripeError, StripeErrorKind};
use crate::http::USER_AGENT;
use crate::ids::AccountId;
use crate::secret::SecretKey;
pub(crate) use transport::read_response;
pub use transport::{ApiTransport, GetRequest, RawResponse, ReqwestTransport, TransportError, TransportErrorKind};

/// What every request needs from the configuration, handed over by the caller (the API layer
/// knows no client and no `Config`).
pub(crate) struct ApiSettings {
    pub base: Url,
    pub secret_key: SecretKey,
    pub stripe_version: String,
    /// One deadline per call, for all its requests, pages and retries.
    pub timeout: Duration,
    pub max_retries: u32,
    pub retry_base_delay: Duration,
    pub max_concurrency_per_account: usize,
}

/// The transport, the settings and the per-account concurrency limit, shared by every call.
pub(crate) struct ApiClient {
    transport: Arc<dyn ApiTransport>,
    settings: ApiSettings,
    limiter: AccountLimiter,
}

impl ApiClient {
    pub(crate) fn new(transport: Arc<dyn ApiTransport>, settings: ApiSettings) -> Self {
        let limiter = AccountLimiter::new(settings.max_concurrency_per_account);
        ApiClient { transport, settings, limiter }
    }

    /// Start a call on `account`: its deadline (`timeout`) starts now.
    pub(crate) fn call<'a>(&'a self, account: &'a AccountId) -> Api<'a> {
        Api { client: self, account, deadline: Instant::now() + self.settings.timeout }
    }
}

/// One semaphore per connected account, so a burst of queries on one app stays under Stripe's
/// rate limit (about 100 req/s live, 25 in test mode) and does not starve the others.
struct AccountLimiter {
    per_account: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl AccountLimiter {
    fn new(per_account: usize) -> Self {
        AccountLimiter { per_account: per_account.max(1), semaphores: Mutex::new(HashMap::new()) }
    }

    async fn acquire(&self, account: &AccountId) -> Option<OwnedSemaphorePermit> {
        let sem = {
            let mut map = self.semaphores.lock().unwrap_or_else(|p| p.into_inner());
            map.entry(account.as_str().to_string())
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_account)))
                .clone()
        };
        // The semaphore is never closed; without a permit the request would still be correct.
        sem.acquire_owned().await.ok()
    }
}

/// `/v1/customers` from `["v1", "customers"]`, for messages.
pub(crate) fn display_path(path: &[&str]) -> String {
    format!("/{}", path.join("/"))
}

/// One call on behalf of one connected account, with its deadline.
pub(crate) struct Api<'a> {
    client: &'a ApiClient,
    account: &'a AccountId,
    deadline: Instant,
}

impl Api<'_> {
    fn request(&self, path: &[&str], query: Vec<(&'static str, String)>) -> GetRequest {
        let config = &self.client.settings;
        let mut url = config.base.clone();
        if let Ok(mut segments) = url.path_segments_mut() {
            // Each segment is percent-encoded: even a bad id could not climb out of the path.
            segments.pop_if_empty().extend(path);
        }
        if !query.is_empty() {
            url.query_pairs_mut().extend_pairs(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        GetRequest::new(
            url,
            vec![
                ("authorization", format!("Bearer {}", config.secret_key.expose())),
                ("stripe-account", self.account.as_str().to_string()),
                ("stripe-version", config.stripe_version.clone()),
                ("user-agent", USER_AGENT.to_string()),
            ],
        )
    }

    /// GET `path` with `query`, retried and bounded by the call's deadline, parsed as `T`.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: Vec<(&'static str, String)>,
    ) -> Result<T, StripeError> {
        let request = self.request(path, query);
        let config = &self.client.settings;
        match tokio::time::timeout_at(self.deadline, self.attempts(&request, path)).await {
            Ok(result) => result,
            Err(_) => Err(StripeError::new(
                StripeErrorKind::Timeout,
                format!(
                    "no complete answer from Stripe to GET {} within the {:?} deadline",
                    display_path(path),
                    config.timeout
                ),
            )),
        }
    }

    async fn attempts<T: DeserializeOwned>(&self, request: &GetRequest, path: &[&str]) -> Result<T, StripeError> {
        let (client, settings) = (self.client, &self.client.settings);
        let mut retry = 0u32;
        loop {
            let outcome = {
                let _permit = client.limiter.acquire(self.account).await;
                client.transport.get(request).await
            };
            let mut failure = match retry::classify(outcome) {
                Ok(resp) => return parse(&resp, path),
                Err(f) => f,
            };
            if retry > 0 {
                failure.error.message.push_str(&format!(" (after {} attempts)", retry + 1));
            }
            if !failure.retryable || retry >= settings.max_retries {
                return Err(failure.error);
            }
            let wait = retry::backoff(settings.retry_base_delay, retry, failure.retry_after);
            if Instant::now() + wait >= self.deadline {
                // Waiting (e.g. for Retry-After) would pass the deadline: report what happened.
                return Err(failure.error);
            }
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }
}

// The error is boxed by `Error::from` at the call site; this private helper stays simple.
#[allow(clippy::result_large_err)]
fn parse<T: DeserializeOwned>(resp: &RawResponse, path: &[&str]) -> Result<T, StripeError> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            format!("something that is not JSON{}", retry::describe_body(&resp.body))
        } else {
            format!("JSON of an unexpected shape: {e}")
        };
        let mut err =
            StripeError::new(StripeErrorKind::BadResponse, format!("GET {} answered {what}", display_path(path)));
        err.status = Some(resp.status);
        err.request_id = resp.request_id();
        err
    })
}

#[cfg(test)]
mod tests {
    use super::list::List;
    use super::*;

    #[test]
    fn display_path_is_the_url_path_for_messages() {
        assert_eq!(display_path(&["v1", "charges", "ch_1"]), "/v1/charges/ch_1");
        assert_eq!(display_path(&[]), "/");
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Obj {
        id: String,
        amount: i64,
    }

    /// Whatever status and body come back, the answer is a value or an error, never a panic.
    #[test]
    fn no_server_response_panics() {
        let deep = "[".repeat(10_000);
        let bodies: Vec<&[u8]> = vec![
            b"",
            b"\xff\xfe\x00",
            b"{",
            b"[]",
            b"null",
            b"{\"error\": 5}",
            b"{\"error\": {\"type\": [1], \"code\": {}}}",
            b"{\"object\":\"list\",\"data\":[{\"id\":1}],\"has_more\":false}",
            b"{\"object\":\"list\",\"data\":[{\"id\":\"x\",\"amount\":1e400}],\"has_more\":false}",
            deep.as_bytes(),
        ];
        let headers = vec![
            ("retry-after".to_string(), "99999999999999999999".to_string()),
            ("stripe-should-retry".to_string(), "maybe".to_string()),
        ];
        for status in [0, 100, 204, 299, 304, 399, 418, 499, 599, 600, 999, u16::MAX] {
            for body in &bodies {
                let resp = RawResponse { status, headers: headers.clone(), body: body.to_vec() };
                match retry::classify(Ok(resp)) {
                    Ok(r) => {
                        let e = parse::<List<Obj>>(&r, &["v1", "x"]).unwrap_err();
                        assert_eq!(e.code(), "stripe_bad_response");
                    }
                    Err(f) => assert!(f.error.status == Some(status)),
                }
            }
        }
    }
}
