//! EAP packets (RFC 3748 §4) and how RADIUS carries them (RFC 3579 §3.1):
//! one EAP packet cut into EAP-Message attributes of at most 253 bytes,
//! joined again in order on the other side.
//!
//! Every EAP packet the server reads came from a supplicant through a NAS,
//! so decoding is total: a Length shorter than the header, longer than the
//! bytes, or a Request/Response without its Type is an error, never a panic.

use crate::attribute::{Attribute, MAX_VALUE_LEN, types};
use crate::packet::Packet;
use crate::reader::Reader;

/// The four EAP codes (RFC 3748 §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EapCode {
    Request,
    Response,
    Success,
    Failure,
}

impl EapCode {
    pub fn from_u8(byte: u8) -> Option<EapCode> {
        match byte {
            1 => Some(EapCode::Request),
            2 => Some(EapCode::Response),
            3 => Some(EapCode::Success),
            4 => Some(EapCode::Failure),
            _ => None,
        }
    }

    pub fn as_u8(self) -> u8 {
        match self {
            EapCode::Request => 1,
            EapCode::Response => 2,
            EapCode::Success => 3,
            EapCode::Failure => 4,
        }
    }
}

/// EAP method types (RFC 3748 §5, IANA "EAP Method Types") the server
/// reads or offers.
pub mod methods {
    pub const IDENTITY: u8 = 1;
    pub const NOTIFICATION: u8 = 2;
    /// Legacy Nak: "not this method; these are the ones I would take".
    pub const NAK: u8 = 3;
    pub const MD5_CHALLENGE: u8 = 4;
    pub const GTC: u8 = 6;
    pub const TLS: u8 = 13;
    pub const TTLS: u8 = 21;
    pub const PEAP: u8 = 25;
    pub const MSCHAPV2: u8 = 26;
    pub const EXPANDED: u8 = 254;

    /// The method's usual name, for log lines.
    pub fn name(method: u8) -> &'static str {
        match method {
            IDENTITY => "Identity",
            NOTIFICATION => "Notification",
            NAK => "Nak",
            MD5_CHALLENGE => "MD5-Challenge",
            GTC => "GTC",
            TLS => "TLS",
            TTLS => "TTLS",
            PEAP => "PEAP",
            MSCHAPV2 => "MSCHAPv2",
            EXPANDED => "Expanded",
            _ => "other",
        }
    }
}

/// Length of the Code, Identifier and Length fields.
pub const EAP_HEADER_LEN: usize = 4;

/// The longest EAP packet the Length field can describe.
pub const EAP_MAX_LEN: usize = u16::MAX as usize;

/// Why bytes are not an EAP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EapError {
    #[error("EAP packet shorter than its 4-byte header")]
    TooShort,
    #[error("EAP Length field below 4 or past the received bytes")]
    BadLength,
    #[error("unknown EAP Code")]
    UnknownCode,
    #[error("EAP Request or Response without a Type")]
    MissingType,
    #[error("EAP Success or Failure with data")]
    DataOnSuccessOrFailure,
    #[error("EAP packet longer than 65535 bytes")]
    TooLong,
}

/// One EAP packet. For a Request or Response, `method` is its Type and
/// `data` the Type-Data; Success and Failure have neither.
#[derive(Clone, PartialEq, Eq)]
pub struct EapPacket {
    pub code: EapCode,
    pub identifier: u8,
    pub method: Option<u8>,
    pub data: Vec<u8>,
}

/// Type-Data may hold a password (EAP-GTC): only its length is shown.
impl std::fmt::Debug for EapPacket {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EapPacket")
            .field("code", &self.code)
            .field("identifier", &self.identifier)
            .field("method", &self.method)
            .field("data_len", &self.data.len())
            .finish()
    }
}

impl EapPacket {
    /// A Request of `method` carrying `data`.
    pub fn request(identifier: u8, method: u8, data: impl Into<Vec<u8>>) -> EapPacket {
        EapPacket {
            code: EapCode::Request,
            identifier,
            method: Some(method),
            data: data.into(),
        }
    }

    /// A Response of `method` carrying `data`.
    pub fn response(identifier: u8, method: u8, data: impl Into<Vec<u8>>) -> EapPacket {
        EapPacket {
            code: EapCode::Response,
            identifier,
            method: Some(method),
            data: data.into(),
        }
    }

    /// EAP-Success or EAP-Failure (`code` says which).
    pub fn outcome(code: EapCode, identifier: u8) -> EapPacket {
        EapPacket {
            code,
            identifier,
            method: None,
            data: Vec::new(),
        }
    }

    /// Decodes one EAP packet. Bytes past the Length field are link-layer
    /// padding and are ignored (RFC 3748 §4).
    pub fn decode(bytes: &[u8]) -> Result<EapPacket, EapError> {
        let mut reader = Reader::new(bytes);
        let code = reader.u8().ok_or(EapError::TooShort)?;
        let identifier = reader.u8().ok_or(EapError::TooShort)?;
        let length = usize::from(reader.u16_be().ok_or(EapError::TooShort)?);
        if length < EAP_HEADER_LEN || length > bytes.len() {
            return Err(EapError::BadLength);
        }
        let code = EapCode::from_u8(code).ok_or(EapError::UnknownCode)?;
        let mut body = reader
            .sub_reader(length - EAP_HEADER_LEN)
            .ok_or(EapError::BadLength)?;
        match code {
            EapCode::Success | EapCode::Failure => {
                if !body.is_empty() {
                    return Err(EapError::DataOnSuccessOrFailure);
                }
                Ok(EapPacket::outcome(code, identifier))
            }
            EapCode::Request | EapCode::Response => {
                let method = body.u8().ok_or(EapError::MissingType)?;
                Ok(EapPacket {
                    code,
                    identifier,
                    method: Some(method),
                    data: body.rest().to_vec(),
                })
            }
        }
    }

    /// The packet on the wire.
    pub fn encode(&self) -> Result<Vec<u8>, EapError> {
        let method_len = usize::from(self.method.is_some());
        let length = EAP_HEADER_LEN + method_len + self.data.len();
        let wire_length = u16::try_from(length).map_err(|_| EapError::TooLong)?;
        let mut out = Vec::with_capacity(length);
        out.push(self.code.as_u8());
        out.push(self.identifier);
        out.extend_from_slice(&wire_length.to_be_bytes());
        if let Some(method) = self.method {
            out.push(method);
        }
        out.extend_from_slice(&self.data);
        Ok(out)
    }

    /// The methods a Legacy Nak asks for instead (RFC 3748 §5.3.1); empty
    /// for any other packet.
    pub fn nak_desired(&self) -> &[u8] {
        if self.code == EapCode::Response && self.method == Some(methods::NAK) {
            &self.data
        } else {
            &[]
        }
    }
}

/// The EAP packet of a RADIUS packet: every EAP-Message attribute's value,
/// in order, joined (RFC 3579 §3.1). `None` when there is none.
pub fn joined_eap_message(packet: &Packet) -> Option<Vec<u8>> {
    let mut parts = packet.all(types::EAP_MESSAGE).peekable();
    parts.peek()?;
    let mut joined = Vec::new();
    for part in parts {
        joined.extend_from_slice(part);
    }
    Some(joined)
}

/// An EAP packet cut into EAP-Message attributes of at most 253 bytes each.
/// An empty EAP packet still gets one (empty) attribute.
pub fn eap_message_attributes(eap: &[u8]) -> Vec<Attribute> {
    if eap.is_empty() {
        return vec![Attribute::new(types::EAP_MESSAGE, Vec::new())];
    }
    eap.chunks(MAX_VALUE_LEN)
        .map(|piece| Attribute::new(types::EAP_MESSAGE, piece))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::packet::{Code, RequestBuilder};
    use proptest::prelude::*;

    #[test]
    fn decodes_an_identity_response() {
        // Response, id 7, length 10, Identity "alice".
        let bytes = [2, 7, 0, 10, 1, b'a', b'l', b'i', b'c', b'e'];
        let eap = EapPacket::decode(&bytes).expect("valid");
        assert_eq!(eap.code, EapCode::Response);
        assert_eq!(eap.identifier, 7);
        assert_eq!(eap.method, Some(methods::IDENTITY));
        assert_eq!(eap.data, b"alice");
        assert_eq!(eap.encode().expect("fits"), bytes);
    }

    #[test]
    fn success_and_failure_are_four_bytes() {
        let success = EapPacket::outcome(EapCode::Success, 9)
            .encode()
            .expect("fits");
        assert_eq!(success, [3, 9, 0, 4]);
        assert_eq!(
            EapPacket::decode(&[4, 1, 0, 4]).expect("valid").code,
            EapCode::Failure
        );
        assert_eq!(
            EapPacket::decode(&[3, 1, 0, 5, 0]),
            Err(EapError::DataOnSuccessOrFailure)
        );
    }

    #[test]
    fn broken_lengths_are_errors() {
        assert_eq!(EapPacket::decode(&[2, 1, 0]), Err(EapError::TooShort));
        assert_eq!(EapPacket::decode(&[2, 1, 0, 3]), Err(EapError::BadLength));
        assert_eq!(
            EapPacket::decode(&[2, 1, 0, 9, 1]),
            Err(EapError::BadLength)
        );
        assert_eq!(EapPacket::decode(&[2, 1, 0, 4]), Err(EapError::MissingType));
        assert_eq!(EapPacket::decode(&[9, 1, 0, 4]), Err(EapError::UnknownCode));
    }

    #[test]
    fn bytes_past_length_are_padding() {
        let eap = EapPacket::decode(&[2, 1, 0, 6, 1, b'x', 0, 0, 0]).expect("valid");
        assert_eq!(eap.data, b"x");
    }

    #[test]
    fn nak_lists_the_desired_methods() {
        let nak = EapPacket::response(3, methods::NAK, vec![methods::TLS, methods::PEAP]);
        assert_eq!(nak.nak_desired(), [methods::TLS, methods::PEAP]);
        let identity = EapPacket::response(3, methods::IDENTITY, b"bob".to_vec());
        assert!(identity.nak_desired().is_empty());
    }

    #[test]
    fn too_long_to_encode() {
        let eap = EapPacket::request(1, methods::TTLS, vec![0; EAP_MAX_LEN]);
        assert_eq!(eap.encode(), Err(EapError::TooLong));
    }

    #[test]
    fn a_long_eap_packet_travels_in_several_attributes() {
        let eap = EapPacket::request(4, methods::TTLS, vec![0xab; 1000])
            .encode()
            .expect("fits");
        let attributes = eap_message_attributes(&eap);
        assert_eq!(attributes.len(), 4);
        assert!(attributes.iter().all(|a| a.value.len() <= 253));
        let mut builder = RequestBuilder::new(Code::AccessRequest, 1);
        for attribute in attributes {
            builder = builder.attribute(attribute);
        }
        let (bytes, _) = builder.encode(b"secret").expect("fits");
        let packet = Packet::decode(&bytes).expect("valid");
        assert_eq!(joined_eap_message(&packet).expect("present"), eap);
    }

    #[test]
    fn no_eap_message_is_none() {
        let (bytes, _) = RequestBuilder::new(Code::AccessRequest, 1)
            .encode(b"secret")
            .expect("fits");
        let packet = Packet::decode(&bytes).expect("valid");
        assert!(joined_eap_message(&packet).is_none());
    }

    proptest! {
        #[test]
        fn decoding_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let _ = EapPacket::decode(&bytes);
        }

        #[test]
        fn encode_then_decode_is_identity(
            code in 1u8..=2,
            identifier in any::<u8>(),
            method in any::<u8>(),
            data in proptest::collection::vec(any::<u8>(), 0..2000),
        ) {
            let eap = EapPacket {
                code: EapCode::from_u8(code).expect("1 or 2"),
                identifier,
                method: Some(method),
                data,
            };
            let bytes = eap.encode().expect("fits");
            prop_assert_eq!(EapPacket::decode(&bytes).expect("valid"), eap.clone());
            let joined: Vec<u8> = eap_message_attributes(&bytes)
                .into_iter()
                .flat_map(|a| a.value)
                .collect();
            prop_assert_eq!(joined, bytes);
        }
    }
}
