//! The bridge's Okta client: one pooled HTTP client per org that makes
//! every call the login conversation needs (primary authentication, the
//! transaction's factor steps, management calls), through one exchange that
//! applies the rate-limit budget, the credentials (API token, or an OAuth
//! service app with DPoP) and the deadline of the request it serves. It also
//! keeps the API token alive and checks the org before going live.
//!
//! It speaks Okta's vocabulary ([`okta_api`]) and nothing else: it knows no
//! RADIUS, no config file and no login conversation.

pub mod budget;
mod call;
pub mod client;
mod credential;
pub mod error;
mod exchange;
pub mod keepalive;
pub mod management;
pub mod metrics;
pub mod oauth;
mod org;
pub mod preflight;
mod settings;
pub mod transaction;
