//! The authorization server's signing keys as the client keeps them.
//!
//! A key set is fetched from `/keys` and is fresh for its `Cache-Control`
//! max-age (bounded, see `cache_control`); a set past its max-age is
//! fetched again by the next lookup. A token naming a `kid` the fresh set
//! does not hold makes one fetch, at most once every [`REFETCH_SPACING`]
//! however many tokens ask, and after a failed fetch the next waits as long;
//! only one fetch runs at a time (the others wait for it and read its
//! result). When `/keys` cannot be reached, the set in hand is
//! used past its max-age for up to [`STALE_GRACE`]: logins go on through an
//! outage of `/keys` alone, while a key Okta retired is not trusted forever.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use metrics::{counter, gauge};

use super::cache_control::fresh_for;
use super::rejection::IdTokenRejection;
use crate::metrics as names;
use okta_api::jose::jwks::rs256_keys;
use okta_api::jose::rs256::Rs256Key;

/// Least time between two fetches of `/keys`.
pub(crate) const REFETCH_SPACING: Duration = Duration::from_secs(30);
/// How long past its max-age a key set is still used while `/keys`
/// cannot be fetched.
pub(crate) const STALE_GRACE: Duration = Duration::from_secs(24 * 3600);

/// What a fetch of `/keys` brought back.
pub(crate) struct FetchedKeys {
    pub(crate) document: Vec<u8>,
    pub(crate) cache_control: Option<String>,
}

/// Why `/keys` could not be fetched.
#[derive(Debug)]
pub(crate) struct KeyFetchError(pub(crate) String);

/// One fetched key set.
struct KeySet {
    keys: HashMap<String, Rs256Key>,
    fetched: Instant,
    fresh_for: Duration,
}

impl KeySet {
    fn is_fresh(&self, now: Instant) -> bool {
        now.duration_since(self.fetched) < self.fresh_for
    }

    fn is_usable(&self, now: Instant) -> bool {
        now.duration_since(self.fetched) < self.fresh_for + STALE_GRACE
    }
}

#[derive(Default)]
struct State {
    set: Option<Arc<KeySet>>,
    /// When the last fetch started.
    last_attempt: Option<Instant>,
    /// When the last fetch for an unknown `kid` started.
    last_unknown_kid: Option<Instant>,
    /// When the last fetch that failed started.
    last_failure: Option<Instant>,
}

/// The key set of one authorization server.
#[derive(Default)]
pub(crate) struct KeyCache {
    state: Mutex<State>,
    /// Held by the one fetch in progress.
    fetching: tokio::sync::Mutex<()>,
}

impl KeyCache {
    fn snapshot(&self) -> (Option<Arc<KeySet>>, Option<Instant>) {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        (state.set.clone(), state.last_attempt)
    }

    /// Whether a fetch may start now: for an unknown `kid` once per
    /// spacing, otherwise unless a fetch failed within the spacing.
    fn may_fetch(&self, unknown_kid: bool, now: Instant) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let spaced =
            |at: Option<Instant>| at.is_none_or(|at| now.duration_since(at) >= REFETCH_SPACING);
        spaced(state.last_failure) && (!unknown_kid || spaced(state.last_unknown_kid))
    }

    /// The key named `kid`, fetching the key set when it is missing, past
    /// its max-age, or does not hold `kid` (within the fetch spacing).
    pub(crate) async fn key<F, Fut>(
        &self,
        kid: &str,
        fetch: F,
    ) -> Result<Rs256Key, IdTokenRejection>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedKeys, KeyFetchError>>,
    {
        let now = Instant::now();
        let (set, last_attempt) = self.snapshot();
        let mut unknown_kid = false;
        if let Some(set) = &set {
            record_age(set, now);
            if set.is_fresh(now) {
                match set.keys.get(kid) {
                    Some(key) => return Ok(key.clone()),
                    None => unknown_kid = true,
                }
            }
        }
        if self.may_fetch(unknown_kid, now) {
            self.refresh(last_attempt, unknown_kid, fetch).await;
        } else {
            // A fetch in flight (another token's) may bring the key: wait for it.
            drop(self.fetching.lock().await);
        }
        let now = Instant::now();
        match self.snapshot().0 {
            Some(set) if set.is_usable(now) => set
                .keys
                .get(kid)
                .cloned()
                .ok_or(IdTokenRejection::UnknownKey),
            _ => Err(IdTokenRejection::KeysUnavailable),
        }
    }

    /// Fetches the key set now (at start-up, so the first login does not
    /// wait for it); returns how many signing keys it holds.
    pub(crate) async fn prefetch<F, Fut>(&self, fetch: F) -> Result<usize, String>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedKeys, KeyFetchError>>,
    {
        let (_, last_attempt) = self.snapshot();
        self.refresh(last_attempt, false, fetch).await;
        match self.snapshot().0 {
            Some(set) if !set.keys.is_empty() => Ok(set.keys.len()),
            _ => Err("no usable RS256 signing key could be fetched".to_owned()),
        }
    }

    /// One fetch at a time: a caller that finds a fetch started after it
    /// looked reads that fetch's result instead of starting another.
    async fn refresh<F, Fut>(&self, seen_attempt: Option<Instant>, unknown_kid: bool, fetch: F)
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<FetchedKeys, KeyFetchError>>,
    {
        let _fetching = self.fetching.lock().await;
        {
            let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
            if state.last_attempt != seen_attempt {
                return;
            }
            let now = Instant::now();
            state.last_attempt = Some(now);
            if unknown_kid {
                state.last_unknown_kid = Some(now);
            }
        }
        let started = Instant::now();
        let failed = |cache: &KeyCache| {
            cache
                .state
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .last_failure = Some(started);
        };
        let result = match fetch().await {
            Ok(fetched) => fetched,
            Err(KeyFetchError(why)) => {
                counter!(names::OKTA_JWKS_FETCHES, "result" => "unreachable").increment(1);
                failed(self);
                tracing::warn!(%why, "cannot fetch the authorization server's signing keys (/keys); the keys in hand stay in use while their age allows");
                return;
            }
        };
        let keys = match rs256_keys(&result.document) {
            Ok(keys) if !keys.is_empty() => keys,
            _ => {
                counter!(names::OKTA_JWKS_FETCHES, "result" => "invalid").increment(1);
                failed(self);
                tracing::warn!(
                    "the authorization server's /keys holds no usable RS256 signing key; the keys in hand stay in use while their age allows"
                );
                return;
            }
        };
        counter!(names::OKTA_JWKS_FETCHES, "result" => "ok").increment(1);
        let set = KeySet {
            keys: keys.into_iter().map(|key| (key.kid, key.key)).collect(),
            fetched: Instant::now(),
            fresh_for: fresh_for(result.cache_control.as_deref()),
        };
        tracing::debug!(
            keys = set.keys.len(),
            fresh_for_s = set.fresh_for.as_secs(),
            "fetched the authorization server's signing keys"
        );
        gauge!(names::OKTA_JWKS_AGE).set(0.0);
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.set = Some(Arc::new(set));
        state.last_failure = None;
    }
}

fn record_age(set: &KeySet, now: Instant) {
    gauge!(names::OKTA_JWKS_AGE).set(now.duration_since(set.fetched).as_secs_f64());
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::jose::rs256::RsaPublicJwk;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn document(kids: &[&str]) -> Vec<u8> {
        let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("a key");
        let keys: Vec<RsaPublicJwk> = kids
            .iter()
            .map(|kid| RsaPublicJwk::of(private.as_public_key(), kid))
            .collect();
        serde_json::to_vec(&serde_json::json!({ "keys": keys })).expect("json")
    }

    #[tokio::test]
    async fn an_unknown_kid_storm_fetches_once() {
        let cache = KeyCache::default();
        let fetches = AtomicUsize::new(0);
        let doc = document(&["k1"]);
        let fetch = || async {
            fetches.fetch_add(1, Ordering::SeqCst);
            Ok(FetchedKeys {
                document: doc.clone(),
                cache_control: Some("max-age=3600".into()),
            })
        };
        assert!(cache.key("k1", fetch).await.is_ok());
        for _ in 0..50 {
            assert_eq!(
                cache.key("unknown", fetch).await.err(),
                Some(IdTokenRejection::UnknownKey)
            );
        }
        assert_eq!(
            fetches.load(Ordering::SeqCst),
            2,
            "the first fetch, then one for the storm"
        );
        assert!(cache.key("k1", fetch).await.is_ok());
    }

    #[tokio::test]
    async fn keys_in_hand_outlive_an_outage_of_keys() {
        let cache = KeyCache::default();
        let doc = document(&["k1"]);
        let fetched = cache
            .prefetch(|| async {
                Ok(FetchedKeys {
                    document: doc.clone(),
                    cache_control: Some("max-age=60".into()),
                })
            })
            .await;
        assert_eq!(fetched, Ok(1));
        // Past its max-age, /keys down: the key is still used.
        {
            let mut state = cache.state.lock().expect("lock");
            let keys = state
                .set
                .as_ref()
                .map(|set| set.keys.clone())
                .unwrap_or_default();
            state.set = Some(Arc::new(KeySet {
                keys,
                fetched: Instant::now()
                    .checked_sub(Duration::from_secs(120))
                    .expect("the clock has run two minutes"),
                fresh_for: Duration::from_secs(60),
            }));
            state.last_attempt = None;
            state.last_failure = None;
        }
        let down = || async { Err(KeyFetchError("connection refused".into())) };
        assert!(cache.key("k1", down).await.is_ok());
        // Nothing in hand and /keys down: no key.
        let empty = KeyCache::default();
        assert_eq!(
            empty.key("k1", down).await.err(),
            Some(IdTokenRejection::KeysUnavailable)
        );
    }
}
