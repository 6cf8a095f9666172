//! Event claims are leases: a delivery that hangs, dies or fails twice never loses the event.
//! Time is injected (`ManualClock` for the leases); the only real waits are short webhook timeouts.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use stripe_connect::{
    ClaimState, ClaimStore, Config, ConnectionStore, DisputeAlert, DisputeSink, Error, Fence, LeaseToken, ManualClock,
    MemoryClaimStore, MemoryConnectionStore, StoreError, StripeConnect, WebhookOutcome,
};
use tokio::sync::Notify;

use super::webhooks::{deauthorized_event, dispute_event, helpdesk_connection, sign, NOW};

/// What the scripted sink does on one call.
enum Step {
    /// Never settles (a hung pool, a pager API that never answers).
    Hang,
    /// Fails at once.
    Fail,
    /// Waits until the gate is opened, then delivers.
    WaitFor(Arc<Notify>),
    /// Waits until the gate is opened, then fails (a delivery paused past its lease that wakes
    /// to a failure, and so gives the lease back).
    WaitThenFail(Arc<Notify>),
}

/// A dispute sink that follows a script, then delivers; counts calls, delivered event ids, and
/// the most calls that were under way at once.
#[derive(Default)]
struct ScriptedSink {
    script: Mutex<VecDeque<Step>>,
    calls: AtomicUsize,
    entered: Notify,
    delivered: Mutex<Vec<String>>,
    running: AtomicUsize,
    most_at_once: AtomicUsize,
}

impl ScriptedSink {
    fn new(steps: impl IntoIterator<Item = Step>) -> Arc<Self> {
        Arc::new(ScriptedSink { script: Mutex::new(steps.into_iter().collect()), ..Default::default() })
    }
    fn calls(&self) -> usize {
        self.calls.load(Ordering::SeqCst)
    }
    fn delivered(&self) -> Vec<String> {
        self.delivered.lock().unwrap().clone()
    }
    fn most_at_once(&self) -> usize {
        self.most_at_once.load(Ordering::SeqCst)
    }
}

/// Counts a sink call as under way until dropped (also when its task is cancelled).
struct Running<'a>(&'a ScriptedSink);

impl<'a> Running<'a> {
    fn start(sink: &'a ScriptedSink) -> Self {
        let now = sink.running.fetch_add(1, Ordering::SeqCst) + 1;
        sink.most_at_once.fetch_max(now, Ordering::SeqCst);
        Running(sink)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

#[async_trait]
impl DisputeSink for ScriptedSink {
    async fn dispute_created(&self, alert: &DisputeAlert) -> Result<(), StoreError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let _running = Running::start(self);
        self.entered.notify_one();
        let step = self.script.lock().unwrap().pop_front();
        match step {
            Some(Step::Hang) => std::future::pending().await,
            Some(Step::Fail) => return Err(StoreError::new("disputes.dispute_created", "pager API answered 503")),
            Some(Step::WaitFor(gate)) => gate.notified().await,
            Some(Step::WaitThenFail(gate)) => {
                gate.notified().await;
                return Err(StoreError::new("disputes.dispute_created", "pager API answered 503"));
            }
            None => {}
        }
        self.delivered.lock().unwrap().push(alert.event_id.clone());
        Ok(())
    }
}

/// The in-memory claims with switchable faults (and a switchable hang of `acquire`).
struct FaultyClaims {
    inner: MemoryClaimStore,
    hang_acquire: AtomicBool,
    fail_complete: AtomicBool,
    fail_release: AtomicBool,
    hang_release: AtomicBool,
}

impl FaultyClaims {
    fn new(clock: &ManualClock) -> Arc<Self> {
        Arc::new(FaultyClaims {
            inner: MemoryClaimStore::with_clock(Arc::new(clock.clone())),
            hang_acquire: AtomicBool::new(false),
            fail_complete: AtomicBool::new(false),
            fail_release: AtomicBool::new(false),
            hang_release: AtomicBool::new(false),
        })
    }
}

#[async_trait]
impl ClaimStore for FaultyClaims {
    async fn acquire(&self, key: &str, token: &LeaseToken, lease: Duration) -> Result<ClaimState, StoreError> {
        if self.hang_acquire.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        self.inner.acquire(key, token, lease).await
    }
    async fn complete(&self, key: &str, token: &LeaseToken, ttl: Duration) -> Result<Fence, StoreError> {
        if self.fail_complete.load(Ordering::SeqCst) {
            return Err(StoreError::new("claims.complete", "deadlock found when trying to get lock"));
        }
        self.inner.complete(key, token, ttl).await
    }
    async fn release(&self, key: &str, token: &LeaseToken) -> Result<Fence, StoreError> {
        if self.hang_release.load(Ordering::SeqCst) {
            std::future::pending::<()>().await;
        }
        if self.fail_release.load(Ordering::SeqCst) {
            return Err(StoreError::new("claims.release", "connection lost"));
        }
        self.inner.release(key, token).await
    }
}

/// The in-memory claims, but marking done and giving back take a round trip (they yield once), as
/// a database's do: the bound on finishing must be a deadline ahead of now for them to complete.
struct RoundTripClaims(MemoryClaimStore);

#[async_trait]
impl ClaimStore for RoundTripClaims {
    async fn acquire(&self, key: &str, token: &LeaseToken, lease: Duration) -> Result<ClaimState, StoreError> {
        self.0.acquire(key, token, lease).await
    }
    async fn complete(&self, key: &str, token: &LeaseToken, ttl: Duration) -> Result<Fence, StoreError> {
        tokio::task::yield_now().await;
        self.0.complete(key, token, ttl).await
    }
    async fn release(&self, key: &str, token: &LeaseToken) -> Result<Fence, StoreError> {
        tokio::task::yield_now().await;
        self.0.release(key, token).await
    }
}

/// One server instance: the shared claims and sink, its own connections store (same rows).
async fn instance(
    webhook_timeout: Option<Duration>,
    clock: &ManualClock,
    claims: Arc<dyn ClaimStore>,
    sink: Arc<dyn DisputeSink>,
) -> StripeConnect {
    let mut config = Config::builder().secret_key("sk_test_platform").webhook_secret(super::webhooks::SECRET);
    if let Some(t) = webhook_timeout {
        config = config.webhook_timeout(t);
    }
    let connections = Arc::new(MemoryConnectionStore::new());
    connections.save(&helpdesk_connection()).await.unwrap();
    StripeConnect::builder(config.build().unwrap())
        .connection_store(connections)
        .claim_store(claims)
        .dispute_sink(sink)
        .clock(Arc::new(clock.clone()))
        .build()
}

async fn deliver(client: &StripeConnect, body: &[u8]) -> Result<WebhookOutcome, Error> {
    client.handle_webhook(body, Some(&sign(body))).await
}

/// The outcome's kind, or the error's code.
fn kind(result: &Result<WebhookOutcome, Error>) -> &'static str {
    match result {
        Ok(o) => o.kind(),
        Err(e) => e.code().as_str(),
    }
}

const SHORT: Duration = Duration::from_millis(100);
/// The lease for SHORT: 100 ms of work + 100 ms to finish + 1 s, in whole seconds.
const SHORT_LEASE: i64 = 2;
/// The lease for the default 20 s: 20 s + 2 s to finish + 1 s.
const DEFAULT_LEASE: i64 = 23;

#[tokio::test]
async fn a_hung_sink_fails_within_the_timeout_and_the_redelivery_runs_the_sink_again() {
    let clock = ManualClock::new(NOW);
    let sink = ScriptedSink::new([Step::Hang]);
    let claims = Arc::new(MemoryClaimStore::with_clock(Arc::new(clock.clone())));
    let client = instance(Some(SHORT), &clock, claims, sink.clone()).await;
    let body = dispute_event("evt_hung_sink");

    let started = std::time::Instant::now();
    let first = deliver(&client, &body).await;
    let took = started.elapsed();
    assert_eq!(kind(&first), "store_failed");
    let message = first.unwrap_err().to_string();
    assert!(message.contains("disputes.dispute_created") && message.contains("timed out"), "{message}");
    assert!(message.contains("100 ms"), "{message}");
    // Neutral words, no JS option name (`webhookTimeoutMs`) in the core's message.
    assert!(message.contains("within the webhook timeout of 100 ms"), "{message}");
    assert!(!message.contains("Ms`") && !message.contains("webhook_timeout"), "{message}");
    assert!(took >= SHORT && took < Duration::from_secs(10), "answered after {took:?}");

    // The lease was given back: Stripe's redelivery is processed, and the sink runs again.
    assert_eq!(kind(&deliver(&client, &body).await), "dispute_recorded");
    assert_eq!(sink.calls(), 2);
    assert_eq!(sink.delivered(), ["evt_hung_sink"]);
    assert_eq!(kind(&deliver(&client, &body).await), "duplicate");
    assert_eq!(sink.calls(), 2);
}

#[tokio::test]
async fn a_hung_claims_store_fails_within_the_timeout_and_nothing_is_acted_on() {
    let clock = ManualClock::new(NOW);
    let sink = ScriptedSink::new([]);
    let claims = FaultyClaims::new(&clock);
    claims.hang_acquire.store(true, Ordering::SeqCst);
    let client = instance(Some(SHORT), &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_hung_pool");
    let err = deliver(&client, &body).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    assert!(err.to_string().contains("claims.acquire") && err.to_string().contains("timed out"), "{err}");
    assert_eq!(sink.calls(), 0);
    claims.hang_acquire.store(false, Ordering::SeqCst);
    assert_eq!(kind(&deliver(&client, &body).await), "dispute_recorded");
}

/// A process that took the lease and died (its task is dropped mid-sink: nothing is released).
#[tokio::test]
async fn a_lease_left_by_a_dead_process_is_taken_over_once_it_runs_out() {
    let clock = ManualClock::new(NOW);
    let claims: Arc<dyn ClaimStore> = Arc::new(MemoryClaimStore::with_clock(Arc::new(clock.clone())));
    let dying_sink = ScriptedSink::new([Step::Hang]);
    let dying = instance(None, &clock, claims.clone(), dying_sink.clone()).await;
    let sink = ScriptedSink::new([]);
    let survivor = instance(None, &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_dead_holder");

    let task = {
        let (dying, body) = (dying.clone(), body.clone());
        tokio::spawn(async move { deliver(&dying, &body).await })
    };
    dying_sink.entered.notified().await;
    task.abort();
    assert!(task.await.unwrap_err().is_cancelled());

    let busy = deliver(&survivor, &body).await.unwrap_err();
    assert_eq!(busy.code(), "webhook_in_progress");
    assert_eq!(busy.retry_after_seconds(), Some(DEFAULT_LEASE as u64));
    clock.advance(DEFAULT_LEASE - 1);
    assert_eq!(kind(&deliver(&survivor, &body).await), "webhook_in_progress", "the lease has a second left");
    clock.advance(1);
    assert_eq!(kind(&deliver(&survivor, &body).await), "dispute_recorded", "the lease ran out: taken over");
    assert_eq!(sink.delivered(), ["evt_dead_holder"]);
    assert_eq!(kind(&deliver(&survivor, &body).await), "duplicate");
    assert_eq!(kind(&deliver(&dying, &body).await), "duplicate");
}

/// Two instances: the first is slow, Stripe's redelivery reaches the second meanwhile.
#[tokio::test]
async fn a_redelivery_during_a_slow_delivery_is_in_progress_and_the_event_acts_once() {
    let clock = ManualClock::new(NOW);
    let claims: Arc<dyn ClaimStore> = Arc::new(MemoryClaimStore::with_clock(Arc::new(clock.clone())));
    let gate = Arc::new(Notify::new());
    let sink = ScriptedSink::new([Step::WaitFor(gate.clone())]);
    let a = instance(None, &clock, claims.clone(), sink.clone()).await;
    let b = instance(None, &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_slow_first");

    let first = {
        let (a, body) = (a.clone(), body.clone());
        tokio::spawn(async move { deliver(&a, &body).await })
    };
    sink.entered.notified().await;
    assert_eq!(kind(&deliver(&b, &body).await), "webhook_in_progress");
    gate.notify_one();
    assert_eq!(kind(&first.await.unwrap()), "dispute_recorded");
    assert_eq!(kind(&deliver(&b, &body).await), "duplicate");
    assert_eq!(sink.calls(), 1);
    assert_eq!(sink.delivered(), ["evt_slow_first"]);
}

#[tokio::test]
async fn a_double_failure_heals_after_the_lease() {
    let clock = ManualClock::new(NOW);
    let claims = FaultyClaims::new(&clock);
    claims.fail_release.store(true, Ordering::SeqCst);
    let sink = ScriptedSink::new([Step::Fail]);
    let client = instance(Some(SHORT), &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_double_failure");

    let err = deliver(&client, &body).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    let message = err.to_string();
    assert!(message.contains("pager API answered 503"), "{message}");
    assert!(message.contains("releasing the lease on evt_double_failure also failed (connection lost)"), "{message}");
    assert!(message.contains(&format!("within {SHORT_LEASE} s")), "{message}");

    // The lease was not given back: redeliveries are told to come back later, never "duplicate".
    let busy = deliver(&client, &body).await.unwrap_err();
    assert_eq!((busy.code().as_str(), busy.retry_after_seconds()), ("webhook_in_progress", Some(SHORT_LEASE as u64)));
    clock.advance(SHORT_LEASE);
    assert_eq!(kind(&deliver(&client, &body).await), "dispute_recorded");
    assert_eq!(sink.calls(), 2);
    assert_eq!(sink.delivered(), ["evt_double_failure"]);
    assert_eq!(kind(&deliver(&client, &body).await), "duplicate");
}

/// A deauthorization whose store fails and whose release fails heals the same way.
#[tokio::test]
async fn a_double_failure_of_a_deauthorization_heals_after_the_lease() {
    let clock = ManualClock::new(NOW);
    let claims = FaultyClaims::new(&clock);
    claims.fail_release.store(true, Ordering::SeqCst);
    let connections = Arc::new(MemoryConnectionStore::new());
    connections.save(&helpdesk_connection()).await.unwrap();
    let config = Config::builder().secret_key("sk_test_platform").webhook_secret(super::webhooks::SECRET);
    let down = Arc::new(DownOnce { inner: connections.clone(), down: AtomicBool::new(true) });
    let client = StripeConnect::builder(config.build().unwrap())
        .connection_store(down.clone())
        .claim_store(claims.clone())
        .clock(Arc::new(clock.clone()))
        .build();
    let body = deauthorized_event("evt_deauth_double");
    assert_eq!(kind(&deliver(&client, &body).await), "store_failed");
    assert_eq!(kind(&deliver(&client, &body).await), "webhook_in_progress");
    clock.advance(DEFAULT_LEASE);
    assert_eq!(kind(&deliver(&client, &body).await), "disconnected");
    assert!(connections.list().await.unwrap().is_empty());
}

/// Connections whose `clear_by_account` fails while `down`.
struct DownOnce {
    inner: Arc<MemoryConnectionStore>,
    down: AtomicBool,
}

#[async_trait]
impl ConnectionStore for DownOnce {
    async fn save(&self, c: &stripe_connect::Connection) -> Result<(), StoreError> {
        self.inner.save(c).await
    }
    async fn clear_by_account(
        &self,
        a: &stripe_connect::AccountId,
    ) -> Result<Option<stripe_connect::AppSlug>, StoreError> {
        if self.down.swap(false, Ordering::SeqCst) {
            return Err(StoreError::new("connections.clear_by_account", "server has gone away"));
        }
        self.inner.clear_by_account(a).await
    }
    async fn get_by_slug(&self, s: &stripe_connect::AppSlug) -> Result<Option<stripe_connect::Connection>, StoreError> {
        self.inner.get_by_slug(s).await
    }
    async fn list(&self) -> Result<Vec<stripe_connect::Connection>, StoreError> {
        self.inner.list().await
    }
}

/// The work succeeded but marking it done failed: the delivery still succeeds (the alert went
/// out); the lease then runs out and a later redelivery acts again, with the same event id for
/// the sink to dedupe on (at least once, never lost).
#[tokio::test]
async fn when_marking_done_fails_the_delivery_succeeds_and_the_event_is_at_least_once() {
    let clock = ManualClock::new(NOW);
    let claims = FaultyClaims::new(&clock);
    claims.fail_complete.store(true, Ordering::SeqCst);
    let sink = ScriptedSink::new([]);
    let client = instance(Some(SHORT), &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_complete_fails");
    assert_eq!(kind(&deliver(&client, &body).await), "dispute_recorded");
    assert_eq!(kind(&deliver(&client, &body).await), "webhook_in_progress");
    clock.advance(SHORT_LEASE);
    claims.fail_complete.store(false, Ordering::SeqCst);
    assert_eq!(kind(&deliver(&client, &body).await), "dispute_recorded");
    assert_eq!(sink.delivered(), ["evt_complete_fails", "evt_complete_fails"]);
    assert_eq!(kind(&deliver(&client, &body).await), "duplicate");
}

/// Giving the lease back has its own short bound, and says so: a hung release after a failed sink
/// is reported as the release's timeout, not as the delivery's.
#[tokio::test]
async fn a_hung_release_after_a_failed_sink_says_the_release_timed_out() {
    let clock = ManualClock::new(NOW);
    let claims = FaultyClaims::new(&clock);
    claims.hang_release.store(true, Ordering::SeqCst);
    let client = instance(Some(SHORT), &clock, claims.clone(), ScriptedSink::new([Step::Fail])).await;
    let err = deliver(&client, &dispute_event("evt_release_hangs")).await.unwrap_err();
    assert_eq!(err.code(), "store_failed");
    let text = err.to_string();
    assert!(text.contains("pager API answered 503"), "{text}");
    assert!(text.contains("releasing the lease on evt_release_hangs also failed (timed out after 100 ms)"), "{text}");
    assert!(!text.contains("within the webhook timeout"), "{text}");
}

#[tokio::test]
async fn an_event_marked_done_through_a_round_trip_is_a_duplicate_next_time() {
    let clock = ManualClock::new(NOW);
    let claims = Arc::new(RoundTripClaims(MemoryClaimStore::with_clock(Arc::new(clock.clone()))));
    let client = instance(None, &clock, claims, ScriptedSink::new([])).await;
    let body = deauthorized_event("evt_deauth_round_trip");
    assert_eq!(kind(&deliver(&client, &body).await), "disconnected");
    assert_eq!(kind(&deliver(&client, &body).await), "duplicate");
}

/// Issue 22 item 1: instance A's delivery holds the lease and is paused (a blocked event loop, a
/// stopped process) past it; instance B's redelivery takes the lease over and is working; A wakes
/// to a failure and gives "its" lease back. Fenced, that release changes nothing: a third delivery
/// during B's work is `webhook_in_progress` (not a second run of the sink beside B's), A's error
/// says its lease had passed on, and B's success marks the event done.
#[tokio::test]
async fn a_late_release_leaves_the_lease_of_the_delivery_that_took_over_in_place() {
    let clock = ManualClock::new(NOW);
    let claims: Arc<dyn ClaimStore> = Arc::new(MemoryClaimStore::with_clock(Arc::new(clock.clone())));
    let (paused, working) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let sink = ScriptedSink::new([Step::WaitThenFail(paused.clone()), Step::WaitFor(working.clone())]);
    let a = instance(None, &clock, claims.clone(), sink.clone()).await;
    let b = instance(None, &clock, claims.clone(), sink.clone()).await;
    let c = instance(None, &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_late_release");

    let first = tokio::spawn({
        let (a, body) = (a.clone(), body.clone());
        async move { deliver(&a, &body).await }
    });
    sink.entered.notified().await;
    clock.advance(DEFAULT_LEASE);
    let second = tokio::spawn({
        let (b, body) = (b.clone(), body.clone());
        async move { deliver(&b, &body).await }
    });
    sink.entered.notified().await;
    assert_eq!(sink.calls(), 2, "B took the expired lease over");

    paused.notify_one();
    let late = first.await.unwrap().unwrap_err();
    assert_eq!(late.code(), "store_failed");
    let text = late.to_string();
    assert!(text.contains("pager API answered 503"), "{text}");
    assert!(
        text.contains(&format!(
            "the lease on evt_late_release had run out (after {DEFAULT_LEASE} s) and is no longer this delivery's"
        )),
        "{text}"
    );

    let third = deliver(&c, &body).await.unwrap_err();
    assert_eq!(
        (third.code().as_str(), third.retry_after_seconds()),
        ("webhook_in_progress", Some(DEFAULT_LEASE as u64)),
        "B's lease is still in place"
    );
    assert_eq!(sink.calls(), 2, "no third run beside B's");

    working.notify_one();
    assert_eq!(kind(&second.await.unwrap()), "dispute_recorded");
    assert_eq!(kind(&deliver(&c, &body).await), "duplicate");
    assert_eq!(sink.delivered(), ["evt_late_release"], "the sink finished once");
    assert_eq!(sink.most_at_once(), 2, "A (paused) and B, never a third");
}

/// The same with A waking to a success: its late `complete` does not mark the event done under
/// B's lease (B's work is still under way and could fail), and B's own completion does.
#[tokio::test]
async fn a_late_completion_does_not_finish_the_lease_of_the_delivery_that_took_over() {
    let clock = ManualClock::new(NOW);
    let claims = Arc::new(MemoryClaimStore::with_clock(Arc::new(clock.clone())));
    let (paused, working) = (Arc::new(Notify::new()), Arc::new(Notify::new()));
    let sink = ScriptedSink::new([Step::WaitFor(paused.clone()), Step::WaitThenFail(working.clone())]);
    let a = instance(None, &clock, claims.clone(), sink.clone()).await;
    let b = instance(None, &clock, claims.clone(), sink.clone()).await;
    let body = dispute_event("evt_late_complete");

    let first = tokio::spawn({
        let (a, body) = (a.clone(), body.clone());
        async move { deliver(&a, &body).await }
    });
    sink.entered.notified().await;
    clock.advance(DEFAULT_LEASE);
    let second = tokio::spawn({
        let (b, body) = (b.clone(), body.clone());
        async move { deliver(&b, &body).await }
    });
    sink.entered.notified().await;

    paused.notify_one();
    assert_eq!(kind(&first.await.unwrap()), "dispute_recorded", "A's work stands");
    assert_eq!(kind(&deliver(&a, &body).await), "webhook_in_progress", "B's lease, not done");

    // B fails and gives its own lease back: the next delivery processes the event.
    working.notify_one();
    assert_eq!(kind(&second.await.unwrap()), "store_failed");
    assert_eq!(kind(&deliver(&a, &body).await), "dispute_recorded");
    assert_eq!(kind(&deliver(&b, &body).await), "duplicate");
    assert_eq!(sink.delivered(), ["evt_late_complete", "evt_late_complete"]);
}
