//! Attribute numbers the server acts on, and Vendor-Specific attributes.
//!
//! The dictionaries name every attribute for configuration and logs; the few
//! attributes whose meaning the server itself depends on (User-Password, State,
//! Message-Authenticator, Proxy-State, ...) are fixed by the RFCs and live here
//! as constants so that the protocol code never looks them up by name.

use crate::reader::Reader;

/// Attribute types from RFC 2865, 2866, 2869, 3162 and 3579 that the server
/// reads or writes itself.
pub mod types {
    pub const USER_NAME: u8 = 1;
    pub const USER_PASSWORD: u8 = 2;
    pub const CHAP_PASSWORD: u8 = 3;
    pub const NAS_IP_ADDRESS: u8 = 4;
    pub const NAS_PORT: u8 = 5;
    pub const SERVICE_TYPE: u8 = 6;
    pub const REPLY_MESSAGE: u8 = 18;
    pub const STATE: u8 = 24;
    pub const CLASS: u8 = 25;
    pub const VENDOR_SPECIFIC: u8 = 26;
    pub const CALLING_STATION_ID: u8 = 31;
    pub const NAS_IDENTIFIER: u8 = 32;
    pub const PROXY_STATE: u8 = 33;
    pub const PROMPT: u8 = 76;
    pub const EAP_MESSAGE: u8 = 79;
    pub const MESSAGE_AUTHENTICATOR: u8 = 80;
    pub const NAS_IPV6_ADDRESS: u8 = 95;
    pub const ERROR_CAUSE: u8 = 101;
}

/// Vendor ids (SMI private enterprise numbers) the server itself inspects.
pub mod vendors {
    /// Microsoft: MS-CHAP attributes arrive under this vendor.
    pub const MICROSOFT: u32 = 311;
}

/// The longest value one attribute can carry (255 minus type and length).
pub(crate) const MAX_VALUE_LEN: usize = 253;

/// Length of a Message-Authenticator value (RFC 3579 §3.2).
pub(crate) const MESSAGE_AUTHENTICATOR_LEN: usize = 16;

/// One attribute to be encoded: a type and its raw value.
#[derive(Clone, PartialEq, Eq)]
pub struct Attribute {
    pub typ: u8,
    pub value: Vec<u8>,
}

impl Attribute {
    /// An attribute with raw bytes as its value.
    pub fn new(typ: u8, value: impl Into<Vec<u8>>) -> Attribute {
        Attribute {
            typ,
            value: value.into(),
        }
    }

    /// A text attribute (string type).
    pub(crate) fn text(typ: u8, text: &str) -> Attribute {
        Attribute::new(typ, text.as_bytes())
    }

    /// A 32-bit integer attribute (integer, enumerated and date types).
    pub fn integer(typ: u8, value: u32) -> Attribute {
        Attribute::new(typ, value.to_be_bytes())
    }

    /// A Vendor-Specific attribute carrying one sub-attribute.
    pub fn vendor(
        vendor_id: u32,
        vendor_type: u8,
        value: &[u8],
    ) -> Result<Attribute, VendorAttributeError> {
        Ok(Attribute::new(
            types::VENDOR_SPECIFIC,
            encode_vendor_specific(vendor_id, vendor_type, value)?,
        ))
    }

    /// One Reply-Message per 253-byte piece of `text`.
    pub fn reply_messages(text: &str) -> Vec<Attribute> {
        split_text(text)
            .into_iter()
            .map(|piece| Attribute::text(types::REPLY_MESSAGE, piece))
            .collect()
    }
}

/// Values may be passwords or tokens: only the type and the length are shown.
impl std::fmt::Debug for Attribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Attribute({}, {} bytes)", self.typ, self.value.len())
    }
}

/// One sub-attribute of a Vendor-Specific attribute in the common
/// one-byte-type, one-byte-length format of RFC 2865 §5.26.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorAttribute {
    pub vendor_id: u32,
    pub vendor_type: u8,
    pub value: Vec<u8>,
}

/// Why a Vendor-Specific attribute could not be read or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VendorAttributeError {
    #[error("Vendor-Specific shorter than its 4-byte vendor id")]
    TooShort,
    #[error("vendor sub-attribute with a length below 2 or past the end")]
    BadSubLength,
    #[error("vendor sub-attribute value longer than 247 bytes")]
    TooLong,
}

/// Splits a Vendor-Specific value (RFC 2865 §5.26) into its vendor id and
/// sub-attributes, assuming the usual 1-byte type / 1-byte length format.
///
/// The walk is total: a sub-attribute of length 0 or 1, or one that runs past
/// the end, makes the whole attribute invalid (RFC 6929 §2.8) instead of
/// looping or reading out of bounds.
pub fn decode_vendor_specific(value: &[u8]) -> Result<Vec<VendorAttribute>, VendorAttributeError> {
    let mut reader = Reader::new(value);
    let vendor_id = reader.u32_be().ok_or(VendorAttributeError::TooShort)?;
    let mut out = Vec::new();
    while !reader.is_empty() {
        let (vendor_type, value) = reader
            .attribute()
            .ok_or(VendorAttributeError::BadSubLength)?;
        out.push(VendorAttribute {
            vendor_id,
            vendor_type,
            value: value.to_vec(),
        });
    }
    Ok(out)
}

/// Builds the value of a Vendor-Specific attribute carrying one sub-attribute.
pub fn encode_vendor_specific(
    vendor_id: u32,
    vendor_type: u8,
    value: &[u8],
) -> Result<Vec<u8>, VendorAttributeError> {
    if value.len() > MAX_VALUE_LEN - 6 {
        return Err(VendorAttributeError::TooLong);
    }
    let mut out = Vec::with_capacity(6 + value.len());
    out.extend_from_slice(&vendor_id.to_be_bytes());
    out.push(vendor_type);
    // Bounded by the check above: at most 2 + 247 = 249.
    out.push((value.len() + 2) as u8);
    out.extend_from_slice(value);
    Ok(out)
}

/// Splits a text into pieces of at most [`MAX_VALUE_LEN`] bytes without
/// cutting a UTF-8 character, for Reply-Message and other string attributes.
/// A NAS may show each piece on a line of its own, so a piece ends at a line
/// end when one fits (a menu is never cut inside an entry), else at a space
/// past the middle, else where the limit falls.
fn split_text(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut rest = text;
    while rest.len() > MAX_VALUE_LEN {
        let mut cut = MAX_VALUE_LEN;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        if let Some(pos) = rest[..cut].rfind('\n') {
            cut = pos + 1;
        } else if let Some(pos) = rest[..cut].rfind(' ')
            && pos > MAX_VALUE_LEN / 2
        {
            cut = pos + 1;
        }
        pieces.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() || pieces.is_empty() {
        pieces.push(rest);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendor_specific_round_trip() {
        let value = encode_vendor_specific(9, 1, b"shell:priv-lvl=15").expect("fits");
        let decoded = decode_vendor_specific(&value).expect("valid");
        assert_eq!(
            decoded,
            vec![VendorAttribute {
                vendor_id: 9,
                vendor_type: 1,
                value: b"shell:priv-lvl=15".to_vec()
            }]
        );
    }

    #[test]
    fn zero_length_sub_attribute_is_rejected_not_looped() {
        // Vendor 9, sub-attribute type 1 with length 0.
        let value = [0, 0, 0, 9, 1, 0, 1, 2];
        assert_eq!(
            decode_vendor_specific(&value),
            Err(VendorAttributeError::BadSubLength)
        );
        let one = [0, 0, 0, 9, 1, 1];
        assert_eq!(
            decode_vendor_specific(&one),
            Err(VendorAttributeError::BadSubLength)
        );
    }

    #[test]
    fn overrunning_and_short_vendor_specific() {
        assert_eq!(
            decode_vendor_specific(&[0, 0, 9]),
            Err(VendorAttributeError::TooShort)
        );
        assert_eq!(
            decode_vendor_specific(&[0, 0, 0, 9, 1, 10, b'a']),
            Err(VendorAttributeError::BadSubLength)
        );
        assert_eq!(
            decode_vendor_specific(&[0, 0, 0, 9, 1]),
            Err(VendorAttributeError::BadSubLength)
        );
        assert_eq!(
            decode_vendor_specific(&[0, 0, 0, 9]).expect("empty is fine"),
            vec![]
        );
    }

    #[test]
    fn vendor_value_too_long() {
        assert!(encode_vendor_specific(9, 1, &[b'a'; 247]).is_ok());
        assert_eq!(
            encode_vendor_specific(9, 1, &[b'a'; 248]),
            Err(VendorAttributeError::TooLong)
        );
    }

    #[test]
    fn split_text_respects_limits_and_characters() {
        assert_eq!(split_text("short"), vec!["short"]);
        assert_eq!(split_text(""), vec![""]);
        let long = "é".repeat(300);
        let pieces = split_text(&long);
        assert!(pieces.iter().all(|p| p.len() <= MAX_VALUE_LEN));
        assert_eq!(pieces.concat(), long);
        let words = "word ".repeat(120);
        let pieces = split_text(&words);
        assert!(pieces.iter().all(|p| p.len() <= MAX_VALUE_LEN));
        assert!(pieces[0].ends_with(' '));
        assert_eq!(pieces.concat(), words);
        // A menu breaks between its lines, never inside an entry.
        let menu: String = (1..=8)
            .map(|n| format!("{n} - Security question number {n} of the user\n"))
            .collect();
        let pieces = split_text(&menu);
        assert!(pieces.len() > 1);
        assert!(pieces.iter().all(|p| p.len() <= MAX_VALUE_LEN));
        assert!(pieces[..pieces.len() - 1].iter().all(|p| p.ends_with('\n')));
        assert_eq!(pieces.concat(), menu);
    }
}
