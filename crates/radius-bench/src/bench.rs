//! `okta-radius bench`: its options, and a run from the options to the
//! printed report. The options become a [`LoadSpec`] for the generator (UDP)
//! or the stream driver (RADIUS/TLS, RADIUS/TCP); the figures read outside
//! the generator (the server socket's kernel drops, the simulated Okta
//! org's call counters) are read before and after the load and added to the
//! report with the settings, printed as text or as JSON for `bench/run.sh`.

use super::generator::{self, LoadSpec};
use super::report::Report;
use super::stream_client::StreamTarget;
use super::{idle, mix, server_drops, stats, stream_load};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// How the load reaches the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Transport {
    /// RADIUS over UDP.
    Udp,
    /// RADIUS/TLS (RFC 6614), with a client certificate.
    Tls,
    /// RADIUS/TCP (RFC 6613).
    Tcp,
}

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
    /// Start this many units of work per second (open loop), as Poisson
    /// arrivals: independent users, not a metronome. Without it the
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
    /// UDP: send each retransmit to the next server of `--server` and
    /// these, in turn, as a NAS failing over between the replicas of a
    /// fleet does (repeat, or separate with commas).
    #[arg(long, value_name = "ADDR", value_delimiter = ',')]
    pub failover_to: Vec<SocketAddr>,
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
    /// How requests reach the server. Over TLS the shared secret is
    /// usually `radsec`.
    #[arg(long, value_enum, default_value = "udp")]
    pub transport: Transport,
    /// TLS: the CA certificate(s) that issued the server's certificate (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,
    /// TLS: the generator's certificate chain (PEM), as the server's client
    /// entry expects it.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// TLS: the key of `--tls-cert` (PEM).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// TLS: the name the server's certificate must carry (default: the
    /// server's IP address).
    #[arg(long)]
    pub tls_server_name: Option<String>,
    /// TLS and TCP: connections the window is spread over (default: one per
    /// 256 in flight).
    #[arg(long)]
    pub connections: Option<usize>,
    /// TLS: measure handshakes: each unit of work opens a connection,
    /// completes the handshake, has one Status-Server answered and closes;
    /// `--in-flight` of them at once.
    #[arg(long)]
    pub handshakes: bool,
    /// TLS and TCP: open this many connections, leave them idle, and report
    /// the server's resident memory per connection (needs `--server-pid`).
    #[arg(long, value_name = "N")]
    pub idle_connections: Option<usize>,
    /// The server's process id, to read its memory (a server on this machine).
    #[arg(long)]
    pub server_pid: Option<u32>,
}

/// Where a stream run connects, from the options.
fn stream_target(args: &BenchArgs) -> anyhow::Result<Option<StreamTarget>> {
    match args.transport {
        Transport::Udp => Ok(None),
        Transport::Tcp => Ok(Some(StreamTarget::tcp(args.server))),
        Transport::Tls => {
            let (Some(ca), Some(cert), Some(key)) = (&args.tls_ca, &args.tls_cert, &args.tls_key)
            else {
                anyhow::bail!("--transport tls needs --tls-ca, --tls-cert and --tls-key");
            };
            Ok(Some(StreamTarget::tls(
                args.server,
                ca,
                cert,
                key,
                args.tls_server_name.as_deref(),
            )?))
        }
    }
}

/// Runs `okta-radius bench` and prints the report.
pub async fn run(args: BenchArgs) -> anyhow::Result<()> {
    let mix = mix::parse(&args.mix).map_err(anyhow::Error::msg)?;
    let target = stream_target(&args)?;
    if let Some(count) = args.idle_connections {
        let (Some(target), Some(pid)) = (target, args.server_pid) else {
            anyhow::bail!("--idle-connections needs --transport tls or tcp, and --server-pid");
        };
        let report = idle::run(target, count, pid, args.secret.as_bytes()).await?;
        println!("{report}");
        return Ok(());
    }
    if target.is_some() && (args.rate.is_some() || args.retransmit_ms.is_some()) {
        anyhow::bail!(
            "over a stream the generator keeps --in-flight requests outstanding: --rate and --retransmit-ms are for UDP"
        );
    }
    if target.is_some() && !args.failover_to.is_empty() {
        anyhow::bail!("--failover-to is for UDP");
    }
    if args.handshakes && args.transport != Transport::Tls {
        anyhow::bail!("--handshakes needs --transport tls");
    }
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
        failover: args.failover_to.clone(),
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

    let connections = args
        .connections
        .unwrap_or_else(|| args.in_flight.div_ceil(256))
        .max(1);
    let mut report: Report = match target {
        None => generator::run(spec).await?,
        Some(target) if args.handshakes => stream_load::handshakes(spec, target).await?,
        Some(target) => stream_load::run(spec, target, connections).await?,
    };

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
            Some(rate) => format!("open loop, {rate}/s, Poisson arrivals"),
            None => format!("closed loop, {} in flight", args.in_flight),
        }
        .into(),
    );
    report.settings.insert(
        "transport",
        format!("{:?}", args.transport).to_lowercase().into(),
    );
    if args.transport == Transport::Udp {
        report.settings.insert("sockets", sockets.into());
    } else if args.handshakes {
        report.settings.insert("handshakes", true.into());
    } else {
        report.settings.insert("connections", connections.into());
    }
    if let Some(every) = args.retransmit_ms {
        report.settings.insert(
            "retransmit",
            format!("every {every} ms, {} times", args.retries).into(),
        );
    }
    if !args.failover_to.is_empty() {
        let servers: Vec<String> = args.failover_to.iter().map(ToString::to_string).collect();
        report
            .settings
            .insert("failover_to", servers.join(",").into());
    }
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", report.to_text());
    }
    Ok(())
}
