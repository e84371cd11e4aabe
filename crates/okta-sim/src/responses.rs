//! Answers in Okta's shapes: JSON bodies, and error bodies with `errorCode`,
//! `errorSummary`, `errorLink`, `errorId` and `errorCauses` exactly as Okta
//! writes them, including the errors many endpoints share (a body that is
//! not JSON, a token that is not valid, a resource that does not exist).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::ids;
use okta_api::error::codes;
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

/// 400 `E0000003`: the request body is not the JSON the endpoint reads.
pub(crate) fn malformed() -> Response {
    okta_error(
        StatusCode::BAD_REQUEST,
        codes::MALFORMED_REQUEST,
        "The request body was not well-formed.",
    )
}

/// 401 `E0000011`: an API token, or a stateToken, that is unknown, expired,
/// revoked or whose transaction ended.
pub(crate) fn invalid_token() -> Response {
    okta_error(
        StatusCode::UNAUTHORIZED,
        codes::INVALID_TOKEN,
        "Invalid token provided",
    )
}

/// 404 `E0000007` for `key`, a resource of this `kind` (`User`,
/// `UserFactor`, `Transaction`, `Endpoint`).
pub(crate) fn not_found(key: &str, kind: &str) -> Response {
    okta_error(
        StatusCode::NOT_FOUND,
        codes::NOT_FOUND,
        &format!("Not found: Resource not found: {key} ({kind})"),
    )
}
