//! `POST /oauth2/v1/token` of the simulated org: the client credentials
//! grant for API Services apps, with `private_key_jwt` client authentication
//! and DPoP, checked the way Okta documents it. Errors are OAuth error
//! answers `{"error","error_description"}`: 401 `invalid_client` for anything
//! wrong with the client or its assertion, 400 `invalid_scope`,
//! `invalid_dpop_proof`, and `use_dpop_nonce` with a `dpop-nonce` header.

use std::collections::HashMap;
use std::time::{Duration, Instant, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use url::Url;

use super::apps::{IssuedToken, SimOAuthApps};
use crate::ids;
use okta_api::jose::jws::CompactJws;
use okta_api::oauth::CLIENT_ASSERTION_TYPE;
use okta_api::oauth::{DPOP_NONCE_HEADER, USE_DPOP_NONCE};
use okta_api::time::epoch_seconds;

/// Okta's limit on how far ahead an assertion's `exp` may be.
const MAX_ASSERTION_LIFETIME: u64 = 3600;
/// Clock skew allowed on `iat` and `exp`.
const SKEW: u64 = 60;

/// An OAuth error answer.
pub(super) struct OAuthRefusal {
    status: StatusCode,
    error: &'static str,
    description: String,
    nonce: Option<String>,
}

impl OAuthRefusal {
    fn invalid_client(description: impl Into<String>) -> OAuthRefusal {
        OAuthRefusal::new(StatusCode::UNAUTHORIZED, "invalid_client", description)
    }

    fn bad_request(error: &'static str, description: impl Into<String>) -> OAuthRefusal {
        OAuthRefusal::new(StatusCode::BAD_REQUEST, error, description)
    }

    fn new(
        status: StatusCode,
        error: &'static str,
        description: impl Into<String>,
    ) -> OAuthRefusal {
        OAuthRefusal {
            status,
            error,
            description: description.into(),
            nonce: None,
        }
    }
}

impl IntoResponse for OAuthRefusal {
    fn into_response(self) -> Response {
        let body = json!({"error": self.error, "error_description": self.description});
        let mut response = (self.status, body.to_string()).into_response();
        let headers = response.headers_mut();
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
        if let Some(nonce) = self
            .nonce
            .and_then(|nonce| HeaderValue::from_str(&nonce).ok())
        {
            headers.insert(DPOP_NONCE_HEADER, nonce);
        }
        response
    }
}

/// The handler.
pub(crate) async fn token(
    State(apps): State<SimOAuthApps>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match grant(&apps, &headers, &body) {
        Ok(answer) => {
            let mut response = (StatusCode::OK, answer.to_string()).into_response();
            let headers = response.headers_mut();
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
            headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
            response
        }
        Err(refusal) => refusal.into_response(),
    }
}

fn grant(
    apps: &SimOAuthApps,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<serde_json::Value, OAuthRefusal> {
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    if field("grant_type") != "client_credentials" {
        return Err(OAuthRefusal::bad_request(
            "unsupported_grant_type",
            "The authorization grant type is not supported by the authorization server.",
        ));
    }
    if field("client_assertion").is_empty() {
        return Err(OAuthRefusal::invalid_client(
            "Client authentication failed: no client_assertion.",
        ));
    }
    if field("client_assertion_type") != CLIENT_ASSERTION_TYPE {
        return Err(OAuthRefusal::bad_request(
            "invalid_request",
            "The client_assertion_type is invalid.",
        ));
    }
    let client_id = authenticate(apps, field("client_assertion"), field("client_id"))?;
    let scopes = granted_scopes(apps, &client_id, field("scope"))?;
    let jkt = check_token_request_proof(apps, &client_id, headers)?;

    let access_token = ids::random_token(48);
    let lifetime = apps.settings().token_lifetime;
    let token_type = if jkt.is_some() { "DPoP" } else { "Bearer" };
    apps.store_token(
        access_token.clone(),
        IssuedToken {
            client_id: client_id.clone(),
            scopes: scopes.clone(),
            jkt,
            expires_at: Instant::now() + lifetime,
        },
    );
    apps.with_record(&client_id, |record| record.tokens_issued += 1);
    Ok(json!({
        "token_type": token_type,
        "expires_in": lifetime.as_secs(),
        "access_token": access_token,
        "scope": scopes.join(" "),
    }))
}

/// Checks the client assertion; returns the authenticated client id.
fn authenticate(
    apps: &SimOAuthApps,
    assertion: &str,
    form_client_id: &str,
) -> Result<String, OAuthRefusal> {
    let jws = CompactJws::decode(assertion)
        .map_err(|_| OAuthRefusal::invalid_client("The client_assertion is not a valid JWT."))?;
    let client_id = jws.claim_str("iss").unwrap_or("").to_owned();
    if !form_client_id.is_empty() && form_client_id != client_id {
        return Err(OAuthRefusal::invalid_client(
            "The client_id does not match the client_assertion issuer.",
        ));
    }
    let Some(keys) = apps.app_keys(&client_id) else {
        return Err(OAuthRefusal::invalid_client(
            "The client_id in the client_assertion is not a registered service app.",
        ));
    };
    apps.with_record(&client_id, |record| record.token_requests += 1);
    let kid = jws.header_str("kid").unwrap_or("");
    let Some(jwk) = keys.iter().find(|key| key.kid.as_deref() == Some(kid)) else {
        return Err(OAuthRefusal::invalid_client(format!(
            "The client_assertion kid {kid:?} is not a registered key of the client."
        )));
    };
    let key = jwk
        .verifying_key()
        .map_err(|_| OAuthRefusal::invalid_client("The registered key is unusable."))?;
    jws.verify_es256(&key)
        .map_err(|_| OAuthRefusal::invalid_client("The client_assertion signature is invalid."))?;
    apps.with_record(&client_id, |record| record.kids_used.push(kid.to_owned()));

    if jws.claim_str("sub") != Some(client_id.as_str()) {
        return Err(OAuthRefusal::invalid_client(
            "The client_assertion sub must equal its iss (the client_id).",
        ));
    }
    if jws.claim_str("aud") != Some(apps.token_url()) {
        return Err(OAuthRefusal::invalid_client(
            "The audience (aud) claim of the client_assertion is not this token endpoint.",
        ));
    }
    let now = epoch_seconds(SystemTime::now());
    let exp = jws.claim_i64("exp").and_then(|exp| u64::try_from(exp).ok());
    let Some(exp) = exp.filter(|exp| *exp > now) else {
        return Err(OAuthRefusal::invalid_client(
            "The client_assertion has expired.",
        ));
    };
    if exp > now + MAX_ASSERTION_LIFETIME + SKEW {
        return Err(OAuthRefusal::invalid_client(
            "The client_assertion exp is more than one hour in the future.",
        ));
    }
    if jws
        .claim_i64("iat")
        .and_then(|iat| u64::try_from(iat).ok())
        .is_some_and(|iat| iat > now + SKEW)
    {
        return Err(OAuthRefusal::invalid_client(
            "The client_assertion iat is in the future.",
        ));
    }
    let Some(jti) = jws.claim_str("jti").filter(|jti| !jti.is_empty()) else {
        return Err(OAuthRefusal::invalid_client(
            "The client_assertion has no jti.",
        ));
    };
    let forget_after = Instant::now() + Duration::from_secs(exp - now + SKEW);
    if !apps.first_use_of_assertion(&format!("{client_id} {jti}"), forget_after) {
        return Err(OAuthRefusal::invalid_client(
            "client_assertion_already_used: the client_assertion jti was used before.",
        ));
    }
    Ok(client_id)
}

/// The requested scopes, if all are granted to the app.
fn granted_scopes(
    apps: &SimOAuthApps,
    client_id: &str,
    requested: &str,
) -> Result<Vec<String>, OAuthRefusal> {
    let requested: Vec<String> = requested.split_whitespace().map(str::to_owned).collect();
    if requested.is_empty() {
        return Err(OAuthRefusal::bad_request(
            "invalid_scope",
            "The authorization server resource does not have any configured default scopes, 'scope' must be provided.",
        ));
    }
    let granted = apps.app_scopes(client_id).unwrap_or_default();
    if let Some(missing) = requested.iter().find(|scope| !granted.contains(scope)) {
        return Err(OAuthRefusal::bad_request(
            "invalid_scope",
            format!("The following scopes are not granted to the client: {missing}."),
        ));
    }
    Ok(requested)
}

/// Checks the `DPoP` header of a token request; returns the key thumbprint
/// the new token is bound to (`None`: a bearer token for an app that does
/// not require DPoP and sent no proof).
fn check_token_request_proof(
    apps: &SimOAuthApps,
    client_id: &str,
    headers: &HeaderMap,
) -> Result<Option<String>, OAuthRefusal> {
    let mut proofs = headers.get_all("dpop").iter();
    let (proof, extra) = (proofs.next(), proofs.next());
    let proof = match (proof, extra) {
        (None, _) if apps.requires_dpop(client_id) => {
            return Err(OAuthRefusal::bad_request(
                "invalid_dpop_proof",
                "The DPoP proof JWT header is missing.",
            ));
        }
        (None, _) => return Ok(None),
        (Some(_), Some(_)) => {
            return Err(OAuthRefusal::bad_request(
                "invalid_dpop_proof",
                "More than one DPoP header was sent.",
            ));
        }
        (Some(proof), None) => proof.to_str().unwrap_or(""),
    };
    let token_url = Url::parse(apps.token_url())
        .map_err(|_| OAuthRefusal::bad_request("invalid_request", "Bad token URL."))?;
    let checked =
        super::proofs::check_proof(proof, "POST", &token_url, apps.settings().proof_max_age)
            .map_err(|description| OAuthRefusal::bad_request("invalid_dpop_proof", description))?;
    if checked.ath.is_some() {
        return Err(OAuthRefusal::bad_request(
            "invalid_dpop_proof",
            "A DPoP proof for the token endpoint must not carry ath.",
        ));
    }
    let current = apps.current_dpop_nonce();
    if checked.nonce.as_deref() != Some(current.as_str()) {
        let mut refusal = OAuthRefusal::bad_request(
            USE_DPOP_NONCE,
            "Authorization server requires nonce in DPoP proof.",
        );
        refusal.nonce = Some(current);
        return Err(refusal);
    }
    if !apps.first_use_of_proof(&checked.jti) {
        return Err(OAuthRefusal::bad_request(
            "invalid_dpop_proof",
            "The DPoP proof jti was used before.",
        ));
    }
    Ok(Some(checked.jkt))
}
