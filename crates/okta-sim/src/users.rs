//! The simulated org's users as the org keeps them at run time: who exists,
//! their password, status, groups and enrolled factors, and what Okta keeps
//! per user while it runs: the count of failed password attempts, which locks
//! the user out after the password policy's limit, and the resulting status.
//!
//! Loading users from TOML lives in [`super::directory`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::ids;
use okta_api::authn::{FactorProvider, FactorType};

/// A user's lifecycle status, as Okta names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SimUserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    LockedOut,
    PasswordExpired,
    Suspended,
    Deprovisioned,
}

impl SimUserStatus {
    /// The status as Okta spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            SimUserStatus::Staged => "STAGED",
            SimUserStatus::Provisioned => "PROVISIONED",
            SimUserStatus::Active => "ACTIVE",
            SimUserStatus::Recovery => "RECOVERY",
            SimUserStatus::LockedOut => "LOCKED_OUT",
            SimUserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            SimUserStatus::Suspended => "SUSPENDED",
            SimUserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }
}

/// What the simulated Okta Verify app does with a push.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SimPushResponse {
    /// The user approves (after `push_polls` polls, or after `push_delay`).
    #[default]
    Approve,
    /// The user rejects.
    Reject,
    /// Nobody answers; the push times out.
    Ignore,
    /// Nobody answers until a test calls `SimHandle::resolve_push`; the push
    /// times out after five minutes, as Okta's do.
    Wait,
}

/// A factor enrolled for a user.
#[derive(Debug, Clone)]
pub struct SimFactor {
    pub factor_type: FactorType,
    pub provider: FactorProvider,
    /// Phone number for `sms` and `call`.
    pub phone_number: Option<String>,
    /// Address for `email`.
    pub email: Option<String>,
    /// Question key and text for `question`.
    pub question: Option<String>,
    pub question_text: Option<String>,
    /// The expected answer for `question` (compared trimmed, ignoring case).
    pub answer: Option<SecretString>,
    /// Base32 shared secret for `token:software:totp`.
    pub totp_secret: Option<SecretString>,
    /// Base32 shared secret for `token:hotp`.
    pub hotp_secret: Option<SecretString>,
    /// The HOTP counter the token starts at.
    pub hotp_counter: u64,
    /// The valid one-time codes of a `token` (RSA, Symantec) or
    /// `token:hardware` (YubiKey OTPs, 44 modhex characters); each works once.
    pub codes: Vec<SecretString>,
    /// How the phone answers a `push`.
    pub push_response: SimPushResponse,
    /// Polls after which the push is answered (approved, rejected or timed out).
    pub push_polls: u32,
    /// When set, the push is answered this long after it was sent, whatever
    /// the number of polls.
    pub push_delay: Option<Duration>,
    /// Number matching: the push carries a `correctAnswer` to pick.
    pub number_challenge: bool,
    /// The poll from which `correctAnswer` appears (0: already in the first answer).
    pub number_after_polls: u32,
}

impl SimFactor {
    /// Polls before a push is answered, unless configured.
    pub const DEFAULT_PUSH_POLLS: u32 = 2;

    /// A factor of this type from its usual provider, with no enrolment data.
    pub fn new(factor_type: FactorType) -> SimFactor {
        SimFactor {
            provider: default_provider(&factor_type),
            factor_type,
            phone_number: None,
            email: None,
            question: None,
            question_text: None,
            answer: None,
            totp_secret: None,
            hotp_secret: None,
            hotp_counter: 0,
            codes: Vec::new(),
            push_response: SimPushResponse::default(),
            push_polls: Self::DEFAULT_PUSH_POLLS,
            push_delay: None,
            number_challenge: false,
            number_after_polls: 1,
        }
    }

    /// A push factor that answers this way.
    pub fn push(response: SimPushResponse) -> SimFactor {
        let mut factor = SimFactor::new(FactorType::Push);
        factor.push_response = response;
        factor
    }

    /// A TOTP factor with this base32 secret.
    pub fn totp(secret_base32: &str) -> SimFactor {
        let mut factor = SimFactor::new(FactorType::TokenSoftwareTotp);
        factor.totp_secret = Some(SecretString::from(secret_base32));
        factor
    }

    /// An `sms`, `call` or `email` factor sending codes to `destination`.
    pub fn code_sender(factor_type: FactorType, destination: &str) -> SimFactor {
        let mut factor = SimFactor::new(factor_type);
        if factor.factor_type == FactorType::Email {
            factor.email = Some(destination.to_owned());
        } else {
            factor.phone_number = Some(destination.to_owned());
        }
        factor
    }
}

pub(crate) fn default_provider(factor_type: &FactorType) -> FactorProvider {
    match factor_type {
        FactorType::TokenHardware => FactorProvider::Yubico,
        FactorType::Token => FactorProvider::Rsa,
        FactorType::Web => FactorProvider::Duo,
        FactorType::U2f | FactorType::Webauthn => FactorProvider::Fido,
        _ => FactorProvider::Okta,
    }
}

/// A user of the simulated org.
#[derive(Debug, Clone)]
pub struct SimUser {
    /// The full Okta login (`alice@example.com`), matched case-insensitively.
    pub login: String,
    /// `None`: the user has no password and cannot sign in.
    pub password: Option<SecretString>,
    pub status: SimUserStatus,
    pub first_name: String,
    pub last_name: String,
    /// `profile.email` (the login when not set).
    pub email: Option<String>,
    /// Further profile attributes (`department`, `employeeNumber`, ...).
    pub profile: BTreeMap<String, String>,
    /// Names of the Okta groups the user belongs to.
    pub groups: Vec<String>,
    pub factors: Vec<SimFactor>,
    /// The password expires soon: `PASSWORD_WARN` when the client asks.
    pub password_warn: bool,
    /// The user has no usable factor and must enrol one: `MFA_ENROLL`.
    pub mfa_enroll: bool,
    /// Free text for a demo banner: what to type at the VPN prompt.
    pub hint: Option<String>,
}

impl SimUser {
    /// An ACTIVE user without groups or factors.
    pub fn new(login: &str, password: &str) -> SimUser {
        let short = login.split('@').next().unwrap_or(login);
        SimUser {
            login: login.to_owned(),
            password: Some(SecretString::from(password)),
            status: SimUserStatus::Active,
            first_name: capitalize(short),
            last_name: "Example".to_owned(),
            email: None,
            profile: BTreeMap::new(),
            groups: Vec::new(),
            factors: Vec::new(),
            password_warn: false,
            mfa_enroll: false,
            hint: None,
        }
    }

    pub fn with_status(mut self, status: SimUserStatus) -> SimUser {
        self.status = status;
        self
    }

    pub fn with_groups(mut self, groups: &[&str]) -> SimUser {
        self.groups = groups.iter().map(|group| (*group).to_owned()).collect();
        self
    }

    pub fn with_factor(mut self, factor: SimFactor) -> SimUser {
        self.factors.push(factor);
        self
    }
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

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
