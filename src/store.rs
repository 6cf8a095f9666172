//! Storage behind traits, with in-memory defaults.
//!
//! - [`ConnectionStore`]: the apps table's job (app slug ↔ connected account).
//! - [`ClaimStore`]: keys with expiry (webhook event ids, OAuth state nonces), taken as *leases*.
//!   `acquire` must be atomic: of many concurrent calls for one key, exactly one gets
//!   [`ClaimState::Acquired`]. That is what makes webhook handling and the OAuth callback safe
//!   across server instances sharing a store.
//! - [`DisputeSink`]: where `charge.dispute.created` alerts go.
//!
//! The in-memory stores are per process: fine for one server and for tests; several instances
//! need a shared store (the Node package ships a Drizzle one).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;

use crate::config::Scope;
use crate::error::StoreError;
use crate::ids::{AccountId, AppSlug};

/// Unix seconds "now", injected so tests control time.
pub trait Clock: Send + Sync {
    fn now(&self) -> i64;
}

/// The system clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs() as i64).unwrap_or(0)
    }
}

/// A clock tests set and advance by hand.
#[derive(Debug, Default, Clone)]
pub struct ManualClock(Arc<std::sync::atomic::AtomicI64>);

impl ManualClock {
    pub fn new(now: i64) -> Self {
        ManualClock(Arc::new(std::sync::atomic::AtomicI64::new(now)))
    }
    pub fn set(&self, now: i64) {
        self.0.store(now, std::sync::atomic::Ordering::SeqCst);
    }
    pub fn advance(&self, secs: i64) {
        self.0.fetch_add(secs, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> i64 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }
}

/// One app's link to its Stripe account (a row of the apps table).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Connection {
    pub app_slug: AppSlug,
    pub account_id: AccountId,
    pub livemode: bool,
    /// The scope Stripe granted (`read_write` / `read_only`).
    pub scope: String,
}

impl Connection {
    pub fn new(app_slug: AppSlug, account_id: AccountId, livemode: bool, scope: Scope) -> Self {
        Connection { app_slug, account_id, livemode, scope: scope.as_str().to_string() }
    }
}

#[async_trait]
pub trait ConnectionStore: Send + Sync {
    /// Save (insert or replace) the connection of `connection.app_slug`.
    async fn save(&self, connection: &Connection) -> Result<(), StoreError>;
    /// Remove the connection to `account_id`; returns the app slug it belonged to, if any.
    async fn clear_by_account(&self, account_id: &AccountId) -> Result<Option<AppSlug>, StoreError>;
    async fn get_by_slug(&self, app_slug: &AppSlug) -> Result<Option<Connection>, StoreError>;
    /// Every connected app.
    async fn list(&self) -> Result<Vec<Connection>, StoreError>;
    /// The connection to `account_id`. The default scans `list()`; stores with an index override it.
    async fn get_by_account(&self, account_id: &AccountId) -> Result<Option<Connection>, StoreError> {
        Ok(self.list().await?.into_iter().find(|c| &c.account_id == account_id))
    }
    /// Whether an app `app_slug` exists (its row in the apps table), connected or not. The
    /// authorize route refuses a slug the store says is unknown (`unknown_app`) before the user is
    /// sent to Stripe. `None` (the default, and the in-memory store's answer) means the store cannot
    /// tell: nothing is refused.
    async fn has_app(&self, _app_slug: &AppSlug) -> Result<Option<bool>, StoreError> {
        Ok(None)
    }
}

/// What [`ClaimStore::acquire`] found for a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ClaimState {
    /// This call holds the key now, for the lease it asked for: the key was free, its lease had
    /// expired, or its done mark had expired. Do the work, then [`ClaimStore::complete`] it (or
    /// [`ClaimStore::release`] it if the work failed).
    Acquired,
    /// Another call holds a live lease: the work is under way (or its holder died, and the lease
    /// has not run out yet).
    InProgress,
    /// The work was completed ([`ClaimStore::complete`]) and the key is kept until its ttl.
    Done,
}

impl ClaimState {
    /// `acquired`, `in_progress` or `done` (what JS stores return).
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimState::Acquired => "acquired",
            ClaimState::InProgress => "in_progress",
            ClaimState::Done => "done",
        }
    }
}

/// Keys taken as leases that become *done* once the work they guard succeeded.
///
/// A key is in one of three states: free (absent or expired), leased until a time (someone is
/// working on it), or done until a time. A lease that runs out frees the key by itself, so work
/// whose holder hung, crashed or could not release is taken over by the next caller: nothing
/// stays stuck for longer than one lease.
#[async_trait]
pub trait ClaimStore: Send + Sync {
    /// Atomically take `key` for `lease` if it is free (absent, or its lease or done mark has
    /// expired): [`ClaimState::Acquired`]. Otherwise report what holds it, changing nothing. Of
    /// many concurrent calls for one free key, exactly one gets `Acquired`.
    async fn acquire(&self, key: &str, lease: Duration) -> Result<ClaimState, StoreError>;
    /// Mark `key` done for `ttl` (from now): later `acquire`s get [`ClaimState::Done`]. Called
    /// once the work succeeded; marks the key done whatever state it is in.
    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), StoreError>;
    /// Give a lease back (the work it guarded failed and should be retried): the key is free
    /// again. A key that is done stays done.
    async fn release(&self, key: &str) -> Result<(), StoreError>;
    /// A single-use claim (an OAuth state): `true` if this call took `key`, `false` if it is
    /// leased or done. Never released, the claim holds until `ttl` runs out. The default is
    /// `acquire(key, ttl) == Acquired`.
    async fn claim(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        Ok(self.acquire(key, ttl).await? == ClaimState::Acquired)
    }
}

/// A `charge.dispute.created` for one of the connected apps: alert someone and flag the customer.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DisputeAlert {
    pub event_id: String,
    /// The app the account belongs to, if it is a known connection.
    pub app_slug: Option<AppSlug>,
    pub account_id: Option<AccountId>,
    pub livemode: bool,
    pub dispute: crate::dispute::Dispute,
    /// The disputed charge's customer (`cus_…`), read with the charge when the alert was made.
    pub customer_id: Option<String>,
    /// The customer's email (else the charge's receipt or billing email): how the app finds the
    /// conversation to flag. `None` when unknown; then `customer_unknown_reason` says why.
    pub customer_email: Option<String>,
    /// The disputed charge's description.
    pub charge_description: Option<String>,
    /// Why `customer_email` is unknown (the read failed or timed out, no customer, no email).
    pub customer_unknown_reason: Option<String>,
}

/// A `radar.early_fraud_warning.created` for one of the connected apps: the card issuer reported a
/// charge as likely fraud, and a dispute often follows. Acting now (a refund) avoids the dispute.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FraudWarningAlert {
    pub event_id: String,
    /// The app the account belongs to, if it is a known connection.
    pub app_slug: Option<AppSlug>,
    pub account_id: Option<AccountId>,
    pub livemode: bool,
    pub warning: crate::fraud_warning::EarlyFraudWarning,
    /// The flagged charge's amount (minor units of `currency`), read with the charge when the alert
    /// was made; `None` when that read failed (see `customer_unknown_reason`).
    pub amount: Option<i64>,
    pub currency: Option<String>,
    /// The flagged charge's customer (`cus_…`).
    pub customer_id: Option<String>,
    /// The customer's email (else the charge's receipt or billing email). `None` when unknown;
    /// then `customer_unknown_reason` says why.
    pub customer_email: Option<String>,
    /// The flagged charge's description.
    pub charge_description: Option<String>,
    /// Why `customer_email` is unknown (the read failed or timed out, no customer, no email).
    pub customer_unknown_reason: Option<String>,
}

/// Called **at least once** per `charge.dispute.created` event (and, when the sink takes them,
/// per `radar.early_fraud_warning.created`): a delivery abandoned after the sink acted (past
/// `webhook_timeout`, or a crash) is processed again by a redelivery. Dedupe on the alert's
/// `event_id` where a second effect would hurt.
#[async_trait]
pub trait DisputeSink: Send + Sync {
    async fn dispute_created(&self, alert: &DisputeAlert) -> Result<(), StoreError>;

    /// Whether this sink takes early fraud warnings (opt-in): when `false`, the default,
    /// `radar.early_fraud_warning.created` is answered as an event this library does not act on.
    fn takes_fraud_warnings(&self) -> bool {
        false
    }

    /// A `radar.early_fraud_warning.created`; called only when [`takes_fraud_warnings`] is true.
    ///
    /// [`takes_fraud_warnings`]: DisputeSink::takes_fraud_warnings
    async fn early_fraud_warning_created(&self, alert: &FraudWarningAlert) -> Result<(), StoreError> {
        let _ = alert;
        Ok(())
    }
}

/// A store whose every call is bounded by `timeout` ([`crate::Config::store_timeout`]): past it
/// the call is abandoned with `store_failed` ("timed out"). The client wraps the app's connections
/// and claims stores in it (not its in-memory defaults), so a hung database never hangs an OAuth
/// callback, a disconnect, a query or a tool; a webhook delivery also has its own budget.
pub(crate) struct Timed<S: ?Sized> {
    inner: Arc<S>,
    timeout: Duration,
}

impl<S: ?Sized> Timed<S> {
    pub(crate) fn new(inner: Arc<S>, timeout: Duration) -> Self {
        Timed { inner, timeout }
    }

    async fn run<T>(
        &self,
        operation: &str,
        call: impl std::future::Future<Output = Result<T, StoreError>>,
    ) -> Result<T, StoreError> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => result,
            Err(_) => Err(StoreError::new(
                operation,
                format!("timed out after {} ms (the store timeout)", self.timeout.as_millis()),
            )),
        }
    }
}

#[async_trait]
impl ConnectionStore for Timed<dyn ConnectionStore> {
    async fn save(&self, connection: &Connection) -> Result<(), StoreError> {
        self.run("connections.save", self.inner.save(connection)).await
    }
    async fn clear_by_account(&self, account_id: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        self.run("connections.clear_by_account", self.inner.clear_by_account(account_id)).await
    }
    async fn get_by_slug(&self, app_slug: &AppSlug) -> Result<Option<Connection>, StoreError> {
        self.run("connections.get_by_slug", self.inner.get_by_slug(app_slug)).await
    }
    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        self.run("connections.list", self.inner.list()).await
    }
    async fn get_by_account(&self, account_id: &AccountId) -> Result<Option<Connection>, StoreError> {
        self.run("connections.get_by_account", self.inner.get_by_account(account_id)).await
    }
    async fn has_app(&self, app_slug: &AppSlug) -> Result<Option<bool>, StoreError> {
        self.run("connections.has_app", self.inner.has_app(app_slug)).await
    }
}

#[async_trait]
impl ClaimStore for Timed<dyn ClaimStore> {
    async fn acquire(&self, key: &str, lease: Duration) -> Result<ClaimState, StoreError> {
        self.run("claims.acquire", self.inner.acquire(key, lease)).await
    }
    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), StoreError> {
        self.run("claims.complete", self.inner.complete(key, ttl)).await
    }
    async fn release(&self, key: &str) -> Result<(), StoreError> {
        self.run("claims.release", self.inner.release(key)).await
    }
    async fn claim(&self, key: &str, ttl: Duration) -> Result<bool, StoreError> {
        self.run("claims.claim", self.inner.claim(key, ttl)).await
    }
}

/// Connections in a map, per process.
#[derive(Debug, Default)]
pub struct MemoryConnectionStore {
    by_slug: Mutex<HashMap<AppSlug, Connection>>,
}

impl MemoryConnectionStore {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl ConnectionStore for MemoryConnectionStore {
    async fn save(&self, connection: &Connection) -> Result<(), StoreError> {
        let mut map = self.by_slug.lock().unwrap_or_else(|p| p.into_inner());
        map.insert(connection.app_slug.clone(), connection.clone());
        Ok(())
    }

    async fn clear_by_account(&self, account_id: &AccountId) -> Result<Option<AppSlug>, StoreError> {
        let mut map = self.by_slug.lock().unwrap_or_else(|p| p.into_inner());
        let slug = map.values().find(|c| &c.account_id == account_id).map(|c| c.app_slug.clone());
        if let Some(s) = &slug {
            map.remove(s);
        }
        Ok(slug)
    }

    async fn get_by_slug(&self, app_slug: &AppSlug) -> Result<Option<Connection>, StoreError> {
        Ok(self.by_slug.lock().unwrap_or_else(|p| p.into_inner()).get(app_slug).cloned())
    }

    async fn list(&self) -> Result<Vec<Connection>, StoreError> {
        let mut all: Vec<Connection> =
            self.by_slug.lock().unwrap_or_else(|p| p.into_inner()).values().cloned().collect();
        all.sort_by(|a, b| a.app_slug.cmp(&b.app_slug));
        Ok(all)
    }
}

/// Claims in a map with expiry, per process. Expired claims are swept as new ones arrive.
pub struct MemoryClaimStore {
    clock: Arc<dyn Clock>,
    claims: Mutex<HashMap<String, Held>>,
}

/// A key's lease or done mark, until `expires` (Unix seconds).
#[derive(Debug, Clone, Copy)]
struct Held {
    expires: i64,
    done: bool,
}

impl std::fmt::Debug for MemoryClaimStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryClaimStore").finish_non_exhaustive()
    }
}

impl Default for MemoryClaimStore {
    fn default() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }
}

impl MemoryClaimStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        MemoryClaimStore { clock, claims: Mutex::new(HashMap::new()) }
    }
}

/// Sweep expired claims once the map grows past this many entries.
const SWEEP_THRESHOLD: usize = 1024;

/// `now + d` in whole seconds, at least one second ahead (a lease of 0.2 s still holds).
pub(crate) fn expiry(now: i64, d: Duration) -> i64 {
    let secs = d.as_secs() + u64::from(d.subsec_nanos() > 0);
    now.saturating_add(i64::try_from(secs.max(1)).unwrap_or(i64::MAX))
}

#[async_trait]
impl ClaimStore for MemoryClaimStore {
    async fn acquire(&self, key: &str, lease: Duration) -> Result<ClaimState, StoreError> {
        let now = self.clock.now();
        let mut map = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() >= SWEEP_THRESHOLD {
            map.retain(|_, held| held.expires > now);
        }
        match map.get(key) {
            Some(held) if held.expires > now && held.done => Ok(ClaimState::Done),
            Some(held) if held.expires > now => Ok(ClaimState::InProgress),
            _ => {
                map.insert(key.to_string(), Held { expires: expiry(now, lease), done: false });
                Ok(ClaimState::Acquired)
            }
        }
    }

    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), StoreError> {
        let expires = expiry(self.clock.now(), ttl);
        self.claims.lock().unwrap_or_else(|p| p.into_inner()).insert(key.to_string(), Held { expires, done: true });
        Ok(())
    }

    async fn release(&self, key: &str) -> Result<(), StoreError> {
        let mut map = self.claims.lock().unwrap_or_else(|p| p.into_inner());
        if map.get(key).is_some_and(|held| !held.done) {
            map.remove(key);
        }
        Ok(())
    }
}

/// Keeps dispute alerts (and early fraud warnings) in memory: the default sink. Read them with
/// [`MemoryDisputeSink::alerts`] and [`MemoryDisputeSink::fraud_warnings`].
#[derive(Debug, Default)]
pub struct MemoryDisputeSink {
    alerts: Mutex<Vec<DisputeAlert>>,
    fraud_warnings: Mutex<Vec<FraudWarningAlert>>,
}

impl MemoryDisputeSink {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn alerts(&self) -> Vec<DisputeAlert> {
        self.alerts.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn fraud_warnings(&self) -> Vec<FraudWarningAlert> {
        self.fraud_warnings.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

#[async_trait]
impl DisputeSink for MemoryDisputeSink {
    async fn dispute_created(&self, alert: &DisputeAlert) -> Result<(), StoreError> {
        self.alerts.lock().unwrap_or_else(|p| p.into_inner()).push(alert.clone());
        Ok(())
    }

    fn takes_fraud_warnings(&self) -> bool {
        true
    }

    async fn early_fraud_warning_created(&self, alert: &FraudWarningAlert) -> Result<(), StoreError> {
        self.fraud_warnings.lock().unwrap_or_else(|p| p.into_inner()).push(alert.clone());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conn(slug: &str, acct: &str) -> Connection {
        Connection::new(AppSlug::parse(slug).unwrap(), AccountId::parse(acct).unwrap(), false, Scope::ReadWrite)
    }

    #[tokio::test]
    async fn connections_save_get_clear_list() {
        let s = MemoryConnectionStore::new();
        s.save(&conn("b-app", "acct_2")).await.unwrap();
        s.save(&conn("a-app", "acct_1")).await.unwrap();
        assert_eq!(s.list().await.unwrap().iter().map(|c| c.app_slug.as_str()).collect::<Vec<_>>(), ["a-app", "b-app"]);
        assert_eq!(
            s.get_by_slug(&AppSlug::parse("a-app").unwrap()).await.unwrap().unwrap().account_id.as_str(),
            "acct_1"
        );
        assert_eq!(s.clear_by_account(&AccountId::parse("acct_1").unwrap()).await.unwrap().unwrap().as_str(), "a-app");
        assert_eq!(s.clear_by_account(&AccountId::parse("acct_1").unwrap()).await.unwrap(), None);
        assert_eq!(s.list().await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn claims_are_single_use_until_expiry_or_release() {
        let clock = ManualClock::new(1_000);
        let s = MemoryClaimStore::with_clock(Arc::new(clock.clone()));
        assert!(s.claim("k", Duration::from_secs(60)).await.unwrap());
        assert!(!s.claim("k", Duration::from_secs(60)).await.unwrap());
        clock.advance(61);
        assert!(s.claim("k", Duration::from_secs(60)).await.unwrap(), "expired claim can be taken again");
        s.release("k").await.unwrap();
        assert!(s.claim("k", Duration::from_secs(60)).await.unwrap(), "released claim can be taken again");
    }

    #[tokio::test]
    async fn a_lease_is_in_progress_until_it_expires_done_until_its_ttl() {
        let clock = ManualClock::new(1_000);
        let s = MemoryClaimStore::with_clock(Arc::new(clock.clone()));
        let lease = Duration::from_secs(30);
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::Acquired);
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::InProgress);
        clock.advance(29);
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::InProgress, "29 s into a 30 s lease");
        clock.advance(1);
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::Acquired, "an expired lease is taken over");
        s.complete("k", Duration::from_secs(3600)).await.unwrap();
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::Done);
        s.release("k").await.unwrap();
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::Done, "release leaves a done key done");
        assert!(!s.claim("k", lease).await.unwrap());
        clock.advance(3600);
        assert_eq!(s.acquire("k", lease).await.unwrap(), ClaimState::Acquired, "the done mark expired");
        // A sub-second lease still holds for a whole second.
        assert_eq!(s.acquire("short", Duration::from_millis(200)).await.unwrap(), ClaimState::Acquired);
        assert_eq!(s.acquire("short", lease).await.unwrap(), ClaimState::InProgress);
        clock.advance(1);
        assert_eq!(s.acquire("short", lease).await.unwrap(), ClaimState::Acquired);
    }

    #[tokio::test]
    async fn concurrent_claims_have_one_winner() {
        let s = Arc::new(MemoryClaimStore::new());
        let tasks: Vec<_> = (0..100)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.claim("evt_1", Duration::from_secs(60)).await.unwrap() })
            })
            .collect();
        let mut wins = 0;
        for t in tasks {
            wins += t.await.unwrap() as usize;
        }
        assert_eq!(wins, 1);
    }
}
