//! `okta-radius sim`: the simulated Okta org as a standalone process, so a
//! benchmark can point okta-radius and FreeRADIUS (rlm_rest) at the same org
//! over HTTP. It serves the benchmark population ([`super::users`]) plus
//! any users from a file, with configurable added latency, push delay and
//! rate limits, and publishes the org's call counters as JSON on a separate
//! `/stats` address (see `stats`) so the benchmark can compute Okta
//! calls per login.

use super::{stats, users};
use okta_sim::{self as sim, SimConfig, SimDirectory};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Options of `okta-radius sim`.
#[derive(Debug, Clone, clap::Args)]
pub struct SimArgs {
    /// Where the org's API listens.
    #[arg(long, default_value = "127.0.0.1:18080")]
    pub listen: SocketAddr,
    /// Where `GET /stats` (the org's call counters, JSON) listens.
    #[arg(long, default_value = "127.0.0.1:18081")]
    pub stats_listen: SocketAddr,
    /// Extra users (TOML, the format of config/demo-users.toml).
    #[arg(long, value_name = "FILE")]
    pub users: Option<PathBuf>,
    /// Benchmark users per flow (password, push, totp); see `okta-radius bench`.
    #[arg(long, default_value_t = 1000)]
    pub users_per_flow: u32,
    /// Delay added before every answer, in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// How long after a push is sent the phone approves it.
    #[arg(long, default_value_t = 2000)]
    pub push_delay_ms: u64,
    /// Calls per minute on `/api/v1/authn` (Okta's own limits are 100 to 600).
    #[arg(long, default_value_t = 600)]
    pub authn_rate_limit: u32,
    /// Calls per minute on the rest of `/api/v1`.
    #[arg(long, default_value_t = 1200)]
    pub api_rate_limit: u32,
    /// The API token the org accepts (`Authorization: SSWS <token>`).
    #[arg(long, env = "OKTA_RADIUS_SIM_TOKEN", default_value = "bench-api-token")]
    pub api_token: String,
    /// Open transactions, and pushes in flight, the org keeps at most (the
    /// oldest give way first); raise it to hold more logins at once.
    #[arg(long, default_value_t = 10_000)]
    pub capacity: usize,
    /// Instead of the simulated org, a static stand-in that answers every
    /// /api/v1/authn with one fixed SUCCESS as fast as it can (any user,
    /// any password), so a benchmark measures the RADIUS server's own cost.
    #[arg(long = "static")]
    pub fixed: bool,
}

/// Runs the org(s) until interrupted.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    if args.fixed {
        return super::fixed_org::run(args.listen, args.stats_listen).await;
    }
    let mut population = users::population(
        args.users_per_flow,
        Duration::from_millis(args.push_delay_ms),
    );
    if let Some(path) = &args.users {
        population.extend(SimDirectory::from_toml_file(path)?.users);
    }
    let mut config = SimConfig::new(population, args.api_token.clone());
    config.authn_rate_limit = args.authn_rate_limit;
    config.api_rate_limit = args.api_rate_limit;
    config.capacity = args.capacity;
    // Benchmark users never fail on purpose; keep lockouts out of the way.
    config.max_failed_attempts = 0;
    config.max_factor_attempts = 0;
    let org = Arc::new(sim::start(config, args.listen).await?);
    org.faults()
        .set_latency(Duration::from_millis(args.latency_ms));

    let mut servers = tokio::task::JoinSet::new();
    let stats_listener = tokio::net::TcpListener::bind(args.stats_listen).await?;
    let stats_org = org.clone();
    let per_flow = args.users_per_flow;
    let stats = axum::Router::new().route(
        "/stats",
        axum::routing::get(move || {
            let org = stats_org.clone();
            async move { axum::Json(stats::counters(&org, per_flow)) }
        }),
    );
    servers.spawn(async move { axum::serve(stats_listener, stats).await });
    println!(
        "simulated Okta org at http://{}, stats at http://{}/stats, {} users per flow",
        args.listen, args.stats_listen, per_flow
    );

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(result) = servers.join_next() => {
            result??;
        }
    }
    Ok(())
}
