//! The live directory of the simulated org: its users by login, with what
//! Okta keeps per user while it runs: the count of failed password attempts,
//! which locks the user out after the password policy's limit, the resulting
//! status, and the stable ids the org gives each user and factor.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::ids;
use super::users::{SimFactor, SimUser, SimUserStatus};
use okta_api::authn::FactorType;

/// What a password check concluded.
pub(crate) enum Verdict {
    /// No such login.
    UnknownUser,
    /// The password is wrong (the failure was counted).
    WrongPassword,
    /// The user is locked out, whatever the password.
    LockedOut,
    /// The user cannot sign in (staged, suspended, deprovisioned, ...).
    Inactive,
    /// The password is right.
    Authenticated(Box<UserView>),
}

/// A snapshot of one user, with the ids the org gives the user and factors.
#[derive(Clone)]
pub(crate) struct UserView {
    pub id: String,
    pub user: SimUser,
    /// Each factor with its stable id.
    pub factors: Vec<(String, SimFactor)>,
}

impl UserView {
    pub fn login(&self) -> &str {
        &self.user.login
    }

    /// The enrolled factor with this id.
    pub fn factor(&self, factor_id: &str) -> Option<&SimFactor> {
        self.factors
            .iter()
            .find(|(id, _)| id == factor_id)
            .map(|(_, factor)| factor)
    }
}

struct UserEntry {
    user: SimUser,
    id: String,
    failed_attempts: u32,
}

impl UserEntry {
    fn view(&self) -> UserView {
        let key = self.user.login.to_lowercase();
        let factors = self
            .user
            .factors
            .iter()
            .enumerate()
            .map(|(index, factor)| {
                let id = ids::stable_id(
                    factor_id_prefix(&factor.factor_type),
                    &format!("{key}#{index}"),
                );
                (id, factor.clone())
            })
            .collect();
        UserView {
            id: self.id.clone(),
            user: self.user.clone(),
            factors,
        }
    }
}

/// The live directory: users by lowercase login, with their failure counters.
pub(crate) struct UserStore {
    entries: Mutex<HashMap<String, UserEntry>>,
    max_failed_attempts: u32,
}

impl UserStore {
    pub fn new(users: Vec<SimUser>, max_failed_attempts: u32) -> UserStore {
        let entries = users
            .into_iter()
            .map(|user| {
                let key = user.login.to_lowercase();
                let entry = UserEntry {
                    id: ids::stable_id("00u", &key),
                    user,
                    failed_attempts: 0,
                };
                (key, entry)
            })
            .collect();
        UserStore {
            entries: Mutex::new(entries),
            max_failed_attempts,
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, UserEntry>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Checks a password the way Okta's password policy does: a locked-out
    /// user stays locked whatever the password; each wrong password counts,
    /// and the limit locks the user; a right password clears the count.
    pub fn authenticate(&self, login: &str, password: &SecretString) -> Verdict {
        let mut entries = self.lock();
        let Some(entry) = entries.get_mut(&login.to_lowercase()) else {
            return Verdict::UnknownUser;
        };
        match entry.user.status {
            SimUserStatus::LockedOut => return Verdict::LockedOut,
            SimUserStatus::Active | SimUserStatus::PasswordExpired => {}
            _ => return Verdict::Inactive,
        }
        let matches = entry.user.password.as_ref().is_some_and(|expected| {
            bool::from(
                expected
                    .expose_secret()
                    .as_bytes()
                    .ct_eq(password.expose_secret().as_bytes()),
            )
        });
        if !matches {
            entry.failed_attempts = entry.failed_attempts.saturating_add(1);
            if self.max_failed_attempts > 0 && entry.failed_attempts >= self.max_failed_attempts {
                entry.user.status = SimUserStatus::LockedOut;
            }
            return Verdict::WrongPassword;
        }
        entry.failed_attempts = 0;
        Verdict::Authenticated(Box::new(entry.view()))
    }

    /// The user with this login (ignoring case).
    pub fn by_login(&self, login: &str) -> Option<UserView> {
        self.lock().get(&login.to_lowercase()).map(UserEntry::view)
    }

    /// The user with this id, or else this login: how `GET /api/v1/users/{x}` finds users.
    pub fn by_id_or_login(&self, key: &str) -> Option<UserView> {
        let entries = self.lock();
        entries
            .values()
            .find(|entry| entry.id == key)
            .or_else(|| entries.get(&key.to_lowercase()))
            .map(UserEntry::view)
    }

    /// The user whose `profile.email` (the login when unset) is `email`.
    pub fn by_email(&self, email: &str) -> Option<UserView> {
        self.lock()
            .values()
            .find(|entry| {
                entry
                    .user
                    .email
                    .as_deref()
                    .unwrap_or(&entry.user.login)
                    .eq_ignore_ascii_case(email)
            })
            .map(UserEntry::view)
    }

    /// The user's current status.
    pub fn status(&self, login: &str) -> Option<SimUserStatus> {
        self.lock()
            .get(&login.to_lowercase())
            .map(|entry| entry.user.status)
    }

    /// Sets a user's status (an admin unlocking or expiring a password); clears
    /// the failure count. False when there is no such user.
    pub fn set_status(&self, login: &str, status: SimUserStatus) -> bool {
        match self.lock().get_mut(&login.to_lowercase()) {
            Some(entry) => {
                entry.user.status = status;
                entry.failed_attempts = 0;
                true
            }
            None => false,
        }
    }

    /// Removes the user from a group; false when they were not in it.
    pub fn remove_group(&self, login: &str, group: &str) -> bool {
        match self.lock().get_mut(&login.to_lowercase()) {
            Some(entry) => {
                let before = entry.user.groups.len();
                entry.user.groups.retain(|name| name != group);
                entry.user.groups.len() != before
            }
            None => false,
        }
    }

    /// The names of the user's groups.
    pub fn groups(&self, login: &str) -> Option<Vec<String>> {
        self.lock()
            .get(&login.to_lowercase())
            .map(|entry| entry.user.groups.clone())
    }
}

/// Okta factor ids start with a prefix naming the factor kind.
fn factor_id_prefix(factor_type: &FactorType) -> &'static str {
    match factor_type {
        FactorType::Push => "opf",
        FactorType::TokenSoftwareTotp => "ost",
        FactorType::Sms => "mbl",
        FactorType::Call => "clf",
        FactorType::Email => "emf",
        FactorType::Question => "ufs",
        FactorType::TokenHardware => "ykf",
        FactorType::TokenHotp => "uft",
        FactorType::Token => "rsa",
        FactorType::Webauthn => "fwf",
        FactorType::U2f => "fuf",
        FactorType::Web => "dsf",
        _ => "fac",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::users::SimPushResponse;

    #[test]
    fn failed_attempts_lock_the_user() {
        let store = UserStore::new(vec![SimUser::new("a@example.com", "right")], 3);
        let wrong = SecretString::from("wrong");
        let right = SecretString::from("right");
        assert!(matches!(
            store.authenticate("A@Example.com", &right),
            Verdict::Authenticated(_)
        ));
        for _ in 0..2 {
            assert!(matches!(
                store.authenticate("a@example.com", &wrong),
                Verdict::WrongPassword
            ));
        }
        assert_eq!(store.status("a@example.com"), Some(SimUserStatus::Active));
        assert!(matches!(
            store.authenticate("a@example.com", &wrong),
            Verdict::WrongPassword
        ));
        assert_eq!(
            store.status("a@example.com"),
            Some(SimUserStatus::LockedOut)
        );
        assert!(matches!(
            store.authenticate("a@example.com", &right),
            Verdict::LockedOut
        ));
        assert!(store.set_status("a@example.com", SimUserStatus::Active));
        assert!(matches!(
            store.authenticate("a@example.com", &right),
            Verdict::Authenticated(_)
        ));
        assert!(matches!(
            store.authenticate("a", &right),
            Verdict::UnknownUser
        ));
    }

    #[test]
    fn users_are_found_by_id_or_login_with_stable_factor_ids() {
        let user = SimUser::new("a/b+c@example.com", "pw")
            .with_factor(SimFactor::push(SimPushResponse::Approve))
            .with_factor(SimFactor::totp("JBSWY3DPEHPK3PXP"));
        let store = UserStore::new(vec![user], 3);
        let view = store.by_login("A/B+C@example.com").expect("by login");
        assert_eq!(view.id.len(), 20);
        assert!(view.factors[0].0.starts_with("opf"));
        assert!(view.factors[1].0.starts_with("ost"));
        assert_eq!(view.factors[0].0.len(), 20);
        let again = store.by_id_or_login(&view.id).expect("by id");
        assert_eq!(again.factors[1].0, view.factors[1].0);
        assert!(view.factor(&view.factors[1].0).is_some());
        assert!(store.by_id_or_login("nobody").is_none());
    }
}
