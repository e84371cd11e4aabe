//! The `private_key_jwt` client assertion (RFC 7523 §2.2, Okta's client
//! authentication for API Services apps): a short-lived JWT, signed with the
//! app's active key, that proves to the token endpoint who is asking.
//!
//! Okta's rules: header `alg` and `kid`; claims `iss` = `sub` = client_id,
//! `aud` = the exact token URL, `iat`, `exp` at most one hour ahead, `jti`
//! unique per request. The bridge uses five minutes and a random 128-bit
//! `jti`, and signs a new assertion for every token request.

use std::time::{Duration, SystemTime};

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};

use super::keys::SigningKey;

/// How long an assertion is valid (Okta allows at most one hour).
const ASSERTION_LIFETIME: Duration = Duration::from_secs(300);

/// The claims of a client assertion.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientAssertionClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub iat: u64,
    pub exp: u64,
    pub jti: String,
}

/// A signed client assertion. It authenticates the app for its lifetime, so
/// it does not print.
pub struct ClientAssertion(SecretString);

impl std::fmt::Debug for ClientAssertion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ClientAssertion([REDACTED])")
    }
}

impl ClientAssertion {
    /// Signs an assertion for `client_id` at `token_url`, issued at `now`.
    pub fn sign(
        key: &SigningKey,
        client_id: &str,
        token_url: &Url,
        now: SystemTime,
    ) -> ClientAssertion {
        let iat = epoch_seconds(now);
        let claims = ClientAssertionClaims {
            iss: client_id.to_owned(),
            sub: client_id.to_owned(),
            aud: token_url.as_str().to_owned(),
            iat,
            exp: iat + ASSERTION_LIFETIME.as_secs(),
            jti: random_jti(),
        };
        ClientAssertion(SecretString::from(key.sign_jwt(&claims)))
    }

    /// The compact JWT, for the `client_assertion` form field only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// A random 128-bit identifier, base64url: the `jti` of assertions and proofs.
pub(crate) fn random_jti() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 16];
    rand::fill(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whole seconds since the Unix epoch (0 for a clock before 1970).
pub(crate) fn epoch_seconds(time: SystemTime) -> u64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::jose::jws::CompactJws;

    #[test]
    fn claims_follow_okta_rules() {
        let key = SigningKey::generate(Some("k1")).unwrap();
        let url = Url::parse("https://example.okta.com/oauth2/v1/token").unwrap();
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let first = ClientAssertion::sign(&key, "0oa123", &url, now);
        let second = ClientAssertion::sign(&key, "0oa123", &url, now);

        let jws = CompactJws::decode(first.expose()).unwrap();
        assert_eq!(jws.header_str("alg"), Some("ES256"));
        assert_eq!(jws.header_str("kid"), Some("k1"));
        assert_eq!(jws.header_str("typ"), Some("JWT"));
        let claims: ClientAssertionClaims =
            serde_json::from_value(serde_json::Value::Object(jws.claims.clone())).unwrap();
        assert_eq!(claims.iss, "0oa123");
        assert_eq!(claims.sub, "0oa123");
        assert_eq!(claims.aud, "https://example.okta.com/oauth2/v1/token");
        assert_eq!(claims.iat, 1_700_000_000);
        assert_eq!(claims.exp, 1_700_000_300);
        assert_eq!(claims.jti.len(), 22);

        let other = CompactJws::decode(second.expose()).unwrap();
        assert_ne!(other.claim_str("jti"), Some(claims.jti.as_str()));
        assert_eq!(format!("{first:?}"), "ClientAssertion([REDACTED])");
    }
}
