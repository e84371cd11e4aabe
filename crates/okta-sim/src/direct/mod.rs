//! Identity Engine's Direct Authentication in the simulated org, for the
//! same users and factors as the authentication API: the token endpoint's
//! grants (`token`), `/challenge` (`challenge`), `/keys` (`keys`), for the
//! org authorization server and any custom one by id.
//!
//! Its files, each depending only on the ones before it: the signing keys
//! and their rotation (`signing_keys`), the open transactions (`flows`),
//! the apps and the test switches (`state`), client authentication
//! (`client_auth`), the answers and ID tokens (`answers`), then the
//! endpoints.

mod answers;
mod challenge;
mod client_auth;
mod flows;
mod keys;
mod signing_keys;
mod state;
mod token;

use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};

use crate::org::SimOrg;
pub use state::{SimDirect, SimIdTokenFault, SimOidcApp};

/// The token endpoints (every grant, the service apps' too).
pub(crate) fn token_routes() -> Router<Arc<SimOrg>> {
    Router::new()
        .route("/oauth2/v1/token", post(token::org_server))
        .route("/oauth2/{server}/v1/token", post(token::custom_server))
}

/// `/challenge` and `/keys`.
pub(crate) fn other_routes() -> Router<Arc<SimOrg>> {
    Router::new()
        .route("/oauth2/v1/challenge", post(challenge::org_server))
        .route(
            "/oauth2/{server}/v1/challenge",
            post(challenge::custom_server),
        )
        .route("/oauth2/v1/keys", get(keys::keys))
        .route("/oauth2/{server}/v1/keys", get(keys::keys))
}
