//! A short-lived cache per connected account, for the email → customers resolution.
//!
//! A support conversation asks several questions about one customer within a minute (context,
//! payments, subscriptions, disputes, a refund), and each starts by resolving the same email to
//! the same customer objects. That resolution changes rarely, so it may be a minute old; money
//! facts (charges, refunds, disputes, subscriptions) are never cached. Entries expire after
//! `config.cache_ttl`, there are at most `config.cache_max_entries` of them (the oldest go first),
//! and a deauthorization drops the account's entries.
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

    pub(crate) fn put<V: Send + Sync + 'static>(&self, account: &str, key: &str, value: V) {
        if !self.enabled() {
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
        let key = (account.to_string(), key.to_string());
        let stamp = state.next_stamp;
        state.next_stamp += 1;
        state.order.push_back((key.clone(), stamp));
        state.entries.insert(key, Entry { value: Arc::new(value), expires: now + self.ttl, stamp });
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

    #[test]
    fn bounded_oldest_first_and_per_account_forgetting() {
        let cache = CustomerCache::new(Duration::from_secs(60), 2);
        cache.put("acct_1", "a@x", "cus_a".to_string());
        cache.put("acct_1", "b@x", "cus_b".to_string());
        cache.put("acct_2", "a@x", "cus_c".to_string());
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
        cache.put("acct_1", "a@x", 1u8);
        cache.put("acct_1", "a@x", 2u8);
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), Some(2));
        cache.put("acct_1", "b@x", 3u8);
        cache.put("acct_1", "c@x", 4u8);
        assert_eq!(cache.get::<u8>("acct_1", "a@x"), None);
        assert_eq!((cache.get::<u8>("acct_1", "b@x"), cache.get::<u8>("acct_1", "c@x")), (Some(3), Some(4)));
    }

    #[test]
    fn a_zero_ttl_keeps_nothing() {
        let off = CustomerCache::new(Duration::ZERO, 10);
        off.put("acct_1", "a@x", 1u8);
        assert_eq!(off.get::<u8>("acct_1", "a@x"), None);
    }
}
