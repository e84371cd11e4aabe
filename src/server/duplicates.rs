//! The duplicate cache of RFC 5080 §2.2.2, which is what makes a NAS
//! retransmit harmless: a retransmit of a request already answered gets the
//! same reply bytes again, and one still being worked on is dropped, so Okta
//! is never asked twice (and a user never pushed twice) for one request.
//!
//! A request is known by the socket it came in on, its source address and
//! port, and its Identifier; the Request Authenticator tells a retransmit from
//! a new request that reuses the Identifier.

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

#[derive(Debug, Clone)]
struct Entry {
    authenticator: [u8; 16],
    progress: Progress,
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

/// The cache itself; shared by every listener.
pub struct DuplicateCache {
    entries: DashMap<RequestKey, Entry>,
    ttl: Duration,
    max_entries: usize,
}

impl DuplicateCache {
    pub fn new(ttl: Duration, max_entries: usize) -> DuplicateCache {
        DuplicateCache {
            entries: DashMap::new(),
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
        let full = self.entries.len() >= self.max_entries;
        let pending = Entry {
            authenticator,
            progress: Progress::Pending {
                until: now + pending_for,
            },
        };
        match self.entries.entry(key) {
            MapEntry::Occupied(mut occupied) => {
                let entry = occupied.get();
                if entry.authenticator == authenticator {
                    match &entry.progress {
                        Progress::Pending { until } if *until > now => return Seen::InProgress,
                        Progress::Answered { reply, until } if *until > now => {
                            return Seen::Answered(reply.clone());
                        }
                        _ => {}
                    }
                }
                // A new request reusing the Identifier, or an expired entry.
                occupied.insert(pending);
                Seen::New
            }
            MapEntry::Vacant(vacant) => {
                if full {
                    return Seen::Full;
                }
                vacant.insert(pending);
                Seen::New
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

    /// Removes expired entries.
    pub fn purge(&self, now: Instant) {
        self.entries.retain(|_, entry| match &entry.progress {
            Progress::Pending { until } | Progress::Answered { until, .. } => *until > now,
        });
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
