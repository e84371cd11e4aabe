//! `okta-radius bench`: its options, and a run from the options to the
//! printed report. The options become a [`LoadSpec`] for the generator; the
//! figures read outside the generator (the server socket's kernel drops, the
//! simulated org's call counters) are read before and after the load and
//! added to the report with the settings, printed as text or as JSON for
//! `bench/run.sh`.

use super::generator::{self, LoadSpec};
use super::report::Report;
use super::{mix, server_drops, stats};
use std::net::SocketAddr;
use std::time::Duration;

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

/// Runs `okta-radius bench` and prints the report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mix = mix::parse(&args.mix).map_err(anyhow::Error::msg)?;
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
        Some(url) => Some(stats::fetch(url).await?),
        None => None,
    };
    let drops_before = args
        .server_drops
        .then(|| server_drops::udp_drops(args.server.port()))
        .flatten();

    let mut report: Report = generator::run(spec).await?;

    if let Some(before) = drops_before
        && let Some(after) = server_drops::udp_drops(args.server.port())
    {
        report.server_socket_drops = Some(after.saturating_sub(before));
    }
    if let (Some(url), Some(before)) = (&args.okta_stats, okta_before) {
        let after = stats::fetch(url).await?;
        report.okta = Some(stats::delta(&before, &after, report.completed));
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
