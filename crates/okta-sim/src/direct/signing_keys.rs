//! The authorization server's signing keys in the simulated org: RSA keys
//! that sign ID tokens with RS256, the key set published at `/keys` with
//! its `Cache-Control`, and a rotation a test or the demo can trigger (a
//! new key signs from then on; the old one stays published, as Okta keeps
//! it for tokens already issued).
//!
//! It also counts `/keys` fetches, and can answer them with an outage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use serde::Serialize;

use crate::ids;
use okta_api::jose::jwks::Jwks;
use okta_api::jose::rs256::{RS256, RsaPublicJwk, sign_rs256};

/// RSA modulus size, as Okta's.
const KEY_BITS: usize = 2048;
/// Published keys kept at most (the oldest leave first).
const PUBLISHED_AT_MOST: usize = 3;

struct Key {
    kid: String,
    signing: SigningKey<Sha256>,
    public: RsaPublicJwk,
}

fn new_key() -> Key {
    let kid = ids::random_token(20);
    // Only a broken random source could fail here; the simulated org then
    // has no keys to offer, which its tests would see at once.
    let private = rsa::PrivateKey::new(&mut rand::rng(), KEY_BITS)
        .unwrap_or_else(|error| panic!("cannot make an RSA key: {error}"));
    let public = RsaPublicJwk::of(private.as_public_key(), &kid);
    Key {
        kid,
        signing: SigningKey::new(private),
        public,
    }
}

/// The org authorization server's keys.
pub(crate) struct SigningKeys {
    /// Published keys, the one that signs last.
    keys: Mutex<Vec<Key>>,
    max_age: Duration,
    down: AtomicBool,
    fetches: AtomicU64,
}

impl SigningKeys {
    pub(crate) fn new(max_age: Duration) -> SigningKeys {
        SigningKeys {
            keys: Mutex::new(vec![new_key()]),
            max_age,
            down: AtomicBool::new(false),
            fetches: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Key>> {
        self.keys.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts signing with a new key; returns its `kid`.
    pub(crate) fn rotate(&self) -> String {
        let key = new_key();
        let kid = key.kid.clone();
        let mut keys = self.lock();
        keys.push(key);
        if keys.len() > PUBLISHED_AT_MOST {
            keys.remove(0);
        }
        kid
    }

    /// The `kid` that signs now.
    pub(crate) fn active_kid(&self) -> String {
        self.lock()
            .last()
            .map(|key| key.kid.clone())
            .unwrap_or_default()
    }

    /// Signs claims with the active key: a compact JWS with `alg` RS256 and
    /// the key's `kid`.
    pub(crate) fn sign<C: Serialize>(&self, claims: &C) -> String {
        let keys = self.lock();
        let Some(key) = keys.last() else {
            return String::new();
        };
        let header = serde_json::json!({"alg": RS256, "kid": key.kid, "typ": "JWT"});
        sign_rs256(&key.signing, &header, claims)
    }

    /// The key set as `/keys` publishes it, and its `max-age`.
    pub(crate) fn published(&self) -> (Jwks, Duration) {
        self.fetches.fetch_add(1, Ordering::Relaxed);
        let keys = self.lock().iter().map(|key| key.public.clone()).collect();
        (Jwks { keys }, self.max_age)
    }

    pub(crate) fn set_down(&self, down: bool) {
        self.down.store(down, Ordering::Relaxed);
    }

    pub(crate) fn is_down(&self) -> bool {
        self.down.load(Ordering::Relaxed)
    }

    /// `/keys` fetches answered with the key set.
    pub(crate) fn fetches(&self) -> u64 {
        self.fetches.load(Ordering::Relaxed)
    }
}
