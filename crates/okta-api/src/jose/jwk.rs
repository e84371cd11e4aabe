//! Public keys as JSON Web Keys (RFC 7517), the form in which Okta holds a
//! service app's keys and in which a DPoP proof carries its key, and their
//! RFC 7638 thumbprints (the default `kid`, and the `jkt` a DPoP-bound access
//! token is bound to).
//!
//! Only P-256 keys (`"kty":"EC","crv":"P-256"`) are supported: the bridge
//! signs with ES256 only.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::VerifyingKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// A public P-256 key as a JWK. It holds no secret, so its `Debug` is the
/// derived one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublicJwk {
    pub kty: String,
    pub crv: String,
    pub x: String,
    pub y: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub kid: Option<String>,
    #[serde(rename = "use", default, skip_serializing_if = "Option::is_none")]
    pub key_use: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alg: Option<String>,
}

/// Why a JWK cannot be used as a P-256 verification key.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwkError {
    #[error("the JWK is not a P-256 key (kty {kty:?}, crv {crv:?})")]
    NotP256 { kty: String, crv: String },
    #[error("the JWK's x or y is not a base64url P-256 coordinate")]
    BadCoordinate,
    #[error("the JWK's point is not on the P-256 curve")]
    NotOnCurve,
}

impl PublicJwk {
    /// The bare JWK of `key`: `kty`, `crv`, `x`, `y` (no `kid`, `use`, `alg`).
    pub fn from_verifying_key(key: &VerifyingKey) -> PublicJwk {
        let point = key.to_sec1_point(false);
        // An uncompressed point of a valid key always has both coordinates.
        let x = point
            .x()
            .map(|x| URL_SAFE_NO_PAD.encode(x))
            .unwrap_or_default();
        let y = point
            .y()
            .map(|y| URL_SAFE_NO_PAD.encode(y))
            .unwrap_or_default();
        PublicJwk {
            kty: "EC".to_owned(),
            crv: "P-256".to_owned(),
            x,
            y,
            kid: None,
            key_use: None,
            alg: None,
        }
    }

    /// This key as a signing key's published JWK: `kid`, `"use":"sig"`, `"alg":"ES256"`.
    pub fn for_signing(mut self, kid: &str) -> PublicJwk {
        self.kid = Some(kid.to_owned());
        self.key_use = Some("sig".to_owned());
        self.alg = Some("ES256".to_owned());
        self
    }

    /// The same key without `kid`, `use` and `alg`: what a DPoP proof embeds.
    pub fn bare(&self) -> PublicJwk {
        PublicJwk {
            kid: None,
            key_use: None,
            alg: None,
            ..self.clone()
        }
    }

    /// The RFC 7638 thumbprint: base64url(SHA-256) of the required members
    /// in lexicographic order, without white space.
    pub fn thumbprint(&self) -> String {
        // The members are base64url or fixed strings; serde_json escapes any
        // odd character so the canonical form stays well defined.
        let canonical = format!(
            r#"{{"crv":{},"kty":{},"x":{},"y":{}}}"#,
            json_string(&self.crv),
            json_string(&self.kty),
            json_string(&self.x),
            json_string(&self.y),
        );
        URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()))
    }

    /// The P-256 verification key this JWK describes.
    pub fn verifying_key(&self) -> Result<VerifyingKey, JwkError> {
        if self.kty != "EC" || self.crv != "P-256" {
            return Err(JwkError::NotP256 {
                kty: self.kty.clone(),
                crv: self.crv.clone(),
            });
        }
        let x = decode_coordinate(&self.x)?;
        let y = decode_coordinate(&self.y)?;
        let mut sec1 = Vec::with_capacity(65);
        sec1.push(0x04);
        sec1.extend_from_slice(&x);
        sec1.extend_from_slice(&y);
        VerifyingKey::from_sec1_bytes(&sec1).map_err(|_| JwkError::NotOnCurve)
    }
}

fn decode_coordinate(value: &str) -> Result<[u8; 32], JwkError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(value)
        .map_err(|_| JwkError::BadCoordinate)?;
    <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| JwkError::BadCoordinate)
}

fn json_string(value: &str) -> String {
    serde_json::Value::String(value.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprint_matches_rfc7638_canonical_form() {
        // A P-256 key from RFC 7515 appendix A.3.
        let jwk = PublicJwk {
            kty: "EC".into(),
            crv: "P-256".into(),
            x: "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU".into(),
            y: "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0".into(),
            kid: Some("ignored".into()),
            key_use: Some("sig".into()),
            alg: Some("ES256".into()),
        };
        let canonical = r#"{"crv":"P-256","kty":"EC","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU","y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}"#;
        let expected = URL_SAFE_NO_PAD.encode(Sha256::digest(canonical.as_bytes()));
        assert_eq!(jwk.thumbprint(), expected);
        assert_eq!(jwk.thumbprint(), jwk.bare().thumbprint());
        assert!(jwk.verifying_key().is_ok());
    }

    #[test]
    fn refuses_other_curves_and_bad_points() {
        let mut jwk = PublicJwk {
            kty: "EC".into(),
            crv: "P-384".into(),
            x: "AA".into(),
            y: "AA".into(),
            kid: None,
            key_use: None,
            alg: None,
        };
        assert!(matches!(jwk.verifying_key(), Err(JwkError::NotP256 { .. })));
        jwk.crv = "P-256".into();
        assert_eq!(jwk.verifying_key(), Err(JwkError::BadCoordinate));
        jwk.x = URL_SAFE_NO_PAD.encode([1u8; 32]);
        jwk.y = URL_SAFE_NO_PAD.encode([2u8; 32]);
        assert_eq!(jwk.verifying_key(), Err(JwkError::NotOnCurve));
    }
}
