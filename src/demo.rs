//! `okta-radius demo`: the server and a simulated Okta org in one process,
//! so that anyone can try a login with `radclient` without an Okta tenant.
//!
//! The org's users come from `config/demo-users.toml` and the server's
//! settings from `config/demo.toml`, both embedded in the binary. With
//! `--api direct` the same users log in through Direct Authentication: the
//! org registers an OIDC app, the server uses it, and `SIGUSR1` rotates
//! the org's signing key (the server follows with one `/keys` fetch).

use crate::config::{Config, DirectClientAuth, DirectConfig, OktaApi};
use crate::service;
use okta_sim::direct::SimOidcApp;
use okta_sim::{self as sim, SimConfig, SimDirectory, SimUser, SimUserStatus};
use std::fmt::Write;
use std::net::SocketAddr;

/// The demo server config.
pub const DEMO_CONFIG: &str = include_str!("../config/demo.toml");
/// The demo org's users.
pub const DEMO_USERS: &str = include_str!("../config/demo-users.toml");
/// The API token the simulated org accepts.
const DEMO_API_TOKEN: &str = "demo-api-token";
/// The demo org's OIDC app for Direct Authentication, and its secret.
const DEMO_CLIENT_ID: &str = "0oa-demo-radius";
const DEMO_CLIENT_SECRET: &str = "demo-client-secret";

/// Where the demo listens.
pub struct DemoOptions {
    pub listen: SocketAddr,
    pub metrics: Option<SocketAddr>,
    pub okta_listen: SocketAddr,
    /// `authn` or `direct`.
    pub api: OktaApi,
}

/// Runs the demo until the process is stopped.
pub async fn run(options: DemoOptions) -> anyhow::Result<()> {
    let directory = SimDirectory::from_toml_str(DEMO_USERS)?;
    let users = directory.users.clone();
    let mut sim_config = SimConfig::new(directory.users, DEMO_API_TOKEN);
    let mut app = SimOidcApp::new(DEMO_CLIENT_ID);
    app.client_secret = Some(DEMO_CLIENT_SECRET.to_owned());
    app.groups_claim = Some("groups".to_owned());
    sim_config.oidc_apps.push(app);
    let org = sim::start(sim_config, options.okta_listen).await?;

    let mut config = Config::from_toml(DEMO_CONFIG, None)?;
    config.okta.org_url = org.base_url();
    config.server.listen = vec![options.listen];
    config.metrics_listen = options.metrics;
    if options.api == OktaApi::Direct {
        config.okta.api = OktaApi::Direct;
        config.okta.direct = Some(DirectConfig {
            client_id: DEMO_CLIENT_ID.to_owned(),
            auth: DirectClientAuth::ClientSecret(DEMO_CLIENT_SECRET.to_owned().into()),
            authorization_server: None,
            scopes: vec!["openid".into(), "profile".into(), "groups".into()],
            groups_claim: Some("groups".to_owned()),
        });
    }
    // The demo secret is short on purpose; do not warn about it here.
    config.warnings.clear();

    println!("{}", banner(&users, options.listen, &org.base_url()));
    if options.api == OktaApi::Direct {
        println!(
            "Logins use Direct Authentication (OIDC app {DEMO_CLIENT_ID}). `kill -USR1 {}` rotates the org's signing key.",
            std::process::id()
        );
    }
    let rotation = rotate_on_usr1(&org);
    let result = service::run(config).await;
    if let Some(task) = rotation {
        task.abort();
    }
    org.shutdown().await;
    result
}

/// Rotates the simulated org's signing key on each `SIGUSR1`.
fn rotate_on_usr1(org: &sim::SimHandle) -> Option<tokio::task::JoinHandle<()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut signals = signal(SignalKind::user_defined1()).ok()?;
    let direct = org.direct_handle();
    Some(tokio::spawn(async move {
        while signals.recv().await.is_some() {
            let kid = direct.rotate_signing_key();
            tracing::info!(%kid, "simulated Okta rotated its signing key");
        }
    }))
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
