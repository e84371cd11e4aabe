//! The bridge's Okta credentials seen from outside: a revoked API token
//! turns `/health` red and logins are refused without asking Okta for each,
//! until the token works again; `check-config --online` reports the token's
//! owner and predicted expiry and fails with exit status 3 for a dead token;
//! an OAuth service app (DPoP, nonce) makes the management calls, and its
//! signing key can be rolled over at run time while logins keep working.

mod support;

use okta_client::oauth::generate_key_file;
use okta_sim::oauth::{SimOAuthSettings, SimServiceApp};
use radius_proto::packet::Code;
use std::process::Command;
use std::time::Duration;
use support::*;

const ALICE: &str = "alice@example.com";

#[tokio::test]
async fn a_revoked_token_turns_health_red_and_logins_stop_reaching_okta_until_restored() {
    let org = start_org().await;
    let config = with_okta_keys(&config_for(&org.base_url()), "credential_probe_seconds = 1");
    let server = TestServer::start(&config).await;
    server.wait_health(200).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );

    org.revoke_api_token();
    // The first login after the revocation meets the 401 and marks the token invalid.
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessReject)
    );
    let body = server.wait_health(503).await;
    assert!(body.contains("E0000011"), "{body}");
    server
        .logs
        .wait_for("the error naming the causes", |event| {
            event["level"] == "ERROR"
                && event["fields"]["message"]
                    .as_str()
                    .or(event["message"].as_str())
                    .is_some_and(|text| text.contains("30 days"))
        })
        .await;

    let authn_before = org.records().authn_calls(ALICE);
    for _ in 0..5 {
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessReject)
        );
    }
    assert_eq!(
        org.records().authn_calls(ALICE),
        authn_before,
        "logins are refused without sending them to Okta"
    );

    org.restore_api_token();
    server.wait_health(200).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
}

#[tokio::test]
async fn check_config_online_reports_the_token_and_fails_for_a_revoked_one() {
    let org = start_org().await;
    let config = config_for(&org.base_url());
    let (code, text) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || check_config_online(&config)
    })
    .await
    .expect("join");
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("radius-service@example.com"), "{text}");
    assert!(text.contains("predicted expiry"), "{text}");
    assert!(!text.contains(API_TOKEN), "the token is never printed");

    org.deactivate_token_creator();
    let (code, text) = tokio::task::spawn_blocking(move || check_config_online(&config))
        .await
        .expect("join");
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("E0000011"), "{text}");
}

#[tokio::test]
async fn an_idle_token_older_than_30_days_is_refused_by_the_org() {
    let org = start_org().await;
    org.age_api_token(31);
    let config = config_for(&org.base_url());
    let (code, text) = tokio::task::spawn_blocking(move || check_config_online(&config))
        .await
        .expect("join");
    assert_eq!(code, Some(3), "{text}");
}

/// A config whose client needs groups (policy), fetched with the OAuth app.
fn oauth_config(org_url: &str, dir: &std::path::Path, active_kid: &str) -> String {
    let base = config_for(org_url).replace(
        "deadline_ms = 2000\n",
        "deadline_ms = 2000\npolicy = \"vpn\"\n",
    );
    let base = with_okta_keys(&base, "groups_cache_seconds = 0");
    format!(
        r#"{base}
[policies.vpn]
require_groups = ["vpn-users"]

[okta.oauth]
client_id = "0oa-radius"
keys = [{{ kid = "k1", file = "{k1}" }}, {{ kid = "k2", file = "{k2}" }}]
active_kid = "{active_kid}"
"#,
        k1 = dir.join("k1.pem").display(),
        k2 = dir.join("k2.pem").display(),
    )
}

#[tokio::test]
async fn oauth_makes_the_management_calls_and_keys_roll_over_without_downtime() {
    let org = start_org_with(|config| {
        // Tokens shorter than the refresh margin: every call gets a new one,
        // so each login shows which key signed.
        config.oauth = SimOAuthSettings {
            token_lifetime: Duration::from_secs(1),
            nonce_period: Duration::from_secs(2),
            ..SimOAuthSettings::default()
        };
    })
    .await;
    let keys = tempfile::tempdir().expect("tempdir");
    let k1 = generate_key_file(&keys.path().join("k1.pem"), Some("k1")).expect("key 1");
    let k2 = generate_key_file(&keys.path().join("k2.pem"), Some("k2")).expect("key 2");
    org.oauth().register(SimServiceApp {
        client_id: "0oa-radius".into(),
        keys: vec![k1, k2],
        scopes: vec![
            "okta.users.read".into(),
            "okta.users.manage".into(),
            "okta.groups.read".into(),
        ],
        require_dpop: true,
    });

    let server = TestServer::start(&oauth_config(&org.base_url(), keys.path(), "k1")).await;
    // The start-up check leaves the permission checks on a made-up user to
    // `check-config --online`: no 404 in the call counters at every start.
    server
        .logs
        .wait_for("the start-up check", |event| {
            event["message"] == "Okta start-up check"
        })
        .await;
    assert_eq!(
        server.counter("okta_calls_total{status=\"404\"}").await,
        0.0,
        "{}",
        server.metrics_text().await
    );
    for _ in 0..2 {
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept)
        );
    }
    let record = org.oauth().record("0oa-radius").expect("app");
    assert!(record.resource_requests >= 2, "{record:?}");
    assert!(record.kids_used.iter().all(|kid| kid == "k1"), "{record:?}");

    // Rollover: make k2 active, reload, then retire k1 at Okta.
    std::fs::write(
        server.config_path(),
        oauth_config(&org.base_url(), keys.path(), "k2"),
    )
    .expect("rewrite config");
    let hangup = Command::new("kill")
        .args(["-HUP", &server.pid().to_string()])
        .status()
        .expect("kill runs");
    assert!(hangup.success());
    server
        .logs
        .wait_for("the reload", |event| {
            event["message"] == "Okta credentials reloaded"
        })
        .await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    assert!(org.oauth().remove_key("0oa-radius", "k1"));
    for _ in 0..2 {
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept)
        );
    }
    // bob is not in vpn-users: the policy still decides from the groups.
    assert_eq!(
        login_code(server.radius, "bob", "bob, with a comma").await,
        Some(Code::AccessReject)
    );
    let record = org.oauth().record("0oa-radius").expect("app");
    assert_eq!(record.kids_used.last().map(String::as_str), Some("k2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_credential_reads_not_checked_until_okta_has_answered() {
    // An org that is not there yet: nothing is known of the token.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let server = TestServer::start(&config_for(&format!("http://127.0.0.1:{port}"))).await;
    server
        .logs
        .wait_for("the start-up check", |event| {
            event["message"] == "Okta start-up check failed"
        })
        .await;
    assert_eq!(server.counter("okta_credential_valid").await, -1.0);
    assert_eq!(server.counter("okta_up").await, 0.0);

    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    assert_eq!(server.wait_counter("okta_credential_valid", 1.0).await, 1.0);
    assert_eq!(server.counter("okta_up").await, 1.0);
}
