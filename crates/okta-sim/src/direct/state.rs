//! Direct Authentication in the simulated org: its OIDC apps (client id,
//! client secret or public keys, the grants enabled, the groups claim),
//! the authorization server's signing keys, the open transactions, the
//! poll interval, and the switches a test uses to misbehave on purpose (an
//! ID token to forge, `slow_down` to answer, `/keys` down).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use super::flows::Flows;
use super::signing_keys::SigningKeys;
use okta_api::direct::{MFA_OOB_GRANT, MFA_OTP_GRANT, PASSWORD_GRANT};
use okta_api::jose::jwk::PublicJwk;

/// An OIDC app registered for Direct Authentication.
#[derive(Debug, Clone)]
pub struct SimOidcApp {
    pub client_id: String,
    /// `client_secret_basic` (or `_post`) with this secret.
    pub client_secret: Option<String>,
    /// `private_key_jwt` with these public keys (ES256, by `kid`).
    pub keys: Vec<PublicJwk>,
    /// Grant types enabled on the app.
    pub grants: Vec<String>,
    /// The ID token claim carrying the user's groups, if any.
    pub groups_claim: Option<String>,
}

impl SimOidcApp {
    /// An app with every Direct Authentication grant enabled.
    pub fn new(client_id: &str) -> SimOidcApp {
        SimOidcApp {
            client_id: client_id.to_owned(),
            client_secret: None,
            keys: Vec::new(),
            grants: [PASSWORD_GRANT, MFA_OTP_GRANT, MFA_OOB_GRANT]
                .map(str::to_owned)
                .to_vec(),
            groups_claim: None,
        }
    }
}

/// A way to spoil the next ID tokens the org issues.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimIdTokenFault {
    /// Signed, then a claim changed: the signature no longer verifies.
    BadSignature,
    /// `iss` names another server.
    WrongIssuer,
    /// `aud` names another app.
    WrongAudience,
    /// `exp` an hour ago.
    Expired,
    /// `alg` none, no signature.
    AlgNone,
    /// `alg` HS256.
    Hs256,
}

/// The org's Direct Authentication.
pub struct SimDirect {
    apps: Mutex<HashMap<String, SimOidcApp>>,
    pub(crate) keys: SigningKeys,
    pub(crate) flows: Flows,
    pub(crate) poll_interval: Duration,
    id_token_faults: Mutex<Option<(u32, SimIdTokenFault)>>,
    slow_downs: AtomicU32,
}

impl std::fmt::Debug for SimDirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimDirect").finish_non_exhaustive()
    }
}

impl SimDirect {
    pub(crate) fn new(
        apps: Vec<SimOidcApp>,
        poll_interval: Duration,
        keys_max_age: Duration,
        capacity: usize,
    ) -> SimDirect {
        SimDirect {
            apps: Mutex::new(
                apps.into_iter()
                    .map(|app| (app.client_id.clone(), app))
                    .collect(),
            ),
            keys: SigningKeys::new(keys_max_age),
            flows: Flows::new(capacity),
            poll_interval,
            id_token_faults: Mutex::new(None),
            slow_downs: AtomicU32::new(0),
        }
    }

    /// Registers (or replaces) an OIDC app.
    pub fn register(&self, app: SimOidcApp) {
        self.apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(app.client_id.clone(), app);
    }

    pub(crate) fn app(&self, client_id: &str) -> Option<SimOidcApp> {
        self.apps
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(client_id)
            .cloned()
    }

    /// Rotates the signing key: a new key signs from now on and is added
    /// to `/keys`; returns its `kid`.
    pub fn rotate_signing_key(&self) -> String {
        self.keys.rotate()
    }

    /// The `kid` signing ID tokens now.
    pub fn signing_kid(&self) -> String {
        self.keys.active_kid()
    }

    /// Makes `/keys` answer 503 (true) or work again (false).
    pub fn set_keys_down(&self, down: bool) {
        self.keys.set_down(down);
    }

    /// `/keys` fetches answered with the key set so far.
    pub fn keys_fetches(&self) -> u64 {
        self.keys.fetches()
    }

    /// Spoils the next `count` ID tokens as `fault` says.
    pub fn spoil_id_tokens(&self, count: u32, fault: SimIdTokenFault) {
        *self
            .id_token_faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = Some((count, fault));
    }

    /// The fault for the next ID token, if one is set.
    pub(crate) fn next_id_token_fault(&self) -> Option<SimIdTokenFault> {
        let mut faults = self
            .id_token_faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (count, fault) = (*faults)?;
        *faults = (count > 1).then(|| (count - 1, fault));
        Some(fault)
    }

    /// Answers the next `count` out-of-band polls with `slow_down`.
    pub fn slow_down_next_polls(&self, count: u32) {
        self.slow_downs.store(count, Ordering::Relaxed);
    }

    /// Whether this poll gets a `slow_down` a test asked for.
    pub(crate) fn take_slow_down(&self) -> bool {
        self.slow_downs
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |left| {
                left.checked_sub(1)
            })
            .is_ok()
    }
}
