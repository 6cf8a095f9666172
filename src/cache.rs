//! A short-lived cache per connected account, for the email → customers resolution.
//!
//! A support conversation asks several questions about one customer within a minute (context,
//! payments, subscriptions, disputes, a refund), and each starts by resolving the same email to
//! the same customer objects. That resolution changes rarely, so it may be a minute old; money
//! facts (charges, refunds, disputes, subscriptions) are never cached. Entries expire after
//! `config.cache_ttl`, there are at most `config.cache_max_entries` of them (the oldest go first),
//! and a deauthorization drops the account's entries.
//!
//! A deauthorization must stick against resolutions already under way: one that started before
//! it (its requests were sent while the account was connected) finishes afterwards and must not
//! fill the cache then. So each account has an *epoch*, bumped when its entries are dropped; a
//! resolution takes a [`Ticket`] (the epoch) before it sends anything, and its answer is kept
//! only if the epoch is still the ticket's.
//!
//! The client owns the cache and the queries fill it, and the client sits below the queries: so
//! the values are type-erased here (`Arc<dyn Any>`), and the queries read back their own type.

use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

type Value = Arc<dyn Any + Send + Sync>;

struct Entry {
    value: Value,
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
    /// How many times each account's entries were dropped (absent: never, since `floor`).
    epochs: HashMap<String, u64>,
    /// Bumped when `epochs` is emptied to stay bounded: every ticket taken before is void.
    floor: u64,
}

/// At most this many accounts' epochs are remembered; past it they are all forgotten at once and
/// the floor moves, which voids every ticket then outstanding (a resolution under way is then
/// not cached: it costs a request later, never a stale answer).
const MAX_EPOCHS: usize = 4096;

/// An account's epoch when a resolution started ([`CustomerCache::ticket`]); its answer is cached
/// ([`CustomerCache::put`]) only while the epoch has not moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ticket {
    floor: u64,
    epoch: u64,
}

impl State {
    fn ticket(&self, account: &str) -> Ticket {
        Ticket { floor: self.floor, epoch: self.epochs.get(account).copied().unwrap_or(0) }
    }
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

    /// The value cached for `key` on `account`, if still fresh and a `V`.
    pub(crate) fn get<V: Clone + 'static>(&self, account: &str, key: &str) -> Option<V> {
        if !self.enabled() {
            return None;
        }
        let state = self.lock();
        let entry = state.entries.get(&(account.to_string(), key.to_string()))?;
        let value = (Instant::now() < entry.expires).then(|| entry.value.clone())?;
        value.downcast_ref::<V>().cloned()
    }

    /// The account's epoch now: take it before sending the requests whose answer may be cached.
    pub(crate) fn ticket(&self, account: &str) -> Ticket {
        self.lock().ticket(account)
    }

    /// Cache `value` for `key` on `account`, unless the account's entries were dropped since
    /// `ticket` was taken (the value may describe an account that is no longer connected).
    pub(crate) fn put<V: Send + Sync + 'static>(&self, account: &str, key: &str, value: V, ticket: Ticket) {
        if !self.enabled() {
            return;
        }
        let now = Instant::now();
        let mut state = self.lock();
        let state = &mut *state;
        if state.ticket(account) != ticket {
            return;
        }
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
        let key = (account.to_string(), key.to_string());
        let stamp = state.next_stamp;
        state.next_stamp += 1;
        state.order.push_back((key.clone(), stamp));
        state.entries.insert(key, Entry { value: Arc::new(value), expires: now + self.ttl, stamp });
    }

    /// Drop every entry of `account` (it was disconnected), and void the tickets taken for it:
    /// no resolution under way now fills the cache for it later.
    pub(crate) fn forget_account(&self, account: &str) {
        let mut state = self.lock();
        state.entries.retain(|(a, _), _| a != account);
        if state.epochs.len() >= MAX_EPOCHS && !state.epochs.contains_key(account) {
            state.epochs.clear();
            state.floor += 1;
        }
        *state.epochs.entry(account.to_string()).or_insert(0) += 1;
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.lock().entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_oldest_first_and_per_account_forgetting() {
        let cache = CustomerCache::new(Duration::from_secs(60), 2);
        cache.put("acct_1", "a@x", "cus_a".to_string(), cache.ticket("acct_1"));
        cache.put("acct_1", "b@x", "cus_b".to_string(), cache.ticket("acct_1"));
        cache.put("acct_2", "a@x", "cus_c".to_string(), cache.ticket("acct_2"));
        assert_eq!(cache.len(), 2);
        assert_eq!(cache.get::<String>("acct_1", "a@x"), None, "the oldest went first");
        assert_eq!(cache.get::<String>("acct_1", "b@x").as_deref(), Some("cus_b"));
        assert_eq!(cache.get::<u32>("acct_1", "b@x"), None, "another type is not read as this one");
        cache.forget_account("acct_1");
        assert_eq!(cache.get::<String>("acct_1", "b@x"), None);
        assert_eq!(cache.get::<String>("acct_2", "a@x").as_deref(), Some("cus_c"));
    }

    #[test]
    fn replacing_an_entry_keeps_the_new_one() {
        let cache = CustomerCache::new(Duration::from_secs(60), 2);
        cache.put("acct_1", "a@x", 1u8, cache.ticket("acct_1"));
        cache.put("acct_1", "a@x", 2u8, cache.ticket("acct_1"));
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), Some(2));
        cache.put("acct_1", "b@x", 3u8, cache.ticket("acct_1"));
        cache.put("acct_1", "c@x", 4u8, cache.ticket("acct_1"));
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), None);
        assert_eq!((cache.get::<u8>("acct_1", "b@x"), cache.get::<u8>("acct_1", "c@x")), (Some(3), Some(4)));
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let off = CustomerCache::new(Duration::ZERO, 10);
        off.put("acct_1", "a@x", 1u8, off.ticket("acct_1"));
        assert_eq!(off.get::<u8>("acct_1", "a@x"), None);
    }

    /// Issue 22 item 2 at the cache: an answer whose resolution started before the account was
    /// forgotten is not kept; one that started after is; other accounts are untouched.
    #[test]
    fn an_answer_from_before_a_forget_is_not_cached() {
        let cache = CustomerCache::new(Duration::from_secs(60), 10);
        let before = cache.ticket("acct_1");
        let other = cache.ticket("acct_2");
        cache.forget_account("acct_1");
        cache.put("acct_1", "a@x", 1u8, before);
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), None, "started before the deauthorization");
        cache.put("acct_2", "a@x", 2u8, other);
        assert_eq!(cache.get::<u8>("acct_2", "a@x"), Some(2), "another account's ticket still holds");
        let after = cache.ticket("acct_1");
        cache.put("acct_1", "a@x", 3u8, after);
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), Some(3), "started after it");
        // A second forget voids the ticket taken between the two.
        let between = cache.ticket("acct_1");
        cache.forget_account("acct_1");
        cache.put("acct_1", "b@x", 4u8, between);
        assert_eq!(cache.get::<u8>("acct_1", "b@x"), None);
    }

    /// The epochs stay bounded: past MAX_EPOCHS accounts they are dropped together, and every
    /// ticket taken before is void (never one that would let a stale answer in).
    #[test]
    fn epochs_stay_bounded_and_emptying_them_voids_older_tickets() {
        let cache = CustomerCache::new(Duration::from_secs(60), 10);
        let forgotten = cache.ticket("acct_x");
        cache.forget_account("acct_x");
        let untouched = cache.ticket("acct_y");
        for i in 0..MAX_EPOCHS {
            cache.forget_account(&format!("acct_{i}"));
        }
        assert!(cache.lock().epochs.len() <= MAX_EPOCHS);
        cache.put("acct_x", "a@x", 1u8, forgotten);
        cache.put("acct_y", "a@x", 2u8, untouched);
        assert_eq!((cache.get::<u8>("acct_x", "a@x"), cache.get::<u8>("acct_y", "a@x")), (None, None));
        let fresh = cache.ticket("acct_x");
        cache.put("acct_x", "a@x", 3u8, fresh);
        assert_eq!(cache.get::<u8>("acct_x", "a@x"), Some(3));
    }
}
