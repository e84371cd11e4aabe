//! The audit log as an administrator reads it when a user calls: one
//! search for the login id finds every Access-Challenge round of one
//! login, each line naming where the request came from (the NAS's source
//! address, its Calling-Station-Id), the name as the user typed it beside
//! the Okta login it was checked as, and Okta's request id where a code
//! was refused.

mod support;

use okta_sim::totp;
use radius_proto::attribute::types;
use radius_proto::packet::Code;
use std::time::{SystemTime, UNIX_EPOCH};
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_id_follows_a_login_through_its_challenges() {
    let org = start_mfa_org(|_| {}).await;
    let config = format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n",
        config_for(&org.base_url())
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    let source = nas.socket.local_addr().expect("bound").to_string();
    let from = |request: radius_proto::packet::RequestBuilder| {
        request.text(types::CALLING_STATION_ID, "203.0.113.7")
    };

    // "Dave" as typed, Dave@example.com sent to Okta (the default domain
    // added): password, a wrong code, the right one.
    let reply = nas
        .exchange(&from(nas.login_request("Dave", "dave-password")))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    let reply = nas
        .exchange(&from(nas.answer("Dave", "000000", &state_of(&reply))))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    assert!(reply_message(&reply).contains("Wrong code"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let reply = nas
        .exchange(&from(nas.answer(
            "Dave",
            &totp::code(DAVE_TOTP, now),
            &state_of(&reply),
        )))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    // Another login of the same user.
    assert_eq!(
        nas.exchange(&from(nas.login_request("Dave", "dave-password")))
            .await
            .expect("reply")
            .code(),
        Code::AccessChallenge
    );

    let audits = server.logs.wait_audits(4).await;
    let field = |i: usize, name: &str| audits[i][name].as_str().unwrap_or("").to_owned();
    let login_id = field(0, "login_id");
    assert_eq!(login_id.len(), 8, "{:?}", audits[0]);
    for (i, outcome) in ["challenge", "challenge", "accept"].iter().enumerate() {
        assert_eq!(field(i, "outcome"), *outcome, "{:?}", audits[i]);
        assert_eq!(field(i, "login_id"), login_id, "round {i}: {:?}", audits[i]);
        assert_eq!(field(i, "typed"), "Dave", "{:?}", audits[i]);
        assert_eq!(field(i, "user"), "Dave@example.com", "{:?}", audits[i]);
        assert_eq!(field(i, "source"), source, "{:?}", audits[i]);
        assert_eq!(field(i, "calling_station_id"), "203.0.113.7");
    }
    assert_eq!(field(1, "reason"), "wrong_code", "{:?}", audits[1]);
    assert!(
        !field(1, "okta_request_id").is_empty(),
        "a refused code quotes Okta's request id: {:?}",
        audits[1]
    );
    assert_ne!(field(3, "login_id"), login_id, "a new login has its own id");
}

/// An 802.1X login takes a handful of Access-Challenge rounds (Identity,
/// the TLS handshake, the inner login) before its accept: one search for
/// its login id finds them all, and the next login has another id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_login_id_follows_an_eap_login_through_its_rounds() {
    use support::eapol::{eap_config, eapol_test, network};
    let org = start_mfa_org(|_| {}).await;
    let pki = support::tls::Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;
    let settings = |password: &str| {
        vec![
            "eap=TTLS".to_owned(),
            "identity=\"alice\"".to_owned(),
            format!("password=\"{password}\""),
            "phase2=\"auth=PAP\"".to_owned(),
        ]
    };

    let run = eapol_test(
        &server,
        network(&pki.path("ca.pem"), &settings("alice-password")),
    )
    .await;
    assert!(run.success, "{}", run.tail());
    server
        .logs
        .wait_for("the accept", |a| a["outcome"] == "accept")
        .await;
    let first = server.logs.audits();
    let accept = first
        .iter()
        .position(|a| a["outcome"] == "accept")
        .expect("the accept audited");
    let login_id = first[accept]["login_id"].as_str().unwrap_or("").to_owned();
    assert_eq!(login_id.len(), 8, "{:?}", first[accept]);
    assert!(accept >= 3, "several rounds before the accept: {first:?}");
    for audit in &first[..=accept] {
        assert_eq!(audit["login_id"], login_id.as_str(), "{audit:?}");
    }
    assert_eq!(first[accept]["user"], "alice@example.com");

    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings("wrong"))).await;
    assert!(!run.success, "{}", run.tail());
    let audits = server
        .logs
        .wait_for("the second login's reject", |a| a["outcome"] == "reject")
        .await;
    let second = audits["login_id"].as_str().unwrap_or("").to_owned();
    assert_eq!(second.len(), 8, "{audits:?}");
    assert_ne!(second, login_id, "a new login has its own id");
}

/// A log shipper that stops reading (a hung `logger`, a journald that is
/// behind) fills the pipe of the server's standard error. Logins go on all
/// the same, and once the reader is back every login's audit line is
/// there, in order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_reader_that_stops_reading_stops_no_login() {
    const USERS: usize = 50;
    const ROUNDS: usize = 4;
    let users: Vec<okta_sim::SimUser> = (0..USERS)
        .map(|n| okta_sim::SimUser::new(&format!("user{n}@example.com"), "same-password"))
        .collect();
    let org = okta_sim::start(
        okta_sim::SimConfig::new(users, API_TOKEN),
        "127.0.0.1:0".parse().expect("addr"),
    )
    .await
    .expect("the simulated org starts");
    // Debug level: each login writes a few kilobytes.
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let before = server.logs.lines().len();
    server.read_logs(false);

    let nas = Nas::new(server.radius).await;
    for round in 0..ROUNDS {
        for n in 0..USERS {
            let reply = nas
                .exchange(&nas.login_request(&format!("user{n}"), "same-password"))
                .await;
            assert_eq!(
                reply.map(|reply| reply.code()),
                Some(Code::AccessAccept),
                "login {n} of round {round}, with nobody reading the log"
            );
        }
    }

    server.read_logs(true);
    let audits = server.logs.wait_audits(USERS * ROUNDS).await;
    let users: Vec<String> = audits
        .iter()
        .map(|audit| audit["user"].as_str().unwrap_or("").to_owned())
        .collect();
    let expected: Vec<String> = (0..ROUNDS)
        .flat_map(|_| (0..USERS).map(|n| format!("user{n}@example.com")))
        .collect();
    assert_eq!(users, expected);
    // More than a pipe holds (64 KiB) went through while nobody read.
    let logged: usize = server.logs.lines()[before..].iter().map(String::len).sum();
    assert!(logged > 256 << 10, "only {logged} bytes were logged");
}
