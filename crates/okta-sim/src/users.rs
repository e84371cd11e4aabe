//! The simulated org's users as they are set up: who exists, their
//! password, status, profile, groups and enrolled factors, and how each
//! factor answers (a push approved or ignored, the codes a token shows).
//!
//! Loading users from TOML lives in [`super::directory`]; what the org keeps
//! per user while it runs lives in [`super::user_store`].

use std::collections::BTreeMap;
use std::time::Duration;

use secrecy::SecretString;
use serde::Deserialize;

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
