//! Tables that forget their stale entries oldest first, a few at a time.
//! A table that scans all its entries to find the stale ones holds up every
//! request waiting on that worker for the whole scan (milliseconds per
//! hundred thousand entries). An [`ExpiryQueue`] keeps the table's keys in
//! the order they came, each with when its entry can first have expired,
//! so that forgetting looks only at the keys whose time has come.
//!
//! A key has one place in the queue however often its entry is refreshed
//! or replaced: the entry holds its place's id, and a place whose entry is
//! still alive when looked at goes to the back with the entry's own expiry.

use dashmap::DashMap;
use std::collections::VecDeque;
use std::hash::Hash;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Instant;

/// One key's place: when to look at it, and the id its entry holds.
#[derive(Debug)]
struct Place<K> {
    at: Instant,
    key: K,
    id: u64,
}

/// The order in which a table's keys are looked at to be forgotten.
#[derive(Debug)]
pub(crate) struct ExpiryQueue<K> {
    places: Mutex<VecDeque<Place<K>>>,
    next_id: AtomicU64,
}

impl<K> Default for ExpiryQueue<K> {
    fn default() -> Self {
        ExpiryQueue {
            places: Mutex::new(VecDeque::new()),
            next_id: AtomicU64::new(0),
        }
    }
}

impl<K: Eq + Hash> ExpiryQueue<K> {
    fn places(&self) -> MutexGuard<'_, VecDeque<Place<K>>> {
        self.places.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The id for a key new to the table, for its entry to hold; then
    /// [`ExpiryQueue::queue`] it, once the table's entry is unlocked (the
    /// queue and a shard of the table are never locked together).
    pub(crate) fn next_place(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Queues the place `id` of `key`, to be looked at `at`.
    pub(crate) fn queue(&self, key: K, id: u64, at: Instant) {
        self.places().push_back(Place { at, key, id });
    }

    /// Looks at up to `at_most` keys whose time has come: removes their
    /// entries that have expired, queues again those still alive, and
    /// drops places whose key has left the table or taken another place.
    /// `place` and `expires` read an entry's place id and expiry. Returns
    /// how many places it looked at.
    pub(crate) fn forget<V>(
        &self,
        table: &DashMap<K, V>,
        now: Instant,
        at_most: usize,
        place: impl Fn(&V) -> u64,
        expires: impl Fn(&V) -> Instant,
    ) -> usize {
        let due: Vec<Place<K>> = {
            let mut places = self.places();
            let ready = places
                .iter()
                .take(at_most)
                .take_while(|p| p.at <= now)
                .count();
            places.drain(..ready).collect()
        };
        let looked = due.len();
        let mut again = Vec::new();
        for due in due {
            let removed = table.remove_if(&due.key, |_, entry| {
                place(entry) == due.id && expires(entry) <= now
            });
            if removed.is_some() {
                continue;
            }
            let alive = table
                .get(&due.key)
                .filter(|entry| place(entry) == due.id)
                .map(|entry| expires(&entry));
            if let Some(at) = alive {
                again.push(Place { at, ..due });
            }
        }
        if !again.is_empty() {
            self.places().extend(again);
        }
        looked
    }

    /// How many places are queued (for tests).
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.places().len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// An entry living until `until`, at place `place`.
    struct Entry {
        until: Instant,
        place: u64,
    }

    fn insert(
        table: &DashMap<u32, Entry>,
        queue: &ExpiryQueue<u32>,
        key: u32,
        until: Instant,
        at: Instant,
    ) {
        let id = queue.next_place();
        table.insert(key, Entry { until, place: id });
        queue.queue(key, id, at);
    }

    fn forget(table: &DashMap<u32, Entry>, queue: &ExpiryQueue<u32>, now: Instant) -> usize {
        queue.forget(table, now, 1_000, |e| e.place, |e| e.until)
    }

    #[test]
    fn only_keys_whose_time_has_come_are_looked_at() {
        let table = DashMap::new();
        let queue = ExpiryQueue::default();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        for key in 0..100 {
            insert(&table, &queue, key, at(10), at(10));
        }
        for key in 100..10_000 {
            insert(&table, &queue, key, at(20), at(20));
        }
        assert_eq!(forget(&table, &queue, at(9)), 0);
        assert_eq!(forget(&table, &queue, at(10)), 100);
        assert_eq!(table.len(), 9_900);
        // At most `at_most` at a time.
        assert_eq!(
            queue.forget(&table, at(20), 256, |e| e.place, |e| e.until),
            256
        );
        assert_eq!(table.len(), 9_644);
    }

    #[test]
    fn a_refreshed_entry_is_looked_at_again_when_it_can_have_expired() {
        let table = DashMap::new();
        let queue = ExpiryQueue::default();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        insert(&table, &queue, 1, at(10), at(10));
        // Refreshed in place: same place, later expiry.
        if let Some(mut entry) = table.get_mut(&1) {
            entry.until = at(25);
        }
        assert_eq!(forget(&table, &queue, at(11)), 1);
        assert_eq!(table.len(), 1);
        assert_eq!(queue.len(), 1);
        assert_eq!(forget(&table, &queue, at(24)), 0);
        assert_eq!(forget(&table, &queue, at(25)), 1);
        assert!(table.is_empty());
        assert_eq!(queue.len(), 0);
    }

    #[test]
    fn a_key_removed_and_added_again_keeps_one_place() {
        let table = DashMap::new();
        let queue = ExpiryQueue::default();
        let start = Instant::now();
        let at = |s: u64| start + Duration::from_secs(s);
        insert(&table, &queue, 1, at(10), at(10));
        // Removed (a user forgiven), then counted again: a new place.
        table.remove(&1);
        insert(&table, &queue, 1, at(15), at(15));
        assert_eq!(queue.len(), 2);
        // The old place goes without touching the new entry.
        assert_eq!(forget(&table, &queue, at(10)), 1);
        assert_eq!(table.len(), 1);
        assert_eq!(queue.len(), 1);
        assert_eq!(forget(&table, &queue, at(15)), 1);
        assert!(table.is_empty());
        assert_eq!(queue.len(), 0);
    }
}
