//! `POST /api/v1/authn` of the simulated org: primary authentication with a
//! username and password, answered the way Okta answers it.
//!
//! - unknown login, wrong password, inactive user: 401 `E0000004`;
//! - locked-out user: 200 `LOCKED_OUT` (or 401 `E0000004` when the org hides
//!   lockouts, Okta's default);
//! - right password and enrolled factors: 200 `MFA_REQUIRED` listing them;
//! - right password, expired: 200 `PASSWORD_EXPIRED`;
//! - right password: 200 `SUCCESS` with a one-time `sessionToken`.
//!
//! A body with only a `stateToken` returns that transaction's current state.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::SecretString;
use serde_json::{Value, json};

use super::users::{AuthenticatedUser, SimFactor, Verdict};
use super::{FactorListSpelling, SimOrg, ids, responses};
use crate::okta::authn::FactorType;
use crate::okta::error::codes;

/// How long a sessionToken may be exchanged for a session.
const SESSION_TOKEN_LIFETIME: Duration = Duration::from_secs(300);

/// `POST /api/v1/authn`.
pub(super) async fn primary_authn(State(org): State<Arc<SimOrg>>, body: Bytes) -> Response {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return malformed();
    };
    let text = |field: &str| request.get(field).and_then(Value::as_str);
    match (text("username"), text("password"), text("stateToken")) {
        (Some(username), Some(password), _) if !username.is_empty() => {
            let password = SecretString::from(password);
            authenticate(&org, username, &password)
        }
        (None, None, Some(state_token)) => match org.transactions.current(state_token) {
            Some(state) => responses::json(StatusCode::OK, state),
            None => responses::okta_error(
                StatusCode::UNAUTHORIZED,
                codes::INVALID_TOKEN,
                "Invalid token provided",
            ),
        },
        _ => responses::okta_error_with_causes(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            "Api validation failed: authRequest",
            &["username and password are required"],
        ),
    }
}

fn authenticate(org: &SimOrg, username: &str, password: &SecretString) -> Response {
    match org.users.authenticate(username, password) {
        Verdict::UnknownUser | Verdict::WrongPassword | Verdict::Inactive => {
            authentication_failed()
        }
        Verdict::LockedOut if org.show_lockout_failures => responses::json(
            StatusCode::OK,
            json!({
                "status": "LOCKED_OUT",
                "_links": {"next": link(org, "unlock", "/api/v1/authn/recovery/unlock")}
            }),
        ),
        Verdict::LockedOut => authentication_failed(),
        Verdict::Authenticated(user) if !user.factors.is_empty() => mfa_required(org, &user),
        Verdict::Authenticated(user) if user.password_expired => password_expired(org, &user),
        Verdict::Authenticated(user) => success(org, &user),
    }
}

fn success(org: &SimOrg, user: &AuthenticatedUser) -> Response {
    let expires_at = super::time::okta_timestamp(SystemTime::now() + SESSION_TOKEN_LIFETIME);
    responses::json(
        StatusCode::OK,
        json!({
            "expiresAt": expires_at,
            "status": "SUCCESS",
            "sessionToken": format!("20111{}", ids::random_token(37)),
            "_embedded": {"user": embedded_user(org, user)}
        }),
    )
}

fn mfa_required(org: &SimOrg, user: &AuthenticatedUser) -> Response {
    let factors: Vec<Value> = user
        .factors
        .iter()
        .map(|(id, factor)| factor_json(org, id, &user.login, factor))
        .collect();
    let list_key = match org.factor_list_spelling {
        FactorListSpelling::Factors => "factors",
        FactorListSpelling::Factor => "factor",
    };
    let answer = json!({
        "status": "MFA_REQUIRED",
        "_embedded": {
            "user": embedded_user(org, user),
            list_key: factors,
            "policy": {
                "allowRememberDevice": false,
                "rememberDeviceLifetimeInMinutes": 0,
                "rememberDeviceByDefault": false,
                "factorsPolicyInfo": {}
            }
        },
        "_links": {"cancel": link(org, "cancel", "/api/v1/authn/cancel")}
    });
    responses::json(StatusCode::OK, org.transactions.open(answer))
}

fn password_expired(org: &SimOrg, user: &AuthenticatedUser) -> Response {
    let answer = json!({
        "status": "PASSWORD_EXPIRED",
        "_embedded": {
            "user": embedded_user(org, user),
            "policy": {
                "complexity": {
                    "minLength": 8, "minLowerCase": 1, "minUpperCase": 1,
                    "minNumber": 1, "minSymbol": 0
                }
            }
        },
        "_links": {
            "next": link(org, "changePassword", "/api/v1/authn/credentials/change_password"),
            "cancel": link(org, "cancel", "/api/v1/authn/cancel")
        }
    });
    responses::json(StatusCode::OK, org.transactions.open(answer))
}

fn embedded_user(org: &SimOrg, user: &AuthenticatedUser) -> Value {
    json!({
        "id": user.id,
        "passwordChanged": super::time::okta_timestamp(org.started),
        "profile": {
            "login": user.login,
            "firstName": user.first_name,
            "lastName": user.last_name,
            "locale": "en_US",
            "timeZone": "America/Los_Angeles"
        }
    })
}

/// A factor as `MFA_REQUIRED` lists it: enrolment details masked.
fn factor_json(org: &SimOrg, id: &str, login: &str, factor: &SimFactor) -> Value {
    let profile = match factor.factor_type {
        FactorType::Sms | FactorType::Call => {
            json!({"phoneNumber": factor.phone_number.as_deref().map(mask_phone)})
        }
        FactorType::Email => json!({"email": factor.email.as_deref().map(mask_email)}),
        FactorType::Question => json!({
            "question": factor.question,
            "questionText": factor.question_text.as_deref().or(factor.question.as_deref())
        }),
        FactorType::Push => json!({
            "credentialId": login,
            "deviceType": "SmartPhone_Android",
            "name": "Simulated phone",
            "platform": "ANDROID",
            "version": "14"
        }),
        _ => json!({"credentialId": login}),
    };
    json!({
        "id": id,
        "factorType": factor.factor_type.as_str(),
        "provider": factor.provider.as_str(),
        "vendorName": factor.provider.as_str(),
        "profile": profile,
        "_links": {
            "verify": link(org, "verify", &format!("/api/v1/authn/factors/{id}/verify"))
        }
    })
}

fn link(org: &SimOrg, name: &str, path: &str) -> Value {
    json!({
        "name": name,
        "href": format!("{}{path}", org.base_url),
        "hints": {"allow": ["POST"]}
    })
}

/// `+1 555 0100 1234` -> `+1 XXX-XXX-1234`, as Okta masks phone numbers.
fn mask_phone(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().filter(char::is_ascii_digit).collect();
    let last: String = digits[digits.len().saturating_sub(4)..].iter().collect();
    format!("+1 XXX-XXX-{last}")
}

/// `erin@example.com` -> `e...n@example.com`.
fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().unwrap_or('x');
            let last = local.chars().last().unwrap_or('x');
            format!("{first}...{last}@{domain}")
        }
        None => "...".to_owned(),
    }
}

fn authentication_failed() -> Response {
    responses::okta_error(
        StatusCode::UNAUTHORIZED,
        codes::AUTHENTICATION_FAILED,
        "Authentication failed",
    )
}

fn malformed() -> Response {
    responses::okta_error(
        StatusCode::BAD_REQUEST,
        codes::MALFORMED_REQUEST,
        "The request body was not well-formed.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masking() {
        assert_eq!(mask_phone("+1 555 0100 1234"), "+1 XXX-XXX-1234");
        assert_eq!(mask_phone("12"), "+1 XXX-XXX-12");
        assert_eq!(mask_email("erin@example.com"), "e...n@example.com");
    }
}
