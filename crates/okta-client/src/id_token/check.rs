//! The checks an ID token passes before a login is accepted on its word,
//! in the order they are made: a compact JWS; `alg` exactly RS256 (never
//! `none`, never HMAC with a public key as the secret); a `kid` the
//! authorization server publishes and a signature made by that key; `iss`
//! exactly the authorization server; `aud` naming the OIDC app's client
//! id; `exp` not passed and `iat` not in the future, each with
//! [`CLOCK_SKEW`]; the `nonce` when one was sent; a `sub`.
//!
//! Every refusal is counted in `okta_id_tokens_rejected_total{reason}`.

use std::future::Future;
use std::time::Duration;

use metrics::counter;
use serde_json::Value;

use super::identity::VerifiedIdentity;
use super::keys::{FetchedKeys, KeyCache, KeyFetchError};
use super::rejection::IdTokenRejection;
use crate::metrics as names;
use okta_api::jose::jws::CompactJws;
use okta_api::jose::rs256::RS256;

/// How far the clocks of Okta and of this server may disagree.
pub(crate) const CLOCK_SKEW: Duration = Duration::from_secs(120);

/// What the token must say.
pub(crate) struct Expected<'a> {
    /// The authorization server's issuer, exactly.
    pub(crate) issuer: &'a str,
    /// The OIDC app's client id.
    pub(crate) audience: &'a str,
    /// The nonce sent with the request, if one was.
    pub(crate) nonce: Option<&'a str>,
    /// The claim carrying the user's groups, if the app sends them.
    pub(crate) groups_claim: Option<&'a str>,
}

/// Checks `token` at `now` (Unix seconds), with the key set in `keys`
/// (fetched with `fetch` when needed).
pub(crate) async fn check<F, Fut>(
    token: &str,
    expected: &Expected<'_>,
    keys: &KeyCache,
    fetch: F,
    now: u64,
) -> Result<VerifiedIdentity, IdTokenRejection>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<FetchedKeys, KeyFetchError>>,
{
    let checked = check_uncounted(token, expected, keys, fetch, now).await;
    if let Err(rejection) = &checked {
        counter!(names::OKTA_ID_TOKENS_REJECTED, "reason" => rejection.label()).increment(1);
        tracing::warn!(
            reason = rejection.label(),
            "Okta's ID token was refused: {rejection}"
        );
    }
    checked
}

async fn check_uncounted<F, Fut>(
    token: &str,
    expected: &Expected<'_>,
    keys: &KeyCache,
    fetch: F,
    now: u64,
) -> Result<VerifiedIdentity, IdTokenRejection>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<FetchedKeys, KeyFetchError>>,
{
    let jws = CompactJws::decode(token).map_err(|_| IdTokenRejection::Malformed)?;
    if jws.header_str("alg") != Some(RS256) {
        return Err(IdTokenRejection::Algorithm);
    }
    let kid = jws
        .header_str("kid")
        .filter(|kid| !kid.is_empty())
        .ok_or(IdTokenRejection::Malformed)?;
    let key = keys.key(kid, fetch).await?;
    jws.verify_rs256(&key)
        .map_err(|_| IdTokenRejection::BadSignature)?;
    claims(&jws, expected, now)
}

/// The claim checks, on a token whose signature verified.
fn claims(
    jws: &CompactJws,
    expected: &Expected<'_>,
    now: u64,
) -> Result<VerifiedIdentity, IdTokenRejection> {
    if jws.claim_str("iss") != Some(expected.issuer) {
        return Err(IdTokenRejection::Issuer);
    }
    let audience_ok = match jws.claims.get("aud") {
        Some(Value::String(aud)) => aud == expected.audience,
        Some(Value::Array(auds)) => auds
            .iter()
            .any(|aud| aud.as_str() == Some(expected.audience)),
        _ => false,
    };
    if !audience_ok {
        return Err(IdTokenRejection::Audience);
    }
    let skew = CLOCK_SKEW.as_secs();
    let seconds = |name: &str| {
        jws.claim_i64(name)
            .and_then(|value| u64::try_from(value).ok())
            .ok_or(IdTokenRejection::Malformed)
    };
    if seconds("exp")?.saturating_add(skew) <= now {
        return Err(IdTokenRejection::Expired);
    }
    if seconds("iat")? > now.saturating_add(skew) {
        return Err(IdTokenRejection::IssuedInFuture);
    }
    if let Some(nonce) = expected.nonce
        && jws.claim_str("nonce") != Some(nonce)
    {
        return Err(IdTokenRejection::Nonce);
    }
    VerifiedIdentity::from_claims(&jws.claims, expected.groups_claim)
        .ok_or(IdTokenRejection::Malformed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use okta_api::jose::rs256::{RsaPublicJwk, sign_rs256};
    use rsa::pkcs1v15::SigningKey;
    use rsa::sha2::Sha256;
    use serde_json::json;

    const ISSUER: &str = "https://example.okta.com";
    const NOW: u64 = 1_700_000_000;

    struct Org {
        signing: SigningKey<Sha256>,
        document: Vec<u8>,
    }

    fn org() -> Org {
        let private = rsa::PrivateKey::new(&mut rand::rng(), 2048).expect("a key");
        let jwk = RsaPublicJwk::of(private.as_public_key(), "k1");
        Org {
            document: serde_json::to_vec(&json!({ "keys": [jwk] })).expect("json"),
            signing: SigningKey::new(private),
        }
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": ISSUER, "aud": "0oa-radius", "sub": "00u1",
            "preferred_username": "alice@example.com",
            "iat": NOW, "exp": NOW + 3600, "groups": ["vpn-users"],
        })
    }

    fn expected() -> Expected<'static> {
        Expected {
            issuer: ISSUER,
            audience: "0oa-radius",
            nonce: None,
            groups_claim: Some("groups"),
        }
    }

    async fn run(
        org: &Org,
        token: &str,
        expected: &Expected<'_>,
    ) -> Result<VerifiedIdentity, IdTokenRejection> {
        let keys = KeyCache::default();
        let fetch = || async {
            Ok(FetchedKeys {
                document: org.document.clone(),
                cache_control: None,
            })
        };
        check(token, expected, &keys, fetch, NOW).await
    }

    fn signed(org: &Org, header: serde_json::Value, claims: serde_json::Value) -> String {
        sign_rs256(&org.signing, &header, &claims)
    }

    #[tokio::test]
    async fn a_good_token_names_its_user() {
        let org = org();
        let token = signed(&org, json!({"alg": "RS256", "kid": "k1"}), claims());
        let identity = run(&org, &token, &expected()).await.expect("accepted");
        assert_eq!(identity.subject, "00u1");
        assert_eq!(identity.login.as_deref(), Some("alice@example.com"));
        assert_eq!(identity.groups, Some(vec!["vpn-users".to_owned()]));
    }

    #[tokio::test]
    async fn every_check_has_its_rejection() {
        let org = org();
        let header = json!({"alg": "RS256", "kid": "k1"});
        let with = |name: &str, value: serde_json::Value| {
            let mut claims = claims();
            claims[name] = value;
            claims
        };
        for (claims, rejection) in [
            (
                with("iss", json!("https://evil.example.com")),
                IdTokenRejection::Issuer,
            ),
            (
                with("iss", json!("https://example.okta.com/")),
                IdTokenRejection::Issuer,
            ),
            (with("aud", json!("0oa-other")), IdTokenRejection::Audience),
            (with("exp", json!(NOW - 121)), IdTokenRejection::Expired),
            (
                with("iat", json!(NOW + 121)),
                IdTokenRejection::IssuedInFuture,
            ),
            (with("sub", json!("")), IdTokenRejection::Malformed),
        ] {
            let token = signed(&org, header.clone(), claims);
            assert_eq!(run(&org, &token, &expected()).await.err(), Some(rejection));
        }
        // Within the clock skew: accepted.
        let token = signed(&org, header.clone(), with("exp", json!(NOW - 60)));
        assert!(run(&org, &token, &expected()).await.is_ok());

        // A nonce sent must come back.
        let nonce = Expected {
            nonce: Some("n-1"),
            ..expected()
        };
        let token = signed(&org, header.clone(), claims());
        assert_eq!(
            run(&org, &token, &nonce).await.err(),
            Some(IdTokenRejection::Nonce)
        );
        let token = signed(&org, header.clone(), with("nonce", json!("n-1")));
        assert!(run(&org, &token, &nonce).await.is_ok());

        // Another key, the same kid: the signature does not verify.
        let other = self::org();
        let token = signed(&other, header.clone(), claims());
        assert_eq!(
            run(&org, &token, &expected()).await.err(),
            Some(IdTokenRejection::BadSignature)
        );
        let token = signed(&org, json!({"alg": "RS256", "kid": "k9"}), claims());
        assert_eq!(
            run(&org, &token, &expected()).await.err(),
            Some(IdTokenRejection::UnknownKey)
        );
    }

    #[tokio::test]
    async fn none_and_hmac_are_refused_before_any_key_is_used() {
        let org = org();
        let body = URL_SAFE_NO_PAD.encode(claims().to_string());
        for alg in ["none", "HS256", "ES256", "RS512"] {
            let header = URL_SAFE_NO_PAD.encode(json!({"alg": alg, "kid": "k1"}).to_string());
            let token = format!("{header}.{body}.{}", URL_SAFE_NO_PAD.encode(b"sig"));
            assert_eq!(
                run(&org, &token, &expected()).await.err(),
                Some(IdTokenRejection::Algorithm),
                "{alg}"
            );
        }
        assert_eq!(
            run(&org, "not-a-jwt", &expected()).await.err(),
            Some(IdTokenRejection::Malformed)
        );
    }
}
