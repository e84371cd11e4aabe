//! A simulated Okta org: an HTTP server on loopback that answers the Classic
//! Authentication API (`/api/v1/authn`, factor verification, cancel, skip),
//! Identity Engine's Direct Authentication (the token endpoint's password,
//! `mfa-otp` and `mfa-oob` grants, `/challenge`, and `/keys` with RS256
//! signing keys a test can rotate) and the management calls the bridge makes (users, groups, factors, factor
//! verification) the way a real org does, so the bridge can be demonstrated
//! and tested end to end over real HTTP, without an Okta tenant.
//!
//! The org is assembled from one file per idea:
//!
//! - what it is told: the users (`users`, loaded from TOML by `directory`)
//!   and the rest of its setup (`config`);
//! - what it keeps while it runs: the live directory (`user_store`),
//!   transactions, pushes in flight, factor state (`factors`, with
//!   [`totp`]), API tokens and their 30-day life (`api_token`), the OAuth
//!   authorization server ([`oauth`], whose DPoP-bound tokens the management
//!   endpoints accept too), rate-limit buckets and the concurrency limit,
//!   injected faults, and the record of what it received (`records`);
//! - the state all of that makes together (`org`), and the answers it gives
//!   in Okta's shapes (`responses`, `states`);
//! - the endpoints: primary authentication (`authn`), its factor calls
//!   (`factor_verify`), Direct Authentication ([`direct`]), the management
//!   API (`management`, `user_factors`), the System Log (`logs`, over the
//!   events of `system_log`), and the layers around them
//!   (`middleware`);
//! - on top, starting an org (`server`) and its handle (`handle`).
//!
//! Dependencies run one way: from the endpoints to the state, from the
//! state to what it is made of, never back. This file only declares the
//! modules and re-exports the public API.
//!
//! Every answer carries `X-Okta-Request-Id` and
//! `Content-Type: application/json`; errors use Okta's error body.
//!
//! ```no_run
//! # async fn run() -> std::io::Result<()> {
//! use okta_sim::{self as sim, SimConfig, SimDirectory};
//! let directory = SimDirectory::from_toml_file("config/demo-users.toml")
//!     .map_err(std::io::Error::other)?;
//! let listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
//! let org = sim::start(SimConfig::new(directory.users, "demo-token"), listen).await?;
//! println!("org at {}", org.base_url());
//! # Ok(()) }
//! ```

mod api_token;
mod authn;
mod config;
pub mod direct;
mod directory;
mod factor_verify;
mod factors;
mod faults;
mod handle;
mod ids;
mod logs;
mod management;
mod middleware;
pub mod oauth;
mod org;
mod push;
mod rate_limit;
mod records;
mod responses;
mod server;
mod states;
mod system_log;
pub mod totp;
mod transactions;
mod user_factors;
mod user_store;
mod users;

pub use config::{FactorListSpelling, SimConfig};
pub use directory::{SimDirectory, SimDirectoryError};
pub use faults::{SimFaultMode, SimFaults, SimRateLimited};
pub use handle::{SimDirectHandle, SimHandle};
pub use records::{SimRecords, SimRequest};
pub use server::start;
pub use users::{SimFactor, SimPushResponse, SimUser, SimUserStatus};
