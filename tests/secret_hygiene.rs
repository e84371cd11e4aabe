//! Secrets never reach the log: after full flows (password, MFA code, push,
//! SMS challenge, wrong passwords, a malformed request) at debug level, no
//! log line holds a password, a one-time code, the shared secret, the API
//! token, the State key, an Okta stateToken or a sessionToken; with Direct
//! Authentication neither the client secret, an `mfa_token` nor an
//! `oob_code`.

mod support;

use okta_api::authn::FactorType;
use okta_sim::totp;
use radius_proto::packet::Code;
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

/// Runs of letters and digits shaped like the simulated org's stateTokens
/// (`00` + 40), sessionTokens (`20111` + 37), and Direct Authentication's
/// `mfa_token`s and `oob_code`s (`ft` + 40).
fn okta_tokens(line: &str) -> Vec<String> {
    line.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|run| {
            run.len() == 42
                && (run.starts_with("00") || run.starts_with("20111") || run.starts_with("ft"))
        })
        .map(str::to_owned)
        .collect()
}

with_both_apis!(no_secret_reaches_a_log_line);
async fn no_secret_reaches_a_log_line(api: Api) {
    let org = start_mfa_org_with_app(|_| {}).await;
    let config = format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n",
        config_for_api(&org.base_url(), api)
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    let mut secrets: Vec<String> = vec![
        SECRET.to_owned(),
        API_TOKEN.to_owned(),
        STATE_KEY.to_owned(),
        STATE_KEY[..32].to_owned(),
        DIRECT_CLIENT_SECRET.to_owned(),
    ];

    // Password only (the org's password users), and a wrong one.
    for (user, password) in [("sam", "sam-password"), ("sam", "sam-wrong-guess")] {
        nas.exchange(&nas.login_request(user, password))
            .await
            .expect("answered");
        secrets.push(password.to_owned());
    }

    // A TOTP code at the prompt.
    let reply = nas
        .exchange(&nas.login_request("dave", "dave-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let code = totp::code(DAVE_TOTP, now);
    let reply = nas
        .exchange(&nas.answer("dave", &code, &state_of(&reply)))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    secrets.extend(["dave-password".to_owned(), code]);

    // An SMS code through a challenge.
    let mut reply = nas
        .exchange(&nas.login_request("erin", "erin-password"))
        .await
        .expect("reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    if api == Api::Direct {
        // Okta names no factor: Erin picks SMS at the menu.
        reply = nas
            .exchange(&nas.answer("erin", "sms", &state_of(&reply)))
            .await
            .expect("reply");
        assert_eq!(reply.code(), Code::AccessChallenge);
    }
    let sms = org
        .last_code("erin@example.com", &FactorType::Sms)
        .expect("an SMS was sent");
    let reply = nas
        .exchange(&nas.answer("erin", &sms, &state_of(&reply)))
        .await
        .expect("reply");
    assert_eq!(
        reply.code(),
        Code::AccessAccept,
        "{}",
        reply_message(&reply)
    );
    secrets.extend(["erin-password".to_owned(), sms]);

    // A push approved while the request waits; an inline code.
    let (bytes, _) = nas
        .login_request("pat", "pat-password,push")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    let start = std::time::Instant::now();
    while org.resolve_push("pat@example.com", true) == 0 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the push was sent"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    nas.receive(Duration::from_secs(10))
        .await
        .expect("the push login is answered");
    secrets.push("pat-password".to_owned());

    // A State answered by someone else's request (forged) and a malformed one.
    nas.exchange(&nas.answer("dave", "123456", &[1u8; 60]))
        .await
        .expect("answered");
    server
        .logs
        .wait_audits(if api == Api::Direct { 8 } else { 7 })
        .await;

    let lines = server.logs.lines();
    assert!(lines.len() > 20, "debug logging is on");
    for line in &lines {
        for secret in &secrets {
            assert!(
                !line.contains(secret.as_str()),
                "a log line holds a secret ({} chars): {line}",
                secret.len()
            );
        }
        assert!(
            okta_tokens(line).is_empty(),
            "a log line holds an Okta token: {line}"
        );
    }
}
