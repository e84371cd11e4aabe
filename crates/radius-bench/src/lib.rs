//! `okta-radius bench` and `okta-radius sim`: the tools that measure how fast
//! okta-radius is, next to other RADIUS servers, against a simulated Okta
//! org. Nothing on the server's own path uses this module.
//!
//! - [`generator`]: the load generator's sockets and timing;
//! - [`flows`]: what is sent for each kind of work and what replies mean;
//! - [`users`]: the benchmark population both sides agree on;
//! - [`report`]: percentiles and output (text or JSON);
//! - [`sim`]: the simulated org as a standalone process.
//!
//! `bench/run.sh` drives both against okta-radius and FreeRADIUS; the
//! results are in `BENCHMARKS.md`.

pub mod flows;
pub mod generator;
pub mod report;
pub mod sim;
pub mod users;

pub use sim::SimArgs;

use generator::{LoadSpec, WorkKind};
use report::Report;
use std::net::SocketAddr;
use std::time::Duration;
use users::Flow;

/// Options of `okta-radius bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    /// The RADIUS server to load.
    #[arg(long, default_value = "127.0.0.1:1812")]
    pub server: SocketAddr,
    /// The shared secret (prefer the environment variable: it stays out of
    /// the process list).
    #[arg(long, env = "OKTA_RADIUS_BENCH_SECRET", hide_env_values = true)]
    pub secret: String,
    /// What to send, with weights: `status`, or logins `password`, `push`,
    /// `totp`, e.g. `password:8,push:1,totp:1`.
    #[arg(long, default_value = "status")]
    pub mix: String,
    /// Start this many units of work per second (open loop). Without it the
    /// generator keeps `--in-flight` units outstanding (closed loop).
    #[arg(long)]
    pub rate: Option<f64>,
    /// Units of work kept outstanding in closed loop.
    #[arg(long, default_value_t = 64)]
    pub in_flight: usize,
    /// Stop starting work after this many seconds.
    #[arg(long)]
    pub duration: Option<f64>,
    /// Stop starting work after this many units.
    #[arg(long)]
    pub count: Option<u64>,
    /// UDP sockets (source ports); default: enough that each keeps at most
    /// 200 requests outstanding (closed loop: the window; open loop: what
    /// starts within one timeout), at least 4.
    #[arg(long)]
    pub sockets: Option<usize>,
    /// How long one request waits for its reply, retransmits included (ms).
    #[arg(long, default_value_t = 5000)]
    pub timeout_ms: u64,
    /// Resend an unanswered request after this many ms, like a NAS.
    #[arg(long)]
    pub retransmit_ms: Option<u64>,
    /// Resends per request at most (with `--retransmit-ms`).
    #[arg(long, default_value_t = 3)]
    pub retries: u32,
    /// Distinct users per flow, used round robin (must not exceed the
    /// sim's `--users-per-flow`).
    #[arg(long, default_value_t = 1000)]
    pub users: u32,
    /// The benchmark sim's `/stats` URL: report the Okta calls the run caused.
    #[arg(long, value_name = "URL")]
    pub okta_stats: Option<String>,
    /// Report kernel receive drops on the server's UDP port (Linux, server
    /// on this machine).
    #[arg(long)]
    pub server_drops: bool,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Parses `--mix`.
pub fn parse_mix(text: &str) -> Result<Vec<(WorkKind, u32)>, String> {
    let mut mix = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, weight) = match part.split_once(':') {
            Some((name, weight)) => {
                let weight = weight
                    .trim()
                    .parse::<u32>()
                    .map_err(|_| format!("`{part}`: the weight is not a whole number"))?;
                (name.trim(), weight)
            }
            None => (part, 1),
        };
        let kind = match name {
            "status" => WorkKind::Status,
            "password" => WorkKind::Login(Flow::Password),
            "push" => WorkKind::Login(Flow::Push),
            "totp" => WorkKind::Login(Flow::Totp),
            other => {
                return Err(format!(
                    "unknown kind of work `{other}` (status, password, push, totp)"
                ));
            }
        };
        mix.push((kind, weight.min(1000)));
    }
    if mix.iter().all(|(_, weight)| *weight == 0) {
        return Err("the mix is empty".to_owned());
    }
    Ok(mix)
}

/// Runs `okta-radius bench` and prints the report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mix = parse_mix(&args.mix).map_err(anyhow::Error::msg)?;
    // Open loop: as many requests are outstanding as start within one
    // timeout (at most the count); closed loop: the window.
    let outstanding = match args.rate {
        Some(rate) => {
            let within_timeout = (rate * args.timeout_ms as f64 / 1000.0).ceil() as u64;
            args.count
                .map_or(within_timeout, |count| within_timeout.min(count)) as usize
        }
        None => args.in_flight,
    };
    let sockets = args
        .sockets
        .unwrap_or_else(|| outstanding.div_ceil(200).clamp(4, 1024));
    let spec = LoadSpec {
        server: args.server,
        secret: args.secret.as_bytes().to_vec(),
        rate: args.rate,
        in_flight: args.in_flight,
        duration: args.duration.map(Duration::from_secs_f64),
        count: args.count,
        sockets,
        timeout: Duration::from_millis(args.timeout_ms),
        retransmit: args.retransmit_ms.map(Duration::from_millis),
        retries: args.retries,
        mix,
        users: args.users,
    };
    if spec.duration.is_none() && spec.count.is_none() {
        anyhow::bail!("say when to stop: --duration SECONDS or --count N");
    }
    let okta_before = match &args.okta_stats {
        Some(url) => Some(fetch_stats(url).await?),
        None => None,
    };
    let drops_before = args
        .server_drops
        .then(|| udp_drops(args.server.port()))
        .flatten();

    let mut report: Report = generator::run(spec).await?;

    if let Some(before) = drops_before
        && let Some(after) = udp_drops(args.server.port())
    {
        report.server_socket_drops = Some(after.saturating_sub(before));
    }
    if let (Some(url), Some(before)) = (&args.okta_stats, okta_before) {
        let after = fetch_stats(url).await?;
        report.okta = Some(stats_delta(&before, &after, report.completed));
    }
    report
        .settings
        .insert("server", args.server.to_string().into());
    report.settings.insert("mix", args.mix.clone().into());
    report.settings.insert(
        "mode",
        match args.rate {
            Some(rate) => format!("open loop, {rate}/s"),
            None => format!("closed loop, {} in flight", args.in_flight),
        }
        .into(),
    );
    report.settings.insert("sockets", sockets.into());
    if let Some(every) = args.retransmit_ms {
        report.settings.insert(
            "retransmit",
            format!("every {every} ms, {} times", args.retries).into(),
        );
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}

async fn fetch_stats(url: &str) -> anyhow::Result<serde_json::Value> {
    Ok(reqwest::get(url).await?.error_for_status()?.json().await?)
}

/// The calls made between two `/stats` readings, and per completed unit.
fn stats_delta(
    before: &serde_json::Value,
    after: &serde_json::Value,
    completed: u64,
) -> serde_json::Value {
    let number = |value: &serde_json::Value, path: &[&str]| -> i64 {
        path.iter()
            .try_fold(value, |v, key| v.get(key))
            .and_then(serde_json::Value::as_i64)
            .unwrap_or(0)
    };
    let total = number(after, &["total_calls"]) - number(before, &["total_calls"]);
    let mut flows = serde_json::Map::new();
    for flow in Flow::ALL {
        let mut counters = serde_json::Map::new();
        for key in ["authn_calls", "factor_verifies", "pushes_sent"] {
            let path = ["flows", flow.name(), key];
            counters.insert(
                key.to_owned(),
                (number(after, &path) - number(before, &path)).into(),
            );
        }
        flows.insert(flow.name().to_owned(), counters.into());
    }
    let per_unit = if completed > 0 {
        total as f64 / completed as f64
    } else {
        0.0
    };
    serde_json::json!({
        "total_calls": total,
        "calls_per_completed": per_unit,
        "flows": flows,
    })
}

/// Kernel receive drops of the UDP sockets bound to `port` on this machine,
/// summed over IPv4 and IPv6 (the last column of /proc/net/udp).
pub fn udp_drops(port: u16) -> Option<u64> {
    let wanted = format!(":{port:04X}");
    let mut total = None;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(1).is_some_and(|local| local.ends_with(&wanted))
                && let Some(drops) = fields.last().and_then(|d| d.parse::<u64>().ok())
            {
                total = Some(total.unwrap_or(0) + drops);
            }
        }
    }
    total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_mix_parses_with_and_without_weights() {
        assert_eq!(
            parse_mix("password:8, push:1,totp"),
            Ok(vec![
                (WorkKind::Login(Flow::Password), 8),
                (WorkKind::Login(Flow::Push), 1),
                (WorkKind::Login(Flow::Totp), 1),
            ])
        );
        assert!(parse_mix("chap").is_err());
        assert!(parse_mix("status:0").is_err());
    }
}
