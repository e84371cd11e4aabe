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
//!
//! In a fleet each replica learns the user ids of the logins it sees, and
//! shares them through Redis (at most every half hour per login), so that
//! an administrator's `admin throttle` at a replica that never saw the
//! user still finds the limits kept under the user id.

use crate::cluster::Cluster;
use crate::expiry::ExpiryQueue;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a login keeps the user id Okta named for it. Renaming a login
/// in Okta is rare; an hour bounds how long a stale mapping can last.
const REMEMBER_FOR: Duration = Duration::from_secs(3600);
/// How many stale logins a full table looks at to make room for a new one.
const FORGET_AT_ONCE: usize = 64;
/// How often a replica shares a login's user id with the fleet again.
const SHARE_EVERY: Duration = Duration::from_secs(1800);
/// The most logins remembered; past it, stale ones are forgotten and, if
/// the table is still full, new ones are not remembered (limits then key on the
/// case-folded login, which still joins every spelling the rules fold).
const MAX_REMEMBERED: usize = 100_000;

/// The key of every per-user limit. Shared, not copied: the table below
/// hands out the key it keeps for a named user.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct UserKey(Arc<str>);

/// What starts a key for a login nobody has named yet.
const LOGIN_PREFIX: &str = "login:";
/// What starts the key of a user Okta has named.
const USER_ID_PREFIX: &str = "okta:";

impl UserKey {
    /// The key for a login nobody has named yet: the login case-folded,
    /// written in one allocation (an ASCII login is folded on the stack).
    pub(super) fn of_login(login: &str) -> UserKey {
        let mut folded = [0u8; 256];
        let len = LOGIN_PREFIX.len() + login.len();
        if login.is_ascii() && len <= folded.len() {
            let (prefix, rest) = folded[..len].split_at_mut(LOGIN_PREFIX.len());
            prefix.copy_from_slice(LOGIN_PREFIX.as_bytes());
            for (to, from) in rest.iter_mut().zip(login.bytes()) {
                *to = from.to_ascii_lowercase();
            }
            if let Ok(key) = std::str::from_utf8(&folded[..len]) {
                return UserKey(Arc::from(key));
            }
        }
        let mut key = String::with_capacity(len);
        key.push_str(LOGIN_PREFIX);
        key.push_str(&login.to_lowercase());
        UserKey(key.into())
    }

    /// The key for a user Okta has named.
    pub(super) fn of_user_id(user_id: &str) -> UserKey {
        let mut key = String::with_capacity(USER_ID_PREFIX.len() + user_id.len());
        key.push_str(USER_ID_PREFIX);
        key.push_str(user_id);
        UserKey(key.into())
    }

    /// The user id of a key made by [`UserKey::of_user_id`].
    fn user_id(&self) -> Option<&str> {
        self.0.strip_prefix(USER_ID_PREFIX)
    }

    pub(super) fn as_str(&self) -> &str {
        &self.0
    }

    /// The case-folded login of a key made by [`UserKey::of_login`].
    fn folded_login(&self) -> Option<&str> {
        self.0.strip_prefix(LOGIN_PREFIX)
    }
}

/// Every key one login's failures may be counted under: the folded login
/// and, once Okta named the user, the user id. Held inline rather than in
/// a `Vec`: a login looks its keys up once and passes them on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct UserKeys {
    keys: [UserKey; 2],
    /// 1 (the login only) or 2 (and the user id).
    len: usize,
}

impl UserKeys {
    /// The key the login's limits count under now: the user id once
    /// known, else the folded login.
    pub(super) fn current(&self) -> &UserKey {
        &self.keys[self.len - 1]
    }

    /// The same login, now known as `named`.
    pub(super) fn named(self, named: UserKey) -> UserKeys {
        let [login, _] = self.keys;
        UserKeys {
            len: if named == login { 1 } else { 2 },
            keys: [login, named],
        }
    }

    /// The keys, the folded login first.
    pub(super) fn as_slice(&self) -> &[UserKey] {
        &self.keys[..self.len]
    }
}

/// The user Okta named for a login, when, and when that was last shared
/// with the fleet.
struct Named {
    user: UserKey,
    named_at: Instant,
    shared_at: Instant,
    /// The login's place in the expiry queue.
    place: u64,
}

impl Named {
    fn new(user: UserKey, now: Instant, place: u64) -> Named {
        Named {
            user,
            named_at: now,
            shared_at: now,
            place,
        }
    }
}

/// The user ids Okta named for logins, so that later spellings of a login
/// that reach the same user share its limits: the user's key, when it was
/// last named, and when it was last shared with the fleet.
pub(super) struct Identities {
    named: DashMap<Arc<str>, Named>,
    /// The logins in the order they were first named: a full table forgets
    /// the stale ones oldest first, a few at a time.
    expiry: ExpiryQueue<Arc<str>>,
    /// The fleet the user ids are shared with, if any.
    cluster: Cluster,
}

impl Default for Identities {
    fn default() -> Self {
        Identities::new(Cluster::local())
    }
}

impl Identities {
    pub(super) fn new(cluster: Cluster) -> Identities {
        Identities {
            named: DashMap::new(),
            expiry: ExpiryQueue::default(),
            cluster,
        }
    }

    /// [`Identities::keys`], with the user id another replica of the fleet
    /// learnt when this one has none (for an administrator's commands).
    pub(super) async fn fleet_keys(&self, login: &str) -> UserKeys {
        let keys = self.keys(login);
        if keys.len > 1 {
            return keys;
        }
        let Some(fleet) = self.cluster.fleet() else {
            return keys;
        };
        let key = fleet.keys().per_user("named", keys.keys[0].as_str());
        let named: Option<String> = fleet
            .run("identity_lookup", |mut connection| async move {
                redis::cmd("GET")
                    .arg(key)
                    .query_async(&mut connection)
                    .await
            })
            .await
            .flatten();
        match named {
            Some(user_id) if !user_id.is_empty() => keys.named(UserKey::of_user_id(&user_id)),
            _ => keys,
        }
    }

    /// Shares with the fleet that `login_key` names `user_id`, without
    /// waiting for Redis (the login goes on).
    fn share(&self, login_key: &UserKey, user_id: &str) {
        let Some(fleet) = self.cluster.fleet() else {
            return;
        };
        let key = fleet.keys().per_user("named", login_key.as_str());
        fleet.share_identity(key, user_id, REMEMBER_FOR);
    }

    /// The key for `login` (the login sent to Okta, after the `[users]` rules).
    pub(super) fn key(&self, login: &str) -> UserKey {
        self.keys(login).current().clone()
    }

    /// Every key `login` may have been counted under: the folded login and,
    /// when known, the user id (a correct password forgives both).
    pub(super) fn keys(&self, login: &str) -> UserKeys {
        let login = UserKey::of_login(login);
        let named = login.folded_login().and_then(|folded| {
            let entry = self.named.get(folded)?;
            (entry.named_at.elapsed() < REMEMBER_FOR).then(|| entry.user.clone())
        });
        match named {
            Some(named) => UserKeys {
                keys: [login, named],
                len: 2,
            },
            // The unused second place holds the login's key again.
            None => UserKeys {
                keys: [login.clone(), login],
                len: 1,
            },
        }
    }

    /// Records that Okta named `user_id` as the user behind `login`, and
    /// returns that user's key.
    pub(super) fn learn(&self, login: &str, user_id: &str) -> UserKey {
        self.remember(&UserKey::of_login(login), user_id)
    }

    /// [`Identities::learn`] for a login whose keys were looked up already:
    /// returns them with the user's key added.
    pub(super) fn learn_for(&self, keys: UserKeys, user_id: &str) -> UserKeys {
        let named = self.remember(&keys.keys[0], user_id);
        keys.named(named)
    }

    /// Records `user_id` for the login of `key` (a login key).
    fn remember(&self, key: &UserKey, user_id: &str) -> UserKey {
        let now = Instant::now();
        let folded = key.folded_login().unwrap_or_default();
        // The common case, a login seen before: refreshed in place.
        if let Some(mut entry) = self.named.get_mut(folded)
            && entry.user.user_id() == Some(user_id)
        {
            entry.named_at = now;
            let share = self.cluster.fleet().is_some()
                && now.duration_since(entry.shared_at) >= SHARE_EVERY;
            if share {
                entry.shared_at = now;
            }
            let named = entry.user.clone();
            drop(entry);
            if share {
                self.share(key, user_id);
            }
            return named;
        }
        if self.named.len() >= MAX_REMEMBERED && !self.named.contains_key(folded) {
            self.expiry.forget(
                &self.named,
                now,
                FORGET_AT_ONCE,
                |entry| entry.place,
                |entry| entry.named_at + REMEMBER_FOR,
            );
        }
        let user = UserKey::of_user_id(user_id);
        let full = self.named.len() >= MAX_REMEMBERED;
        let login: Arc<str> = Arc::from(folded);
        let place = match self.named.entry(login.clone()) {
            // Renamed in Okta: the login keeps its place.
            Entry::Occupied(mut occupied) => {
                let place = occupied.get().place;
                occupied.insert(Named::new(user.clone(), now, place));
                None
            }
            Entry::Vacant(_) if full => None,
            Entry::Vacant(vacant) => {
                let place = self.expiry.next_place();
                vacant.insert(Named::new(user.clone(), now, place));
                Some(place)
            }
        };
        if let Some(place) = place {
            self.expiry.queue(login, place, now + REMEMBER_FOR);
        }
        self.share(key, user_id);
        user
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_that_differ_by_case_share_a_key() {
        let identities = Identities::default();
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
    fn a_login_folds_as_okta_compares_it() {
        assert_eq!(
            UserKey::of_login("Bob@Example.COM").as_str(),
            "login:bob@example.com"
        );
        // Past the stack's room, the same fold.
        let long = "B".repeat(300);
        assert_eq!(
            UserKey::of_login(&long).as_str(),
            format!("login:{}", "b".repeat(300))
        );
        // Outside ASCII too: one key whatever the case.
        assert_eq!(
            UserKey::of_login("ÉMILE@example.com"),
            UserKey::of_login("émile@example.com")
        );
    }

    #[test]
    fn a_named_user_keys_on_the_id() {
        let identities = Identities::default();
        let named = identities.learn("BOB@example.com", "00u1");
        assert_eq!(identities.key("bob@EXAMPLE.com"), named);
        assert_eq!(named, UserKey::of_user_id("00u1"));
        assert_eq!(
            identities.keys("bob@example.com").as_slice(),
            [UserKey::of_login("bob@example.com"), named]
        );
    }
}
