//! RadSec as an operator deploys it: NAS devices that speak only UDP
//! (radclient here) behind radsecproxy, which carries their requests over
//! RADIUS/TLS, or RADIUS/TCP, to okta-radius; the server certificate
//! renewed with a reload (a bad one refused, the running one kept); a NAS
//! removed from the config losing its connection; and `check-config` on
//! the certificate files.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, RequestBuilder};
use std::process::Command;
use std::time::Duration;
use support::tls::*;
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

fn request(user: &str, password: &str, extra: &str) -> String {
    format!(
        "User-Name = \"{user}\"\nUser-Password = \"{password}\"\nNAS-Identifier = \"campus-ap\"\nMessage-Authenticator = 0x00\n{extra}"
    )
}

/// The hex value of `State` in radclient's output.
fn state_in(output: &str) -> String {
    output
        .lines()
        .find_map(|line| line.trim().strip_prefix("State = 0x"))
        .unwrap_or_else(|| panic!("no State in:\n{output}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_nas_behind_radsecproxy_gets_accept_reject_and_a_challenge_over_tls() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&tls_config(&org.base_url(), &pki, "")).await;
    let proxy = Radsecproxy::start(Upstream::Tls {
        server: server.tls_addr().await,
        pki: &pki,
    });
    let radclient = |text: &str| radclient(proxy.udp, proxy.secret, text, &[]);

    let (_, output) = radclient(&request("alice", "alice-password", ""));
    assert!(
        output.contains("Received Access-Accept"),
        "{output}\n{}",
        proxy.log()
    );

    let (_, output) = radclient(&request("alice", "not-her-password", ""));
    assert!(output.contains("Received Access-Reject"), "{output}");

    // Dave's password, then the code of his authenticator app.
    let (_, output) = radclient(&request("dave", "dave-password", ""));
    assert!(output.contains("Received Access-Challenge"), "{output}");
    assert!(output.contains("authenticator app"), "{output}");
    let state = state_in(&output);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let code = okta_sim::totp::code(DAVE_TOTP, now);
    let (_, output) = radclient(&request("dave", &code, &format!("State = 0x{state}\n")));
    assert!(output.contains("Received Access-Accept"), "{output}");

    // Everything came over one TLS connection, and says so.
    let audits = server.logs.wait_audits(4).await;
    assert!(
        audits
            .iter()
            .all(|a| a["transport"] == "tls" && a["client"] == "campus"),
        "{audits:?}"
    );
    assert_eq!(
        server
            .counter("radius_connections_opened_total{transport=\"tls\"}")
            .await,
        1.0
    );
    assert_eq!(
        server
            .counter(
                "radius_requests_total{client=\"campus\",outcome=\"challenge\",transport=\"tls\"}"
            )
            .await,
        1.0
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn radsecproxy_reaches_a_loopback_radius_tcp_listener() {
    let org = start_org().await;
    let pki = Pki::new();
    let server = TestServer::start(&tls_config(&org.base_url(), &pki, "")).await;
    let proxy = Radsecproxy::start(Upstream::Tcp {
        server: server.tcp_addr().await,
    });
    let (_, output) = radclient(
        proxy.udp,
        proxy.secret,
        &request("alice", "alice-password", ""),
        &[],
    );
    assert!(
        output.contains("Received Access-Accept"),
        "{output}\n{}",
        proxy.log()
    );
    let audit = &server.logs.wait_audits(1).await[0];
    assert_eq!(audit["transport"], "tcp", "{audit}");
    assert_eq!(audit["client"], "tls-terminator", "{audit}");
}

/// A config with RADIUS/TLS and accounting written to `file`, and no
/// accounting port: the connections carry the accounting.
fn tls_accounting_config(org_url: &str, pki: &Pki, file: &std::path::Path) -> String {
    let config = tls_config(
        org_url,
        pki,
        &format!("\n[accounting]\nfile = \"{}\"\n", file.display()),
    );
    assert!(!config.contains("accounting_listen"));
    config
}

/// The accounting file's records, parsed.
fn accounting_records(file: &std::path::Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

fn accounting_record(status: &str, session: &str) -> String {
    format!(
        "Acct-Status-Type = {status}\nAcct-Session-Id = \"{session}\"\nUser-Name = \"alice\"\nNAS-Identifier = \"campus-ap\"\nFramed-IP-Address = 10.8.0.7\nAcct-Delay-Time = 0\n"
    )
}

/// RFC 6614 carries accounting on the same connection as authentication:
/// a NAS behind radsecproxy has its Start and Stop written and answered,
/// next to its logins, by a server that opens no accounting port.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_from_a_nas_behind_radsecproxy_is_written_and_answered_over_tls() {
    let org = start_org().await;
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("accounting.jsonl");
    let server = TestServer::start(&tls_accounting_config(&org.base_url(), &pki, &file)).await;
    let proxy = Radsecproxy::start(Upstream::Tls {
        server: server.tls_addr().await,
        pki: &pki,
    });

    let (answered, output) = radclient_acct(
        proxy.udp,
        proxy.secret,
        &accounting_record("Start", "radsec-1"),
        &[],
    );
    assert!(answered, "{output}\n{}", proxy.log());
    assert!(output.contains("Received Accounting-Response"), "{output}");
    let (_, output) = radclient(
        proxy.udp,
        proxy.secret,
        &request("alice", "alice-password", ""),
        &[],
    );
    assert!(output.contains("Received Access-Accept"), "{output}");
    let (answered, output) = radclient_acct(
        proxy.udp,
        proxy.secret,
        &accounting_record("Stop", "radsec-1"),
        &[],
    );
    assert!(answered, "{output}\n{}", proxy.log());

    // Answered only once written: both records are in the file already.
    let records = accounting_records(&file);
    assert_eq!(records.len(), 2, "{records:?}");
    for (record, status) in records.iter().zip(["Start", "Stop"]) {
        assert_eq!(record["client"], "campus", "{record}");
        assert_eq!(
            record["attributes"]["Acct-Session-Id"], "radsec-1",
            "{record}"
        );
        assert_eq!(record["attributes"]["Acct-Status-Type"], status, "{record}");
    }
    assert_eq!(
        server
            .counter("radius_replies_total{code=\"Accounting-Response\",transport=\"tls\"}")
            .await,
        2.0
    );
}

/// On a connection, an Accounting-Request signed with another secret closes
/// it, as a failed Message-Authenticator does; with accounting off one is
/// dropped, the connection stays, and the log says what to set.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounting_on_a_connection_checks_its_authenticator_and_needs_accounting_on() {
    let org = start_org().await;
    let pki = Pki::new();
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("accounting.jsonl");
    let accounting_request = |nas: &mut StreamNas<_>, session: &str| {
        let id = nas.next_identifier();
        RequestBuilder::new(Code::AccountingRequest, id)
            .message_authenticator(false)
            .attribute(Attribute::integer(40, 1))
            .text(44, session)
            .text(types::USER_NAME, "alice")
    };

    let server = TestServer::start(&tls_accounting_config(&org.base_url(), &pki, &file)).await;
    let addr = server.tls_addr().await;
    let mut nas = connect_tls(addr, client_tls(&pki, Some("nas")))
        .await
        .expect("connects");
    let request = accounting_request(&mut nas, "direct-1");
    let reply = nas.exchange(&request).await.expect("answered");
    assert_eq!(reply.code(), Code::AccountingResponse);
    let (forged, _) = accounting_request(&mut nas, "forged-1")
        .encode(b"not-radsec")
        .expect("encodes");
    nas.send(&forged).await.expect("sent");
    assert!(nas.closed_within(Duration::from_secs(5)).await, "forged");
    server
        .wait_counter(
            "radius_connections_closed_total{transport=\"tls\",reason=\"bad_request_authenticator\"}",
            1.0,
        )
        .await;
    let sessions: Vec<_> = accounting_records(&file)
        .iter()
        .map(|record| record["attributes"]["Acct-Session-Id"].clone())
        .collect();
    assert_eq!(sessions, ["direct-1"]);
    drop(server);

    let server = TestServer::start(&tls_config(&org.base_url(), &pki, "")).await;
    let mut nas = connect_tls(server.tls_addr().await, client_tls(&pki, Some("nas")))
        .await
        .expect("connects");
    let request = accounting_request(&mut nas, "unrecorded-1");
    let (bytes, _) = request.encode(&nas.secret).expect("encodes");
    nas.send(&bytes).await.expect("sent");
    server
        .wait_counter(
            "radius_drops_total{reason=\"unexpected_code\",client=\"campus\"}",
            1.0,
        )
        .await;
    server
        .logs
        .wait_for_line("the accounting-off warning", |line| {
            line.contains("accounting is off") && line.contains("set accounting.file")
        })
        .await;
    let login = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&login).await.map(|reply| reply.code()),
        Some(Code::AccessAccept),
        "the same connection still serves logins"
    );
}

/// The fingerprint of the certificate the server shows a new connection.
async fn certificate_shown(server: std::net::SocketAddr, pki: &Pki) -> Vec<u8> {
    let nas = connect_tls(server, client_tls(pki, Some("nas")))
        .await
        .expect("connects");
    nas.stream
        .get_ref()
        .1
        .peer_certificates()
        .and_then(|chain| chain.first())
        .map(|certificate| certificate.to_vec())
        .expect("a server certificate")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_renews_the_certificate_refuses_a_bad_one_and_drops_a_removed_nas() {
    let org = start_org().await;
    let pki = Pki::new();
    let server = TestServer::start(&tls_config(&org.base_url(), &pki, "")).await;
    let addr = server.tls_addr().await;
    let path = server.config_path();
    let original = std::fs::read_to_string(&path).expect("the config");
    let first = certificate_shown(addr, &pki).await;
    let mut open = connect_tls(addr, client_tls(&pki, Some("nas")))
        .await
        .expect("connects");

    // A renewed certificate whose key was not copied: the reload is refused.
    pki.issue("renewed", &Leaf::server());
    let mismatched = original.replace(
        &pki.path("server.pem").display().to_string(),
        &pki.path("renewed.pem").display().to_string(),
    );
    std::fs::write(&path, &mismatched).expect("rewrite");
    server.signal("HUP");
    server
        .wait_counter("okta_radius_config_reloads_total{result=\"rejected\"}", 1.0)
        .await;
    let refusal = server
        .logs
        .wait_for("the refused key", |e| e["key"] == "tls.private_key_file")
        .await;
    assert!(
        refusal["problem"]
            .as_str()
            .is_some_and(|p| p.contains("is not the key of the certificate")),
        "{refusal}"
    );
    assert_eq!(
        certificate_shown(addr, &pki).await,
        first,
        "the old one is kept"
    );

    // With its key, the renewed certificate is shown to new connections...
    let renewed = mismatched.replace(
        &pki.path("server.key").display().to_string(),
        &pki.path("renewed.key").display().to_string(),
    );
    std::fs::write(&path, &renewed).expect("rewrite");
    server.signal("HUP");
    server
        .wait_counter("okta_radius_config_reloads_total{result=\"applied\"}", 1.0)
        .await;
    let second = certificate_shown(addr, &pki).await;
    assert_ne!(second, first, "the renewed certificate is in force");
    // ...while the connection opened before goes on.
    let request = open.login_request("alice", "alice-password");
    assert_eq!(
        open.exchange(&request).await.map(|r| r.code()),
        Some(Code::AccessAccept)
    );

    // The NAS's entry now names another identity: its connection is closed.
    let removed = renewed.replace(
        &format!("tls_identity = \"dns:{NAS_DNS}\""),
        "tls_identity = \"dns:replacement.campus.test\"",
    );
    std::fs::write(&path, removed).expect("rewrite");
    server.signal("HUP");
    server
        .wait_counter("okta_radius_config_reloads_total{result=\"applied\"}", 2.0)
        .await;
    assert!(open.closed_within(Duration::from_secs(5)).await);
    server
        .wait_counter(
            "radius_connections_closed_total{transport=\"tls\",reason=\"client_removed\"}",
            1.0,
        )
        .await;
    assert!(
        connect_tls(addr, client_tls(&pki, Some("nas")))
            .await
            .is_err()
    );
}

fn check_config(text: &str) -> (Option<i32>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("okta-radius.toml");
    std::fs::write(&path, text).expect("write");
    let output = Command::new(binary())
        .args(["check-config", "--config"])
        .arg(&path)
        .env("TEST_OKTA_API_TOKEN", API_TOKEN)
        .env("TEST_RADIUS_SECRET", SECRET)
        .env("TEST_STATE_KEY", STATE_KEY)
        .output()
        .expect("runs");
    (output.status.code(), support::printed(&output))
}

#[test]
fn check_config_reads_the_certificates() {
    let pki = Pki::new();
    let org = "https://example.okta.com";
    let (code, output) = check_config(&tls_config(org, &pki, ""));
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("valid (3 clients, 3 listeners)"),
        "{output}"
    );
    assert!(!output.contains("warning"), "{output}");

    // A server certificate in its last ten days.
    let mut ending = Leaf::server();
    ending.valid = (-86_400, 10 * 86_400 - 3_600);
    pki.issue("server", &ending);
    let (code, output) = check_config(&tls_config(org, &pki, ""));
    assert_eq!(code, Some(0), "{output}");
    assert!(
        output.contains("tls.certificate_file: the certificate `CN=okta-radius.test` expires on")
            && output.contains("in 9 days"),
        "{output}"
    );

    // A key that is not the certificate's, and a CA file that is no PEM.
    let text = tls_config(org, &pki, "")
        .replace("server.key", "nas.key")
        .replace("ca.pem", "missing-ca.pem");
    let (code, output) = check_config(&text);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.contains("tls.private_key_file: "), "{output}");
    assert!(
        output.contains("is not the key of the certificate"),
        "{output}"
    );
    assert!(
        output.contains("clients[1] (campus).tls_ca_file: "),
        "{output}"
    );
    let key = std::fs::read_to_string(pki.path("nas.key")).expect("the key");
    let body = key.lines().nth(1).expect("a line of the key");
    assert!(!output.contains(body), "no part of a key is printed");

    // RADIUS/TCP beyond loopback, without the key that allows it.
    let text = tls_config(org, &pki, "").replace(
        "tcp_listen = [\"127.0.0.1:0\"]",
        "tcp_listen = [\"0.0.0.0:0\"]",
    );
    let (code, output) = check_config(&text);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("server.tcp_listen[0]: 0.0.0.0:0 is not a loopback address"),
        "{output}"
    );
}
