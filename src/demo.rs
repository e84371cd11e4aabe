//! `okta-radius demo`: the server and a simulated Okta org in one process,
//! so that anyone can try a login with `radclient` without an Okta tenant.
//!
//! The org's users come from `config/demo-users.toml` and the server's
//! settings from `config/demo.toml`, both embedded in the binary.

use crate::config::Config;
use crate::service;
use okta_sim::{self as sim, SimConfig, SimDirectory, SimUser, SimUserStatus};
use std::fmt::Write;
use std::net::SocketAddr;

/// The demo server config.
pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");
/// The demo org's users.
pub const DEMO_USERS: &str = include_str!("../config/demo-users.toml");
/// The API token the simulated org accepts.
const DEMO_API_TOKEN: &str = "demo-api-token";

/// Where the demo listens.
pub struct DemoOptions {
    pub listen: SocketAddr,
    pub metrics: Option<SocketAddr>,
    pub okta_listen: SocketAddr,
}

/// Runs the demo until the process is stopped.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let directory = SimDirectory::from_toml_str(DEMO_USERS)?;
    let users = directory.users.clone();
    let org = sim::start(
        SimConfig::new(directory.users, DEMO_API_TOKEN),
        options.okta_listen,
    )
    .await?;

    let mut config = Config::from_toml(DEMO_CONFIG, None)?;
    config.okta.org_url = org.base_url();
    config.server.listen = vec![options.listen];
    config.metrics_listen = options.metrics;
    // The demo secret is short on purpose; do not warn about it here.
    config.warnings.clear();

    println!("{}", banner(&users, options.listen, &org.base_url()));
    let result = service::run(config).await;
    org.shutdown().await;
    result
}

/// What a user of the demo can type, one line per demo user.
fn banner(users: &[SimUser], listen: SocketAddr, org_url: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "okta-radius demo: RADIUS on {listen} (shared secret testing123), simulated Okta at {org_url}"
    );
    let _ = writeln!(
        out,
        "Demo users (type the name before @; the server appends @example.com), and what to type:"
    );
    for user in users {
        let short = user.login.split('@').next().unwrap_or(&user.login);
        let hint = user.hint.clone().unwrap_or_else(|| expectation(user));
        let _ = writeln!(out, "  {short:<8} {hint}");
    }
    let _ = writeln!(
        out,
        "Second factors: answer the menu with its number, or type password,CODE or password,push in one go."
    );
    let _ = write!(
        out,
        "Try: echo 'User-Name = \"alice\", User-Password = \"alice-password\", NAS-Identifier = \"demo\", Message-Authenticator = 0x00' | radclient -x {listen} auth testing123"
    );
    out
}

/// A line for a user without a hint in the directory.
fn expectation(user: &SimUser) -> String {
    let password = user
        .password
        .as_ref()
        .map(|p| secrecy::ExposeSecret::expose_secret(p).to_owned())
        .unwrap_or_else(|| "(no password)".to_owned());
    match user.status {
        SimUserStatus::LockedOut => format!("{password}: rejected, the account is locked"),
        SimUserStatus::PasswordExpired => format!("{password}: rejected, the password has expired"),
        SimUserStatus::Active if user.factors.is_empty() => format!("{password}: accepted"),
        SimUserStatus::Active => {
            let factors: Vec<&str> = user
                .factors
                .iter()
                .map(|f| f.factor_type.as_str())
                .collect();
            format!("{password}, then a second factor: {}", factors.join(", "))
        }
        _ => format!("{password}: rejected"),
    }
}
