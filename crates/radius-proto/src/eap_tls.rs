//! The framing the TLS-based EAP methods share (EAP-TLS RFC 5216 §3.1,
//! EAP-TTLS RFC 5281 §9.1, PEAP): one Flags octet (L, M, S and a version
//! in the low bits), a four-octet TLS Message Length when L is set, then a
//! fragment of the TLS records.
//!
//! This is only the frame: reassembly, acknowledgements and the caps on
//! sizes belong to the server that runs the tunnel.

use crate::reader::Reader;

/// The Flags octet's bits.
pub mod flags {
    /// A TLS Message Length field follows.
    pub const LENGTH_INCLUDED: u8 = 0x80;
    /// More fragments follow.
    pub const MORE_FRAGMENTS: u8 = 0x40;
    /// The server's first message: start the handshake.
    pub const START: u8 = 0x20;
    /// The version field (TTLS and PEAP; reserved in EAP-TLS).
    pub const VERSION_MASK: u8 = 0x07;
}

/// Why Type-Data is not a TLS-method frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TlsFrameError {
    #[error("TLS-method Type-Data without its Flags octet")]
    MissingFlags,
    #[error("L flag set but the TLS Message Length is cut short")]
    MissingLength,
}

/// One frame of a TLS-based EAP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TlsFrame<'a> {
    pub flags: u8,
    /// The TLS Message Length, when the L flag carried one.
    pub total_len: Option<u32>,
    /// This fragment of the TLS records (empty in an acknowledgement).
    pub fragment: &'a [u8],
}

impl<'a> TlsFrame<'a> {
    /// Reads the Type-Data of a TLS-method Request or Response.
    pub fn decode(data: &'a [u8]) -> Result<TlsFrame<'a>, TlsFrameError> {
        let mut reader = Reader::new(data);
        let flags = reader.u8().ok_or(TlsFrameError::MissingFlags)?;
        let total_len = if flags & flags::LENGTH_INCLUDED != 0 {
            Some(reader.u32_be().ok_or(TlsFrameError::MissingLength)?)
        } else {
            None
        };
        Ok(TlsFrame {
            flags,
            total_len,
            fragment: reader.rest(),
        })
    }

    /// The version the frame's low bits carry.
    pub fn version(&self) -> u8 {
        self.flags & flags::VERSION_MASK
    }

    pub fn more_fragments(&self) -> bool {
        self.flags & flags::MORE_FRAGMENTS != 0
    }

    pub fn is_start(&self) -> bool {
        self.flags & flags::START != 0
    }

    /// An empty frame without M: the peer acknowledges a fragment (or,
    /// from a server, asks for the next one).
    pub fn is_ack(&self) -> bool {
        self.fragment.is_empty() && !self.more_fragments() && self.total_len.is_none()
    }
}

/// The Type-Data of one frame: `flags` (the L bit is set here when
/// `total_len` is given), the length, the fragment.
pub fn encode_tls_frame(flags: u8, total_len: Option<u32>, fragment: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 + fragment.len());
    match total_len {
        Some(total) => {
            out.push(flags | flags::LENGTH_INCLUDED);
            out.extend_from_slice(&total.to_be_bytes());
        }
        None => out.push(flags & !flags::LENGTH_INCLUDED),
    }
    out.extend_from_slice(fragment);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn reads_a_first_fragment() {
        let data = [0xc0, 0, 0, 0x10, 0, 0x16, 0x03, 0x01];
        let frame = TlsFrame::decode(&data).expect("valid");
        assert!(frame.more_fragments());
        assert_eq!(frame.total_len, Some(4096));
        assert_eq!(frame.fragment, [0x16, 0x03, 0x01]);
        assert!(!frame.is_ack());
    }

    #[test]
    fn an_ack_is_one_flags_octet() {
        let frame = TlsFrame::decode(&[0x00]).expect("valid");
        assert!(frame.is_ack());
        let versioned = TlsFrame::decode(&[0x01]).expect("valid");
        assert_eq!(versioned.version(), 1);
        assert!(versioned.is_ack());
    }

    #[test]
    fn start_carries_the_version() {
        let data = encode_tls_frame(flags::START | 1, None, &[]);
        let frame = TlsFrame::decode(&data).expect("valid");
        assert!(frame.is_start());
        assert_eq!(frame.version(), 1);
    }

    #[test]
    fn truncated_frames_are_errors() {
        assert_eq!(TlsFrame::decode(&[]), Err(TlsFrameError::MissingFlags));
        assert_eq!(
            TlsFrame::decode(&[0x80, 0, 0]),
            Err(TlsFrameError::MissingLength)
        );
    }

    proptest! {
        #[test]
        fn decoding_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = TlsFrame::decode(&bytes);
        }

        #[test]
        fn frames_round_trip(
            more in any::<bool>(),
            total in proptest::option::of(any::<u32>()),
            fragment in proptest::collection::vec(any::<u8>(), 0..300),
        ) {
            let flags = if more { flags::MORE_FRAGMENTS } else { 0 };
            let data = encode_tls_frame(flags, total, &fragment);
            let frame = TlsFrame::decode(&data).expect("valid");
            prop_assert_eq!(frame.total_len, total);
            prop_assert_eq!(frame.more_fragments(), more);
            prop_assert_eq!(frame.fragment, &fragment[..]);
        }
    }
}
