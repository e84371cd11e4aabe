//! A Disconnect-Request for one session (RFC 5176 §3): User-Name,
//! Acct-Session-Id and the NAS's own identification as its accounting
//! carried it, Event-Timestamp, and Message-Authenticator (first); the
//! Request Authenticator is the digest of RFC 5176 §3.5. And what the NAS
//! answered: Disconnect-ACK, or Disconnect-NAK with its Error-Cause.

use crate::accounting::Session;
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Code, EncodeError, Packet, RequestBuilder};
use std::time::SystemTime;

/// Acct-Session-Id (RFC 2866 §5.5).
const ACCT_SESSION_ID: u8 = 44;
/// Event-Timestamp (RFC 2869 §5.3).
const EVENT_TIMESTAMP: u8 = 55;

/// The encoded request and its Request Authenticator.
pub fn encode(
    session: &Session,
    identifier: u8,
    now: SystemTime,
    secret: &[u8],
) -> Result<(Vec<u8>, [u8; 16]), EncodeError> {
    let mut request = RequestBuilder::new(Code::DisconnectRequest, identifier)
        .message_authenticator(true)
        .text(types::USER_NAME, &session.user_name)
        .text(ACCT_SESSION_ID, &session.acct_session_id);
    if let Some(address) = session.nas.nas_ip_address {
        request = request.attribute(Attribute::new(
            types::NAS_IP_ADDRESS,
            address.octets().to_vec(),
        ));
    }
    if let Some(address) = session.nas.nas_ipv6_address {
        request = request.attribute(Attribute::new(
            types::NAS_IPV6_ADDRESS,
            address.octets().to_vec(),
        ));
    }
    if let Some(identifier) = &session.nas.nas_identifier {
        request = request.text(types::NAS_IDENTIFIER, identifier);
    }
    let seconds = u32::try_from(okta_api::time::epoch_seconds(now)).unwrap_or(u32::MAX);
    request = request.attribute(Attribute::integer(EVENT_TIMESTAMP, seconds));
    request.encode(secret)
}

/// What a NAS answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Ack,
    /// With its Error-Cause (RFC 5176 §3.6), when it gave one.
    Nak(Option<u32>),
}

/// Reads a datagram as the answer to the request sent with `identifier`
/// and `authenticator`; `None` when it is not one (another identifier, a
/// wrong Response Authenticator or Message-Authenticator, another code).
pub fn answer(
    datagram: &[u8],
    identifier: u8,
    authenticator: &[u8; 16],
    secret: &[u8],
) -> Option<Answer> {
    let packet = Packet::decode(datagram).ok()?;
    if packet.identifier() != identifier || !packet.verify_reply(authenticator, secret) {
        return None;
    }
    match packet.code() {
        Code::DisconnectAck => Some(Answer::Ack),
        Code::DisconnectNak => Some(Answer::Nak(packet.integer(types::ERROR_CAUSE))),
        _ => None,
    }
}

/// Whether a NAK may succeed when sent again: the NAS was busy or a proxy
/// failed (502, 505, 506), or it gave no cause. The rest say the request
/// itself is wrong or the session is not there.
pub fn worth_retrying(error_cause: Option<u32>) -> bool {
    matches!(error_cause, None | Some(502 | 505 | 506))
}

/// Error-Cause values by name (RFC 5176 §3.6), for log lines.
pub fn error_cause_name(value: u32) -> &'static str {
    match value {
        201 => "Residual-Session-Context-Removed",
        202 => "Invalid-EAP-Packet",
        401 => "Unsupported-Attribute",
        402 => "Missing-Attribute",
        403 => "NAS-Identification-Mismatch",
        404 => "Invalid-Request",
        405 => "Unsupported-Service",
        406 => "Unsupported-Extension",
        407 => "Invalid-Attribute-Value",
        501 => "Administratively-Prohibited",
        502 => "Request-Not-Routable",
        503 => "Session-Context-Not-Found",
        504 => "Session-Context-Not-Removable",
        505 => "Other-Proxy-Processing-Error",
        506 => "Resources-Unavailable",
        507 => "Request-Initiated",
        508 => "Multiple-Session-Selection-Unsupported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::sessions::Nas;
    use radius_proto::packet::encode_reply;
    use std::net::{IpAddr, Ipv4Addr};

    fn session() -> Session {
        Session {
            acct_session_id: "4D2A0001".to_owned(),
            nas: Nas {
                client: "vpn".to_owned(),
                address: IpAddr::from([192, 0, 2, 10]),
                nas_ip_address: Some(Ipv4Addr::new(192, 0, 2, 10)),
                nas_ipv6_address: None,
                nas_identifier: Some("asa-1".to_owned()),
            },
            user_name: "alice".to_owned(),
            login: "alice@example.com".to_owned(),
            framed_ip_address: None,
            calling_station_id: None,
            started: SystemTime::UNIX_EPOCH,
            updated: SystemTime::UNIX_EPOCH,
        }
    }

    #[test]
    fn a_request_names_the_session_and_is_signed_twice() {
        let (bytes, authenticator) =
            encode(&session(), 7, SystemTime::now(), b"coa-secret").expect("encodes");
        let packet = Packet::decode(&bytes).expect("decodes");
        assert_eq!(packet.code(), Code::DisconnectRequest);
        assert_eq!(packet.authenticator(), &authenticator);
        assert!(packet.verify_request_digest(b"coa-secret"));
        assert!(packet.verify_message_authenticator(b"coa-secret"));
        assert_eq!(
            packet.attributes().next().map(|(t, _)| t),
            Some(types::MESSAGE_AUTHENTICATOR)
        );
        assert_eq!(packet.text(types::USER_NAME), Some("alice"));
        assert_eq!(packet.text(ACCT_SESSION_ID), Some("4D2A0001"));
        assert_eq!(packet.text(types::NAS_IDENTIFIER), Some("asa-1"));
        assert_eq!(
            packet.first(types::NAS_IP_ADDRESS),
            Some(&[192, 0, 2, 10][..])
        );
        assert!(packet.integer(EVENT_TIMESTAMP).is_some());

        let nak = encode_reply(
            Code::DisconnectNak,
            &packet,
            &[Attribute::integer(types::ERROR_CAUSE, 506)],
            b"coa-secret",
        )
        .expect("encodes");
        assert_eq!(
            answer(&nak, 7, &authenticator, b"coa-secret"),
            Some(Answer::Nak(Some(506)))
        );
        assert_eq!(answer(&nak, 8, &authenticator, b"coa-secret"), None);
        assert_eq!(answer(&nak, 7, &authenticator, b"other"), None);
        let ack = encode_reply(Code::DisconnectAck, &packet, &[], b"coa-secret").expect("encodes");
        assert_eq!(
            answer(&ack, 7, &authenticator, b"coa-secret"),
            Some(Answer::Ack)
        );
    }

    #[test]
    fn only_passing_troubles_are_retried() {
        assert!(worth_retrying(Some(506)));
        assert!(worth_retrying(None));
        assert!(!worth_retrying(Some(503)));
        assert!(!worth_retrying(Some(401)));
    }
}
