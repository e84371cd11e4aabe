//! `GET /oauth2/v1/keys` of the simulated org: the authorization server's
//! key set with `Cache-Control: max-age`, as Okta publishes it, or 503
//! while a test has taken it down.

use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

use crate::org::SimOrg;

/// `GET /oauth2/v1/keys` and `GET /oauth2/{server}/v1/keys` (every server
/// of the simulated org signs with the same keys).
pub(crate) async fn keys(State(org): State<Arc<SimOrg>>) -> Response {
    if org.direct.keys.is_down() {
        return (StatusCode::SERVICE_UNAVAILABLE, "").into_response();
    }
    let (jwks, max_age) = org.direct.keys.published();
    let body = serde_json::to_string(&jwks).unwrap_or_default();
    let mut response = (StatusCode::OK, body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Ok(value) =
        HeaderValue::from_str(&format!("max-age={}, must-revalidate", max_age.as_secs()))
    {
        headers.insert(header::CACHE_CONTROL, value);
    }
    response
}
