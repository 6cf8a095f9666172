//! Pacing per connected account, to Stripe's published rate limits.
//!
//! Stripe limits the requests *per account per second*, across everything the platform sends on
//! that account (<https://docs.stripe.com/rate-limits>): 100 operations a second in live mode, 25
//! in test mode (sandboxes), and stricter limits for some resources that count against those as
//! well, the Search API's 20 reads a second among them. Beyond them Stripe answers 429 (error
//! code `rate_limit`, with a `Stripe-Rate-Limited-Reason` header).
//!
//! A [`Pacer`] keeps, per account, the times of the requests sent in the last second (a sliding
//! window, so no second ever holds more than the limit, bursts included) and holds a request back
//! until it fits: one window for every read, a second one for searches. Stripe counts requests
//! when they arrive, and they do not all take as long to get there (a busy event loop, a
//! connection being opened, the network), so each request stays counted for [`HELD`], a second
//! and a margin for that spread: at exactly a second, a request sent a second after another could
//! arrive less than a second after it, one too many for Stripe. The limits are this
//! process's share of Stripe's ([`crate::ConfigBuilder::api_rate_share`]): several instances of
//! an app split an account's budget by each taking a share of it. A 429 on an account pauses that
//! account's requests for its `Retry-After` (a second without one), not only the request that got
//! it.
//!
//! Memory stays bounded: an account's entry holds at most [`HELD`] of request times, and entries
//! with nothing left in the window are dropped once the map grows.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

/// Stripe's basic rate limit in live mode: operations per second per account.
pub(crate) const LIVE_REQUESTS_PER_SECOND: u32 = 100;
/// The same in test mode (sandboxes).
pub(crate) const TEST_REQUESTS_PER_SECOND: u32 = 25;
/// The Search API's own limit (reads per second per account, live and test alike).
pub(crate) const SEARCHES_PER_SECOND: u32 = 20;

/// The window Stripe's limits are counted over.
const WINDOW: Duration = Duration::from_secs(1);
/// How long a request stays counted: the window and 50 ms for the spread in how long requests
/// take to reach Stripe. Without the margin, `npm run bench:busy` (a stand-in counting arrivals,
/// with the ~10 ms spread of a busy local server) met 348 429s in 4,905 requests in one run, each
/// pausing its account for a second, and 431 of 600 results failed; with it, none. It costs at most 5 %
/// of the rate (25 requests per 1.05 s).
const HELD: Duration = Duration::from_millis(1050);
/// How long a 429 without `Retry-After` pauses its account: the limiter's window.
pub(crate) const PAUSE_AFTER_429: Duration = WINDOW;
/// Drop idle accounts' entries once the map holds this many.
const SWEEP_AT: usize = 1024;

/// What one process may send per second per account.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Limits {
    pub requests_per_second: u32,
    pub searches_per_second: u32,
}

impl Limits {
    /// `share` (0 < share ≤ 1) of Stripe's limits for a live or test key; at least one a second.
    pub(crate) fn share_of_stripe(live: bool, share: f64) -> Limits {
        let of = |limit: u32| ((f64::from(limit) * share).floor() as u32).max(1);
        let requests = if live { LIVE_REQUESTS_PER_SECOND } else { TEST_REQUESTS_PER_SECOND };
        Limits { requests_per_second: of(requests), searches_per_second: of(SEARCHES_PER_SECOND) }
    }
}

#[derive(Default)]
struct Lane {
    /// When the requests of the last second were let through (oldest first).
    requests: VecDeque<Instant>,
    /// The same for the searches among them.
    searches: VecDeque<Instant>,
    /// No request before this (Stripe answered 429).
    paused_until: Option<Instant>,
}

impl Lane {
    fn forget_before(&mut self, now: Instant) {
        for times in [&mut self.requests, &mut self.searches] {
            while times.front().is_some_and(|t| *t + HELD <= now) {
                times.pop_front();
            }
        }
        if self.paused_until.is_some_and(|p| p <= now) {
            self.paused_until = None;
        }
    }

    fn idle(&self) -> bool {
        self.requests.is_empty() && self.searches.is_empty() && self.paused_until.is_none()
    }
}

pub(crate) struct Pacer {
    limits: Limits,
    lanes: Mutex<HashMap<String, Lane>>,
}

impl Pacer {
    pub(crate) fn new(limits: Limits) -> Self {
        Pacer { limits, lanes: Mutex::new(HashMap::new()) }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Lane>> {
        self.lanes.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Wait until one more request (a search, if `search`) on `account` fits in this process's
    /// share of Stripe's limits, and count it as sent. If a 429 paused the account past
    /// `deadline`, wait for nothing and return when the pause ends: the request would only time
    /// out.
    pub(crate) async fn admit(&self, account: &str, search: bool, deadline: Instant) -> Result<(), Instant> {
        loop {
            let wait_until = {
                let now = Instant::now();
                let mut lanes = self.lock();
                if lanes.len() >= SWEEP_AT {
                    lanes.retain(|_, lane| {
                        lane.forget_before(now);
                        !lane.idle()
                    });
                }
                let lane = lanes.entry(account.to_string()).or_default();
                lane.forget_before(now);
                if let Some(paused) = lane.paused_until {
                    if paused > deadline {
                        return Err(paused);
                    }
                    Some(paused)
                } else if lane.requests.len() >= self.limits.requests_per_second as usize {
                    lane.requests.front().map(|t| *t + HELD)
                } else if search && lane.searches.len() >= self.limits.searches_per_second as usize {
                    lane.searches.front().map(|t| *t + HELD)
                } else {
                    lane.requests.push_back(now);
                    if search {
                        lane.searches.push_back(now);
                    }
                    None
                }
            };
            match wait_until {
                None => return Ok(()),
                Some(at) => tokio::time::sleep_until(at).await,
            }
        }
    }

    /// Stripe answered 429 on `account`: hold its requests back for `pause` from now.
    pub(crate) fn pause(&self, account: &str, pause: Duration) {
        let until = Instant::now() + pause;
        let mut lanes = self.lock();
        let lane = lanes.entry(account.to_string()).or_default();
        lane.paused_until = Some(lane.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Accounts with an entry (tests: bounded).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.lock().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    /// When each of `n` requests (searches if `search`) on `account` was let through, in ms from
    /// the start, all asked for at once.
    async fn admitted(pacer: &Arc<Pacer>, account: &str, n: usize, search: bool) -> Vec<u128> {
        let start = Instant::now();
        let tasks: Vec<_> = (0..n)
            .map(|_| {
                let (pacer, account) = (pacer.clone(), account.to_string());
                tokio::spawn(async move {
                    pacer.admit(&account, search, far()).await.unwrap();
                    start.elapsed().as_millis()
                })
            })
            .collect();
        let mut times = Vec::new();
        for t in tasks {
            times.push(t.await.unwrap());
        }
        times.sort_unstable();
        times
    }

    /// A deadline no test reaches.
    fn far() -> Instant {
        Instant::now() + Duration::from_secs(3600)
    }

    /// The most requests let through within any one second.
    fn busiest_second(times: &[u128]) -> usize {
        times
            .iter()
            .map(|start| times.iter().filter(|t| **t >= *start && **t < *start + 1000).count())
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn limits_are_the_share_of_stripes_published_ones() {
        assert_eq!(Limits::share_of_stripe(true, 1.0), Limits { requests_per_second: 100, searches_per_second: 20 });
        assert_eq!(Limits::share_of_stripe(false, 1.0), Limits { requests_per_second: 25, searches_per_second: 20 });
        assert_eq!(Limits::share_of_stripe(true, 0.25), Limits { requests_per_second: 25, searches_per_second: 5 });
        assert_eq!(Limits::share_of_stripe(false, 0.5), Limits { requests_per_second: 12, searches_per_second: 10 });
        assert_eq!(Limits::share_of_stripe(false, 0.001), Limits { requests_per_second: 1, searches_per_second: 1 });
    }

    #[tokio::test(start_paused = true)]
    async fn no_second_holds_more_than_the_limit_bursts_included() {
        let pacer = Arc::new(Pacer::new(Limits::share_of_stripe(false, 1.0)));
        let times = admitted(&pacer, "acct_1", 60, false).await;
        assert_eq!(busiest_second(&times), 25);
        assert_eq!(times.iter().filter(|t| **t == 0).count(), 25, "a burst up to the limit goes at once");
        assert_eq!(*times.last().unwrap(), 2100, "60 requests at 25 per 1.05 s: the last in the third window");
        // Each request and the 26th after it leave at least a second and the margin apart: Stripe,
        // counting arrivals, sees at most 25 in any second while the spread stays under 50 ms.
        assert!(times.windows(26).all(|w| w[25] - w[0] >= 1050), "{times:?}");
        // Another account has its own budget.
        assert_eq!(admitted(&pacer, "acct_2", 25, false).await.last(), Some(&0));
    }

    #[tokio::test(start_paused = true)]
    async fn a_share_splits_the_budget_and_searches_have_their_own_limit() {
        let half = Arc::new(Pacer::new(Limits::share_of_stripe(true, 0.5)));
        let times = admitted(&half, "acct_1", 120, false).await;
        assert_eq!(busiest_second(&times), 50, "half of live mode's 100");
        let pacer = Arc::new(Pacer::new(Limits::share_of_stripe(true, 1.0)));
        let searches = admitted(&pacer, "acct_1", 50, true).await;
        assert_eq!(busiest_second(&searches), 20, "the Search API's 20 a second");
        // Searches count against the account's limit too: with 20 searches in a second, 80 more
        // requests fit in it, and the 81st waits for the next.
        let pacer = Arc::new(Pacer::new(Limits::share_of_stripe(true, 1.0)));
        assert_eq!(admitted(&pacer, "acct_1", 20, true).await, [0; 20]);
        let reads = admitted(&pacer, "acct_1", 81, false).await;
        assert_eq!((reads[79], reads[80]), (0, 1050));
    }

    #[tokio::test(start_paused = true)]
    async fn a_429_pauses_the_account_not_the_others() {
        let pacer = Arc::new(Pacer::new(Limits::share_of_stripe(true, 1.0)));
        pacer.pause("acct_1", Duration::from_secs(3));
        pacer.pause("acct_1", Duration::from_secs(1)); // a shorter pause does not cut a longer one
                                                       // A call whose deadline ends before the pause does not wait for nothing.
        let paused_until = pacer.admit("acct_1", false, Instant::now() + Duration::from_secs(2)).await.unwrap_err();
        assert_eq!(paused_until - Instant::now(), Duration::from_secs(3));
        assert_eq!(admitted(&pacer, "acct_1", 2, false).await, [3000, 3000]);
        assert_eq!(admitted(&pacer, "acct_2", 2, false).await, [0, 0]);
    }

    #[tokio::test(start_paused = true)]
    async fn idle_accounts_are_forgotten() {
        let pacer = Arc::new(Pacer::new(Limits::share_of_stripe(true, 1.0)));
        for i in 0..2 * SWEEP_AT {
            pacer.admit(&format!("acct_{i}"), false, far()).await.unwrap();
            if i % 256 == 0 {
                tokio::time::advance(WINDOW).await;
            }
        }
        assert!(pacer.len() <= SWEEP_AT, "{} entries", pacer.len());
        assert!(!pacer.lock().contains_key("acct_0"), "an account idle for seconds was dropped");
    }
}
