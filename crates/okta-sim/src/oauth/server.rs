//! Serving the org authorization server: its routes, which the simulated
//! org merges into its own, and a stand-alone OAuth org for tests of the
//! OAuth client alone.

use std::net::SocketAddr;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;
use tokio::task::JoinHandle;

use super::apps::SimOAuthApps;
use super::settings::SimOAuthSettings;
use super::token_endpoint;
use okta_api::oauth::TOKEN_PATH;

/// The routes of the org authorization server: `POST /oauth2/v1/token`.
/// They answer OAuth errors themselves and need no SSWS token. They carry
/// their own state, so they merge into a router of any state type.
pub(crate) fn routes<S>(apps: SimOAuthApps) -> Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    Router::new()
        .route(TOKEN_PATH, post(token_endpoint::token))
        .with_state(apps)
}

/// A stand-alone OAuth org for tests: the token endpoint plus
/// `GET /api/v1/users/me` guarded by [`SimOAuthApps::check_resource_request`]
/// (it needs `okta.users.read` and answers `{"client_id","scopes"}`).
pub struct SimOAuthServer {
    pub addr: SocketAddr,
    apps: SimOAuthApps,
    task: JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for SimOAuthServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimOAuthServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl SimOAuthServer {
    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn apps(&self) -> &SimOAuthApps {
        &self.apps
    }
}

impl Drop for SimOAuthServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts a [`SimOAuthServer`] on a free loopback port.
pub async fn start_for_tests(settings: SimOAuthSettings) -> std::io::Result<SimOAuthServer> {
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
    let addr = listener.local_addr()?;
    let apps = SimOAuthApps::new(&format!("http://{addr}"), settings);
    let router = routes(apps.clone()).merge(
        Router::new()
            .route("/api/v1/users/me", get(protected_users_me))
            .with_state(apps.clone()),
    );
    let task = tokio::spawn(async move { axum::serve(listener, router).await });
    Ok(SimOAuthServer { addr, apps, task })
}

/// A management endpoint as the sim's would guard it.
async fn protected_users_me(State(apps): State<SimOAuthApps>, request: Request) -> Response {
    match apps.check_resource_request(request.method(), request.uri(), request.headers()) {
        Ok(granted) if granted.has_scope("okta.users.read") => (
            StatusCode::OK,
            axum::Json(json!({"client_id": granted.client_id, "scopes": granted.scopes})),
        )
            .into_response(),
        Ok(_) => (
            StatusCode::FORBIDDEN,
            axum::Json(json!({
                "errorCode": okta_api::error::codes::FORBIDDEN,
                "errorSummary": "You do not have permission to perform the requested action",
            })),
        )
            .into_response(),
        Err(rejection) => rejection.into_response(),
    }
}
