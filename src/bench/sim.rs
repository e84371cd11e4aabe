//! `okta-radius sim`: the simulated Okta org as a standalone process, so a
//! benchmark can point okta-radius and FreeRADIUS (rlm_rest) at the same org
//! over HTTP. It serves the benchmark population ([`super::users`]) plus
//! any users from a file, with configurable added latency, push delay and
//! rate limits, and publishes the org's call counters as JSON on a separate
//! `/stats` address so the benchmark can compute Okta calls per login.

use super::shards::{self, ShardRouter};
use super::users::{self, Flow};
use crate::okta::sim::{self, SimConfig, SimDirectory, SimHandle};
use serde_json::json;
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
    /// Run this many orgs behind one address (each keeps at most 10,000
    /// open transactions); users are spread by login.
    #[arg(long, default_value_t = 1)]
    pub shards: usize,
}

/// Runs the org(s) until interrupted.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let mut population = users::population(
        args.users_per_flow,
        Duration::from_millis(args.push_delay_ms),
    );
    if let Some(path) = &args.users {
        population.extend(SimDirectory::from_toml_file(path)?.users);
    }
    let shards = args.shards.max(1);
    let mut orgs: Vec<SimHandle> = Vec::with_capacity(shards);
    for shard in 0..shards {
        let mut config = SimConfig::new(population.clone(), args.api_token.clone());
        config.authn_rate_limit = args.authn_rate_limit.div_ceil(shards as u32);
        config.api_rate_limit = args.api_rate_limit.div_ceil(shards as u32);
        // Benchmark users never fail on purpose; keep lockouts out of the way.
        config.max_failed_attempts = 0;
        config.max_factor_attempts = 0;
        let listen = if shards == 1 {
            args.listen
        } else {
            SocketAddr::new(args.listen.ip(), 0)
        };
        let org = sim::start(config, listen).await?;
        org.faults()
            .set_latency(Duration::from_millis(args.latency_ms));
        tracing::debug!(shard, url = %org.base_url(), "simulated org shard started");
        orgs.push(org);
    }
    let orgs = Arc::new(orgs);

    let mut servers = tokio::task::JoinSet::new();
    if shards > 1 {
        let listener = tokio::net::TcpListener::bind(args.listen).await?;
        let public = format!("http://{}", listener.local_addr()?);
        let router = ShardRouter::new(orgs.iter().map(SimHandle::base_url).collect(), public)?;
        let app = shards::app(Arc::new(router));
        servers.spawn(async move { axum::serve(listener, app).await });
    }
    let stats_listener = tokio::net::TcpListener::bind(args.stats_listen).await?;
    let stats_orgs = orgs.clone();
    let per_flow = args.users_per_flow;
    let stats = axum::Router::new().route(
        "/stats",
        axum::routing::get(move || {
            let orgs = stats_orgs.clone();
            async move { axum::Json(counters(&orgs, per_flow)) }
        }),
    );
    servers.spawn(async move { axum::serve(stats_listener, stats).await });
    println!(
        "simulated Okta org at http://{} ({} shard{}), stats at http://{}/stats, {} users per flow",
        args.listen,
        shards,
        if shards == 1 { "" } else { "s" },
        args.stats_listen,
        per_flow
    );

    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        Some(result) = servers.join_next() => {
            result??;
        }
    }
    Ok(())
}

/// The org's call counters: every call, and per flow the calls its
/// benchmark users caused.
fn counters(orgs: &[SimHandle], per_flow: u32) -> serde_json::Value {
    let mut total = 0;
    let mut flows = serde_json::Map::new();
    for org in orgs {
        total += org.records().total_calls();
    }
    for flow in Flow::ALL {
        let (mut authn, mut verifies, mut pushes) = (0, 0, 0);
        for index in 0..per_flow {
            let login = users::login(flow, index);
            for org in orgs {
                let records = org.records();
                authn += records.authn_calls(&login);
                verifies += records.factor_verifies(&login);
                pushes += records.pushes_sent(&login);
            }
        }
        flows.insert(
            flow.name().to_owned(),
            json!({"authn_calls": authn, "factor_verifies": verifies, "pushes_sent": pushes}),
        );
    }
    json!({"total_calls": total, "flows": flows})
}
