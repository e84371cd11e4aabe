//! Everything that speaks to Okta: the HTTP client for the Classic
//! Authentication API, the types of its answers, and a simulated Okta org that
//! behaves like the real one over real HTTP (used by `okta-radius demo` and the tests).
//!
//! Nothing in here knows about RADIUS.

pub mod authn;
pub mod budget;
mod call;
pub mod client;
pub mod credential;
pub mod error;
mod exchange;
mod http;
pub mod keepalive;
pub mod management;
pub mod oauth;
pub mod preflight;
pub mod sim;
pub mod transaction;
mod vocabulary;
