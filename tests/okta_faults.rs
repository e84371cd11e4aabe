//! Okta misbehaving in every way a network or an org can: slow answers,
//! internal errors, read-only mode, a call that never answers, a refused or
//! reset connection, a TLS handshake with something that is not TLS, a name
//! that does not resolve. Each ends in the client's configured reply before
//! the NAS gives up, leaves nothing in flight, and the service comes back by
//! itself when Okta does.

mod support;

use okta_sim::{self as sim, SimConfig, SimFaultMode};
use radius_proto::packet::Code;
use std::time::Duration;
use support::process::free_port;
use support::*;
use tokio::io::AsyncWriteExt;

/// Longer than the test client's 2 s deadline: a reply must come well before.
const NAS_WAIT: Duration = Duration::from_secs(6);

async fn expect_unavailable(server: &TestServer, nas: &Nas, what: &str) {
    let reply = nas
        .exchange_within(&nas.login_request("alice", "alice-password"), NAS_WAIT)
        .await
        .unwrap_or_else(|| panic!("{what}: a reply arrives within the deadline"));
    assert_eq!(reply.code(), Code::AccessReject, "{what}");
    assert!(
        reply_message(&reply).contains("unavailable"),
        "{what}: {}",
        reply_message(&reply)
    );
    nothing_in_flight(server, what).await;
}

async fn nothing_in_flight(server: &TestServer, what: &str) {
    let start = std::time::Instant::now();
    loop {
        let text = server.metrics_text().await;
        if metric_value(&text, "radius_requests_in_flight") == 0.0 {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{what}: a request stays in flight:\n{text}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn expect_accept(nas: &Nas, what: &str) {
    let reply = nas
        .exchange_within(&nas.login_request("alice", "alice-password"), NAS_WAIT)
        .await
        .unwrap_or_else(|| panic!("{what}: answered after recovery"));
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{what}: {}",
        reply_message(&reply)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_faults_end_in_the_configured_reply_and_service_resumes() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    expect_accept(&nas, "healthy").await;

    for (what, mode, latency) in [
        ("HTTP 500", SimFaultMode::InternalError, Duration::ZERO),
        (
            "read-only mode E0000010",
            SimFaultMode::ReadOnly,
            Duration::ZERO,
        ),
        (
            "a call that never answers",
            SimFaultMode::Hang,
            Duration::ZERO,
        ),
        (
            "answers slower than the deadline",
            SimFaultMode::Normal,
            Duration::from_secs(3),
        ),
    ] {
        org.faults().set_mode(mode);
        org.faults().set_latency(latency);
        expect_unavailable(&server, &nas, what).await;
        org.faults().clear();
        expect_accept(&nas, what).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn on_okta_failure_drop_means_silence_and_nothing_left_in_flight() {
    let org = start_org().await;
    let config = with_client_keys(&config_for(&org.base_url()), "on_okta_failure = \"drop\"");
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    org.faults().set_mode(SimFaultMode::InternalError);
    let reply = nas
        .exchange_within(
            &nas.login_request("alice", "alice-password"),
            Duration::from_secs(3),
        )
        .await;
    assert!(reply.is_none(), "no answer, so the NAS fails over");
    server
        .wait_counter(
            "radius_decisions_total{outcome=\"silence\",reason=\"okta_unavailable\"}",
            1.0,
        )
        .await;
    nothing_in_flight(&server, "drop").await;
    org.faults().clear();
    expect_accept(&nas, "drop").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_refused_then_okta_comes_up() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let server = TestServer::start(&config_for(&url)).await;
    let nas = Nas::new(server.radius).await;
    expect_unavailable(&server, &nas, "connection refused").await;

    // Okta comes up on that address: the next login works, no restart.
    let org = sim::start(
        SimConfig::new(test_users(), API_TOKEN),
        format!("127.0.0.1:{port}").parse().expect("addr"),
    )
    .await
    .expect("the org starts on the freed port");
    expect_accept(&nas, "connection refused").await;
    org.shutdown().await;
}

/// A TCP server that accepts and answers each connection with `answer`:
/// `None` resets the connection at once.
async fn misbehaving_server(answer: Option<&'static [u8]>) -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                match answer {
                    None => {
                        let _ = stream.set_zero_linger();
                        drop(stream);
                    }
                    Some(bytes) => {
                        let _ = stream.write_all(bytes).await;
                        let _ = stream.shutdown().await;
                    }
                }
            });
        }
    });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reset_tls_garbage_and_dns_failure_end_in_a_reject() {
    let reset = misbehaving_server(None).await;
    let garbage = misbehaving_server(Some(b"SSH-2.0-OpenSSH_9.2 not TLS at all\r\n")).await;
    for (what, url) in [
        ("connection reset", format!("http://127.0.0.1:{reset}")),
        (
            "TLS to a server that speaks garbage",
            format!("https://127.0.0.1:{garbage}"),
        ),
        ("DNS failure", "https://okta-radius-test.invalid".to_owned()),
    ] {
        let server = TestServer::start(&config_for(&url)).await;
        let nas = Nas::new(server.radius).await;
        expect_unavailable(&server, &nas, what).await;
        // And again: nothing was left behind by the first failure.
        expect_unavailable(&server, &nas, what).await;
    }
}
