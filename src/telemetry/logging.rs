//! Log output. Human-readable lines by default, JSON lines for log shippers;
//! `RUST_LOG` overrides the configured level for a debugging session.
//!
//! Audit events use the target [`AUDIT_TARGET`], so they can be filtered and
//! routed on their own. No secret is ever a field of any event.

use crate::config::{LogConfig, LogFormat};
use tracing_subscriber::EnvFilter;

/// The `tracing` target of the one-line-per-decision audit events.
pub const AUDIT_TARGET: &str = "okta_radius::audit";

/// Installs the global subscriber, writing to standard error. Returns false
/// when one was already installed (tests that start several servers).
pub fn init(config: &LogConfig) -> bool {
    let filter = std::env::var("RUST_LOG")
        .ok()
        .and_then(|value| EnvFilter::try_new(value).ok())
        .or_else(|| EnvFilter::try_new(&config.level).ok())
        .unwrap_or_else(|| EnvFilter::new("info"));
    // Colours only on a terminal: journald and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr);
    match config.format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init()
            .is_ok(),
        LogFormat::Human => builder.try_init().is_ok(),
    }
}
