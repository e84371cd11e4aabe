//! Factor verification through the factors API of the simulated org, the
//! "MFA only" calls a service account makes without a password step:
//!
//! - `POST /api/v1/users/{uid}/factors/{fid}/verify`: an OTP or answer ->
//!   200 `{factorResult: "SUCCESS"}` (wrong: 403 `E0000068`); sms, call or
//!   email without a passCode -> 200 `{factorResult: "CHALLENGE"}` (the code
//!   is sent); push -> 201 `{factorResult: "WAITING"}` with
//!   `_links.poll.href` to `.../transactions/{transactionId}` and, when asked
//!   with `useNumberMatchingChallenge`, `_embedded.challenge.correctAnswer`;
//! - `GET` that transaction: WAITING, SUCCESS, REJECTED or TIMEOUT;
//! - `DELETE` it: the push is cancelled and can never succeed.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::factors::{Outcome, Proof};
use super::org::SimOrg;
use super::push::PushStatus;
use super::records::SimEvent;
use super::user_store::UserView;
use super::{ids, responses, states};
use okta_api::authn::FactorType;

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct VerifyBody {
    pass_code: Option<String>,
    answer: Option<String>,
    #[serde(default)]
    use_number_matching_challenge: bool,
}

/// `POST /api/v1/users/{uid}/factors/{fid}/verify`.
pub(super) async fn verify(
    State(org): State<Arc<SimOrg>>,
    Path((user_key, factor_id)): Path<(String, String)>,
    body: Bytes,
) -> Response {
    let body = if body.iter().all(u8::is_ascii_whitespace) {
        VerifyBody::default()
    } else {
        match serde_json::from_slice::<VerifyBody>(&body) {
            Ok(body) => body,
            Err(_) => return responses::malformed(),
        }
    };
    let Some(user) = org.users.by_id_or_login(&user_key) else {
        return responses::not_found(&user_key, "User");
    };
    let Some(factor) = user.factor(&factor_id).cloned() else {
        return responses::not_found(&factor_id, "UserFactor");
    };
    org.records.note(SimEvent::FactorVerify, user.login());
    if factor.factor_type == FactorType::Push {
        let transaction = format!("v2mst.{}", ids::random_token(22));
        org.records.note(SimEvent::PushSent, user.login());
        let status = org.pushes.send(
            push_key(&user, &factor_id, &transaction),
            user.login(),
            &factor,
            body.use_number_matching_challenge,
        );
        let poll = poll_href(&org, &user, &factor_id, &transaction);
        let mut answer = push_json(status, &poll);
        if let Value::Object(fields) = &mut answer {
            fields.insert(
                "profile".into(),
                states::factor_profile(user.login(), &factor, false),
            );
            let expires_at = okta_api::time::okta_timestamp(
                std::time::SystemTime::now() + std::time::Duration::from_secs(300),
            );
            fields.insert("expiresAt".into(), Value::from(expires_at));
        }
        return responses::json(StatusCode::CREATED, answer);
    }
    let proof = Proof {
        pass_code: body.pass_code.as_deref(),
        answer: body.answer.as_deref(),
    };
    match org
        .factors
        .verify(&org.users, &user, &factor_id, &factor, proof)
    {
        Outcome::Verified => responses::json(StatusCode::OK, json!({"factorResult": "SUCCESS"})),
        Outcome::CodeSent => {
            org.records.note(SimEvent::CodeSent, user.login());
            let href = format!(
                "{}/api/v1/users/{}/factors/{factor_id}/verify",
                org.base_url, user.id
            );
            responses::json(
                StatusCode::OK,
                json!({
                    "factorResult": "CHALLENGE",
                    "profile": states::factor_profile(user.login(), &factor, false),
                    "_links": {"verify": {"href": href, "hints": {"allow": ["POST"]}}}
                }),
            )
        }
        Outcome::Refused(refusal) => refusal,
    }
}

/// `GET /api/v1/users/{uid}/factors/{fid}/transactions/{transactionId}`.
pub(super) async fn poll(
    State(org): State<Arc<SimOrg>>,
    Path((user_key, factor_id, transaction)): Path<(String, String, String)>,
) -> Response {
    let Some(user) = org.users.by_id_or_login(&user_key) else {
        return responses::not_found(&user_key, "User");
    };
    match org.pushes.poll(&push_key(&user, &factor_id, &transaction)) {
        Some(status) => {
            let href = poll_href(&org, &user, &factor_id, &transaction);
            responses::json(StatusCode::OK, push_json(status, &href))
        }
        None => responses::not_found(&transaction, "Transaction"),
    }
}

/// `DELETE /api/v1/users/{uid}/factors/{fid}/transactions/{transactionId}`.
pub(super) async fn cancel(
    State(org): State<Arc<SimOrg>>,
    Path((user_key, factor_id, transaction)): Path<(String, String, String)>,
) -> Response {
    let Some(user) = org.users.by_id_or_login(&user_key) else {
        return responses::not_found(&user_key, "User");
    };
    if org
        .pushes
        .cancel(&push_key(&user, &factor_id, &transaction))
    {
        org.records.note(SimEvent::Cancel, user.login());
        StatusCode::NO_CONTENT.into_response()
    } else {
        responses::not_found(&transaction, "Transaction")
    }
}

fn push_key(user: &UserView, factor_id: &str, transaction: &str) -> String {
    format!("users/{}/{factor_id}/{transaction}", user.id)
}

fn poll_href(org: &SimOrg, user: &UserView, factor_id: &str, transaction: &str) -> String {
    format!(
        "{}/api/v1/users/{}/factors/{factor_id}/transactions/{transaction}",
        org.base_url, user.id
    )
}

fn push_json(status: PushStatus, poll: &str) -> Value {
    match status {
        PushStatus::Waiting { correct_answer } => {
            let mut answer = json!({
                "factorResult": "WAITING",
                "_links": {
                    "poll": {"href": poll, "hints": {"allow": ["GET"]}},
                    "cancel": {"href": poll, "hints": {"allow": ["DELETE"]}}
                }
            });
            if let (Some(number), Value::Object(fields)) = (correct_answer, &mut answer) {
                fields.insert(
                    "_embedded".into(),
                    json!({"challenge": {"correctAnswer": number}}),
                );
            }
            answer
        }
        PushStatus::Approved => json!({"factorResult": "SUCCESS"}),
        PushStatus::Rejected => json!({"factorResult": "REJECTED"}),
        PushStatus::TimedOut => json!({"factorResult": "TIMEOUT"}),
    }
}
