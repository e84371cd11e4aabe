//! Okta's wire vocabulary, shared by the bridge's Okta client and the
//! simulated org: the answers of the Classic Authentication API, of
//! Identity Engine's Direct Authentication and of the management calls the
//! bridge makes, System Log events, Okta's error codes and error body, the
//! rate-limit headers, OAuth and JOSE on the wire, and Okta's timestamps.
//!
//! Types only, and the small pure functions that read or write them: no
//! HTTP client, no server, nothing about RADIUS.

pub mod authn;
pub mod direct;
pub mod error;
pub mod jose;
pub mod oauth;
pub mod rate_limit;
pub mod system_log;
pub mod time;
pub mod users;
mod vocabulary;

pub use rate_limit::RateLimit;
