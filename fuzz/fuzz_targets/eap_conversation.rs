//! Fuzzes the EAP server's own conversation (`src/eap`), not only the
//! decoders: one conversation per input, fed a sequence of arbitrary
//! EAP-Responses in Access-Requests, through the Identity, the method
//! offered and the Legacy-Nak, the Identifiers and the round cap, the
//! EAP-TTLS/PEAP fragments (L/M/S flags, acknowledgements, the 64 KiB
//! cap) and the TLS records handed to rustls. Every answer must be a drop,
//! an Access-Challenge with one well-formed EAP-Request of the method
//! (a TLS-method frame no longer than the fragment size) and a 16-byte
//! State, or an Access-Reject with EAP-Failure; never an Accept, since no
//! Okta is behind it (a round whose peer spoke inside the tunnel stops
//! there). Records may also be read as the tunnel's content by the
//! readers of the inner login (TTLS AVPs, PEAP inner EAP and Result TLV).
//!
//! Input: two bytes of settings (methods offered, fragment size), then
//! records of a control byte, a 16-bit word (12 bits of length, 4 bits of
//! repetitions) and the EAP bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use okta_radius::config::{EapConfig, EapMethod};
use okta_radius::eap_fuzzing::{OuterAnswer, OuterRounds, read_inner};
use radius_proto::attribute::{Attribute, types};
use radius_proto::eap::{EapCode, EapPacket, eap_message_attributes, methods};
use radius_proto::eap_tls::TlsFrame;
use radius_proto::packet::{Code, Packet, RequestBuilder};
use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::sign::CertifiedKey;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const CLIENT: &str = "wlc";
const SECRET: &[u8] = b"a-shared-secret";
const FRAMED_MTU: u8 = 12;

/// Carry the State of the last Access-Challenge.
const WITH_STATE: u8 = 0x01;
/// Without WITH_STATE: a State the server never gave.
const UNKNOWN_STATE: u8 = 0x02;
/// Set Code Response, the last Request's Identifier and the Length.
const FIX_HEADER: u8 = 0x04;
/// Leave Message-Authenticator out.
const NO_MESSAGE_AUTHENTICATOR: u8 = 0x08;
/// Add a Framed-MTU.
const WITH_FRAMED_MTU: u8 = 0x10;
/// Sent by another client.
const OTHER_CLIENT: u8 = 0x20;
/// Also read the bytes as the content of a tunnel (PEAP version from the
/// high bit).
const AS_INNER: u8 = 0x40;

fn certificate() -> Arc<CertifiedKey> {
    static CERTIFICATE: OnceLock<Arc<CertifiedKey>> = OnceLock::new();
    CERTIFICATE
        .get_or_init(|| {
            let key = rcgen::KeyPair::generate().expect("a key pair");
            let certificate = rcgen::CertificateParams::new(vec!["radius.example.com".into()])
                .expect("certificate parameters")
                .self_signed(&key)
                .expect("a self-signed certificate");
            let der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
            let signing =
                rustls::crypto::aws_lc_rs::sign::any_supported_type(&der).expect("a signing key");
            Arc::new(CertifiedKey::new(vec![certificate.der().clone()], signing))
        })
        .clone()
}

fuzz_target!(|data: &[u8]| {
    let [order, size, rest @ ..] = data else {
        return;
    };
    let mut rest = rest;
    let methods_offered = match order & 3 {
        0 => vec![EapMethod::Ttls, EapMethod::Peap],
        1 => vec![EapMethod::Peap, EapMethod::Ttls],
        2 => vec![EapMethod::Ttls],
        _ => vec![EapMethod::Peap],
    };
    let fragment_size = 64 + usize::from(*size) * 8;
    let config = EapConfig {
        certificate_file: "unused.pem".into(),
        private_key_file: "unused.key".into(),
        methods: methods_offered,
        fragment_size,
        conversation_timeout: Duration::from_secs(60),
        max_conversations: 4,
    };
    let server = OuterRounds::new(&config, certificate()).expect("the EAP server starts");
    let mut state: Option<Vec<u8>> = None;
    let mut last_request: u8 = 0;
    let mut radius_id: u8 = 0;
    while let [control, high, low, tail @ ..] = rest {
        let control = *control;
        let word = u16::from_be_bytes([*high, *low]);
        let len = usize::from(word & 0x0fff).min(tail.len());
        let repeat = 1 + 2 * usize::from(word >> 12);
        let (record, next) = tail.split_at(len);
        rest = next;
        let mut eap = record.to_vec();
        if control & FIX_HEADER != 0 && eap.len() >= 4 {
            eap[0] = EapCode::Response.as_u8();
            eap[1] = last_request;
            let length = u16::try_from(eap.len()).expect("at most 4095 bytes");
            eap[2..4].copy_from_slice(&length.to_be_bytes());
        }
        if control & AS_INNER != 0 {
            read_inner(control >> 7, record, last_request);
        }
        for _ in 0..repeat {
            radius_id = radius_id.wrapping_add(1);
            let mut request = RequestBuilder::new(Code::AccessRequest, radius_id)
                .message_authenticator(control & NO_MESSAGE_AUTHENTICATOR == 0)
                .text(types::USER_NAME, "anonymous");
            for attribute in eap_message_attributes(&eap) {
                request = request.attribute(attribute);
            }
            if control & WITH_STATE != 0 {
                if let Some(state) = &state {
                    request = request.attribute(Attribute::new(types::STATE, state.clone()));
                }
            } else if control & UNKNOWN_STATE != 0 {
                request = request.attribute(Attribute::new(types::STATE, vec![7; 16]));
            }
            if control & WITH_FRAMED_MTU != 0 {
                let mtu = u32::from(*size) * 4;
                request = request.attribute(Attribute::new(FRAMED_MTU, mtu.to_be_bytes()));
            }
            let Ok((bytes, _)) = request.encode(SECRET) else {
                break;
            };
            let packet = Packet::decode(&bytes).expect("a request we encoded decodes");
            let client = if control & OTHER_CLIENT != 0 {
                "another-nas"
            } else {
                CLIENT
            };
            match server.answer(client, &packet) {
                OuterAnswer::Silence | OuterAnswer::InnerLogin => {}
                OuterAnswer::Accept { .. } => panic!("an Access-Accept with no Okta behind"),
                OuterAnswer::Reject { eap } => {
                    let failure = EapPacket::decode(&eap).expect("the reject carries EAP");
                    assert_eq!(failure.code, EapCode::Failure);
                    assert_eq!(eap.len(), 4, "an EAP-Failure is a bare header");
                }
                OuterAnswer::Challenge { eap, state: given } => {
                    assert_eq!(given.len(), 16, "the State names a conversation");
                    let request = EapPacket::decode(&eap).expect("the challenge carries EAP");
                    assert_eq!(request.code, EapCode::Request);
                    assert_eq!(request.encode().expect("re-encodes"), eap);
                    let method = request.method.expect("a Request has a Type");
                    assert!(
                        method == methods::TTLS || method == methods::PEAP,
                        "the Request is of an offered method"
                    );
                    let frame = TlsFrame::decode(&request.data).expect("a TLS-method frame");
                    assert!(
                        frame.fragment.len() <= fragment_size,
                        "no fragment past the fragment size"
                    );
                    last_request = request.identifier;
                    state = Some(given);
                }
            }
        }
    }
});
