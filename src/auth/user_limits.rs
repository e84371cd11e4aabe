//! What the per-user limits hold for one login, and clearing them: a user
//! (often a network administrator) locked out by wrong passwords or push
//! cooldowns is let in again without restarting the server. Reached from
//! `okta-radius admin throttle` through the metrics listener.

use super::context::Context;
use super::identity::UserKey;
use serde::Serialize;

/// The limits on one login, as this process holds them.
#[derive(Debug, Clone, Serialize)]
pub struct UserLimits {
    /// The login as it is sent to Okta (after the `[users]` rules).
    pub login: String,
    /// Wrong passwords inside the throttle's window.
    pub failed_logins: usize,
    /// Whether new logins are refused for too many wrong passwords.
    pub throttled: bool,
    /// Whether a push waits for its answer.
    pub push_pending: bool,
    /// Pushes sent in the last minute.
    pub pushes_last_minute: usize,
    /// Seconds left of the cooldown after a rejected push.
    pub push_cooldown_seconds: u64,
}

/// Every key the login's limits may be held under.
fn keys(context: &Context, login: &str) -> Vec<UserKey> {
    context.identities.keys(login).as_slice().to_vec()
}

/// What the limits hold for `login`, over every key it was counted under.
pub(super) fn report(context: &Context, login: &str) -> UserLimits {
    let mut limits = UserLimits {
        login: login.to_owned(),
        failed_logins: 0,
        throttled: false,
        push_pending: false,
        pushes_last_minute: 0,
        push_cooldown_seconds: 0,
    };
    for key in keys(context, login) {
        let (failures, throttled) = context.throttle.failures(&key);
        let (pending, sent, cooldown) = context.pushes.status_of(&key);
        limits.failed_logins = limits.failed_logins.max(failures);
        limits.throttled |= throttled;
        limits.push_pending |= pending;
        limits.pushes_last_minute = limits.pushes_last_minute.max(sent);
        limits.push_cooldown_seconds = limits.push_cooldown_seconds.max(cooldown.as_secs());
    }
    limits
}

/// Clears `login`'s failed-password count, pending push and push ledger;
/// returns what they held.
pub(super) async fn clear(context: &Context, login: &str) -> UserLimits {
    let before = report(context, login);
    let keys = keys(context, login);
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
