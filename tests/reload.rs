//! What a SIGHUP does with each section of the config: a rotated `[state]`
//! key seals new challenges while the previous key still opens the pending
//! ones, `[push_limits]` and the `[abuse]` throttles take effect at once, and
//! every setting that needs a restart is named in a warning.

mod support;

use okta_sim::totp;
use radius_proto::packet::{Code, Packet};
use std::time::{SystemTime, UNIX_EPOCH};
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";
const ROTATED_KEY: &str = "a0b1c2d3e4f5061728394a5b6c7d8e9fa0b1c2d3e4f5061728394a5b6c7d8e9f";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn assert_challenge(reply: &Packet, prompt: &str) -> Vec<u8> {
    assert_eq!(
        reply.code(),
        Code::AccessChallenge,
        "{}",
        reply_message(reply)
    );
    assert!(
        reply_message(reply).contains(prompt),
        "{}",
        reply_message(reply)
    );
    state_of(reply)
}

fn config(org_url: &str) -> String {
    format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\npush_mode = \"challenge\"\n",
        config_for(org_url)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sighup_applies_or_names_every_changed_setting() {
    let org = start_mfa_org(|_| {}).await;
    let config = config(&org.base_url());
    let server =
        TestServer::start_with_env(&config, &[("TEST_ROTATED_STATE_KEY", ROTATED_KEY)]).await;
    let nas = Nas::new(server.radius).await;

    // A login waits for its code when the operator rotates the State key.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    let pending = assert_challenge(&reply, "authenticator app");

    let reloaded = config
        .replace(
            "key_env = \"TEST_STATE_KEY\"",
            "key_env = \"TEST_ROTATED_STATE_KEY\"",
        )
        .replace(
            "api_token_env = \"TEST_OKTA_API_TOKEN\"",
            "api_token_env = \"TEST_OKTA_API_TOKEN\"\nrequest_timeout_ms = 7000",
        )
        .replace("reject_delay_ms = 0", "reject_delay_ms = 5")
        .replace("level = \"debug\"", "level = \"info\"")
        + "\n[push_limits]\nmax_per_minute = 1\n\n[abuse]\nmax_failures_per_user = 1\n";
    std::fs::write(server.config_path(), reloaded).expect("rewrite the config");
    server.signal("HUP");
    server
        .logs
        .wait_for("the reload", |e| e["message"] == "config reloaded")
        .await;
    let named: Vec<String> = server
        .logs
        .events()
        .into_iter()
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("only takes effect after a restart"))
        })
        .filter_map(|e| e["setting"].as_str().map(str::to_owned))
        .collect();
    for setting in [
        "okta.request_timeout_ms",
        "server.reject_delay_ms",
        "log.level",
    ] {
        assert!(
            named.iter().any(|n| n == setting),
            "{setting} is named: {named:?}"
        );
    }
    assert_eq!(named.len(), 3, "nothing applied is named: {named:?}");
    server
        .logs
        .wait_for("the State key rotation", |e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("the [state] key changed"))
        })
        .await;

    // The pending login, sealed with the previous key, still completes.
    let reply = nas
        .exchange(&nas.answer("dave", &totp::code(DAVE_TOTP, now()), &pending))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );

    // A new challenge is sealed with the new key: a replica that has only
    // the new key continues it.
    let reply = nas
        .exchange(&nas.login_request("grace", "grace-password"))
        .await
        .expect("reply");
    let menu = assert_challenge(&reply, "1 - Okta Verify push");
    let replica = TestServer::start_with_env(&config, &[("TEST_STATE_KEY", ROTATED_KEY)]).await;
    let other_nas = Nas::new(replica.radius).await;
    let reply = other_nas
        .exchange(&other_nas.answer("grace", "2", &menu))
        .await
        .expect("reply");
    assert_challenge(&reply, "authenticator app");

    // [push_limits]: one push a minute now.
    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Approve");
    org.resolve_push("pat@example.com", true);
    let reply = nas
        .exchange(&nas.answer("pat", "", &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    assert!(
        reply_message(&reply).contains("Too many push requests"),
        "{}",
        reply_message(&reply)
    );

    // [abuse]: one wrong password is the limit now.
    let reply = nas
        .exchange(&nas.login_request("alice", "a-wrong-guess"))
        .await
        .expect("reply");
    assert!(reply_message(&reply).contains("Wrong user name or password"));
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("reply");
    assert!(
        reply_message(&reply).contains("Too many failed logins"),
        "{}",
        reply_message(&reply)
    );
}
