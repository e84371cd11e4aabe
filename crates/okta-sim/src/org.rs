//! The org's shared state: everything a simulated org keeps while it runs
//! (users, transactions, pushes, factor state, API tokens, OAuth apps, rate
//! limits, faults and the record of what it received), built once from the
//! [`SimConfig`] and seen by every handler and middleware through an `Arc`.

use std::net::SocketAddr;
use std::time::SystemTime;

use tokio::sync::watch;

use super::api_token::ApiTokens;
use super::config::{FactorListSpelling, SimConfig};
use super::direct::SimDirect;
use super::factors::FactorRuntime;
use super::faults::SimFaults;
use super::oauth::SimOAuthApps;
use super::push::Pushes;
use super::rate_limit::{Concurrency, RateLimitBucket};
use super::records::SimRecords;
use super::system_log::SystemLog;
use super::transactions::Transactions;
use super::user_store::UserStore;

/// The org's shared state, seen by every handler and middleware.
pub(crate) struct SimOrg {
    /// `http://127.0.0.1:<port>`: where links in answers point.
    pub base_url: String,
    pub api_tokens: ApiTokens,
    pub oauth: SimOAuthApps,
    /// Direct Authentication: OIDC apps, signing keys, transactions.
    pub direct: SimDirect,
    pub users: UserStore,
    pub transactions: Transactions,
    pub pushes: Pushes,
    pub factors: FactorRuntime,
    pub records: SimRecords,
    /// The events admins' actions leave, for `GET /api/v1/logs`.
    pub system_log: SystemLog,
    pub faults: SimFaults,
    pub authn_bucket: RateLimitBucket,
    pub user_bucket: RateLimitBucket,
    pub api_bucket: RateLimitBucket,
    pub token_bucket: RateLimitBucket,
    pub concurrency: Concurrency,
    pub show_lockout_failures: bool,
    pub group_page_size: usize,
    pub factor_list_spelling: FactorListSpelling,
    pub admin_login: String,
    /// When the org started: the `created` and `passwordChanged` of everything.
    pub started: SystemTime,
    shutdown: watch::Receiver<bool>,
}

impl SimOrg {
    /// The state of an org listening on `addr`, set up as `config` says,
    /// that stops when `shutdown` turns true.
    pub fn new(config: SimConfig, addr: SocketAddr, shutdown: watch::Receiver<bool>) -> SimOrg {
        SimOrg {
            base_url: format!("http://{addr}"),
            api_tokens: ApiTokens::new(config.api_tokens),
            oauth: SimOAuthApps::new(&format!("http://{addr}"), config.oauth),
            direct: SimDirect::new(
                config.oidc_apps,
                config.direct_poll_interval,
                config.keys_max_age,
                config.capacity,
            ),
            users: UserStore::new(config.users, config.max_failed_attempts),
            transactions: Transactions::new(config.state_token_lifetime, config.capacity),
            pushes: Pushes::new(config.capacity),
            factors: FactorRuntime::new(config.max_factor_attempts, config.code_resend_interval),
            records: SimRecords::default(),
            system_log: SystemLog::default(),
            faults: SimFaults::default(),
            authn_bucket: RateLimitBucket::new(config.authn_rate_limit),
            user_bucket: RateLimitBucket::new(config.user_rate_limit),
            api_bucket: RateLimitBucket::new(config.api_rate_limit),
            token_bucket: RateLimitBucket::new(config.token_rate_limit),
            concurrency: Concurrency::new(config.concurrency_limit),
            show_lockout_failures: config.show_lockout_failures,
            group_page_size: config.group_page_size.max(1),
            factor_list_spelling: config.factor_list_spelling,
            admin_login: config.admin_login,
            started: SystemTime::now(),
            shutdown,
        }
    }

    /// Resolves when the org is shutting down (or its handle is gone).
    pub async fn stopped(&self) {
        let mut shutdown = self.shutdown.clone();
        // An error means the handle was dropped: that is a shutdown too.
        let _ = shutdown.wait_for(|stop| *stop).await;
    }
}
