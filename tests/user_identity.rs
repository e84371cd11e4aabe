//! Per-user limits count one person, however the name is typed: spellings
//! that differ by case, by the default domain, or by a `DOMAIN\` prefix share
//! one failed-password budget, one pending push, one push cooldown and one
//! per-minute push allowance (Okta treats them as one user, so must we),
//! with either Okta API.

mod support;

use radius_proto::packet::{Code, Packet};
use std::time::Duration;
use support::*;

const PUSH_WAIT: Duration = Duration::from_secs(20);

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

with_both_apis!(spellings_of_one_login_share_the_failed_password_budget);
async fn spellings_of_one_login_share_the_failed_password_budget(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = format!(
        "{}\n[abuse]\nmax_failures_per_user = 3\nmax_failures_per_source = 0\n",
        config_for_api(&org.base_url(), api)
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    for spelling in ["alice", "ALICE@example.com", "Alice"] {
        let reply = nas
            .exchange(&nas.login_request(spelling, "a-guess"))
            .await
            .expect("answered");
        assert!(
            reply_message(&reply).contains("Wrong user name or password"),
            "{spelling}: {}",
            reply_message(&reply)
        );
    }
    assert_eq!(logins(&org, api, "alice@example.com"), 3);

    // Two more spellings, even with the right password: refused without
    // asking Okta, because alice already used her three failures.
    for spelling in ["EXAMPLE\\ALICE", "alice@EXAMPLE.COM"] {
        let reply = nas
            .exchange(&nas.login_request(spelling, "alice-password"))
            .await
            .expect("answered");
        assert_eq!(reply.code(), Code::AccessReject, "{spelling}");
        assert!(
            reply_message(&reply).contains("Too many failed logins"),
            "{spelling}: {}",
            reply_message(&reply)
        );
    }
    assert_eq!(logins(&org, api, "alice@example.com"), 3);
}

with_both_apis!(spellings_of_one_login_share_the_pending_push_and_the_push_limits);
async fn spellings_of_one_login_share_the_pending_push_and_the_push_limits(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\nauto_push = true\npush_mode = \"challenge\"\n\
         \n[push_limits]\nmax_per_minute = 2\ncooldown_after_reject_seconds = 60\n",
        config_for_api(&org.base_url(), api)
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    // Three spellings while one push is pending: one push, joined twice.
    let mut states = Vec::new();
    for spelling in ["pat", "PAT@example.com", "EXAMPLE\\Pat"] {
        let reply = nas
            .exchange(&nas.login_request(spelling, "pat-password"))
            .await
            .expect("reply");
        states.push((spelling, assert_challenge(&reply, "Approve")));
    }
    assert_eq!(
        org.records().pushes_sent("pat@example.com"),
        1,
        "one pending push for every spelling"
    );
    org.resolve_push("pat@example.com", true);
    for (spelling, state) in states {
        let reply = nas
            .exchange(&nas.answer(spelling, "", &state))
            .await
            .expect("reply");
        assert_eq!(
            reply.code(),
            Code::AccessAccept,
            "{spelling}: {}",
            reply_message(&reply)
        );
    }

    // The second push of the minute, under yet another spelling; the third
    // (another spelling again) is refused.
    let reply = nas
        .exchange(&nas.login_request("Pat@Example.Com", "pat-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Approve");
    org.resolve_push("pat@example.com", true);
    let reply = nas
        .exchange(&nas.answer("Pat@Example.Com", "", &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    let reply = nas
        .exchange(&nas.login_request("EXAMPLE\\PAT", "pat-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("Too many push requests"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("pat@example.com"), 2);

    // Frank rejects a push: no new push during the cooldown, whatever the spelling.
    let reply = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Approve");
    let mut reply = nas
        .exchange_within(&nas.answer("frank", "", &state), PUSH_WAIT)
        .await
        .expect("reply");
    if reply.code() == Code::AccessChallenge {
        let state = assert_challenge(&reply, "Still waiting");
        reply = nas
            .exchange_within(&nas.answer("frank", "", &state), PUSH_WAIT)
            .await
            .expect("reply");
    }
    assert_eq!(reply.code(), Code::AccessReject, "frank rejected the push");
    for spelling in ["FRANK", "frank@EXAMPLE.com", "EXAMPLE\\Frank"] {
        let reply = nas
            .exchange(&nas.login_request(spelling, "frank-password,push"))
            .await
            .expect("reply");
        assert_eq!(reply.code(), Code::AccessReject, "{spelling}");
        assert!(
            reply_message(&reply).contains("Wait a minute"),
            "{spelling}: {}",
            reply_message(&reply)
        );
    }
    assert_eq!(org.records().pushes_sent("frank@example.com"), 1);
}
