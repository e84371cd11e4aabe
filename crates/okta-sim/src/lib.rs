//! A simulated Okta org: an HTTP server on loopback that answers the Classic
//! Authentication API (`/api/v1/authn`, factor verification, cancel, skip)
//! and the management calls the bridge makes (users, groups, factors, factor
//! verification) the way a real org does, so the bridge can be demonstrated
//! and tested end to end over real HTTP, without an Okta tenant.
//!
//! The org is assembled from one file per idea: the user directory
//! (`users`, loaded by `directory`), primary authentication (`authn`),
//! its transactions and states, factor verification (`factor_verify`,
//! `factors`, `push`, [`totp`]), the management API (`management`,
//! `user_factors`), the API tokens and their 30-day life (`api_token`), the
//! OAuth authorization server ([`oauth`], whose DPoP-bound tokens the
//! management endpoints accept too), rate-limit buckets and the concurrency
//! limit, injected faults, and the record of what the org received. Every answer carries `X-Okta-Request-Id` and
//! `Content-Type: application/json`; errors use Okta's error body.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use okta_sim::{self as sim, SimConfig, SimDirectory};
//! let directory = SimDirectory::from_toml_file("config/demo-users.toml")
//!     .map_err(std::io::Error::other)?;
//! let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
//! let org = sim::start(SimConfig::new(directory.users, "demo-token"), listen).await?;
//! println!("org at {}", org.base_url());
//! # Ok(()) }
//! ```

mod api_token;
mod authn;
mod directory;
mod factor_verify;
mod factors;
mod faults;
mod ids;
mod management;
pub mod oauth;
mod push;
mod rate_limit;
mod records;
mod responses;
mod states;
pub mod totp;
mod transactions;
mod user_factors;
mod users;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use factors::FactorRuntime;
use push::Pushes;
use secrecy::SecretString;
use tokio::sync::watch;
use tokio::task::JoinHandle;

pub use directory::{SimDirectory, SimDirectoryError};
pub use faults::{SimFaultMode, SimFaults, SimRateLimited};
pub use records::{SimRecords, SimRequest};
pub use users::{SimFactor, SimPushResponse, SimUser, SimUserStatus};

use okta_api::authn::FactorType;
use okta_api::error::codes;
use rate_limit::{Bucket, RateLimitBucket};
use transactions::Transactions;
use users::UserStore;

/// Which key lists the factors of `MFA_REQUIRED`: Okta's answers use
/// `factors`, recent documentation spells it `factor`. The client reads both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FactorListSpelling {
    #[default]
    Factors,
    Factor,
}

/// How the simulated org is set up.
#[derive(Debug, Clone)]
pub struct SimConfig {
    pub users: Vec<SimUser>,
    /// API tokens the org accepts in `Authorization: SSWS <token>`.
    pub api_tokens: Vec<SecretString>,
    /// Calls per minute allowed on `/api/v1/authn` (Okta: 100 to 600).
    pub authn_rate_limit: u32,
    /// Calls per minute allowed on the rest of `/api/v1`.
    pub api_rate_limit: u32,
    /// Calls per minute allowed on `GET /api/v1/users/{id or login}`.
    pub user_rate_limit: u32,
    /// Calls per minute allowed on `/oauth2/v1/token`.
    pub token_rate_limit: u32,
    /// Requests in flight at once before the concurrency 429 (Okta: 75, 35
    /// on free plans); 0: no limit.
    pub concurrency_limit: u32,
    /// The org authorization server (OAuth service apps).
    pub oauth: oauth::SimOAuthSettings,
    /// Wrong passwords in a row that lock a user out (password policy); 0: never.
    pub max_failed_attempts: u32,
    /// Answer `LOCKED_OUT` to a locked-out user; false hides it as `E0000004`
    /// (Okta's default setting).
    pub show_lockout_failures: bool,
    /// How long a stateToken lives without use.
    pub state_token_lifetime: Duration,
    /// Wrong passcodes or answers in a row that lock a user out (factor
    /// lockout, 403 `E0000069`); 0: never.
    pub max_factor_attempts: u32,
    /// Least time between two codes sent for one SMS, call or email factor
    /// (Okta: 30 s; sooner is 429 `E0000109`, `E0000133` or `E0000118`).
    pub code_resend_interval: Duration,
    /// Groups per page of `GET /api/v1/users/{id}/groups` when the caller
    /// gives no `limit` (Okta: 200); a small value exercises pagination.
    pub group_page_size: usize,
    pub factor_list_spelling: FactorListSpelling,
    /// Login of the admin that owns the API tokens (`/api/v1/users/me`).
    pub admin_login: String,
    /// Open transactions, and pushes in flight, the org keeps at most (the
    /// oldest give way first).
    pub capacity: usize,
}

impl SimConfig {
    /// An org with these users and one API token, and Okta-like defaults.
    pub fn new(users: Vec<SimUser>, api_token: impl Into<String>) -> SimConfig {
        SimConfig {
            users,
            api_tokens: vec![SecretString::from(api_token.into())],
            authn_rate_limit: 600,
            api_rate_limit: 1200,
            user_rate_limit: 2000,
            token_rate_limit: 1200,
            concurrency_limit: 75,
            oauth: oauth::SimOAuthSettings::default(),
            max_failed_attempts: 10,
            show_lockout_failures: true,
            state_token_lifetime: Duration::from_secs(300),
            max_factor_attempts: 5,
            code_resend_interval: Duration::from_secs(30),
            group_page_size: 200,
            factor_list_spelling: FactorListSpelling::Factors,
            admin_login: "radius-service@example.com".to_owned(),
            capacity: 10_000,
        }
    }
}

/// The org's shared state, seen by every handler and middleware.
struct SimOrg {
    base_url: String,
    api_tokens: api_token::ApiTokens,
    oauth: oauth::SimOAuthApps,
    users: UserStore,
    transactions: Transactions,
    pushes: Pushes,
    factors: FactorRuntime,
    records: SimRecords,
    faults: SimFaults,
    authn_bucket: RateLimitBucket,
    user_bucket: RateLimitBucket,
    api_bucket: RateLimitBucket,
    token_bucket: RateLimitBucket,
    concurrency: rate_limit::Concurrency,
    show_lockout_failures: bool,
    group_page_size: usize,
    factor_list_spelling: FactorListSpelling,
    admin_login: String,
    started: SystemTime,
    shutdown: watch::Receiver<bool>,
}

impl SimOrg {
    /// Resolves when the org is shutting down (or its handle is gone).
    async fn stopped(&self) {
        let mut shutdown = self.shutdown.clone();
        // An error means the handle was dropped: that is a shutdown too.
        let _ = shutdown.wait_for(|stop| *stop).await;
    }
}

/// Starts a simulated org listening on `listen` (`127.0.0.1:0` picks a port).
pub async fn start(config: SimConfig, listen: SocketAddr) -> std::io::Result<SimHandle> {
    SimDirectory {
        users: config.users.clone(),
    }
    .validate()
    .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;

    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let org = Arc::new(SimOrg {
        base_url: format!("http://{addr}"),
        api_tokens: api_token::ApiTokens::new(config.api_tokens),
        oauth: oauth::SimOAuthApps::new(&format!("http://{addr}"), config.oauth),
        users: UserStore::new(config.users, config.max_failed_attempts),
        transactions: Transactions::new(config.state_token_lifetime, config.capacity),
        pushes: Pushes::new(config.capacity),
        factors: FactorRuntime::new(config.max_factor_attempts, config.code_resend_interval),
        records: SimRecords::default(),
        faults: SimFaults::default(),
        authn_bucket: RateLimitBucket::new(config.authn_rate_limit),
        user_bucket: RateLimitBucket::new(config.user_rate_limit),
        api_bucket: RateLimitBucket::new(config.api_rate_limit),
        token_bucket: RateLimitBucket::new(config.token_rate_limit),
        concurrency: rate_limit::Concurrency::new(config.concurrency_limit),
        show_lockout_failures: config.show_lockout_failures,
        group_page_size: config.group_page_size.max(1),
        factor_list_spelling: config.factor_list_spelling,
        admin_login: config.admin_login,
        started: SystemTime::now(),
        shutdown: shutdown.clone(),
    });

    let router = routes(&org);
    let mut server_shutdown = shutdown;
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = server_shutdown.wait_for(|stop| *stop).await;
            })
            .await
    });
    Ok(SimHandle {
        addr,
        org,
        stop,
        task: Some(task),
    })
}

fn routes(org: &Arc<SimOrg>) -> Router {
    let authn = Router::new()
        .route("/api/v1/authn", post(authn::primary_authn))
        .route(
            "/api/v1/authn/factors/{factor_id}/verify",
            post(factor_verify::verify),
        )
        .route(
            "/api/v1/authn/factors/{factor_id}/verify/resend",
            post(factor_verify::resend),
        )
        .route("/api/v1/authn/cancel", post(factor_verify::cancel))
        .route("/api/v1/authn/skip", post(factor_verify::skip))
        .route_layer(middleware::from_fn_with_state(
            (org.clone(), Bucket::Authn),
            rate_limit::enforce,
        ));
    let management = Router::new()
        .route("/api/v1/users/me", get(management::users_me))
        .route("/api/v1/users", get(management::search))
        .route("/api/v1/users/{user}/groups", get(management::groups))
        .route("/api/v1/users/{user}/factors", get(management::factors))
        .route(
            "/api/v1/users/{user}/factors/{factor}/verify",
            post(user_factors::verify),
        )
        .route(
            "/api/v1/users/{user}/factors/{factor}/transactions/{transaction}",
            get(user_factors::poll).delete(user_factors::cancel),
        )
        .route_layer(middleware::from_fn_with_state(
            (org.clone(), Bucket::Api),
            rate_limit::enforce,
        ));
    let user_by_id = Router::new()
        .route("/api/v1/users/{user}", get(management::user))
        .route_layer(middleware::from_fn_with_state(
            (org.clone(), Bucket::UserById),
            rate_limit::enforce,
        ));
    let token_endpoint = oauth::routes(org.oauth.clone()).route_layer(
        middleware::from_fn_with_state((org.clone(), Bucket::Token), rate_limit::enforce),
    );
    Router::new()
        .merge(authn)
        .merge(management)
        .merge(user_by_id)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(middleware::from_fn_with_state(
            org.clone(),
            api_token::require,
        ))
        // The token endpoint needs no API token.
        .merge(token_endpoint)
        .layer(middleware::from_fn_with_state(org.clone(), faults::inject))
        .layer(middleware::from_fn_with_state(
            org.clone(),
            rate_limit::limit_concurrency,
        ))
        .layer(middleware::from_fn_with_state(org.clone(), records::record))
        .layer(middleware::from_fn_with_state(org.clone(), stamp))
        .with_state(org.clone())
}

/// Middleware: every answer gets a fresh `X-Okta-Request-Id`, a JSON
/// content type and a `Date` on the org's clock.
async fn stamp(State(org): State<Arc<SimOrg>>, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let date = httpdate::fmt_http_date(org.faults.org_time(SystemTime::now()));
    if let Ok(date) = HeaderValue::from_str(&date) {
        headers.insert(header::DATE, date);
    }
    if let Ok(id) = HeaderValue::from_str(&ids::random_token(27)) {
        headers.insert("x-okta-request-id", id);
    }
    headers
        .entry(header::CONTENT_TYPE)
        .or_insert(HeaderValue::from_static("application/json"));
    response
}

async fn not_found(uri: Uri) -> Response {
    responses::okta_error(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        &format!("Not found: Resource not found: {} (Endpoint)", uri.path()),
    )
}

async fn method_not_allowed() -> Response {
    responses::okta_error(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "The endpoint does not support the provided HTTP method",
    )
}

/// A running simulated org. Dropping it stops the org.
pub struct SimHandle {
    pub addr: SocketAddr,
    org: Arc<SimOrg>,
    stop: watch::Sender<bool>,
    task: Option<JoinHandle<std::io::Result<()>>>,
}

impl std::fmt::Debug for SimHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimHandle")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimHandle {
    /// `http://127.0.0.1:<port>`: the org URL to give the client.
    pub fn base_url(&self) -> String {
        self.org.base_url.clone()
    }

    /// What the org has received.
    pub fn records(&self) -> &SimRecords {
        &self.org.records
    }

    /// The org's fault switches.
    pub fn faults(&self) -> &SimFaults {
        &self.org.faults
    }

    /// A user's current status (it changes when failed attempts lock them out).
    pub fn user_status(&self, login: &str) -> Option<SimUserStatus> {
        self.org.users.status(login)
    }

    /// Changes a user's status, like an admin unlocking them; false if unknown.
    pub fn set_user_status(&self, login: &str, status: SimUserStatus) -> bool {
        self.org.users.set_status(login, status)
    }

    /// The names of a user's groups.
    pub fn user_groups(&self, login: &str) -> Option<Vec<String>> {
        self.org.users.groups(login)
    }

    /// The user answers every push pending for them, as if tapping Approve
    /// (or Deny) in Okta Verify; the next poll sees it. Returns how many
    /// pushes were pending (a cancelled push is no longer pending).
    pub fn resolve_push(&self, login: &str, approve: bool) -> usize {
        self.org.pushes.resolve(login, approve)
    }

    /// The last code "sent" to this user for an `sms`, `call` or `email`
    /// factor: what the user would read on their phone or in their mail.
    pub fn last_code(&self, login: &str, factor_type: &FactorType) -> Option<String> {
        self.org.factors.last_code(login, factor_type)
    }

    /// The org's OAuth service apps and authorization server.
    pub fn oauth(&self) -> &oauth::SimOAuthApps {
        &self.org.oauth
    }

    /// Moves the API token's last use `days` back, as if it had been idle;
    /// past 30 days it is refused (401 `E0000011`).
    pub fn age_api_token(&self, days: u64) {
        self.org.api_tokens.age(days);
    }

    /// Revokes the API token, as an admin would in Security > API > Tokens.
    pub fn revoke_api_token(&self) {
        self.org.api_tokens.revoke();
    }

    /// Deactivates the admin who created the API token: Okta deprovisions it.
    pub fn deactivate_token_creator(&self) {
        self.org.api_tokens.deactivate_creator();
    }

    /// Makes the API token work again (test hook), used now.
    pub fn restore_api_token(&self) {
        self.org.api_tokens.restore();
    }

    /// The API token's last use as the org recorded it.
    pub fn api_token_last_use(&self) -> SystemTime {
        self.org.api_tokens.last_use()
    }

    /// When the API token expires unless used (last use + 30 days).
    pub fn api_token_expires_at(&self) -> SystemTime {
        self.org.api_tokens.expires_at()
    }

    /// HTTP 429 answers sent so far (rate and concurrency limits).
    pub fn rate_limited_responses(&self) -> u64 {
        self.org.concurrency.rate_limited()
    }

    /// The most requests that were in flight at the org at once.
    pub fn peak_concurrency(&self) -> u32 {
        self.org.concurrency.peak()
    }

    /// Stops the org: pending calls (including hanging ones) end, and the
    /// listener closes.
    pub async fn shutdown(mut self) {
        let _ = self.stop.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
