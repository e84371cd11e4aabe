//! Loading the simulated org's users from TOML (such as
//! `config/demo-users.toml`), with every mistake reported by user and field
//! before the org starts: unknown fields, duplicate logins, factors missing
//! what they need to be verified.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

use super::users::{SimFactor, SimPushResponse, SimUser, SimUserStatus};
use okta_api::authn::{FactorProvider, FactorType};

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
/// hint = "alice-password, then the TOTP code"
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
    email: Option<String>,
    #[serde(default)]
    profile: BTreeMap<String, String>,
    #[serde(default)]
    groups: Vec<String>,
    #[serde(default)]
    password_warn: bool,
    #[serde(default)]
    mfa_enroll: bool,
    hint: Option<String>,
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
    hotp_secret: Option<String>,
    hotp_counter: Option<u64>,
    #[serde(default)]
    codes: Vec<String>,
    push: Option<SimPushResponse>,
    push_polls: Option<u32>,
    push_delay_ms: Option<u64>,
    #[serde(default)]
    number_challenge: bool,
    number_after_polls: Option<u32>,
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
        let mut seen = HashSet::new();
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
        user.email = self.email;
        user.profile = self.profile;
        user.groups = self.groups;
        user.password_warn = self.password_warn;
        user.mfa_enroll = self.mfa_enroll;
        user.hint = self.hint;
        for raw in self.factors {
            user.factors.push(raw.into_factor(&self.login)?);
        }
        Ok(user)
    }
}

impl RawFactor {
    fn into_factor(self, login: &str) -> Result<SimFactor, SimDirectoryError> {
        let factor_type = FactorType::from(self.factor_type.as_str());
        if let FactorType::Unknown(other) = &factor_type {
            return Err(SimDirectoryError::Invalid(format!(
                "user {login}: unknown factor type {other:?}"
            )));
        }
        let mut factor = SimFactor::new(factor_type);
        if let Some(provider) = self.provider {
            factor.provider = FactorProvider::from(provider.as_str());
        }
        factor.phone_number = self.phone;
        factor.email = self.email;
        factor.question = self.question;
        factor.question_text = self.question_text;
        factor.answer = self.answer.map(SecretString::from);
        factor.totp_secret = self.totp_secret.map(SecretString::from);
        factor.hotp_secret = self.hotp_secret.map(SecretString::from);
        factor.hotp_counter = self.hotp_counter.unwrap_or(0);
        factor.codes = self.codes.into_iter().map(SecretString::from).collect();
        factor.push_response = self.push.unwrap_or_default();
        if let Some(polls) = self.push_polls {
            factor.push_polls = polls;
        }
        factor.push_delay = self.push_delay_ms.map(Duration::from_millis);
        factor.number_challenge = self.number_challenge;
        if let Some(after) = self.number_after_polls {
            factor.number_after_polls = after;
        }
        Ok(factor)
    }
}

fn check_factor(login: &str, factor: &SimFactor) -> Result<(), SimDirectoryError> {
    let invalid = |what: String| Err(SimDirectoryError::Invalid(format!("user {login}: {what}")));
    let missing = |what: &str| invalid(format!("a {} factor needs {what}", factor.factor_type));
    let base32 = |secret: &Option<SecretString>, name: &str| match secret {
        None => missing(name),
        Some(secret) if super::totp::decode_base32(secret.expose_secret()).is_none() => {
            invalid(format!("{name} is not base32 (A-Z, 2-7)"))
        }
        Some(_) => Ok(()),
    };
    match factor.factor_type {
        FactorType::Sms | FactorType::Call if factor.phone_number.is_none() => missing("phone"),
        FactorType::Email if factor.email.is_none() => missing("email"),
        FactorType::Question if factor.question.is_none() || factor.answer.is_none() => {
            missing("question and answer")
        }
        FactorType::TokenSoftwareTotp => base32(&factor.totp_secret, "totp_secret"),
        FactorType::TokenHotp => base32(&factor.hotp_secret, "hotp_secret"),
        FactorType::Token if factor.codes.is_empty() => missing("codes"),
        FactorType::TokenHardware if factor.codes.is_empty() => missing("codes (YubiKey OTPs)"),
        FactorType::TokenHardware
            if !factor
                .codes
                .iter()
                .all(|otp| is_yubikey_otp(otp.expose_secret())) =>
        {
            invalid("YubiKey OTPs are 44 modhex characters (cbdefghijklnrtuv)".to_owned())
        }
        FactorType::Push if factor.push_polls == 0 => {
            invalid("push_polls must be at least 1".into())
        }
        _ => Ok(()),
    }
}

/// A YubiKey OTP: 12 characters of public id and 32 of ciphertext, in modhex.
fn is_yubikey_otp(otp: &str) -> bool {
    otp.len() == 44 && otp.chars().all(|c| "cbdefghijklnrtuv".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"
        [[users]]
        login = "alice@example.com"
        password = "alice-password"
        groups = ["vpn-users", "staff"]
        hint = "password, then Enter"
        profile = { department = "Engineering" }

        [[users]]
        login = "dave@example.com"
        password = "dave-password"
        status = "PASSWORD_EXPIRED"
        first_name = "Dave"
        password_warn = true

        [[users.factors]]
        type = "token:software:totp"
        provider = "GOOGLE"
        totp_secret = "JBSWY3DPEHPK3PXP"

        [[users.factors]]
        type = "push"
        push = "reject"
        push_polls = 3
        number_challenge = true
        number_after_polls = 0
        push_delay_ms = 1500

        [[users.factors]]
        type = "token:hardware"
        codes = ["ccccccbcgujhingjrdejhgfnuetrgigvejhhgbkugded"]
    "#;

    #[test]
    fn loads_users_and_factors() {
        let directory = SimDirectory::from_toml_str(SAMPLE).expect("loads");
        assert_eq!(directory.users.len(), 2);
        let alice = &directory.users[0];
        assert_eq!(alice.status, SimUserStatus::Active);
        assert_eq!(alice.groups, ["vpn-users", "staff"]);
        assert_eq!(alice.first_name, "Alice");
        assert_eq!(alice.hint.as_deref(), Some("password, then Enter"));
        assert_eq!(alice.profile["department"], "Engineering");
        let dave = &directory.users[1];
        assert_eq!(dave.status, SimUserStatus::PasswordExpired);
        assert!(dave.password_warn && !dave.mfa_enroll);
        assert_eq!(dave.factors.len(), 3);
        assert_eq!(dave.factors[0].factor_type, FactorType::TokenSoftwareTotp);
        assert_eq!(dave.factors[0].provider, FactorProvider::Google);
        let push = &dave.factors[1];
        assert_eq!(push.push_response, SimPushResponse::Reject);
        assert_eq!(push.push_polls, 3);
        assert!(push.number_challenge);
        assert_eq!(push.number_after_polls, 0);
        assert_eq!(push.push_delay, Some(Duration::from_millis(1500)));
        assert_eq!(dave.factors[2].provider, FactorProvider::Yubico);
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
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"token:hotp\"",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"token\"",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"token:hardware\"\ncodes = [\"short\"]",
            "[[users]]\nlogin = \"a@example.com\"\n[[users.factors]]\ntype = \"push\"\npush_polls = 0",
            "users = 5",
        ] {
            assert!(SimDirectory::from_toml_str(bad).is_err(), "{bad}");
        }
    }
}
