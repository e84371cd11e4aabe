//! The rate-limit budget seen from outside: a login burst larger than the
//! org's per-minute limit does not run into Okta's 429s, and every request
//! still gets its reply (the ones the budget cannot fit are rejected at once
//! with a reason instead of waiting past their deadline).

mod support;

use radius_proto::packet::Code;
use support::*;

#[tokio::test]
async fn a_login_burst_over_the_limit_gets_replies_and_no_429s() {
    let org = start_org_with(|config| config.authn_rate_limit = 10).await;
    let server = TestServer::start(&config_for(&org.base_url())).await;

    let mut logins = Vec::new();
    for i in 0..30 {
        let radius = server.radius;
        let (user, password) = if i % 2 == 0 {
            ("alice", "alice-password")
        } else {
            ("bob", "bob, with a comma")
        };
        logins.push(tokio::spawn(async move {
            login_code(radius, user, password).await
        }));
    }
    let mut accepted = 0;
    let mut rejected = 0;
    for login in logins {
        match login.await.expect("join") {
            Some(Code::AccessAccept) => accepted += 1,
            Some(Code::AccessReject) => rejected += 1,
            other => panic!("every request gets a reply, got {other:?}"),
        }
    }
    assert!(accepted >= 1, "some logins fit the budget");
    assert!(rejected >= 1, "the rest are refused rather than late");
    assert_eq!(
        org.rate_limited_responses(),
        0,
        "the bridge held back instead of meeting 429s"
    );
    let audits = server.logs.wait_audits(30).await;
    assert!(
        audits
            .iter()
            .any(|audit| audit["reason"] == "okta_rate_limit_budget"),
        "the rejections say why"
    );
    let text = server.metrics_text().await;
    assert!(
        text.contains("okta_budget_rejections_total{class=\"login\",bucket=\"authn\"}"),
        "{text}"
    );
    assert!(
        text.contains("okta_rate_limit_remaining{bucket=\"authn\"}"),
        "{text}"
    );
}

#[tokio::test]
async fn the_concurrency_cap_keeps_the_org_under_its_concurrent_limit() {
    let org = start_org_with(|config| config.concurrency_limit = 3).await;
    org.faults()
        .set_latency(std::time::Duration::from_millis(200));
    let config = with_okta_keys(&config_for(&org.base_url()), "max_concurrent = 2");
    let server = TestServer::start(&config).await;
    let mut logins = Vec::new();
    for i in 0..8 {
        let radius = server.radius;
        let user = if i % 2 == 0 { "alice" } else { "bob" };
        let password = if i % 2 == 0 {
            "alice-password"
        } else {
            "bob, with a comma"
        };
        logins.push(tokio::spawn(async move {
            login_code(radius, user, password).await
        }));
    }
    for login in logins {
        assert!(
            login.await.expect("join").is_some(),
            "every request gets a reply"
        );
    }
    assert_eq!(org.rate_limited_responses(), 0);
    assert!(org.peak_concurrency() <= 3, "{}", org.peak_concurrency());
}
