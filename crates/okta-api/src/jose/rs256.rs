//! RS256 (RSASSA-PKCS1-v1_5 with SHA-256, RFC 7518 §3.3), the algorithm
//! Okta signs ID tokens with, and RSA public keys as the JWKs Okta publishes
//! (`"kty":"RSA"`, `n`, `e`, `kid`). Verifying is for the bridge; signing
//! is for the simulated org, which issues ID tokens the bridge must accept.
//!
//! Keys shorter than 2048 bits are refused: Okta's are 2048 bits, and a
//! shorter key in a key set is a sign of something that is not Okta.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::{Signer, Verifier};
use rsa::traits::PublicKeyParts;
use rsa::{BoxedUint, PublicKey};
use serde::{Deserialize, Serialize};

use super::jws::{CompactJws, JwsError};

/// The JWS `alg` of RS256.
pub const RS256: &str = "RS256";
/// The smallest RSA modulus accepted, in bits.
const MIN_MODULUS_BITS: usize = 2048;
/// The largest RSA modulus accepted, in bits.
const MAX_MODULUS_BITS: usize = 8192;

/// An RSA public key as a JWK. It holds no secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RsaPublicJwk {
    pub kty: String,
    /// The modulus, base64url big-endian.
    pub n: String,
    /// The public exponent, base64url big-endian.
    pub e: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// Why an RSA JWK cannot verify RS256 signatures.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RsaJwkError {
    #[error("the JWK is not an RSA key (kty {0:?})")]
    NotRsa(String),
    #[error("the JWK's n or e is not base64url")]
    BadEncoding,
    #[error("the JWK is not an RSA key of 2048 to 8192 bits")]
    BadKey,
}

/// A key that checks RS256 signatures.
#[derive(Clone)]
pub struct Rs256Key(VerifyingKey<Sha256>);

impl std::fmt::Debug for Rs256Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Rs256Key")
    }
}

impl RsaPublicJwk {
    /// The published JWK of `key` under `kid`: `"use":"sig"`, `"alg":"RS256"`.
    pub fn of(key: &PublicKey, kid: &str) -> RsaPublicJwk {
        RsaPublicJwk {
            kty: "RSA".to_owned(),
            n: URL_SAFE_NO_PAD.encode(key.n().to_be_bytes_trimmed_vartime()),
            e: URL_SAFE_NO_PAD.encode(key.e().to_be_bytes_trimmed_vartime()),
            kid: Some(kid.to_owned()),
            key_use: Some("sig".to_owned()),
            alg: Some(RS256.to_owned()),
        }
    }

    /// The verification key this JWK describes.
    pub fn rs256_key(&self) -> Result<Rs256Key, RsaJwkError> {
        if self.kty != "RSA" {
            return Err(RsaJwkError::NotRsa(self.kty.clone()));
        }
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| RsaJwkError::BadEncoding)
        };
        let n = decode(&self.n)?;
        let e = decode(&self.e)?;
        if n.is_empty() || e.is_empty() || n.len() > MAX_MODULUS_BITS / 8 + 1 || e.len() > 8 {
            return Err(RsaJwkError::BadKey);
        }
        let key = PublicKey::new_with_size_limits(
            BoxedUint::from_be_slice_vartime(&n),
            BoxedUint::from_be_slice_vartime(&e),
            MIN_MODULUS_BITS..=MAX_MODULUS_BITS,
        )
        .map_err(|_| RsaJwkError::BadKey)?;
        Ok(Rs256Key(VerifyingKey::new(key)))
    }
}

impl CompactJws {
    /// Checks that the header says RS256 and that `key` made the signature.
    pub fn verify_rs256(&self, key: &Rs256Key) -> Result<(), JwsError> {
        match self.header_str("alg") {
            Some(RS256) => {}
            other => return Err(JwsError::Algorithm(other.unwrap_or("").to_owned())),
        }
        let signature =
            Signature::try_from(self.signature()).map_err(|_| JwsError::BadSignature)?;
        key.0
            .verify(self.signing_input().as_bytes(), &signature)
            .map_err(|_| JwsError::BadSignature)
    }
}

/// Signs `header` and `claims` with RS256 and returns the compact JWS.
///
/// `header` must already name `"alg":"RS256"`.
pub fn sign_rs256<H: Serialize, C: Serialize>(
    key: &SigningKey<Sha256>,
    header: &H,
    claims: &C,
) -> String {
    // Serializing a struct of strings and numbers to JSON cannot fail.
    let header = serde_json::to_vec(header).unwrap_or_default();
    let claims = serde_json::to_vec(claims).unwrap_or_default();
    let mut text = URL_SAFE_NO_PAD.encode(header);
    text.push('.');
    text.push_str(&URL_SAFE_NO_PAD.encode(claims));
    let signature: Signature = key.sign(text.as_bytes());
    text.push('.');
    text.push_str(&URL_SAFE_NO_PAD.encode(Box::<[u8]>::from(signature)));
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> rsa::PrivateKey {
        rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("a key")
    }

    #[test]
    fn signs_verifies_and_refuses_what_it_must() {
        let private = key();
        let jwk = RsaPublicJwk::of(private.as_public_key(), "k1");
        assert_eq!(jwk.alg.as_deref(), Some("RS256"));
        let verifying = jwk.rs256_key().expect("usable");
        let signing = SigningKey::<Sha256>::new(private);
        let jwt = sign_rs256(
            &signing,
            &json!({"alg": "RS256", "kid": "k1"}),
            &json!({"sub": "x"}),
        );
        let decoded = CompactJws::decode(&jwt).expect("decodes");
        assert!(decoded.verify_rs256(&verifying).is_ok());

        let other = RsaPublicJwk::of(key().as_public_key(), "k2")
            .rs256_key()
            .expect("usable");
        assert_eq!(decoded.verify_rs256(&other), Err(JwsError::BadSignature));

        // The same signature under another alg in the header is refused.
        let (_, rest) = jwt.split_once('.').expect("three parts");
        let none = format!(
            "{}.{rest}",
            URL_SAFE_NO_PAD.encode(br#"{"alg":"none","kid":"k1"}"#)
        );
        let decoded = CompactJws::decode(&none).expect("decodes");
        assert_eq!(
            decoded.verify_rs256(&verifying),
            Err(JwsError::Algorithm("none".into()))
        );
    }

    #[test]
    fn refuses_keys_that_are_not_usable_rsa() {
        let mut jwk = RsaPublicJwk {
            kty: "EC".into(),
            n: "AQAB".into(),
            e: "AQAB".into(),
            kid: None,
            key_use: None,
            alg: None,
        };
        assert!(matches!(jwk.rs256_key(), Err(RsaJwkError::NotRsa(_))));
        jwk.kty = "RSA".into();
        assert_eq!(jwk.rs256_key().err(), Some(RsaJwkError::BadKey));
        jwk.n = "not base64!".into();
        assert_eq!(jwk.rs256_key().err(), Some(RsaJwkError::BadEncoding));
    }
}
