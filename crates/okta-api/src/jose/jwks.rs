//! The JSON Web Key Set an authorization server publishes at `/keys`
//! (RFC 7517 §5): the public keys its tokens are signed with, each named by
//! its `kid`. Okta publishes RSA keys for RS256, and adds the next key
//! weeks before it starts signing with it.
//!
//! Reading is lenient per key and strict per document: a key of another
//! type, for encryption, or unusable is left out (a key set may hold keys
//! for other uses), but a document that is not a key set is an error.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::rs256::{RS256, Rs256Key, RsaPublicJwk};

/// A key set as published.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Jwks {
    pub keys: Vec<RsaPublicJwk>,
}

/// One signing key of a key set, ready to verify.
#[derive(Debug, Clone)]
pub struct SigningKeyOf {
    pub kid: String,
    pub key: Rs256Key,
}

/// Why a document is not a usable key set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum JwksError {
    #[error("the key set is not a JSON object with a keys array")]
    NotAKeySet,
}

/// The RS256 signing keys of a key set document, with a `kid` each; keys
/// for other algorithms or uses, without a `kid`, or unusable are left out.
pub fn rs256_keys(document: &[u8]) -> Result<Vec<SigningKeyOf>, JwksError> {
    let Ok(Value::Object(mut set)) = serde_json::from_slice::<Value>(document) else {
        return Err(JwksError::NotAKeySet);
    };
    let Some(Value::Array(keys)) = set.remove("keys") else {
        return Err(JwksError::NotAKeySet);
    };
    Ok(keys
        .into_iter()
        .filter_map(|key| serde_json::from_value::<RsaPublicJwk>(key).ok())
        .filter(|jwk| jwk.key_use.as_deref().is_none_or(|used| used == "sig"))
        .filter(|jwk| jwk.alg.as_deref().is_none_or(|alg| alg == RS256))
        .filter_map(|jwk| {
            let kid = jwk.kid.clone().filter(|kid| !kid.is_empty())?;
            let key = jwk.rs256_key().ok()?;
            Some(SigningKeyOf { kid, key })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_only_usable_signing_keys() {
        let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("a key");
        let good = RsaPublicJwk::of(private.as_public_key(), "k1");
        let mut encryption = RsaPublicJwk::of(private.as_public_key(), "k2");
        encryption.key_use = Some("enc".into());
        let mut no_kid = good.clone();
        no_kid.kid = None;
        let document = serde_json::json!({"keys": [
            good, encryption, no_kid,
            {"kty": "EC", "crv": "P-256", "x": "AA", "y": "AA", "kid": "k3"},
        ]});
        let keys = rs256_keys(document.to_string().as_bytes()).expect("a key set");
        assert_eq!(keys.len(), 1);
        assert_eq!(keys[0].kid, "k1");
        assert_eq!(rs256_keys(b"[]").err(), Some(JwksError::NotAKeySet));
        assert_eq!(
            rs256_keys(b"{\"keys\":5}").err(),
            Some(JwksError::NotAKeySet)
        );
    }
}
