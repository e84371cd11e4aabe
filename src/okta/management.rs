//! The management calls the bridge makes with its service account: find a
//! user by login, read their groups (for reply attributes) and factors, and
//! verify a factor without a password step (the factors API's "MFA only"
//! mode: OTP, codes sent by SMS/call/email, push with a poll transaction).
//!
//! Every call here is made as `Caller::ServiceAccount`, so when an OAuth
//! service app is configured (`[okta.oauth]`) these calls use its DPoP
//! tokens instead of the `SSWS` token; only the exchange's one
//! `Authorization` decision knows. Types follow the Okta management
//! API; enums keep unknown values, and unknown fields are ignored.

use std::net::IpAddr;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::authn::{FactorProfile, FactorProvider, FactorResult, FactorType, Link, PushChallenge};
use super::budget::CallClass;
use super::client::{CallKind, Caller, OktaClient, OktaReply};

/// How every management call is made.
const MANAGEMENT: CallKind = CallKind::new(Caller::ServiceAccount, CallClass::Management);
use super::error::OktaError;
use super::vocabulary::okta_vocabulary;

/// Pages of groups read at most for one user; more is an error, so that a
/// decision is never made on a partial list.
pub const MAX_GROUP_PAGES: usize = 20;

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

/// What to send to `POST /api/v1/users/{uid}/factors/{fid}/verify`: a code
/// or an answer, nothing (send an SMS/call/email code, or a push), and for a
/// push whether to ask for number matching.
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
    pub fn as_authn_factor(&self) -> super::authn::Factor {
        super::authn::Factor {
            id: self.id.clone(),
            factor_type: self.factor_type.clone(),
            provider: self.provider.clone(),
            vendor_name: None,
            profile: self.profile.clone(),
            links: super::authn::FactorLinks::default(),
            embedded: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Default)]
pub struct UserFactorVerify<'a> {
    pub pass_code: Option<&'a SecretString>,
    pub answer: Option<&'a SecretString>,
    /// Push only: `useNumberMatchingChallenge`.
    pub use_number_matching: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserFactorVerifyBody<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pass_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    use_number_matching_challenge: bool,
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

impl OktaClient {
    /// `GET /api/v1/users/{login}` (percent-encoded); a login containing `/`
    /// cannot be a path segment, so it is looked up with
    /// `GET /api/v1/users?search=profile.login eq "..."`. An unknown user is
    /// `OktaError::Api` with `E0000007`, either way.
    pub async fn find_user(&self, login: &str) -> Result<OktaReply<User>, OktaError> {
        if !login.contains('/') {
            let mut url = self.endpoint("api/v1/users")?;
            push_segments(&mut url, &[login])?;
            return self.get_json(MANAGEMENT, url).await;
        }
        let mut url = self.endpoint("api/v1/users")?;
        let escaped = login.replace('\\', "\\\\").replace('"', "\\\"");
        url.query_pairs_mut()
            .append_pair("search", &format!("profile.login eq \"{escaped}\""));
        let reply: OktaReply<Vec<User>> = self.get_json(MANAGEMENT, url).await?;
        let OktaReply {
            body,
            request_id,
            rate_limit,
            http_status,
        } = reply;
        match body
            .into_iter()
            .find(|user| user.profile.login.eq_ignore_ascii_case(login))
        {
            Some(user) => Ok(OktaReply {
                body: user,
                request_id,
                rate_limit,
                http_status,
            }),
            None => Err(OktaError::Api {
                http_status: 404,
                error_code: super::error::codes::NOT_FOUND.to_owned(),
                summary: "Not found: no user has this login".to_owned(),
                request_id,
                rate_limit,
            }),
        }
    }

    /// `GET /api/v1/users/{id}/groups`, following `Link: rel="next"` pages
    /// (at most [`MAX_GROUP_PAGES`]). The reply's request id and rate limit
    /// are those of the last page.
    pub async fn user_groups(&self, user_id: &str) -> Result<OktaReply<Vec<Group>>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "groups"])?;
        let mut groups = Vec::new();
        for _ in 0..MAX_GROUP_PAGES {
            let (page, next): (OktaReply<Vec<Group>>, _) = self.get_page(MANAGEMENT, url).await?;
            let OktaReply {
                body,
                request_id,
                rate_limit,
                http_status,
            } = page;
            groups.extend(body);
            match next {
                Some(next) => url = next,
                None => {
                    return Ok(OktaReply {
                        body: groups,
                        request_id,
                        rate_limit,
                        http_status,
                    });
                }
            }
        }
        Err(OktaError::Decode(format!(
            "the user's groups take more than {MAX_GROUP_PAGES} pages"
        )))
    }

    /// `GET /api/v1/users/{id}/factors`: the user's enrolled factors.
    pub async fn user_factors(
        &self,
        user_id: &str,
    ) -> Result<OktaReply<Vec<UserFactor>>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors"])?;
        self.get_json(MANAGEMENT, url).await
    }

    /// `POST /api/v1/users/{uid}/factors/{fid}/verify`: an OTP or answer
    /// (`SUCCESS`, or 403 `E0000068`), nothing to send an SMS/call/email code
    /// (`CHALLENGE`), or a push (HTTP 201 `WAITING` with a poll link).
    pub async fn verify_user_factor(
        &self,
        user_id: &str,
        factor_id: &str,
        verify: &UserFactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<FactorVerification>, OktaError> {
        let mut url = self.endpoint("api/v1/users")?;
        push_segments(&mut url, &[user_id, "factors", factor_id, "verify"])?;
        let body = UserFactorVerifyBody {
            pass_code: verify.pass_code.map(|code| code.expose_secret()),
            answer: verify.answer.map(|answer| answer.expose_secret()),
            use_number_matching_challenge: verify.use_number_matching,
        };
        let secret = verify.pass_code.is_some() || verify.answer.is_some();
        self.post_json(MANAGEMENT.secret_bearing(secret), url, &body, forwarded_for)
            .await
    }

    /// GETs a push's poll link: `WAITING`, `SUCCESS`, `REJECTED` or `TIMEOUT`.
    pub async fn poll_user_factor(
        &self,
        href: &str,
    ) -> Result<OktaReply<FactorVerification>, OktaError> {
        let url = self.resolve_link(href)?;
        let poll = CallKind::new(Caller::ServiceAccount, CallClass::Poll);
        self.get_json(poll, url).await
    }

    /// DELETEs a push's transaction: the push can no longer be approved.
    pub async fn cancel_user_factor(&self, href: &str) -> Result<OktaReply<()>, OktaError> {
        let url = self.resolve_link(href)?;
        self.exchange(MANAGEMENT, Method::DELETE, url, None, None)
            .await
    }
}

/// Appends percent-encoded path segments (`/` inside one is encoded too).
fn push_segments(url: &mut Url, segments: &[&str]) -> Result<(), OktaError> {
    let mut path = url
        .path_segments_mut()
        .map_err(|()| OktaError::Config("the org URL cannot take a path".into()))?;
    path.pop_if_empty();
    for segment in segments {
        path.push(segment);
    }
    Ok(())
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

    #[test]
    fn verify_body_sends_only_what_is_given() {
        let code = SecretString::from("123456");
        let body = UserFactorVerifyBody {
            pass_code: Some(code.expose_secret()),
            answer: None,
            use_number_matching_challenge: false,
        };
        assert_eq!(
            serde_json::to_string(&body).expect("json"),
            r#"{"passCode":"123456"}"#
        );
        let push = UserFactorVerifyBody {
            pass_code: None,
            answer: None,
            use_number_matching_challenge: true,
        };
        assert_eq!(
            serde_json::to_string(&push).expect("json"),
            r#"{"useNumberMatchingChallenge":true}"#
        );
    }
}
