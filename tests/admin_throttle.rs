//! `okta-radius admin throttle`: a user locked out by wrong passwords, or
//! kept from a new push by the cooldown after a rejected one, is shown and
//! let in again by an administrator on the server's host, without a
//! restart.

mod support;

use radius_proto::packet::Code;
use std::process::Command;
use std::time::Duration;
use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_throttled_user_is_shown_and_let_in_again() {
    let org = start_mfa_org(|_| {}).await;
    let config = format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n\n[abuse]\nmax_failures_per_user = 3\n",
        config_for(&org.base_url())
    );
    let server = TestServer::start(&config).await;
    for _ in 0..3 {
        assert_eq!(
            login_code(server.radius, "alice", "wrong").await,
            Some(Code::AccessReject)
        );
    }
    // The right password is refused now, without asking Okta.
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessReject)
    );
    // Spelt as the user types it, another case included.
    let (ok, shown) = server.admin_throttle("show", "Alice");
    assert!(ok, "{shown}");
    assert!(
        shown.contains("Alice@example.com: 3 failed logins in the window (throttled)"),
        "{shown}"
    );
    let (ok, cleared) = server.admin_throttle("clear", "alice");
    assert!(ok && cleared.contains("cleared"), "{cleared}");
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    let (_, shown) = server.admin_throttle("show", "alice");
    assert!(shown.contains("0 failed logins"), "{shown}");

    // Frank rejects a push: the cooldown refuses the next, until cleared.
    let nas = Nas::new(server.radius).await;
    let reply = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    let mut reply = reply;
    while reply.code() == Code::AccessChallenge {
        reply = nas
            .exchange_within(
                &nas.answer("frank", "", &state_of(&reply)),
                Duration::from_secs(20),
            )
            .await
            .expect("reply");
    }
    assert_eq!(reply.code(), Code::AccessReject);
    let (_, shown) = server.admin_throttle("show", "frank");
    assert!(shown.contains("pushes in the last minute: 1"), "{shown}");
    assert!(!shown.contains("push cooldown: 0 s"), "{shown}");
    let refused = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    assert!(reply_message(&refused).contains("Wait a minute"));
    server.admin_throttle("clear", "frank");
    // A new push goes to the phone (which rejects it again).
    let reply = nas
        .exchange_within(
            &nas.login_request("frank", "frank-password,push"),
            Duration::from_secs(20),
        )
        .await
        .expect("reply");
    assert!(
        !reply_message(&reply).contains("Wait a minute"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("frank@example.com"), 2);
}

#[test]
fn without_a_server_the_command_says_so() {
    let output = Command::new(binary())
        .args([
            "admin",
            "throttle",
            "show",
            "alice",
            "--metrics",
            "127.0.0.1:9",
        ])
        .output()
        .expect("admin runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no answer from 127.0.0.1:9"), "{stderr}");
}
