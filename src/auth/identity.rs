//! Who a per-user limit counts: one person, however the name was typed.
//!
//! Okta matches logins without regard to case, and the `[users]` rules turn
//! `EXAMPLE\bob`, `bob` and `Bob@Example.com` into one login. The limits that
//! protect a user (the failed-password throttle, the push-fatigue limits, the
//! pending push a second login joins) must see one person too, or an attacker
//! gets a fresh allowance with every spelling. So they are keyed on a
//! [`UserKey`]: Okta's user id once Okta has named the user for that login,
//! and until then the login as Okta receives it, case-folded.
//!
//! Okta names a user only in answers that follow a correct password (or in a
//! user look-up), so nobody can steer one login onto another user's key.

use dashmap::DashMap;
use std::time::{Duration, Instant};

/// How long a login keeps the user id Okta named for it. Renaming a login
/// in Okta is rare; an hour bounds how long a stale mapping can last.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// The most logins remembered; past it, stale ones are purged and, if the
/// table is still full, new ones are not remembered (limits then key on the
/// case-folded login, which still joins every spelling the rules fold).
const MAX_REMEMBERED: usize = 100_000;

/// The key of every per-user limit.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct UserKey(String);

impl UserKey {
    /// The key for a login nobody has named yet: the login case-folded.
    pub(super) fn of_login(login: &str) -> UserKey {
        UserKey(format!("login:{}", login.to_lowercase()))
    }

    /// The key for a user Okta has named.
    pub(super) fn of_user_id(user_id: &str) -> UserKey {
        UserKey(format!("okta:{user_id}"))
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }
}

/// The user ids Okta named for logins, so that later spellings of a login
/// that reach the same user share its limits.
pub(super) struct Identities {
    named: DashMap<String, (String, Instant)>,
}

impl Default for Identities {
    fn default() -> Self {
        Identities::new()
    }
}

impl Identities {
    pub(super) fn new() -> Identities {
        Identities {
            named: DashMap::new(),
        }
    }

    /// The key for `login` (the login sent to Okta, after the `[users]` rules).
    pub(super) fn key(&self, login: &str) -> UserKey {
        let folded = login.to_lowercase();
        if let Some(entry) = self.named.get(&folded)
            && entry.1.elapsed() < REMEMBER_FOR
        {
            return UserKey::of_user_id(&entry.0);
        }
        UserKey(format!("login:{folded}"))
    }

    /// Records that Okta named `user_id` as the user behind `login`, and
    /// returns that user's key.
    pub(super) fn learn(&self, login: &str, user_id: &str) -> UserKey {
        let folded = login.to_lowercase();
        let now = Instant::now();
        if self.named.len() >= MAX_REMEMBERED && !self.named.contains_key(&folded) {
            self.named
                .retain(|_, (_, at)| now.duration_since(*at) < REMEMBER_FOR);
        }
        if self.named.len() < MAX_REMEMBERED || self.named.contains_key(&folded) {
            self.named.insert(folded, (user_id.to_owned(), now));
        }
        UserKey::of_user_id(user_id)
    }

    /// Every key `login` may have been counted under: the folded login and,
    /// when known, the user id (a correct password forgives both).
    pub(super) fn keys(&self, login: &str) -> Vec<UserKey> {
        let mut keys = vec![UserKey::of_login(login)];
        let named = self.key(login);
        if !keys.contains(&named) {
            keys.push(named);
        }
        keys
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_that_differ_by_case_share_a_key() {
        let identities = Identities::new();
        assert_eq!(
            identities.key("Bob@Example.com"),
            identities.key("bob@example.com")
        );
        assert_ne!(
            identities.key("bob@example.com"),
            identities.key("rob@example.com")
        );
    }

    #[test]
    fn a_named_user_keys_on_the_id() {
        let identities = Identities::new();
        let named = identities.learn("BOB@example.com", "00u1");
        assert_eq!(identities.key("bob@EXAMPLE.com"), named);
        assert_eq!(named, UserKey::of_user_id("00u1"));
        assert_eq!(
            identities.keys("bob@example.com"),
            vec![UserKey::of_login("bob@example.com"), named]
        );
    }
}
