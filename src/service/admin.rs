//! The administrator's commands on a running server, served on the metrics
//! listener to this host only: what the per-user limits hold for a login,
//! and clearing them, so that a user locked out by wrong passwords or push
//! cooldowns gets in again without a restart (`okta-radius admin throttle`).
//!
//! - `GET /admin/users/{login}/limits`: the limits as JSON;
//! - `DELETE /admin/users/{login}/limits`: clears them, answers what they held.
//!
//! A request from any address but loopback is refused with 403, so a
//! metrics listener open to Prometheus does not open these to the network.

use crate::server::ServerHandle;
use axum::Router;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use std::net::SocketAddr;

/// The admin routes, acting on the running server behind `handle`.
pub fn routes(handle: ServerHandle) -> Router {
    Router::new()
        .route("/admin/users/{login}/limits", get(show).delete(clear))
        .with_state(handle)
}

async fn show(
    State(handle): State<ServerHandle>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(login): Path<String>,
) -> Response {
    if let Some(refused) = refuse_remote(peer) {
        return refused;
    }
    axum::Json(handle.authenticator().user_limits(&login).await).into_response()
}

async fn clear(
    State(handle): State<ServerHandle>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(login): Path<String>,
) -> Response {
    if let Some(refused) = refuse_remote(peer) {
        return refused;
    }
    axum::Json(handle.authenticator().clear_user_limits(&login).await).into_response()
}

fn refuse_remote(peer: SocketAddr) -> Option<Response> {
    (!peer.ip().is_loopback()).then(|| {
        (
            StatusCode::FORBIDDEN,
            "admin requests are taken from this host only\n",
        )
            .into_response()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_this_host_may_ask() {
        assert!(refuse_remote("127.0.0.1:40000".parse().expect("addr")).is_none());
        assert!(refuse_remote("[::1]:40000".parse().expect("addr")).is_none());
        assert!(refuse_remote("192.0.2.7:40000".parse().expect("addr")).is_some());
    }
}
