//! The management API of the simulated org. For now only
//! `GET /api/v1/users/me`, which returns the admin that owns the API token:
//! the cheapest call that succeeds, used to check and keep alive a token.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde_json::json;

use super::SimOrg;
use super::ids;
use super::responses;
use super::time::okta_timestamp;

/// `GET /api/v1/users/me`.
pub(super) async fn users_me(State(org): State<Arc<SimOrg>>) -> Response {
    let login = org.admin_login.as_str();
    let id = ids::stable_id("00u", login);
    let started = okta_timestamp(org.started);
    responses::json(
        StatusCode::OK,
        json!({
            "id": id,
            "status": "ACTIVE",
            "created": started,
            "activated": started,
            "statusChanged": started,
            "lastLogin": started,
            "passwordChanged": started,
            "type": {"id": ids::stable_id("oty", "default")},
            "profile": {
                "login": login,
                "email": login,
                "firstName": "RADIUS",
                "lastName": "Service",
                "locale": "en_US",
                "timeZone": "UTC"
            },
            "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}},
            "_links": {"self": {"href": format!("{}/api/v1/users/{id}", org.base_url)}}
        }),
    )
}
