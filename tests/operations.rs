//! Running the bridge: the API token is kept alive by its own traffic (one
//! keep-alive call per idle interval, none while logins flow), `/metrics`
//! shows the Okta families, and `/health` follows Okta's state.

mod support;

use okta_sim::SimFaultMode;
use radius_proto::packet::Code;
use std::time::{Duration, Instant};
use support::*;

const USERS_ME: &str = "/api/v1/users/me";

async fn wait_calls(org: &okta_sim::SimHandle, path: &str, at_least: usize) {
    let start = Instant::now();
    while org.records().calls_to(path) < at_least {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "{path} was called {} times, expected {at_least}",
            org.records().calls_to(path)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn an_idle_server_keeps_its_token_alive_and_traffic_makes_it_unneeded() {
    let org = start_org().await;
    let config = with_okta_keys(
        &config_for(&org.base_url()),
        "keepalive_interval_seconds = 1\ncredential_probe_seconds = 1",
    );
    let server = TestServer::start(&config).await;
    // The start-up check, then the first keep-alive.
    wait_calls(&org, USERS_ME, 2).await;

    // Idle for about three intervals: about three keep-alive calls.
    let before = org.records().calls_to(USERS_ME);
    tokio::time::sleep(Duration::from_millis(3_500)).await;
    let idle = org.records().calls_to(USERS_ME) - before;
    assert!(
        (2..=4).contains(&idle),
        "{idle} keep-alive calls while idle"
    );
    server
        .wait_counter("okta_keepalive_calls_total{result=\"ok\"}", 2.0)
        .await;

    // Logins more often than the interval keep the token's last use fresh.
    wait_calls(&org, USERS_ME, org.records().calls_to(USERS_ME) + 1).await;
    let before = org.records().calls_to(USERS_ME);
    for _ in 0..12 {
        assert_eq!(
            login_code(server.radius, "alice", "alice-password").await,
            Some(Code::AccessAccept)
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(
        org.records().calls_to(USERS_ME),
        before,
        "no keep-alive while logins flow"
    );
}

#[tokio::test]
async fn metrics_show_okta_and_health_follows_it() {
    let org = start_org().await;
    let config = with_okta_keys(&config_for(&org.base_url()), "credential_probe_seconds = 1");
    let server = TestServer::start(&config).await;
    server.wait_health(200).await;
    assert_eq!(
        login_code(server.radius, "alice", "alice-password").await,
        Some(Code::AccessAccept)
    );
    let text = server.metrics_text().await;
    for family in [
        "okta_calls_total{endpoint=\"authn\",status=\"200\"}",
        "okta_calls_total{endpoint=\"users_me\",status=\"200\"}",
        "okta_call_duration_seconds_bucket{endpoint=\"authn\"",
        "okta_rate_limit_remaining{bucket=\"authn\"}",
        "okta_requests_in_flight",
        "okta_credential_valid 1",
        "okta_api_token_last_use_timestamp_seconds",
        "okta_api_token_predicted_expiry_timestamp_seconds",
    ] {
        assert!(text.contains(family), "{family} missing:\n{text}");
    }
    let last_use = metric_value(&text, "okta_api_token_last_use_timestamp_seconds");
    let expiry = metric_value(&text, "okta_api_token_predicted_expiry_timestamp_seconds");
    assert_eq!(expiry - last_use, 30.0 * 86_400.0);

    // Okta fails: the next login notices, /health turns red.
    org.faults().set_mode(SimFaultMode::InternalError);
    let _ = login_code(server.radius, "alice", "alice-password").await;
    let body = server.wait_health(503).await;
    assert!(body.contains("unhealthy"), "{body}");
    // Okta is back: the probe notices without any login.
    org.faults().set_mode(SimFaultMode::Normal);
    server.wait_health(200).await;

    // A revoked token shows in the credential gauge.
    org.revoke_api_token();
    let _ = login_code(server.radius, "alice", "alice-password").await;
    server.wait_health(503).await;
    let text = server.metrics_text().await;
    assert!(text.contains("okta_credential_valid 0"), "{text}");
}
