//! The MFA conversation end to end: the real binary over real UDP, the
//! simulated Okta org over real HTTP, and what a user types at the NAS.
//! Every flow both APIs carry runs twice (`name::authn`, `name::direct`):
//! through the authentication API and through Direct Authentication.

mod support;

use okta_api::authn::FactorType;
use okta_sim::totp;
use radius_proto::attribute::{decode_vendor_specific, types};
use radius_proto::packet::{Code, Packet};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";
const GRACE_TOTP: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";
const KIM_TOTP: &str = "KRUGKIDROVUWG2ZAMJZG653OEBTG66BA";
const PUSH_WAIT: Duration = Duration::from_secs(20);

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn mfa_config(org_url: &str, mfa: &str) -> String {
    mfa_config_for(org_url, Api::Authn, mfa)
}

fn mfa_config_for(org_url: &str, api: Api, mfa: &str) -> String {
    let timeout = if mfa.contains("push_timeout_seconds") {
        ""
    } else {
        "push_timeout_seconds = 10"
    };
    format!(
        "{}\n[clients.mfa]\n{timeout}\n{mfa}\n",
        config_for_api(org_url, api)
    )
}

/// With Direct Authentication Okta names no factor: a user's only factor
/// is reached without a menu when the client allows only that kind.
fn only(api: Api, kind: &str) -> String {
    match api {
        Api::Authn => String::new(),
        Api::Direct => format!("allowed_factors = [\"{kind}\"]"),
    }
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

with_both_apis!(menu_choice_then_code);
async fn menu_choice_then_code(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, "")).await;
    let nas = Nas::new(server.radius).await;

    let request = nas.login_request("grace", "grace-password");
    let reply = nas.exchange(&request).await.expect("reply");
    let menu = reply_message(&reply);
    let state = assert_challenge(&reply, "1 - Okta Verify push");
    let lines = match api {
        Api::Authn => &["SMS to", "Voice call to", "Email to", "Security question"][..],
        Api::Direct => &["Text message (SMS)", "Voice call"][..],
    };
    for line in lines {
        assert!(menu.contains(line), "{menu}");
    }
    // Each Reply-Message fits one attribute.
    assert!(reply.all(types::REPLY_MESSAGE).all(|m| m.len() <= 253));

    // An unknown answer shows the menu again.
    let reply = nas
        .exchange(&nas.answer("grace", "7", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "not one of the choices");
    let again = reply_message(&reply);
    assert_eq!(
        again.matches("Choose a second factor").count(),
        1,
        "one header above the menu: {again}"
    );
    assert!(again.contains("2 - "), "{again}");

    // "2" is the authenticator app (menu order: push, totp, ...).
    let reply = nas
        .exchange(&nas.answer("grace", "2", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "authenticator app");
    let code = totp::code(GRACE_TOTP, now());
    let reply = nas
        .exchange(&nas.answer("grace", &code, &state))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    assert_eq!(logins(&org, api, "grace@example.com"), 1);
    assert_eq!(org.records().pushes_sent("grace@example.com"), 0);

    // A State is single use.
    let reply = nas
        .exchange(&nas.answer("grace", &code, &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
}

with_both_apis!(a_code_typed_at_the_menu_and_the_question);
async fn a_code_typed_at_the_menu_and_the_question(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, "")).await;
    let nas = Nas::new(server.radius).await;

    let reply = nas
        .exchange(&nas.login_request("grace", "grace-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Choose");
    let reply = nas
        .exchange(&nas.answer("grace", &totp::code(GRACE_TOTP, now()), &state))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "a bare code at the menu is tried as a code"
    );
    if api == Api::Direct {
        // Security questions are not a factor of Direct Authentication.
        return;
    }

    let reply = nas
        .exchange(&nas.login_request("grace", "grace-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Choose");
    let reply = nas
        .exchange(&nas.answer("grace", "question", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "What is the name of your first pet?");
    // A wrong answer is called an answer, not a code.
    let reply = nas
        .exchange(&nas.answer("grace", "tiddles", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Wrong answer");
    assert!(
        !reply_message(&reply).contains("code"),
        "{}",
        reply_message(&reply)
    );
    let reply = nas
        .exchange(&nas.answer("grace", "rex", &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
}

with_both_apis!(totp_right_wrong_and_replayed);
async fn totp_right_wrong_and_replayed(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, &only(api, "totp"))).await;
    let nas = Nas::new(server.radius).await;

    // Dave has one factor: no menu.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "authenticator app");
    let reply = nas
        .exchange(&nas.answer("dave", "000000", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Wrong code");
    let code = totp::code(DAVE_TOTP, now());
    let reply = nas
        .exchange(&nas.answer("dave", &code, &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);

    // The same code in a new login: Okta refuses a replay.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "authenticator app");
    let reply = nas
        .exchange(&nas.answer("dave", &code, &state))
        .await
        .expect("reply");
    // Direct Authentication does not tell a replayed code from a wrong one.
    let refused = match api {
        Api::Authn => "already used",
        Api::Direct => "Wrong code",
    };
    assert_challenge(&reply, refused);

    // Three wrong codes end the login.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    let mut state = assert_challenge(&reply, "authenticator app");
    for _ in 0..2 {
        let reply = nas
            .exchange(&nas.answer("dave", "111111", &state))
            .await
            .expect("reply");
        state = assert_challenge(&reply, "Wrong code");
    }
    let reply = nas
        .exchange(&nas.answer("dave", "111111", &state))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Wrong code"));
}

with_both_apis!(inline_code_and_inline_push_in_one_round_trip);
async fn inline_code_and_inline_push_in_one_round_trip(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, "")).await;
    let nas = Nas::new(server.radius).await;

    let typed = format!("dave-password,{}", totp::code(DAVE_TOTP, now()));
    let reply = nas
        .exchange(&nas.login_request("dave", &typed))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    assert_eq!(logins(&org, api, "dave@example.com"), 1);

    let reply = nas
        .exchange_within(
            &nas.login_request("carol", "carol-password,push"),
            PUSH_WAIT,
        )
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("carol@example.com"), 1);

    // A password containing the delimiter still works, with one /authn call.
    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password,xyz"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert_eq!(logins(&org, api, "alice@example.com"), 1);

    // A wrong password with an inline code: one /authn call, no factor call.
    let reply = nas
        .exchange(&nas.login_request("dave", "wrong,123456"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert_eq!(logins(&org, api, "dave@example.com"), 2);
}

with_both_apis!(push_approve_reject_and_timeout_in_wait_mode);
async fn push_approve_reject_and_timeout_in_wait_mode(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = mfa_config_for(
        &org.base_url(),
        api,
        "auto_push = true\npush_timeout_seconds = 5",
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    // Auto-push: no menu; carol's phone approves after two polls.
    let reply = nas
        .exchange_within(&nas.login_request("carol", "carol-password"), PUSH_WAIT)
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );

    // Frank rejects.
    let reply = nas
        .exchange_within(&nas.login_request("frank", "frank-password"), PUSH_WAIT)
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("rejected"),
        "{}",
        reply_message(&reply)
    );

    // Nobody answers Ian's push: rejected when the hold ends, and the Okta
    // transaction is cancelled so a late approval cannot succeed.
    let reply = nas
        .exchange_within(&nas.login_request("ian", "ian-password"), PUSH_WAIT)
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("not answered"),
        "{}",
        reply_message(&reply)
    );
    if api == Api::Authn {
        assert!(org.records().cancels("ian@example.com") >= 1);
    }
    let reasons: Vec<String> = server
        .logs
        .wait_audits(3)
        .await
        .iter()
        .map(|a| a["reason"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        reasons,
        ["mfa_push_approved", "push_rejected", "push_timeout"]
    );
}

with_both_apis!(number_matching_is_shown_then_the_push_completes);
async fn number_matching_is_shown_then_the_push_completes(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, "auto_push = true")).await;
    let nas = Nas::new(server.radius).await;

    let reply = nas
        .exchange_within(&nas.login_request("henry", "henry-password"), PUSH_WAIT)
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessChallenge,
        "{}",
        reply_message(&reply)
    );
    let prompt = reply_message(&reply);
    let number: String = prompt.chars().filter(char::is_ascii_digit).collect();
    assert!(prompt.starts_with("Tap ") && !number.is_empty(), "{prompt}");
    // The user taps the number and presses Enter (again, if the approval
    // has not reached Okta within one request's deadline).
    let mut reply = reply;
    for _ in 0..5 {
        if reply.code() != Code::AccessChallenge {
            break;
        }
        let state = state_of(&reply);
        reply = nas
            .exchange_within(&nas.answer("henry", "", &state), PUSH_WAIT)
            .await
            .expect("reply");
    }
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("henry@example.com"), 1);
}

with_both_apis!(challenge_mode_push_continues_on_another_server_with_the_same_state_key);
async fn challenge_mode_push_continues_on_another_server_with_the_same_state_key(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = mfa_config_for(
        &org.base_url(),
        api,
        "auto_push = true\npush_mode = \"challenge\"",
    );
    let first = TestServer::start(&config).await;
    let second = TestServer::start(&config).await;
    let nas = Nas::new(first.radius).await;

    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Approve the Okta Verify push");
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    // Pressing Enter before approving: still waiting, a fresh State.
    let other = Nas::new(second.radius).await;
    let reply = other
        .exchange(&other.answer("pat", "", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Still waiting");
    assert_eq!(org.resolve_push("pat@example.com", true), 1);
    let reply = other
        .exchange(&other.answer("pat", "", &state))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    assert_eq!(
        org.records().pushes_sent("pat@example.com"),
        1,
        "never a second push"
    );
    assert_eq!(logins(&org, api, "pat@example.com"), 1);
}

with_both_apis!(retransmits_during_a_pending_push_make_one_authn_and_one_push);
async fn retransmits_during_a_pending_push_make_one_authn_and_one_push(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, "auto_push = true")).await;
    let nas = Nas::new(server.radius).await;
    let (bytes, _) = nas
        .login_request("pat", "pat-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    for _ in 0..4 {
        nas.send_raw(&bytes).await;
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    assert_eq!(org.resolve_push("pat@example.com", true), 1);
    let reply = nas.receive(PUSH_WAIT).await.expect("one reply");
    assert_eq!(
        Packet::decode(&reply).expect("decodes").code(),
        Code::AccessAccept
    );
    assert_eq!(
        nas.receive(Duration::from_millis(500)).await,
        None,
        "only one reply"
    );
    // A copy after the answer gets the same bytes, without asking Okta.
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(Duration::from_secs(2)).await, Some(reply));
    assert_eq!(logins(&org, api, "pat@example.com"), 1);
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    if api == Api::Direct {
        assert_eq!(
            org.records().challenges("pat@example.com"),
            1,
            "one challenge"
        );
    }
}

with_both_apis!(push_fatigue_limits);
async fn push_fatigue_limits(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = mfa_config_for(
        &org.base_url(),
        api,
        "auto_push = true\npush_mode = \"challenge\"",
    ) + "\n[push_limits]\nmax_per_minute = 2\ncooldown_after_reject_seconds = 60\n";
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    // A second login while a push is pending joins it: no second push.
    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    let state_one = assert_challenge(&reply, "Approve");
    let reply = nas
        .exchange(&nas.login_request("pat", "pat-password"))
        .await
        .expect("reply");
    let state_two = assert_challenge(&reply, "Approve");
    assert_eq!(org.records().pushes_sent("pat@example.com"), 1);
    org.resolve_push("pat@example.com", true);
    for state in [state_one, state_two] {
        let reply = nas
            .exchange(&nas.answer("pat", "", &state))
            .await
            .expect("reply");
        assert_eq!(
            reply.code(),
            Code::AccessAccept,
            "{}",
            reply_message(&reply)
        );
    }

    // Frank rejects a push: the next one is refused for the cooldown.
    let reply = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Approve");
    let reply = nas
        .exchange_within(&nas.answer("frank", "", &state), PUSH_WAIT)
        .await
        .expect("reply");
    let rejected = reply.code() == Code::AccessReject;
    let reply = if rejected {
        reply
    } else {
        let state = assert_challenge(&reply, "Still waiting");
        nas.exchange_within(&nas.answer("frank", "", &state), PUSH_WAIT)
            .await
            .expect("reply")
    };
    assert_eq!(reply.code(), Code::AccessReject);
    let reply = nas
        .exchange(&nas.login_request("frank", "frank-password,push"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("Wait a minute"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("frank@example.com"), 1);

    // At most two pushes a minute per user: pat had one above.
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
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("Too many push requests"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().pushes_sent("pat@example.com"), 2);
}

with_both_apis!(sms_with_resend);
async fn sms_with_resend(api: Api) {
    let org =
        start_mfa_org_with_app(|config| config.code_resend_interval = Duration::from_secs(1)).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, &only(api, "sms"))).await;
    let nas = Nas::new(server.radius).await;

    let reply = nas
        .exchange(&nas.login_request("erin", "erin-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Enter the code sent to");
    let first = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("a code was sent");
    // Too soon for another code.
    let reply = nas
        .exchange(&nas.answer("erin", "resend", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Wait 30 seconds");
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let reply = nas
        .exchange(&nas.answer("erin", "resend", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Enter the code sent to");
    let second = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("a new code");
    assert_eq!(org.records().codes_sent("erin@example.com"), 2);
    let _ = first;
    let reply = nas
        .exchange(&nas.answer("erin", &second, &state))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
}

with_both_apis!(sms_refused_as_too_soon_is_sent_on_resend_once_the_wait_is_over);
async fn sms_refused_as_too_soon_is_sent_on_resend_once_the_wait_is_over(api: Api) {
    let org =
        start_mfa_org_with_app(|config| config.code_resend_interval = Duration::from_secs(1)).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, &only(api, "sms"))).await;
    let nas = Nas::new(server.radius).await;

    // A first login sends a code; the user gives up on it and starts again
    // at once, so Okta refuses to send another one yet.
    let reply = nas
        .exchange(&nas.login_request("erin", "erin-password"))
        .await
        .expect("reply");
    assert_challenge(&reply, "Enter the code sent to");
    let reply = nas
        .exchange(&nas.login_request("erin", "erin-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "30 seconds");
    assert_eq!(org.records().codes_sent("erin@example.com"), 1);

    // Once the wait is over, `resend` sends the code of this login.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let reply = nas
        .exchange(&nas.answer("erin", "resend", &state))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "Enter the code sent to");
    assert_eq!(org.records().codes_sent("erin@example.com"), 2);
    let code = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("a new code");
    let reply = nas
        .exchange(&nas.answer("erin", &code, &state))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
}

with_both_apis!(end_states_are_rejects_with_clear_messages);
async fn end_states_are_rejects_with_clear_messages(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let server = TestServer::start(&mfa_config_for(&org.base_url(), api, &only(api, "totp"))).await;
    let nas = Nas::new(server.radius).await;
    // Direct Authentication answers access_denied where the authentication
    // API names the state (expired password, enrolment needed).
    let denied = |reply: &Packet, authn_says: &str| {
        assert_eq!(reply.code(), Code::AccessReject, "{}", reply_message(reply));
        let expected = match api {
            Api::Authn => authn_says,
            Api::Direct => "did not allow",
        };
        assert!(
            reply_message(reply).contains(expected),
            "{}",
            reply_message(reply)
        );
    };

    // Kim's password expired: Okta says so only after the factor.
    let reply = nas
        .exchange(&nas.login_request("kim", "kim-password"))
        .await
        .expect("reply");
    let state = assert_challenge(&reply, "authenticator app");
    let reply = nas
        .exchange(&nas.answer("kim", &totp::code(KIM_TOTP, now()), &state))
        .await
        .expect("reply");
    denied(&reply, "expired");

    let reply = nas
        .exchange(&nas.login_request("ivan", "ivan-password"))
        .await
        .expect("reply");
    denied(&reply, "Enrol");

    let reply = nas
        .exchange(&nas.login_request("judy", "judy-password"))
        .await
        .expect("reply");
    if api == Api::Direct {
        // Okta names no factor: the code is asked for, and Okta refuses it.
        let state = assert_challenge(&reply, "authenticator app");
        let reply = nas
            .exchange(&nas.answer("judy", "123456", &state))
            .await
            .expect("reply");
        assert_challenge(&reply, "Wrong code");
        return;
    }
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("None of your Okta factors"),
        "{}",
        reply_message(&reply)
    );
    assert!(
        org.records().cancels("judy@example.com") >= 1,
        "the transaction is cancelled"
    );

    // Okta warns that Wendy's password expires soon: skipped, and she is told.
    let reply = nas
        .exchange(&nas.login_request("wendy", "wendy-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    assert!(
        reply_message(&reply).contains("expires in 4 days"),
        "{}",
        reply_message(&reply)
    );

    // A forged or foreign State opens nothing.
    let reply = nas
        .exchange(&nas.answer("dave", "123456", &[1; 60]))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("Log in again"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn mfa_only_mode_verifies_the_factor_without_the_password() {
    let org = start_mfa_org(|_| {}).await;
    let config = with_client_keys(
        &mfa_config(&org.base_url(), ""),
        "okta_primary_auth = false",
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    let reply = nas
        .exchange(&nas.login_request("dave", &totp::code(DAVE_TOTP, now())))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    let reply = nas
        .exchange_within(&nas.login_request("carol", "push"), PUSH_WAIT)
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    let reply = nas
        .exchange(&nas.login_request("dave", "654321"))
        .await
        .expect("reply");
    assert_ne!(reply.code(), Code::AccessAccept);
    // The password is never sent to /authn in this mode.
    assert_eq!(org.records().authn_calls("dave@example.com"), 0);
    assert_eq!(org.records().authn_calls("carol@example.com"), 0);
}

with_both_apis!(groups_decide_access_and_reply_attributes);
async fn groups_decide_access_and_reply_attributes(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let policy = r#"
[policies.vpn]
require_groups = ["vpn-*", "net-admins"]

[[policies.vpn.reply]]
when_group = "vpn-*"
attribute = "Class"
value = "OU={group};"

[[policies.vpn.reply]]
when_group = "net-admins"
attribute = "Cisco-AVPair"
value = "shell:priv-lvl=15"

[[policies.vpn.reply]]
when_group = "net-admins"
attribute = "Service-Type"
value = "Administrative-User"
"#;
    let config =
        with_client_keys(&config_for_api(&org.base_url(), api), "policy = \"vpn\"") + policy;
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    let reply = nas
        .exchange(&nas.login_request("alice", "alice-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    let classes: Vec<&[u8]> = reply.all(types::CLASS).collect();
    assert_eq!(classes, vec![&b"OU=vpn-users;"[..]]);
    assert!(!reply.has(types::VENDOR_SPECIFIC));

    let reply = nas
        .exchange(&nas.login_request("bob", "bob-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    let avpair = reply
        .all(types::VENDOR_SPECIFIC)
        .flat_map(|v| decode_vendor_specific(v).expect("valid VSA"))
        .find(|sub| sub.vendor_id == 9 && sub.vendor_type == 1)
        .expect("Cisco-AVPair");
    assert_eq!(avpair.value, b"shell:priv-lvl=15");
    assert_eq!(reply.integer(types::SERVICE_TYPE), Some(6));

    // A user in no allowed group is refused, after Okta said yes.
    let reply = nas
        .exchange(&nas.login_request("sam", "sam-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("not allowed"),
        "{}",
        reply_message(&reply)
    );
    if api == Api::Direct {
        // The groups came in the ID token's claim: no groups call.
        let groups_calls = org
            .records()
            .requests()
            .iter()
            .filter(|request| request.path.ends_with("/groups"))
            .count();
        assert_eq!(groups_calls, 0);
    }
}
