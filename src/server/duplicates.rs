//! The duplicate cache of RFC 5080 §2.2.2, which is what makes a NAS
//! retransmit harmless: a retransmit of a request already answered gets the
//! same reply bytes again, and one still being worked on is dropped, so Okta
//! is never asked twice (and a user never pushed twice) for one request.
//!
//! A request is known by the socket it came in on, its source address and
//! port, and its Identifier; the Request Authenticator tells a retransmit from
//! a new request that reuses the Identifier.
//!
//! Entries are forgotten in the order they came: a purge looks only at
//! those old enough to have expired, never at the whole cache. A NAS that
//! sends from many source ports (or a proxy in front of several) fills it
//! with `duration × rate` entries, and a scan of them all would hold up
//! every request at each purge.

use crate::expiry::ExpiryQueue;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry as MapEntry;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Identifies a request for duplicate detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RequestKey {
    pub listener: u16,
    pub source: SocketAddr,
    pub identifier: u8,
}

#[derive(Debug, Clone)]
enum Progress {
    /// Being worked on; stale after `until` (a safety net, never relied on).
    Pending { until: Instant },
    /// Answered with these bytes (`None`: answered with silence) until `until`.
    Answered {
        reply: Option<Arc<[u8]>>,
        until: Instant,
    },
}

impl Progress {
    fn until(&self) -> Instant {
        match self {
            Progress::Pending { until } | Progress::Answered { until, .. } => *until,
        }
    }
}

#[derive(Debug, Clone)]
struct Entry {
    authenticator: [u8; 16],
    progress: Progress,
    /// The key's place in the expiry queue: one however many requests
    /// reuse the key.
    place: u64,
}

/// What the cache says about an arriving request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// A new request: it is now registered as pending.
    New,
    /// A retransmit of a request still being worked on: drop it.
    InProgress,
    /// A retransmit of an answered request: send these bytes again (or
    /// nothing, if the answer was silence).
    Answered(Option<Arc<[u8]>>),
    /// The cache is full: drop the request.
    Full,
}

/// How many queued requests a purge looks at before it lets other work
/// run (about 150 µs with 150,000 entries on the benchmark host).
pub const PURGE_BATCH: usize = 256;

/// The cache itself; shared by every listener.
pub struct DuplicateCache {
    entries: DashMap<RequestKey, Entry>,
    /// The keys in the order they came, each first looked at when its
    /// registration's answer can have expired.
    expiry: ExpiryQueue<RequestKey>,
    ttl: Duration,
    max_entries: usize,
}

impl DuplicateCache {
    pub fn new(ttl: Duration, max_entries: usize) -> DuplicateCache {
        DuplicateCache {
            entries: DashMap::new(),
            expiry: ExpiryQueue::default(),
            ttl,
            max_entries,
        }
    }

    /// Looks a request up and, when it is new, registers it as pending for at
    /// most `pending_for`.
    pub fn begin(
        &self,
        key: RequestKey,
        authenticator: [u8; 16],
        now: Instant,
        pending_for: Duration,
    ) -> Seen {
        let mut full = self.entries.len() >= self.max_entries;
        if full {
            // Room made by what has expired since the last purge.
            self.purge_batch(now);
            full = self.entries.len() >= self.max_entries;
        }
        let (seen, place) = self.register(key, authenticator, now, pending_for, full);
        if let Some(place) = place {
            // Queued once the entry's shard is unlocked.
            self.expiry.queue(key, place, now + self.ttl);
        }
        seen
    }

    /// [`DuplicateCache::begin`] in the table; with the id to queue the
    /// key under when it is new to the table.
    fn register(
        &self,
        key: RequestKey,
        authenticator: [u8; 16],
        now: Instant,
        pending_for: Duration,
        full: bool,
    ) -> (Seen, Option<u64>) {
        let progress = Progress::Pending {
            until: now + pending_for,
        };
        match self.entries.entry(key) {
            MapEntry::Occupied(mut occupied) => {
                let entry = occupied.get();
                if entry.authenticator == authenticator {
                    match &entry.progress {
                        Progress::Pending { until } if *until > now => {
                            return (Seen::InProgress, None);
                        }
                        Progress::Answered { reply, until } if *until > now => {
                            return (Seen::Answered(reply.clone()), None);
                        }
                        _ => {}
                    }
                }
                // A new request reusing the Identifier, or an expired entry:
                // the key's place in the queue stays.
                let place = entry.place;
                occupied.insert(Entry {
                    authenticator,
                    progress,
                    place,
                });
                (Seen::New, None)
            }
            MapEntry::Vacant(vacant) => {
                if full {
                    return (Seen::Full, None);
                }
                let place = self.expiry.next_place();
                vacant.insert(Entry {
                    authenticator,
                    progress,
                    place,
                });
                (Seen::New, Some(place))
            }
        }
    }

    /// Records the answer to a request, unless a newer request has taken its
    /// place meanwhile.
    pub fn finish(
        &self,
        key: RequestKey,
        authenticator: [u8; 16],
        reply: Option<Arc<[u8]>>,
        now: Instant,
    ) {
        if let Some(mut entry) = self.entries.get_mut(&key)
            && entry.authenticator == authenticator
        {
            entry.progress = Progress::Answered {
                reply,
                until: now + self.ttl,
            };
        }
    }

    /// How long an answer is kept for retransmits.
    pub fn ttl(&self) -> Duration {
        self.ttl
    }

    /// Forgets a request that was not processed (shed under overload), so a
    /// retransmit gets a fresh chance.
    pub fn forget(&self, key: RequestKey, authenticator: [u8; 16]) {
        self.entries
            .remove_if(&key, |_, entry| entry.authenticator == authenticator);
    }

    /// Removes the entries that have expired, looking only at those
    /// registered long enough ago; returns how many it looked at (for
    /// tests: the server purges a batch at a time).
    #[cfg(test)]
    fn purge(&self, now: Instant) -> usize {
        let mut looked = 0;
        loop {
            let batch = self.purge_batch(now);
            looked += batch;
            if batch < PURGE_BATCH {
                return looked;
            }
        }
    }

    /// [`DuplicateCache::purge`], for at most [`PURGE_BATCH`] entries (a
    /// pause of a fraction of a millisecond); returns how many it looked
    /// at. The queue is not locked while the table's shards are.
    pub fn purge_batch(&self, now: Instant) -> usize {
        self.expiry.forget(
            &self.entries,
            now,
            PURGE_BATCH,
            |entry| entry.place,
            |entry| entry.progress.until(),
        )
    }

    /// Whether nothing is remembered (for tests).
    #[cfg(test)]
    fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(identifier: u8) -> RequestKey {
        RequestKey {
            listener: 0,
            source: "192.0.2.1:40000".parse().expect("addr"),
            identifier,
        }
    }

    const PENDING: Duration = Duration::from_secs(10);

    #[test]
    fn retransmits_are_absorbed() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 1000);
        let now = Instant::now();
        assert_eq!(cache.begin(key(1), [1; 16], now, PENDING), Seen::New);
        assert_eq!(cache.begin(key(1), [1; 16], now, PENDING), Seen::InProgress);
        let reply: Arc<[u8]> = Arc::from(&b"reply"[..]);
        cache.finish(key(1), [1; 16], Some(reply.clone()), now);
        assert_eq!(
            cache.begin(key(1), [1; 16], now, PENDING),
            Seen::Answered(Some(reply))
        );
    }

    #[test]
    fn new_authenticator_replaces_the_entry() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 1000);
        let now = Instant::now();
        assert_eq!(cache.begin(key(1), [1; 16], now, PENDING), Seen::New);
        assert_eq!(cache.begin(key(1), [2; 16], now, PENDING), Seen::New);
        // The first request's late answer does not overwrite the second.
        cache.finish(key(1), [1; 16], Some(Arc::from(&b"old"[..])), now);
        assert_eq!(cache.begin(key(1), [2; 16], now, PENDING), Seen::InProgress);
    }

    #[test]
    fn entries_expire_and_are_purged() {
        let cache = DuplicateCache::new(Duration::from_secs(5), 1000);
        let now = Instant::now();
        cache.begin(key(1), [1; 16], now, PENDING);
        cache.finish(key(1), [1; 16], None, now);
        assert_eq!(
            cache.begin(key(1), [1; 16], now, PENDING),
            Seen::Answered(None)
        );
        let later = now + Duration::from_secs(6);
        cache.purge(later);
        assert!(cache.is_empty());
        assert_eq!(cache.begin(key(1), [1; 16], later, PENDING), Seen::New);
    }

    fn from_port(port: u16) -> RequestKey {
        RequestKey {
            listener: 0,
            source: SocketAddr::from(([192, 0, 2, 1], port)),
            identifier: 0,
        }
    }

    #[test]
    fn a_purge_looks_only_at_entries_old_enough_to_have_expired() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 100_000);
        let start = Instant::now();
        // A NAS sending from a new source port each time: 1,000 requests
        // answered at the start, one still waiting on a push, 9,000 more
        // 20 seconds later.
        for port in 0..1_000 {
            assert_eq!(
                cache.begin(from_port(port), [1; 16], start, PENDING),
                Seen::New
            );
            cache.finish(from_port(port), [1; 16], None, start);
        }
        let push = Duration::from_secs(60);
        assert_eq!(
            cache.begin(from_port(1_000), [1; 16], start, push),
            Seen::New
        );
        let later = start + Duration::from_secs(20);
        for port in 1_001..10_001 {
            assert_eq!(
                cache.begin(from_port(port), [1; 16], later, PENDING),
                Seen::New
            );
            cache.finish(from_port(port), [1; 16], None, later);
        }
        assert_eq!(cache.purge(start + Duration::from_secs(29)), 0);
        // The first thousand and the push are due: the answers go, the
        // push still pending stays.
        assert_eq!(cache.purge(start + Duration::from_secs(31)), 1_001);
        assert_eq!(cache.entries.len(), 9_001);
        assert_eq!(
            cache.begin(
                from_port(1_000),
                [1; 16],
                start + Duration::from_secs(31),
                push
            ),
            Seen::InProgress
        );
        assert_eq!(cache.purge(start + Duration::from_secs(32)), 0);
        // The later ones, then the push once its wait is over.
        assert_eq!(cache.purge(start + Duration::from_secs(51)), 9_000);
        assert_eq!(cache.purge(start + Duration::from_secs(61)), 1);
        assert!(cache.is_empty());
    }

    #[test]
    fn a_key_reused_by_many_requests_holds_one_place_in_the_queue() {
        let cache = DuplicateCache::new(Duration::from_secs(30), 1000);
        let start = Instant::now();
        // A NAS on one port cycling its Identifiers, 100,000 requests.
        for n in 0..100_000u32 {
            let at = start + Duration::from_micros(u64::from(n) * 100);
            let authenticator = [(n >> 8) as u8; 16];
            let identifier = n as u8;
            assert_eq!(
                cache.begin(key(identifier), authenticator, at, PENDING),
                Seen::New
            );
            cache.finish(key(identifier), authenticator, None, at);
        }
        assert_eq!(cache.entries.len(), 256);
        assert_eq!(cache.expiry.len(), 256);
        // A request shed and sent again takes a new place; the old one
        // goes when it comes up.
        let last = start + Duration::from_secs(10);
        // Identifier 1's last request was the 99,842nd.
        cache.forget(key(1), [(99_841u32 >> 8) as u8; 16]);
        assert_eq!(cache.entries.len(), 255);
        assert_eq!(cache.begin(key(1), [9; 16], last, PENDING), Seen::New);
        assert_eq!(cache.expiry.len(), 257);
        cache.finish(key(1), [9; 16], None, last);
        // Past every answer's life, one purge empties both, looking at
        // each place once: the shed request's old place finds the key
        // taken by another place, and goes.
        assert_eq!(cache.purge(last + Duration::from_secs(31)), 257);
        assert!(cache.is_empty());
        assert!(cache.expiry.len() == 0);
    }

    #[test]
    fn a_full_cache_makes_room_from_what_expired_before_the_purge() {
        let cache = DuplicateCache::new(Duration::from_secs(5), 2);
        let now = Instant::now();
        for identifier in [1, 2] {
            assert_eq!(
                cache.begin(key(identifier), [1; 16], now, PENDING),
                Seen::New
            );
            cache.finish(key(identifier), [1; 16], None, now);
        }
        assert_eq!(cache.begin(key(3), [1; 16], now, PENDING), Seen::Full);
        let later = now + Duration::from_secs(6);
        assert_eq!(cache.begin(key(3), [1; 16], later, PENDING), Seen::New);
    }

    #[test]
    fn a_full_cache_refuses_new_keys_only() {
        let cache = DuplicateCache::new(Duration::from_secs(5), 2);
        let now = Instant::now();
        assert_eq!(cache.begin(key(1), [1; 16], now, PENDING), Seen::New);
        assert_eq!(cache.begin(key(2), [1; 16], now, PENDING), Seen::New);
        assert_eq!(cache.begin(key(3), [1; 16], now, PENDING), Seen::Full);
        assert_eq!(cache.begin(key(1), [1; 16], now, PENDING), Seen::InProgress);
        cache.forget(key(2), [1; 16]);
        assert_eq!(cache.begin(key(3), [1; 16], now, PENDING), Seen::New);
    }
}
