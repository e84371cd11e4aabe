//! The handle of a running simulated org: its address, and the hooks a
//! test or a demo uses to look at what the org received and to change it
//! while it runs (faults, user status, pushes, codes, API tokens, OAuth
//! apps, and the admin actions that leave System Log events). Dropping the handle stops the org.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::SystemTime;

use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::direct::SimDirect;
use super::faults::SimFaults;
use super::oauth::SimOAuthApps;
use super::org::SimOrg;
use super::records::SimRecords;
use super::users::SimUserStatus;
use okta_api::authn::FactorType;
use okta_api::system_log::event_types;

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
    /// The handle of the org `org`, served on `addr` by `task` until `stop`
    /// says so.
    pub(crate) fn new(
        addr: SocketAddr,
        org: Arc<SimOrg>,
        stop: watch::Sender<bool>,
        task: JoinHandle<std::io::Result<()>>,
    ) -> SimHandle {
        SimHandle {
            addr,
            org,
            stop,
            task: Some(task),
        }
    }

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

    /// An admin deactivates the user: their status becomes DEPROVISIONED
    /// and the System Log gets `user.lifecycle.deactivate`. False when
    /// there is no such user.
    pub fn deactivate_user(&self, login: &str) -> bool {
        self.change_user(
            login,
            Some(SimUserStatus::Deprovisioned),
            event_types::USER_DEACTIVATE,
            "Deactivate Okta user",
        )
    }

    /// An admin suspends the user (`user.lifecycle.suspend`).
    pub fn suspend_user(&self, login: &str) -> bool {
        self.change_user(
            login,
            Some(SimUserStatus::Suspended),
            event_types::USER_SUSPEND,
            "Suspend Okta user",
        )
    }

    /// An admin clears the user's sessions (`user.session.clear`).
    pub fn clear_user_sessions(&self, login: &str) -> bool {
        self.change_user(
            login,
            None,
            event_types::USER_SESSION_CLEAR,
            "Clear user session",
        )
    }

    /// An admin resets the user's password (`user.account.reset_password`).
    pub fn reset_password(&self, login: &str) -> bool {
        self.change_user(
            login,
            None,
            event_types::USER_RESET_PASSWORD,
            "Reset password for Okta user",
        )
    }

    /// An admin removes the user from a group
    /// (`group.user_membership.remove`, naming the user and the group).
    /// False when the user was not in it.
    pub fn remove_from_group(&self, login: &str, group: &str) -> bool {
        let Some(user) = self.org.users.by_login(login) else {
            return false;
        };
        if !self.org.users.remove_group(login, group) {
            return false;
        }
        self.org.system_log.emit(
            event_types::GROUP_MEMBERSHIP_REMOVE,
            "Remove user from group membership",
            user.login(),
            &user.id,
            Some(group),
        );
        true
    }

    fn change_user(
        &self,
        login: &str,
        status: Option<SimUserStatus>,
        event_type: &str,
        message: &str,
    ) -> bool {
        let Some(user) = self.org.users.by_login(login) else {
            return false;
        };
        if let Some(status) = status {
            self.org.users.set_status(login, status);
        }
        self.org
            .system_log
            .emit(event_type, message, user.login(), &user.id, None);
        true
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

    /// Direct Authentication: OIDC apps, signing-key rotation, `/keys`
    /// outages, spoiled ID tokens, `slow_down`.
    pub fn direct(&self) -> &SimDirect {
        &self.org.direct
    }

    /// A shared handle on Direct Authentication that outlives a borrow of
    /// the org (for a task that rotates keys while the org runs).
    pub fn direct_handle(&self) -> SimDirectHandle {
        SimDirectHandle(self.org.clone())
    }

    /// The org's OAuth service apps and authorization server.
    pub fn oauth(&self) -> &SimOAuthApps {
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

/// A clonable handle on the org's Direct Authentication.
#[derive(Clone)]
pub struct SimDirectHandle(Arc<SimOrg>);

impl SimDirectHandle {
    /// Rotates the signing key: see [`SimDirect::rotate_signing_key`].
    pub fn rotate_signing_key(&self) -> String {
        self.0.direct.rotate_signing_key()
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.stop.send(true);
    }
}
