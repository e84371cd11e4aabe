//! The service app's signing keys: the private keys whose public halves are
//! registered on the Okta API Services app, used to sign `private_key_jwt`
//! client assertions.
//!
//! Only ES256 (ECDSA on P-256) is supported: Okta accepts it, the keys are
//! small, and it needs no RSA code. A key is read from a PKCS#8 PEM file
//! (`-----BEGIN PRIVATE KEY-----`, as `openssl genpkey -algorithm EC
//! -pkeyopt ec_paramgen_curve:P-256` writes it; a SEC1 `EC PRIVATE KEY` file
//! is accepted too). [`generate_key_file`] makes a new one and returns the
//! public JWK to paste into the app's key list.
//!
//! A key never prints: `Debug` shows the `kid` only, the PEM text read from
//! disk is zeroized after parsing, and the key zeroizes itself when dropped.

use std::io::Write;
use std::path::{Path, PathBuf};

use p256::ecdsa::SigningKey as EcSigningKey;
use p256::elliptic_curve::Generate;
use p256::pkcs8::{DecodePrivateKey, EncodePrivateKey, LineEnding};
use serde::Serialize;
use zeroize::Zeroizing;

use okta_api::jose::jwk::PublicJwk;
use okta_api::jose::jws;

/// The JWS algorithm every signing key of the bridge uses.
const SIGNING_ALGORITHM: &str = "ES256";

/// A private ES256 key with the `kid` it is registered under in Okta.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    key: EcSigningKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("kid", &self.kid)
            .field("alg", &SIGNING_ALGORITHM)
            .finish_non_exhaustive()
    }
}

/// Why a key could not be read or written. Names the file, never its content.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read the private key file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{origin} is not a P-256 private key in PKCS#8 (or SEC1) PEM form; only ES256 keys are supported"
    )]
    NotEs256Pem { origin: String },
    #[error("refusing to overwrite the existing file {path}")]
    AlreadyExists { path: PathBuf },
    #[error("cannot write the private key file {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("a key id (kid) must not be empty")]
    EmptyKid,
}

impl SigningKey {
    /// Reads a PEM private key file. `kid` is the id the public key has in
    /// Okta; `None` uses the key's RFC 7638 thumbprint (what
    /// [`generate_key_file`] uses too).
    pub fn from_pem_file(path: &Path, kid: Option<&str>) -> Result<SigningKey, KeyError> {
        let pem = std::fs::read_to_string(path)
            .map(Zeroizing::new)
            .map_err(|source| KeyError::Read {
                path: path.to_owned(),
                source,
            })?;
        Self::parse(&pem, kid, &path.display().to_string())
    }

    fn parse(pem: &str, kid: Option<&str>, origin: &str) -> Result<SigningKey, KeyError> {
        let key = EcSigningKey::from_pkcs8_pem(pem.trim())
            .ok()
            .or_else(|| {
                p256::SecretKey::from_sec1_pem(pem.trim())
                    .ok()
                    .map(EcSigningKey::from)
            })
            .ok_or_else(|| KeyError::NotEs256Pem {
                origin: origin.to_owned(),
            })?;
        Self::with_kid(key, kid)
    }

    /// A new random key held in memory only (tests, the simulated org).
    pub fn generate(kid: Option<&str>) -> Result<SigningKey, KeyError> {
        Self::with_kid(EcSigningKey::generate(), kid)
    }

    fn with_kid(key: EcSigningKey, kid: Option<&str>) -> Result<SigningKey, KeyError> {
        let kid = match kid {
            Some("") => return Err(KeyError::EmptyKid),
            Some(kid) => kid.to_owned(),
            None => PublicJwk::from_verifying_key(key.verifying_key()).thumbprint(),
        };
        Ok(SigningKey { kid, key })
    }

    /// The key id assertions name in their header.
    pub(crate) fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as Okta wants it:
    /// `{"kty":"EC","crv":"P-256","x","y","kid","use":"sig","alg":"ES256"}`.
    pub fn public_jwk(&self) -> PublicJwk {
        PublicJwk::from_verifying_key(self.key.verifying_key()).for_signing(&self.kid)
    }

    /// The RFC 7638 thumbprint of the public key.
    pub(crate) fn thumbprint(&self) -> String {
        PublicJwk::from_verifying_key(self.key.verifying_key()).thumbprint()
    }

    /// Signs a JWT whose header is `{"alg":"ES256","kid":..,"typ":"JWT"}`.
    pub(crate) fn sign_jwt<C: Serialize>(&self, claims: &C) -> String {
        #[derive(Serialize)]
        struct Header<'a> {
            alg: &'static str,
            kid: &'a str,
            typ: &'static str,
        }
        let header = Header {
            alg: SIGNING_ALGORITHM,
            kid: &self.kid,
            typ: "JWT",
        };
        jws::sign_es256(&self.key, &header, claims)
    }
}

/// Writes a new ES256 private key to `path` as PKCS#8 PEM, readable by its
/// owner only (mode 0600), and returns the public JWK to register in Okta.
///
/// Refuses to overwrite an existing file. `kid` defaults to the key's RFC 7638
/// thumbprint.
pub fn generate_key_file(path: &Path, kid: Option<&str>) -> Result<PublicJwk, KeyError> {
    let key = SigningKey::generate(kid)?;
    let pem = key
        .key
        .to_pkcs8_pem(LineEnding::LF)
        .map_err(|_| KeyError::Write {
            path: path.to_owned(),
            source: std::io::Error::other("PKCS#8 encoding failed"),
        })?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            KeyError::AlreadyExists {
                path: path.to_owned(),
            }
        } else {
            KeyError::Write {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    file.write_all(pem.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|source| KeyError::Write {
            path: path.to_owned(),
            source,
        })?;
    Ok(key.public_jwk())
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::jose::jws::CompactJws;

    #[test]
    fn a_generated_file_reads_back_as_the_same_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("okta-app.pem");
        let jwk = generate_key_file(&path, None).unwrap();
        let key = SigningKey::from_pem_file(&path, None).unwrap();
        assert_eq!(key.public_jwk(), jwk);
        assert_eq!(Some(key.kid()), jwk.kid.as_deref());
        assert_eq!(key.kid(), jwk.thumbprint());
        assert_eq!(jwk.key_use.as_deref(), Some("sig"));
        assert_eq!(jwk.alg.as_deref(), Some("ES256"));

        let named = SigningKey::from_pem_file(&path, Some("rotation-2")).unwrap();
        assert_eq!(named.kid(), "rotation-2");
        assert_eq!(named.thumbprint(), key.thumbprint());
    }

    #[test]
    fn signed_jwts_name_the_kid_and_verify() {
        let key = SigningKey::generate(Some("k1")).unwrap();
        let jwt = key.sign_jwt(&serde_json::json!({"iss": "app"}));
        let decoded = CompactJws::decode(&jwt).unwrap();
        assert_eq!(decoded.header_str("kid"), Some("k1"));
        assert_eq!(decoded.header_str("typ"), Some("JWT"));
        let public = key.public_jwk().verifying_key().unwrap();
        assert!(decoded.verify_es256(&public).is_ok());
    }

    #[test]
    fn refuses_garbage_without_echoing_it() {
        let error = SigningKey::parse(
            "-----BEGIN PRIVATE KEY-----\nc2VjcmV0\n",
            None,
            "the given text",
        )
        .unwrap_err()
        .to_string();
        assert!(!error.contains("c2VjcmV0"), "{error}");
        assert!(matches!(
            SigningKey::generate(Some("")),
            Err(KeyError::EmptyKid)
        ));
    }

    #[test]
    fn debug_shows_only_the_kid() {
        use base64::Engine;
        let key = SigningKey::generate(Some("k1")).unwrap();
        let secret = key.key.to_bytes();
        let debug = format!("{key:?} {key:#?}");
        assert!(debug.contains("k1"));
        assert!(!debug.contains(&hex::encode(secret)));
        for engine in [
            base64::engine::general_purpose::STANDARD,
            base64::engine::general_purpose::URL_SAFE_NO_PAD,
        ] {
            assert!(!debug.contains(&engine.encode(secret)));
        }
    }
}
