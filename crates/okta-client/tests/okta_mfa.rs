//! Multi-factor transactions through the Okta client against the simulated
//! org over real HTTP: push (approve, reject, timeout, number matching,
//! decided at run time, cancelled), TOTP, HOTP, token and YubiKey OTPs, codes
//! sent by SMS, call and email, security questions, and the states around
//! them (PASSWORD_EXPIRED and PASSWORD_WARN after the factor, MFA_ENROLL,
//! factors RADIUS cannot serve, expired stateTokens, wrong states).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use okta_api::authn::{AuthnResponse, AuthnStatus, FactorResult, FactorType};
use okta_client::error::{OktaError, codes};
use okta_client::{AuthnOptions, FactorVerify, OktaClient, OktaReply, OktaSettings, PrimaryAuthn};
use okta_sim::{
    self as sim, SimConfig, SimDirectory, SimFactor, SimHandle, SimPushResponse, SimUser,
    SimUserStatus, totp,
};
use secrecy::{ExposeSecret, SecretString};

const TOKEN: &str = "00sim-api-token-for-tests";
const USER_IP: IpAddr = IpAddr::V4(Ipv4Addr::new(203, 0, 113, 9));
const RFC_KEY_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn demo_users() -> Vec<SimUser> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../config/demo-users.toml");
    SimDirectory::from_toml_file(path)
        .expect("the demo directory loads")
        .users
}

fn config_with(extra: Vec<SimUser>) -> SimConfig {
    let mut users = demo_users();
    users.extend(extra);
    SimConfig::new(users, TOKEN)
}

async fn start(config: SimConfig) -> (SimHandle, OktaClient) {
    let org = sim::start(config, SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))
        .await
        .expect("org starts");
    let client = OktaClient::new(OktaSettings::new(org.base_url(), SecretString::from(TOKEN)))
        .expect("client builds");
    (org, client)
}

async fn login_with(
    client: &OktaClient,
    username: &str,
    password: &str,
    options: AuthnOptions,
) -> AuthnResponse {
    let password = SecretString::from(password);
    client
        .authn()
        .primary_with(
            &PrimaryAuthn {
                username,
                password: &password,
                forwarded_for: Some(USER_IP),
            },
            options,
        )
        .await
        .expect("primary authentication answered")
        .body
}

async fn login(client: &OktaClient, username: &str) -> AuthnResponse {
    let password = format!(
        "{}-password",
        username.split('@').next().unwrap_or(username)
    );
    login_with(client, username, &password, AuthnOptions::default()).await
}

fn state_token(reply: &AuthnResponse) -> SecretString {
    reply.state_token.clone().expect("a stateToken")
}

fn verify_href(reply: &AuthnResponse, factor_type: FactorType) -> String {
    reply
        .factors()
        .iter()
        .find(|factor| factor.factor_type == factor_type)
        .and_then(|factor| factor.verify_href())
        .unwrap_or_else(|| panic!("no {factor_type} factor in {:?}", reply.status))
        .to_owned()
}

fn next_href(reply: &AuthnResponse) -> String {
    reply.next_link().expect("a next link").href.clone()
}

async fn verify(
    client: &OktaClient,
    href: &str,
    state: &SecretString,
    pass_code: Option<&str>,
    answer: Option<&str>,
) -> Result<OktaReply<AuthnResponse>, OktaError> {
    let pass_code = pass_code.map(SecretString::from);
    let answer = answer.map(SecretString::from);
    client
        .authn()
        .verify_factor(
            href,
            &FactorVerify {
                state_token: state,
                pass_code: pass_code.as_ref(),
                answer: answer.as_ref(),
            },
            Some(USER_IP),
        )
        .await
}

async fn poll(client: &OktaClient, href: &str, state: &SecretString) -> AuthnResponse {
    client
        .authn()
        .verify_factor(href, &FactorVerify::state_only(state), Some(USER_IP))
        .await
        .expect("verify answered")
        .body
}

fn refusal<T: std::fmt::Debug>(result: Result<OktaReply<T>, OktaError>) -> OktaError {
    match result {
        Ok(reply) => panic!("expected a refusal, got {:?}", reply.body),
        Err(error) => error,
    }
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_secs()
}

fn assert_success(reply: &AuthnResponse, login: &str) {
    assert_eq!(reply.status, AuthnStatus::Success, "{reply:?}");
    assert!(reply.state_token.is_none());
    assert_eq!(reply.user().expect("user").login(), login);
}

#[tokio::test]
async fn push_is_approved_after_two_polls() {
    let (org, client) = start(config_with(vec![])).await;
    let required = login(&client, "carol@example.com").await;
    assert_eq!(required.status, AuthnStatus::MfaRequired);
    assert!(required.cancel_link().is_some());
    let state = state_token(&required);

    let sent = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    assert_eq!(sent.status, AuthnStatus::MfaChallenge);
    assert_eq!(sent.factor_result(), Some(&FactorResult::Waiting));
    let next = sent.next_link().expect("next");
    assert_eq!(next.name.as_deref(), Some("poll"));
    assert_eq!(
        sent.challenged_factor().map(|f| &f.factor_type),
        Some(&FactorType::Push)
    );
    assert_eq!(sent.correct_answer(), None);

    // Another replica can pick the transaction up from its stateToken.
    let current = client
        .authn()
        .state(&state, Some(USER_IP))
        .await
        .expect("state");
    assert_eq!(current.body.status, AuthnStatus::MfaChallenge);
    assert_eq!(current.body.factor_result(), Some(&FactorResult::Waiting));

    let first = poll(&client, &next_href(&sent), &state).await;
    assert_eq!(first.factor_result(), Some(&FactorResult::Waiting));
    let done = poll(&client, &next_href(&first), &state).await;
    assert_success(&done, "carol@example.com");

    let records = org.records();
    assert_eq!(records.pushes_sent("carol@example.com"), 1);
    assert_eq!(records.factor_verifies("carol@example.com"), 3);
    assert_eq!(records.authn_calls("carol@example.com"), 1);
    assert_eq!(records.calls_to_prefix("/api/v1/authn/factors/"), 3);
    assert!(
        records
            .requests()
            .iter()
            .filter(|r| r.path.ends_with("/verify"))
            .all(|r| r.forwarded_for.as_deref() == Some("203.0.113.9"))
    );
    // The transaction ended with SUCCESS.
    let error = refusal(client.authn().state(&state, None).await);
    assert_eq!(error.code(), Some(codes::INVALID_TOKEN));
}

#[tokio::test]
async fn rejected_push_offers_a_new_push() {
    let (org, client) = start(config_with(vec![])).await;
    let required = login(&client, "frank@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::Push);
    let mut reply = poll(&client, &href, &state).await;
    while reply.factor_result() == Some(&FactorResult::Waiting) {
        reply = poll(&client, &next_href(&reply), &state).await;
    }
    assert_eq!(reply.status, AuthnStatus::MfaChallenge);
    assert_eq!(reply.factor_result(), Some(&FactorResult::Rejected));
    assert_eq!(
        reply.next_link().and_then(|l| l.name.as_deref()),
        Some("verify")
    );
    let again = poll(&client, &next_href(&reply), &state).await;
    assert_eq!(again.factor_result(), Some(&FactorResult::Waiting));
    assert_eq!(org.records().pushes_sent("frank@example.com"), 2);
}

#[tokio::test]
async fn ignored_push_times_out() {
    let mut ignored = SimFactor::push(SimPushResponse::Ignore);
    ignored.push_polls = 1;
    let user = SimUser::new("ignored@example.com", "ignored-password").with_factor(ignored);
    let (_org, client) = start(config_with(vec![user])).await;
    let required = login(&client, "ignored@example.com").await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    let timed_out = poll(&client, &next_href(&sent), &state).await;
    assert_eq!(timed_out.factor_result(), Some(&FactorResult::Timeout));
    assert_eq!(
        timed_out.next_link().and_then(|l| l.name.as_deref()),
        Some("verify")
    );
}

#[tokio::test]
async fn number_matching_shows_the_number_from_the_first_poll() {
    let (_org, client) = start(config_with(vec![])).await;
    let required = login(&client, "henry@example.com").await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    assert_eq!(sent.correct_answer(), None);
    let first = poll(&client, &next_href(&sent), &state).await;
    let number = first.correct_answer().expect("number after the first poll");
    assert!((10..100).contains(&number));
    let second = poll(&client, &next_href(&first), &state).await;
    assert_eq!(second.correct_answer(), Some(number));
    let done = poll(&client, &next_href(&second), &state).await;
    assert_success(&done, "henry@example.com");
}

fn waiting_user(login: &str) -> SimUser {
    SimUser::new(login, "wait-password").with_factor(SimFactor::push(SimPushResponse::Wait))
}

#[tokio::test]
async fn push_decided_at_run_time_and_cancel_stops_it_for_good() {
    let user = waiting_user("wendy@example.com");
    let (org, client) = start(config_with(vec![user])).await;
    let password = "wait-password";

    let required = login_with(
        &client,
        "wendy@example.com",
        password,
        AuthnOptions::default(),
    )
    .await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    let waiting = poll(&client, &next_href(&sent), &state).await;
    assert_eq!(waiting.factor_result(), Some(&FactorResult::Waiting));
    assert_eq!(org.resolve_push("WENDY@example.com", true), 1);
    let done = poll(&client, &next_href(&waiting), &state).await;
    assert_success(&done, "wendy@example.com");

    // Giving up: cancel, then a late approval cannot succeed.
    let required = login_with(
        &client,
        "wendy@example.com",
        password,
        AuthnOptions::default(),
    )
    .await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    let cancelled = client.authn().cancel(&state).await.expect("cancelled");
    assert_eq!(cancelled.body.status, AuthnStatus::Unauthenticated);
    assert_eq!(org.resolve_push("wendy@example.com", true), 0);
    let error = refusal(verify(&client, &next_href(&sent), &state, None, None).await);
    assert_eq!(error.code(), Some(codes::INVALID_TOKEN));
    assert_eq!(error.http_status(), Some(401));
    assert_eq!(org.records().cancels("wendy@example.com"), 1);
    assert_eq!(org.records().pushes_sent("wendy@example.com"), 2);
    let again = refusal(client.authn().cancel(&state).await);
    assert_eq!(again.code(), Some(codes::INVALID_TOKEN));
}

#[tokio::test]
async fn push_with_a_delay_is_approved_when_the_delay_has_passed() {
    let mut delayed = SimFactor::push(SimPushResponse::Approve);
    delayed.push_delay = Some(Duration::from_millis(1500));
    let user = SimUser::new("slow@example.com", "slow-password").with_factor(delayed);
    let (_org, client) = start(config_with(vec![user])).await;
    let required = login(&client, "slow@example.com").await;
    let state = state_token(&required);
    let mut reply = poll(&client, &verify_href(&required, FactorType::Push), &state).await;
    // More polls than push_polls: the delay, not the polls, decides.
    for _ in 0..3 {
        reply = poll(&client, &next_href(&reply), &state).await;
        assert_eq!(reply.factor_result(), Some(&FactorResult::Waiting));
    }
    tokio::time::sleep(Duration::from_millis(1600)).await;
    let done = poll(&client, &next_href(&reply), &state).await;
    assert_success(&done, "slow@example.com");
}

#[tokio::test]
async fn totp_right_wrong_and_replayed() {
    let (_org, client) = start(config_with(vec![])).await;
    let required = login(&client, "dave@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenSoftwareTotp);

    let wrong_code = totp::code("JBSWY3DPEHPK3PXP", now() + 3600);
    let wrong = refusal(verify(&client, &href, &state, Some(&wrong_code), None).await);
    assert_eq!(wrong.code(), Some(codes::INVALID_PASSCODE));
    assert_eq!(wrong.http_status(), Some(403));
    assert!(!wrong.to_string().contains(&wrong_code));

    let code = totp::code("JBSWY3DPEHPK3PXP", now());
    let done = verify(&client, &href, &state, Some(&code), None)
        .await
        .expect("accepted")
        .body;
    assert_success(&done, "dave@example.com");

    let required = login(&client, "dave@example.com").await;
    let state = state_token(&required);
    let replayed = refusal(verify(&client, &href, &state, Some(&code), None).await);
    assert_eq!(replayed.code(), Some(codes::PASSCODE_REPLAYED));
}

#[tokio::test]
async fn wrong_codes_in_a_row_lock_the_user_out() {
    let (org, client) = start(config_with(vec![])).await;
    let required = login(&client, "dave@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenSoftwareTotp);
    let wrong_code = totp::code("JBSWY3DPEHPK3PXP", now() + 7200);
    for _ in 0..4 {
        let error = refusal(verify(&client, &href, &state, Some(&wrong_code), None).await);
        assert_eq!(error.code(), Some(codes::INVALID_PASSCODE));
    }
    let locked = refusal(verify(&client, &href, &state, Some(&wrong_code), None).await);
    assert_eq!(locked.code(), Some(codes::FACTOR_LOCKED_OUT));
    assert_eq!(
        org.user_status("dave@example.com"),
        Some(SimUserStatus::LockedOut)
    );
    let right = totp::code("JBSWY3DPEHPK3PXP", now());
    let still = refusal(verify(&client, &href, &state, Some(&right), None).await);
    assert_eq!(still.code(), Some(codes::FACTOR_LOCKED_OUT));
    let again = login(&client, "dave@example.com").await;
    assert_eq!(again.status, AuthnStatus::LockedOut);
}

#[tokio::test]
async fn hotp_token_and_yubikey_codes_work_once() {
    let mut hotp = SimFactor::new(FactorType::TokenHotp);
    hotp.hotp_secret = Some(SecretString::from(RFC_KEY_BASE32));
    let mut rsa = SimFactor::new(FactorType::Token);
    rsa.codes = vec![SecretString::from("13579246")];
    let user = SimUser::new("otp@example.com", "otp-password")
        .with_factor(hotp)
        .with_factor(rsa);
    let (_org, client) = start(config_with(vec![user])).await;
    let key = b"12345678901234567890";

    // RFC 4226: counter 2 is within the look-ahead window from 0.
    let required = login(&client, "otp@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenHotp);
    let code = totp::hotp(key, 2, 6);
    assert_eq!(code, "359152");
    let done = verify(&client, &href, &state, Some(&code), None)
        .await
        .expect("accepted");
    assert_success(&done.body, "otp@example.com");

    let required = login(&client, "otp@example.com").await;
    let state = state_token(&required);
    let replayed = refusal(verify(&client, &href, &state, Some(&code), None).await);
    assert_eq!(replayed.code(), Some(codes::PASSCODE_REPLAYED));
    let far = refusal(verify(&client, &href, &state, Some(&totp::hotp(key, 40, 6)), None).await);
    assert_eq!(far.code(), Some(codes::INVALID_PASSCODE));
    let next = verify(&client, &href, &state, Some(&totp::hotp(key, 3, 6)), None)
        .await
        .expect("next counter");
    assert_success(&next.body, "otp@example.com");

    let required = login(&client, "otp@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::Token);
    let done = verify(&client, &href, &state, Some("13579246"), None)
        .await
        .expect("listed code");
    assert_success(&done.body, "otp@example.com");
    let required = login(&client, "otp@example.com").await;
    let state = state_token(&required);
    let reused = refusal(verify(&client, &href, &state, Some("13579246"), None).await);
    assert_eq!(reused.code(), Some(codes::PASSCODE_REPLAYED));

    let required = login(&client, "yuri@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenHardware);
    let otp = "cccccckdvvulethkhtvkrtbeukiettrgnjjvcugrvbjt";
    let done = verify(&client, &href, &state, Some(otp), None)
        .await
        .expect("YubiKey OTP");
    assert_success(&done.body, "yuri@example.com");
    let required = login(&client, "yuri@example.com").await;
    let state = state_token(&required);
    let reused = refusal(verify(&client, &href, &state, Some(otp), None).await);
    assert_eq!(reused.code(), Some(codes::PASSCODE_REPLAYED));
}

#[tokio::test]
async fn sms_code_is_sent_resent_too_soon_refused_and_verified() {
    let (org, client) = start(config_with(vec![])).await;
    let required = login(&client, "erin@example.com").await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Sms), &state).await;
    assert_eq!(sent.status, AuthnStatus::MfaChallenge);
    assert_eq!(
        sent.next_link().and_then(|l| l.name.as_deref()),
        Some("verify")
    );
    let resend = sent.resend_links();
    assert_eq!(resend.len(), 1);
    assert_eq!(resend[0].name.as_deref(), Some("sms"));
    let code = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("a code was sent");
    assert_eq!(code.len(), 6);

    let too_soon = refusal(
        client
            .authn()
            .resend_factor(&resend[0].href, &state, Some(USER_IP))
            .await,
    );
    assert_eq!(too_soon.code(), Some(codes::SMS_TOO_SOON));
    assert!(too_soon.is_rate_limited());
    assert_eq!(org.records().codes_sent("erin@example.com"), 1);

    let wrong = if code == "000000" { "111111" } else { "000000" };
    let error = refusal(verify(&client, &next_href(&sent), &state, Some(wrong), None).await);
    assert_eq!(error.code(), Some(codes::INVALID_PASSCODE));
    let done = verify(&client, &next_href(&sent), &state, Some(&code), None)
        .await
        .expect("code accepted");
    assert_success(&done.body, "erin@example.com");
}

#[tokio::test]
async fn resend_after_the_interval_sends_a_new_code() {
    let mut config = config_with(vec![]);
    config.code_resend_interval = Duration::ZERO;
    let (org, client) = start(config).await;
    let required = login(&client, "erin@example.com").await;
    let state = state_token(&required);
    let sent = poll(&client, &verify_href(&required, FactorType::Sms), &state).await;
    let resent = client
        .authn()
        .resend_factor(&sent.resend_links()[0].href, &state, Some(USER_IP))
        .await
        .expect("resent");
    assert_eq!(resent.body.status, AuthnStatus::MfaChallenge);
    assert_eq!(org.records().codes_sent("erin@example.com"), 2);
    let code = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("code");
    let done = verify(&client, &next_href(&resent.body), &state, Some(&code), None)
        .await
        .expect("the new code works");
    assert_success(&done.body, "erin@example.com");
}

#[tokio::test]
async fn call_and_email_have_their_own_too_soon_codes() {
    let (org, client) = start(config_with(vec![])).await;
    for (factor_type, code) in [
        (FactorType::Call, codes::CALL_TOO_SOON),
        (FactorType::Email, codes::EMAIL_TOO_SOON),
    ] {
        let required = login(&client, "grace@example.com").await;
        let state = state_token(&required);
        let sent = poll(
            &client,
            &verify_href(&required, factor_type.clone()),
            &state,
        )
        .await;
        assert_eq!(
            sent.resend_links()[0].name.as_deref(),
            Some(factor_type.as_str())
        );
        assert!(org.last_code("grace@example.com", &factor_type).is_some());
        let error = refusal(
            client
                .authn()
                .resend_factor(&sent.resend_links()[0].href, &state, None)
                .await,
        );
        assert_eq!(error.code(), Some(code), "{factor_type}");
        assert_eq!(error.http_status(), Some(429));
    }
    let required = login(&client, "grace@example.com").await;
    let email = required
        .factors()
        .iter()
        .find(|f| f.factor_type == FactorType::Email)
        .and_then(|f| f.profile.email.clone());
    assert_eq!(email.as_deref(), Some("g...e@example.com"));
}

#[tokio::test]
async fn security_question_ignores_case_and_spaces() {
    let (_org, client) = start(config_with(vec![])).await;
    let required = login(&client, "frank@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::Question);
    let wrong = refusal(verify(&client, &href, &state, None, Some("green")).await);
    assert_eq!(wrong.code(), Some(codes::INVALID_PASSCODE));
    let done = verify(&client, &href, &state, None, Some("  BLUE "))
        .await
        .expect("answer accepted");
    assert_success(&done.body, "frank@example.com");
}

#[tokio::test]
async fn expired_password_shows_only_after_the_factor() {
    let (_org, client) = start(config_with(vec![])).await;
    let required = login(&client, "kim@example.com").await;
    assert_eq!(required.status, AuthnStatus::MfaRequired);
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenSoftwareTotp);
    let code = totp::code("KRUGKIDROVUWG2ZAMJZG653OEBTG66BA", now());
    let expired = verify(&client, &href, &state, Some(&code), None)
        .await
        .expect("answered")
        .body;
    assert_eq!(expired.status, AuthnStatus::PasswordExpired);
    assert!(expired.state_token.is_some());
    // No factor can be verified in this state.
    let wrong_state = refusal(verify(&client, &href, &state, Some(&code), None).await);
    assert_eq!(wrong_state.code(), Some(codes::ILLEGAL_STATE));
    assert_eq!(wrong_state.http_status(), Some(403));
}

#[tokio::test]
async fn password_warn_only_when_asked_and_skip_continues() {
    let mut warned = SimUser::new("warned@example.com", "warned-password")
        .with_factor(SimFactor::totp("JBSWY3DPEHPK3PXP"));
    warned.password_warn = true;
    let mut plain = SimUser::new("plainwarn@example.com", "plainwarn-password");
    plain.password_warn = true;
    let (_org, client) = start(config_with(vec![warned, plain])).await;
    let warn = AuthnOptions {
        warn_before_password_expired: true,
    };

    let required = login_with(&client, "warned@example.com", "warned-password", warn).await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::TokenSoftwareTotp);
    let skip_too_early = refusal(client.authn().skip(&state).await);
    assert_eq!(skip_too_early.code(), Some(codes::ILLEGAL_STATE));
    let code = totp::code("JBSWY3DPEHPK3PXP", now());
    let warning = verify(&client, &href, &state, Some(&code), None)
        .await
        .expect("answered")
        .body;
    assert_eq!(warning.status, AuthnStatus::PasswordWarn);
    assert!(warning.skip_link().is_some());
    let done = client.authn().skip(&state).await.expect("skipped").body;
    assert_success(&done, "warned@example.com");

    let direct = login_with(&client, "plainwarn@example.com", "plainwarn-password", warn).await;
    assert_eq!(direct.status, AuthnStatus::PasswordWarn);
    let quiet = login(&client, "plainwarn@example.com").await;
    assert_eq!(quiet.status, AuthnStatus::Success);
}

#[tokio::test]
async fn enrol_first_and_browser_only_factors() {
    let (_org, client) = start(config_with(vec![])).await;
    let enroll = login(&client, "ivan@example.com").await;
    assert_eq!(enroll.status, AuthnStatus::MfaEnroll);
    assert!(!enroll.factors().is_empty());
    assert!(enroll.factors().iter().all(|f| f.id.is_empty()));
    let state = state_token(&enroll);
    assert_eq!(
        client
            .authn()
            .cancel(&state)
            .await
            .expect("cancelled")
            .body
            .status,
        AuthnStatus::Unauthenticated
    );

    let judy = login(&client, "judy@example.com").await;
    assert_eq!(judy.status, AuthnStatus::MfaRequired);
    let types: Vec<_> = judy
        .factors()
        .iter()
        .map(|f| f.factor_type.clone())
        .collect();
    assert_eq!(types, [FactorType::Webauthn]);
}

#[tokio::test]
async fn state_token_expires_without_use() {
    let mut config = config_with(vec![]);
    config.state_token_lifetime = Duration::from_millis(1500);
    let (_org, client) = start(config).await;
    let required = login(&client, "carol@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::Push);
    let sent = poll(&client, &href, &state).await;
    // Use keeps it alive (sliding expiry) ...
    tokio::time::sleep(Duration::from_millis(800)).await;
    let _ = poll(&client, &next_href(&sent), &state).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    let alive = client
        .authn()
        .state(&state, None)
        .await
        .expect("still alive");
    assert_eq!(alive.body.status, AuthnStatus::MfaChallenge);
    // ... silence ends it.
    tokio::time::sleep(Duration::from_millis(2000)).await;
    let error = refusal(verify(&client, &href, &state, None, None).await);
    assert_eq!(error.code(), Some(codes::INVALID_TOKEN));
    assert_eq!(error.http_status(), Some(401));
    assert!(!error.to_string().contains(state.expose_secret()));
}

#[tokio::test]
async fn unknown_factor_and_links_outside_the_org() {
    let (_org, client) = start(config_with(vec![])).await;
    let required = login(&client, "carol@example.com").await;
    let state = state_token(&required);
    let href = verify_href(&required, FactorType::Push);
    let factor_id = &required.factors()[0].id;
    let unknown = href.replace(factor_id.as_str(), "opfNOSUCHFACTOR00000");
    let error = refusal(verify(&client, &unknown, &state, None, None).await);
    assert_eq!(error.code(), Some(codes::NOT_FOUND));
    assert_eq!(error.http_status(), Some(404));
    let outside = refusal(
        verify(
            &client,
            "https://evil.example/api/v1/authn/factors/x/verify",
            &state,
            None,
            None,
        )
        .await,
    );
    assert!(matches!(outside, OktaError::Decode(_)), "{outside:?}");
}
