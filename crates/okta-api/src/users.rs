//! Okta's management API on the wire, as far as the bridge reads it: users,
//! their profile, groups and enrolled factors, and the answer of a
//! factors-API verification (MFA-only mode). Enums keep unknown values and
//! unknown fields are ignored.

use serde::Deserialize;

use crate::authn::{FactorProfile, FactorProvider, FactorResult, FactorType, Link, PushChallenge};
use crate::vocabulary::okta_vocabulary;

okta_vocabulary! {
    /// A user's lifecycle `status`.
    pub enum UserStatus {
        Staged => "STAGED",
        Provisioned => "PROVISIONED",
        Active => "ACTIVE",
        Recovery => "RECOVERY",
        LockedOut => "LOCKED_OUT",
        PasswordExpired => "PASSWORD_EXPIRED",
        Suspended => "SUSPENDED",
        Deprovisioned => "DEPROVISIONED",
    }
}

okta_vocabulary! {
    /// The `type` of a group.
    pub enum GroupType {
        /// A group managed in Okta.
        OktaGroup => "OKTA_GROUP",
        /// A group imported from an app or directory (AD, LDAP, ...).
        AppGroup => "APP_GROUP",
        /// A group Okta manages itself (`Everyone`).
        BuiltIn => "BUILT_IN",
    }
}

okta_vocabulary! {
    /// The `status` of an enrolled factor.
    pub enum FactorStatus {
        Active => "ACTIVE",
        PendingActivation => "PENDING_ACTIVATION",
        NotSetup => "NOT_SETUP",
        Enrolled => "ENROLLED",
        Inactive => "INACTIVE",
        Expired => "EXPIRED",
    }
}

/// A user, as `GET /api/v1/users/{id or login}` returns them.
#[derive(Debug, Clone, Deserialize)]
pub struct User {
    pub id: String,
    pub status: UserStatus,
    pub profile: Profile,
}

/// A user's profile: the attributes the bridge names, and every other
/// attribute (custom ones included) for reply-attribute templates.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub login: String,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
    /// Every other profile attribute, as Okta sent it.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

/// A group the user belongs to.
#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(rename = "type")]
    pub group_type: GroupType,
    pub profile: GroupProfile,
}

/// A group's name and description.
#[derive(Debug, Clone, Deserialize)]
pub struct GroupProfile {
    pub name: String,
    pub description: Option<String>,
}

/// A factor enrolled for a user, as the factors API lists it (phone numbers
/// and emails not masked).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFactor {
    pub id: String,
    pub factor_type: FactorType,
    pub provider: FactorProvider,
    pub status: FactorStatus,
    #[serde(default)]
    pub profile: FactorProfile,
    #[serde(rename = "_links", default)]
    pub links: serde_json::Map<String, serde_json::Value>,
}

impl User {
    /// The profile as text fields, for reply templates (`{profile.email}`).
    pub fn profile_strings(&self) -> std::collections::HashMap<String, String> {
        let mut out: std::collections::HashMap<String, String> = self
            .profile
            .other
            .iter()
            .filter_map(|(key, value)| match value {
                serde_json::Value::String(text) => Some((key.clone(), text.clone())),
                serde_json::Value::Number(number) => Some((key.clone(), number.to_string())),
                serde_json::Value::Bool(flag) => Some((key.clone(), flag.to_string())),
                _ => None,
            })
            .collect();
        out.insert("login".to_owned(), self.profile.login.clone());
        for (key, value) in [
            ("email", &self.profile.email),
            ("firstName", &self.profile.first_name),
            ("lastName", &self.profile.last_name),
        ] {
            if let Some(value) = value {
                out.insert(key.to_owned(), value.clone());
            }
        }
        out
    }
}

impl UserFactor {
    /// The factor in the shape the authentication API uses, for labels and
    /// factor selection shared by both APIs. It has no verify link: the
    /// management API verifies by user and factor id.
    pub fn as_authn_factor(&self) -> crate::authn::Factor {
        crate::authn::Factor {
            id: self.id.clone(),
            factor_type: self.factor_type.clone(),
            provider: self.provider.clone(),
            vendor_name: None,
            profile: self.profile.clone(),
            links: crate::authn::FactorLinks::default(),
            embedded: None,
        }
    }
}

/// The answer of a factors-API verification or push poll.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorVerification {
    pub factor_result: FactorResult,
    pub expires_at: Option<String>,
    #[serde(rename = "_links", default)]
    pub links: VerificationLinks,
    #[serde(rename = "_embedded", default)]
    pub embedded: VerificationEmbedded,
}

impl FactorVerification {
    /// Where to GET the push's result (and DELETE it to cancel).
    pub fn poll_href(&self) -> Option<&str> {
        self.links.poll.as_ref().map(|link| link.href.as_str())
    }

    /// Where to DELETE the push transaction (the poll link when absent).
    pub fn cancel_href(&self) -> Option<&str> {
        self.links
            .cancel
            .as_ref()
            .map(|link| link.href.as_str())
            .or_else(|| self.poll_href())
    }

    /// Number matching: the number the user must pick in Okta Verify.
    pub fn correct_answer(&self) -> Option<u32> {
        self.embedded.challenge.as_ref()?.correct_answer
    }
}

/// The links of a factors-API verification.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerificationLinks {
    pub poll: Option<Link>,
    pub cancel: Option<Link>,
    pub verify: Option<Link>,
}

/// Resources embedded in a factors-API verification.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct VerificationEmbedded {
    pub challenge: Option<PushChallenge>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_keeps_every_profile_attribute() {
        let user: User = serde_json::from_str(
            r#"{"id": "00u1", "status": "ACTIVE", "created": "2020-01-01T00:00:00.000Z",
                "profile": {"login": "a@example.com", "email": "a@example.com", "firstName": "A",
                  "lastName": "B", "department": "Eng", "employeeNumber": 42}}"#,
        )
        .expect("parses");
        assert_eq!(user.status, UserStatus::Active);
        assert_eq!(user.profile.first_name.as_deref(), Some("A"));
        assert_eq!(user.profile.other["department"], "Eng");
        assert_eq!(user.profile.other["employeeNumber"], 42);
        assert!(!user.profile.other.contains_key("login"));

        let odd: User = serde_json::from_str(
            r#"{"id": "00u2", "status": "BRAND_NEW", "profile": {"login": "x"}}"#,
        )
        .expect("parses");
        assert_eq!(odd.status, UserStatus::Unknown("BRAND_NEW".into()));
    }

    #[test]
    fn push_verification_links_and_number() {
        let waiting: FactorVerification = serde_json::from_str(
            r#"{"factorResult": "WAITING", "expiresAt": "2020-01-01T00:05:00.000Z",
                "_links": {"poll": {"href": "https://example.okta.com/api/v1/users/u/factors/f/transactions/t"}},
                "_embedded": {"challenge": {"correctAnswer": 37}}}"#,
        )
        .expect("parses");
        assert_eq!(waiting.factor_result, FactorResult::Waiting);
        assert_eq!(waiting.correct_answer(), Some(37));
        assert_eq!(waiting.cancel_href(), waiting.poll_href());
        let done: FactorVerification =
            serde_json::from_str(r#"{"factorResult": "SUCCESS"}"#).expect("parses");
        assert!(done.poll_href().is_none());
    }
}
