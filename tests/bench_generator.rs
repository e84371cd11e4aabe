//! The load generator (`okta-radius bench`) against a real server and the
//! simulated org with the benchmark population: it must count what it sent
//! and what came back, per flow, and count requests nobody answers as
//! timeouts. No speed is asserted here; speed lives in BENCHMARKS.md.

mod support;

use okta_sim::{self as sim, SimConfig};
use radius_bench::users;
use std::process::Command;
use std::time::Duration;
use support::{API_TOKEN, SECRET, TestServer, binary, config_for};

fn bench(server: std::net::SocketAddr, secret: &str, args: &[&str]) -> serde_json::Value {
    let output = Command::new(binary())
        .arg("bench")
        .arg("--server")
        .arg(server.to_string())
        .arg("--json")
        .args(args)
        .env("OKTA_RADIUS_BENCH_SECRET", secret)
        .output()
        .expect("the generator runs");
    assert!(
        output.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the report is JSON")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_counts_replies_by_code_and_flow() {
    let org = sim::start(
        SimConfig::new(users::population(20, Duration::ZERO), API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts");
    let server = TestServer::start(&config_for(&org.base_url())).await;

    let report = bench(
        server.radius,
        SECRET,
        &[
            "--mix",
            "password:2,totp:1,push:1,status:1",
            "--count",
            "20",
            "--in-flight",
            "5",
            "--sockets",
            "2",
            "--users",
            "20",
        ],
    );
    assert_eq!(report["started"], 20);
    assert_eq!(report["completed"], 20);
    assert_eq!(report["timeouts"], 0);
    assert_eq!(report["outcomes"]["password Access-Accept"], 8);
    assert_eq!(report["outcomes"]["totp Access-Accept"], 4);
    assert_eq!(report["outcomes"]["push Access-Accept"], 4);
    assert_eq!(report["outcomes"]["status Access-Accept"], 4);
    // Every TOTP login went through one Access-Challenge.
    assert_eq!(report["replies"]["Access-Challenge"], 4);
    assert_eq!(report["replies"]["Access-Accept"], 20);
    assert_eq!(report["requests_sent"], 24);
    // Each password login is one /authn call.
    assert_eq!(
        org.records()
            .authn_calls(&users::login(users::Flow::Password, 0)),
        1
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unanswered_requests_are_timeouts_and_retransmits_are_counted() {
    let org = sim::start(
        SimConfig::new(users::population(5, Duration::ZERO), API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts");
    let server = TestServer::start(&config_for(&org.base_url())).await;

    // A wrong shared secret: the server drops every request silently.
    let report = bench(
        server.radius,
        "not-the-shared-secret",
        &[
            "--mix",
            "password",
            "--count",
            "6",
            "--in-flight",
            "6",
            "--users",
            "5",
            "--timeout-ms",
            "400",
            "--retransmit-ms",
            "150",
            "--retries",
            "1",
        ],
    );
    assert_eq!(report["started"], 6);
    assert_eq!(report["completed"], 0);
    assert_eq!(report["timeouts"], 6);
    assert_eq!(report["retransmits"], 6);
    assert_eq!(report["replies"], serde_json::json!({}));
    // Nothing reached Okta's authentication API (the start-up check's
    // /users/me is the only call).
    assert_eq!(org.records().calls_to_prefix("/api/v1/authn"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_generator_speaks_radius_tls() {
    let org = sim::start(
        SimConfig::new(users::population(10, Duration::ZERO), API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts");
    let pki = support::tls::Pki::new();
    let server = TestServer::start(&support::tls::tls_config(&org.base_url(), &pki, "")).await;
    let tls_addr = server.tls_addr().await;
    let path = |name: &str| pki.path(name).display().to_string();
    let tls_args = [
        "--transport".to_owned(),
        "tls".to_owned(),
        "--tls-ca".to_owned(),
        path("ca.pem"),
        "--tls-cert".to_owned(),
        path("nas.pem"),
        "--tls-key".to_owned(),
        path("nas.key"),
    ];
    let with = |extra: &[&str]| -> Vec<String> {
        tls_args
            .iter()
            .cloned()
            .chain(extra.iter().map(|arg| (*arg).to_owned()))
            .collect()
    };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        bench(tls_addr, "radsec", &args)
    };

    // Logins over two connections, a challenge answered on the way.
    let report = run(with(&[
        "--mix",
        "password:3,totp:1",
        "--count",
        "20",
        "--in-flight",
        "8",
        "--connections",
        "2",
        "--users",
        "10",
    ]));
    assert_eq!(report["completed"], 20, "{report}");
    assert_eq!(report["timeouts"], 0, "{report}");
    // Each connection picks round robin from the mix: p, p, p, t, p, ...
    assert_eq!(report["outcomes"]["password Access-Accept"], 16, "{report}");
    assert_eq!(report["outcomes"]["totp Access-Accept"], 4, "{report}");
    assert_eq!(report["replies"]["Access-Challenge"], 4, "{report}");
    assert_eq!(report["settings"]["transport"], "tls");
    assert_eq!(
        server
            .counter("radius_connections_opened_total{transport=\"tls\"}")
            .await,
        2.0
    );

    // Handshakes, each proven by a Status-Server.
    let report = run(with(&["--handshakes", "--count", "6", "--in-flight", "2"]));
    assert_eq!(report["outcomes"]["handshake Access-Accept"], 6, "{report}");

    // Idle connections, weighed in the server's memory.
    let pid = server.pid().to_string();
    let output = Command::new(binary())
        .arg("bench")
        .arg("--server")
        .arg(tls_addr.to_string())
        .args(with(&["--idle-connections", "5", "--server-pid", &pid]))
        .env("OKTA_RADIUS_BENCH_SECRET", "radsec")
        .output()
        .expect("the generator runs");
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("the report is JSON");
    assert_eq!(report["idle_connections"], 5, "{report}");
    assert!(report["kib_per_connection"].is_number(), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_starts_are_counted_once_stored() {
    let org = sim::start(
        SimConfig::new(users::population(5, Duration::ZERO), API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts");
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("accounting.jsonl");
    let config = config_for(&org.base_url()).replace(
        "listen = [\"127.0.0.1:0\"]\n",
        "listen = [\"127.0.0.1:0\"]\naccounting_listen = [\"127.0.0.1:0\"]\n",
    );
    let config = format!("{config}\n[accounting]\nfile = \"{}\"\n", file.display());
    let server = TestServer::start(&config).await;
    let accounting = server
        .logs
        .wait_field("RADIUS accounting listener ready", "listen")
        .await
        .parse()
        .expect("addr");
    let report = bench(
        accounting,
        SECRET,
        &[
            "--mix",
            "accounting",
            "--count",
            "40",
            "--in-flight",
            "8",
            "--sockets",
            "2",
            "--users",
            "5",
        ],
    );
    assert_eq!(report["completed"], 40);
    assert_eq!(report["outcomes"]["accounting Accounting-Response"], 40);
    // Each Start is a session of its own, written once.
    let text = std::fs::read_to_string(&file).expect("the file");
    let mut sessions: Vec<String> = text
        .lines()
        .map(|line| {
            let record: serde_json::Value = serde_json::from_str(line).expect("JSON");
            record["attributes"]["Acct-Session-Id"]
                .as_str()
                .expect("a session id")
                .to_owned()
        })
        .collect();
    assert_eq!(sessions.len(), 40);
    sessions.sort();
    sessions.dedup();
    assert_eq!(sessions.len(), 40);
}

/// `okta-radius sim --static`: the benchmark's Okta stand-in that answers
/// every password with SUCCESS, so only the server's own cost is measured.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_static_stand_in_answers_every_password_with_success() {
    let org = support::process::free_port();
    let stats = support::process::free_port();
    let mut sim = Command::new(binary())
        .args(["sim", "--static", "--listen"])
        .arg(format!("127.0.0.1:{org}"))
        .arg("--stats-listen")
        .arg(format!("127.0.0.1:{stats}"))
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sim --static starts");
    let stats_url = format!("http://127.0.0.1:{stats}/stats");
    let mut ready = false;
    for _ in 0..100 {
        if reqwest::get(&stats_url).await.is_ok() {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "sim --static answers /stats");
    let server = TestServer::start(&config_for(&format!("http://127.0.0.1:{org}"))).await;
    let report = bench(
        server.radius,
        SECRET,
        &["--mix", "password", "--count", "50", "--in-flight", "5"],
    );
    let counters: serde_json::Value = reqwest::get(&stats_url)
        .await
        .expect("stats")
        .json()
        .await
        .expect("JSON");
    let _ = sim.kill();
    let _ = sim.wait();
    assert_eq!(report["replies"]["Access-Accept"], 50, "{report}");
    assert_eq!(
        counters["flows"]["password"]["authn_calls"], 50,
        "{counters}"
    );
}

/// Every datagram waiting on `socket`.
fn drain(socket: &std::net::UdpSocket) -> Vec<Vec<u8>> {
    socket.set_nonblocking(true).expect("nonblocking");
    let mut datagrams = Vec::new();
    let mut buffer = [0u8; 4096];
    while let Ok(len) = socket.recv(&mut buffer) {
        datagrams.push(buffer[..len].to_vec());
    }
    datagrams
}

#[test]
fn retransmits_fail_over_to_the_next_server_in_turn() {
    // Two servers that never answer, as a NAS would see two dead replicas.
    let first = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let second = std::net::UdpSocket::bind("127.0.0.1:0").expect("bind");
    let second_addr = second.local_addr().expect("addr").to_string();
    let report = bench(
        first.local_addr().expect("addr"),
        SECRET,
        &[
            "--mix",
            "password",
            "--count",
            "2",
            "--in-flight",
            "2",
            "--users",
            "2",
            "--timeout-ms",
            "700",
            "--retransmit-ms",
            "120",
            "--retries",
            "3",
            "--failover-to",
            &second_addr,
        ],
    );
    assert_eq!(report["timeouts"], 2);
    assert_eq!(report["retransmits"], 6);
    assert_eq!(report["settings"]["failover_to"], second_addr.as_str());
    // First sending and second retransmit to the first server; first and
    // third retransmit to the second: the same requests, byte for byte.
    let mut at_first = drain(&first);
    let mut at_second = drain(&second);
    assert_eq!(at_first.len(), 4, "the first server got each request twice");
    assert_eq!(
        at_second.len(),
        4,
        "the second server got each retransmit in turn"
    );
    at_first.sort();
    at_second.sort();
    assert_eq!(at_first, at_second);
}
