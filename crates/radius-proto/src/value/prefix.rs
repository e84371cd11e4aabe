//! The IPv6 and IPv4 prefix types (RFC 3162 §2.3, RFC 6572): a reserved
//! byte, the prefix length, then the address bytes; written `2001:db8::/32`.
//! A prefix with bits set past its length is refused rather than cut.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::{DataType, ValueError};
use crate::reader::Reader;

/// `address/length`, or a bare address standing for its longest prefix.
fn split_prefix(text: &str, max_len: u8) -> Option<(&str, u8)> {
    match text.split_once('/') {
        None => Some((text, max_len)),
        Some((addr, len)) => {
            if len.is_empty() || !len.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            let len: u8 = len.parse().ok()?;
            (len <= max_len).then_some((addr, len))
        }
    }
}

/// Bits of `bytes` past the first `len` bits are all zero.
fn host_bits_clear(bytes: &[u8], len: u8) -> bool {
    bytes.iter().enumerate().all(|(i, &byte)| {
        let start = i * 8;
        let keep = usize::from(len).saturating_sub(start).min(8);
        let mask: u8 = if keep == 0 { 0 } else { 0xff << (8 - keep) };
        byte & !mask == 0
    })
}

/// RFC 3162 §2.3: reserved 0, prefix length, then the prefix, cut to as many
/// bytes as the prefix length needs.
pub(super) fn encode_ipv6_prefix(text: &str) -> Result<Vec<u8>, ValueError> {
    let invalid = ValueError::Invalid {
        data_type: DataType::Ipv6Prefix,
        expected: "an IPv6 prefix like 2001:db8::/32 (length 0..=128)",
    };
    let (addr, len) = split_prefix(text, 128).ok_or(invalid.clone())?;
    let addr: Ipv6Addr = addr.parse().map_err(|_| invalid)?;
    let octets = addr.octets();
    if !host_bits_clear(&octets, len) {
        return Err(ValueError::HostBitsSet);
    }
    let used = usize::from(len).div_ceil(8);
    let mut out = vec![0, len];
    out.extend_from_slice(&octets[..used]);
    Ok(out)
}

/// RFC 6572: reserved 0, prefix length, then all four address bytes.
pub(super) fn encode_ipv4_prefix(text: &str) -> Result<Vec<u8>, ValueError> {
    let invalid = ValueError::Invalid {
        data_type: DataType::Ipv4Prefix,
        expected: "an IPv4 prefix like 192.0.2.0/24 (length 0..=32)",
    };
    let (addr, len) = split_prefix(text, 32).ok_or(invalid.clone())?;
    let addr: Ipv4Addr = addr.parse().map_err(|_| invalid)?;
    let octets = addr.octets();
    if !host_bits_clear(&octets, len) {
        return Err(ValueError::HostBitsSet);
    }
    let mut out = vec![0, len];
    out.extend_from_slice(&octets);
    Ok(out)
}

/// `2001:db8::/32` from the reserved byte, the length and as many prefix
/// bytes as were sent (at most 16); `None` when they do not make a prefix.
pub(super) fn format_ipv6_prefix(mut reader: Reader<'_>) -> Option<String> {
    let reserved = reader.u8()?;
    let len = reader.u8()?;
    let prefix = reader.rest();
    if reserved != 0 || len > 128 || prefix.len() > 16 {
        return None;
    }
    let mut full = [0u8; 16];
    for (to, from) in full.iter_mut().zip(prefix) {
        *to = *from;
    }
    Some(format!("{}/{len}", Ipv6Addr::from(full)))
}

/// `192.0.2.0/24` from the reserved byte, the length and the four address
/// bytes; `None` when they do not make a prefix.
pub(super) fn format_ipv4_prefix(mut reader: Reader<'_>) -> Option<String> {
    let reserved = reader.u8()?;
    let len = reader.u8()?;
    let address = *reader.array::<4>()?;
    if reserved != 0 || len > 32 || !reader.is_empty() {
        return None;
    }
    Some(format!("{}/{len}", Ipv4Addr::from(address)))
}
