//! Okta Identity Engine's Direct Authentication on the wire: the grants a
//! non-browser client sends to an authorization server's token endpoint
//! (a password, then a one-time code or an out-of-band approval), the
//! `/challenge` call that sends a push, an SMS or a voice call, and the
//! answers: tokens, or an OAuth error whose `error` says what comes next
//! (`mfa_required` with its `mfa_token`, `authorization_pending`,
//! `slow_down`, `invalid_grant`, `access_denied`).
//!
//! Shared by the bridge's client and the simulated org. Every token
//! (`mfa_token`, `oob_code`, access and ID tokens) is a [`SecretString`].

use secrecy::SecretString;
use serde::{Deserialize, Deserializer};

/// `grant_type` of the first step: the user's name and password.
pub const PASSWORD_GRANT: &str = "password";
/// `grant_type` of a one-time code typed by the user.
pub const MFA_OTP_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-otp";
/// `grant_type` of an out-of-band factor (push, SMS, voice), polled.
pub const MFA_OOB_GRANT: &str = "http://auth0.com/oauth/grant-type/mfa-oob";

/// The endpoints of an authorization server, relative to the org.
pub mod paths {
    /// `/oauth2/v1` for the org authorization server, `/oauth2/{id}/v1`
    /// for a custom one.
    pub fn base(authorization_server: Option<&str>) -> String {
        match authorization_server {
            Some(id) => format!("/oauth2/{id}/v1"),
            None => "/oauth2/v1".to_owned(),
        }
    }

    /// The token endpoint.
    pub fn token(authorization_server: Option<&str>) -> String {
        format!("{}/token", base(authorization_server))
    }

    /// Where a push, SMS or voice call is sent.
    pub fn challenge(authorization_server: Option<&str>) -> String {
        format!("{}/challenge", base(authorization_server))
    }

    /// The key set ID tokens are signed with.
    pub fn keys(authorization_server: Option<&str>) -> String {
        format!("{}/keys", base(authorization_server))
    }

    /// The `iss` of the server's tokens: the org for the org server,
    /// `{org}/oauth2/{id}` for a custom one.
    pub fn issuer(org_url: &str, authorization_server: Option<&str>) -> String {
        let org = org_url.trim_end_matches('/');
        match authorization_server {
            Some(id) => format!("{org}/oauth2/{id}"),
            None => org.to_owned(),
        }
    }
}

/// The OAuth `error` values Direct Authentication answers with.
pub mod errors {
    /// The password was right; a second factor is needed (`mfa_token`).
    pub const MFA_REQUIRED: &str = "mfa_required";
    /// The out-of-band factor is not answered yet: poll again.
    pub const AUTHORIZATION_PENDING: &str = "authorization_pending";
    /// Polled too often: add 5 seconds to the interval.
    pub const SLOW_DOWN: &str = "slow_down";
    /// Wrong password, wrong code, rejected push.
    pub const INVALID_GRANT: &str = "invalid_grant";
    /// The policy denies, or the `mfa_token` or `oob_code` expired.
    pub const ACCESS_DENIED: &str = "access_denied";
    /// The app's client authentication failed.
    pub const INVALID_CLIENT: &str = "invalid_client";
    /// The app may not use this grant (not enabled on the app).
    pub const UNAUTHORIZED_CLIENT: &str = "unauthorized_client";
    /// The server does not know the grant.
    pub const UNSUPPORTED_GRANT_TYPE: &str = "unsupported_grant_type";
    /// A scope the app may not ask for.
    pub const INVALID_SCOPE: &str = "invalid_scope";
    /// A malformed request (also: a factor the user has not enrolled).
    pub const INVALID_REQUEST: &str = "invalid_request";
}

/// `channel_hint` of a challenge: how the out-of-band factor reaches the user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Channel {
    Push,
    Sms,
    Voice,
}

impl Channel {
    /// As Okta spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Push => "push",
            Channel::Sms => "sms",
            Channel::Voice => "voice",
        }
    }

    /// Reads Okta's spelling.
    pub fn parse(text: &str) -> Option<Channel> {
        match text {
            "push" => Some(Channel::Push),
            "sms" => Some(Channel::Sms),
            "voice" => Some(Channel::Voice),
            _ => None,
        }
    }
}

/// How the user proves that the out-of-band answer is theirs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BindingMethod {
    /// Nothing: approving is enough.
    None,
    /// The client shows `binding_code`; the user picks it on the phone
    /// (number matching).
    Transfer,
    /// The user types into the client the code the phone (or SMS) shows.
    Prompt,
    /// A value this bridge does not know.
    Other(String),
}

impl BindingMethod {
    fn parse(text: Option<&str>) -> BindingMethod {
        match text {
            None | Some("none") => BindingMethod::None,
            Some("transfer") => BindingMethod::Transfer,
            Some("prompt") => BindingMethod::Prompt,
            Some(other) => BindingMethod::Other(other.to_owned()),
        }
    }
}

/// The answer of `/challenge`: the out-of-band transaction to poll.
#[derive(Debug, Clone, Deserialize)]
pub struct ChallengeAnswer {
    #[serde(deserialize_with = "secret")]
    pub oob_code: SecretString,
    /// Seconds until the `oob_code` expires.
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Least seconds between two polls.
    #[serde(default)]
    pub interval: Option<u64>,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    binding_method: Option<String>,
    /// The number to show with `transfer`.
    #[serde(default)]
    pub binding_code: Option<String>,
}

impl ChallengeAnswer {
    pub fn binding_method(&self) -> BindingMethod {
        BindingMethod::parse(self.binding_method.as_deref())
    }
}

/// A successful token answer.
#[derive(Debug, Clone, Deserialize)]
pub struct TokenAnswer {
    #[serde(default)]
    pub token_type: String,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default, deserialize_with = "optional_secret")]
    pub access_token: Option<SecretString>,
    /// Present when `openid` was asked for.
    #[serde(default, deserialize_with = "optional_secret")]
    pub id_token: Option<SecretString>,
    #[serde(default)]
    pub scope: Option<String>,
}

/// An OAuth error answer (RFC 6749 §5.2), with Okta's `mfa_token` when the
/// error is `mfa_required`.
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthErrorAnswer {
    pub error: String,
    #[serde(default)]
    pub error_description: Option<String>,
    #[serde(default, deserialize_with = "optional_secret")]
    pub mfa_token: Option<SecretString>,
}

fn secret<'de, D: Deserializer<'de>>(deserializer: D) -> Result<SecretString, D::Error> {
    Ok(SecretString::from(String::deserialize(deserializer)?))
}

fn optional_secret<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<SecretString>, D::Error> {
    Ok(Option::<String>::deserialize(deserializer)?.map(SecretString::from))
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn reads_okta_answers_and_hides_tokens() {
        let challenge: ChallengeAnswer = serde_json::from_str(
            r#"{"challenge_type":"http://auth0.com/oauth/grant-type/mfa-oob","oob_code":"ftOOB-secret",
                "expires_in":300,"interval":5,"channel":"push","binding_method":"transfer","binding_code":"42","new":1}"#,
        )
        .expect("a challenge answer");
        assert_eq!(challenge.binding_method(), BindingMethod::Transfer);
        assert_eq!(challenge.binding_code.as_deref(), Some("42"));
        assert_eq!(challenge.interval, Some(5));
        assert_eq!(challenge.oob_code.expose_secret(), "ftOOB-secret");
        assert!(!format!("{challenge:?}").contains("ftOOB-secret"));

        let error: OAuthErrorAnswer = serde_json::from_str(
            r#"{"error":"mfa_required","error_description":"MFA","mfa_token":"ftMFA-secret"}"#,
        )
        .expect("an error answer");
        assert_eq!(error.error, errors::MFA_REQUIRED);
        assert!(!format!("{error:?}").contains("ftMFA-secret"));

        let odd: ChallengeAnswer =
            serde_json::from_str(r#"{"oob_code":"x","binding_method":"carrier-pigeon"}"#)
                .expect("unknown values read");
        assert_eq!(
            odd.binding_method(),
            BindingMethod::Other("carrier-pigeon".into())
        );
    }

    #[test]
    fn endpoints_of_the_org_and_of_a_custom_server() {
        assert_eq!(paths::token(None), "/oauth2/v1/token");
        assert_eq!(paths::keys(Some("aus1")), "/oauth2/aus1/v1/keys");
        assert_eq!(paths::challenge(None), "/oauth2/v1/challenge");
        assert_eq!(
            paths::issuer("https://example.okta.com/", None),
            "https://example.okta.com"
        );
        assert_eq!(
            paths::issuer("https://example.okta.com", Some("default")),
            "https://example.okta.com/oauth2/default"
        );
    }
}
