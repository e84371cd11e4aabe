//! okta-radius: a RADIUS authentication server that asks Okta whether a user may log in.
//!
//! The crate is split the way a request flows through it (see `README.md`):
//! - [`radius`]: the wire protocol, pure functions on bytes (no sockets, no Okta);
//! - [`server`]: UDP sockets, the client table, the duplicate cache and the limits;
//! - [`auth`]: the login conversation, the only place where RADIUS and Okta meet;
//! - [`okta`]: the Okta client and the simulated Okta org used by the demo and the tests;
//! - [`config`]: one typed, validated configuration;
//! - [`bench`]: the load generator and the standalone simulated org (not on the server's path).

pub mod auth;
pub mod config;
pub mod demo;
pub mod live;
pub mod server;
pub mod service;
pub mod telemetry;
