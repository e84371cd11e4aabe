//! `[abuse]`: limits against password spraying and overload, checked before
//! Okta is asked, so that an attacker guessing passwords spends our budget,
//! not the users' Okta lockout counters.
//!
//! Failures are counted per Okta login and source (the end user's address
//! from Calling-Station-Id), per login and per source over a sliding
//! window; past a limit a login is rejected at once. A slice of the in-flight capacity is kept for
//! requests that answer an Access-Challenge (RFC 5080 §2.2.3: under load,
//! finish the logins already started before taking new ones).

use serde::Deserialize;
use std::time::Duration;

/// `[abuse]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AbuseSection {
    pub max_failures_per_user_and_source: u32,
    pub max_failures_per_user: u32,
    pub max_failures_per_source: u32,
    pub window_seconds: u64,
    pub challenge_reserve_percent: u8,
}

impl Default for AbuseSection {
    fn default() -> Self {
        AbuseSection {
            max_failures_per_user_and_source: 5,
            max_failures_per_user: 10,
            max_failures_per_source: 20,
            window_seconds: 600,
            challenge_reserve_percent: 10,
        }
    }
}

/// The validated limits. A limit of 0 switches that throttle off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AbuseLimits {
    /// The first limit: failures of one user from one source (an unknown
    /// source is one source).
    pub max_failures_per_user_and_source: u32,
    /// The ceiling: failures of one user from all sources.
    pub max_failures_per_user: u32,
    pub max_failures_per_source: u32,
    pub window: Duration,
    /// Percentage of `server.max_in_flight` (and of each client's) that only
    /// requests carrying a State may use.
    pub challenge_reserve_percent: u8,
}

impl Default for AbuseLimits {
    fn default() -> Self {
        // The defaults are valid by construction.
        validate(&AbuseSection::default()).unwrap_or(AbuseLimits {
            max_failures_per_user_and_source: 5,
            max_failures_per_user: 10,
            max_failures_per_source: 20,
            window: Duration::from_secs(600),
            challenge_reserve_percent: 10,
        })
    }
}

/// Checks `[abuse]`; problems come back as (key, message).
pub fn validate(section: &AbuseSection) -> Result<AbuseLimits, Vec<(String, String)>> {
    let mut problems = Vec::new();
    if section.window_seconds == 0 {
        problems.push((
            "abuse.window_seconds".to_owned(),
            "must be at least 1 (600 is the default); set the max_failures_* keys to 0 to switch the throttles off".to_owned(),
        ));
    }
    if section.challenge_reserve_percent > 90 {
        problems.push((
            "abuse.challenge_reserve_percent".to_owned(),
            "must be between 0 and 90 (10 is the default)".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AbuseLimits {
        max_failures_per_user_and_source: section.max_failures_per_user_and_source,
        max_failures_per_user: section.max_failures_per_user,
        max_failures_per_source: section.max_failures_per_source,
        window: Duration::from_secs(section.window_seconds),
        challenge_reserve_percent: section.challenge_reserve_percent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_are_five_per_user_and_source_ten_per_user_twenty_per_source_in_ten_minutes() {
        let limits = AbuseLimits::default();
        assert_eq!(limits.max_failures_per_user_and_source, 5);
        assert_eq!(limits.max_failures_per_user, 10);
        assert_eq!(limits.max_failures_per_source, 20);
        assert_eq!(limits.window, Duration::from_secs(600));
    }

    #[test]
    fn a_zero_window_and_an_excessive_reserve_are_refused() {
        let section = AbuseSection {
            window_seconds: 0,
            challenge_reserve_percent: 95,
            ..AbuseSection::default()
        };
        let problems = validate(&section).expect_err("refused");
        assert_eq!(problems.len(), 2);
    }
}
