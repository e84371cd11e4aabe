//! DPoP (RFC 9449): proof that the sender of a request holds the private key
//! an access token is bound to, so a stolen token is useless on its own.
//!
//! The bridge makes one P-256 DPoP key in memory when it starts; it is never
//! written anywhere and is a different key from the client-assertion key
//! (Okta requires that). Each request gets a fresh proof: header
//! `{"typ":"dpop+jwt","alg":"ES256","jwk":{public key}}`, claims `htm` (the
//! method), `htu` (the URL without query and fragment), `iat`, a unique
//! `jti`, the server's `nonce` once it has given one, and for resource
//! requests `ath` = base64url(SHA-256(access token)).

use std::time::SystemTime;

use p256::ecdsa::SigningKey as EcSigningKey;
use p256::elliptic_curve::Generate;
use reqwest::header::HeaderMap;
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::assertion::{epoch_seconds, random_jti};
use okta_api::jose::jwk::PublicJwk;
use okta_api::jose::jws;
use okta_api::oauth::{
    DPOP_NONCE_HEADER, DPOP_PROOF_TYPE, DpopProofClaims, USE_DPOP_NONCE, access_token_hash, htu,
};

/// The key DPoP proofs are signed with. Lives in memory only.
pub struct DpopKey {
    key: EcSigningKey,
    jwk: PublicJwk,
}

impl std::fmt::Debug for DpopKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DpopKey")
            .field("jkt", &self.jwk.thumbprint())
            .finish_non_exhaustive()
    }
}

impl DpopKey {
    /// A new random key.
    pub fn generate() -> DpopKey {
        let key = EcSigningKey::generate();
        let jwk = PublicJwk::from_verifying_key(key.verifying_key());
        DpopKey { key, jwk }
    }

    /// The key's RFC 7638 thumbprint: the `jkt` tokens are bound to.
    pub(crate) fn thumbprint(&self) -> String {
        self.jwk.thumbprint()
    }

    /// A proof for one request. `access_token` is given for resource requests
    /// (it sets `ath`), `None` for the token endpoint.
    pub fn proof(
        &self,
        method: &Method,
        url: &Url,
        nonce: Option<&str>,
        access_token: Option<&SecretString>,
        now: SystemTime,
    ) -> DpopProof {
        #[derive(Serialize)]
        struct Header<'a> {
            typ: &'static str,
            alg: &'static str,
            jwk: &'a PublicJwk,
        }
        let header = Header {
            typ: DPOP_PROOF_TYPE,
            alg: "ES256",
            jwk: &self.jwk,
        };
        let claims = DpopProofClaims {
            htm: method.as_str().to_owned(),
            htu: htu(url),
            iat: epoch_seconds(now),
            jti: random_jti(),
            nonce: nonce.map(str::to_owned),
            ath: access_token.map(|token| access_token_hash(token.expose_secret())),
        };
        DpopProof(SecretString::from(jws::sign_es256(
            &self.key, &header, &claims,
        )))
    }
}

/// One signed DPoP proof: the value of a `DPoP` request header. It does not
/// print (with the token it names it is a usable credential for its lifetime).
pub struct DpopProof(SecretString);

impl std::fmt::Debug for DpopProof {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DpopProof([REDACTED])")
    }
}

impl DpopProof {
    /// The compact JWS, for the `DPoP` header only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

/// The nonce a response hands out in its `dpop-nonce` header, if any.
pub(crate) fn nonce_from(headers: &HeaderMap) -> Option<String> {
    headers
        .get(DPOP_NONCE_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::trim)
        .filter(|nonce| !nonce.is_empty())
        .map(str::to_owned)
}

/// Whether a resource server's answer demands a proof with a new nonce:
/// `401` with `WWW-Authenticate: DPoP error="use_dpop_nonce"`. The caller
/// then passes the headers to `note_response` and retries once.
pub fn demands_new_nonce(status: StatusCode, headers: &HeaderMap) -> bool {
    status == StatusCode::UNAUTHORIZED
        && headers
            .get_all(reqwest::header::WWW_AUTHENTICATE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .any(|challenge| {
                let challenge = challenge.trim_start();
                challenge
                    .get(..5)
                    .is_some_and(|scheme| scheme.eq_ignore_ascii_case("dpop "))
                    && challenge_error(challenge) == Some(USE_DPOP_NONCE)
            })
}

/// The `error` parameter of a `WWW-Authenticate` challenge.
fn challenge_error(challenge: &str) -> Option<&str> {
    let start = challenge.find("error=")? + "error=".len();
    let rest = &challenge[start..];
    match rest.strip_prefix('"') {
        Some(quoted) => quoted.split('"').next(),
        None => rest.split([',', ' ']).next(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use okta_api::jose::jws::CompactJws;
    use reqwest::header::HeaderValue;

    #[test]
    fn proof_has_the_rfc9449_shape() {
        let key = DpopKey::generate();
        let url = Url::parse("https://example.okta.com/api/v1/users?q=a#frag").unwrap();
        let token = SecretString::from("access-token-value");
        let proof = key.proof(
            &Method::GET,
            &url,
            Some("n-1"),
            Some(&token),
            SystemTime::now(),
        );
        let jws = CompactJws::decode(proof.expose()).unwrap();
        assert_eq!(jws.header_str("typ"), Some("dpop+jwt"));
        assert_eq!(jws.header_str("alg"), Some("ES256"));
        let jwk: PublicJwk =
            serde_json::from_value(jws.header.get("jwk").unwrap().clone()).unwrap();
        assert_eq!(jwk, key.jwk);
        assert!(jws.verify_es256(&jwk.verifying_key().unwrap()).is_ok());
        assert_eq!(jws.claim_str("htm"), Some("GET"));
        assert_eq!(
            jws.claim_str("htu"),
            Some("https://example.okta.com/api/v1/users")
        );
        assert_eq!(jws.claim_str("nonce"), Some("n-1"));
        assert_eq!(
            jws.claim_str("ath"),
            Some(access_token_hash("access-token-value").as_str())
        );
        assert_eq!(format!("{proof:?}"), "DpopProof([REDACTED])");
        assert!(!format!("{key:?}").contains(&URL_SAFE_NO_PAD.encode(key.key.to_bytes())));

        let token_request = key.proof(&Method::POST, &url, None, None, SystemTime::now());
        let jws = CompactJws::decode(token_request.expose()).unwrap();
        assert!(jws.claims.get("nonce").is_none());
        assert!(jws.claims.get("ath").is_none());
    }

    #[test]
    fn recognises_a_nonce_challenge() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "www-authenticate",
            HeaderValue::from_static(
                r#"DPoP error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof""#,
            ),
        );
        headers.insert("dpop-nonce", HeaderValue::from_static("abc"));
        assert!(demands_new_nonce(StatusCode::UNAUTHORIZED, &headers));
        assert!(!demands_new_nonce(StatusCode::FORBIDDEN, &headers));
        assert_eq!(nonce_from(&headers).as_deref(), Some("abc"));

        headers.insert(
            "www-authenticate",
            HeaderValue::from_static(r#"DPoP error="invalid_token""#),
        );
        assert!(!demands_new_nonce(StatusCode::UNAUTHORIZED, &headers));
    }
}
