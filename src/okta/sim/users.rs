//! The simulated org's user directory: who exists, their password, status,
//! groups and enrolled factors, loaded from a TOML file such as
//! `config/demo-users.toml`.
//!
//! The directory also keeps what Okta keeps per user at run time: the count of
//! failed password attempts, which locks the user out after the password
//! policy's limit, and the resulting status.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Mutex, MutexGuard, PoisonError};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use subtle::ConstantTimeEq;

use super::ids;
use crate::okta::authn::{FactorProvider, FactorType};

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
    /// The user approves.
    #[default]
    Approve,
    /// The user rejects.
    Reject,
    /// Nobody answers; the push times out.
    Ignore,
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
    /// The expected answer for `question`.
    pub answer: Option<SecretString>,
    /// Base32 shared secret for `token:software:totp`.
    pub totp_secret: Option<SecretString>,
    /// How the phone answers a `push`.
    pub push_response: SimPushResponse,
}

impl SimFactor {
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
            push_response: SimPushResponse::default(),
        }
    }
}

fn default_provider(factor_type: &FactorType) -> FactorProvider {
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
    /// Names of the Okta groups the user belongs to.
    pub groups: Vec<String>,
    pub factors: Vec<SimFactor>,
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
            groups: Vec::new(),
            factors: Vec::new(),
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

/// Why a user directory could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum SimDirectoryError {
    #[error("cannot read the user directory {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("the user directory is not valid TOML of the expected shape: {0}")]
    Parse(String),
    #[error("the user directory is invalid: {0}")]
    Invalid(String),
}

/// The users of a simulated org, as loaded from TOML.
///
/// ```toml
/// [[users]]
/// login = "alice@example.com"
/// password = "alice-password"
/// status = "ACTIVE"            # default
/// first_name = "Alice"
/// last_name = "Example"
/// groups = ["vpn-users"]
///
/// [[users.factors]]
/// type = "token:software:totp" # push, sms, call, email, question, ...
/// totp_secret = "JBSWY3DPEHPK3PXP"
/// ```
#[derive(Debug, Clone, Default)]
pub struct SimDirectory {
    pub users: Vec<SimUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDirectory {
    #[serde(default)]
    users: Vec<RawUser>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUser {
    login: String,
    password: Option<String>,
    #[serde(default = "active")]
    status: SimUserStatus,
    first_name: Option<String>,
    last_name: Option<String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    factors: Vec<RawFactor>,
}

fn active() -> SimUserStatus {
    SimUserStatus::Active
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFactor {
    #[serde(rename = "type")]
    factor_type: String,
    provider: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    question: Option<String>,
    question_text: Option<String>,
    answer: Option<String>,
    totp_secret: Option<String>,
    push: Option<SimPushResponse>,
}

impl SimDirectory {
    /// Loads a directory from a TOML file.
    pub fn from_toml_file(path: impl AsRef<Path>) -> Result<SimDirectory, SimDirectoryError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| SimDirectoryError::Read {
            path: path.display().to_string(),
            source,
        })?;
        SimDirectory::from_toml_str(&text)
    }

    /// Loads a directory from TOML text.
    pub fn from_toml_str(text: &str) -> Result<SimDirectory, SimDirectoryError> {
        let raw: RawDirectory = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|error| SimDirectoryError::Parse(error.to_string()))?;
        let users = raw
            .users
            .into_iter()
            .map(RawUser::into_user)
            .collect::<Result<Vec<_>, _>>()?;
        let directory = SimDirectory { users };
        directory.validate()?;
        Ok(directory)
    }

    /// Checks that logins are unique (ignoring case) and factors are usable.
    pub fn validate(&self) -> Result<(), SimDirectoryError> {
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            let login = user.login.trim();
            if login.is_empty() || login.chars().any(char::is_whitespace) {
                return Err(SimDirectoryError::Invalid(format!(
                    "login {:?} is empty or contains spaces",
                    user.login
                )));
            }
            if !seen.insert(login.to_lowercase()) {
                return Err(SimDirectoryError::Invalid(format!(
                    "login {login} appears twice"
                )));
            }
            for factor in &user.factors {
                check_factor(login, factor)?;
            }
        }
        Ok(())
    }
}

impl RawUser {
    fn into_user(self) -> Result<SimUser, SimDirectoryError> {
        let mut user = SimUser::new(&self.login, "");
        user.password = self.password.map(SecretString::from);
        user.status = self.status;
        if let Some(first) = self.first_name {
            user.first_name = first;
        }
        if let Some(last) = self.last_name {
            user.last_name = last;
        }
        user.groups = self.groups;
        for raw in self.factors {
            let factor_type = FactorType::from(raw.factor_type.as_str());
            if let FactorType::Unknown(other) = &factor_type {
                return Err(SimDirectoryError::Invalid(format!(
                    "user {}: unknown factor type {other:?}",
                    self.login
                )));
            }
            let mut factor = SimFactor::new(factor_type);
            if let Some(provider) = raw.provider {
                factor.provider = FactorProvider::from(provider.as_str());
            }
            factor.phone_number = raw.phone;
            factor.email = raw.email;
            factor.question = raw.question;
            factor.question_text = raw.question_text;
            factor.answer = raw.answer.map(SecretString::from);
            factor.totp_secret = raw.totp_secret.map(SecretString::from);
            factor.push_response = raw.push.unwrap_or_default();
            user.factors.push(factor);
        }
        Ok(user)
    }
}

fn check_factor(login: &str, factor: &SimFactor) -> Result<(), SimDirectoryError> {
    let missing = |what: &str| {
        Err(SimDirectoryError::Invalid(format!(
            "user {login}: a {} factor needs {what}",
            factor.factor_type
        )))
    };
    match factor.factor_type {
        FactorType::Sms | FactorType::Call if factor.phone_number.is_none() => missing("phone"),
        FactorType::Email if factor.email.is_none() => missing("email"),
        FactorType::Question if factor.question.is_none() || factor.answer.is_none() => {
            missing("question and answer")
        }
        FactorType::TokenSoftwareTotp => match &factor.totp_secret {
            None => missing("totp_secret"),
            Some(secret) if !is_base32(secret.expose_secret()) => Err(SimDirectoryError::Invalid(
                format!("user {login}: totp_secret is not base32 (A-Z, 2-7)"),
            )),
            Some(_) => Ok(()),
        },
        _ => Ok(()),
    }
}

fn is_base32(text: &str) -> bool {
    let text = text.trim_end_matches('=');
    !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || ('2'..='7').contains(&c))
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
    Authenticated(AuthenticatedUser),
}

/// A user whose password was right, as the authn handler needs them.
pub(crate) struct AuthenticatedUser {
    pub id: String,
    pub login: String,
    pub first_name: String,
    pub last_name: String,
    pub password_expired: bool,
    /// Each factor with its stable id.
    pub factors: Vec<(String, SimFactor)>,
}

struct UserEntry {
    user: SimUser,
    id: String,
    failed_attempts: u32,
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
        let key = entry.user.login.to_lowercase();
        let factors = entry
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
        Verdict::Authenticated(AuthenticatedUser {
            id: entry.id.clone(),
            login: entry.user.login.clone(),
            first_name: entry.user.first_name.clone(),
            last_name: entry.user.last_name.clone(),
            password_expired: entry.user.status == SimUserStatus::PasswordExpired,
            factors,
        })
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
        _ => "fac",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        [[users]]
        login = "alice@example.com"
        password = "alice-password"
        groups = ["vpn-users", "staff"]

        [[users]]
        login = "dave@example.com"
        password = "dave-password"
        status = "PASSWORD_EXPIRED"
        first_name = "Dave"

        [[users.factors]]
        type = "token:software:totp"
        provider = "GOOGLE"
        totp_secret = "JBSWY3DPEHPK3PXP"

        [[users.factors]]
        type = "push"
        push = "reject"
    "#;

    #[test]
    fn loads_users_and_factors() {
        let directory = SimDirectory::from_toml_str(SAMPLE).expect("loads");
        assert_eq!(directory.users.len(), 2);
        let alice = &directory.users[0];
        assert_eq!(alice.status, SimUserStatus::Active);
        assert_eq!(alice.groups, ["vpn-users", "staff"]);
        assert_eq!(alice.first_name, "Alice");
        let dave = &directory.users[1];
        assert_eq!(dave.status, SimUserStatus::PasswordExpired);
        assert_eq!(dave.factors.len(), 2);
        assert_eq!(dave.factors[0].factor_type, FactorType::TokenSoftwareTotp);
        assert_eq!(dave.factors[0].provider, FactorProvider::Google);
        assert_eq!(dave.factors[1].push_response, SimPushResponse::Reject);
        assert!(!format!("{directory:?}").contains("alice-password"));
    }

    #[test]
    fn rejects_mistakes() {
        for bad in [
            "[[users]]\nlogin = \"a@example.com\"\n[[users]]\nlogin = \"A@example.com\"",
            "[[users]]\nlogin = \"a@example.com\"\npasword = \"typo\"",
            "[[users]]\nlogin = \"a@example.com\"\nstatus = \"SLEEPING\"",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"carrier-pigeon\"",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"sms\"",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"token:software:totp\"\ntotp_secret = \"not base32!\"",
            "users = 5",
        ] {
            assert!(SimDirectory::from_toml_str(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn failed_attempts_lock_the_user() {
        let store = UserStore::new(vec![SimUser::new("a@example.com", "right")], 3);
        let wrong = SecretString::from("wrong");
        let right = SecretString::from("right");
        assert!(matches!(
            store.authenticate("A@Example.com", &right),
            Verdict::Authenticated(_)
        ));
        assert!(matches!(
            store.authenticate("a@example.com", &wrong),
            Verdict::WrongPassword
        ));
        assert!(matches!(
            store.authenticate("a@example.com", &wrong),
            Verdict::WrongPassword
        ));
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
}
