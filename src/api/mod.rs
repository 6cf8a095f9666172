//! The Stripe API side: GET only, on behalf of one connected account.
//!
//! - [`transport`]: the [`ApiTransport`] trait (one method, `get`) and the reqwest implementation.
//! - [`retry`]: what a response means, whether to retry, how long to wait.
//! - [`list`]: list and search envelopes and pagination.
//!
//! Every request carries `Authorization: Bearer <secret key>`, `Stripe-Account: acct_…` (or
//! `Stripe-Context: acct_…` when so configured, never both; a validated [`AccountId`]), the pinned `Stripe-Version` and the library's `User-Agent`. One
//! [`Api`] value is one call: it holds the call's deadline, and every request made through it
//! (pages and retries included) ends by then with `stripe_timeout`.

pub(crate) mod list;
pub(crate) mod pace;
pub(crate) mod retry;
pub(crate) mod transport;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::{BoxFuture, FutureExt, Shared};
use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use url::Url;

use crate::error::{StripeError, StripeErrorKind};
use crate::http::USER_AGENT;
use crate::ids::AccountId;
use crate::secret::SecretKey;
use pace::{Limits, Pacer, PAUSE_AFTER_429};
pub(crate) use retry::quote_field;
pub(crate) use transport::read_response;
pub use transport::{ApiTransport, GetRequest, RawResponse, ReqwestTransport, TransportError, TransportErrorKind};

/// What every request needs from the configuration, handed over by the caller (the API layer
/// knows no client and no `Config`).
pub(crate) struct ApiSettings {
    pub base: Url,
    pub secret_key: SecretKey,
    pub stripe_version: String,
    /// `stripe-account` or `stripe-context` (the configuration's `AccountHeader`): the one
    /// header that names the account.
    pub account_header: &'static str,
    /// One deadline per call, for all its requests, pages and retries.
    pub timeout: Duration,
    pub max_retries: u32,
    pub retry_base_delay: Duration,
    pub max_concurrency_per_account: usize,
    /// This process's share of Stripe's per-account rate limits.
    pub rate_limits: Limits,
}

/// The transport, the settings, the per-account concurrency limit and pacing, and the GETs in
/// flight, shared by every call.
pub(crate) struct ApiClient {
    transport: Arc<dyn ApiTransport>,
    settings: ApiSettings,
    limiter: AccountLimiter,
    pacer: Pacer,
    in_flight: InFlight,
}

impl ApiClient {
    pub(crate) fn new(transport: Arc<dyn ApiTransport>, settings: ApiSettings) -> Self {
        let limiter = AccountLimiter::new(settings.max_concurrency_per_account);
        let pacer = Pacer::new(settings.rate_limits);
        ApiClient { transport, settings, limiter, pacer, in_flight: InFlight::default() }
    }

    /// Accounts the concurrency limiter holds an entry for (tests: 0 once the calls are over).
    #[cfg(test)]
    pub(crate) fn limited_accounts(&self) -> usize {
        self.limiter.len()
    }

    /// No later call joins a GET on `account` already in flight (it was disconnected: an answer
    /// sent for before then is not one to share). The GETs themselves run on for their callers.
    pub(crate) fn forget_account(&self, account: &AccountId) {
        let prefix = format!("{} ", account.as_str());
        self.in_flight.lock().retain(|key, _| !key.starts_with(&prefix));
    }

    /// Start a call on `account`: its deadline (`timeout`) starts now. A `fresh` call sends its
    /// own requests; any other joins an identical GET already in flight.
    pub(crate) fn call<'a>(self: &'a Arc<Self>, account: &'a AccountId, fresh: bool) -> Api<'a> {
        Api { client: self, account, deadline: Instant::now() + self.settings.timeout, fresh }
    }
}

/// The answer to one GET (retries included), shared by every caller that asked for it.
type SharedGet = Shared<BoxFuture<'static, Result<Arc<RawResponse>, StripeError>>>;

/// Identical GETs in flight (same account, same URL and query): a second caller waits for the
/// first one's answer instead of sending its own request. An entry lives until its answer is in,
/// or until its account is forgotten ([`ApiClient::forget_account`]); each has a number, so a GET
/// that ends removes its own entry and never a newer one for the same URL.
#[derive(Default)]
struct InFlight {
    gets: Mutex<HashMap<String, (u64, SharedGet)>>,
    next: std::sync::atomic::AtomicU64,
}

impl InFlight {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, SharedGet)>> {
        self.gets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// One semaphore per connected account, so a burst of queries on one app does not starve the
/// others (the rate is [`pace`]'s job).
///
/// An account's entry lives only while a request of that account holds or waits for a permit:
/// account ids come from input, and a map that kept every id ever seen would grow without bound.
struct AccountLimiter {
    per_account: usize,
    semaphores: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl AccountLimiter {
    fn new(per_account: usize) -> Self {
        AccountLimiter { per_account: per_account.max(1), semaphores: Mutex::new(HashMap::new()) }
    }

    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Semaphore>>> {
        self.semaphores.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait for a permit of `account`. The slot releases it when dropped, and drops the account's
    /// entry if nobody else holds or waits for it, also when the wait itself is cancelled.
    async fn acquire(&self, account: &AccountId) -> AccountSlot<'_> {
        let semaphore = self
            .map()
            .entry(account.as_str().to_string())
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_account)))
            .clone();
        let mut slot = AccountSlot {
            limiter: self,
            account: account.as_str().to_string(),
            semaphore: Some(semaphore.clone()),
            permit: None,
        };
        // The semaphore is never closed; without a permit the request would still be correct.
        slot.permit = semaphore.acquire_owned().await.ok();
        slot
    }

    /// Accounts with an entry (tests: it must fall back to 0 when the calls are over).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.map().len()
    }
}

/// A permit of one account's semaphore (or a wait for one); see [`AccountLimiter::acquire`].
struct AccountSlot<'a> {
    limiter: &'a AccountLimiter,
    account: String,
    semaphore: Option<Arc<Semaphore>>,
    permit: Option<OwnedSemaphorePermit>,
}

impl Drop for AccountSlot<'_> {
    fn drop(&mut self) {
        drop(self.permit.take());
        drop(self.semaphore.take());
        let mut map = self.limiter.map();
        // Every holder and waiter keeps a clone, taken under this lock: only the map's own means
        // the account is idle.
        if map.get(&self.account).is_some_and(|s| Arc::strong_count(s) == 1) {
            map.remove(&self.account);
        }
    }
}

/// `/v1/customers` from `["v1", "customers"]`, for messages.
pub(crate) fn display_path(path: &[&str]) -> String {
    format!("/{}", path.join("/"))
}

/// One call on behalf of one connected account, with its deadline.
pub(crate) struct Api<'a> {
    client: &'a Arc<ApiClient>,
    account: &'a AccountId,
    deadline: Instant,
    /// Send this call's own requests, never join one in flight (`StripeConnect::fresh`).
    fresh: bool,
}

impl<'a> Api<'a> {
    pub(crate) fn account(&self) -> &'a AccountId {
        self.account
    }

    pub(crate) fn fresh(&self) -> bool {
        self.fresh
    }

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
                // One of the two, never both (issue 21 item 4).
                (config.account_header, self.account.as_str().to_string()),
                ("stripe-version", config.stripe_version.clone()),
                ("user-agent", USER_AGENT.to_string()),
            ],
        )
    }

    /// GET `path` with `query`, retried and bounded by the call's deadline, parsed as `T`. An
    /// identical GET already in flight on this client is joined rather than sent again.
    pub(crate) async fn get<T: DeserializeOwned>(
        &self,
        path: &[&str],
        query: Vec<(&'static str, String)>,
    ) -> Result<T, StripeError> {
        let request = self.request(path, query);
        let display = display_path(path);
        let answer = if self.fresh {
            let work = attempts(self.client, self.account, self.deadline, &request, &display);
            within(self.deadline, &self.client.settings, &display, work).await.map(Arc::new)
        } else {
            within(self.deadline, &self.client.settings, &display, self.shared(request, &display)).await
        };
        parse(&*answer?, path)
    }

    /// The in-flight answer to `request`, started here if no one else is waiting for it. It runs
    /// to its end (and leaves the table) even if the caller that started it stops waiting.
    fn shared(&self, request: GetRequest, display: &str) -> SharedGet {
        let key = format!("{} {}", self.account.as_str(), request.url());
        let mut gets = self.client.in_flight.lock();
        if let Some((_, get)) = gets.get(&key) {
            return get.clone();
        }
        let number = self.client.in_flight.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (client, account, deadline) = (Arc::clone(self.client), self.account.clone(), self.deadline);
        let (display, slot) = (display.to_string(), key.clone());
        let get = async move {
            let work = attempts(&client, &account, deadline, &request, &display);
            let answer = within(deadline, &client.settings, &display, work).await;
            let mut gets = client.in_flight.lock();
            if gets.get(&slot).is_some_and(|(n, _)| *n == number) {
                gets.remove(&slot);
            }
            drop(gets);
            answer.map(Arc::new)
        }
        .boxed()
        .shared();
        gets.insert(key, (number, get.clone()));
        get
    }
}

/// `work`, or `stripe_timeout` at `deadline`.
async fn within<T>(
    deadline: Instant,
    settings: &ApiSettings,
    display: &str,
    work: impl std::future::Future<Output = Result<T, StripeError>>,
) -> Result<T, StripeError> {
    match tokio::time::timeout_at(deadline, work).await {
        Ok(result) => result,
        Err(_) => Err(deadline_passed(settings, display)),
    }
}

fn deadline_passed(settings: &ApiSettings, display: &str) -> StripeError {
    StripeError::new(
        StripeErrorKind::Timeout,
        format!("no complete answer from Stripe to GET {display} within the {:?} deadline", settings.timeout),
    )
}

/// Send `request` until it succeeds, fails for good, or retrying would pass `deadline`.
async fn attempts(
    client: &ApiClient,
    account: &AccountId,
    deadline: Instant,
    request: &GetRequest,
    display: &str,
) -> Result<RawResponse, StripeError> {
    let settings = &client.settings;
    let search = request.url().path().ends_with("/search");
    let mut retry = 0u32;
    loop {
        let outcome = {
            // The permit first, then the pace: the pacer counts a request when it lets it through,
            // so it must go out then, not after a wait for a permit (the slow requests holding the
            // permits would shift it into a later second, beyond Stripe's limit). A request waiting
            // for the rate holds one of its account's permits, which only that account's requests
            // wait for, and they wait for the same rate (a search waiting for the Search API's
            // stricter limit may keep a plain read waiting, for less than a second).
            let _permit = client.limiter.acquire(account).await;
            if let Err(until) = client.pacer.admit(account.as_str(), search, deadline).await {
                let wait = until.saturating_duration_since(Instant::now());
                return Err(StripeError::new(
                    StripeErrorKind::RateLimited,
                    format!(
                        "GET {display} not sent: Stripe rate-limited account {account} (429) and its requests wait \
                         {} ms more, past this call's deadline",
                        wait.as_millis()
                    ),
                ));
            }
            client.transport.get(request).await
        };
        let mut failure = match retry::classify(outcome) {
            Ok(resp) => return Ok(resp),
            Err(f) => f,
        };
        if failure.error.kind == StripeErrorKind::RateLimited {
            // Over Stripe's limit for this account (another instance, a job, the dashboard): no
            // request on it for a while, this one's retry included.
            client.pacer.pause(account.as_str(), failure.retry_after.unwrap_or(PAUSE_AFTER_429));
        }
        // The transport's own timer (as long as the deadline) can fire in the same instant as the
        // deadline and win the race: a failure that would have been retried but for the deadline
        // is the deadline's (a definitive answer such as a 404 keeps its code).
        if failure.retryable && Instant::now() >= deadline {
            return Err(deadline_passed(settings, display));
        }
        if retry > 0 {
            failure.error.message.push_str(&format!(" (after {} attempts)", retry + 1));
        }
        if !failure.retryable || retry >= settings.max_retries {
            return Err(failure.error);
        }
        let wait = retry::backoff(settings.retry_base_delay, retry, failure.retry_after);
        if Instant::now() + wait >= deadline {
            // Waiting (e.g. for Retry-After) would pass the deadline: report what happened.
            return Err(failure.error);
        }
        tokio::time::sleep(wait).await;
        retry += 1;
    }
}

// The error is boxed by `Error::from` at the call site; this private helper stays simple.
#[allow(clippy::result_large_err)]
fn parse<T: DeserializeOwned>(resp: &RawResponse, path: &[&str]) -> Result<T, StripeError> {
    serde_json::from_slice(&resp.body).map_err(|e| {
        let what = if e.is_syntax() || e.is_eof() {
            format!("something that is not JSON{}", retry::describe_body(&resp.body))
        } else {
            // serde quotes the value it did not expect: Stripe's (or a stand-in's) text, so quoted.
            format!("JSON of an unexpected shape: {}", crate::quote::quote(&e.to_string()))
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

    /// serde names the value it did not expect: a stand-in's string reaches the message quoted
    /// (no control characters, no key, capped), not as it was.
    #[test]
    fn a_body_of_the_wrong_shape_is_quoted_not_echoed() {
        let value = format!("x\r\nFAKE LOG LINE sk_live_{} {}", "k".repeat(30), "y".repeat(5000));
        let body = serde_json::json!({"object": "list", "data": [{"id": "o_1", "amount": value}], "has_more": false});
        let resp = RawResponse { status: 200, headers: vec![], body: body.to_string().into_bytes() };
        let e = parse::<List<Obj>>(&resp, &["v1", "x"]).unwrap_err();
        let msg = e.to_string();
        assert_eq!(e.code(), "stripe_bad_response");
        assert!(!msg.contains(['\r', '\n']) && !msg.contains("kkkk") && msg.len() < 1000, "{msg}");
    }

    fn account(i: usize) -> AccountId {
        AccountId::parse(format!("acct_{i}")).unwrap()
    }

    /// A transport whose requests wait for a permit each (none at first), answering 200 `{}`.
    struct Gated(Arc<Semaphore>);

    #[async_trait::async_trait]
    impl ApiTransport for Gated {
        async fn get(&self, _: &GetRequest) -> Result<RawResponse, TransportError> {
            self.0.acquire().await.expect("never closed").forget();
            Ok(RawResponse { status: 200, headers: vec![], body: b"{}".to_vec() })
        }
    }

    /// Test mode's limits in full, 8 requests in flight per account, no retries.
    fn paced_settings() -> ApiSettings {
        ApiSettings {
            base: Url::parse("https://api.stripe.com").unwrap(),
            secret_key: SecretKey::new("sk_test_paced").unwrap(),
            stripe_version: "2026-10-28.endive".into(),
            account_header: "stripe-account",
            timeout: Duration::from_secs(60),
            max_retries: 0,
            retry_base_delay: Duration::from_millis(1),
            max_concurrency_per_account: 8,
            rate_limits: Limits::share_of_stripe(false, 1.0),
        }
    }

    fn gated_client() -> (Arc<ApiClient>, Arc<Semaphore>) {
        let gate = Arc::new(Semaphore::new(0));
        let settings = paced_settings();
        (Arc::new(ApiClient::new(Arc::new(Gated(gate.clone())), settings)), gate)
    }

    /// A transport that notes when each request was sent and answers 200 `{}` 40 ms later, or
    /// 600 ms later for a path that ends in `slow` (a slow endpoint).
    struct Slow(Mutex<Vec<Instant>>);

    #[async_trait::async_trait]
    impl ApiTransport for Slow {
        async fn get(&self, request: &GetRequest) -> Result<RawResponse, TransportError> {
            self.0.lock().unwrap().push(Instant::now());
            let ms = if request.url().path().ends_with("slow") { 600 } else { 40 };
            tokio::time::sleep(Duration::from_millis(ms)).await;
            Ok(RawResponse { status: 200, headers: vec![], body: b"{}".to_vec() })
        }
    }

    /// Issue 22 (bench:busy): the pace holds for the requests as *sent*. A request let through by
    /// the pacer used to wait for a concurrency permit afterwards, sent later than the time its
    /// window counted: with 8 slow requests holding the account's 8 permits for 600 ms, the 17
    /// let through beside them went out at 600–680 ms, and the next second's 25 at 1000–1120 ms,
    /// 42 within one second (Stripe's 429s) where the pacer had counted 25.
    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_sent_requests_than_the_limit() {
        let transport = Arc::new(Slow(Mutex::new(Vec::new())));
        let settings = paced_settings();
        let client = Arc::new(ApiClient::new(transport.clone(), settings));
        let one = account(1);
        let gets = (0..60).map(|i| {
            let (client, one) = (client.clone(), one.clone());
            async move {
                let id = if i < 8 { format!("ch_{i}slow") } else { format!("ch_{i}") };
                client.call(&one, true).get::<serde_json::Value>(&["v1", "charges", &id], vec![]).await
            }
        });
        for answer in futures::future::join_all(gets).await {
            answer.unwrap();
        }
        let sent = transport.0.lock().unwrap().clone();
        let busiest = sent
            .iter()
            .map(|start| sent.iter().filter(|t| **t >= *start && **t < *start + Duration::from_secs(1)).count())
            .max();
        assert_eq!(sent.len(), 60);
        assert_eq!(busiest, Some(25), "the most requests sent within one second");
    }

    fn keys(client: &ApiClient) -> Vec<(String, u64)> {
        let mut keys: Vec<_> = client.in_flight.lock().iter().map(|(k, (n, _))| (k.clone(), *n)).collect();
        keys.sort();
        keys
    }

    /// Forgetting an account drops its GETs in flight from the table, and no other account's: a
    /// later identical GET on it is sent anew, one on another account still joins.
    #[tokio::test]
    async fn forgetting_an_account_drops_only_its_gets_in_flight() {
        let (client, _gate) = gated_client();
        let (one, two) = (account(1), account(2));
        let get = |a: &AccountId| {
            let api = client.call(a, false);
            let request = api.request(&["v1", "charges"], vec![]);
            // Entered in the table when made; never polled (the transport would wait forever).
            drop(api.shared(request, "/v1/charges"));
        };
        get(&one);
        get(&two);
        client.forget_account(&one);
        assert_eq!(
            keys(&client),
            [("acct_2 https://api.stripe.com/v1/charges".to_string(), 1)],
            "only acct_1's GET left the table"
        );
        get(&two);
        get(&one);
        assert_eq!(keys(&client).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [2, 1], "acct_2 joined, acct_1 anew");
    }

    /// A GET that ends removes its own entry, never a newer one for the same URL (made after the
    /// account was forgotten while the old one ran).
    #[tokio::test]
    async fn a_get_that_ends_leaves_a_newer_entry_for_its_url_in_place() {
        let (client, gate) = gated_client();
        let one = account(1);
        let start = |client: &Arc<ApiClient>| {
            let api = client.call(&one, false);
            let request = api.request(&["v1", "charges"], vec![]);
            tokio::spawn(api.shared(request, "/v1/charges"))
        };
        let old = start(&client);
        tokio::task::yield_now().await;
        client.forget_account(&one);
        let new = start(&client);
        tokio::task::yield_now().await;
        gate.add_permits(1);
        old.await.unwrap().unwrap();
        assert_eq!(keys(&client).iter().map(|(_, n)| *n).collect::<Vec<_>>(), [1], "the newer GET is still joinable");
        gate.add_permits(1);
        new.await.unwrap().unwrap();
        assert_eq!(keys(&client), [], "and it removed itself when it ended");
    }

    /// Issue 10 item 7: 40k distinct account ids taken from input used to leave 40k entries
    /// behind (~18 MB). Entries live while a request holds or waits for a permit, no longer.
    #[tokio::test]
    async fn the_account_limiter_forgets_idle_accounts() {
        let limiter = AccountLimiter::new(2);
        for i in 0..5_000 {
            let _slot = limiter.acquire(&account(i)).await;
            assert_eq!(limiter.len(), 1);
        }
        assert_eq!(limiter.len(), 0, "one-off accounts leave nothing behind");

        // Concurrent holders of several accounts: entries while held, none after.
        let ids: Vec<AccountId> = (0..300).map(|i| account(i % 100)).collect();
        let slots = futures::future::join_all(ids.iter().take(200).map(|a| limiter.acquire(a)));
        let held = tokio::time::timeout(std::time::Duration::from_secs(5), slots).await.unwrap();
        assert_eq!(limiter.len(), 100);
        drop(held);
        assert_eq!(limiter.len(), 0);
    }

    /// A wait cut short (the call's deadline) leaves no entry behind, and the limit still holds
    /// for the accounts in use.
    #[tokio::test]
    async fn a_cancelled_wait_leaves_no_entry_and_the_limit_still_holds() {
        let limiter = AccountLimiter::new(1);
        let a = account(1);
        let first = limiter.acquire(&a).await;
        let waited = tokio::time::timeout(std::time::Duration::from_millis(20), limiter.acquire(&a)).await;
        assert!(waited.is_err(), "the second permit of a 1-permit account must wait");
        assert_eq!(limiter.len(), 1);
        drop(first);
        assert_eq!(limiter.len(), 0);
        let again = limiter.acquire(&a).await;
        assert!(again.permit.is_some());
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
