//! Where one RADIUS packet ends in a byte stream. A stream has no datagram
//! boundaries, so the Length field of each header is the only delimiter
//! (RFC 6613): a Length outside 20..=4096 means the stream can no
//! longer be read, and the connection is closed rather than resynchronised.

use radius_proto::packet::{MAX_PACKET_LEN, MIN_PACKET_LEN};

/// What the front of a connection's buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Frame {
    /// A whole packet of this many bytes.
    Packet(usize),
    /// The start of a packet; more bytes are needed.
    Incomplete,
    /// A header whose Length no RADIUS packet can have.
    BadLength(usize),
}

/// Reads the packet at the front of `buffer`.
pub(super) fn next(buffer: &[u8]) -> Frame {
    let &[_code, _identifier, high, low, ..] = buffer else {
        return Frame::Incomplete;
    };
    let length = usize::from(u16::from_be_bytes([high, low]));
    if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&length) {
        Frame::BadLength(length)
    } else if buffer.len() < length {
        Frame::Incomplete
    } else {
        Frame::Packet(length)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(length: u16) -> Vec<u8> {
        let mut bytes = vec![1, 7];
        bytes.extend(length.to_be_bytes());
        bytes
    }

    #[test]
    fn a_packet_ends_where_its_length_says() {
        let mut buffer = header(20);
        buffer.resize(20, 0);
        assert_eq!(next(&buffer), Frame::Packet(20));
        // The next packet's first bytes stay in the buffer.
        buffer.extend(header(30));
        assert_eq!(next(&buffer), Frame::Packet(20));
        assert_eq!(next(&buffer[20..]), Frame::Incomplete);
    }

    #[test]
    fn a_partial_header_or_body_waits_for_more() {
        assert_eq!(next(&[]), Frame::Incomplete);
        assert_eq!(next(&[1, 7, 0]), Frame::Incomplete);
        let mut buffer = header(4096);
        buffer.resize(4095, 0);
        assert_eq!(next(&buffer), Frame::Incomplete);
        buffer.push(0);
        assert_eq!(next(&buffer), Frame::Packet(4096));
    }

    #[test]
    fn a_length_outside_the_protocol_cannot_be_read_past() {
        assert_eq!(next(&header(19)), Frame::BadLength(19));
        assert_eq!(next(&header(0)), Frame::BadLength(0));
        assert_eq!(next(&header(4097)), Frame::BadLength(4097));
        assert_eq!(next(&header(u16::MAX)), Frame::BadLength(65535));
    }
}
