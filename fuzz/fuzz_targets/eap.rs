//! Fuzzes what a supplicant and a NAS put in front of the EAP server: the
//! EAP packet joined from EAP-Message attributes, the L/M/S frame of the
//! TLS-based methods, the Diameter AVPs inside an EAP-TTLS tunnel, and a
//! hidden MS-MPPE key. Whatever decodes must encode back to what was read.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_proto::diameter_avp::{decode_avps, encode_avps};
use radius_proto::eap::{EapCode, EapPacket, eap_message_attributes};
use radius_proto::eap_tls::{TlsFrame, encode_tls_frame};
use radius_proto::mppe::reveal_mppe_key;

fuzz_target!(|data: &[u8]| {
    if let Ok(eap) = EapPacket::decode(data) {
        let bytes = eap.encode().expect("a decoded packet fits");
        assert!(data.starts_with(&bytes), "encoding gives back the bytes read");
        let joined: Vec<u8> = eap_message_attributes(&bytes)
            .into_iter()
            .flat_map(|attribute| attribute.value)
            .collect();
        assert_eq!(joined, bytes);
        if matches!(eap.code, EapCode::Request | EapCode::Response) {
            if let Ok(frame) = TlsFrame::decode(&eap.data) {
                let again = encode_tls_frame(frame.flags, frame.total_len, frame.fragment);
                assert_eq!(again, eap.data);
            }
        }
        let _ = eap.nak_desired();
    }
    if let Ok(avps) = decode_avps(data) {
        let bytes = encode_avps(&avps).expect("decoded AVPs fit");
        assert_eq!(decode_avps(&bytes).expect("re-decodes"), avps);
    }
    if data.len() >= 16 {
        let (authenticator, value) = data.split_at(16);
        let authenticator: [u8; 16] = authenticator.try_into().expect("16 bytes");
        let _ = reveal_mppe_key(value, b"a-shared-secret", &authenticator);
    }
});
