//! How a simulated org is set up: its users and API tokens, the limits Okta
//! applies (rate limits, concurrency, lockouts, resend interval), the
//! lifetimes of its transactions and the small choices of shape a real org
//! varies on. Everything here is read once, when the org starts.

use std::time::Duration;

use secrecy::SecretString;

use super::direct::SimOidcApp;
use super::oauth::SimOAuthSettings;
use super::users::SimUser;

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
    pub oauth: SimOAuthSettings,
    /// OIDC apps for Direct Authentication.
    pub oidc_apps: Vec<SimOidcApp>,
    /// `interval` of a Direct Authentication challenge (Okta: 5 s).
    pub direct_poll_interval: Duration,
    /// `Cache-Control: max-age` of `/keys`.
    pub keys_max_age: Duration,
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
            oauth: SimOAuthSettings::default(),
            oidc_apps: Vec::new(),
            direct_poll_interval: Duration::from_secs(5),
            keys_max_age: Duration::from_secs(3600),
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
