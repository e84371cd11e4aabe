//! The simulated org's Direct Authentication answers: OAuth errors
//! (`{"error","error_description"}`, with the `mfa_token` of
//! `mfa_required`), and tokens with an ID token signed by the authorization
//! server's active key (or spoiled as a test asked).

use std::time::SystemTime;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::state::{SimDirect, SimIdTokenFault, SimOidcApp};
use crate::ids;
use crate::user_store::UserView;
use okta_api::direct::errors;
use okta_api::time::epoch_seconds;

/// An OAuth error answer.
pub(crate) fn oauth_error(status: StatusCode, error: &str, description: &str) -> Response {
    answer(
        status,
        json!({"error": error, "error_description": description}),
    )
}

/// 401 `invalid_client`.
pub(crate) fn invalid_client(description: &str) -> Response {
    oauth_error(
        StatusCode::UNAUTHORIZED,
        errors::INVALID_CLIENT,
        description,
    )
}

/// 403 `mfa_required` with the `mfa_token` to continue with.
pub(crate) fn mfa_required(mfa_token: &str) -> Response {
    answer(
        StatusCode::FORBIDDEN,
        json!({
            "error": errors::MFA_REQUIRED,
            "error_description": "The resource owner must complete MFA to finish the authentication.",
            "mfa_token": mfa_token,
        }),
    )
}

/// 403 `access_denied`.
pub(crate) fn access_denied(description: &str) -> Response {
    oauth_error(StatusCode::FORBIDDEN, errors::ACCESS_DENIED, description)
}

/// 400 `invalid_grant`.
pub(crate) fn invalid_grant(description: &str) -> Response {
    oauth_error(StatusCode::BAD_REQUEST, errors::INVALID_GRANT, description)
}

/// A JSON answer no cache keeps.
pub(crate) fn answer(status: StatusCode, body: Value) -> Response {
    let mut response = (status, body.to_string()).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The tokens of a login that is complete: an access token and an ID
/// token naming `user`, issued by `issuer` for `app`.
pub(crate) fn tokens(
    direct: &SimDirect,
    app: &SimOidcApp,
    user: &UserView,
    issuer: &str,
) -> Response {
    let now = epoch_seconds(SystemTime::now());
    let profile = &user.user;
    let mut claims = json!({
        "iss": issuer,
        "aud": app.client_id,
        "sub": user.id,
        "iat": now,
        "exp": now + 3600,
        "auth_time": now,
        "amr": ["pwd"],
        "preferred_username": profile.login,
        "name": format!("{} {}", profile.first_name, profile.last_name),
        "given_name": profile.first_name,
        "family_name": profile.last_name,
        "email": profile.email.clone().unwrap_or_else(|| profile.login.clone()),
    });
    if let Some(claim) = &app.groups_claim {
        claims[claim.as_str()] = json!(profile.groups);
    }
    let id_token = match direct.next_id_token_fault() {
        None => direct.keys.sign(&claims),
        Some(fault) => spoiled(direct, claims, fault, now),
    };
    answer(
        StatusCode::OK,
        json!({
            "token_type": "Bearer",
            "expires_in": 3600,
            "access_token": ids::random_token(48),
            "scope": "openid profile",
            "id_token": id_token,
        }),
    )
}

fn spoiled(direct: &SimDirect, mut claims: Value, fault: SimIdTokenFault, now: u64) -> String {
    let unsigned = |header: Value, claims: &Value| {
        format!(
            "{}.{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string()),
            URL_SAFE_NO_PAD.encode(b"not-a-signature"),
        )
    };
    match fault {
        SimIdTokenFault::WrongIssuer => {
            claims["iss"] = json!("https://attacker.example.com");
            direct.keys.sign(&claims)
        }
        SimIdTokenFault::WrongAudience => {
            claims["aud"] = json!("0oa-another-app");
            direct.keys.sign(&claims)
        }
        SimIdTokenFault::Expired => {
            claims["iat"] = json!(now - 7200);
            claims["exp"] = json!(now - 3600);
            direct.keys.sign(&claims)
        }
        SimIdTokenFault::BadSignature => {
            let signed = direct.keys.sign(&claims);
            let mut parts: Vec<&str> = signed.split('.').collect();
            claims["sub"] = json!("00u-someone-else");
            let forged = URL_SAFE_NO_PAD.encode(claims.to_string());
            if parts.len() == 3 {
                parts[1] = &forged;
            }
            parts.join(".")
        }
        SimIdTokenFault::AlgNone => unsigned(
            json!({"alg": "none", "kid": direct.keys.active_kid()}),
            &claims,
        ),
        SimIdTokenFault::Hs256 => unsigned(
            json!({"alg": "HS256", "kid": direct.keys.active_kid()}),
            &claims,
        ),
    }
}
