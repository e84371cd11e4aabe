//! Direct Authentication's ID tokens and the org's rotating signing keys,
//! end to end: the real binary, the simulated org over HTTP. A rotation in
//! the middle of a run costs one `/keys` fetch and no login; a burst of
//! logins signed with a new key fetches once; `/keys` going down leaves
//! logins working on the keys in hand; every spoiled ID token is a reject
//! with its own audit reason; `slow_down` stretches the polls by 5 s; and
//! `check-config --online` says what of the OIDC app works.

mod support;

use okta_sim::direct::SimIdTokenFault;
use radius_proto::packet::Code;
use std::time::Duration;
use support::*;

async fn direct_server(org: &okta_sim::SimHandle, mfa: &str) -> TestServer {
    let config = format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 15\n{mfa}\n",
        config_for_api(&org.base_url(), Api::Direct)
    );
    TestServer::start(&config).await
}

async fn accept(server: &TestServer, user: &str, password: &str) {
    let code = login_code(server.radius, user, password).await;
    assert_eq!(code, Some(Code::AccessAccept), "{user}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_rotation_mid_run_costs_one_fetch_and_no_login() {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = direct_server(&org, "").await;
    accept(&server, "alice", "alice-password").await;
    let before = org.direct().keys_fetches();
    assert!(before >= 1, "the key set was fetched");

    org.direct().rotate_signing_key();
    // Logins at once after the rotation, several in parallel: the new kid
    // is fetched once, and every login goes on.
    let logins: Vec<_> = (0..6)
        .map(|_| {
            let radius = server.radius;
            tokio::spawn(async move { login_code(radius, "bob", "bob-password").await })
        })
        .collect();
    for login in logins {
        assert_eq!(login.await.expect("joins"), Some(Code::AccessAccept));
    }
    accept(&server, "alice", "alice-password").await;
    assert_eq!(
        org.direct().keys_fetches(),
        before + 1,
        "one /keys fetch for the new key"
    );
    assert!(
        server
            .counter("okta_jwks_fetches_total{result=\"ok\"}")
            .await
            >= 2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_down_with_keys_in_hand_leaves_logins_working() {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = direct_server(&org, "").await;
    accept(&server, "alice", "alice-password").await;
    org.direct().set_keys_down(true);
    accept(&server, "alice", "alice-password").await;
    accept(&server, "bob", "bob-password").await;

    // A new key while /keys is down: that login cannot be checked.
    org.direct().rotate_signing_key();
    let nas = Nas::new(server.radius).await;
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("reply");
    assert_ne!(reply.code(), Code::AccessAccept);
    org.direct().set_keys_down(false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn spoiled_id_tokens_are_rejected_each_with_its_reason() {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = direct_server(&org, "").await;
    let cases = [
        (SimIdTokenFault::BadSignature, "id_token_bad_signature"),
        (SimIdTokenFault::WrongIssuer, "id_token_wrong_issuer"),
        (SimIdTokenFault::WrongAudience, "id_token_wrong_audience"),
        (SimIdTokenFault::Expired, "id_token_expired"),
        (SimIdTokenFault::AlgNone, "id_token_algorithm"),
        (SimIdTokenFault::Hs256, "id_token_algorithm"),
    ];
    for (fault, _) in cases {
        org.direct().spoil_id_tokens(1, fault);
        let code = login_code(server.radius, "alice", "alice-password").await;
        assert_eq!(code, Some(Code::AccessReject), "{fault:?}");
    }
    // The next token is good again.
    accept(&server, "alice", "alice-password").await;
    let reasons: Vec<String> = server
        .logs
        .wait_audits(cases.len() + 1)
        .await
        .iter()
        .map(|audit| audit["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    let mut expected: Vec<&str> = cases.iter().map(|(_, reason)| *reason).collect();
    expected.push("okta_success");
    assert_eq!(reasons, expected);
    assert_eq!(
        server
            .counter("okta_id_tokens_rejected_total{reason=\"id_token_algorithm\"}")
            .await,
        2.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_down_adds_five_seconds_between_polls() {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = direct_server(&org, "auto_push = true").await;
    org.direct().slow_down_next_polls(1);
    let nas = Nas::new(server.radius).await;
    let reply = nas
        .exchange_within(
            &nas.login_request("pat", "pat-password"),
            Duration::from_millis(2500),
        )
        .await;
    assert!(reply.is_none(), "the push is held");
    // The first poll got slow_down; the next waits the interval and 5 s more.
    org.resolve_push("pat@example.com", true);
    let reply = nas.receive(Duration::from_secs(15)).await.expect("a reply");
    let reply = radius_proto::packet::Packet::decode(&reply).expect("decodes");
    assert_eq!(reply.code(), Code::AccessAccept);
    let polls: Vec<_> = org
        .records()
        .requests()
        .into_iter()
        .filter(|r| r.path == "/oauth2/v1/token")
        .skip(1)
        .map(|r| r.at)
        .collect();
    assert_eq!(polls.len(), 2, "one poll answered slow_down, then one more");
    let gap = polls[1].duration_since(polls[0]).unwrap_or_default();
    // Okta's interval (1 s here) and 5 s: 6 s, where 2 s would be usual.
    assert!(gap >= Duration::from_millis(5500), "polls {gap:?} apart");
    assert_eq!(org.records().challenges("pat@example.com"), 1);
}

#[tokio::test]
async fn check_config_online_checks_the_app_its_grants_and_keys() {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = config_for_api(&org.base_url(), Api::Direct);
    let (code, text) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || check_config_online(&config)
    })
    .await
    .expect("join");
    assert_eq!(code, Some(0), "{text}");
    for line in [
        "the OIDC app authenticates, and the password grant is enabled",
        "the MFA OTP grant is enabled",
        "the MFA OOB grant is enabled",
        "the challenge endpoint answers",
        "signing keys are reachable",
    ] {
        assert!(text.contains(line), "{line}: {text}");
    }
    assert!(
        !text.contains(DIRECT_CLIENT_SECRET),
        "the secret is never printed"
    );

    // The app without the MFA grants: each one is named with the fix.
    let mut app = okta_sim::direct::SimOidcApp::new(DIRECT_CLIENT_ID);
    app.client_secret = Some(DIRECT_CLIENT_SECRET.to_owned());
    app.grants = vec!["password".to_owned()];
    org.direct().register(app);
    let (code, text) = tokio::task::spawn_blocking({
        let config = config.clone();
        move || check_config_online(&config)
    })
    .await
    .expect("join");
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("the MFA OTP grant is not enabled"), "{text}");

    // A wrong client secret: the app does not authenticate.
    let mut app = okta_sim::direct::SimOidcApp::new(DIRECT_CLIENT_ID);
    app.client_secret = Some("another-secret".to_owned());
    org.direct().register(app);
    let (code, text) = tokio::task::spawn_blocking(move || check_config_online(&config))
        .await
        .expect("join");
    assert_eq!(code, Some(3), "{text}");
    assert!(text.contains("invalid_client"), "{text}");
}
