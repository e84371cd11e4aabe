//! The org's API tokens: every `/api/v1` call must carry
//! `Authorization: SSWS <token>` with a registered token, or it is refused
//! with HTTP 401 `E0000011` "Invalid token provided", as Okta refuses an
//! expired or revoked token.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use super::SimOrg;
use super::responses;
use crate::okta::error::codes;

/// Middleware: refuses calls without a registered API token.
pub(super) async fn require(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("SSWS "))
        .map(str::trim);
    let known = presented.is_some_and(|presented| {
        org.api_tokens
            .iter()
            .any(|token| bool::from(token.expose_secret().as_bytes().ct_eq(presented.as_bytes())))
    });
    if known {
        next.run(request).await
    } else {
        responses::okta_error(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_TOKEN,
            "Invalid token provided",
        )
    }
}
