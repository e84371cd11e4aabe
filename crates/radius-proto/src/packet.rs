//! RADIUS packets on the wire: a total decoder and the encoders for requests
//! and replies (RFC 2865 §3, RFC 2866, RFC 3579, RFC 5997).
//!
//! Decoding never panics and never allocates per attribute: a [`Packet`]
//! keeps the received bytes and an index of where each attribute's value lies.
//! Encoding puts Message-Authenticator first in every reply and copies
//! Proxy-State from the request in order, so no caller can forget either.

use super::attribute::{Attribute, MAX_VALUE_LEN, MESSAGE_AUTHENTICATOR_LEN, types};
use super::crypto::{self, AUTHENTICATOR_LEN};
use super::reader::Reader;
use smallvec::SmallVec;

/// The shortest packet: its header alone (RFC 2865 §3).
pub const MIN_PACKET_LEN: usize = 20;
/// The longest packet RFC 2865 §3 allows; a stream transport reads no
/// further than this for one packet.
pub const MAX_PACKET_LEN: usize = 4096;

/// Size of the header: Code, Identifier, Length, Authenticator.
const HEADER_LEN: usize = 20;

/// The packet codes this server understands. Anything else is discarded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Code {
    AccessRequest,
    AccessAccept,
    AccessReject,
    AccountingRequest,
    AccountingResponse,
    AccessChallenge,
    StatusServer,
    DisconnectRequest,
    DisconnectAck,
    DisconnectNak,
    CoaRequest,
    CoaAck,
    CoaNak,
}

impl Code {
    /// The code for a byte on the wire, or `None` for codes we do not know.
    pub fn from_u8(byte: u8) -> Option<Code> {
        Some(match byte {
            1 => Code::AccessRequest,
            2 => Code::AccessAccept,
            3 => Code::AccessReject,
            4 => Code::AccountingRequest,
            5 => Code::AccountingResponse,
            11 => Code::AccessChallenge,
            12 => Code::StatusServer,
            40 => Code::DisconnectRequest,
            41 => Code::DisconnectAck,
            42 => Code::DisconnectNak,
            43 => Code::CoaRequest,
            44 => Code::CoaAck,
            45 => Code::CoaNak,
            _ => return None,
        })
    }

    /// The byte on the wire.
    pub fn as_u8(self) -> u8 {
        match self {
            Code::AccessRequest => 1,
            Code::AccessAccept => 2,
            Code::AccessReject => 3,
            Code::AccountingRequest => 4,
            Code::AccountingResponse => 5,
            Code::AccessChallenge => 11,
            Code::StatusServer => 12,
            Code::DisconnectRequest => 40,
            Code::DisconnectAck => 41,
            Code::DisconnectNak => 42,
            Code::CoaRequest => 43,
            Code::CoaAck => 44,
            Code::CoaNak => 45,
        }
    }

    /// The name RADIUS tools use for the code.
    pub fn name(self) -> &'static str {
        match self {
            Code::AccessRequest => "Access-Request",
            Code::AccessAccept => "Access-Accept",
            Code::AccessReject => "Access-Reject",
            Code::AccountingRequest => "Accounting-Request",
            Code::AccountingResponse => "Accounting-Response",
            Code::AccessChallenge => "Access-Challenge",
            Code::StatusServer => "Status-Server",
            Code::DisconnectRequest => "Disconnect-Request",
            Code::DisconnectAck => "Disconnect-ACK",
            Code::DisconnectNak => "Disconnect-NAK",
            Code::CoaRequest => "CoA-Request",
            Code::CoaAck => "CoA-ACK",
            Code::CoaNak => "CoA-NAK",
        }
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a datagram is not a usable RADIUS packet. Each reason is a metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("datagram shorter than the 20-byte header")]
    TooShort,
    #[error("Length field outside 20..=4096")]
    BadLength,
    #[error("datagram shorter than its Length field")]
    Truncated,
    #[error("unknown packet code {0}")]
    UnknownCode(u8),
    #[error("attribute with a length below 2 or past the end of the packet")]
    BadAttributeLength,
    #[error("Message-Authenticator whose length is not 18")]
    BadMessageAuthenticatorLength,
    #[error("more than one Message-Authenticator")]
    DuplicateMessageAuthenticator,
}

impl DecodeError {
    /// A short stable label for metrics and logs.
    pub fn reason(self) -> &'static str {
        match self {
            DecodeError::TooShort => "too_short",
            DecodeError::BadLength => "bad_length",
            DecodeError::Truncated => "truncated",
            DecodeError::UnknownCode(_) => "unknown_code",
            DecodeError::BadAttributeLength => "bad_attribute_length",
            DecodeError::BadMessageAuthenticatorLength => "bad_message_authenticator_length",
            DecodeError::DuplicateMessageAuthenticator => "duplicate_message_authenticator",
        }
    }
}

/// Why a packet could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    #[error("attribute {0} has a value longer than 253 bytes")]
    ValueTooLong(u8),
    #[error("packet would be longer than 4096 bytes")]
    TooLarge,
    #[error("{0}")]
    Password(#[from] crypto::PasswordError),
}

/// How many attributes a packet indexes without an allocation: more than
/// a VPN concentrator's Access-Request carries.
const INLINE_ATTRIBUTES: usize = 16;

/// Where one attribute's value lies in the packet bytes.
#[derive(Debug, Clone, Copy)]
struct AttributeSpan {
    typ: u8,
    start: u16,
    len: u8,
}

/// A decoded RADIUS packet: the bytes as received (trimmed to Length) and an
/// index of its attributes.
#[derive(Clone)]
pub struct Packet {
    code: Code,
    bytes: Vec<u8>,
    /// Inline up to [`INLINE_ATTRIBUTES`]: a NAS's request then costs one
    /// allocation, its bytes.
    spans: SmallVec<[AttributeSpan; INLINE_ATTRIBUTES]>,
    message_authenticator: Option<u16>,
}

impl Packet {
    /// Decodes a datagram. Bytes past the Length field are padding and ignored.
    ///
    /// A packet is refused as a whole only when its framing cannot be trusted:
    /// a bad header, an attribute whose length breaks the walk, or a
    /// Message-Authenticator that is malformed or repeated (RFC 3579 §3.2).
    /// Unknown attribute types and unknown values are kept.
    pub fn decode(datagram: &[u8]) -> Result<Packet, DecodeError> {
        let mut reader = Reader::new(datagram);
        // The fixed header (RFC 2865 §3); the Identifier and the
        // Authenticator stay in the kept bytes until asked for.
        let &[code, _identifier, length_high, length_low, ..] =
            reader.array::<HEADER_LEN>().ok_or(DecodeError::TooShort)?;
        let length = usize::from(u16::from_be_bytes([length_high, length_low]));
        if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&length) {
            return Err(DecodeError::BadLength);
        }
        // Bytes past Length are padding; the attributes run from the end of
        // the header (Length is at least 20) to Length.
        let packet = Reader::new(datagram)
            .take(length)
            .ok_or(DecodeError::Truncated)?;
        let mut attributes = reader
            .sub_reader(length - HEADER_LEN)
            .ok_or(DecodeError::Truncated)?;
        let code = Code::from_u8(code).ok_or(DecodeError::UnknownCode(code))?;
        let mut spans = SmallVec::new();
        let mut message_authenticator = None;
        while !attributes.is_empty() {
            let (typ, value) = attributes
                .attribute()
                .ok_or(DecodeError::BadAttributeLength)?;
            // The value ends where the reader now stands; offsets stay below
            // 4096, so they fit a u16, and a value is at most 253 bytes.
            let start = (attributes.offset() - value.len()) as u16;
            if typ == types::MESSAGE_AUTHENTICATOR {
                if value.len() != MESSAGE_AUTHENTICATOR_LEN {
                    return Err(DecodeError::BadMessageAuthenticatorLength);
                }
                if message_authenticator.is_some() {
                    return Err(DecodeError::DuplicateMessageAuthenticator);
                }
                message_authenticator = Some(start);
            }
            spans.push(AttributeSpan {
                typ,
                start,
                len: value.len() as u8,
            });
        }
        Ok(Packet {
            code,
            bytes: packet.to_vec(),
            spans,
            message_authenticator,
        })
    }

    pub fn code(&self) -> Code {
        self.code
    }

    pub fn identifier(&self) -> u8 {
        let [_, identifier, ..] = self.header();
        *identifier
    }

    pub fn authenticator(&self) -> &[u8; AUTHENTICATOR_LEN] {
        let [_, _, _, _, authenticator @ ..] = self.header();
        authenticator
    }

    /// The header bytes, which decoding has checked are there.
    fn header(&self) -> &[u8; HEADER_LEN] {
        self.bytes.first_chunk().unwrap_or(&[0; HEADER_LEN])
    }

    /// The packet as received, trimmed to its Length field.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Every attribute in order, as (type, value).
    pub fn attributes(&self) -> impl Iterator<Item = (u8, &[u8])> + '_ {
        self.spans.iter().map(|span| (span.typ, self.value(span)))
    }

    /// The value of the first attribute of a type.
    pub fn first(&self, typ: u8) -> Option<&[u8]> {
        self.spans
            .iter()
            .find(|span| span.typ == typ)
            .map(|span| self.value(span))
    }

    /// The values of every attribute of a type, in order.
    pub fn all(&self, typ: u8) -> impl Iterator<Item = &[u8]> + '_ {
        self.spans
            .iter()
            .filter(move |span| span.typ == typ)
            .map(|span| self.value(span))
    }

    /// Whether at least one attribute of a type is present.
    pub fn has(&self, typ: u8) -> bool {
        self.spans.iter().any(|span| span.typ == typ)
    }

    /// The first attribute of a type read as text, when it is valid UTF-8.
    pub fn text(&self, typ: u8) -> Option<&str> {
        self.first(typ)
            .and_then(|value| std::str::from_utf8(value).ok())
    }

    /// The first attribute of a type read as a 32-bit integer; an attribute of
    /// the wrong size is treated as absent (RFC 6929 §2.8).
    pub fn integer(&self, typ: u8) -> Option<u32> {
        let value = self.first(typ)?;
        let bytes: [u8; 4] = value.try_into().ok()?;
        Some(u32::from_be_bytes(bytes))
    }

    /// Where the Message-Authenticator value starts, if the packet has one.
    pub fn message_authenticator_offset(&self) -> Option<usize> {
        self.message_authenticator.map(usize::from)
    }

    /// Checks the Message-Authenticator of a received request. `false` when
    /// it is absent or wrong.
    ///
    /// In a request whose authenticator is a digest (Accounting-Request,
    /// Disconnect-Request, CoA-Request), the HMAC was computed with 16 zero
    /// bytes in the authenticator field (RFC 3579 §3.2, RFC 5176 §3.5).
    pub fn verify_message_authenticator(&self, secret: &[u8]) -> bool {
        let Some(offset) = self.message_authenticator_offset() else {
            return false;
        };
        if matches!(
            self.code,
            Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest
        ) {
            let mut zeroed = self.bytes.to_vec();
            zeroed[4..HEADER_LEN].fill(0);
            return crypto::verify_message_authenticator(&zeroed, offset, secret);
        }
        crypto::verify_message_authenticator(&self.bytes, offset, secret)
    }

    /// Checks the Request Authenticator of a received Accounting-Request,
    /// Disconnect-Request or CoA-Request (RFC 2866 §3, RFC 5176 §3.5): a
    /// digest of the packet and the shared secret, not a random value.
    pub fn verify_request_digest(&self, secret: &[u8]) -> bool {
        crypto::verify_accounting_request(&self.bytes, secret)
    }

    /// Checks the authenticity of a received reply to a request we sent:
    /// Response Authenticator always, Message-Authenticator when present.
    pub fn verify_reply(
        &self,
        request_authenticator: &[u8; AUTHENTICATOR_LEN],
        secret: &[u8],
    ) -> bool {
        if !crypto::verify_response_authenticator(&self.bytes, request_authenticator, secret) {
            return false;
        }
        match self.message_authenticator_offset() {
            Some(offset) => crypto::verify_reply_message_authenticator(
                &self.bytes,
                offset,
                request_authenticator,
                secret,
            ),
            None => true,
        }
    }

    fn value(&self, span: &AttributeSpan) -> &[u8] {
        let start = usize::from(span.start);
        // Spans come from the walk over these very bytes, so this always
        // finds the value.
        self.bytes
            .get(start..start + usize::from(span.len))
            .unwrap_or_default()
    }
}

/// Packets hold passwords: only the code, identifier and attribute types print.
impl std::fmt::Debug for Packet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let types: Vec<u8> = self.spans.iter().map(|span| span.typ).collect();
        f.debug_struct("Packet")
            .field("code", &self.code)
            .field("identifier", &self.identifier())
            .field("attribute_types", &types)
            .finish()
    }
}

/// Appends one attribute, checking the 253-byte value limit.
fn push_attribute(out: &mut Vec<u8>, typ: u8, value: &[u8]) -> Result<(), EncodeError> {
    if value.len() > MAX_VALUE_LEN {
        return Err(EncodeError::ValueTooLong(typ));
    }
    out.push(typ);
    out.push((value.len() + 2) as u8);
    out.extend_from_slice(value);
    Ok(())
}

/// Writes the Length field and checks the 4096-byte limit.
fn finish_length(out: &mut [u8]) -> Result<(), EncodeError> {
    if out.len() > MAX_PACKET_LEN {
        return Err(EncodeError::TooLarge);
    }
    let length = (out.len() as u16).to_be_bytes();
    out[2] = length[0];
    out[3] = length[1];
    Ok(())
}

/// Whether an attribute may appear in an Access-Reject (RFC 5080 §2.6.1).
fn allowed_in_reject(typ: u8) -> bool {
    matches!(
        typ,
        types::REPLY_MESSAGE | types::PROXY_STATE | types::EAP_MESSAGE | types::ERROR_CAUSE
    )
}

/// Encodes a reply to `request`: Message-Authenticator first (except in an
/// Accounting-Response), then
/// `attributes`, then every Proxy-State of the request in order; then the
/// Message-Authenticator and the Response Authenticator are computed.
///
/// In an Access-Reject, attributes RFC 5080 §2.6.1 does not allow are left
/// out. Proxy-State in `attributes` is ignored: it always comes from the request.
pub fn encode_reply(
    code: Code,
    request: &Packet,
    attributes: &[Attribute],
    secret: &[u8],
) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(128);
    encode_reply_into(&mut out, code, request, attributes, secret)?;
    Ok(out)
}

/// [`encode_reply`] into `out`, which is cleared first: a caller that
/// copies the reply elsewhere can write every reply into one buffer.
pub fn encode_reply_into(
    out: &mut Vec<u8>,
    code: Code,
    request: &Packet,
    attributes: &[Attribute],
    secret: &[u8],
) -> Result<(), EncodeError> {
    out.clear();
    out.push(code.as_u8());
    out.push(request.identifier());
    out.extend_from_slice(&[0, 0]);
    out.extend_from_slice(request.authenticator());
    // Accounting-Response is the one reply that goes without: RFC 2866
    // authenticates it by its Response Authenticator alone.
    let ma_offset = if code == Code::AccountingResponse {
        None
    } else {
        let offset = out.len() + 2;
        push_attribute(
            out,
            types::MESSAGE_AUTHENTICATOR,
            &[0; MESSAGE_AUTHENTICATOR_LEN],
        )?;
        Some(offset)
    };
    for attribute in attributes {
        let skip = attribute.typ == types::MESSAGE_AUTHENTICATOR
            || attribute.typ == types::PROXY_STATE
            || (code == Code::AccessReject && !allowed_in_reject(attribute.typ));
        if !skip {
            push_attribute(out, attribute.typ, &attribute.value)?;
        }
    }
    for proxy_state in request.all(types::PROXY_STATE) {
        push_attribute(out, types::PROXY_STATE, proxy_state)?;
    }
    finish_length(out)?;
    if let Some(offset) = ma_offset {
        let ma = crypto::message_authenticator(out, offset, secret);
        out[offset..offset + MESSAGE_AUTHENTICATOR_LEN].copy_from_slice(&ma);
    }
    let response = crypto::response_authenticator(out, request.authenticator(), secret);
    out[4..HEADER_LEN].copy_from_slice(&response);
    Ok(())
}

/// Builds requests, as a NAS would send them: used by the load generator,
/// the tests, and the server for the PAP login it finds inside an EAP tunnel.
#[derive(Debug, Clone)]
pub struct RequestBuilder {
    code: Code,
    identifier: u8,
    authenticator: [u8; AUTHENTICATOR_LEN],
    attributes: Vec<Attribute>,
    message_authenticator: bool,
}

impl RequestBuilder {
    /// A request with a fresh random Request Authenticator and, for
    /// Access-Request and Status-Server, a Message-Authenticator first.
    pub fn new(code: Code, identifier: u8) -> RequestBuilder {
        RequestBuilder {
            code,
            identifier,
            authenticator: crypto::random_authenticator(),
            attributes: Vec::new(),
            message_authenticator: matches!(code, Code::AccessRequest | Code::StatusServer),
        }
    }

    /// Uses a chosen Request Authenticator (for test vectors).
    #[cfg(test)]
    fn authenticator(mut self, authenticator: [u8; AUTHENTICATOR_LEN]) -> RequestBuilder {
        self.authenticator = authenticator;
        self
    }

    /// Whether to add a Message-Authenticator (first attribute).
    pub fn message_authenticator(mut self, include: bool) -> RequestBuilder {
        self.message_authenticator = include;
        self
    }

    /// Adds an attribute.
    pub fn attribute(mut self, attribute: Attribute) -> RequestBuilder {
        self.attributes.push(attribute);
        self
    }

    /// Adds a text attribute.
    pub fn text(self, typ: u8, text: &str) -> RequestBuilder {
        self.attribute(Attribute::text(typ, text))
    }

    /// Adds a User-Password hidden with the secret and this request's authenticator.
    pub fn user_password(
        self,
        password: &[u8],
        secret: &[u8],
    ) -> Result<RequestBuilder, EncodeError> {
        let hidden = crypto::hide_user_password(password, secret, &self.authenticator)?;
        Ok(self.attribute(Attribute::new(types::USER_PASSWORD, hidden)))
    }

    /// Encodes the request and returns it with the authenticator it carries.
    pub fn encode(&self, secret: &[u8]) -> Result<(Vec<u8>, [u8; AUTHENTICATOR_LEN]), EncodeError> {
        let digest_authenticator = matches!(
            self.code,
            Code::AccountingRequest | Code::DisconnectRequest | Code::CoaRequest
        );
        let mut out = Vec::with_capacity(128);
        out.push(self.code.as_u8());
        out.push(self.identifier);
        out.extend_from_slice(&[0, 0]);
        if digest_authenticator {
            out.extend_from_slice(&[0; AUTHENTICATOR_LEN]);
        } else {
            out.extend_from_slice(&self.authenticator);
        }
        let ma_offset = if self.message_authenticator {
            let offset = out.len() + 2;
            push_attribute(
                &mut out,
                types::MESSAGE_AUTHENTICATOR,
                &[0; MESSAGE_AUTHENTICATOR_LEN],
            )?;
            Some(offset)
        } else {
            None
        };
        for attribute in &self.attributes {
            push_attribute(&mut out, attribute.typ, &attribute.value)?;
        }
        finish_length(&mut out)?;
        if let Some(offset) = ma_offset {
            let ma = crypto::message_authenticator(&out, offset, secret);
            out[offset..offset + MESSAGE_AUTHENTICATOR_LEN].copy_from_slice(&ma);
        }
        let authenticator = if digest_authenticator {
            let digest = crypto::accounting_request_authenticator(&out, secret);
            out[4..HEADER_LEN].copy_from_slice(&digest);
            digest
        } else {
            self.authenticator
        };
        Ok((out, authenticator))
    }
}

#[cfg(test)]
mod tests;
