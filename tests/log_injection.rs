//! Values from a request cannot forge log lines: a User-Name,
//! NAS-Identifier or Calling-Station-Id holding a line break, a carriage
//! return or a terminal escape leaves exactly one line per event, in the
//! human format and in JSON, and a User-Name with a control character is
//! refused before Okta is asked.

mod support;

use radius_proto::attribute::types;
use radius_proto::packet::{Code, RequestBuilder};
use support::*;

/// A line that would pass for an audit line of an accepted login.
const FORGED: &str = "2026-11-30T00:00:00.000000Z  INFO okta_radius::audit: decision request_id=\"0\" client=\"test-nas\" nas=\"x\" user=\"bob@example.com\" outcome=\"accept\" reason=\"okta_success\"";

fn config(org_url: &str, format: &str) -> String {
    config_for(org_url).replace("format = \"json\"", &format!("format = \"{format}\""))
        + "\n[abuse]\nmax_failures_per_user = 0\nmax_failures_per_source = 1\n"
}

/// Sends the hostile requests; returns how many decisions they make.
async fn send_hostile_requests(server: &TestServer, org: &okta_sim::SimHandle) -> usize {
    let nas = Nas::new(server.radius).await;

    // A User-Name carrying a forged line: refused, Okta never asked.
    let user_name = format!("mallory\n{FORGED}\r\u{1b}[2K");
    let reply = nas
        .exchange(&nas.login_request(&user_name, "whatever"))
        .await
        .expect("answered");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(
        reply_message(&reply).contains("control characters"),
        "{}",
        reply_message(&reply)
    );
    assert_eq!(org.records().authn_calls("mallory@example.com"), 0);

    // The NAS names itself with a forged line: the login works, its audit
    // line stays one line.
    let request = RequestBuilder::new(Code::AccessRequest, nas.next_identifier())
        .text(types::USER_NAME, "alice")
        .user_password(b"alice-password", &nas.secret)
        .expect("fits")
        .text(types::NAS_IDENTIFIER, &format!("vpn\r\n{FORGED}\u{1b}[31m"));
    let reply = nas.exchange(&request).await.expect("answered");
    assert_eq!(reply.code(), Code::AccessAccept);

    // A source that fails once and is then throttled: the throttle's warning
    // names the source, line breaks and all.
    let source = format!("203.0.113.9\n{FORGED}");
    for _ in 0..2 {
        let request = nas
            .login_request("alice", "a-wrong-guess")
            .text(types::CALLING_STATION_ID, &source);
        let reply = nas.exchange(&request).await.expect("answered");
        assert_eq!(reply.code(), Code::AccessReject);
    }
    server
        .logs
        .wait_field("too many failed logins", "kind")
        .await;
    4
}

/// Whether a human line is an audit event (its own target, not a value
/// that quotes one).
fn is_audit_line(line: &str) -> bool {
    line.split_whitespace().nth(2) == Some("okta_radius::audit:")
}

fn looks_like_a_human_line(line: &str) -> bool {
    let bytes = line.as_bytes();
    bytes.len() > 20
        && bytes[..4].iter().all(u8::is_ascii_digit)
        && bytes[4] == b'-'
        && bytes[10] == b'T'
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn human_logs_keep_one_line_per_event() {
    let org = start_org().await;
    let server = TestServer::start(&config(&org.base_url(), "human")).await;
    let decisions = send_hostile_requests(&server, &org).await;
    let audits = loop {
        let audits = server
            .logs
            .lines()
            .into_iter()
            .filter(|line| is_audit_line(line))
            .count();
        if audits >= decisions {
            break audits;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    let lines = server.logs.lines();
    assert_eq!(
        audits,
        decisions,
        "one audit line per decision:\n{}",
        lines.join("\n")
    );
    for line in &lines {
        assert!(
            looks_like_a_human_line(line),
            "a line that is not an event of its own: {line:?}"
        );
        assert!(
            !line.contains('\u{1b}') && !line.contains('\r'),
            "a raw control character: {line:?}"
        );
    }
    assert_eq!(
        lines
            .iter()
            .filter(|line| is_audit_line(line) && line.contains("outcome=\"accept\""))
            .count(),
        1,
        "only alice's real login reads as accepted"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_keep_one_object_per_line() {
    let org = start_org().await;
    let server = TestServer::start(&config(&org.base_url(), "json")).await;
    let decisions = send_hostile_requests(&server, &org).await;
    let audits = server.logs.wait_audits(decisions).await;
    assert_eq!(audits.len(), decisions);
    for line in server.logs.lines() {
        assert!(
            serde_json::from_str::<serde_json::Value>(&line).is_ok(),
            "not one JSON object: {line:?}"
        );
    }
    // JSON keeps the value exactly, escaped by JSON's rules.
    assert!(
        audits
            .iter()
            .any(|audit| audit["nas"] == format!("vpn\r\n{FORGED}\u{1b}[31m")),
        "{audits:?}"
    );
}
