//! The org's API Services apps and the state of its authorization server:
//! each app's client id, public JWKs by `kid`, granted scopes and whether it
//! requires DPoP; what each app did (for tests to assert); the access tokens
//! issued; the DPoP nonce; and the identifiers already used, against replays.
//!
//! The token endpoint ([`super::token_endpoint`]) and the resource check
//! ([`super::resource`]) read and change this state.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::proofs::{NonceClock, SeenIds};
use super::settings::SimOAuthSettings;
use okta_api::jose::jwk::PublicJwk;
use okta_api::oauth::TOKEN_PATH;

/// An API Services app registered in the org.
#[derive(Debug, Clone)]
pub struct SimServiceApp {
    pub client_id: String,
    /// Public keys, each with its `kid` (Okta allows up to 50).
    pub keys: Vec<PublicJwk>,
    /// Scopes granted to the app.
    pub scopes: Vec<String>,
    /// Refuse token requests without a DPoP proof.
    pub require_dpop: bool,
}

/// What an app did, for tests to assert.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SimAppRecord {
    /// Token requests naming the app (including refused ones).
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// The `kid` of every assertion whose signature verified, in order.
    pub kids_used: Vec<String>,
    /// Resource requests accepted with one of its DPoP-bound tokens.
    pub resource_requests: u64,
}

/// An access token the org issued.
#[derive(Clone)]
pub(super) struct IssuedToken {
    pub client_id: String,
    pub scopes: Vec<String>,
    /// Thumbprint of the DPoP key it is bound to; `None`: a bearer token.
    pub jkt: Option<String>,
    pub expires_at: Instant,
}

struct AppEntry {
    app: SimServiceApp,
    record: SimAppRecord,
}

struct OAuthServerState {
    token_url: String,
    settings: SimOAuthSettings,
    apps: Mutex<HashMap<String, AppEntry>>,
    nonce: Mutex<NonceClock>,
    assertion_ids: Mutex<SeenIds>,
    proof_ids: Mutex<SeenIds>,
    tokens: Mutex<HashMap<String, IssuedToken>>,
}

/// The org's service apps and its authorization server state. Cheap to
/// clone (shared).
#[derive(Clone)]
pub struct SimOAuthApps {
    inner: Arc<OAuthServerState>,
}

impl std::fmt::Debug for SimOAuthApps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOAuthApps")
            .field("token_url", &self.inner.token_url)
            .field("settings", &self.inner.settings)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl SimOAuthApps {
    /// An authorization server for the org at `org_url` (`http://127.0.0.1:port`);
    /// its token URL, the assertions' required `aud`, is `{org_url}/oauth2/v1/token`.
    pub(crate) fn new(org_url: &str, settings: SimOAuthSettings) -> SimOAuthApps {
        let token_url = format!("{}{TOKEN_PATH}", org_url.trim_end_matches('/'));
        // Normalize the way clients do (`Url` adds nothing to an origin-only
        // URL, but lower-cases the host).
        let token_url = url::Url::parse(&token_url)
            .map(String::from)
            .unwrap_or(token_url);
        SimOAuthApps {
            inner: Arc::new(OAuthServerState {
                token_url,
                nonce: Mutex::new(NonceClock::new(settings.nonce_period)),
                settings,
                apps: Mutex::new(HashMap::new()),
                assertion_ids: Mutex::new(SeenIds::default()),
                proof_ids: Mutex::new(SeenIds::default()),
                tokens: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Registers (or replaces) a service app.
    pub fn register(&self, app: SimServiceApp) {
        lock(&self.inner.apps).insert(
            app.client_id.clone(),
            AppEntry {
                app,
                record: SimAppRecord::default(),
            },
        );
    }

    /// Adds a public key to an app (first step of a rotation); false if the
    /// app is unknown or the `kid` is taken.
    pub fn add_key(&self, client_id: &str, jwk: PublicJwk) -> bool {
        let mut apps = lock(&self.inner.apps);
        let Some(entry) = apps.get_mut(client_id) else {
            return false;
        };
        if entry.app.keys.iter().any(|key| key.kid == jwk.kid) {
            return false;
        }
        entry.app.keys.push(jwk);
        true
    }

    /// Removes a public key (last step of a rotation); false if absent.
    pub fn remove_key(&self, client_id: &str, kid: &str) -> bool {
        let mut apps = lock(&self.inner.apps);
        let Some(entry) = apps.get_mut(client_id) else {
            return false;
        };
        let before = entry.app.keys.len();
        entry.app.keys.retain(|key| key.kid.as_deref() != Some(kid));
        entry.app.keys.len() != before
    }

    /// The token endpoint URL.
    pub fn token_url(&self) -> &str {
        &self.inner.token_url
    }

    /// How the authorization server behaves.
    pub(super) fn settings(&self) -> &SimOAuthSettings {
        &self.inner.settings
    }

    /// The DPoP nonce in force now.
    pub fn current_dpop_nonce(&self) -> String {
        lock(&self.inner.nonce).current()
    }

    /// Changes the DPoP nonce now, as if the period had passed.
    pub fn rotate_dpop_nonce(&self) {
        lock(&self.inner.nonce).rotate();
    }

    /// Revokes every access token issued so far.
    pub fn revoke_all_tokens(&self) {
        lock(&self.inner.tokens).clear();
    }

    /// What an app did so far.
    pub fn record(&self, client_id: &str) -> Option<SimAppRecord> {
        lock(&self.inner.apps)
            .get(client_id)
            .map(|entry| entry.record.clone())
    }

    pub(super) fn app_keys(&self, client_id: &str) -> Option<Vec<PublicJwk>> {
        lock(&self.inner.apps)
            .get(client_id)
            .map(|entry| entry.app.keys.clone())
    }

    pub(super) fn app_scopes(&self, client_id: &str) -> Option<Vec<String>> {
        lock(&self.inner.apps)
            .get(client_id)
            .map(|entry| entry.app.scopes.clone())
    }

    pub(super) fn requires_dpop(&self, client_id: &str) -> bool {
        lock(&self.inner.apps)
            .get(client_id)
            .is_some_and(|entry| entry.app.require_dpop)
    }

    pub(super) fn with_record(&self, client_id: &str, change: impl FnOnce(&mut SimAppRecord)) {
        if let Some(entry) = lock(&self.inner.apps).get_mut(client_id) {
            change(&mut entry.record);
        }
    }

    pub(super) fn store_token(&self, access_token: String, issued: IssuedToken) {
        let now = Instant::now();
        let mut tokens = lock(&self.inner.tokens);
        tokens.retain(|_, token| token.expires_at > now);
        tokens.insert(access_token, issued);
    }

    pub(super) fn issued_token(&self, access_token: &str) -> Option<IssuedToken> {
        lock(&self.inner.tokens).get(access_token).cloned()
    }

    pub(super) fn first_use_of_assertion(&self, id: &str, forget_after: Instant) -> bool {
        lock(&self.inner.assertion_ids).first_use(id.to_owned(), forget_after)
    }

    pub(super) fn first_use_of_proof(&self, jti: &str) -> bool {
        let forget_after = Instant::now() + self.inner.settings.proof_max_age * 2;
        lock(&self.inner.proof_ids).first_use(jti.to_owned(), forget_after)
    }
}
