//! Starting a simulated org: the listener, the shared state, and the router
//! that puts every endpoint behind its rate-limit bucket and every request
//! through the org's middleware ([`super::middleware`]), in the order a real
//! org applies them.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::http::{StatusCode, Uri};
use axum::middleware::from_fn_with_state;
use axum::response::Response;
use axum::routing::{get, post};
use tokio::sync::watch;

use super::config::SimConfig;
use super::direct;
use super::directory::SimDirectory;
use super::handle::SimHandle;
use super::middleware::{
    charge_bucket, inject_faults, limit_concurrency, record, require_token, stamp,
};
use super::org::SimOrg;
use super::rate_limit::Bucket;
use super::{authn, factor_verify, logs, management, responses, user_factors};
use okta_api::error::codes;

/// Starts a simulated org listening on `listen` (`127.0.0.1:0` picks a port).
pub async fn start(config: SimConfig, listen: SocketAddr) -> std::io::Result<SimHandle> {
    SimDirectory {
        users: config.users.clone(),
    }
    .validate()
    .map_err(|error| std::io::Error::new(std::io::ErrorKind::InvalidInput, error))?;

    let listener = tokio::net::TcpListener::bind(listen).await?;
    let addr = listener.local_addr()?;
    let (stop, shutdown) = watch::channel(false);
    let org = Arc::new(SimOrg::new(config, addr, shutdown.clone()));

    let router = routes(&org);
    let mut server_shutdown = shutdown;
    let task = tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = server_shutdown.wait_for(|stop| *stop).await;
            })
            .await
    });
    Ok(SimHandle::new(addr, org, stop, task))
}

/// Every endpoint behind its bucket, and every request through the
/// middleware (the last layer added is the outermost).
fn routes(org: &Arc<SimOrg>) -> Router {
    let authn = Router::new()
        .route("/api/v1/authn", post(authn::primary_authn))
        .route(
            "/api/v1/authn/factors/{factor_id}/verify",
            post(factor_verify::verify),
        )
        .route(
            "/api/v1/authn/factors/{factor_id}/verify/resend",
            post(factor_verify::resend),
        )
        .route("/api/v1/authn/cancel", post(factor_verify::cancel))
        .route("/api/v1/authn/skip", post(factor_verify::skip))
        .route_layer(from_fn_with_state(
            (org.clone(), Bucket::Authn),
            charge_bucket,
        ));
    let management = Router::new()
        .route("/api/v1/users/me", get(management::users_me))
        .route("/api/v1/logs", get(logs::logs))
        .route("/api/v1/users", get(management::search))
        .route("/api/v1/users/{user}/groups", get(management::groups))
        .route("/api/v1/users/{user}/factors", get(management::factors))
        .route(
            "/api/v1/users/{user}/factors/{factor}/verify",
            post(user_factors::verify),
        )
        .route(
            "/api/v1/users/{user}/factors/{factor}/transactions/{transaction}",
            get(user_factors::poll).delete(user_factors::cancel),
        )
        .route_layer(from_fn_with_state(
            (org.clone(), Bucket::Api),
            charge_bucket,
        ));
    let user_by_id = Router::new()
        .route("/api/v1/users/{user}", get(management::user))
        .route_layer(from_fn_with_state(
            (org.clone(), Bucket::UserById),
            charge_bucket,
        ));
    let token_endpoint = direct::token_routes()
        .merge(direct::other_routes())
        .route_layer(from_fn_with_state(
            (org.clone(), Bucket::Token),
            charge_bucket,
        ));
    Router::new()
        .merge(authn)
        .merge(management)
        .merge(user_by_id)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(from_fn_with_state(org.clone(), require_token))
        // The authorization servers' endpoints need no API token.
        .merge(token_endpoint)
        .layer(from_fn_with_state(org.clone(), inject_faults))
        .layer(from_fn_with_state(org.clone(), limit_concurrency))
        .layer(from_fn_with_state(org.clone(), record))
        .layer(from_fn_with_state(org.clone(), stamp))
        .with_state(org.clone())
}

async fn not_found(uri: Uri) -> Response {
    responses::not_found(uri.path(), "Endpoint")
}

async fn method_not_allowed() -> Response {
    responses::okta_error(
        StatusCode::METHOD_NOT_ALLOWED,
        codes::METHOD_NOT_ALLOWED,
        "The endpoint does not support the provided HTTP method",
    )
}
