//! The OAuth side of the simulated org: API Services apps (client id, public
//! JWKs by `kid`, granted scopes, whether DPoP is required), the org
//! authorization server's token endpoint, and the check a management
//! endpoint makes on `Authorization: DPoP <token>` + `DPoP` proof.
//!
//! The bridge's OAuth client is tested against it
//! over real HTTP. It keeps, per app, what a test wants to assert: how many
//! token requests came, how many tokens were issued, which `kid`s signed.
//!
//! Its files, each depending only on the ones before it: how the server
//! behaves (`settings`), DPoP proofs and replay memory (`proofs`), the apps
//! and the server's state (`apps`), the token endpoint (`token_endpoint`),
//! the resource-server check (`resource`), and serving it all (`server`).
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use okta_sim::oauth::{self, SimOAuthSettings, SimServiceApp};
//! let server = oauth::start_for_tests(SimOAuthSettings::default()).await?;
//! # let public_jwk: okta_api::jose::jwk::PublicJwk = todo!();
//! server.apps().register(SimServiceApp {
//!     client_id: "0oa-radius".into(),
//!     keys: vec![public_jwk],
//!     scopes: vec!["okta.users.read".into()],
//!     require_dpop: true,
//! });
//! println!("token endpoint: {}", server.apps().token_url());
//! # Ok(()) }
//! ```

mod apps;
mod proofs;
mod resource;
mod server;
mod settings;
mod token_endpoint;

pub use apps::{SimAppRecord, SimOAuthApps, SimServiceApp};
pub use resource::{GrantedToken, Rejection};
pub use server::{SimOAuthServer, start_for_tests};
pub use settings::SimOAuthSettings;

pub(crate) use token_endpoint::token as client_credentials;
