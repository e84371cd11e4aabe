//! The OAuth side of the simulated org: API Services apps (client id, public
//! JWKs by `kid`, granted scopes, whether DPoP is required), the org
//! authorization server's token endpoint, and the check a management
//! endpoint makes on `Authorization: DPoP <token>` + `DPoP` proof.
//!
//! The bridge's OAuth client is tested against it
//! over real HTTP. It keeps, per app, what a test wants to assert: how many
//! token requests came, how many tokens were issued, which `kid`s signed.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use okta_sim::oauth::{self, SimOAuthSettings, SimServiceApp};
//! let server = oauth::start_for_tests(SimOAuthSettings::default()).await?;
//! # let public_jwk: okta_api::jose::jwk::PublicJwk = todo!();
//! server.apps().register(SimServiceApp {
//!     client_id: "0oa-radius".into(),
//!     keys: vec![public_jwk],
//!     scopes: vec!["okta.users.read".into()],
//!     require_dpop: true,
//! });
//! println!("token endpoint: {}", server.apps().token_url());
//! # Ok(()) }
//! ```

mod proofs;
mod resource;
mod token_endpoint;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::task::JoinHandle;

pub use resource::{GrantedToken, Rejection};

use okta_api::jose::jwk::PublicJwk;
use okta_api::oauth::TOKEN_PATH;
use proofs::{NonceClock, SeenIds};

/// How the simulated authorization server behaves.
#[derive(Debug, Clone)]
pub struct SimOAuthSettings {
    /// `expires_in` of issued access tokens (Okta: 3600 s).
    pub token_lifetime: Duration,
    /// How often the DPoP nonce changes.
    pub nonce_period: Duration,
    /// How far a DPoP proof's `iat` may be from now.
    pub proof_max_age: Duration,
}

impl Default for SimOAuthSettings {
    fn default() -> SimOAuthSettings {
        SimOAuthSettings {
            token_lifetime: Duration::from_secs(3600),
            nonce_period: Duration::from_secs(300),
            proof_max_age: Duration::from_secs(60),
        }
    }
}

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
struct IssuedToken {
    client_id: String,
    scopes: Vec<String>,
    /// Thumbprint of the DPoP key it is bound to; `None`: a bearer token.
    jkt: Option<String>,
    expires_at: Instant,
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
    pub fn new(org_url: &str, settings: SimOAuthSettings) -> SimOAuthApps {
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

    fn app_keys(&self, client_id: &str) -> Option<Vec<PublicJwk>> {
        lock(&self.inner.apps)
            .get(client_id)
            .map(|entry| entry.app.keys.clone())
    }

    fn app_scopes(&self, client_id: &str) -> Option<Vec<String>> {
        lock(&self.inner.apps)
            .get(client_id)
            .map(|entry| entry.app.scopes.clone())
    }

    fn requires_dpop(&self, client_id: &str) -> bool {
        lock(&self.inner.apps)
            .get(client_id)
            .is_some_and(|entry| entry.app.require_dpop)
    }

    fn with_record(&self, client_id: &str, change: impl FnOnce(&mut SimAppRecord)) {
        if let Some(entry) = lock(&self.inner.apps).get_mut(client_id) {
            change(&mut entry.record);
        }
    }

    fn store_token(&self, access_token: String, issued: IssuedToken) {
        let now = Instant::now();
        let mut tokens = lock(&self.inner.tokens);
        tokens.retain(|_, token| token.expires_at > now);
        tokens.insert(access_token, issued);
    }

    fn issued_token(&self, access_token: &str) -> Option<IssuedToken> {
        lock(&self.inner.tokens).get(access_token).cloned()
    }

    fn first_use_of_assertion(&self, id: &str, forget_after: Instant) -> bool {
        lock(&self.inner.assertion_ids).first_use(id.to_owned(), forget_after)
    }

    fn first_use_of_proof(&self, jti: &str) -> bool {
        let forget_after = Instant::now() + self.inner.settings.proof_max_age * 2;
        lock(&self.inner.proof_ids).first_use(jti.to_owned(), forget_after)
    }
}

/// The routes of the org authorization server: `POST /oauth2/v1/token`.
/// They answer OAuth errors themselves and need no SSWS token. They carry
/// their own state, so they merge into a router of any state type.
pub fn routes<S>(apps: SimOAuthApps) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(TOKEN_PATH, post(token_endpoint::token))
        .with_state(apps)
}

/// A stand-alone OAuth org for tests: the token endpoint plus
/// `GET /api/v1/users/me` guarded by [`SimOAuthApps::check_resource_request`]
/// (it needs `okta.users.read` and answers `{"client_id","scopes"}`).
pub struct SimOAuthServer {
    pub addr: SocketAddr,
    apps: SimOAuthApps,
    task: JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for SimOAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOAuthServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimOAuthServer {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn apps(&self) -> &SimOAuthApps {
        &self.apps
    }
}

impl Drop for SimOAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a [`SimOAuthServer`] on a free loopback port.
pub async fn start_for_tests(settings: SimOAuthSettings) -> std::io::Result<SimOAuthServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let apps = SimOAuthApps::new(&format!("http://{addr}"), settings);
    let router = routes(apps.clone()).merge(
        Router::new()
            .route("/api/v1/users/me", get(protected_users_me))
            .with_state(apps.clone()),
    );
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(SimOAuthServer { addr, apps, task })
}

/// A management endpoint as the sim's would guard it.
async fn protected_users_me(State(apps): State<SimOAuthApps>, request: Request) -> Response {
    match apps.check_resource_request(request.method(), request.uri(), request.headers()) {
        Ok(granted) if granted.has_scope("okta.users.read") => (
            StatusCode::OK,
            axum::Json(json!({"client_id": granted.client_id, "scopes": granted.scopes})),
        )
            .into_response(),
        Ok(_) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({
                "errorCode": okta_api::error::codes::FORBIDDEN,
                "errorSummary": "You do not have permission to perform the requested action",
            })),
        )
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}
