//! 802.1X logins end to end: `eapol_test` (wpa_supplicant's test client, as
//! an access point and a laptop would run EAP) against the real binary over
//! UDP, the simulated Okta org over HTTP, and certificates made for the test.
//! Every accepted login must show the MPPE keys the server sent the NAS
//! matching the ones the supplicant derived, and the server certificate
//! verified against the test CA.

mod support;

use okta_sim::totp;
use std::path::Path;
use std::process::Command;
use std::time::{SystemTime, UNIX_EPOCH};
use support::tls::Pki;
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// The usual test config with `[eap]` on the test CA's server certificate
/// and the test client answering EAP; `mfa` goes in `[clients.mfa]`.
fn eap_config(org_url: &str, pki: &Pki, mfa: &str) -> String {
    format!(
        "{}\n[clients.mfa]\npush_timeout_seconds = 10\n{mfa}\n\n[eap]\ncertificate_file = \"{}\"\nprivate_key_file = \"{}\"\n",
        with_client_keys(&config_for(org_url), "eap = true"),
        pki.path("server.pem").display(),
        pki.path("server.key").display(),
    )
}

/// What eapol_test said and whether it reached EAP-Success.
struct Run {
    success: bool,
    output: String,
}

impl Run {
    fn keys_matched(&self) -> bool {
        self.output.contains("MPPE keys OK: 1  mismatch: 0")
    }
}

/// Runs eapol_test for one EAP-TTLS/PAP login of `identity` with `password`,
/// trusting the CA in `ca_file`.
async fn ttls_pap(server: &TestServer, ca_file: &Path, identity: &str, password: &str) -> Run {
    let dir = tempfile::tempdir().expect("tempdir");
    let conf = dir.path().join("eapol.conf");
    std::fs::write(
        &conf,
        format!(
            "network={{\n  key_mgmt=WPA-EAP\n  eap=TTLS\n  identity=\"{identity}\"\n  anonymous_identity=\"anonymous\"\n  password=\"{password}\"\n  ca_cert=\"{}\"\n  phase2=\"auth=PAP\"\n}}\n",
            ca_file.display()
        ),
    )
    .expect("write the eapol_test config");
    let port = server.radius.port().to_string();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("eapol_test")
            .arg("-c")
            .arg(&conf)
            .args([
                "-a",
                "127.0.0.1",
                "-p",
                &port,
                "-s",
                SECRET,
                "-t",
                "30",
                "-r",
                "0",
            ])
            .output()
            .expect("eapol_test is installed (apt-get install eapoltest)")
    })
    .await
    .expect("eapol_test ran");
    let output_text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    Run {
        success: output.status.success() && output_text.lines().any(|l| l.trim() == "SUCCESS"),
        output: output_text,
    }
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

#[tokio::test]
async fn ttls_pap_accepts_with_mppe_keys_and_a_verified_certificate() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(run.success, "{}", tail(&run.output));
    assert!(run.keys_matched(), "{}", tail(&run.output));
    assert!(
        run.output
            .contains("CTRL-EVENT-EAP-PEER-CERT depth=0 subject='/CN=okta-radius.test'"),
        "{}",
        tail(&run.output)
    );
    let audits = server.logs.audits();
    let last = audits.last().expect("an audit line");
    assert_eq!(last["outcome"], "accept");
    assert_eq!(last["user"], "alice@example.com");
}

#[tokio::test]
async fn ttls_pap_rejects_a_wrong_password_and_an_untrusted_server() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "not-her-password").await;
    assert!(!run.success, "{}", tail(&run.output));
    assert!(
        run.output.contains("CTRL-EVENT-EAP-FAILURE"),
        "{}",
        tail(&run.output)
    );
    assert!(
        server
            .logs
            .audits()
            .iter()
            .any(|a| a["outcome"] == "reject" && a["reason"] == "okta_authentication_failed"),
        "a rejected Okta login is audited"
    );

    // A supplicant that trusts another CA stops before sending the password.
    let other = Pki::new();
    let logins_before = org.records().authn_calls("alice@example.com");
    let run = ttls_pap(&server, &other.path("ca.pem"), "alice", "alice-password").await;
    assert!(!run.success, "{}", tail(&run.output));
    assert_eq!(
        org.records().authn_calls("alice@example.com"),
        logins_before
    );
}

#[tokio::test]
async fn ttls_pap_carries_password_comma_code_and_auto_push() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "auto_push = true")).await;

    let typed = format!("dave-password,{}", totp::code(DAVE_TOTP, now()));
    let run = ttls_pap(&server, &pki.path("ca.pem"), "dave", &typed).await;
    assert!(run.success, "{}", tail(&run.output));
    assert!(run.keys_matched(), "{}", tail(&run.output));

    // Carol's phone approves the push Okta sends on her password alone.
    let run = ttls_pap(&server, &pki.path("ca.pem"), "carol", "carol-password").await;
    assert!(run.success, "{}", tail(&run.output));
    assert!(run.keys_matched(), "{}", tail(&run.output));
    assert_eq!(org.records().pushes_sent("carol@example.com"), 1);
}

#[tokio::test]
async fn a_client_without_eap_is_told_to_use_pap() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let config = eap_config(&org.base_url(), &pki, "").replace("eap = true", "eap = false");
    let server = TestServer::start(&config).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(!run.success, "{}", tail(&run.output));
    assert!(
        server
            .logs
            .audits()
            .iter()
            .any(|a| a["reason"] == "eap_unsupported"),
        "the reject says EAP is not answered for this client"
    );
}
