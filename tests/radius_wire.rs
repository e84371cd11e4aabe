//! The RADIUS front door over real UDP: who gets an answer, who is dropped
//! and counted, and what a reply looks like on the wire.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::crypto;
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::time::Duration;
use support::*;

const SILENCE: Duration = Duration::from_millis(1500);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_clients_and_wrong_secrets_are_dropped_and_counted() {
    let org = start_org().await;
    // The only client is 127.0.0.2: our NAS on 127.0.0.1 is unknown.
    let config =
        config_for(&org.base_url()).replace("address = \"127.0.0.1\"", "address = \"127.0.0.2\"");
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;
    let (bytes, _) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);
    server
        .wait_counter(
            "radius_drops_total{reason=\"unknown_client\",client=\"\"}",
            1.0,
        )
        .await;

    let server = TestServer::start(&config_for(&org.base_url())).await;
    let wrong = Nas::with_secret(server.radius, "not-the-shared-secret").await;
    let (bytes, _) = wrong
        .login_request("alice", "alice-password")
        .encode(b"not-the-shared-secret")
        .expect("encodes");
    wrong.send_raw(&bytes).await;
    assert_eq!(wrong.receive(SILENCE).await, None);
    // Counted under the client, and said once at warn with the likely cause.
    server
        .wait_counter(
            "radius_drops_total{reason=\"bad_message_authenticator\",client=\"test-nas\"}",
            1.0,
        )
        .await;
    for _ in 0..3 {
        wrong.send_raw(&bytes).await;
    }
    server
        .wait_counter(
            "radius_drops_total{reason=\"bad_message_authenticator\",client=\"test-nas\"}",
            4.0,
        )
        .await;
    let warnings: Vec<serde_json::Value> = server
        .logs
        .events()
        .into_iter()
        .filter(|e| e["level"] == "WARN" && e["client"] == "test-nas")
        .filter(|e| {
            e["message"]
                .as_str()
                .is_some_and(|m| m.contains("the shared secret of this NAS differs"))
        })
        .collect();
    assert_eq!(warnings.len(), 1, "one warning a minute: {warnings:?}");
    assert_eq!(
        org.records().authn_calls("alice@example.com"),
        0,
        "Okta was never asked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn requests_without_or_with_a_corrupted_message_authenticator_are_dropped() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    let (bytes, _) = nas
        .login_request("alice", "alice-password")
        .message_authenticator(false)
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);
    server
        .wait_counter(
            "radius_drops_total{reason=\"missing_message_authenticator\"}",
            1.0,
        )
        .await;

    let (mut bytes, _) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    bytes[25] ^= 0x40; // inside the MA value (MA is first: value at 22..38)
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);

    let (mut bytes, _) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x01; // an attribute changed after signing
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);
    server
        .wait_counter(
            "radius_drops_total{reason=\"bad_message_authenticator\"}",
            2.0,
        )
        .await;
    assert_eq!(org.records().authn_calls("alice@example.com"), 0);

    // The same NAS with a correct request is answered.
    let request = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_opts_out_of_ma_still_has_proxy_state_limited() {
    let org = start_org().await;
    let config = config_for(&org.base_url()).replace(
        "deadline_ms = 2000",
        "deadline_ms = 2000\nrequire_message_authenticator = false",
    );
    let server = TestServer::start(&config).await;
    let nas = Nas::new(server.radius).await;

    let request = nas
        .login_request("alice", "alice-password")
        .message_authenticator(false);
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept
    );

    let (bytes, _) = nas
        .login_request("alice", "alice-password")
        .message_authenticator(false)
        .attribute(Attribute::new(types::PROXY_STATE, b"from-a-proxy".to_vec()))
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);
    server
        .wait_counter(
            "radius_drops_total{reason=\"proxy_state_without_message_authenticator\"}",
            1.0,
        )
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replies_carry_ma_first_and_proxy_state_in_order() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;

    for (password, code) in [
        ("alice-password", Code::AccessAccept),
        ("wrong", Code::AccessReject),
    ] {
        let request = nas
            .login_request("alice", password)
            .attribute(Attribute::new(types::PROXY_STATE, b"one".to_vec()))
            .attribute(Attribute::new(types::PROXY_STATE, b"two".to_vec()))
            .attribute(Attribute::new(types::PROXY_STATE, vec![0, 1, 2, 255]));
        let reply = nas.exchange(&request).await.expect("reply");
        assert_eq!(reply.code(), code);
        let types_in_order: Vec<u8> = reply.attributes().map(|(t, _)| t).collect();
        assert_eq!(types_in_order[0], types::MESSAGE_AUTHENTICATOR);
        let states: Vec<Vec<u8>> = reply.all(types::PROXY_STATE).map(<[u8]>::to_vec).collect();
        assert_eq!(
            states,
            vec![b"one".to_vec(), b"two".to_vec(), vec![0, 1, 2, 255]]
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn status_server_is_answered_with_radclient_and_without_okta() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let id = nas.next_identifier();
    let request = RequestBuilder::new(Code::StatusServer, id)
        .attribute(Attribute::new(types::NAS_IDENTIFIER, b"probe".to_vec()));
    let reply = nas.exchange(&request).await.expect("reply");
    assert_eq!(reply.code(), Code::AccessAccept);
    assert_eq!(reply.message_authenticator_offset(), Some(22));

    // Without MA a Status-Server is dropped (RFC 5997 §3).
    let (bytes, _) = RequestBuilder::new(Code::StatusServer, id.wrapping_add(1))
        .message_authenticator(false)
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert_eq!(nas.receive(SILENCE).await, None);

    let radius = server.radius;
    let (ok, output) = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new("radclient")
            .args(["-x", "-r", "1", "-t", "3"])
            .arg(radius.to_string())
            .args(["status", SECRET])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("radclient is installed");
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"Message-Authenticator = 0x00\n")
            .expect("write");
        let out = child.wait_with_output().expect("runs");
        (
            out.status.success(),
            format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            ),
        )
    })
    .await
    .expect("join");
    assert!(ok && output.contains("Received Access-Accept"), "{output}");
    assert_eq!(
        okta_calls_for_requests(&org),
        0,
        "Status-Server never asks Okta"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retransmits_reach_okta_once_and_get_the_same_reply() {
    let org = start_org().await;
    org.faults().set_latency(Duration::from_millis(600));
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let (bytes, authenticator) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");

    // Three copies while Okta is still thinking: one answer.
    for _ in 0..3 {
        nas.send_raw(&bytes).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let first = nas.receive(Duration::from_secs(5)).await.expect("reply");
    assert_eq!(
        nas.receive(Duration::from_millis(300)).await,
        None,
        "in-progress copies are dropped"
    );

    // A copy after the answer gets the cached bytes again.
    nas.send_raw(&bytes).await;
    let second = nas
        .receive(Duration::from_secs(2))
        .await
        .expect("cached reply");
    assert_eq!(first, second);
    let reply = Packet::decode(&first).expect("decodes");
    assert!(reply.verify_reply(&authenticator, SECRET.as_bytes()));
    assert_eq!(reply.code(), Code::AccessAccept);
    assert_eq!(
        org.records().authn_calls("alice@example.com"),
        1,
        "Okta asked exactly once"
    );
    server
        .wait_counter("radius_duplicates_total{kind=\"in_progress\"}", 2.0)
        .await;
    server
        .wait_counter("radius_duplicates_total{kind=\"resent\"}", 1.0)
        .await;

    // The same identifier with a new authenticator is a new request.
    let id = bytes[1];
    let (fresh, _) = RequestBuilder::new(Code::AccessRequest, id)
        .text(types::USER_NAME, "alice")
        .user_password(b"alice-password", SECRET.as_bytes())
        .expect("fits")
        .text(types::NAS_IDENTIFIER, "test-vpn")
        .encode(SECRET.as_bytes())
        .expect("encodes");
    nas.send_raw(&fresh).await;
    assert!(nas.receive(Duration::from_secs(5)).await.is_some());
    assert_eq!(org.records().authn_calls("alice@example.com"), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_datagrams_are_dropped_counted_and_harmless() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let (good, _) = nas
        .login_request("alice", "alice-password")
        .encode(SECRET.as_bytes())
        .expect("encodes");

    let mut junk: Vec<Vec<u8>> = vec![vec![], vec![1; 19], b"GET / HTTP/1.1\r\n\r\n".to_vec()];
    let mut long_length = good.clone();
    long_length[2..4].copy_from_slice(&5000u16.to_be_bytes());
    junk.push(long_length);
    let mut past_end = good.clone();
    past_end[2..4].copy_from_slice(&((good.len() + 10) as u16).to_be_bytes());
    junk.push(past_end);
    let mut zero_attribute = good.clone();
    zero_attribute.extend_from_slice(&[1, 0]);
    let length = (zero_attribute.len() as u16).to_be_bytes();
    zero_attribute[2..4].copy_from_slice(&length);
    junk.push(zero_attribute);
    let mut reply_code = good.clone();
    reply_code[0] = Code::AccessAccept.as_u8();
    junk.push(reply_code);

    for datagram in &junk {
        nas.send_raw(datagram).await;
    }
    assert_eq!(nas.receive(SILENCE).await, None);
    server
        .wait_counter("radius_drops_total{reason=\"malformed\"}", 5.0)
        .await;
    server
        .wait_counter("radius_drops_total{reason=\"unexpected_code\"}", 1.0)
        .await;

    // No warning or error was logged per packet.
    let noisy = server
        .logs
        .events()
        .into_iter()
        .filter(|e| e["level"] == "WARN" || e["level"] == "ERROR")
        .count();
    assert_eq!(noisy, 0);

    let request = nas.login_request("alice", "alice-password");
    assert_eq!(
        nas.exchange(&request).await.expect("reply").code(),
        Code::AccessAccept
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chap_is_refused_with_a_pointer_to_pap() {
    let org = start_org().await;
    let server = TestServer::start(&config_for(&org.base_url())).await;
    let nas = Nas::new(server.radius).await;
    let id = nas.next_identifier();
    let request = RequestBuilder::new(Code::AccessRequest, id)
        .text(types::USER_NAME, "alice")
        .text(types::NAS_IDENTIFIER, "test-vpn")
        .attribute(Attribute::new(
            types::CHAP_PASSWORD,
            crypto::random_authenticator()
                .iter()
                .chain([0u8].iter())
                .copied()
                .collect::<Vec<u8>>(),
        ));
    let reply = nas.exchange(&request).await.expect("reply");
    assert_eq!(reply.code(), Code::AccessReject);
    assert!(reply_message(&reply).contains("PAP"));
    assert_eq!(okta_calls_for_requests(&org), 0);
}

/// Calls the org received apart from the server's own start-up check and
/// keep-alive (`/api/v1/users/me`).
fn okta_calls_for_requests(org: &okta_sim::SimHandle) -> usize {
    org.records().total_calls() - org.records().calls_to("/api/v1/users/me")
}
