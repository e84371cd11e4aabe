//! `okta-radius sim --static`: an Okta stand-in that answers every
//! `POST /api/v1/authn` with one fixed `SUCCESS` and Okta's headers, as
//! fast as it can, so that a benchmark of password logins measures the
//! RADIUS server's own cost apart from the simulated org's. It checks
//! nothing: any user and password succeed. `GET /api/v1/users/me` answers
//! too (the server's start-up check and keep-alive), and `/stats` counts
//! the `/authn` calls in the shape of the full org's counters.

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// Calls each window allows, as a generous org's limit would.
const RATE_LIMIT: u64 = 100_000_000;

/// The fixed answers, built once.
struct Fixed {
    success: Bytes,
    admin: Bytes,
    authn_calls: AtomicU64,
}

fn success_body() -> Bytes {
    let body = serde_json::json!({
        "expiresAt": "2099-01-01T00:00:00.000Z",
        "status": "SUCCESS",
        "sessionToken": "20111fixedSessionTokenOfTheStaticOrg0000000",
        "_embedded": {"user": {
            "id": "00ufixedbenchuser0001",
            "passwordChanged": "2026-01-01T00:00:00.000Z",
            "profile": {
                "login": "bench@example.com",
                "firstName": "Bench",
                "lastName": "User",
                "locale": "en_US",
                "timeZone": "UTC"
            }
        }}
    });
    Bytes::from(body.to_string())
}

fn admin_body() -> Bytes {
    let body = serde_json::json!({
        "id": "00ufixedbenchadmin01",
        "status": "ACTIVE",
        "created": "2026-01-01T00:00:00.000Z",
        "activated": "2026-01-01T00:00:00.000Z",
        "statusChanged": "2026-01-01T00:00:00.000Z",
        "lastLogin": "2026-01-01T00:00:00.000Z",
        "passwordChanged": "2026-01-01T00:00:00.000Z",
        "profile": {
            "login": "radius-service@example.com",
            "email": "radius-service@example.com",
            "firstName": "RADIUS",
            "lastName": "Service",
            "locale": "en_US",
            "timeZone": "UTC"
        },
        "credentials": {"provider": {"type": "OKTA", "name": "OKTA"}}
    });
    Bytes::from(body.to_string())
}

/// Okta's headers: JSON, a request id, and a rate-limit window that never
/// runs out (its reset a minute ahead).
fn okta_headers(request_id: u64) -> HeaderMap {
    let mut headers = HeaderMap::with_capacity(5);
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    let reset = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|now| now.as_secs() + 60)
        .unwrap_or(60);
    for (name, value) in [
        ("x-okta-request-id", format!("fixed{request_id:016x}")),
        ("x-rate-limit-limit", RATE_LIMIT.to_string()),
        ("x-rate-limit-remaining", (RATE_LIMIT - 1).to_string()),
        ("x-rate-limit-reset", reset.to_string()),
    ] {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    headers
}

async fn authn(State(fixed): State<Arc<Fixed>>) -> Response {
    let call = fixed.authn_calls.fetch_add(1, Ordering::Relaxed);
    (StatusCode::OK, okta_headers(call), fixed.success.clone()).into_response()
}

async fn users_me(State(fixed): State<Arc<Fixed>>) -> Response {
    (StatusCode::OK, okta_headers(0), fixed.admin.clone()).into_response()
}

async fn stats(State(fixed): State<Arc<Fixed>>) -> Response {
    let calls = fixed.authn_calls.load(Ordering::Relaxed);
    axum::Json(serde_json::json!({
        "total_calls": calls,
        "flows": {"password": {"authn_calls": calls, "factor_verifies": 0, "pushes_sent": 0}}
    }))
    .into_response()
}

/// Serves the fixed org on `listen` and its counters on `stats_listen`
/// until interrupted.
pub(crate) async fn run(listen: SocketAddr, stats_listen: SocketAddr) -> anyhow::Result<()> {
    let fixed = Arc::new(Fixed {
        success: success_body(),
        admin: admin_body(),
        authn_calls: AtomicU64::new(0),
    });
    let org = Router::new()
        .route("/api/v1/authn", post(authn))
        .route("/api/v1/users/me", get(users_me))
        .with_state(fixed.clone());
    let counters = Router::new().route("/stats", get(stats)).with_state(fixed);
    let org_listener = tokio::net::TcpListener::bind(listen).await?;
    let stats_listener = tokio::net::TcpListener::bind(stats_listen).await?;
    println!(
        "static Okta stand-in at http://{listen} (every /api/v1/authn is a SUCCESS), stats at http://{stats_listen}/stats"
    );
    tokio::select! {
        _ = tokio::signal::ctrl_c() => Ok(()),
        result = axum::serve(org_listener, org) => Ok(result?),
        result = axum::serve(stats_listener, counters) => Ok(result?),
    }
}
