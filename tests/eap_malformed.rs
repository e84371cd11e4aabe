//! EAP that no honest supplicant sends, over real UDP to the real binary:
//! broken EAP lengths, wrong Identifiers, a TLS message past the cap in
//! one claim or in many fragments, TLS garbage, a State this server does
//! not hold (a replica that never saw the conversation's start), and
//! conversations abandoned half-way, whose memory goes at the timeout.
//! Each ends in EAP-Failure (after the TLS alert, when TLS failed) or a
//! drop, never a panic, and the server keeps answering.

mod support;

use radius_proto::attribute::{Attribute, types};
use radius_proto::eap::{EapCode, EapPacket, eap_message_attributes, joined_eap_message, methods};
use radius_proto::eap_tls::{encode_tls_frame, flags};
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::time::Duration;
use support::eapol::eap_config;
use support::tls::Pki;
use support::*;

/// An Access-Request from an access point carrying `eap` (raw bytes).
fn eap_request(nas: &Nas, eap: &[u8], state: Option<&[u8]>) -> RequestBuilder {
    let mut builder = RequestBuilder::new(Code::AccessRequest, nas.next_identifier())
        .text(types::USER_NAME, "anonymous")
        .text(types::NAS_IDENTIFIER, "test-ap")
        .text(types::CALLING_STATION_ID, "02-00-00-00-00-01");
    for attribute in eap_message_attributes(eap) {
        builder = builder.attribute(attribute);
    }
    if let Some(state) = state {
        builder = builder.attribute(Attribute::new(types::STATE, state.to_vec()));
    }
    builder
}

fn encoded(eap: &EapPacket) -> Vec<u8> {
    eap.encode().expect("fits")
}

/// The EAP packet of a reply.
fn eap_of(reply: &Packet) -> EapPacket {
    EapPacket::decode(&joined_eap_message(reply).expect("EAP-Message")).expect("valid EAP")
}

/// Sends the Identity and returns the TTLS Start's Identifier and State.
async fn start(nas: &Nas) -> (u8, Vec<u8>) {
    let identity = encoded(&EapPacket::response(
        1,
        methods::IDENTITY,
        b"anonymous".to_vec(),
    ));
    let reply = nas
        .exchange(&eap_request(nas, &identity, None))
        .await
        .expect("a challenge");
    assert_eq!(reply.code(), Code::AccessChallenge);
    let start = eap_of(&reply);
    assert_eq!(start.method, Some(methods::TTLS));
    assert_eq!(start.data, [flags::START]);
    (start.identifier, state_of(&reply))
}

fn assert_failure(reply: &Packet) {
    assert_eq!(reply.code(), Code::AccessReject);
    assert_eq!(eap_of(reply).code, EapCode::Failure);
}

/// The reasons of the audit lines that ended a conversation (not its
/// rounds), once there are `count` of them (each is written just after
/// its reply is sent).
async fn final_reasons(server: &TestServer, count: usize) -> Vec<String> {
    let started = std::time::Instant::now();
    loop {
        let reasons: Vec<String> = server
            .logs
            .audits()
            .iter()
            .map(|a| a["reason"].as_str().unwrap_or("").to_owned())
            .filter(|r| r != "eap_round")
            .collect();
        if reasons.len() >= count || started.elapsed() > Duration::from_secs(10) {
            return reasons;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn server() -> (okta_sim::SimHandle, Pki, TestServer) {
    let org = start_org().await;
    let pki = Pki::new();
    // The client may leave Message-Authenticator out of PAP requests, so
    // that EAP's own requirement of it is what is tested.
    let config = with_client_keys(
        &eap_config(&org.base_url(), &pki, ""),
        "require_message_authenticator = false",
    )
    .replace(
        "[eap]\n",
        "[eap]\nconversation_timeout_seconds = 5\nmethods = [\"ttls\"]\n",
    );
    let server = TestServer::start(&config).await;
    (org, pki, server)
}

#[tokio::test]
async fn wrong_identifiers_garbage_and_oversized_messages_end_in_eap_failure() {
    let (_org, _pki, server) = server().await;
    let nas = Nas::new(server.radius).await;

    // A Response that does not answer the last Request.
    let (id, state) = start(&nas).await;
    let wrong = encoded(&EapPacket::response(
        id.wrapping_add(7),
        methods::TTLS,
        vec![0],
    ));
    let reply = nas
        .exchange(&eap_request(&nas, &wrong, Some(&state)))
        .await
        .expect("a reply");
    assert_failure(&reply);

    // TLS garbage where a ClientHello belongs: first the fatal TLS alert
    // it earns, in a TTLS Request (RFC 5216 §2.1.3), then, once the peer
    // acknowledges it, EAP-Failure.
    let (id, state) = start(&nas).await;
    let garbage = encoded(&EapPacket::response(
        id,
        methods::TTLS,
        encode_tls_frame(0, None, &[0x17; 300]),
    ));
    let reply = nas
        .exchange(&eap_request(&nas, &garbage, Some(&state)))
        .await
        .expect("a reply");
    assert_eq!(reply.code(), Code::AccessChallenge);
    let alert = eap_of(&reply);
    assert_eq!(alert.method, Some(methods::TTLS));
    // The frame's flags (no L, no M), then one TLS record: type 21 (alert),
    // version, length 2, level 2 (fatal), the description.
    assert_eq!(alert.data.len(), 1 + 5 + 2, "{:?}", alert.data);
    assert_eq!((alert.data[0], alert.data[1], alert.data[6]), (0, 21, 2));
    let ack = encoded(&EapPacket::response(
        alert.identifier,
        methods::TTLS,
        vec![0],
    ));
    let reply = nas
        .exchange(&eap_request(&nas, &ack, Some(&state_of(&reply))))
        .await
        .expect("a reply");
    assert_failure(&reply);

    // A first fragment announcing a message past 64 KiB.
    let (id, state) = start(&nas).await;
    let huge = encoded(&EapPacket::response(
        id,
        methods::TTLS,
        encode_tls_frame(flags::MORE_FRAGMENTS, Some(1 << 20), &[0x16; 100]),
    ));
    let reply = nas
        .exchange(&eap_request(&nas, &huge, Some(&state)))
        .await
        .expect("a reply");
    assert_failure(&reply);

    // Fragments that never end: acknowledged one by one until the cap.
    let (mut id, mut state) = start(&nas).await;
    let mut acknowledged = 0;
    let reply = loop {
        let fragment = encoded(&EapPacket::response(
            id,
            methods::TTLS,
            encode_tls_frame(flags::MORE_FRAGMENTS, None, &[0x16; 3000]),
        ));
        let reply = nas
            .exchange(&eap_request(&nas, &fragment, Some(&state)))
            .await
            .expect("a reply");
        if reply.code() != Code::AccessChallenge {
            break reply;
        }
        let ack = eap_of(&reply);
        assert_eq!(ack.data, [0], "an acknowledgement");
        acknowledged += 1;
        id = ack.identifier;
        state = state_of(&reply);
    };
    assert_failure(&reply);
    assert_eq!(
        acknowledged,
        65_536 / 3000,
        "every fragment under the cap is acknowledged"
    );

    let reasons = final_reasons(&server, 4).await;
    assert_eq!(
        reasons,
        [
            "eap_wrong_identifier",
            "eap_tls_failed",
            "eap_too_large",
            "eap_too_large"
        ]
    );
    // Still serving.
    start(&nas).await;
}

#[tokio::test]
async fn broken_eap_is_dropped_and_the_server_goes_on() {
    let (_org, _pki, server) = server().await;
    let nas = Nas::new(server.radius).await;
    for broken in [
        vec![2, 1, 0, 40, 1, b'x'], // Length past the bytes
        vec![2, 1, 0, 2],           // Length below the header
        vec![2, 1, 0],              // no header at all
        vec![9, 1, 0, 5, 1],        // no such Code
        vec![1, 1, 0, 5, 1],        // a Request, from the peer
    ] {
        let (bytes, _) = eap_request(&nas, &broken, None)
            .encode(&nas.secret)
            .expect("encodes");
        nas.send_raw(&bytes).await;
        assert!(
            nas.receive(Duration::from_millis(500)).await.is_none(),
            "{broken:?} is dropped"
        );
    }
    // EAP-Message without Message-Authenticator is dropped too (RFC 3579 §3.3).
    let identity = encoded(&EapPacket::response(1, methods::IDENTITY, b"a".to_vec()));
    let (bytes, _) = eap_request(&nas, &identity, None)
        .message_authenticator(false)
        .encode(&nas.secret)
        .expect("encodes");
    nas.send_raw(&bytes).await;
    assert!(nas.receive(Duration::from_millis(500)).await.is_none());
    start(&nas).await;
}

#[tokio::test]
async fn an_unknown_or_abandoned_conversation_is_rejected_and_released() {
    let (_org, _pki, server) = server().await;
    let nas = Nas::new(server.radius).await;

    // The middle of a conversation this server never started (another
    // replica's): a reject at once, so the NAS starts over.
    let middle = encoded(&EapPacket::response(4, methods::TTLS, vec![0]));
    let reply = nas
        .exchange(&eap_request(&nas, &middle, Some(&[0x5a; 16])))
        .await
        .expect("a prompt reply");
    assert_failure(&reply);

    // Three logins walk away after the Start.
    let mut abandoned = Vec::new();
    for _ in 0..3 {
        abandoned.push(start(&nas).await);
    }
    server.wait_counter("radius_eap_conversations", 3.0).await;
    // Released at the timeout: the gauge falls back to nothing held.
    let released = async {
        loop {
            let text = server.metrics_text().await;
            if metric_value(&text, "radius_eap_conversations") == 0.0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    };
    tokio::time::timeout(Duration::from_secs(30), released)
        .await
        .expect("the abandoned conversations are released");
    let (id, state) = &abandoned[0];
    let late = encoded(&EapPacket::response(*id, methods::TTLS, vec![0]));
    let reply = nas
        .exchange(&eap_request(&nas, &late, Some(state)))
        .await
        .expect("a reply");
    assert_failure(&reply);
    assert_eq!(
        final_reasons(&server, 2).await,
        ["eap_unknown_conversation", "eap_unknown_conversation"]
    );
}
