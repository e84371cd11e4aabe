//! The server as a service manager drives it: SIGTERM lets the logins in
//! flight finish and exits 0, and a second SIGTERM (or Ctrl-C) stops it at
//! once, answering the logins in flight and cancelling their pushes;
//! SIGHUP re-reads the config file without dropping a login, and refuses an
//! invalid one; a pending challenge survives a restart of the process
//! (sealed State, shared `[state]` key); a second server cannot start on an
//! address the first one holds.

mod support;

use okta_api::authn::FactorType;
use radius_proto::packet::{Code, Packet};
use std::net::SocketAddr;
use std::time::Duration;
use support::process::serve_until_exit;
use support::*;

const NEW_SECRET: &str = "a-brand-new-shared-secret-after-reload";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_finishes_the_logins_in_flight_then_exits_zero() {
    let org = start_org().await;
    org.faults().set_latency(Duration::from_millis(1200));
    let mut server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    let (in_flight, authenticator) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&in_flight).await;
    // Let the request reach Okta, then ask the server to stop.
    server.wait_counter("radius_requests_in_flight", 1.0).await;
    server.signal("TERM");
    server
        .logs
        .wait_for("the stop being logged", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("stopping on signal"))
        })
        .await;

    // A new request after the signal is not taken.
    let late = Nas::new(server.radius).await;
    let (late_bytes, _) = late
        .login_request("bob", "bob, with a comma")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    late.send_raw(&late_bytes).await;

    let reply = nas
        .receive(Duration::from_secs(5))
        .await
        .expect("the login in flight is answered");
    let reply = Packet::decode(&reply).expect("decodes");
    assert!(reply.verify_reply(&authenticator, SECRET.as_bytes()));
    assert_eq!(reply.code(), Code::AccessAccept);

    let status = server
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the server exits after draining");
    assert_eq!(status.code(), Some(0), "exit status 0");
    assert_eq!(late.receive(Duration::from_millis(200)).await, None);
    assert_eq!(org.records().authn_calls("bob@example.com"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_new_secrets_without_dropping_a_login_in_flight() {
    let org = start_org().await;
    let config = config_for(&org.base_url());
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessAccept);

    // A slow login is under way when the new config arrives.
    org.faults().set_latency(Duration::from_millis(1000));
    let (slow, slow_authenticator) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&slow).await;
    server.wait_counter("radius_requests_in_flight", 1.0).await;

    let reloaded = config
        .replace(
            "secret_env = \"TEST_RADIUS_SECRET\"",
            &format!("secret = \"{NEW_SECRET}\""),
        )
        .replace("deadline_ms = 2000", "deadline_ms = 3000");
    std::fs::write(server.config_path(), reloaded).expect("rewrite the config");
    server.signal("HUP");
    server
        .logs
        .wait_for("the reload", |e| e["message"] == "config reloaded")
        .await;

    // The login in flight finishes, signed with the secret it came with.
    let reply = nas
        .receive(Duration::from_secs(5))
        .await
        .expect("the login in flight is answered");
    let reply = Packet::decode(&reply).expect("decodes");
    assert!(reply.verify_reply(&slow_authenticator, SECRET.as_bytes()));
    assert_eq!(reply.code(), Code::AccessAccept);
    org.faults().clear();

    // The old secret no longer works; the new one does.
    let before = server
        .counter("radius_drops_total{reason=\"bad_message_authenticator\"}")
        .await;
    let reply = nas
        .exchange_within(
            &nas.login_request("alice", "alice-password"),
            Duration::from_millis(500),
        )
        .await;
    assert!(reply.is_none(), "the old secret is refused");
    server
        .wait_counter(
            "radius_drops_total{reason=\"bad_message_authenticator\"}",
            before + 1.0,
        )
        .await;
    let renewed = Nas::with_secret(server.radius, NEW_SECRET).await;
    let reply = renewed
        .exchange(&renewed.login_request("alice", "alice-password"))
        .await
        .expect("the new secret works");
    assert_eq!(reply.code(), Code::AccessAccept);
    server
        .wait_counter("okta_radius_config_reloads_total{result=\"applied\"}", 1.0)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_config_on_sighup_is_refused_and_the_old_one_kept() {
    let org = start_org().await;
    let config = config_for(&org.base_url());
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    let broken = format!(
        "{}\n[[clients]]\nname = \"test-nas\"\naddress = \"not-an-address\"\nsecret = \"x\"\n",
        config.replace("deadline_ms = 2000", "deadline_ms = 0")
    );
    std::fs::write(server.config_path(), broken).expect("rewrite the config");
    server.signal("HUP");
    server
        .logs
        .wait_for("the refusal", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("config reload refused"))
        })
        .await;
    let problems: Vec<_> = server
        .logs
        .events()
        .into_iter()
        .filter(|e| e["message"] == "the new config is invalid")
        .collect();
    assert!(
        problems
            .iter()
            .any(|e| e["key"].as_str().is_some_and(|k| k.contains("address"))),
        "each problem is logged with its key: {problems:?}"
    );
    server
        .wait_counter("okta_radius_config_reloads_total{result=\"rejected\"}", 1.0)
        .await;

    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("still answering with the old config");
    assert_eq!(reply.code(), Code::AccessAccept);
}

with_both_apis!(a_pending_challenge_survives_a_restart_of_the_process);
async fn a_pending_challenge_survives_a_restart_of_the_process(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let mut config = config_for_api(&org.base_url(), api);
    if api == Api::Direct {
        // Erin's only factor is SMS; Okta names no factor in Direct
        // Authentication, so the client offers only that.
        config.push_str("\n[clients.mfa]\nallowed_factors = [\"sms\"]\n");
    }
    let first = TestServer::start(&config).await;
    let nas = Nas::new(first.radius).await;

    // Erin's SMS: the code is sent, the State comes back in the challenge.
    let reply = nas
        .exchange(&nas.login_request("erin", "erin-password"))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessChallenge,
        "{}",
        reply_message(&reply)
    );
    let state = state_of(&reply);
    let code = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("an SMS code was sent");

    // The process dies; a new one starts with the same config.
    let mut first = first;
    first.signal("KILL");
    first
        .wait_exit(Duration::from_secs(5))
        .await
        .expect("killed");
    let second = TestServer::start(&config).await;
    let nas = Nas::new(second.radius).await;
    let reply = nas
        .exchange(&nas.answer("erin", &code, &state))
        .await
        .expect("the new process answers the State");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
}

/// A client whose logins wait for Okta Verify (Pat answers only when a test
/// says so) for two
/// minutes, and whose Okta failures end as `on_failure` says.
fn held_push_config(org_url: &str, on_failure: &str) -> String {
    let config = with_client_keys(
        &config_for(org_url),
        &format!("on_okta_failure = \"{on_failure}\""),
    );
    format!(
        "{config}\n[clients.mfa]\nauto_push = true\npush_mode = \"wait\"\npush_timeout_seconds = 120\n"
    )
}

/// Sends Pat's login and waits until the push is pending; returns the
/// request's authenticator.
async fn hold_a_push(server: &TestServer, nas: &Nas) -> [u8; 16] {
    let (bytes, authenticator) = nas
        .login_request("pat", "pat-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    server.wait_counter("okta_pushes_pending", 1.0).await;
    authenticator
}

async fn wait_for_the_drain(server: &TestServer) {
    server
        .logs
        .wait_for("the stop being logged", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("stopping on signal"))
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_sigterm_stops_at_once_and_cancels_the_held_push() {
    let org = start_mfa_org(|_| {}).await;
    let mut server = TestServer::start(&held_push_config(&org.base_url(), "reject")).await;
    let nas = Nas::new(server.radius).await;
    let authenticator = hold_a_push(&server, &nas).await;

    server.signal("TERM");
    wait_for_the_drain(&server).await;
    server.signal("TERM");

    let reply = nas
        .receive(Duration::from_secs(5))
        .await
        .expect("after a second SIGTERM the held login is answered at once");
    let reply = Packet::decode(&reply).expect("decodes");
    assert!(reply.verify_reply(&authenticator, SECRET.as_bytes()));
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("unavailable"),
        "answered as an Okta outage: {}",
        reply_message(&reply)
    );
    let status = server
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the server exits after the second signal");
    assert_eq!(status.code(), Some(0), "exit status 0");
    assert!(
        org.records().cancels("pat@example.com") >= 1,
        "the push's Okta transaction is cancelled, so a late approval opens nothing"
    );
    let stopped = server
        .logs
        .wait_for("the forced stop being logged", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("second signal"))
        })
        .await;
    assert_eq!(stopped["answered_as_okta_failures"], 1, "{stopped}");
    assert_eq!(stopped["okta_transactions_cancelled"], 1, "{stopped}");
    let audits = server.logs.wait_audits(1).await;
    assert_eq!(audits[0]["reason"], "server_stopping", "{audits:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_during_the_drain_stops_at_once_and_a_drop_client_gets_no_answer() {
    let org = start_mfa_org(|_| {}).await;
    let mut server = TestServer::start(&held_push_config(&org.base_url(), "drop")).await;
    let nas = Nas::new(server.radius).await;
    hold_a_push(&server, &nas).await;

    server.signal("TERM");
    wait_for_the_drain(&server).await;
    server.signal("INT");

    let status = server
        .wait_exit(Duration::from_secs(10))
        .await
        .expect("the server exits after Ctrl-C");
    assert_eq!(status.code(), Some(0), "exit status 0");
    assert_eq!(
        nas.receive(Duration::from_millis(200)).await,
        None,
        "on_okta_failure = drop: no answer, the NAS fails over"
    );
    assert!(org.records().cancels("pat@example.com") >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_server_on_the_same_address_refuses_to_start() {
    let org = start_org().await;
    let config = config_for(&org.base_url());
    let first = TestServer::start(&config).await;
    let taken = first.radius.to_string();

    let second = config.replace(
        "listen = [\"127.0.0.1:0\"]",
        &format!("listen = [\"{taken}\"]"),
    );
    let (status, stderr) = serve_until_exit(&second, &[], Duration::from_secs(10));
    let status = status.unwrap_or_else(|| {
        panic!("a second server started on {taken}, beside the first: {stderr}")
    });
    assert!(!status.success(), "{status:?}: {stderr}");
    assert!(stderr.contains(&taken), "the error names {taken}: {stderr}");

    // The first one still answers every login.
    for _ in 0..10 {
        assert_eq!(
            login_code(first.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ipv4_and_ipv6_wildcards_on_one_port_start_together() {
    let org = start_org().await;
    let port = std::net::UdpSocket::bind("127.0.0.1:0")
        .and_then(|socket| socket.local_addr())
        .expect("a free port")
        .port();
    let config = config_for(&org.base_url()).replace(
        "listen = [\"127.0.0.1:0\"]",
        &format!("listen = [\"0.0.0.0:{port}\", \"[::]:{port}\"]"),
    );
    let server = TestServer::start(&config).await;
    let loopback = SocketAddr::from(([127, 0, 0, 1], port));
    assert_eq!(
        login_code(loopback, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );

    // Either address is held: a second server with the same config refuses.
    let (status, stderr) = serve_until_exit(&config, &[], Duration::from_secs(10));
    let status =
        status.unwrap_or_else(|| panic!("a second server started beside the first: {stderr}"));
    assert!(!status.success(), "{stderr}");
    assert!(stderr.contains(&port.to_string()), "{stderr}");
    drop(server);
}
