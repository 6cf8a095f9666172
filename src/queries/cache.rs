//! The short-lived cache of email → customers, per connected account.
//!
//! A support conversation asks several questions about one customer within a minute (context,
//! payments, subscriptions, disputes, a refund), and each starts by resolving the same email to
//! the same customer objects. That resolution changes rarely, so it may be a minute old; money
//! facts (charges, refunds, disputes, subscriptions) are never cached. A resolution is cached only
//! when it is complete (the case-insensitive search answered), entries expire after
//! `config.cache_ttl`, there are at most `config.cache_max_entries` of them (the oldest go first),
//! and a deauthorization drops the account's entries.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::Duration;

use tokio::time::Instant;

use super::CustomerMatches;

struct Entry {
    /// With its `fetched_at`: when it was read from Stripe.
    matches: CustomerMatches,
    expires: Instant,
    /// Insertion number: tells a queue slot of a replaced entry from the live one.
    stamp: u64,
}

#[derive(Default)]
struct State {
    entries: HashMap<(String, String), Entry>,
    /// Keys in insertion order (every entry has the same TTL, so this is also expiry order).
    order: VecDeque<((String, String), u64)>,
    next_stamp: u64,
}

pub(crate) struct CustomerCache {
    ttl: Duration,
    max_entries: usize,
    state: Mutex<State>,
}

impl CustomerCache {
    pub(crate) fn new(ttl: Duration, max_entries: usize) -> Self {
        CustomerCache { ttl, max_entries, state: Mutex::new(State::default()) }
    }

    pub(crate) fn enabled(&self) -> bool {
        !self.ttl.is_zero() && self.max_entries > 0
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The cached resolution of `email` on `account`, if still fresh.
    pub(crate) fn get(&self, account: &str, email: &str) -> Option<CustomerMatches> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        let entry = state.entries.get(&(account.to_string(), email.to_string()))?;
        (Instant::now() < entry.expires).then(|| entry.matches.clone())
    }

    pub(crate) fn put(&self, account: &str, email: &str, matches: &CustomerMatches) {
        if !self.enabled() || matches.search_fallback.is_some() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        // Expired entries first, then the oldest, until there is room.
        while let Some((key, stamp)) = state.order.front() {
            let live = state.entries.get(key).filter(|e| e.stamp == *stamp);
            let stale = live.is_none_or(|e| e.expires <= now);
            if !stale && state.entries.len() < self.max_entries {
                break;
            }
            let (key, stamp) = state.order.pop_front().expect("front exists");
            if state.entries.get(&key).is_some_and(|e| e.stamp == stamp) {
                state.entries.remove(&key);
            }
        }
        let key = (account.to_string(), email.to_string());
        let stamp = state.next_stamp;
        state.next_stamp += 1;
        state.order.push_back((key.clone(), stamp));
        state.entries.insert(key, Entry { matches: matches.clone(), expires: now + self.ttl, stamp });
    }

    /// Drop every entry of `account` (it was disconnected).
    pub(crate) fn forget_account(&self, account: &str) {
        let mut state = self.lock();
        state.entries.retain(|(a, _), _| a != account);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::queries::Customer;

    fn matches(id: &str, fetched_at: i64) -> CustomerMatches {
        CustomerMatches {
            customers: vec![Customer { id: id.into(), email: None, name: None, created: None }],
            search_fallback: None,
            fetched_at,
        }
    }

    #[test]
    fn bounded_oldest_first_and_per_account_forgetting() {
        let cache = CustomerCache::new(Duration::from_secs(60), 2);
        cache.put("acct_1", "a@x", &matches("cus_a", 10));
        cache.put("acct_1", "b@x", &matches("cus_b", 11));
        cache.put("acct_2", "a@x", &matches("cus_c", 12));
        assert_eq!(cache.len(), 2);
        assert!(cache.get("acct_1", "a@x").is_none(), "the oldest went first");
        assert_eq!(
            cache.get("acct_1", "b@x").map(|m| (m.customers[0].id.clone(), m.fetched_at)),
            Some(("cus_b".into(), 11))
        );
        cache.forget_account("acct_1");
        assert!(cache.get("acct_1", "b@x").is_none());
        assert!(cache.get("acct_2", "a@x").is_some());
    }

    #[test]
    fn replacing_an_entry_keeps_the_new_one() {
        let cache = CustomerCache::new(Duration::from_secs(60), 2);
        cache.put("acct_1", "a@x", &matches("cus_old", 1));
        cache.put("acct_1", "a@x", &matches("cus_new", 2));
        cache.put("acct_1", "b@x", &matches("cus_b", 3));
        cache.put("acct_1", "c@x", &matches("cus_c", 4));
        assert_eq!(cache.get("acct_1", "a@x").map(|m| m.customers[0].id.clone()), None);
        assert!(cache.get("acct_1", "b@x").is_some() && cache.get("acct_1", "c@x").is_some());
    }

    #[test]
    fn off_and_partial_answers_are_not_kept() {
        let off = CustomerCache::new(Duration::ZERO, 10);
        off.put("acct_1", "a@x", &matches("cus_a", 1));
        assert!(off.get("acct_1", "a@x").is_none());
        let cache = CustomerCache::new(Duration::from_secs(60), 10);
        let partial = CustomerMatches {
            search_fallback: Some(crate::queries::SearchFallback {
                code: "stripe_rate_limited".into(),
                message: "x".into(),
            }),
            ..matches("cus_a", 1)
        };
        cache.put("acct_1", "a@x", &partial);
        assert!(cache.get("acct_1", "a@x").is_none());
    }
}
