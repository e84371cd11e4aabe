//! How the simulated org checks DPoP proofs (RFC 9449 §4.3), for the token
//! endpoint and for resource requests alike: the proof's shape and signature
//! (with the key it embeds), `htm`, `htu`, the age of `iat`, a `jti` not
//! seen before; and the server nonce, which rotates every few seconds.
//!
//! Also the replay memory shared with client assertions: identifiers seen,
//! each kept until the token that carried it could no longer be accepted.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use url::Url;

use crate::ids;
use okta_api::jose::jwk::PublicJwk;
use okta_api::jose::jws::CompactJws;
use okta_api::oauth::DPOP_PROOF_TYPE;
use okta_api::time::epoch_seconds;

/// The server's current DPoP nonce and when it was made.
pub(super) struct NonceClock {
    current: String,
    made: Instant,
    period: Duration,
}

impl NonceClock {
    pub(super) fn new(period: Duration) -> NonceClock {
        NonceClock {
            current: ids::random_token(32),
            made: Instant::now(),
            period,
        }
    }

    /// The nonce in force now (a new one once the period has passed).
    pub(super) fn current(&mut self) -> String {
        if self.made.elapsed() >= self.period {
            self.rotate();
        }
        self.current.clone()
    }

    pub(super) fn rotate(&mut self) {
        self.current = ids::random_token(32);
        self.made = Instant::now();
    }
}

/// Identifiers already used, each remembered until `forget_after`.
#[derive(Default)]
pub(super) struct SeenIds {
    seen: HashMap<String, Instant>,
}

impl SeenIds {
    /// Records `id`; false if it was seen before (a replay).
    pub(super) fn first_use(&mut self, id: String, forget_after: Instant) -> bool {
        let now = Instant::now();
        self.seen.retain(|_, until| *until > now);
        match self.seen.entry(id) {
            std::collections::hash_map::Entry::Occupied(_) => false,
            std::collections::hash_map::Entry::Vacant(entry) => {
                entry.insert(forget_after);
                true
            }
        }
    }
}

/// A proof whose form, signature, `htm`, `htu` and `iat` are good. The nonce,
/// `ath` and `jti` are for the caller to check.
pub(super) struct CheckedProof {
    /// Thumbprint of the embedded key.
    pub jkt: String,
    pub jti: String,
    pub nonce: Option<String>,
    pub ath: Option<String>,
}

/// Checks a `DPoP` header value against the request it came with.
/// `max_age` bounds how far `iat` may be from now, either way.
pub(super) fn check_proof(
    proof: &str,
    method: &str,
    url: &Url,
    max_age: Duration,
) -> Result<CheckedProof, String> {
    let jws = CompactJws::decode(proof)
        .map_err(|error| format!("The DPoP proof is malformed: {error}."))?;
    if jws.header_str("typ") != Some(DPOP_PROOF_TYPE) {
        return Err("The DPoP proof typ header is not dpop+jwt.".to_owned());
    }
    let jwk: PublicJwk = jws
        .header
        .get("jwk")
        .cloned()
        .and_then(|value| serde_json::from_value(value).ok())
        .ok_or_else(|| "The DPoP proof has no valid jwk header.".to_owned())?;
    if jwk_has_private_part(&jws) {
        return Err("The DPoP proof jwk contains a private key.".to_owned());
    }
    let key = jwk
        .verifying_key()
        .map_err(|error| format!("The DPoP proof jwk is unusable: {error}."))?;
    jws.verify_es256(&key)
        .map_err(|error| format!("The DPoP proof is invalid: {error}."))?;
    if jws.claim_str("htm") != Some(method) {
        return Err("The DPoP proof htm does not match the request method.".to_owned());
    }
    let htu_matches = jws
        .claim_str("htu")
        .and_then(|htu| Url::parse(htu).ok())
        .is_some_and(|htu| without_query(&htu) == without_query(url));
    if !htu_matches {
        return Err("The DPoP proof htu does not match the request URL.".to_owned());
    }
    let iat = jws
        .claim_i64("iat")
        .ok_or_else(|| "The DPoP proof has no iat.".to_owned())?;
    let now = i64::try_from(epoch_seconds(SystemTime::now())).unwrap_or(i64::MAX);
    let max_age = i64::try_from(max_age.as_secs()).unwrap_or(i64::MAX);
    if iat.abs_diff(now) > max_age.unsigned_abs() {
        return Err("The DPoP proof iat is not recent.".to_owned());
    }
    let jti = jws
        .claim_str("jti")
        .filter(|jti| !jti.is_empty())
        .ok_or_else(|| "The DPoP proof has no jti.".to_owned())?;
    Ok(CheckedProof {
        jkt: jwk.thumbprint(),
        jti: jti.to_owned(),
        nonce: jws.claim_str("nonce").map(str::to_owned),
        ath: jws.claim_str("ath").map(str::to_owned),
    })
}

fn jwk_has_private_part(jws: &CompactJws) -> bool {
    jws.header
        .get("jwk")
        .and_then(|jwk| jwk.as_object())
        .is_some_and(|jwk| jwk.contains_key("d"))
}

fn without_query(url: &Url) -> Url {
    let mut bare = url.clone();
    bare.set_query(None);
    bare.set_fragment(None);
    bare
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::jose::jwk::PublicJwk;
    use okta_api::jose::jws;
    use okta_api::oauth::DpopProofClaims;
    use p256::ecdsa::SigningKey;
    use p256::elliptic_curve::Generate;

    /// A DPoP proof as a client signs it.
    fn proof(
        key: &SigningKey,
        method: &str,
        url: &Url,
        nonce: Option<&str>,
        at: SystemTime,
    ) -> String {
        let jwk = PublicJwk::from_verifying_key(key.verifying_key());
        let header = serde_json::json!({"typ": DPOP_PROOF_TYPE, "alg": "ES256", "jwk": jwk});
        let claims = DpopProofClaims {
            htm: method.to_owned(),
            htu: okta_api::oauth::htu(url),
            iat: epoch_seconds(at),
            jti: format!("{:?}", at),
            nonce: nonce.map(str::to_owned),
            ath: None,
        };
        jws::sign_es256(key, &header, &claims)
    }

    #[test]
    fn checks_method_url_and_age() {
        let key = SigningKey::generate();
        let thumbprint = PublicJwk::from_verifying_key(key.verifying_key()).thumbprint();
        let url = Url::parse("http://127.0.0.1:1/oauth2/v1/token").unwrap();
        let age = Duration::from_secs(60);
        let fresh = proof(&key, "POST", &url, Some("n"), SystemTime::now());
        let checked = check_proof(&fresh, "POST", &url, age).unwrap();
        assert_eq!(checked.jkt, thumbprint);
        assert_eq!(checked.nonce.as_deref(), Some("n"));
        assert!(check_proof(&fresh, "GET", &url, age).is_err());
        let other = Url::parse("http://127.0.0.1:1/oauth2/v1/other").unwrap();
        assert!(check_proof(&fresh, "POST", &other, age).is_err());
        let with_query = Url::parse("http://127.0.0.1:1/oauth2/v1/token?x=1").unwrap();
        assert!(check_proof(&fresh, "POST", &with_query, age).is_ok());
        let old = SystemTime::now() - Duration::from_secs(600);
        let stale = proof(&key, "POST", &url, None, old);
        assert!(check_proof(&stale, "POST", &url, age).is_err());
    }

    #[test]
    fn remembers_ids_until_they_expire() {
        let mut seen = SeenIds::default();
        let later = Instant::now() + Duration::from_secs(60);
        assert!(seen.first_use("a".into(), later));
        assert!(!seen.first_use("a".into(), later));
        assert!(seen.first_use("b".into(), Instant::now()));
        assert!(seen.first_use("b".into(), later));
    }
}
