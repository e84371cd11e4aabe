//! `okta-radius bench` and `okta-radius sim`: the tools that measure how fast
//! okta-radius is, next to other RADIUS servers, against a simulated Okta
//! org. Nothing on the server's own path uses this crate.
//!
//! Its files, each depending only on the ones listed before it:
//!
//! - [`users`]: the benchmark population both sides agree on;
//! - `report`: percentiles and output (text or JSON);
//! - `mix`: the kinds of work to start, and their weights;
//! - `flows`: what is sent for each kind of work and what replies mean;
//! - `generator`: the load generator's sockets and timing;
//! - `stream_client`: reaching a server over RADIUS/TLS or RADIUS/TCP;
//! - `stream_load`: the load over those connections, and `--handshakes`;
//! - `idle`: what idle connections cost the server (`--idle-connections`);
//! - `stats`: the simulated org's call counters, published and read;
//! - `server_drops`: the kernel's drops on the server's socket;
//! - `fixed_org`: a static Okta stand-in (`sim --static`);
//! - [`sim`]: the simulated org as a standalone process;
//! - `bench`: `okta-radius bench`, from its options to the printed report.
//!
//! `bench/run.sh` drives both against okta-radius and FreeRADIUS; the
//! results are in `BENCHMARKS.md`.

mod bench;
mod fixed_org;
mod flows;
mod generator;
mod idle;
mod mix;
mod pacer;
mod report;
mod server_drops;
pub mod sim;
mod stats;
mod stream_client;
mod stream_load;
pub mod users;

pub use bench::{BenchArgs, run};
pub use sim::SimArgs;
