//! Password-spraying protection in front of Okta: failed passwords are
//! counted per user (a [`UserKey`], so every spelling of one login counts
//! together) and per source (the end user's address, from
//! Calling-Station-Id) over a sliding window, and once a limit is reached the
//! next login from that user or source is rejected at once, without calling
//! Okta. Okta's own lockout counters (and the real user's account) are then
//! not burnt by an attacker guessing through the VPN.
//!
//! Only requests that passed the client and Message-Authenticator checks get
//! here, so spoofed packets cannot fill the tables; they are bounded anyway.

use super::identity::UserKey;
use crate::config::abuse::AbuseLimits;
use crate::live::Live;
use crate::telemetry::metrics as m;
use dashmap::DashMap;
use metrics::counter;
use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// The most users or sources tracked at once; past it, expired entries are
/// purged and, if still full, new keys are not tracked.
const MAX_TRACKED: usize = 100_000;
/// At most one warning about throttling per this many seconds.
const LOG_EVERY_SECONDS: u64 = 10;

/// What the user reads when a throttle refuses the login.
pub(super) const THROTTLED_MESSAGE: &str =
    "Too many failed logins. Wait a few minutes before trying again.";

/// Which throttle refused a login (the `kind` metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Throttled {
    User,
    Source,
}

impl Throttled {
    pub(super) fn label(self) -> &'static str {
        match self {
            Throttled::User => "user",
            Throttled::Source => "source",
        }
    }
}

/// Failure counts per user and per source.
pub(super) struct FailureThrottle {
    /// `[abuse]`, replaced by a config reload.
    limits: Live<AbuseLimits>,
    users: DashMap<String, VecDeque<Instant>>,
    sources: DashMap<String, VecDeque<Instant>>,
    started: Instant,
    logged_at: AtomicU64,
}

impl FailureThrottle {
    pub(super) fn new(limits: AbuseLimits) -> FailureThrottle {
        FailureThrottle {
            limits: Live::new(limits),
            users: DashMap::new(),
            sources: DashMap::new(),
            started: Instant::now(),
            logged_at: AtomicU64::new(0),
        }
    }

    /// Whether a new login by `user` from `source` must be refused now.
    /// Counts and logs (rate-limited) the refusal.
    pub(super) fn check(&self, user: &UserKey, source: Option<&str>) -> Option<Throttled> {
        let now = Instant::now();
        let limits = self.limits.get();
        let refused = if over(
            &self.users,
            user.as_str(),
            limits.max_failures_per_user,
            limits.window,
            now,
        ) {
            Some(Throttled::User)
        } else if let Some(source) = source
            && over(
                &self.sources,
                source,
                limits.max_failures_per_source,
                limits.window,
                now,
            )
        {
            Some(Throttled::Source)
        } else {
            None
        };
        if let Some(kind) = refused {
            counter!(m::THROTTLED, "kind" => kind.label()).increment(1);
            self.log(kind, user, source);
        }
        refused
    }

    /// Records a wrong password.
    pub(super) fn failed(&self, user: &UserKey, source: Option<&str>) {
        let now = Instant::now();
        let limits = self.limits.get();
        record(
            &self.users,
            user.as_str(),
            limits.max_failures_per_user,
            limits.window,
            now,
        );
        if let Some(source) = source {
            record(
                &self.sources,
                source,
                limits.max_failures_per_source,
                limits.window,
                now,
            );
        }
    }

    /// Replaces the limits (a config reload); failures already counted
    /// count against the new limits.
    pub(super) fn replace_limits(&self, limits: AbuseLimits) {
        self.limits.set(limits);
    }

    /// Records a correct password: the user's failures, under every key
    /// they were counted by, are forgiven (the source's are not, since one
    /// source may try many users).
    pub(super) fn succeeded(&self, keys: &[UserKey]) {
        for key in keys {
            self.users.remove(key.as_str());
        }
    }

    /// The user's wrong passwords inside the window, and whether they
    /// throttle the user now.
    pub(super) fn failures(&self, user: &UserKey) -> (usize, bool) {
        let now = Instant::now();
        let limits = self.limits.get();
        let count = self.users.get(user.as_str()).map_or(0, |failures| {
            failures
                .iter()
                .filter(|at| now.duration_since(**at) < limits.window)
                .count()
        });
        let throttled =
            limits.max_failures_per_user != 0 && count >= limits.max_failures_per_user as usize;
        (count, throttled)
    }

    fn log(&self, kind: Throttled, user: &UserKey, source: Option<&str>) {
        let now = self.started.elapsed().as_secs() + LOG_EVERY_SECONDS;
        let last = self.logged_at.load(Ordering::Relaxed);
        if now >= last + LOG_EVERY_SECONDS
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                kind = kind.label(),
                user = user.as_str(),
                source = source.unwrap_or(""),
                "too many failed logins: refusing without asking Okta (further refusals are counted in radius_throttled_total, not logged, for {LOG_EVERY_SECONDS} s)"
            );
        }
    }
}

/// The source of a login for the per-source throttle: Calling-Station-Id as
/// sent (a MAC or IP address, depending on the NAS), trimmed.
pub(super) fn source_of(packet: &Packet) -> Option<&str> {
    packet
        .text(types::CALLING_STATION_ID)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn over(
    table: &DashMap<String, VecDeque<Instant>>,
    key: &str,
    limit: u32,
    window: Duration,
    now: Instant,
) -> bool {
    if limit == 0 {
        return false;
    }
    let Some(failures) = table.get(key) else {
        return false;
    };
    let recent = failures
        .iter()
        .filter(|at| now.duration_since(**at) < window)
        .count();
    recent >= limit as usize
}

fn record(
    table: &DashMap<String, VecDeque<Instant>>,
    key: &str,
    limit: u32,
    window: Duration,
    now: Instant,
) {
    if limit == 0 {
        return;
    }
    if table.len() >= MAX_TRACKED && !table.contains_key(key) {
        table.retain(|_, failures| {
            failures
                .back()
                .is_some_and(|at| now.duration_since(*at) < window)
        });
        if table.len() >= MAX_TRACKED {
            return;
        }
    }
    let mut failures = table.entry(key.to_owned()).or_default();
    while failures
        .front()
        .is_some_and(|at| now.duration_since(*at) >= window)
    {
        failures.pop_front();
    }
    failures.push_back(now);
    // Only the newest `limit` failures matter.
    while failures.len() > limit as usize {
        failures.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(user: u32, source: u32) -> AbuseLimits {
        AbuseLimits {
            max_failures_per_user: user,
            max_failures_per_source: source,
            ..AbuseLimits::default()
        }
    }

    fn user(login: &str) -> UserKey {
        UserKey::of_login(login)
    }

    #[test]
    fn a_user_is_refused_after_the_limit_and_forgiven_by_a_success() {
        let throttle = FailureThrottle::new(limits(3, 0));
        for _ in 0..3 {
            assert_eq!(throttle.check(&user("alice"), None), None);
            throttle.failed(&user("alice"), None);
        }
        assert_eq!(throttle.check(&user("ALICE"), None), Some(Throttled::User));
        assert_eq!(throttle.check(&user("bob"), None), None);
        throttle.succeeded(&[user("alice")]);
        assert_eq!(throttle.check(&user("alice"), None), None);
    }

    #[test]
    fn a_source_spraying_many_users_is_refused() {
        let throttle = FailureThrottle::new(limits(5, 4));
        for i in 0..4 {
            throttle.failed(&user(&format!("user{i}")), Some("203.0.113.9"));
        }
        assert_eq!(
            throttle.check(&user("someone-else"), Some("203.0.113.9")),
            Some(Throttled::Source)
        );
        assert_eq!(
            throttle.check(&user("someone-else"), Some("198.51.100.1")),
            None
        );
    }

    #[test]
    fn zero_switches_a_throttle_off() {
        let throttle = FailureThrottle::new(limits(0, 0));
        for _ in 0..50 {
            throttle.failed(&user("alice"), Some("x"));
        }
        assert_eq!(throttle.check(&user("alice"), Some("x")), None);
    }
}
