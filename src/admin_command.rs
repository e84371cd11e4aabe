//! `okta-radius admin throttle show|clear LOGIN`: the command line's side
//! of the admin routes a running server serves on its metrics listener
//! (`service::admin`). It prints what the per-user limits hold (in a fleet,
//! the fleet's failed-password counts, per source), or clears them, so
//! that a locked-out user gets in again without a restart.

use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

/// Which server to ask, and what.
#[derive(Args)]
pub struct ThrottleArgs {
    #[command(subcommand)]
    action: ThrottleAction,
    /// The server's metrics listener (metrics.listen); from this host only.
    #[arg(
        long,
        value_name = "ADDR",
        default_value = "127.0.0.1:9812",
        global = true
    )]
    metrics: SocketAddr,
    /// Read the metrics listener from this config instead of --metrics.
    #[arg(long, short, value_name = "FILE", global = true)]
    config: Option<PathBuf>,
}

#[derive(Subcommand)]
enum ThrottleAction {
    /// Show the login's failed-password counts (per source; in a fleet, the fleet's), pending push and push cooldown.
    Show {
        /// The login as the user types it at the NAS.
        login: String,
    },
    /// Clear them: the next login is sent to Okta and may push at once.
    Clear {
        /// The login as the user types it at the NAS.
        login: String,
    },
}

/// `login` as one URL path segment: every byte but the unreserved ones
/// percent-encoded (`DOMAIN\\user`, spaces and `/` included).
fn path_segment(login: &str) -> String {
    let mut out = String::with_capacity(login.len());
    for byte in login.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~@".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Runs the command; prints the server's answer.
pub fn run(args: ThrottleArgs) -> ExitCode {
    let metrics = match &args.config {
        Some(path) => match okta_radius::config::Config::load(path) {
            Ok(config) => match config.metrics_listen {
                // A listener on every address is reached on loopback.
                Some(addr) if addr.ip().is_unspecified() => {
                    SocketAddr::new(std::net::Ipv4Addr::LOCALHOST.into(), addr.port())
                }
                Some(addr) => addr,
                None => {
                    eprintln!(
                        "okta-radius admin: {} has no metrics.listen: the admin commands use the metrics listener",
                        path.display()
                    );
                    return ExitCode::FAILURE;
                }
            },
            Err(errors) => {
                eprintln!("okta-radius admin: {}: {errors}", path.display());
                return ExitCode::FAILURE;
            }
        },
        None => args.metrics,
    };
    let (method, login) = match &args.action {
        ThrottleAction::Show { login } => (reqwest::Method::GET, login),
        ThrottleAction::Clear { login } => (reqwest::Method::DELETE, login),
    };
    let url = format!(
        "http://{metrics}/admin/users/{}/limits",
        path_segment(login)
    );
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("okta-radius admin: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    let answer = runtime.block_on(async {
        let response = reqwest::Client::new()
            .request(method, &url)
            .timeout(std::time::Duration::from_secs(5))
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        Ok::<_, reqwest::Error>((status, body))
    });
    let (status, body) = match answer {
        Ok(answer) => answer,
        Err(error) => {
            eprintln!(
                "okta-radius admin: no answer from {metrics}: {error} (is the server running, with metrics.listen there?)"
            );
            return ExitCode::FAILURE;
        }
    };
    if !status.is_success() {
        eprintln!(
            "okta-radius admin: the server answered {status}: {}",
            body.trim()
        );
        return ExitCode::FAILURE;
    }
    let Ok(limits) = serde_json::from_str::<serde_json::Value>(&body) else {
        eprintln!(
            "okta-radius admin: the server's answer is not JSON: {}",
            body.trim()
        );
        return ExitCode::FAILURE;
    };
    let field = |name: &str| limits[name].clone();
    let cleared = matches!(args.action, ThrottleAction::Clear { .. });
    println!(
        "{}: {} failed logins in the window{}, push pending: {}, pushes in the last minute: {}, push cooldown: {} s",
        field("login").as_str().unwrap_or(login),
        field("failed_logins"),
        if field("throttled") == serde_json::Value::Bool(true) {
            " (throttled)"
        } else {
            ""
        },
        if field("push_pending") == serde_json::Value::Bool(true) {
            "yes"
        } else {
            "no"
        },
        field("pushes_last_minute"),
        field("push_cooldown_seconds"),
    );
    if let Some(sources) = field("sources").as_array() {
        for source in sources {
            let name = source["source"].as_str().unwrap_or("");
            let name = if name.is_empty() {
                "no Calling-Station-Id".to_owned()
            } else {
                format!("from {name}")
            };
            let any_user = match source["source_failed_logins"].as_u64() {
                Some(count) if count > 0 => format!("; {count} from there for any user"),
                _ => String::new(),
            };
            println!(
                "  {name}: {} failed logins{}{any_user}",
                source["failed_logins"],
                if source["throttled"] == serde_json::Value::Bool(true) {
                    " (throttled)"
                } else {
                    ""
                },
            );
        }
    }
    match field("counted_by").as_str() {
        Some("fleet") => println!("counted by the whole fleet (Redis)"),
        Some("server") => println!("counted by this server only"),
        _ => {}
    }
    if cleared {
        println!("cleared: the next login is sent to Okta and may push at once");
    }
    ExitCode::SUCCESS
}
