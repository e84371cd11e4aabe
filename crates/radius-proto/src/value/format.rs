//! Wire to text: the bytes of an attribute's value shown for a log line.
//! Bytes that do not fit the type (a wrong length, an invalid prefix) are
//! shown as `0x` hex, so showing a value never fails.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use super::DataType;
use super::date::format_date;
use super::prefix::{format_ipv4_prefix, format_ipv6_prefix};
use crate::reader::Reader;

/// Show wire bytes of an attribute of type `data_type` for a log line. Bytes
/// that do not fit the type (a wrong length, an invalid prefix) are shown as
/// `0x` hex, so this never fails.
pub(crate) fn format(data_type: DataType, bytes: &[u8]) -> String {
    if let Some(len) = data_type.fixed_len()
        && bytes.len() != len
    {
        return format_octets(bytes);
    }
    read_as(data_type, bytes).unwrap_or_else(|| format_octets(bytes))
}

/// The value read as its type; `None` when the bytes do not make one.
fn read_as(data_type: DataType, bytes: &[u8]) -> Option<String> {
    let mut reader = Reader::new(bytes);
    let shown = match data_type {
        DataType::String => format_string(bytes),
        DataType::Byte => reader.u8()?.to_string(),
        DataType::Short => reader.u16_be()?.to_string(),
        DataType::Integer => reader.u32_be()?.to_string(),
        DataType::Signed => i32::from_be_bytes(*reader.array()?).to_string(),
        DataType::Integer64 => reader.u64_be()?.to_string(),
        DataType::Date => format_date(reader.u32_be()?),
        DataType::IpAddr => Ipv4Addr::from(*reader.array::<4>()?).to_string(),
        DataType::Ipv6Addr => Ipv6Addr::from(*reader.array::<16>()?).to_string(),
        DataType::ComboIp => match reader.len() {
            4 => Ipv4Addr::from(*reader.array::<4>()?).to_string(),
            16 => Ipv6Addr::from(*reader.array::<16>()?).to_string(),
            _ => return None,
        },
        DataType::Ipv6Prefix => format_ipv6_prefix(reader)?,
        DataType::Ipv4Prefix => format_ipv4_prefix(reader)?,
        DataType::IfId => {
            let groups = [
                reader.u16_be()?,
                reader.u16_be()?,
                reader.u16_be()?,
                reader.u16_be()?,
            ];
            groups.map(|group| format!("{group:04x}")).join(":")
        }
        DataType::Ether => reader
            .array::<6>()?
            .map(|byte| format!("{byte:02x}"))
            .join(":"),
        DataType::Octets
        | DataType::Abinary
        | DataType::Tlv
        | DataType::Vsa
        | DataType::Extended
        | DataType::LongExtended
        | DataType::Evs => format_octets(bytes),
    };
    Some(shown)
}

/// `0x` followed by lower-case hex.
fn format_octets(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// Text as it is, with control characters, quotes, backslashes and bytes
/// that are not UTF-8 escaped so a log line stays one line and unambiguous.
fn format_string(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            match c {
                '\\' => out.push_str("\\\\"),
                '"' => out.push_str("\\\""),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => {
                    let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
                }
                c => out.push(c),
            }
        }
        for b in chunk.invalid() {
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    out
}
