//! PEAP (versions 0 and 1, as Microsoft, wpa_supplicant and Android run
//! them) and the EAP-GTC it carries: how inner EAP packets travel in the
//! tunnel, the Result TLV that ends PEAPv0, and the keys.
//!
//! PEAPv0 leaves the Code, Identifier and Length off inner packets (both
//! ways), except for the EAP-TLV packets that carry the Result; PEAPv1
//! sends inner packets whole and ends with an EAP-Success inside the
//! tunnel. EAP-GTC (RFC 3748 §5.6) shows the peer a line of text and reads
//! back what the user typed: the password first, then whatever Okta's
//! conversation asks (a factor menu, a code, "approve the push").

use super::tunnel::{Tunnel, TunnelError};
use radius_proto::eap::{EAP_HEADER_LEN, EapCode, EapPacket, methods};

/// The highest PEAP version this server speaks (offered in Start).
pub(super) const HIGHEST_VERSION: u8 = 1;

/// EAP type of the TLV packets (Microsoft's EAP-TLV).
const EAP_TLV: u8 = 33;
/// The Result TLV, mandatory bit set.
const RESULT_TLV: [u8; 2] = [0x80, 0x03];
const RESULT_SUCCESS: u16 = 1;
const RESULT_FAILURE: u16 = 2;

/// An inner packet as it travels in a tunnel of `version`.
pub(super) fn wrap(version: u8, packet: &EapPacket) -> Vec<u8> {
    // Packets this server builds fit in an EAP Length.
    let bytes = packet.encode().unwrap_or_default();
    if version == 0 && packet.method != Some(EAP_TLV) {
        bytes.get(EAP_HEADER_LEN..).unwrap_or_default().to_vec()
    } else {
        bytes
    }
}

/// The peer's inner packet out of the tunnel's plaintext. Under PEAPv0 a
/// header-less packet takes `identifier` (the outer one) as its own.
pub(super) fn unwrap(version: u8, plaintext: &[u8], identifier: u8) -> Option<EapPacket> {
    // A whole packet: its Length is exactly what the tunnel carried.
    let exact = plaintext.get(2..4).is_some_and(|length| {
        usize::from(u16::from_be_bytes([length[0], length[1]])) == plaintext.len()
    });
    let whole = EapPacket::decode(plaintext)
        .ok()
        .filter(|packet| exact && packet.code == EapCode::Response);
    if version != 0 {
        return whole;
    }
    if let Some(packet) = whole.filter(|packet| packet.method == Some(EAP_TLV)) {
        return Some(packet);
    }
    let (&method, data) = plaintext.split_first()?;
    Some(EapPacket::response(identifier, method, data))
}

/// The inner packet that tells the peer how the login ended: a Result TLV
/// under PEAPv0, an EAP-Success or EAP-Failure in the tunnel under PEAPv1.
pub(super) fn result(version: u8, identifier: u8, success: bool) -> EapPacket {
    if version == 0 {
        let status = if success {
            RESULT_SUCCESS
        } else {
            RESULT_FAILURE
        };
        let mut data = RESULT_TLV.to_vec();
        data.extend_from_slice(&2u16.to_be_bytes());
        data.extend_from_slice(&status.to_be_bytes());
        EapPacket::request(identifier, EAP_TLV, data)
    } else {
        let code = if success {
            EapCode::Success
        } else {
            EapCode::Failure
        };
        EapPacket::outcome(code, identifier)
    }
}

/// Whether the peer's answer to [`result`] confirms success: a Result TLV
/// saying so under PEAPv0; under PEAPv1 the peer only acknowledges.
pub(super) fn confirms_success(version: u8, answer: Option<&EapPacket>) -> bool {
    if version != 0 {
        return true;
    }
    let Some(answer) = answer.filter(|a| a.method == Some(EAP_TLV)) else {
        return false;
    };
    let mut expected = RESULT_TLV.to_vec();
    expected.extend_from_slice(&2u16.to_be_bytes());
    expected.extend_from_slice(&RESULT_SUCCESS.to_be_bytes());
    answer.data == expected
}

/// An EAP-GTC Request showing `prompt`.
pub(super) fn gtc_request(identifier: u8, prompt: &str) -> EapPacket {
    EapPacket::request(identifier, methods::GTC, prompt.as_bytes())
}

/// An inner Identity Request.
pub(super) fn identity_request(identifier: u8) -> EapPacket {
    EapPacket::request(identifier, methods::IDENTITY, Vec::new())
}

/// The 64-byte MSK of a finished PEAP tunnel: "client EAP encryption"
/// under TLS 1.2 (for both versions, as wpa_supplicant and Windows derive
/// it), the RFC 9427 exporter with PEAP's Type-Code under TLS 1.3.
pub(super) fn master_session_key(tunnel: &Tunnel) -> Result<[u8; 64], TunnelError> {
    if tunnel.is_tls13() {
        let material: [u8; 128] =
            tunnel.export(b"EXPORTER_EAP_TLS_Key_Material", Some(&[methods::PEAP]))?;
        let mut msk = [0u8; 64];
        msk.copy_from_slice(&material[..64]);
        Ok(msk)
    } else {
        tunnel.export(b"client EAP encryption", None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peapv0_leaves_the_header_off_but_not_for_tlv() {
        let gtc = gtc_request(5, "Password");
        assert_eq!(wrap(0, &gtc), b"\x06Password");
        assert_eq!(wrap(1, &gtc), gtc.encode().expect("fits"));
        let tlv = result(0, 5, true);
        assert_eq!(wrap(0, &tlv), [1, 5, 0, 11, 33, 0x80, 3, 0, 2, 0, 1]);
    }

    #[test]
    fn peapv0_answers_take_the_outer_identifier() {
        let answer = unwrap(0, b"\x06hunter2", 9).expect("a GTC answer");
        assert_eq!(answer.identifier, 9);
        assert_eq!(answer.method, Some(methods::GTC));
        assert_eq!(answer.data, b"hunter2");
        let tlv = unwrap(0, &[2, 9, 0, 11, 33, 0x80, 3, 0, 2, 0, 1], 9).expect("TLV");
        assert!(confirms_success(0, Some(&tlv)));
        let failed = unwrap(0, &[2, 9, 0, 11, 33, 0x80, 3, 0, 2, 0, 2], 9).expect("TLV");
        assert!(!confirms_success(0, Some(&failed)));
        assert!(unwrap(0, &[], 9).is_none());
    }

    #[test]
    fn peapv1_carries_whole_packets() {
        let whole = EapPacket::response(4, methods::GTC, b"pw".to_vec());
        let bytes = whole.encode().expect("fits");
        assert_eq!(unwrap(1, &bytes, 4), Some(whole));
        assert!(unwrap(1, b"\x06pw", 4).is_none());
        assert_eq!(result(1, 4, true).code, EapCode::Success);
    }
}
