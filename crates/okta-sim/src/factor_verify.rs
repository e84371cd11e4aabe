//! The factor calls of an authentication transaction in the simulated org:
//!
//! - `POST /api/v1/authn/factors/{factorId}/verify`: sends a push (and
//!   polls it: every later call on the same transaction is a poll), sends an
//!   SMS/call/email code or checks it, checks an OTP or a security answer;
//! - `POST .../verify/resend`: a new code, or a new push;
//! - `POST /api/v1/authn/cancel`: ends the transaction (a pending push can
//!   no longer succeed);
//! - `POST /api/v1/authn/skip`: continues past `PASSWORD_WARN`.
//!
//! Like Okta: an expired or ended stateToken is 401 `E0000011`, a call the
//! transaction's state does not allow is 403 `E0000079`, and a factor the user
//! has not enrolled is 404 `E0000007`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use super::authn::after_factor;
use super::factors::{Outcome, Proof};
use super::org::SimOrg;
use super::push::PushStatus;
use super::records::SimEvent;
use super::responses;
use super::states::{self, Challenge};
use super::transactions::TxContext;
use super::user_store::UserView;
use super::users::SimFactor;
use okta_api::authn::FactorType;
use okta_api::error::codes;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct VerifyBody {
    state_token: Option<String>,
    pass_code: Option<String>,
    answer: Option<String>,
}

/// An Okta error answer, boxed: it is large and travels by `?`.
type Refusal = Box<Response>;

/// A live transaction, its user and one of their factors.
struct Call {
    token: String,
    context: TxContext,
    status: String,
    user: UserView,
}

impl Call {
    /// Finds the transaction of a request body, or the refusal to answer.
    fn open(org: &SimOrg, token: Option<&str>) -> Result<Call, Refusal> {
        let token = token.filter(|token| !token.is_empty()).ok_or_else(|| {
            Box::new(responses::okta_error_with_causes(
                StatusCode::BAD_REQUEST,
                codes::VALIDATION_FAILED,
                "Api validation failed: stateToken",
                &["stateToken: The field cannot be left blank"],
            ))
        })?;
        let refused = || Box::new(responses::invalid_token());
        let (state, context) = org.transactions.touch(token).ok_or_else(refused)?;
        let user = org.users.by_login(&context.login).ok_or_else(refused)?;
        Ok(Call {
            token: token.to_owned(),
            status: state["status"].as_str().unwrap_or_default().to_owned(),
            context,
            user,
        })
    }

    fn require_status(&self, allowed: &[&str]) -> Result<(), Refusal> {
        if allowed.contains(&self.status.as_str()) {
            Ok(())
        } else {
            Err(Box::new(illegal_state()))
        }
    }

    fn factor(&self, factor_id: &str) -> Result<SimFactor, Refusal> {
        self.user
            .factor(factor_id)
            .cloned()
            .ok_or_else(|| Box::new(responses::not_found(factor_id, "UserFactor")))
    }

    fn push_key(&self, factor_id: &str) -> String {
        format!("{}#{factor_id}", self.token)
    }
}

/// `POST /api/v1/authn/factors/{factorId}/verify`.
pub(super) async fn verify(
    State(org): State<Arc<SimOrg>>,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<VerifyBody>(&body) else {
        return responses::malformed();
    };
    verify_factor(&org, &factor_id, &body).unwrap_or_else(|refusal| *refusal)
}

fn verify_factor(org: &SimOrg, factor_id: &str, body: &VerifyBody) -> Result<Response, Refusal> {
    {
        let call = Call::open(org, body.state_token.as_deref())?;
        call.require_status(&["MFA_REQUIRED", "MFA_CHALLENGE"])?;
        let factor = call.factor(factor_id)?;
        org.records.note(SimEvent::FactorVerify, call.user.login());
        if factor.factor_type == FactorType::Push {
            let key = call.push_key(factor_id);
            let status = match org.pushes.poll(&key) {
                Some(status) => status,
                None => send_push(org, &call, key, &factor),
            };
            return Ok(push_answer(org, &call, factor_id, &factor, status));
        }
        let proof = Proof {
            pass_code: body.pass_code.as_deref(),
            answer: body.answer.as_deref(),
        };
        let outcome = org
            .factors
            .verify(&org.users, &call.user, factor_id, &factor, proof);
        Ok(code_answer(org, &call, factor_id, &factor, outcome))
    }
}

/// `POST /api/v1/authn/factors/{factorId}/verify/resend`.
pub(super) async fn resend(
    State(org): State<Arc<SimOrg>>,
    Path(factor_id): Path<String>,
    body: Bytes,
) -> Response {
    let Ok(body) = serde_json::from_slice::<VerifyBody>(&body) else {
        return responses::malformed();
    };
    resend_factor(&org, &factor_id, &body).unwrap_or_else(|refusal| *refusal)
}

fn resend_factor(org: &SimOrg, factor_id: &str, body: &VerifyBody) -> Result<Response, Refusal> {
    let call = Call::open(org, body.state_token.as_deref())?;
    call.require_status(&["MFA_CHALLENGE"])?;
    let factor = call.factor(factor_id)?;
    match factor.factor_type {
        FactorType::Push => {
            let key = call.push_key(factor_id);
            org.pushes.cancel(&key);
            let status = send_push(org, &call, key, &factor);
            Ok(push_answer(org, &call, factor_id, &factor, status))
        }
        FactorType::Sms | FactorType::Call | FactorType::Email => {
            let key = format!("{}#{factor_id}", call.user.login().to_lowercase());
            let outcome = org.factors.send_code(call.user.login(), &key, &factor);
            Ok(code_answer(org, &call, factor_id, &factor, outcome))
        }
        _ => Err(Box::new(illegal_state())),
    }
}

/// `POST /api/v1/authn/cancel`.
pub(super) async fn cancel(State(org): State<Arc<SimOrg>>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<VerifyBody>(&body) else {
        return responses::malformed();
    };
    let token = body.state_token.unwrap_or_default();
    // An expired transaction cannot be cancelled either.
    if org.transactions.touch(&token).is_none() {
        return responses::invalid_token();
    }
    let Some(context) = org.transactions.end(&token) else {
        return responses::invalid_token();
    };
    org.pushes.cancel_prefix(&format!("{token}#"));
    org.records.note(SimEvent::Cancel, &context.login);
    responses::json(StatusCode::OK, json!({"status": "UNAUTHENTICATED"}))
}

/// `POST /api/v1/authn/skip`.
pub(super) async fn skip(State(org): State<Arc<SimOrg>>, body: Bytes) -> Response {
    let Ok(body) = serde_json::from_slice::<VerifyBody>(&body) else {
        return responses::malformed();
    };
    let call = match Call::open(&org, body.state_token.as_deref()) {
        Ok(call) => call,
        Err(refusal) => return *refusal,
    };
    if let Err(refusal) = call.require_status(&["PASSWORD_WARN"]) {
        return *refusal;
    }
    org.transactions.end(&call.token);
    responses::json(StatusCode::OK, states::success(&org, &call.user))
}

fn send_push(org: &SimOrg, call: &Call, key: String, factor: &SimFactor) -> PushStatus {
    org.records.note(SimEvent::PushSent, call.user.login());
    org.pushes.send(key, call.user.login(), factor, false)
}

fn push_answer(
    org: &SimOrg,
    call: &Call,
    factor_id: &str,
    factor: &SimFactor,
    status: PushStatus,
) -> Response {
    let (factor_result, next, correct_answer) = match status {
        PushStatus::Approved => return after_factor(org, &call.token, &call.context, &call.user),
        PushStatus::Waiting { correct_answer } => ("WAITING", "poll", correct_answer),
        PushStatus::Rejected => ("REJECTED", "verify", None),
        PushStatus::TimedOut => ("TIMEOUT", "verify", None),
    };
    challenge(
        org,
        call,
        &Challenge {
            factor_id,
            factor,
            factor_result,
            next,
            correct_answer,
        },
    )
}

fn code_answer(
    org: &SimOrg,
    call: &Call,
    factor_id: &str,
    factor: &SimFactor,
    outcome: Outcome,
) -> Response {
    match outcome {
        Outcome::Verified => after_factor(org, &call.token, &call.context, &call.user),
        Outcome::Refused(refusal) => refusal,
        Outcome::CodeSent => {
            org.records.note(SimEvent::CodeSent, call.user.login());
            challenge(
                org,
                call,
                &Challenge {
                    factor_id,
                    factor,
                    factor_result: "CHALLENGE",
                    next: "verify",
                    correct_answer: None,
                },
            )
        }
    }
}

fn challenge(org: &SimOrg, call: &Call, challenge: &Challenge<'_>) -> Response {
    let answer: Value = states::mfa_challenge(org, &call.user, challenge);
    match org.transactions.advance(&call.token, answer) {
        Some(state) => responses::json(StatusCode::OK, state),
        None => responses::invalid_token(),
    }
}

fn illegal_state() -> Response {
    responses::okta_error(
        StatusCode::FORBIDDEN,
        codes::ILLEGAL_STATE,
        "This operation is not allowed in the current authentication state.",
    )
}
