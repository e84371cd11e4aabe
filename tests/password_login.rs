//! Password logins end to end: radclient and our own NAS against the real
//! binary, which asks the simulated Okta org over real HTTP.

mod support;

use okta_sim::SimFaultMode;
use radius_proto::attribute::types;
use radius_proto::packet::Code;
use std::time::{Duration, Instant};
use support::*;

/// One PAP login by radclient (run off the runtime's threads): whether it
/// exited successfully, and what it printed.
async fn radclient_login(
    server: std::net::SocketAddr,
    user: &str,
    password: &str,
) -> (bool, String) {
    let request = format!(
        "User-Name = \"{user}\"\nUser-Password = \"{password}\"\nNAS-Identifier = \"radclient\"\nMessage-Authenticator = 0x00\n"
    );
    tokio::task::spawn_blocking(move || radclient(server, SECRET, &request, &[]))
        .await
        .expect("join")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radclient_gets_accept_for_the_right_password_and_reject_otherwise() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let radius = server.radius;

    let (ok, output) = radclient_login(radius, "alice", "alice-password").await;
    assert!(ok, "radclient failed:\n{output}");
    assert!(output.contains("Received Access-Accept"), "{output}");

    let (_, output) = radclient_login(radius, "alice", "wrong").await;
    assert!(output.contains("Received Access-Reject"), "{output}");
    assert!(output.contains("Wrong user name or password"), "{output}");

    // radclient checks the Message-Authenticator of replies itself; the login
    // reached Okta as the full login.
    assert_eq!(org.records().authn_calls("alice@example.com"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_policy_reply_names_the_user_as_okta_s_answer_does() {
    let org = start_org().await;
    let config = config_for(&org.base_url()).replace(
        "deadline_ms = 2000\n",
        "deadline_ms = 2000\npolicy = \"greet\"\n",
    ) + r#"
[policies.greet]
[[policies.greet.reply]]
attribute = "Reply-Message"
value = "Welcome, {profile.firstName} ({login}, {profile.timeZone}){profile.email}."
"#;
    let server = TestServer::start(&config).await;
    let radius = server.radius;
    let (ok, output) = radclient_login(radius, "alice", "alice-password").await;
    assert!(ok, "radclient failed:\n{output}");
    assert!(output.contains("Received Access-Accept"), "{output}");
    // The profile from Okta's answer; the login as sent to Okta; a field
    // the authentication API does not reveal stays empty.
    assert!(
        output.contains("\"Welcome, Alice (alice@example.com, America/Los_Angeles).\""),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_for_each_account_state_carry_a_readable_reason() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    let cases = [
        ("alice", "alice-password", Code::AccessAccept, ""),
        ("EXAMPLE\\alice", "alice-password", Code::AccessAccept, ""),
        (
            "alice@example.com",
            "alice-password",
            Code::AccessAccept,
            "",
        ),
        ("bob", "bob, with a comma", Code::AccessAccept, ""),
        (
            "alice",
            "not-her-password",
            Code::AccessReject,
            "Wrong user name or password",
        ),
        (
            "nobody",
            "whatever",
            Code::AccessReject,
            "Wrong user name or password",
        ),
        ("locked", "locked-password", Code::AccessReject, "locked"),
        ("expired", "expired-password", Code::AccessReject, "expired"),
    ];
    for (user, password, code, message) in cases {
        let request = nas.login_request(user, password);
        let reply = nas.exchange(&request).await.expect("a reply");
        assert_eq!(reply.code(), code, "{user}");
        assert!(
            reply_message(&reply).contains(message),
            "{user}: {}",
            reply_message(&reply)
        );
        // Message-Authenticator is the first attribute of every reply.
        assert_eq!(
            reply.attributes().next().map(|(t, _)| t),
            Some(types::MESSAGE_AUTHENTICATOR)
        );
    }
    let audits = server.logs.wait_audits(cases.len()).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        server.logs.audits().len(),
        cases.len(),
        "one audit line per decision"
    );
    let locked = audits
        .iter()
        .find(|a| a["user"] == "locked@example.com")
        .expect("audit");
    assert_eq!(locked["outcome"], "reject");
    assert_eq!(locked["reason"], "locked_out");
    assert_eq!(locked["client"], "test-nas");
    assert_eq!(locked["nas"], "test-vpn");
    assert!(
        !locked["okta_request_id"]
            .as_str()
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_users_ip_reaches_okta_as_x_forwarded_for() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    let request = nas
        .login_request("alice", "alice-password")
        .text(types::CALLING_STATION_ID, "198.51.100.23");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept
    );
    assert_eq!(
        org.records()
            .last_forwarded_for("alice@example.com")
            .as_deref(),
        Some("198.51.100.23")
    );
    let agent = org
        .records()
        .last_user_agent("alice@example.com")
        .unwrap_or_default();
    assert!(agent.starts_with("okta-radius/"), "{agent}");

    // A Calling-Station-Id that is a MAC address is not an IP: no header.
    let request = nas
        .login_request("bob", "bob, with a comma")
        .text(types::CALLING_STATION_ID, "00-11-22-33-44-55");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept
    );
    assert_eq!(org.records().last_forwarded_for("bob@example.com"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_failures_end_in_the_configured_reply() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    for mode in [
        SimFaultMode::InternalError,
        SimFaultMode::ReadOnly,
        SimFaultMode::Hang,
    ] {
        org.faults().set_mode(mode);
        let request = nas.login_request("alice", "alice-password");
        let reply = nas
            .exchange(&request)
            .await
            .expect("a reply within the deadline");
        assert_eq!(reply.code(), Code::AccessReject, "{mode:?}");
        assert!(reply_message(&reply).contains("unavailable"), "{mode:?}");
    }
    org.faults().set_mode(SimFaultMode::Normal);
    let request = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept,
        "service resumes"
    );
    let reasons: Vec<String> = server
        .logs
        .wait_audits(4)
        .await
        .iter()
        .map(|a| a["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        reasons,
        [
            "okta_unavailable",
            "okta_unavailable",
            "okta_timeout",
            "okta_success"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn drop_mode_stays_silent_so_the_nas_fails_over() {
    // Nothing listens on this port: connection refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    let config = config_for(&url).replace(
        "deadline_ms = 2000",
        "deadline_ms = 2000\non_okta_failure = \"drop\"",
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    let (bytes, _) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert_eq!(
        nas.receive(Duration::from_secs(3)).await,
        None,
        "no reply in drop mode"
    );
    let audit = server
        .logs
        .wait_for("the audit line", |e| e["target"] == "okta_radius::audit")
        .await;
    assert_eq!(audit["outcome"], "silence");
    assert_eq!(audit["reason"], "okta_unavailable");

    // With the default (reject), the same outage is an Access-Reject.
    let server = TestServer::start(&config_for(&url)).await;
    let nas = Nas::new(server.radius).await;
    let request = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessReject
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rejects_are_delayed_and_accepts_are_not() {
    let org = start_org().await;
    let config =
        config_for(&org.base_url()).replace("reject_delay_ms = 0", "reject_delay_ms = 1000");
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    let started = Instant::now();
    let request = nas.login_request("alice", "wrong-password");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessReject
    );
    // The delay is a security behaviour (RFC 5080 §2.2.2 advice, BlastRADIUS
    // hardening): a reject must not come back sooner than 80% of it.
    assert!(
        started.elapsed() >= Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_reaches_the_log() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    for (user, password) in [
        ("alice", "alice-password"),
        ("alice", "a-wrong-password"),
        ("bob", "bob, with a comma"),
    ] {
        let request = nas.login_request(user, password);
        nas.exchange(&request).await.expect("reply");
    }
    server.logs.wait_audits(3).await;
    let logs = server.logs.lines().join("\n");
    assert!(
        logs.contains("Access-Request"),
        "debug logging was on: {logs}"
    );
    for secret in [
        SECRET,
        API_TOKEN,
        "alice-password",
        "a-wrong-password",
        "bob, with a comma",
    ] {
        assert!(!logs.contains(secret), "a secret reached the log");
    }
}
