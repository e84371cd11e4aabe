//! What the black-box tests share: a simulated Okta org in the test process,
//! the real `okta-radius` binary started as a child process with a config
//! written for the test, a NAS that speaks real UDP, and readers for the
//! server's logs and metrics.
#![allow(dead_code)]

pub mod apis;
pub mod demo;
pub mod eapol;
pub mod old_redis;
pub mod process;
pub mod redis;
pub mod tls;

pub use apis::*;

use okta_sim::{self as sim, SimConfig, SimHandle, SimUser, SimUserStatus};
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::net::UdpSocket;

pub const SECRET: &str = "a-test-shared-secret-of-decent-length";
/// The State key every test server shares (so a challenge can move between them).
pub const STATE_KEY: &str = "5f1e0d2c3b4a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
pub const API_TOKEN: &str = "00test-api-token-value-for-the-simulated-org";

/// The users every test org has.
pub fn test_users() -> Vec<SimUser> {
    vec![
        SimUser::new("alice@example.com", "alice-password").with_groups(&["vpn-users"]),
        SimUser::new("bob@example.com", "bob, with a comma").with_groups(&["net-admins"]),
        SimUser::new("locked@example.com", "locked-password").with_status(SimUserStatus::LockedOut),
        SimUser::new("expired@example.com", "expired-password")
            .with_status(SimUserStatus::PasswordExpired),
    ]
}

/// The demo org's users (config/demo-users.toml) plus users for cases the
/// demo does not need: a push nobody answers until the test says so
/// (`pat`), and a push nobody ever answers (`ian`).
pub fn mfa_users() -> Vec<SimUser> {
    let mut users =
        okta_sim::SimDirectory::from_toml_str(include_str!("../../config/demo-users.toml"))
            .expect("the demo users load")
            .users;
    users.push(
        SimUser::new("pat@example.com", "pat-password")
            .with_groups(&["vpn-users"])
            .with_factor(okta_sim::SimFactor::push(okta_sim::SimPushResponse::Wait)),
    );
    users.push(SimUser::new("sam@example.com", "sam-password").with_groups(&["staff"]));
    let mut wendy = SimUser::new("wendy@example.com", "wendy-password").with_groups(&["vpn-users"]);
    wendy.password_warn = true;
    users.push(wendy);
    users.push(
        SimUser::new("ian@example.com", "ian-password")
            .with_groups(&["vpn-users"])
            .with_factor(okta_sim::SimFactor::push(okta_sim::SimPushResponse::Ignore)),
    );
    users
}

/// Starts a simulated org with the MFA users; `adjust` may change its settings.
pub async fn start_mfa_org(adjust: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::new(mfa_users(), API_TOKEN);
    adjust(&mut config);
    sim::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("the simulated org starts")
}

/// Adds keys to the test client's table (before any sub-table).
pub fn with_client_keys(config: &str, keys: &str) -> String {
    config.replace("deadline_ms = 2000", &format!("deadline_ms = 2000\n{keys}"))
}

/// Starts a simulated org with the test users on a free loopback port.
pub async fn start_org() -> SimHandle {
    sim::start(
        SimConfig::new(test_users(), API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts")
}

/// A config for a test server: everything on loopback with free ports, no
/// reject delay (one test turns it back on), JSON logs at debug level.
pub fn config_for(org_url: &str) -> String {
    format!(
        r#"
[server]
listen = ["127.0.0.1:0"]
reject_delay_ms = 0

[okta]
org_url = "{org_url}"
api_token_env = "TEST_OKTA_API_TOKEN"

[users]
default_domain = "example.com"

[state]
key_env = "TEST_STATE_KEY"

[log]
format = "json"
level = "debug"

[metrics]
listen = "127.0.0.1:0"

[[clients]]
name = "test-nas"
address = "127.0.0.1"
secret_env = "TEST_RADIUS_SECRET"
deadline_ms = 2000
"#
    )
}

/// Log lines collected from a child process's standard error.
#[derive(Clone, Default)]
pub struct Logs(Arc<Mutex<Vec<String>>>);

impl Logs {
    pub fn lines(&self) -> Vec<String> {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Parsed JSON log events (non-JSON lines are skipped).
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.lines()
            .iter()
            .filter_map(|line| serde_json::from_str(line).ok())
            .collect()
    }

    /// Audit events (one per decision).
    pub fn audits(&self) -> Vec<serde_json::Value> {
        self.events()
            .into_iter()
            .filter(|e| e["target"] == "okta_radius::audit")
            .collect()
    }

    /// Waits until at least `count` audit events were logged, and returns them.
    pub async fn wait_audits(&self, count: usize) -> Vec<serde_json::Value> {
        let start = Instant::now();
        loop {
            let audits = self.audits();
            if audits.len() >= count {
                return audits;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!(
                    "expected {count} audit events; logs:\n{}",
                    self.lines().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits for the first event with `message` and returns its `field`, in
    /// either log format (JSON, or human lines with `field=value`).
    pub async fn wait_field(&self, message: &str, field: &str) -> String {
        let start = Instant::now();
        loop {
            for line in self.lines() {
                if let Ok(event) = serde_json::from_str::<serde_json::Value>(&line) {
                    if event["message"]
                        .as_str()
                        .is_some_and(|text| text.starts_with(message))
                        && let Some(value) = event[field].as_str()
                    {
                        return value.to_owned();
                    }
                    continue;
                }
                if let Some((_, rest)) = line.split_once(message)
                    && let Some((_, value)) = rest.split_once(&format!(" {field}="))
                {
                    return value
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                }
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("no log line {message}; logs:\n{}", self.lines().join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until a raw line (in any format) satisfies `predicate`.
    pub async fn wait_for_line(&self, what: &str, predicate: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            if let Some(line) = self.lines().into_iter().find(|line| predicate(line)) {
                return line;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("no log line {what}; logs:\n{}", self.lines().join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Waits until an event satisfies `predicate`.
    pub async fn wait_for(
        &self,
        what: &str,
        predicate: impl Fn(&serde_json::Value) -> bool,
    ) -> serde_json::Value {
        let start = Instant::now();
        loop {
            if let Some(event) = self.events().into_iter().find(|e| predicate(e)) {
                return event;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("no log event {what}; logs:\n{}", self.lines().join("\n"));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// A running `okta-radius serve`. Killed when dropped.
pub struct TestServer {
    child: Child,
    pub radius: SocketAddr,
    pub metrics: SocketAddr,
    pub logs: Logs,
    /// While false, nobody reads the server's standard error (a log
    /// shipper that has stopped): the pipe fills.
    reading: Arc<std::sync::atomic::AtomicBool>,
    _dir: tempfile::TempDir,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_okta-radius")
}

impl TestServer {
    /// Starts the server with `config` and waits until it listens.
    pub async fn start(config: &str) -> TestServer {
        TestServer::start_with_env(config, &[]).await
    }

    pub async fn start_with_env(config: &str, env: &[(&str, &str)]) -> TestServer {
        TestServer::launch(config, &[], env).await
    }

    /// Starts `serve` with extra command-line arguments (`-X`, say).
    pub async fn start_with_args(config: &str, args: &[&str]) -> TestServer {
        TestServer::launch(config, args, &[]).await
    }

    async fn launch(config: &str, args: &[&str], env: &[(&str, &str)]) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("okta-radius.toml");
        std::fs::write(&path, config).expect("write config");
        let mut command = Command::new(binary());
        command
            .arg("serve")
            .args(args)
            .arg("--config")
            .arg(&path)
            .env("TEST_OKTA_API_TOKEN", API_TOKEN)
            .env("TEST_RADIUS_SECRET", SECRET)
            .env("TEST_STATE_KEY", STATE_KEY)
            .env("TEST_DIRECT_SECRET", DIRECT_CLIENT_SECRET)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("the server starts");
        let logs = Logs::default();
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = logs.clone();
        let reading = Arc::new(std::sync::atomic::AtomicBool::new(true));
        let read_on = reading.clone();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stderr).lines();
            loop {
                while !read_on.load(std::sync::atomic::Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(10));
                }
                let Some(Ok(line)) = lines.next() else {
                    break;
                };
                if let Ok(mut lines) = sink.0.lock() {
                    lines.push(line);
                }
            }
        });
        let radius = logs
            .wait_field("RADIUS authentication listener ready", "listen")
            .await
            .parse()
            .expect("addr");
        let metrics = logs
            .wait_field("serving /metrics and /health", "listen")
            .await
            .parse()
            .expect("addr");
        TestServer {
            child,
            radius,
            metrics,
            logs,
            reading,
            _dir: dir,
        }
    }

    /// Stops reading the server's standard error, or reads it again.
    pub fn read_logs(&self, read: bool) {
        self.reading
            .store(read, std::sync::atomic::Ordering::SeqCst);
    }

    /// The Prometheus text of `/metrics`.
    pub async fn metrics_text(&self) -> String {
        reqwest::get(format!("http://{}/metrics", self.metrics))
            .await
            .expect("metrics reachable")
            .text()
            .await
            .expect("metrics body")
    }

    /// The value of one counter series, 0 when absent. `series` is the name
    /// with its labels exactly as rendered, e.g. `radius_drops_total{reason="malformed"}`.
    pub async fn counter(&self, series: &str) -> f64 {
        metric_value(&self.metrics_text().await, series)
    }

    /// Waits until a counter reaches at least `at_least`.
    pub async fn wait_counter(&self, series: &str, at_least: f64) -> f64 {
        let start = Instant::now();
        loop {
            let value = self.counter(series).await;
            if value >= at_least {
                return value;
            }
            if start.elapsed() > Duration::from_secs(10) {
                panic!(
                    "{series} stayed at {value}, expected {at_least}:\n{}",
                    self.metrics_text().await
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }
}

/// The sum of the series `selector` selects in Prometheus text, as
/// `sum(name{label="value"})` would: every series of that name whose
/// labels include the given ones (0 when none).
pub fn metric_value(text: &str, selector: &str) -> f64 {
    let (name, wanted) = series_parts(selector);
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let (series, value) = line.rsplit_once(' ')?;
            let (series_name, labels) = series_parts(series);
            (series_name == name && wanted.iter().all(|label| labels.contains(label)))
                .then(|| value.parse::<f64>().ok())
                .flatten()
        })
        .sum()
}

/// `name{a="1",b="2"}` as its name and its `a="1"` pairs.
fn series_parts(series: &str) -> (&str, Vec<String>) {
    let Some((name, rest)) = series.split_once('{') else {
        return (series, Vec::new());
    };
    let body = rest.strip_suffix('}').unwrap_or(rest);
    let mut labels = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for ch in body.chars() {
        match ch {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => quoted = !quoted,
            ',' if !quoted => {
                labels.push(std::mem::take(&mut current));
                continue;
            }
            _ => {}
        }
        current.push(ch);
    }
    if !current.is_empty() {
        labels.push(current);
    }
    (name, labels)
}

/// A NAS: one UDP socket that sends requests and reads replies.
pub struct Nas {
    pub socket: UdpSocket,
    pub server: SocketAddr,
    pub secret: Vec<u8>,
    next_id: std::sync::atomic::AtomicU8,
}

impl Nas {
    pub async fn new(server: SocketAddr) -> Nas {
        Nas::with_secret(server, SECRET).await
    }

    pub async fn with_secret(server: SocketAddr, secret: &str) -> Nas {
        let socket = UdpSocket::bind("127.0.0.1:0").await.expect("bind");
        Nas {
            socket,
            server,
            secret: secret.as_bytes().to_vec(),
            next_id: std::sync::atomic::AtomicU8::new(1),
        }
    }

    pub fn next_identifier(&self) -> u8 {
        self.next_id
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    /// An Access-Request as a VPN concentrator sends it, with MA first.
    pub fn login_request(&self, user: &str, password: &str) -> RequestBuilder {
        let id = self.next_identifier();
        RequestBuilder::new(Code::AccessRequest, id)
            .text(types::USER_NAME, user)
            .user_password(password.as_bytes(), &self.secret)
            .expect("password fits")
            .text(types::NAS_IDENTIFIER, "test-vpn")
            .attribute(Attribute::integer(types::NAS_PORT, 0))
    }

    pub async fn send_raw(&self, bytes: &[u8]) {
        self.socket.send_to(bytes, self.server).await.expect("send");
    }

    /// Waits up to `wait` for one datagram.
    pub async fn receive(&self, wait: Duration) -> Option<Vec<u8>> {
        let mut buffer = vec![0u8; 4096];
        match tokio::time::timeout(wait, self.socket.recv_from(&mut buffer)).await {
            Ok(Ok((len, _))) => Some(buffer[..len].to_vec()),
            _ => None,
        }
    }

    /// An answer to an Access-Challenge: the typed text in User-Password and
    /// the State received.
    pub fn answer(&self, user: &str, typed: &str, state: &[u8]) -> RequestBuilder {
        let id = self.next_identifier();
        RequestBuilder::new(Code::AccessRequest, id)
            .text(types::USER_NAME, user)
            .user_password(typed.as_bytes(), &self.secret)
            .expect("answer fits")
            .text(types::NAS_IDENTIFIER, "test-vpn")
            .attribute(Attribute::new(types::STATE, state.to_vec()))
    }

    /// Sends a request and returns the decoded reply, checked for
    /// authenticity (Response Authenticator and MA).
    pub async fn exchange(&self, request: &RequestBuilder) -> Option<Packet> {
        self.exchange_within(request, Duration::from_secs(5)).await
    }

    /// [`Nas::exchange`] with a longer wait (pushes held in `wait` mode).
    pub async fn exchange_within(
        &self,
        request: &RequestBuilder,
        wait: Duration,
    ) -> Option<Packet> {
        let (bytes, authenticator) = request.encode(&self.secret).expect("encodes");
        self.send_raw(&bytes).await;
        let reply = self.receive(wait).await?;
        let packet = Packet::decode(&reply).expect("the reply decodes");
        assert!(
            packet.verify_reply(&authenticator, &self.secret),
            "the reply is authentic"
        );
        Some(packet)
    }
}

/// The Reply-Message texts of a reply, joined.
pub fn reply_message(packet: &Packet) -> String {
    packet
        .all(types::REPLY_MESSAGE)
        .map(|v| String::from_utf8_lossy(v).into_owned())
        .collect()
}

/// The State of a reply, which must be present.
pub fn state_of(packet: &Packet) -> Vec<u8> {
    packet
        .first(types::STATE)
        .expect("the challenge carries a State")
        .to_vec()
}

/// Runs radclient with `request` (attribute lines) and returns (exit success, output).
pub fn radclient(
    server: SocketAddr,
    secret: &str,
    request: &str,
    extra_args: &[&str],
) -> (bool, String) {
    radclient_command(server, "auth", secret, request, extra_args)
}

/// Runs radclient with `request` as Accounting-Requests (`acct`): (exit success, output).
pub fn radclient_acct(
    server: SocketAddr,
    secret: &str,
    request: &str,
    extra_args: &[&str],
) -> (bool, String) {
    radclient_command(server, "acct", secret, request, extra_args)
}

fn radclient_command(
    server: SocketAddr,
    command: &str,
    secret: &str,
    request: &str,
    extra_args: &[&str],
) -> (bool, String) {
    let mut child = Command::new("radclient")
        .args(["-x", "-r", "1", "-t", "3"])
        .args(extra_args)
        .arg(server.to_string())
        .arg(command)
        .arg(secret)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("radclient is installed (apt-get install freeradius-utils)");
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().expect("stdin");
        stdin.write_all(request.as_bytes()).expect("write request");
    }
    let output = child.wait_with_output().expect("radclient runs");
    let text = printed(&output);
    (output.status.success(), text)
}

/// What a command printed: its standard output, then its standard error.
pub fn printed(output: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `config` with `extra` lines added to its `[okta]` section.
pub fn with_okta_keys(config: &str, extra: &str) -> String {
    config.replace(
        "api_token_env = \"TEST_OKTA_API_TOKEN\"\n",
        &format!("api_token_env = \"TEST_OKTA_API_TOKEN\"\n{extra}\n"),
    )
}

/// Starts a simulated org with the test users and a changed configuration.
pub async fn start_org_with(change: impl FnOnce(&mut SimConfig)) -> SimHandle {
    let mut config = SimConfig::new(test_users(), API_TOKEN);
    change(&mut config);
    sim::start(config, "127.0.0.1:0".parse().expect("addr"))
        .await
        .expect("the simulated org starts")
}

impl TestServer {
    /// `okta-radius admin throttle ACTION LOGIN` against this server:
    /// whether it succeeded, and what it printed.
    pub fn admin_throttle(&self, action: &str, login: &str) -> (bool, String) {
        let output = std::process::Command::new(binary())
            .args(["admin", "throttle", action, login, "--metrics"])
            .arg(self.metrics.to_string())
            .output()
            .expect("admin runs");
        (output.status.success(), printed(&output))
    }

    /// `/health`: the HTTP status and the body.
    pub async fn health(&self) -> (u16, String) {
        let response = reqwest::get(format!("http://{}/health", self.metrics))
            .await
            .expect("health reachable");
        let status = response.status().as_u16();
        (status, response.text().await.unwrap_or_default())
    }

    /// Waits until `/health` answers `status`.
    pub async fn wait_health(&self, status: u16) -> String {
        let start = Instant::now();
        loop {
            let (now, body) = self.health().await;
            if now == status {
                return body;
            }
            if start.elapsed() > Duration::from_secs(20) {
                panic!("/health stayed {now} ({body}), expected {status}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Sends one Access-Request for `user` and returns the reply's code (None: no reply).
pub async fn login_code(server: SocketAddr, user: &str, password: &str) -> Option<Code> {
    let nas = Nas::new(server).await;
    let request = nas.login_request(user, password);
    nas.exchange(&request).await.map(|reply| reply.code())
}

/// Runs `check-config --online` on `config`: its exit status and output.
pub fn check_config_online(config: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("okta-radius.toml");
    std::fs::write(&path, config).expect("write config");
    let output = Command::new(binary())
        .args(["check-config", "--online", "--config"])
        .arg(&path)
        .env("TEST_OKTA_API_TOKEN", API_TOKEN)
        .env("TEST_RADIUS_SECRET", SECRET)
        .env("TEST_STATE_KEY", STATE_KEY)
        .env("TEST_DIRECT_SECRET", DIRECT_CLIENT_SECRET)
        .output()
        .expect("check-config runs");
    let text = printed(&output);
    (output.status.code(), text)
}
