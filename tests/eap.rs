//! 802.1X logins end to end (EAP-TTLS/PAP, PEAP/EAP-GTC): `eapol_test` (wpa_supplicant's test client, as
//! an access point and a laptop would run EAP) against the real binary over
//! UDP, the simulated Okta org over HTTP, and certificates made for the test.
//! Every accepted login must show the MPPE keys the server sent the NAS
//! matching the ones the supplicant derived, and the server certificate
//! verified against the test CA.

mod support;

use okta_sim::totp;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};
use support::eapol::*;
use support::tls::Pki;
use support::*;

const DAVE_TOTP: &str = "JBSWY3DPEHPK3PXP";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// An EAP-TTLS/PAP login of `identity` with `password`, trusting `ca_file`.
async fn ttls_pap(server: &TestServer, ca_file: &Path, identity: &str, password: &str) -> Run {
    let settings = [
        "eap=TTLS".to_owned(),
        format!("identity=\"{identity}\""),
        format!("password=\"{password}\""),
        "phase2=\"auth=PAP\"".to_owned(),
    ];
    eapol_test(server, network(ca_file, &settings)).await
}

/// The settings of a PEAP/EAP-GTC login of `identity` in PEAP `version`.
fn peap_gtc(identity: &str, version: u8) -> Vec<String> {
    vec![
        "eap=PEAP".to_owned(),
        format!("identity=\"{identity}\""),
        format!("phase1=\"peapver={version}\""),
        "phase2=\"auth=GTC\"".to_owned(),
    ]
}

#[tokio::test]
async fn ttls_pap_accepts_with_mppe_keys_and_a_verified_certificate() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert!(
        run.output
            .contains("CTRL-EVENT-EAP-PEER-CERT depth=0 subject='/CN=okta-radius.test'"),
        "{}",
        run.tail()
    );
    server
        .logs
        .wait_for("alice's accept audited", |e| {
            e["target"] == "okta_radius::audit"
                && e["outcome"] == "accept"
                && e["user"] == "alice@example.com"
        })
        .await;
}

#[tokio::test]
async fn ttls_pap_rejects_a_wrong_password_and_an_untrusted_server() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "not-her-password").await;
    assert!(!run.success, "{}", run.tail());
    assert!(
        run.output.contains("CTRL-EVENT-EAP-FAILURE"),
        "{}",
        run.tail()
    );
    server
        .logs
        .wait_for("the rejected Okta login audited", |a| {
            a["outcome"] == "reject" && a["reason"] == "okta_authentication_failed"
        })
        .await;

    // A supplicant that trusts another CA stops before sending the password.
    let other = Pki::new();
    let logins_before = org.records().authn_calls("alice@example.com");
    let run = ttls_pap(&server, &other.path("ca.pem"), "alice", "alice-password").await;
    assert!(!run.success, "{}", run.tail());
    assert_eq!(
        org.records().authn_calls("alice@example.com"),
        logins_before
    );
}

/// A supplicant and a server with no cipher suite in common: the server's
/// handshake fails, and the peer must hear why (the TLS alert, in an
/// EAP-Request of the method) before the EAP-Failure, for TTLS and PEAP.
#[tokio::test]
async fn a_failed_handshake_sends_the_tls_alert_before_eap_failure() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    for (method, inner) in [("TTLS", "PAP"), ("PEAP", "GTC")] {
        // TLS 1.2 with RSA key exchange only: every suite the server runs
        // is ECDHE, so it refuses the ClientHello.
        let settings = [
            format!("eap={method}"),
            "identity=\"alice\"".to_owned(),
            "password=\"alice-password\"".to_owned(),
            "phase1=\"tls_disable_tlsv1_3=1\"".to_owned(),
            format!("phase2=\"auth={inner}\""),
            "openssl_ciphers=\"AES128-SHA256:AES256-SHA256\"".to_owned(),
        ];
        let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
        assert!(!run.success, "{}", run.tail());
        // wpa_supplicant logs the alert it read from the server, then the
        // EAP-Failure that follows it.
        let alert = run
            .output
            .find("SSL3 alert: read (remote end reported an error):fatal:handshake failure");
        let failure = run.output.find("CTRL-EVENT-EAP-FAILURE");
        assert!(alert.is_some(), "{method}: no alert read\n{}", run.tail());
        assert!(
            failure.is_some_and(|failure| Some(failure) > alert),
            "{method}: no EAP-Failure after the alert\n{}",
            run.tail()
        );
        server
            .logs
            .wait_for("the failed handshake logged with its alert", |e| {
                e["message"] == "EAP tunnel failed"
                    && e["alert_sent"] == true
                    && e["method"] == method
            })
            .await;
    }
    assert_eq!(org.records().authn_calls("alice@example.com"), 0);
}

#[tokio::test]
async fn ttls_pap_carries_password_comma_code_and_auto_push() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "auto_push = true")).await;

    let typed = format!("dave-password,{}", totp::code(DAVE_TOTP, now()));
    let run = ttls_pap(&server, &pki.path("ca.pem"), "dave", &typed).await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());

    // Carol's phone approves the push Okta sends on her password alone.
    let run = ttls_pap(&server, &pki.path("ca.pem"), "carol", "carol-password").await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert_eq!(org.records().pushes_sent("carol@example.com"), 1);
}

#[tokio::test]
async fn a_client_without_eap_is_told_to_use_pap() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let config = eap_config(&org.base_url(), &pki, "").replace("eap = true", "eap = false");
    let server = TestServer::start(&config).await;

    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(!run.success, "{}", run.tail());
    // The reject says EAP is not answered for this client.
    server
        .logs
        .wait_for("the reject audited", |a| a["reason"] == "eap_unsupported")
        .await;
}

#[tokio::test]
async fn peap_gtc_accepts_in_both_versions_with_mppe_keys() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let config =
        eap_config(&org.base_url(), &pki, "").replace("[eap]\n", "[eap]\nmethods = [\"peap\"]\n");
    let server = TestServer::start(&config).await;

    for version in [0, 1] {
        let mut settings = peap_gtc("alice", version);
        settings.push("password=\"alice-password\"".to_owned());
        let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
        assert!(run.success, "PEAPv{version}: {}", run.tail());
        assert!(run.keys_matched(), "PEAPv{version}: {}", run.tail());
    }

    let mut settings = peap_gtc("alice", 0);
    settings.push("password=\"wrong\"".to_owned());
    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
    assert!(!run.success, "{}", run.tail());
    assert!(
        run.output.contains("CTRL-EVENT-EAP-FAILURE"),
        "{}",
        run.tail()
    );
}

#[tokio::test]
async fn peap_gtc_shows_okta_s_prompt_and_takes_the_code_typed_at_it() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    // TTLS is offered first; a supplicant set to PEAP asks for it with a Nak.
    let code = totp::code(DAVE_TOTP, now());
    let (run, prompts) = eapol_test_typing(
        &server,
        network(&pki.path("ca.pem"), &peap_gtc("dave", 0)),
        vec!["dave-password".to_owned(), code.clone()],
    )
    .await;
    // Neither the password nor the code reaches a log line, at debug level.
    assert!(
        server
            .logs
            .lines()
            .iter()
            .all(|line| !line.contains("dave-password") && !line.contains(&code))
    );
    assert!(run.success, "{prompts:?}\n{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    assert!(prompts[0].contains("Password"), "{prompts:?}");
    assert!(prompts[1].to_lowercase().contains("code"), "{prompts:?}");
    assert_eq!(org.records().factor_verifies("dave@example.com"), 1);
}

#[tokio::test]
async fn a_supplicant_asking_for_a_method_not_offered_gets_eap_failure() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;

    let settings = [
        "eap=MSCHAPV2".to_owned(),
        "identity=\"alice\"".to_owned(),
        "password=\"alice-password\"".to_owned(),
    ];
    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
    assert!(!run.success, "{}", run.tail());
    let refused = server
        .logs
        .wait_field(
            "the supplicant refused the EAP methods offered and asked for one this server does not run",
            "asked_for",
        )
        .await;
    assert_eq!(refused, "MSCHAPv2");
    server
        .logs
        .wait_for("the refusal audited", |a| {
            a["reason"] == "eap_method_refused" && a["outcome"] == "reject"
        })
        .await;
}

#[tokio::test]
async fn tls_1_3_tunnels_derive_the_keys_of_rfc_9427() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;
    let only_tls13 = "phase1=\"tls_disable_tlsv1_0=1 tls_disable_tlsv1_1=1 tls_disable_tlsv1_2=1 tls_disable_tlsv1_3=0\"";

    let settings = [
        "eap=TTLS".to_owned(),
        "identity=\"alice\"".to_owned(),
        "password=\"alice-password\"".to_owned(),
        "phase2=\"auth=PAP\"".to_owned(),
        only_tls13.to_owned(),
    ];
    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert!(run.output.contains("TLSv1.3"), "{}", run.tail());

    let mut settings = peap_gtc("alice", 0);
    settings.push("password=\"alice-password\"".to_owned());
    settings.retain(|line| !line.starts_with("phase1"));
    settings.push(only_tls13.replace("phase1=\"", "phase1=\"peapver=0 "));
    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert!(run.output.contains("TLSv1.3"), "{}", run.tail());
}

#[tokio::test]
async fn a_reload_shows_new_logins_the_renewed_certificate() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;
    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(run.success, "{}", run.tail());

    // The certificate is replaced by one from another CA, in place.
    let renewed = Pki::new();
    for name in ["server.pem", "server.key"] {
        std::fs::copy(renewed.path(name), pki.path(name)).expect("replace the file");
    }
    server.signal("HUP");
    server
        .logs
        .wait_for("the reload", |e| e["message"] == "config reloaded")
        .await;

    let run = ttls_pap(&server, &renewed.path("ca.pem"), "alice", "alice-password").await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    let run = ttls_pap(&server, &pki.path("ca.pem"), "alice", "alice-password").await;
    assert!(!run.success, "the old CA no longer vouches for the server");
}

#[tokio::test]
async fn ttls_with_gtc_inside_accepts_and_takes_the_code_typed_at_its_prompt() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;
    let ttls_gtc = |identity: &str| {
        vec![
            "eap=TTLS".to_owned(),
            format!("identity=\"{identity}\""),
            "phase2=\"autheap=GTC\"".to_owned(),
        ]
    };

    let mut settings = ttls_gtc("alice");
    settings.push("password=\"alice-password\"".to_owned());
    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings)).await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());

    let code = totp::code(DAVE_TOTP, now());
    let (run, prompts) = eapol_test_typing(
        &server,
        network(&pki.path("ca.pem"), &ttls_gtc("dave")),
        vec!["dave-password".to_owned(), code],
    )
    .await;
    assert!(run.success, "{prompts:?}\n{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert_eq!(prompts.len(), 2, "{prompts:?}");
    assert!(prompts[1].to_lowercase().contains("code"), "{prompts:?}");
}

#[tokio::test]
async fn small_fragments_for_a_small_framed_mtu_and_from_the_supplicant() {
    let org = start_mfa_org(|_| {}).await;
    let pki = Pki::new();
    let server = TestServer::start(&eap_config(&org.base_url(), &pki, "")).await;
    // The rounds audited once the `accepts`-th accept is.
    let rounds = async |server: &TestServer, accepts: usize| {
        loop {
            let audits = server.logs.audits();
            if audits.iter().filter(|a| a["outcome"] == "accept").count() >= accepts {
                return audits.iter().filter(|a| a["reason"] == "eap_round").count();
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    };
    let settings = |fragment_size: u32| {
        vec![
            "eap=TTLS".to_owned(),
            "identity=\"alice\"".to_owned(),
            "password=\"alice-password\"".to_owned(),
            "phase2=\"auth=PAP\"".to_owned(),
            format!("fragment_size={fragment_size}"),
        ]
    };

    let run = eapol_test(&server, network(&pki.path("ca.pem"), &settings(1398))).await;
    assert!(run.success, "{}", run.tail());
    let whole = rounds(&server, 1).await;

    // A NAS whose link carries 300 bytes, and a supplicant that sends 200 at
    // a time: both sides' messages travel in acknowledged fragments.
    let run = eapol_test_with(
        &server,
        network(&pki.path("ca.pem"), &settings(200)),
        &["-N12:d:300"],
    )
    .await;
    assert!(run.success, "{}", run.tail());
    assert!(run.keys_matched(), "{}", run.tail());
    assert!(
        // The L flag: this server sets it only on the first of several fragments.
        run.output.contains("TLS Message Length"),
        "the server fragmented its messages:\n{}",
        run.tail()
    );
    let fragmented = rounds(&server, 2).await - whole;
    assert!(
        fragmented > whole,
        "{whole} rounds whole, {fragmented} in fragments"
    );
}
