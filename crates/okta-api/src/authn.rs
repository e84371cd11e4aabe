//! The answers of Okta's Classic Authentication API (`/api/v1/authn` and the
//! factor calls that continue a transaction), as Rust types.
//!
//! Okta adds states, factor types and fields over time, so every enum here has
//! an `Unknown(String)` arm and unknown fields are ignored: a value we do not
//! know is something the login conversation turns into a rejection, never a
//! failure to read the answer. The `stateToken` is held in [`SecretString`], so
//! `Debug` output shows `[REDACTED]` in its place. Fields nothing here uses are
//! not read, so the one-time `sessionToken` of a `SUCCESS` is never held.

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};
use std::borrow::Cow;

use super::vocabulary::okta_vocabulary;

okta_vocabulary! {
    /// The `status` of an authentication transaction.
    pub enum AuthnStatus {
        /// Not yet authenticated (after a cancel, or a recovery start).
        Unauthenticated => "UNAUTHENTICATED",
        /// The password is about to expire (only with `warnBeforePasswordExpired`).
        PasswordWarn => "PASSWORD_WARN",
        /// The password has expired and must be changed.
        PasswordExpired => "PASSWORD_EXPIRED",
        /// A recovery transaction is under way.
        Recovery => "RECOVERY",
        /// A recovery factor must be verified.
        RecoveryChallenge => "RECOVERY_CHALLENGE",
        /// The user must choose a new password.
        PasswordReset => "PASSWORD_RESET",
        /// The user is locked out (shown only when the org reveals lockouts).
        LockedOut => "LOCKED_OUT",
        /// The user must enrol a factor first.
        MfaEnroll => "MFA_ENROLL",
        /// An enrolled factor must be activated.
        MfaEnrollActivate => "MFA_ENROLL_ACTIVATE",
        /// The password was right; a factor must be verified.
        MfaRequired => "MFA_REQUIRED",
        /// A factor challenge is in progress (push sent, code sent, ...).
        MfaChallenge => "MFA_CHALLENGE",
        /// Authenticated: the answer carries a one-time `sessionToken`.
        Success => "SUCCESS",
    }
}

okta_vocabulary! {
    /// The `factorType` of an enrolled factor.
    pub enum FactorType {
        /// Okta Verify push notification.
        Push => "push",
        /// A code sent by text message.
        Sms => "sms",
        /// A code read out by a voice call.
        Call => "call",
        /// A code sent by email.
        Email => "email",
        /// A security question.
        Question => "question",
        /// A hardware or software token (RSA SecurID, Symantec VIP).
        Token => "token",
        /// A hardware OTP token (YubiKey OTP).
        TokenHardware => "token:hardware",
        /// A counter-based one-time password.
        TokenHotp => "token:hotp",
        /// A time-based one-time password (Okta Verify, Google Authenticator).
        TokenSoftwareTotp => "token:software:totp",
        /// A FIDO U2F key (needs a browser).
        U2f => "u2f",
        /// A redirect-based factor such as Duo (needs a browser).
        Web => "web",
        /// A WebAuthn authenticator (needs a browser).
        Webauthn => "webauthn",
    }
}

okta_vocabulary! {
    /// The `provider` of an enrolled factor.
    pub enum FactorProvider {
        Okta => "OKTA",
        Google => "GOOGLE",
        Rsa => "RSA",
        Symantec => "SYMANTEC",
        Yubico => "YUBICO",
        Duo => "DUO",
        Fido => "FIDO",
        Custom => "CUSTOM",
    }
}

okta_vocabulary! {
    /// The `factorResult` of a factor challenge or verification.
    pub enum FactorResult {
        /// The factor was verified.
        Success => "SUCCESS",
        /// A code was sent; the user must type it.
        Challenge => "CHALLENGE",
        /// A push is pending: keep polling.
        Waiting => "WAITING",
        /// Verification failed.
        Failed => "FAILED",
        /// The user rejected the push.
        Rejected => "REJECTED",
        /// The push or code expired.
        Timeout => "TIMEOUT",
        /// The passcode is outside the allowed time window.
        TimeWindowExceeded => "TIME_WINDOW_EXCEEDED",
        /// The passcode was already used.
        PasscodeReplayed => "PASSCODE_REPLAYED",
        /// Okta could not verify the factor.
        Error => "ERROR",
        /// The challenge was cancelled.
        Cancelled => "CANCELLED",
    }
}

/// The answer to every `/api/v1/authn` call: the transaction's current state.
///
/// Okta answers HTTP 200 for every state; the `status` says what happens next.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuthnResponse {
    pub status: AuthnStatus,
    /// Names the transaction in every later call; absent on `SUCCESS`.
    #[serde(default, deserialize_with = "optional_secret")]
    pub state_token: Option<SecretString>,
    /// The result of the last factor challenge (challenge states only).
    pub factor_result: Option<FactorResult>,
    #[serde(rename = "_embedded")]
    pub embedded: Option<Box<Embedded>>,
    #[serde(rename = "_links")]
    pub links: Option<Box<AuthnLinks>>,
}

impl AuthnResponse {
    /// The user the transaction is about, if Okta named them.
    pub fn user(&self) -> Option<&AuthnUser> {
        self.embedded.as_ref()?.user.as_ref()
    }

    /// The factors offered in `MFA_REQUIRED` (empty otherwise).
    pub fn factors(&self) -> &[Factor] {
        self.embedded.as_ref().map_or(&[], |e| e.factors.as_slice())
    }

    /// The factor being challenged in `MFA_CHALLENGE`.
    pub fn challenged_factor(&self) -> Option<&Factor> {
        self.embedded.as_ref()?.factor.as_ref()
    }

    /// The result of the last challenge (`WAITING`, `REJECTED`, ...).
    pub fn factor_result(&self) -> Option<&FactorResult> {
        self.factor_result.as_ref()
    }

    /// Number matching: the number the user must pick in Okta Verify
    /// (`_embedded.factor._embedded.challenge.correctAnswer`); it may appear
    /// only after a few polls.
    pub fn correct_answer(&self) -> Option<u32> {
        self.challenged_factor()?
            .embedded
            .as_ref()?
            .challenge
            .as_ref()?
            .correct_answer
    }

    /// `_links.next`: `poll` while a push is pending, `verify` to submit a
    /// code or send a new push.
    pub fn next_link(&self) -> Option<&Link> {
        self.links.as_ref()?.next.as_ref()
    }

    /// `_links.resend[]`: where to ask for a new code or push.
    pub fn resend_links(&self) -> &[Link] {
        self.links
            .as_ref()
            .map_or(&[], |links| links.resend.as_slice())
    }

    /// `_links.cancel`.
    pub fn cancel_link(&self) -> Option<&Link> {
        self.links.as_ref()?.cancel.as_ref()
    }

    /// `_links.skip` (`PASSWORD_WARN`).
    pub fn skip_link(&self) -> Option<&Link> {
        self.links.as_ref()?.skip.as_ref()
    }
}

/// The `_embedded` resources of a transaction.
///
/// Okta lists the factors of `MFA_REQUIRED` under `factors`, and recent
/// documentation spells the list `factor` as well; the single factor of
/// `MFA_CHALLENGE` is under `factor`. Both spellings are read: a list lands in
/// [`Embedded::factors`], a single object in [`Embedded::factor`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(try_from = "RawEmbedded")]
pub struct Embedded {
    pub user: Option<AuthnUser>,
    pub factors: Vec<Factor>,
    pub factor: Option<Factor>,
    /// The sign-on policy that applies (remember device, factor lifetimes).
    pub policy: Option<serde_json::Value>,
}

#[derive(Deserialize)]
struct RawEmbedded {
    user: Option<AuthnUser>,
    factors: Option<Vec<Factor>>,
    factor: Option<serde_json::Value>,
    policy: Option<serde_json::Value>,
}

impl TryFrom<RawEmbedded> for Embedded {
    type Error = serde_json::Error;

    fn try_from(raw: RawEmbedded) -> Result<Self, Self::Error> {
        let mut factors = raw.factors.unwrap_or_default();
        let mut factor = None;
        match raw.factor {
            Some(serde_json::Value::Array(list)) => {
                for item in list {
                    factors.push(serde_json::from_value(item)?);
                }
            }
            Some(serde_json::Value::Null) | None => {}
            Some(single) => factor = Some(serde_json::from_value(single)?),
        }
        Ok(Embedded {
            user: raw.user,
            factors,
            factor,
            policy: raw.policy,
        })
    }
}

/// The user embedded in a transaction (and the shape of `GET /api/v1/users/me`):
/// the id and the profile fields the authentication API reveals.
///
/// Every successful login reads one, so its six strings are kept in one
/// allocation; the accessors borrow from it.
#[derive(Clone, PartialEq, Eq)]
pub struct AuthnUser {
    text: Box<str>,
    /// Where each field lies in `text`, in [`PROFILE_FIELDS`] order after
    /// the id; `None` for a field Okta left out or sent as `null`.
    spans: [Option<(u32, u32)>; 6],
}

/// The profile fields an [`AuthnUser`] keeps, as Okta spells them.
pub const PROFILE_FIELDS: [&str; 5] = ["login", "firstName", "lastName", "locale", "timeZone"];

impl AuthnUser {
    /// A user from its id and profile fields (for stand-ins and tests).
    pub fn new(id: &str, profile: [Option<&str>; 5]) -> AuthnUser {
        let [login, first, last, locale, zone] = profile;
        AuthnUser::pack([Some(id), login, first, last, locale, zone])
    }

    fn pack(fields: [Option<&str>; 6]) -> AuthnUser {
        let mut text = String::with_capacity(fields.iter().flatten().map(|f| f.len()).sum());
        let spans = fields.map(|field| {
            field.map(|field| {
                // Okta's fields are short; a body over 4 GiB is refused
                // long before it is read.
                let start = u32::try_from(text.len()).unwrap_or(u32::MAX);
                text.push_str(field);
                (start, u32::try_from(text.len()).unwrap_or(u32::MAX))
            })
        });
        AuthnUser {
            text: text.into_boxed_str(),
            spans,
        }
    }

    fn part(&self, index: usize) -> Option<&str> {
        let (start, end) = self.spans[index]?;
        self.text.get(start as usize..end as usize)
    }

    /// Okta's user id (`00u...`).
    pub fn id(&self) -> &str {
        self.part(0).unwrap_or_default()
    }

    /// `profile.login`.
    pub fn login(&self) -> &str {
        self.part(1).unwrap_or_default()
    }

    /// `profile.firstName`.
    pub fn first_name(&self) -> Option<&str> {
        self.part(2)
    }

    /// `profile.lastName`.
    pub fn last_name(&self) -> Option<&str> {
        self.part(3)
    }

    /// `profile.locale`.
    pub fn locale(&self) -> Option<&str> {
        self.part(4)
    }

    /// `profile.timeZone`.
    pub fn time_zone(&self) -> Option<&str> {
        self.part(5)
    }

    /// A profile field by Okta's name (one of [`PROFILE_FIELDS`]).
    pub fn profile_field(&self, name: &str) -> Option<&str> {
        let index = PROFILE_FIELDS.iter().position(|field| *field == name)?;
        self.part(index + 1)
    }

    /// The profile fields Okta sent, with their names.
    pub fn profile_fields(&self) -> impl Iterator<Item = (&'static str, &str)> {
        PROFILE_FIELDS
            .iter()
            .enumerate()
            .filter_map(|(index, name)| Some((*name, self.part(index + 1)?)))
    }
}

impl std::fmt::Debug for AuthnUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut out = f.debug_struct("AuthnUser");
        out.field("id", &self.id());
        for (name, value) in self.profile_fields() {
            out.field(name, &value);
        }
        out.finish()
    }
}

impl<'de> Deserialize<'de> for AuthnUser {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = RawUser::deserialize(deserializer)?;
        let p = &raw.profile;
        Ok(AuthnUser::pack([
            Some(&raw.id),
            Some(&p.login),
            p.first_name.as_ref().map(Text::as_str),
            p.last_name.as_ref().map(Text::as_str),
            p.locale.as_ref().map(Text::as_str),
            p.time_zone.as_ref().map(Text::as_str),
        ]))
    }
}

/// The user as Okta writes it; its strings borrow from the answer when
/// they hold no escapes.
#[derive(Deserialize)]
struct RawUser<'a> {
    #[serde(borrow)]
    id: Cow<'a, str>,
    #[serde(borrow)]
    profile: RawProfile<'a>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawProfile<'a> {
    #[serde(borrow)]
    login: Cow<'a, str>,
    #[serde(borrow, default)]
    first_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    last_name: Option<Text<'a>>,
    #[serde(borrow, default)]
    locale: Option<Text<'a>>,
    #[serde(borrow, default)]
    time_zone: Option<Text<'a>>,
}

/// A string that borrows from the answer when it can. (An `Option<Cow>`
/// field alone would always copy: serde borrows only a bare `Cow`.)
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl Text<'_> {
    fn as_str(&self) -> &str {
        &self.0
    }
}

/// An enrolled factor the user may verify (or, in `MFA_ENROLL`, a factor
/// the user may enrol, which has no id yet: `id` is then empty).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    #[serde(default)]
    pub id: String,
    pub factor_type: FactorType,
    pub provider: FactorProvider,
    pub vendor_name: Option<String>,
    #[serde(default)]
    pub profile: FactorProfile,
    #[serde(rename = "_links", default)]
    pub links: FactorLinks,
    #[serde(rename = "_embedded")]
    pub embedded: Option<FactorEmbedded>,
}

impl Factor {
    /// Where to POST to verify this factor (follow it, never build it).
    pub fn verify_href(&self) -> Option<&str> {
        self.links.verify.as_ref().map(|link| link.href.as_str())
    }
}

/// What Okta shows of a factor's enrolment (phone numbers and emails masked
/// in the authentication API).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorProfile {
    pub phone_number: Option<String>,
    pub credential_id: Option<String>,
    pub question: Option<String>,
    pub question_text: Option<String>,
    pub email: Option<String>,
}

/// The links of a factor.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FactorLinks {
    pub verify: Option<Link>,
}

/// Resources embedded in a factor during a challenge.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FactorEmbedded {
    /// Number matching: the number the user must pick in Okta Verify.
    pub challenge: Option<PushChallenge>,
}

/// A push challenge with number matching.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushChallenge {
    pub correct_answer: Option<u32>,
}

/// The `_links` of a transaction: where the conversation may go next.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct AuthnLinks {
    pub next: Option<Link>,
    pub prev: Option<Link>,
    pub cancel: Option<Link>,
    pub skip: Option<Link>,
    #[serde(default, deserialize_with = "one_or_many")]
    pub resend: Vec<Link>,
}

/// One hypermedia link.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Link {
    /// What the link does (`verify`, `poll`, `unlock`, `changePassword`, ...).
    pub name: Option<String>,
    pub href: String,
}

fn optional_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

fn one_or_many<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: serde::de::DeserializeOwned,
{
    use serde::de::Error as _;
    match Option::<serde_json::Value>::deserialize(deserializer)? {
        None | Some(serde_json::Value::Null) => Ok(Vec::new()),
        Some(serde_json::Value::Array(items)) => items
            .into_iter()
            .map(|item| serde_json::from_value(item).map_err(D::Error::custom))
            .collect(),
        Some(single) => Ok(vec![
            serde_json::from_value(single).map_err(D::Error::custom)?,
        ]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> AuthnResponse {
        serde_json::from_str(json).expect("documented shape parses")
    }

    #[test]
    fn success_names_the_user_and_keeps_no_session_token() {
        let reply = parse(
            r#"{
              "expiresAt": "2015-11-03T10:15:57.000Z",
              "status": "SUCCESS",
              "relayState": "/myapp/some/deep/link/i/want/to/return/to",
              "sessionToken": "00Fpzf4en68pCXTsMjcX8JPMctzN2Wiw4LDOBL_9pe",
              "_embedded": {
                "user": {
                  "id": "00ub0oNGTSWTBKOLGLNR",
                  "passwordChanged": "2015-09-08T20:14:45.000Z",
                  "profile": {
                    "login": "alice@example.com",
                    "firstName": "Alice",
                    "lastName": "Example",
                    "locale": "en_US",
                    "timeZone": "America/Los_Angeles"
                  }
                }
              }
            }"#,
        );
        assert_eq!(reply.status, AuthnStatus::Success);
        assert!(reply.state_token.is_none());
        let user = reply.user().expect("user");
        assert_eq!(user.id(), "00ub0oNGTSWTBKOLGLNR");
        assert_eq!(user.login(), "alice@example.com");
        assert_eq!(user.first_name(), Some("Alice"));
        assert_eq!(user.last_name(), Some("Example"));
        assert_eq!(user.locale(), Some("en_US"));
        assert_eq!(user.time_zone(), Some("America/Los_Angeles"));
        assert_eq!(user.profile_field("timeZone"), Some("America/Los_Angeles"));
        assert_eq!(user.profile_field("email"), None);
        let debug = format!("{reply:?}");
        assert!(!debug.contains("00Fpzf4en68pCXTsMjcX8JPMctzN2Wiw4LDOBL_9pe"));
    }

    #[test]
    fn a_user_keeps_each_field_apart_whether_sent_null_absent_or_escaped() {
        let reply = parse(
            r#"{"status": "SUCCESS", "_embedded": {"user": {
                "id": "00u2",
                "profile": {"login": "z\u00e9@example.com", "firstName": null,
                            "lastName": "O\"Neil", "timeZone": ""}
            }}}"#,
        );
        let user = reply.user().expect("user");
        assert_eq!(user.id(), "00u2");
        assert_eq!(user.login(), "zé@example.com");
        assert_eq!(user.first_name(), None);
        assert_eq!(user.last_name(), Some("O\"Neil"));
        assert_eq!(user.locale(), None);
        assert_eq!(user.time_zone(), Some(""));
        let fields: Vec<_> = user.profile_fields().collect();
        assert_eq!(
            fields,
            [
                ("login", "zé@example.com"),
                ("lastName", "O\"Neil"),
                ("timeZone", "")
            ]
        );
        assert_eq!(
            *user,
            AuthnUser::new(
                "00u2",
                [
                    Some("zé@example.com"),
                    None,
                    Some("O\"Neil"),
                    None,
                    Some("")
                ]
            )
        );
    }

    const MFA_REQUIRED_FACTORS: &str = r#"[
        {
          "id": "opfh52xcuft3J4uZc0g3",
          "factorType": "push",
          "provider": "OKTA",
          "vendorName": "OKTA",
          "profile": {
            "credentialId": "alice@example.com",
            "deviceType": "SmartPhone_IPhone",
            "keys": [{"kty": "PKIX", "use": "sig", "kid": "default", "x5c": ["MIIB"]}],
            "name": "Phone",
            "platform": "IOS",
            "version": "9.0"
          },
          "_links": {
            "verify": {
              "href": "https://example.okta.com/api/v1/authn/factors/opfh52xcuft3J4uZc0g3/verify",
              "hints": {"allow": ["POST"]}
            }
          }
        },
        {
          "id": "sms193zUBEROPBNZKPPE",
          "factorType": "sms",
          "provider": "OKTA",
          "profile": {"phoneNumber": "+1 XXX-XXX-1337"},
          "_links": {
            "verify": {"href": "https://example.okta.com/api/v1/authn/factors/sms193zUBEROPBNZKPPE/verify"}
          }
        },
        {
          "id": "ufs1pe3ISGKGPYKXRBKK",
          "factorType": "question",
          "provider": "OKTA",
          "profile": {"question": "favorite_art_piece", "questionText": "What is your favorite piece of art?"},
          "_links": {"verify": {"href": "https://example.okta.com/api/v1/authn/factors/ufs1pe3ISGKGPYKXRBKK/verify"}}
        }
      ]"#;

    fn mfa_required(list_key: &str) -> String {
        format!(
            r#"{{
              "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
              "expiresAt": "2015-11-03T10:15:57.000Z",
              "status": "MFA_REQUIRED",
              "_embedded": {{
                "user": {{"id": "00ub0oNGTSWTBKOLGLNR", "profile": {{"login": "alice@example.com"}}}},
                "{list_key}": {MFA_REQUIRED_FACTORS},
                "policy": {{"allowRememberDevice": false}}
              }},
              "_links": {{
                "cancel": {{"href": "https://example.okta.com/api/v1/authn/cancel", "hints": {{"allow": ["POST"]}}}}
              }}
            }}"#
        )
    }

    #[test]
    fn mfa_required_lists_factors_under_either_spelling() {
        for key in ["factors", "factor"] {
            let reply = parse(&mfa_required(key));
            assert_eq!(reply.status, AuthnStatus::MfaRequired);
            assert!(reply.state_token.is_some());
            let factors = reply.factors();
            assert_eq!(factors.len(), 3, "spelling {key}");
            assert_eq!(factors[0].factor_type, FactorType::Push);
            assert_eq!(factors[0].provider, FactorProvider::Okta);
            assert_eq!(
                factors[0].verify_href(),
                Some("https://example.okta.com/api/v1/authn/factors/opfh52xcuft3J4uZc0g3/verify")
            );
            assert_eq!(factors[1].factor_type, FactorType::Sms);
            assert_eq!(
                factors[1].profile.phone_number.as_deref(),
                Some("+1 XXX-XXX-1337")
            );
            assert_eq!(
                factors[2].profile.question_text.as_deref(),
                Some("What is your favorite piece of art?")
            );
            assert!(reply.challenged_factor().is_none());
            assert!(
                reply
                    .links
                    .as_ref()
                    .and_then(|l| l.cancel.as_ref())
                    .is_some()
            );
        }
    }

    #[test]
    fn mfa_challenge_carries_one_factor_and_a_poll_link() {
        let reply = parse(
            r#"{
              "stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb",
              "expiresAt": "2015-11-03T10:15:57.000Z",
              "status": "MFA_CHALLENGE",
              "factorResult": "WAITING",
              "_embedded": {
                "user": {"id": "00ub0oNGTSWTBKOLGLNR", "profile": {"login": "alice@example.com"}},
                "factor": {
                  "id": "opfh52xcuft3J4uZc0g3",
                  "factorType": "push",
                  "provider": "OKTA",
                  "profile": {"credentialId": "alice@example.com"},
                  "_embedded": {"challenge": {"correctAnswer": 42}}
                }
              },
              "_links": {
                "next": {"name": "poll", "href": "https://example.okta.com/api/v1/authn/factors/opfh52xcuft3J4uZc0g3/verify"},
                "resend": [{"name": "push", "href": "https://example.okta.com/api/v1/authn/factors/opfh52xcuft3J4uZc0g3/verify/resend"}],
                "prev": {"href": "https://example.okta.com/api/v1/authn/previous"}
              }
            }"#,
        );
        assert_eq!(reply.status, AuthnStatus::MfaChallenge);
        assert_eq!(reply.factor_result, Some(FactorResult::Waiting));
        let factor = reply.challenged_factor().expect("factor");
        assert_eq!(factor.factor_type, FactorType::Push);
        let answer = factor
            .embedded
            .as_ref()
            .and_then(|e| e.challenge.as_ref())
            .and_then(|c| c.correct_answer);
        assert_eq!(answer, Some(42));
        assert!(reply.factors().is_empty());
        let links = reply.links.expect("links");
        assert_eq!(links.next.and_then(|n| n.name).as_deref(), Some("poll"));
        assert_eq!(links.resend.len(), 1);
    }

    #[test]
    fn locked_out_and_password_expired_parse() {
        let locked = parse(
            r#"{"status": "LOCKED_OUT", "_links": {"next": {"name": "unlock",
                "href": "https://example.okta.com/api/v1/authn/recovery/unlock", "hints": {"allow": ["POST"]}}}}"#,
        );
        assert_eq!(locked.status, AuthnStatus::LockedOut);
        assert!(locked.state_token.is_none());

        let expired = parse(
            r#"{"stateToken": "007ucIX7PATyn94hsHfOLVaXAmOBkKHWnOOLG43bsb", "expiresAt": "2015-11-03T10:15:57.000Z",
                "status": "PASSWORD_EXPIRED",
                "_embedded": {"user": {"id": "00ub0oNGTSWTBKOLGLNR", "profile": {"login": "alice@example.com"}},
                  "policy": {"complexity": {"minLength": 8}}},
                "_links": {"next": {"name": "changePassword", "href": "https://example.okta.com/api/v1/authn/credentials/change_password"},
                  "cancel": {"href": "https://example.okta.com/api/v1/authn/cancel"}}}"#,
        );
        assert_eq!(expired.status, AuthnStatus::PasswordExpired);
        assert!(expired.state_token.is_some());
    }

    #[test]
    fn unknown_values_become_unknown_not_errors() {
        let reply = parse(
            r#"{
              "status": "SOMETHING_NEW",
              "factorResult": "PENDING_REVIEW",
              "brandNewField": {"nested": [1, 2, 3]},
              "_embedded": {
                "factors": [{
                  "id": "xyz1", "factorType": "signed_nonce", "provider": "ACME",
                  "_links": {"verify": {"href": "https://example.okta.com/x"}}
                }],
                "somethingElse": true
              }
            }"#,
        );
        assert_eq!(reply.status, AuthnStatus::Unknown("SOMETHING_NEW".into()));
        assert_eq!(
            reply.factor_result,
            Some(FactorResult::Unknown("PENDING_REVIEW".into()))
        );
        let factor = &reply.factors()[0];
        assert_eq!(
            factor.factor_type,
            FactorType::Unknown("signed_nonce".into())
        );
        assert_eq!(factor.provider, FactorProvider::Unknown("ACME".into()));
        assert_eq!(factor.factor_type.as_str(), "signed_nonce");
    }

    #[test]
    fn vocabulary_round_trips() {
        for wire in ["push", "token:software:totp", "token:hardware", "webauthn"] {
            assert_eq!(FactorType::from(wire).as_str(), wire);
            assert_ne!(FactorType::from(wire), FactorType::Unknown(wire.into()));
        }
        assert_eq!(
            serde_json::to_string(&AuthnStatus::MfaEnrollActivate).expect("serializes"),
            "\"MFA_ENROLL_ACTIVATE\""
        );
        assert_eq!(
            FactorResult::from("TIME_WINDOW_EXCEEDED"),
            FactorResult::TimeWindowExceeded
        );
    }
}
