//! The Diameter AVPs that EAP-TTLS carries inside its tunnel (RFC 5281
//! §10): Code (a RADIUS attribute type for the attributes TTLS borrows),
//! Flags (V, M), a 24-bit Length, an optional Vendor-ID, the data, and
//! padding to a multiple of four octets.
//!
//! The inner User-Password is a password in clear (the tunnel protects
//! it), so an AVP prints its code and length, never its data.

use crate::reader::Reader;

/// The Vendor-ID field is present.
pub const AVP_FLAG_VENDOR: u8 = 0x80;
/// The receiver must understand the AVP or fail.
pub const AVP_FLAG_MANDATORY: u8 = 0x40;

/// Code, Flags and Length.
const AVP_HEADER_LEN: usize = 8;
/// The longest AVP the 24-bit Length can describe.
const AVP_MAX_LEN: usize = 0x00ff_ffff;

/// Why the tunnel's data is not a sequence of AVPs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum AvpError {
    #[error("AVP header cut short")]
    Truncated,
    #[error("AVP Length shorter than its header or past the data")]
    BadLength,
    #[error("AVP data longer than the 24-bit Length allows")]
    TooLong,
}

/// One AVP.
#[derive(Clone, PartialEq, Eq)]
pub struct Avp {
    pub code: u32,
    pub flags: u8,
    pub vendor_id: Option<u32>,
    pub data: Vec<u8>,
}

impl std::fmt::Debug for Avp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Avp({}, {} bytes)", self.code, self.data.len())
    }
}

impl Avp {
    /// A mandatory AVP of the RADIUS attribute `typ` (no vendor).
    pub fn radius(typ: u8, data: impl Into<Vec<u8>>) -> Avp {
        Avp {
            code: u32::from(typ),
            flags: AVP_FLAG_MANDATORY,
            vendor_id: None,
            data: data.into(),
        }
    }

    /// Whether this is the RADIUS attribute `typ` (code `typ`, no vendor).
    pub fn is_radius(&self, typ: u8) -> bool {
        self.vendor_id.is_none() && self.code == u32::from(typ)
    }

    /// Whether the sender requires the receiver to understand it.
    pub fn is_mandatory(&self) -> bool {
        self.flags & AVP_FLAG_MANDATORY != 0
    }
}

/// Reads every AVP of `data`. A sequence that does not end exactly at the
/// end of `data` (padding aside) is an error.
pub fn decode_avps(data: &[u8]) -> Result<Vec<Avp>, AvpError> {
    let mut reader = Reader::new(data);
    let mut avps = Vec::new();
    while !reader.is_empty() {
        let code = reader.u32_be().ok_or(AvpError::Truncated)?;
        let flags = reader.u8().ok_or(AvpError::Truncated)?;
        let length = reader.take(3).ok_or(AvpError::Truncated)?;
        let length =
            usize::from(length[0]) << 16 | usize::from(length[1]) << 8 | usize::from(length[2]);
        let mut header = AVP_HEADER_LEN;
        let vendor_id = if flags & AVP_FLAG_VENDOR != 0 {
            header += 4;
            Some(reader.u32_be().ok_or(AvpError::Truncated)?)
        } else {
            None
        };
        let data_len = length.checked_sub(header).ok_or(AvpError::BadLength)?;
        let value = reader.take(data_len).ok_or(AvpError::BadLength)?;
        // Padding to a four-octet boundary; the last AVP may go without.
        let padding = (4 - length % 4) % 4;
        let padding = padding.min(reader.len());
        reader.take(padding).ok_or(AvpError::BadLength)?;
        avps.push(Avp {
            code,
            flags,
            vendor_id,
            data: value.to_vec(),
        });
    }
    Ok(avps)
}

/// Writes AVPs, each padded to four octets.
pub fn encode_avps(avps: &[Avp]) -> Result<Vec<u8>, AvpError> {
    let mut out = Vec::new();
    for avp in avps {
        let header = AVP_HEADER_LEN + if avp.vendor_id.is_some() { 4 } else { 0 };
        let length = header + avp.data.len();
        if length > AVP_MAX_LEN {
            return Err(AvpError::TooLong);
        }
        out.extend_from_slice(&avp.code.to_be_bytes());
        let flags = match avp.vendor_id {
            Some(_) => avp.flags | AVP_FLAG_VENDOR,
            None => avp.flags & !AVP_FLAG_VENDOR,
        };
        out.push(flags);
        // `length` fits in 24 bits (checked above).
        out.extend_from_slice(&(length as u32).to_be_bytes()[1..]);
        if let Some(vendor) = avp.vendor_id {
            out.extend_from_slice(&vendor.to_be_bytes());
        }
        out.extend_from_slice(&avp.data);
        out.resize(out.len() + (4 - length % 4) % 4, 0);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn user_name_and_password() {
        let avps = vec![
            Avp::radius(1, b"alice".to_vec()),
            Avp::radius(2, b"pw".to_vec()),
        ];
        let bytes = encode_avps(&avps).expect("fits");
        // 8 + 5 = 13, padded to 16; 8 + 2 = 10, padded to 12.
        assert_eq!(bytes.len(), 28);
        assert_eq!(&bytes[..8], [0, 0, 0, 1, 0x40, 0, 0, 13]);
        assert_eq!(decode_avps(&bytes).expect("valid"), avps);
        assert!(avps[0].is_radius(1) && avps[0].is_mandatory());
    }

    #[test]
    fn vendor_avps_carry_their_vendor() {
        let avp = Avp {
            code: 16,
            flags: 0,
            vendor_id: Some(311),
            data: vec![1, 2, 3, 4],
        };
        let bytes = encode_avps(std::slice::from_ref(&avp)).expect("fits");
        assert_eq!(bytes.len(), 16);
        let back = decode_avps(&bytes).expect("valid");
        assert_eq!(back[0].vendor_id, Some(311));
        assert!(!back[0].is_radius(16));
    }

    #[test]
    fn broken_lengths_are_errors() {
        assert_eq!(decode_avps(&[0, 0, 0, 1, 0x40]), Err(AvpError::Truncated));
        assert_eq!(
            decode_avps(&[0, 0, 0, 1, 0x40, 0, 0, 7]),
            Err(AvpError::BadLength)
        );
        assert_eq!(
            decode_avps(&[0, 0, 0, 1, 0x40, 0, 0, 40, 1, 2]),
            Err(AvpError::BadLength)
        );
        assert_eq!(
            decode_avps(&[0, 0, 0, 1, 0xc0, 0, 0, 10, 0, 0, 1, 55]),
            Err(AvpError::BadLength)
        );
    }

    proptest! {
        #[test]
        fn decoding_is_total(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let _ = decode_avps(&bytes);
        }

        #[test]
        fn avps_round_trip(
            list in proptest::collection::vec(
                (any::<u32>(), any::<u8>(), proptest::option::of(any::<u32>()),
                 proptest::collection::vec(any::<u8>(), 0..40)),
                0..6,
            )
        ) {
            let avps: Vec<Avp> = list
                .into_iter()
                .map(|(code, flags, vendor_id, data)| Avp {
                    code,
                    flags: match vendor_id {
                        Some(_) => flags | AVP_FLAG_VENDOR,
                        None => flags & !AVP_FLAG_VENDOR,
                    },
                    vendor_id,
                    data,
                })
                .collect();
            let bytes = encode_avps(&avps).expect("fits");
            prop_assert_eq!(decode_avps(&bytes).expect("valid"), avps);
        }
    }
}
