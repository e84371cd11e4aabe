//! What the per-user limits hold for one login, and clearing them: a user
//! (often a network administrator) locked out by wrong passwords or push
//! cooldowns is let in again without restarting the server. Reached from
//! `okta-radius admin throttle` through the metrics listener. In a fleet
//! the counts shown are the fleet's (failed passwords, pushes, cooldown,
//! a push pending at any replica), the numbers every replica decides on.

use super::context::Context;
use super::fleet_push;
use super::identity::UserKey;
use serde::Serialize;

/// The limits on one login.
#[derive(Debug, Clone, Serialize)]
pub struct UserLimits {
    /// The login as it is sent to Okta (after the `[users]` rules).
    pub login: String,
    /// Wrong passwords inside the throttle's window (across all sources,
    /// or from the worst source when that is higher).
    pub failed_logins: u64,
    /// Whether new logins are refused for too many wrong passwords (from
    /// the worst source).
    pub throttled: bool,
    /// The sources (Calling-Station-Id) the wrong passwords came from.
    pub sources: Vec<SourceLimits>,
    /// Whose failed-password counts these are: `fleet` (every replica's,
    /// read from Redis) or `server` (this process's: no `[cluster]`, or
    /// Redis did not answer).
    pub counted_by: &'static str,
    /// Whether a push waits for its answer.
    pub push_pending: bool,
    /// Pushes sent in the last minute.
    pub pushes_last_minute: usize,
    /// Seconds left of the cooldown after a rejected push.
    pub push_cooldown_seconds: u64,
}

/// The failed passwords of one login from one source.
#[derive(Debug, Clone, Serialize)]
pub struct SourceLimits {
    /// Calling-Station-Id as sent; empty for requests without one.
    pub source: String,
    /// The login's wrong passwords from this source.
    pub failed_logins: u64,
    /// Wrong passwords from this source for any user.
    pub source_failed_logins: u64,
    /// Whether the login is refused from this source now.
    pub throttled: bool,
}

/// Every key the login's limits may be held under (in a fleet, the user
/// id another replica learnt included).
async fn keys(context: &Context, login: &str) -> Vec<UserKey> {
    context
        .identities
        .fleet_keys(login)
        .await
        .as_slice()
        .to_vec()
}

/// What the limits hold for `login`, over every key it was counted under.
pub(super) async fn report(context: &Context, login: &str) -> UserLimits {
    let keys = keys(context, login).await;
    let throttle = context.throttle.report(&keys).await;
    let mut limits = UserLimits {
        login: login.to_owned(),
        failed_logins: throttle.failures,
        throttled: throttle.throttled,
        sources: throttle
            .sources
            .into_iter()
            .map(|source| SourceLimits {
                source: source.source,
                failed_logins: source.failures,
                source_failed_logins: source.source_failures,
                throttled: source.throttled,
            })
            .collect(),
        counted_by: if throttle.fleet { "fleet" } else { "server" },
        push_pending: false,
        pushes_last_minute: 0,
        push_cooldown_seconds: 0,
    };
    for key in &keys {
        let (pending, sent, cooldown) = context.pushes.status_of(key).await;
        limits.push_pending |= pending;
        if !limits.push_pending
            && let Some(fleet) = context.cluster.fleet()
        {
            limits.push_pending = fleet_push::pending_elsewhere(fleet, key).await;
        }
        limits.pushes_last_minute = limits.pushes_last_minute.max(sent);
        limits.push_cooldown_seconds = limits.push_cooldown_seconds.max(cooldown.as_secs());
    }
    limits
}

/// Clears `login`'s failed-password count, pending push and push ledger;
/// returns what they held.
pub(super) async fn clear(context: &Context, login: &str) -> UserLimits {
    let before = report(context, login).await;
    let keys = keys(context, login).await;
    context.throttle.forgive(&keys).await;
    for key in &keys {
        context.pushes.forget_user(key).await;
    }
    tracing::warn!(
        user = %login,
        failed_logins = before.failed_logins,
        push_pending = before.push_pending,
        "an administrator cleared this user's login limits"
    );
    before
}
