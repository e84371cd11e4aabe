//! Compact JWS with ES256 (RFC 7515, RFC 7518 §3.4): the one signature format
//! both a `private_key_jwt` client assertion and a DPoP proof use. Signing is
//! for the bridge; decoding and verifying are for the simulated org (and for
//! tests that check what the bridge sends).
//!
//! A compact JWS carries credentials: [`CompactJws`] never prints its text.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{Signature, SigningKey as EcSigningKey, VerifyingKey};
use serde::Serialize;
use serde_json::{Map, Value};

/// Why a compact JWS could not be read or verified. Never holds the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwsError {
    #[error("not a compact JWS (three base64url parts)")]
    Malformed,
    #[error("the JWS {0} is not a JSON object")]
    NotJson(&'static str),
    #[error("the JWS algorithm {0:?} is not the one expected")]
    Algorithm(String),
    #[error("the JWS signature does not verify")]
    BadSignature,
}

/// Signs `header` and `claims` with ES256 and returns the compact JWS.
///
/// `header` must already name `"alg":"ES256"`.
pub fn sign_es256<H: Serialize, C: Serialize>(
    key: &EcSigningKey,
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
    text.push_str(&URL_SAFE_NO_PAD.encode(signature.to_bytes()));
    text
}

/// A compact JWS taken apart, signature not yet checked.
pub struct CompactJws {
    pub header: Map<String, Value>,
    pub claims: Map<String, Value>,
    signing_input: String,
    signature: Vec<u8>,
}

impl std::fmt::Debug for CompactJws {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CompactJws")
            .field("alg", &self.header.get("alg"))
            .field("kid", &self.header.get("kid"))
            .finish_non_exhaustive()
    }
}

impl CompactJws {
    /// Splits and decodes `text` without checking the signature.
    pub fn decode(text: &str) -> Result<CompactJws, JwsError> {
        let mut parts = text.split('.');
        let (Some(header), Some(claims), Some(signature), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(JwsError::Malformed);
        };
        let decode = |part: &str| {
            URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| JwsError::Malformed)
        };
        let header_json = decode(header)?;
        let claims_json = decode(claims)?;
        let signature = decode(signature)?;
        let object = |bytes: &[u8], what| match serde_json::from_slice(bytes) {
            Ok(Value::Object(map)) => Ok(map),
            _ => Err(JwsError::NotJson(what)),
        };
        Ok(CompactJws {
            header: object(&header_json, "header")?,
            claims: object(&claims_json, "claims")?,
            signing_input: format!("{header}.{claims}"),
            signature,
        })
    }

    /// A header member as a string.
    pub fn header_str(&self, name: &str) -> Option<&str> {
        self.header.get(name).and_then(Value::as_str)
    }

    /// A claim as a string.
    pub fn claim_str(&self, name: &str) -> Option<&str> {
        self.claims.get(name).and_then(Value::as_str)
    }

    /// A claim as a whole number (seconds since the epoch for `iat`, `exp`).
    pub fn claim_i64(&self, name: &str) -> Option<i64> {
        self.claims.get(name).and_then(Value::as_i64)
    }

    /// What the signature covers: the first two parts as received.
    pub(crate) fn signing_input(&self) -> &str {
        &self.signing_input
    }

    /// The decoded signature.
    pub(crate) fn signature(&self) -> &[u8] {
        &self.signature
    }

    /// Checks that the header says ES256 and that `key` made the signature.
    pub fn verify_es256(&self, key: &VerifyingKey) -> Result<(), JwsError> {
        match self.header_str("alg") {
            Some("ES256") => {}
            other => return Err(JwsError::Algorithm(other.unwrap_or("").to_owned())),
        }
        let signature =
            Signature::from_slice(&self.signature).map_err(|_| JwsError::BadSignature)?;
        key.verify(self.signing_input.as_bytes(), &signature)
            .map_err(|_| JwsError::BadSignature)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use p256::elliptic_curve::Generate;
    use serde_json::json;

    #[test]
    fn signs_and_verifies_and_detects_tampering() {
        let key = EcSigningKey::generate();
        let other = EcSigningKey::generate();
        let jws = sign_es256(&key, &json!({"alg": "ES256"}), &json!({"sub": "x", "n": 7}));
        let decoded = CompactJws::decode(&jws).unwrap();
        assert_eq!(decoded.claim_str("sub"), Some("x"));
        assert_eq!(decoded.claim_i64("n"), Some(7));
        assert!(decoded.verify_es256(key.verifying_key()).is_ok());
        assert_eq!(
            decoded.verify_es256(other.verifying_key()),
            Err(JwsError::BadSignature)
        );

        let (signed, _) = jws.rsplit_once('.').unwrap();
        let forged_claims = URL_SAFE_NO_PAD.encode(br#"{"sub":"y","n":7}"#);
        let header = signed.split('.').next().unwrap();
        let signature = jws.rsplit('.').next().unwrap();
        let forged = format!("{header}.{forged_claims}.{signature}");
        let decoded = CompactJws::decode(&forged).unwrap();
        assert_eq!(
            decoded.verify_es256(key.verifying_key()),
            Err(JwsError::BadSignature)
        );
    }

    #[test]
    fn refuses_malformed_and_other_algorithms() {
        assert_eq!(CompactJws::decode("a.b").unwrap_err(), JwsError::Malformed);
        assert_eq!(
            CompactJws::decode("a.b.c.d").unwrap_err(),
            JwsError::Malformed
        );
        let key = EcSigningKey::generate();
        let jws = sign_es256(&key, &json!({"alg": "none"}), &json!({}));
        let decoded = CompactJws::decode(&jws).unwrap();
        assert_eq!(
            decoded.verify_es256(key.verifying_key()),
            Err(JwsError::Algorithm("none".into()))
        );
        let debug = format!("{decoded:?}");
        assert!(!debug.contains(&jws));
    }
}
