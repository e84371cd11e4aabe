//! `POST /oauth2/v1/challenge` of the simulated org: sends an Okta Verify
//! push (with number matching, `binding_method` transfer, when the factor
//! asks for it), an SMS or a voice call (`binding_method` prompt: the user
//! types the code received) for a live `mfa_token`, and answers with the
//! `oob_code` to poll and the interval. A channel the user has no factor
//! for is 400 `invalid_request`; a code sent too soon after the last one is
//! 429, as Okta limits SMS and calls to one per 30 s.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use serde_json::json;

use super::answers::{self, access_denied, oauth_error};
use super::client_auth::authenticate;
use crate::factors::Outcome;
use crate::org::SimOrg;
use crate::push::PushStatus;
use crate::records::SimEvent;
use okta_api::authn::FactorType;
use okta_api::direct::{Channel, MFA_OOB_GRANT, errors, paths};

/// `POST /oauth2/v1/challenge`.
pub(crate) async fn org_server(
    State(org): State<Arc<SimOrg>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    challenge(&org, None, &headers, &body)
}

/// `POST /oauth2/{server}/v1/challenge`.
pub(crate) async fn custom_server(
    State(org): State<Arc<SimOrg>>,
    Path(server): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    challenge(&org, Some(&server), &headers, &body)
}

fn challenge(org: &SimOrg, server: Option<&str>, headers: &HeaderMap, body: &[u8]) -> Response {
    let form: HashMap<String, String> = form_urlencoded::parse(body).into_owned().collect();
    let field = |name: &str| form.get(name).map(String::as_str).unwrap_or("");
    let url = format!("{}{}", org.base_url, paths::challenge(server));
    let app = match authenticate(&org.direct, headers, &form, &url) {
        Ok(app) => app,
        Err(why) => return answers::invalid_client(why),
    };
    if !app.grants.iter().any(|grant| grant == MFA_OOB_GRANT) {
        return oauth_error(
            StatusCode::BAD_REQUEST,
            errors::UNAUTHORIZED_CLIENT,
            "The client is not authorized to use the provided grant type.",
        );
    }
    let mfa_token = field("mfa_token");
    let Some(user) = org
        .direct
        .flows
        .transaction(mfa_token)
        .and_then(|tx| org.users.by_login(&tx.login))
    else {
        return access_denied("The mfa_token is invalid or has expired.");
    };
    let Some(channel) = Channel::parse(field("channel_hint")) else {
        return invalid_request("The channel_hint is not push, sms or voice.");
    };
    let wanted = match channel {
        Channel::Push => FactorType::Push,
        Channel::Sms => FactorType::Sms,
        Channel::Voice => FactorType::Call,
    };
    let Some((factor_id, factor)) = user
        .factors
        .iter()
        .find(|(_, factor)| factor.factor_type == wanted)
    else {
        return invalid_request("The user has no authenticator for this channel.");
    };
    org.records.note(SimEvent::DirectChallenge, user.login());
    let interval = org.direct.poll_interval;
    let oob_code = org
        .direct
        .flows
        .challenge(mfa_token, factor_id, channel, interval);
    let (binding_method, binding_code) = match channel {
        Channel::Push => {
            org.records.note(SimEvent::PushSent, user.login());
            let status = org.pushes.send(
                oob_code.clone(),
                user.login(),
                factor,
                factor.number_challenge,
            );
            match status {
                PushStatus::Waiting {
                    correct_answer: Some(number),
                } => ("transfer", Some(number.to_string())),
                _ => ("none", None),
            }
        }
        Channel::Sms | Channel::Voice => {
            let key = format!("{}#{factor_id}", user.login().to_lowercase());
            match org.factors.send_code(user.login(), &key, factor) {
                Outcome::CodeSent => {
                    org.records.note(SimEvent::CodeSent, user.login());
                    ("prompt", None)
                }
                _ => {
                    return answers::answer(
                        StatusCode::TOO_MANY_REQUESTS,
                        json!({
                            "error": "too_many_requests",
                            "error_description": "A code was sent moments ago; wait before asking for another.",
                        }),
                    );
                }
            }
        }
    };
    let mut answer = json!({
        "challenge_type": MFA_OOB_GRANT,
        "oob_code": oob_code,
        "expires_in": super::flows::LIFETIME.as_secs(),
        "interval": interval.as_secs().max(1),
        "channel": channel.as_str(),
        "binding_method": binding_method,
    });
    if let Some(code) = binding_code {
        answer["binding_code"] = json!(code);
    }
    answers::answer(StatusCode::OK, answer)
}

fn invalid_request(description: &str) -> Response {
    oauth_error(
        StatusCode::BAD_REQUEST,
        errors::INVALID_REQUEST,
        description,
    )
}
