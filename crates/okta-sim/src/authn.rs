//! `POST /api/v1/authn` of the simulated org: primary authentication with a
//! username and password, answered the way Okta answers it.
//!
//! - unknown login, wrong password, inactive user: 401 `E0000004`;
//! - locked-out user: 200 `LOCKED_OUT` (or 401 `E0000004` when the org hides
//!   lockouts, Okta's default);
//! - right password, user who must enrol a factor: 200 `MFA_ENROLL`;
//! - right password and enrolled factors: 200 `MFA_REQUIRED` listing them
//!   (an expired or expiring password shows only after the factor);
//! - right password, expired: 200 `PASSWORD_EXPIRED`;
//! - right password, expiring soon and the client asked to be warned:
//!   200 `PASSWORD_WARN`;
//! - right password: 200 `SUCCESS` with a one-time `sessionToken`.
//!
//! A body with only a `stateToken` returns that transaction's current state.
//! [`after_factor`] decides where a transaction goes once its factor is verified.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use secrecy::SecretString;
use serde_json::Value;

use super::org::SimOrg;
use super::transactions::TxContext;
use super::user_store::{UserView, Verdict};
use super::users::SimUserStatus;
use super::{responses, states};
use okta_api::error::codes;

/// `POST /api/v1/authn`.
pub(super) async fn primary_authn(State(org): State<Arc<SimOrg>>, body: Bytes) -> Response {
    let Ok(Value::Object(request)) = serde_json::from_slice::<Value>(&body) else {
        return responses::malformed();
    };
    let text = |field: &str| request.get(field).and_then(Value::as_str);
    let warn = request
        .get("options")
        .and_then(|options| options.get("warnBeforePasswordExpired"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    match (text("username"), text("password"), text("stateToken")) {
        (Some(username), Some(password), _) if !username.is_empty() => {
            let password = SecretString::from(password);
            authenticate(&org, username, &password, warn)
        }
        (None, None, Some(state_token)) => match org.transactions.current(state_token) {
            Some(state) => responses::json(StatusCode::OK, state),
            None => responses::invalid_token(),
        },
        _ => responses::okta_error_with_causes(
            StatusCode::BAD_REQUEST,
            codes::VALIDATION_FAILED,
            "Api validation failed: authRequest",
            &["username and password are required"],
        ),
    }
}

fn authenticate(org: &SimOrg, username: &str, password: &SecretString, warn: bool) -> Response {
    let user = match org.users.authenticate(username, password) {
        Verdict::UnknownUser | Verdict::WrongPassword | Verdict::Inactive => {
            return authentication_failed();
        }
        Verdict::LockedOut if org.show_lockout_failures => {
            return responses::json(StatusCode::OK, states::locked_out(org));
        }
        Verdict::LockedOut => return authentication_failed(),
        Verdict::Authenticated(user) => user,
    };
    let context = TxContext {
        login: user.login().to_owned(),
        warn_before_password_expired: warn,
    };
    let answer = if user.user.mfa_enroll {
        states::mfa_enroll(org, &user)
    } else if !user.factors.is_empty() {
        states::mfa_required(org, &user)
    } else {
        match password_state(org, &user, warn) {
            Some(state) => state,
            None => return responses::json(StatusCode::OK, states::success(org, &user)),
        }
    };
    responses::json(StatusCode::OK, org.transactions.open(answer, context))
}

/// The state a verified user is in because of their password, if any.
fn password_state(org: &SimOrg, user: &UserView, warn: bool) -> Option<Value> {
    if org.users.status(user.login()) == Some(SimUserStatus::PasswordExpired) {
        Some(states::password_expired(org, user))
    } else if user.user.password_warn && warn {
        Some(states::password_warn(org, user))
    } else {
        None
    }
}

/// Where a transaction goes once its factor is verified: `PASSWORD_EXPIRED`
/// or `PASSWORD_WARN` when the password says so, else `SUCCESS` (which ends
/// the transaction).
pub(super) fn after_factor(
    org: &SimOrg,
    state_token: &str,
    context: &TxContext,
    user: &UserView,
) -> Response {
    match password_state(org, user, context.warn_before_password_expired) {
        Some(state) => match org.transactions.advance(state_token, state) {
            Some(state) => responses::json(StatusCode::OK, state),
            None => responses::invalid_token(),
        },
        None => {
            org.transactions.end(state_token);
            responses::json(StatusCode::OK, states::success(org, user))
        }
    }
}

fn authentication_failed() -> Response {
    responses::okta_error(
        StatusCode::UNAUTHORIZED,
        codes::AUTHENTICATION_FAILED,
        "Authentication failed",
    )
}
