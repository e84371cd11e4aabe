//! One 429 must not shut every login out. Seen from outside, over RADIUS:
//! a 429 whose `X-Rate-Limit-Reset` lies an hour ahead holds logins for one
//! Okta window at most (and, read on Okta's own clock, only as long as that
//! clock says); Okta's per-user 429 on one user's login does not stop
//! another user's; a 429 without rate-limit headers does not stop the next
//! login.

mod support;

use okta_sim::SimRateLimited;
use radius_proto::packet::Code;
use std::time::{Duration, Instant};
use support::*;

/// Longer than the test client's 2 s deadline: a reply must come before.
const NAS_WAIT: Duration = Duration::from_secs(4);
/// Okta's documented window and its SDKs' one-second margin, and one more
/// second for the test's own clock.
const ONE_WINDOW: Duration = Duration::from_secs(62);

/// Sends a login and returns its reply code and its audit reason.
async fn login(server: &TestServer, nas: &Nas, user: &str, password: &str) -> (Code, String) {
    let before = server.logs.audits().len();
    let reply = nas
        .exchange_within(&nas.login_request(user, password), NAS_WAIT)
        .await
        .unwrap_or_else(|| panic!("{user}: a reply arrives within the NAS's wait"));
    let audits = server.logs.wait_audits(before + 1).await;
    // Logins here go one at a time: the new audit line is this login's.
    let reason = audits[before]["reason"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (reply.code(), reason)
}

/// A server and an org that answered one healthy login, so the bridge knows
/// the `/api/v1/authn` bucket before the 429.
async fn after_one_login(clock_skew: i64) -> (okta_sim::SimHandle, TestServer, Nas) {
    let org = start_org().await;
    org.faults().set_clock_skew(clock_skew);
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let (code, reason) = login(&server, &nas, "bob", "bob, with a comma").await;
    assert_eq!(code, Code::AccessAccept, "healthy: {reason}");
    (org, server, nas)
}

/// Alice's login meets the org's 429 and is rejected for it.
async fn alice_meets_a_429(server: &TestServer, nas: &Nas) {
    let (code, reason) = login(server, nas, "alice", "alice-password").await;
    assert_eq!(
        (code, reason.as_str()),
        (Code::AccessReject, "okta_rate_limited")
    );
}

#[tokio::test]
async fn a_reset_an_hour_ahead_holds_logins_for_one_window_at_most() {
    let (org, server, nas) = after_one_login(0).await;
    org.faults().rate_limit_authn(
        1,
        SimRateLimited::Bucket {
            resets_in: Duration::from_secs(3600),
        },
    );
    alice_meets_a_429(&server, &nas).await;
    let refused_at = Instant::now();

    // The bucket is empty as Okta says: a login now is refused at once...
    let (code, reason) = login(&server, &nas, "bob", "bob, with a comma").await;
    assert_eq!(
        (code, reason.as_str()),
        (Code::AccessReject, "okta_rate_limit_budget")
    );
    // ...but not for the hour the reset claims: one window, then Okta again.
    tokio::time::sleep_until((refused_at + ONE_WINDOW).into()).await;
    let (code, reason) = login(&server, &nas, "bob", "bob, with a comma").await;
    assert_eq!(code, Code::AccessAccept, "after one window: {reason}");
    assert_eq!(org.records().authn_calls("bob@example.com"), 2);
}

#[tokio::test]
async fn a_reset_an_hour_ahead_on_okta_clock_is_read_on_that_clock() {
    // Okta's clock is an hour ahead of the bridge's: its reset, two seconds
    // after its own `Date`, is an hour ahead of the bridge's clock.
    let (org, server, nas) = after_one_login(3600).await;
    org.faults().rate_limit_authn(
        1,
        SimRateLimited::Bucket {
            resets_in: Duration::from_secs(2),
        },
    );
    alice_meets_a_429(&server, &nas).await;
    tokio::time::sleep(Duration::from_secs(5)).await;
    let (code, reason) = login(&server, &nas, "bob", "bob, with a comma").await;
    assert_eq!(code, Code::AccessAccept, "{reason}");
    assert_eq!(org.records().authn_calls("bob@example.com"), 2);
}

#[tokio::test]
async fn a_per_user_429_does_not_stop_another_users_login() {
    let (org, server, nas) = after_one_login(0).await;
    org.faults().rate_limit_authn(1, SimRateLimited::PerUser);
    alice_meets_a_429(&server, &nas).await;
    let (code, reason) = login(&server, &nas, "bob", "bob, with a comma").await;
    assert_eq!(code, Code::AccessAccept, "{reason}");
    assert_eq!(org.records().authn_calls("bob@example.com"), 2);
}

#[tokio::test]
async fn a_429_without_rate_limit_headers_stops_nothing() {
    let (org, server, nas) = after_one_login(0).await;
    org.faults().rate_limit_authn(1, SimRateLimited::NoHeaders);
    alice_meets_a_429(&server, &nas).await;
    let (code, reason) = login(&server, &nas, "alice", "alice-password").await;
    assert_eq!(code, Code::AccessAccept, "{reason}");
    assert_eq!(org.records().authn_calls("alice@example.com"), 2);
}
