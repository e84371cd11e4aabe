//! okta-radius: a RADIUS authentication server that asks Okta whether a user
//! may log in. The product's own code; the protocol, Okta's vocabulary, the
//! Okta client, the simulated org and the bench are crates of the workspace
//! (see `ARCHITECTURE.md`).
//!
//! - [`accounting`]: accounting records and the file that stores them;
//! - [`config`]: one typed, validated configuration;
//! - `server`: the UDP transport, admission, duplicates, limits, replies;
//! - [`auth`]: the login conversation, the only place where RADIUS and Okta meet;
//! - `cluster`: what the replicas of a fleet share through Redis;
//! - [`service`]: assembling a running server from a config, signals, reload;
//! - [`telemetry`]: logs (one audit line per decision) and metrics;
//! - [`disconnect`]: following Okta's System Log to end sessions (RFC 5176);
//! - `eap`: 802.1X logins, EAP-TTLS with PAP inside, decided by `auth`;
//! - [`demo`]: the server on the embedded simulated org.

pub mod accounting;
pub mod auth;
mod cluster;
pub mod config;
pub mod demo;
pub mod disconnect;
mod eap;
mod expiry;
#[doc(hidden)]
pub use eap::fuzzing as eap_fuzzing;
mod live;
mod server;
pub mod service;
pub mod telemetry;
