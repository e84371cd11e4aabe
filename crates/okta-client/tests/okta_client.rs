//! The Okta client against the simulated Okta org, over real HTTP on loopback:
//! every answer of primary authentication, the headers the org must see, rate
//! limits and the ways Okta fails.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use okta_api::authn::AuthnResponse;
use okta_api::authn::{AuthnStatus, FactorProvider, FactorResult, FactorType};
use okta_client::error::{OktaError, codes};
use okta_client::{OktaClient, OktaReply, OktaSettings, PrimaryAuthn, USER_AGENT};
use okta_sim::{
    self as sim, FactorListSpelling, SimConfig, SimDirectory, SimFaultMode, SimHandle,
    SimUserStatus,
};
use secrecy::{ExposeSecret, SecretString};

const TOKEN: &str = "00sim-api-token-for-tests";

fn loopback() -> SocketAddr {
    SocketAddr::from((Ipv4Addr::LOCALHOST, 0))
}

fn demo_directory() -> SimDirectory {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/demo-users.toml");
    SimDirectory::from_toml_file(path).expect("the demo directory loads")
}

fn demo_config() -> SimConfig {
    SimConfig::new(demo_directory().users, TOKEN)
}

async fn start(config: SimConfig) -> SimHandle {
    sim::start(config, loopback()).await.expect("org starts")
}

fn client_for(org: &SimHandle, token: &str, timeout: Duration) -> OktaClient {
    let mut settings = OktaSettings::new(org.base_url(), SecretString::from(token));
    settings.request_timeout = timeout;
    settings.connect_timeout = Duration::from_secs(2);
    OktaClient::new(settings).expect("client builds")
}

fn client(org: &SimHandle) -> OktaClient {
    client_for(org, TOKEN, Duration::from_secs(10))
}

async fn login(
    client: &OktaClient,
    username: &str,
    password: &str,
) -> Result<OktaReply<AuthnResponse>, OktaError> {
    let password = SecretString::from(password);
    client
        .authn()
        .primary(&PrimaryAuthn {
            username,
            password: &password,
            forwarded_for: Some(IpAddr::from([203, 0, 113, 7])),
        })
        .await
}

fn api_error(result: Result<OktaReply<AuthnResponse>, OktaError>) -> OktaError {
    match result {
        Ok(reply) => panic!("expected an error, got {:?}", reply.body.status),
        Err(error) => error,
    }
}

#[tokio::test]
async fn right_password_without_factors_succeeds() {
    let org = start(demo_config()).await;
    let reply = login(&client(&org), "alice@example.com", "alice-password")
        .await
        .expect("alice signs in");
    assert_eq!(reply.http_status, 200);
    assert_eq!(reply.body.status, AuthnStatus::Success);
    assert!(reply.body.state_token.is_none());
    let user = reply.body.user().expect("embedded user");
    assert_eq!(user.login(), "alice@example.com");
    assert_eq!(user.first_name(), Some("Alice"));
    assert!(user.id().starts_with("00u"));
    assert!(reply.request_id.as_deref().is_some_and(|id| !id.is_empty()));
}

#[tokio::test]
async fn logins_match_the_full_login_ignoring_case() {
    let org = start(demo_config()).await;
    let client = client(&org);
    let reply = login(&client, "ALICE@Example.COM", "alice-password")
        .await
        .expect("case does not matter");
    assert_eq!(reply.body.status, AuthnStatus::Success);
    let error = api_error(login(&client, "alice", "alice-password").await);
    assert_eq!(error.code(), Some(codes::AUTHENTICATION_FAILED));
}

#[tokio::test]
async fn wrong_password_and_unknown_user_are_authentication_failed() {
    let org = start(demo_config()).await;
    let client = client(&org);
    for (username, password) in [
        ("alice@example.com", "not-the-password"),
        ("nobody@example.com", "whatever-password"),
    ] {
        let error = api_error(login(&client, username, password).await);
        match &error {
            OktaError::Api {
                http_status,
                error_code,
                summary,
                request_id,
                ..
            } => {
                assert_eq!(*http_status, 401);
                assert_eq!(error_code, codes::AUTHENTICATION_FAILED);
                assert_eq!(summary, "Authentication failed");
                assert!(request_id.is_some());
            }
            other => panic!("expected Api, got {other:?}"),
        }
        assert!(!error.is_unavailable());
        let text = format!("{error} {error:?}");
        assert!(!text.contains(password), "{text}");
        assert!(text.contains("E0000004"));
    }
}

#[tokio::test]
async fn locked_out_user_is_shown_locked_out_or_hidden() {
    let org = start(demo_config()).await;
    let reply = login(&client(&org), "locked@example.com", "locked-password")
        .await
        .expect("answered");
    assert_eq!(reply.body.status, AuthnStatus::LockedOut);
    assert!(reply.body.state_token.is_none());

    let mut hidden = demo_config();
    hidden.show_lockout_failures = false;
    let org = start(hidden).await;
    let error = api_error(login(&client(&org), "locked@example.com", "locked-password").await);
    assert_eq!(error.code(), Some(codes::AUTHENTICATION_FAILED));
}

#[tokio::test]
async fn repeated_wrong_passwords_lock_the_user_out() {
    let mut config = demo_config();
    config.max_failed_attempts = 3;
    let org = start(config).await;
    let client = client(&org);
    for _ in 0..3 {
        let error = api_error(login(&client, "bob@example.com", "guess").await);
        assert_eq!(error.code(), Some(codes::AUTHENTICATION_FAILED));
    }
    assert_eq!(
        org.user_status("bob@example.com"),
        Some(SimUserStatus::LockedOut)
    );
    let reply = login(&client, "bob@example.com", "bob-password")
        .await
        .expect("answered");
    assert_eq!(reply.body.status, AuthnStatus::LockedOut);

    assert!(org.set_user_status("bob@example.com", SimUserStatus::Active));
    let reply = login(&client, "bob@example.com", "bob-password")
        .await
        .expect("unlocked");
    assert_eq!(reply.body.status, AuthnStatus::Success);
    assert_eq!(org.records().authn_calls("bob@example.com"), 5);
}

#[tokio::test]
async fn expired_password_needs_a_change() {
    let org = start(demo_config()).await;
    let reply = login(&client(&org), "expired@example.com", "expired-password")
        .await
        .expect("answered");
    assert_eq!(reply.body.status, AuthnStatus::PasswordExpired);
    let state_token = reply.body.state_token.as_ref().expect("state token");
    assert!(!format!("{reply:?}").contains(state_token.expose_secret()));
    let next = reply.body.links.as_ref().and_then(|l| l.next.as_ref());
    assert_eq!(next.and_then(|n| n.name.as_deref()), Some("changePassword"));
}

#[tokio::test]
async fn users_with_factors_get_mfa_required() {
    for spelling in [FactorListSpelling::Factors, FactorListSpelling::Factor] {
        let mut config = demo_config();
        config.factor_list_spelling = spelling;
        let org = start(config).await;
        let client = client(&org);

        let reply = login(&client, "carol@example.com", "carol-password")
            .await
            .expect("answered");
        assert_eq!(reply.body.status, AuthnStatus::MfaRequired, "{spelling:?}");
        assert!(reply.body.state_token.is_some());
        let factors = reply.body.factors();
        assert_eq!(factors.len(), 1, "{spelling:?}");
        assert_eq!(factors[0].factor_type, FactorType::Push);
        assert_eq!(factors[0].provider, FactorProvider::Okta);
        let verify = factors[0].verify_href().expect("verify link");
        let url = client.resolve_link(verify).expect("link inside the org");
        assert!(url.path().ends_with("/verify"));
        assert!(url.path().contains(&factors[0].id));

        let dave = login(&client, "dave@example.com", "dave-password")
            .await
            .expect("answered");
        assert_eq!(
            dave.body.factors()[0].factor_type,
            FactorType::TokenSoftwareTotp
        );
        assert_eq!(dave.body.factors()[0].provider, FactorProvider::Google);

        let erin = login(&client, "erin@example.com", "erin-password")
            .await
            .expect("answered");
        let sms = &erin.body.factors()[0];
        assert_eq!(sms.factor_type, FactorType::Sms);
        assert_eq!(sms.profile.phone_number.as_deref(), Some("+1 XXX-XXX-0199"));

        let frank = login(&client, "frank@example.com", "frank-password")
            .await
            .expect("answered");
        let types: Vec<_> = frank
            .body
            .factors()
            .iter()
            .map(|f| f.factor_type.clone())
            .collect();
        assert_eq!(types, [FactorType::Push, FactorType::Question]);
        assert_eq!(
            frank.body.factors()[1].profile.question_text.as_deref(),
            Some("What is your favorite color?")
        );

        let wrong = api_error(login(&client, "carol@example.com", "nope").await);
        assert_eq!(wrong.code(), Some(codes::AUTHENTICATION_FAILED));
    }
}

#[tokio::test]
async fn unknown_api_token_is_refused() {
    let org = start(demo_config()).await;
    let client = client_for(&org, "00not-a-registered-token", Duration::from_secs(10));
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert_eq!(error.code(), Some(codes::INVALID_TOKEN));
    assert_eq!(error.http_status(), Some(401));
    assert!(error.request_id().is_some());
    assert!(!error.to_string().contains("00not-a-registered-token"));
    assert_eq!(org.records().total_calls(), 1);
}

#[tokio::test]
async fn the_org_sees_forwarded_for_and_user_agent_but_no_password() {
    let org = start(demo_config()).await;
    login(&client(&org), "alice@example.com", "alice-password")
        .await
        .expect("signs in");
    let records = org.records();
    assert_eq!(records.authn_calls("alice@example.com"), 1);
    assert_eq!(records.authn_calls("bob@example.com"), 0);
    assert_eq!(
        records.last_forwarded_for("alice@example.com").as_deref(),
        Some("203.0.113.7")
    );
    assert_eq!(
        records.last_user_agent("alice@example.com").as_deref(),
        Some(USER_AGENT)
    );
    assert!(USER_AGENT.starts_with("okta-radius/"));
    assert_eq!(records.total_calls(), 1);
    assert_eq!(records.calls_to("/api/v1/authn"), 1);
    assert!(!format!("{:?}", records.requests()).contains("alice-password"));

    let password = SecretString::from("alice-password");
    client(&org)
        .authn()
        .primary(&PrimaryAuthn {
            username: "alice@example.com",
            password: &password,
            forwarded_for: None,
        })
        .await
        .expect("signs in");
    assert_eq!(records.last_forwarded_for("alice@example.com"), None);
}

#[tokio::test]
async fn rate_limit_headers_are_read_and_the_limit_enforced() {
    let mut config = demo_config();
    config.authn_rate_limit = 3;
    let org = start(config).await;
    let client = client(&org);

    let first = login(&client, "alice@example.com", "alice-password")
        .await
        .expect("within the limit");
    let limit = first.rate_limit.expect("rate-limit headers");
    assert_eq!((limit.limit, limit.remaining), (3, 2));
    assert!(limit.reset > 1_600_000_000);

    let _ = login(&client, "alice@example.com", "alice-password").await;
    // One call is left: the budget keeps it for transactions under way, so a
    // new login is refused at once instead of being sent into a 429.
    let held_back = api_error(login(&client, "alice@example.com", "wrong").await);
    assert!(held_back.is_rate_limited() && held_back.is_budget_exhausted());
    assert_eq!(org.records().authn_calls("alice@example.com"), 2);
    assert_eq!(org.rate_limited_responses(), 0);

    // The management bucket is separate.
    let owner = client.token_owner().await.expect("users/me");
    assert_eq!(owner.body.login(), "radius-service@example.com");
    assert!(owner.rate_limit.is_some_and(|l| l.limit == 1200));
}

#[tokio::test]
async fn internal_error_and_read_only_are_unavailable() {
    let org = start(demo_config()).await;
    let client = client(&org);

    org.faults().set_mode(SimFaultMode::InternalError);
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert_eq!(error.code(), Some(codes::INTERNAL_ERROR));
    assert_eq!(error.http_status(), Some(500));
    assert!(error.is_unavailable());

    org.faults().set_mode(SimFaultMode::ReadOnly);
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert_eq!(error.code(), Some(codes::READ_ONLY));
    assert_eq!(error.http_status(), Some(503));
    assert!(error.is_unavailable());

    org.faults().clear();
    let reply = login(&client, "alice@example.com", "alice-password")
        .await
        .expect("healthy again");
    assert_eq!(reply.body.status, AuthnStatus::Success);
    assert_eq!(org.records().authn_calls("alice@example.com"), 3);
}

#[tokio::test]
async fn slow_or_hanging_org_times_out() {
    let org = start(demo_config()).await;
    let client = client_for(&org, TOKEN, Duration::from_millis(200));

    org.faults().set_latency(Duration::from_secs(5));
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert!(error.is_timeout(), "{error:?}");
    assert!(error.is_unavailable());

    org.faults().set_latency(Duration::ZERO);
    org.faults().set_mode(SimFaultMode::Hang);
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert!(matches!(error, OktaError::Timeout), "{error:?}");
    assert_eq!(error.to_string(), "Okta did not answer in time");

    // The caller's own deadline works the same way.
    let patient = client_for(&org, TOKEN, Duration::from_secs(30));
    let deadline = tokio::time::timeout(
        Duration::from_millis(200),
        login(&patient, "alice@example.com", "alice-password"),
    )
    .await;
    assert!(deadline.is_err());

    org.shutdown().await;
}

#[tokio::test]
async fn closed_port_is_a_connect_error() {
    let listener = std::net::TcpListener::bind(loopback()).expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    let settings = OktaSettings::new(format!("http://{addr}"), SecretString::from(TOKEN));
    let client = OktaClient::new(settings).expect("client");
    let error = api_error(login(&client, "alice@example.com", "alice-password").await);
    assert!(matches!(error, OktaError::Connect(_)), "{error:?}");
    assert!(error.is_unavailable());
    assert!(!error.to_string().contains("alice-password"));
}

#[tokio::test]
async fn stopped_org_refuses_connections() {
    let org = start(demo_config()).await;
    let client = client(&org);
    login(&client, "alice@example.com", "alice-password")
        .await
        .expect("running");
    let base_url = org.base_url();
    org.shutdown().await;
    let fresh =
        OktaClient::new(OktaSettings::new(base_url, SecretString::from(TOKEN))).expect("client");
    let error = api_error(login(&fresh, "alice@example.com", "alice-password").await);
    assert!(matches!(error, OktaError::Connect(_)), "{error:?}");
}

#[tokio::test]
async fn malformed_body_and_unknown_endpoint_get_okta_errors() {
    let org = start(demo_config()).await;
    let http = reqwest::Client::new();
    let response = http
        .post(format!("{}/api/v1/authn", org.base_url()))
        .header("authorization", format!("SSWS {TOKEN}"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 400);
    assert!(response.headers().contains_key("x-okta-request-id"));
    assert!(response.headers().contains_key("x-rate-limit-remaining"));
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000003");
    for field in ["errorSummary", "errorLink", "errorId", "errorCauses"] {
        assert!(body.get(field).is_some(), "{field} missing: {body}");
    }

    let response = http
        .get(format!("{}/api/v1/nothing-here", org.base_url()))
        .header("authorization", format!("SSWS {TOKEN}"))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 404);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000007");

    let response = http
        .post(format!("{}/api/v1/authn", org.base_url()))
        .send()
        .await
        .expect("answered");
    assert_eq!(response.status().as_u16(), 401);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["errorCode"], "E0000011");
}

/// A stand-in org that answers every `/api/v1/authn` with a fixed answer.
async fn canned_org(status: u16, content_type: &'static str, body: &'static str) -> SocketAddr {
    use axum::http::StatusCode;
    let status = StatusCode::from_u16(status).expect("status");
    let app = axum::Router::new().route(
        "/api/v1/authn",
        axum::routing::post(move || async move {
            (
                status,
                [
                    ("content-type", content_type),
                    ("x-okta-request-id", "canned-1"),
                ],
                body,
            )
        }),
    );
    let listener = tokio::net::TcpListener::bind(loopback())
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    addr
}

fn canned_client(addr: SocketAddr) -> OktaClient {
    OktaClient::new(OktaSettings::new(
        format!("http://{addr}"),
        SecretString::from(TOKEN),
    ))
    .expect("client")
}

#[tokio::test]
async fn unknown_status_and_factor_values_are_kept_as_unknown() {
    let addr = canned_org(
        200,
        "application/json",
        r#"{"status":"SOMETHING_NEW","factorResult":"PENDING","stateToken":"00st-secret",
            "_embedded":{"factors":[{"id":"x1","factorType":"signed_nonce","provider":"OKTA"}]},
            "unexpected":{"deep":[1,2]}}"#,
    )
    .await;
    let reply = login(&canned_client(addr), "alice@example.com", "alice-password")
        .await
        .expect("parses");
    assert_eq!(
        reply.body.status,
        AuthnStatus::Unknown("SOMETHING_NEW".into())
    );
    assert_eq!(
        reply.body.factor_result,
        Some(FactorResult::Unknown("PENDING".into()))
    );
    assert_eq!(
        reply.body.factors()[0].factor_type,
        FactorType::Unknown("signed_nonce".into())
    );
    assert_eq!(reply.request_id.as_deref(), Some("canned-1"));
    assert!(!format!("{reply:?}").contains("00st-secret"));
}

#[tokio::test]
async fn answers_that_are_not_okta_json_are_sanitized_errors() {
    let addr = canned_org(502, "text/html", "<html>Bad Gateway</html>").await;
    let error = api_error(login(&canned_client(addr), "alice@example.com", "alice-password").await);
    assert!(
        matches!(
            error,
            OktaError::Status {
                http_status: 502,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_unavailable());
    assert_eq!(error.request_id(), Some("canned-1"));

    let addr = canned_org(
        200,
        "application/json",
        r#"{"sessionToken": "tok-secret", "status": 5}"#,
    )
    .await;
    let error = api_error(login(&canned_client(addr), "alice@example.com", "alice-password").await);
    assert!(matches!(error, OktaError::Decode(_)), "{error:?}");
    assert!(!format!("{error} {error:?}").contains("tok-secret"));
}

#[tokio::test]
async fn the_keep_alive_calls_at_start_before_okta_has_answered_anything() {
    let org = start(demo_config()).await;
    let client = client(&org);
    // Nothing has been asked of Okta yet, and a probe interval is an hour:
    // the first keep-alive must not wait it out.
    let task = okta_client::keepalive::spawn(
        client,
        okta_client::keepalive::KeepAliveSettings {
            interval: Duration::from_secs(3600),
            probe_interval: Duration::from_secs(3600),
        },
    )
    .expect("an API token: a keep-alive task");
    let mut calls = 0;
    for _ in 0..100 {
        calls = org.records().calls_to("/api/v1/users/me");
        if calls > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    task.abort();
    assert_eq!(calls, 1, "one keep-alive call at start");
}
