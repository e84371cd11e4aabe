//! Answers in Okta's shapes: JSON bodies, and error bodies with `errorCode`,
//! `errorSummary`, `errorLink`, `errorId` and `errorCauses` exactly as Okta
//! writes them.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::ids;
use okta_api::error::{OktaErrorBody, OktaErrorCause};

/// A JSON answer.
pub(crate) fn json(status: StatusCode, body: serde_json::Value) -> Response {
    (status, Json(body)).into_response()
}

/// An Okta error answer without causes.
pub(crate) fn okta_error(status: StatusCode, code: &str, summary: &str) -> Response {
    okta_error_with_causes(status, code, summary, &[])
}

/// An Okta error answer; `causes` become `errorCauses[].errorSummary`.
pub(crate) fn okta_error_with_causes(
    status: StatusCode,
    code: &str,
    summary: &str,
    causes: &[&str],
) -> Response {
    let body = OktaErrorBody {
        error_code: code.to_owned(),
        error_summary: summary.to_owned(),
        error_link: Some(code.to_owned()),
        error_id: Some(format!("oae{}", ids::random_token(19))),
        error_causes: causes
            .iter()
            .map(|cause| OktaErrorCause {
                error_summary: (*cause).to_owned(),
            })
            .collect(),
    };
    (status, Json(body)).into_response()
}
