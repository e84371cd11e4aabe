//! Attribute data types and the translation between what an operator writes
//! and what goes on the wire.
//!
//! A dictionary gives every attribute a data type (`integer`, `ipaddr`,
//! `octets`, ...). This module knows, for each type, how a value written in a
//! configuration file becomes wire bytes ([`encode`]) and how wire bytes are
//! shown in a log line ([`format()`]). Both directions are total: bad input gives
//! a [`ValueError`] or a hex dump, never a panic. Errors never repeat the text
//! they rejected, because that text may be a secret.

use std::fmt::Write as _;
use std::net::{Ipv4Addr, Ipv6Addr};

use crate::reader::Reader;

/// The longest value one RADIUS attribute can carry (RFC 2865 §5).
pub const MAX_VALUE_LEN: usize = 253;

/// The data types of the FreeRADIUS 3 dictionary format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    /// UTF-8 text, 1..=253 bytes (RFC 8044 §3.5 "text").
    String,
    /// Opaque bytes (RFC 8044 §3.6 "string").
    Octets,
    /// Unsigned 32-bit number, network order.
    Integer,
    /// Unsigned 8-bit number.
    Byte,
    /// Unsigned 16-bit number, network order.
    Short,
    /// Signed 32-bit number, network order.
    Signed,
    /// Unsigned 64-bit number, network order (RFC 8044 §3.2).
    Integer64,
    /// Seconds since 1970-01-01 00:00:00 UTC, unsigned 32 bits (RFC 8044 §3.3).
    Date,
    /// IPv4 address, 4 bytes.
    IpAddr,
    /// IPv6 address, 16 bytes.
    Ipv6Addr,
    /// IPv6 prefix: reserved byte, prefix length, prefix bytes (RFC 3162 §2.3).
    Ipv6Prefix,
    /// IPv4 prefix: reserved byte, prefix length, 4 address bytes (RFC 6572).
    Ipv4Prefix,
    /// IPv6 interface identifier, 8 bytes (RFC 3162 §2.2).
    IfId,
    /// Ethernet MAC address, 6 bytes.
    Ether,
    /// An IPv4 or an IPv6 address, told apart by length.
    ComboIp,
    /// Ascend binary filter: opaque bytes to this server.
    Abinary,
    /// A container of sub-attributes (RFC 6929 §2.3).
    Tlv,
    /// The Vendor-Specific attribute itself (RFC 2865 §5.26).
    Vsa,
    /// An Extended-Type attribute, 241..=244 (RFC 6929 §2.1).
    Extended,
    /// A Long-Extended-Type attribute, 245..=246 (RFC 6929 §2.2).
    LongExtended,
    /// An Extended-Vendor-Specific attribute (RFC 6929 §2.4).
    Evs,
}

impl DataType {
    /// Every type with the name the dictionary format gives it.
    const NAMES: &'static [(&'static str, DataType)] = &[
        ("string", DataType::String),
        ("octets", DataType::Octets),
        ("integer", DataType::Integer),
        ("byte", DataType::Byte),
        ("short", DataType::Short),
        ("signed", DataType::Signed),
        ("integer64", DataType::Integer64),
        ("date", DataType::Date),
        ("ipaddr", DataType::IpAddr),
        ("ipv6addr", DataType::Ipv6Addr),
        ("ipv6prefix", DataType::Ipv6Prefix),
        ("ipv4prefix", DataType::Ipv4Prefix),
        ("ifid", DataType::IfId),
        ("ether", DataType::Ether),
        ("combo-ip", DataType::ComboIp),
        ("abinary", DataType::Abinary),
        ("tlv", DataType::Tlv),
        ("vsa", DataType::Vsa),
        ("extended", DataType::Extended),
        ("long-extended", DataType::LongExtended),
        ("evs", DataType::Evs),
    ];

    /// Other spellings found in dictionaries in the wild (the DHCP dictionary
    /// of FreeRADIUS 3 uses `uint16`/`uint32`).
    const ALIASES: &'static [(&'static str, DataType)] = &[
        ("uint8", DataType::Byte),
        ("uint16", DataType::Short),
        ("uint32", DataType::Integer),
        ("uint64", DataType::Integer64),
        ("int32", DataType::Signed),
    ];

    /// The type named in a dictionary, e.g. `integer` or `octets[16]`.
    /// Names are matched without regard to case. A size in brackets is
    /// accepted and dropped; use [`DataType::parse_sized`] to keep it.
    pub fn from_dictionary(name: &str) -> Option<DataType> {
        Self::parse_sized(name).map(|(data_type, _)| data_type)
    }

    /// The type named in a dictionary together with its size in brackets, if
    /// any: `octets[16]` gives `(Octets, Some(16))`. A size is allowed only
    /// on `octets` and `string` and must be 1..=253.
    pub fn parse_sized(name: &str) -> Option<(DataType, Option<usize>)> {
        let (base, size) = match name.split_once('[') {
            None => (name, None),
            Some((base, rest)) => {
                let digits = rest.strip_suffix(']')?;
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                let size: usize = digits.parse().ok()?;
                if size == 0 || size > MAX_VALUE_LEN {
                    return None;
                }
                (base, Some(size))
            }
        };
        let data_type = Self::NAMES
            .iter()
            .chain(Self::ALIASES)
            .find(|(n, _)| n.eq_ignore_ascii_case(base))
            .map(|&(_, t)| t)?;
        if size.is_some() && !matches!(data_type, DataType::Octets | DataType::String) {
            return None;
        }
        Some((data_type, size))
    }

    /// The name of this type in the dictionary format.
    pub fn name(&self) -> &'static str {
        Self::NAMES
            .iter()
            .find(|(_, t)| t == self)
            .map(|&(n, _)| n)
            .unwrap_or("octets")
    }

    /// The wire length of a fixed-size type; `None` for variable lengths.
    pub fn fixed_len(&self) -> Option<usize> {
        match self {
            DataType::Byte => Some(1),
            DataType::Short => Some(2),
            DataType::Integer | DataType::Signed | DataType::Date | DataType::IpAddr => Some(4),
            DataType::Ipv4Prefix | DataType::Ether => Some(6),
            DataType::Integer64 | DataType::IfId => Some(8),
            DataType::Ipv6Addr => Some(16),
            _ => None,
        }
    }

    /// True for the unsigned and signed number types, the ones that can have
    /// named values (`VALUE` lines).
    pub fn is_number(&self) -> bool {
        matches!(
            self,
            DataType::Integer
                | DataType::Byte
                | DataType::Short
                | DataType::Signed
                | DataType::Integer64
        )
    }

    /// True for types whose value is a list of other attributes rather than
    /// data: they cannot be written as text.
    pub fn is_structural(&self) -> bool {
        matches!(
            self,
            DataType::Tlv
                | DataType::Vsa
                | DataType::Extended
                | DataType::LongExtended
                | DataType::Evs
        )
    }
}

impl std::fmt::Display for DataType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a value written as text cannot be encoded. The rejected text is never
/// part of the message: it may be a password or a shared secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValueError {
    #[error("value is longer than the {max} bytes a RADIUS attribute can carry")]
    TooLong { max: usize },
    #[error("value must be exactly {expected} bytes long")]
    WrongSize { expected: usize },
    #[error("value must not be empty")]
    Empty,
    #[error("not a valid {data_type} value: expected {expected}")]
    Invalid {
        data_type: DataType,
        expected: &'static str,
    },
    #[error("number is out of range for {data_type}: allowed {min}..={max}")]
    OutOfRange {
        data_type: DataType,
        min: i128,
        max: u64,
    },
    #[error(
        "the prefix has bits set beyond its length; write the network address, e.g. 2001:db8::/32"
    )]
    HostBitsSet,
    #[error(
        "{data_type} values cannot be written as text; they hold other attributes or a binary format"
    )]
    NotWritable { data_type: DataType },
}

/// Turn what an operator wrote for an attribute of type `data_type` into wire
/// bytes. Leading and trailing whitespace is kept for `string` and `octets`
/// (it may be meaningful) and ignored for all other types.
pub fn encode(data_type: DataType, text: &str) -> Result<Vec<u8>, ValueError> {
    let trimmed = text.trim();
    match data_type {
        DataType::String => check_len(text.as_bytes().to_vec()),
        DataType::Octets => match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
            Some(hex_digits) => {
                let bytes = hex::decode(hex_digits).map_err(|_| ValueError::Invalid {
                    data_type,
                    expected: "an even number of hex digits after 0x",
                })?;
                check_len(bytes)
            }
            None => check_len(text.as_bytes().to_vec()),
        },
        DataType::Byte => {
            let n = parse_unsigned(data_type, trimmed, u8::MAX.into())?;
            Ok(vec![n as u8])
        }
        DataType::Short => {
            let n = parse_unsigned(data_type, trimmed, u16::MAX.into())?;
            Ok((n as u16).to_be_bytes().to_vec())
        }
        DataType::Integer => {
            let n = parse_unsigned(data_type, trimmed, u32::MAX.into())?;
            Ok((n as u32).to_be_bytes().to_vec())
        }
        DataType::Integer64 => {
            let n = parse_unsigned(data_type, trimmed, u64::MAX)?;
            Ok(n.to_be_bytes().to_vec())
        }
        DataType::Signed => {
            let n: i32 = parse_signed(trimmed)?;
            Ok(n.to_be_bytes().to_vec())
        }
        DataType::Date => {
            let seconds = parse_date(trimmed)?;
            Ok(seconds.to_be_bytes().to_vec())
        }
        DataType::IpAddr => {
            let addr: Ipv4Addr = trimmed.parse().map_err(|_| ValueError::Invalid {
                data_type,
                expected: "an IPv4 address like 192.0.2.1",
            })?;
            Ok(addr.octets().to_vec())
        }
        DataType::Ipv6Addr => {
            let addr: Ipv6Addr = trimmed.parse().map_err(|_| ValueError::Invalid {
                data_type,
                expected: "an IPv6 address like 2001:db8::1",
            })?;
            Ok(addr.octets().to_vec())
        }
        DataType::ComboIp => {
            if let Ok(v4) = trimmed.parse::<Ipv4Addr>() {
                Ok(v4.octets().to_vec())
            } else if let Ok(v6) = trimmed.parse::<Ipv6Addr>() {
                Ok(v6.octets().to_vec())
            } else {
                Err(ValueError::Invalid {
                    data_type,
                    expected: "an IPv4 or IPv6 address",
                })
            }
        }
        DataType::Ipv6Prefix => encode_ipv6_prefix(trimmed),
        DataType::Ipv4Prefix => encode_ipv4_prefix(trimmed),
        DataType::IfId => encode_ifid(trimmed),
        DataType::Ether => encode_ether(trimmed),
        DataType::Abinary
        | DataType::Tlv
        | DataType::Vsa
        | DataType::Extended
        | DataType::LongExtended
        | DataType::Evs => Err(ValueError::NotWritable { data_type }),
    }
}

fn check_len(bytes: Vec<u8>) -> Result<Vec<u8>, ValueError> {
    if bytes.len() > MAX_VALUE_LEN {
        Err(ValueError::TooLong { max: MAX_VALUE_LEN })
    } else {
        Ok(bytes)
    }
}

/// A decimal or `0x` hexadecimal number no larger than `max`.
fn parse_unsigned(data_type: DataType, text: &str, max: u64) -> Result<u64, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    let invalid = ValueError::Invalid {
        data_type,
        expected: "a decimal number (or 0x followed by hex digits)",
    };
    let out_of_range = ValueError::OutOfRange {
        data_type,
        min: 0,
        max,
    };
    let (digits, radix) = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex_digits) => (hex_digits, 16),
        None => (text, 10),
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        // A leading minus sign is a number, just not one that fits.
        if radix == 10
            && text
                .strip_prefix('-')
                .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(out_of_range);
        }
        return Err(invalid);
    }
    let n = u64::from_str_radix(digits, radix).map_err(|_| out_of_range.clone())?;
    if n > max {
        return Err(out_of_range);
    }
    Ok(n)
}

fn parse_signed(text: &str) -> Result<i32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ValueError::Invalid {
            data_type: DataType::Signed,
            expected: "a decimal number, optionally with a sign",
        });
    }
    text.parse::<i32>().map_err(|_| ValueError::OutOfRange {
        data_type: DataType::Signed,
        min: i32::MIN.into(),
        max: i32::MAX as u64,
    })
}

/// Epoch seconds, or an RFC 3339 time in UTC such as `2026-01-02T03:04:05Z`.
fn parse_date(text: &str) -> Result<u32, ValueError> {
    if text.is_empty() {
        return Err(ValueError::Empty);
    }
    if text.bytes().all(|b| b.is_ascii_digit()) {
        return text.parse::<u32>().map_err(|_| ValueError::OutOfRange {
            data_type: DataType::Date,
            min: 0,
            max: u32::MAX.into(),
        });
    }
    let invalid = ValueError::Invalid {
        data_type: DataType::Date,
        expected: "seconds since 1970 or a UTC time like 2026-01-02T03:04:05Z",
    };
    let seconds = parse_rfc3339_utc(text).ok_or(invalid)?;
    u32::try_from(seconds).map_err(|_| ValueError::OutOfRange {
        data_type: DataType::Date,
        min: 0,
        max: u32::MAX.into(),
    })
}

/// `YYYY-MM-DDTHH:MM:SS` followed by `Z` or `+00:00`, as seconds since 1970.
fn parse_rfc3339_utc(text: &str) -> Option<i64> {
    let rest = text
        .strip_suffix('Z')
        .or_else(|| text.strip_suffix('z'))
        .or_else(|| text.strip_suffix("+00:00"))?;
    let b = rest.as_bytes();
    if b.len() != 19 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b't' | b' ') {
        return None;
    }
    if b[13] != b':' || b[16] != b':' {
        return None;
    }
    let num = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = rest.get(range)?;
        if !part.bytes().all(|c| c.is_ascii_digit()) {
            return None;
        }
        part.parse().ok()
    };
    let (year, month, day) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hour, minute, second) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if !(1..=12).contains(&month) || day < 1 || day > days_in_month(year, month) {
        return None;
    }
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (the well-known
/// era-based conversion).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

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
fn encode_ipv6_prefix(text: &str) -> Result<Vec<u8>, ValueError> {
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
fn encode_ipv4_prefix(text: &str) -> Result<Vec<u8>, ValueError> {
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

/// Four groups of one to four hex digits separated by colons.
fn encode_ifid(text: &str) -> Result<Vec<u8>, ValueError> {
    let invalid = ValueError::Invalid {
        data_type: DataType::IfId,
        expected: "an interface id like 0011:2233:4455:6677",
    };
    let groups: Vec<&str> = text.split(':').collect();
    if groups.len() != 4 {
        return Err(invalid);
    }
    let mut out = Vec::with_capacity(8);
    for group in groups {
        if group.is_empty() || group.len() > 4 || !group.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(invalid);
        }
        let n = u16::from_str_radix(group, 16).map_err(|_| invalid.clone())?;
        out.extend_from_slice(&n.to_be_bytes());
    }
    Ok(out)
}

/// Six groups of two hex digits separated by `:` or `-`.
fn encode_ether(text: &str) -> Result<Vec<u8>, ValueError> {
    let invalid = ValueError::Invalid {
        data_type: DataType::Ether,
        expected: "a MAC address like 00:11:22:33:44:55",
    };
    let groups: Vec<&str> = text.split([':', '-']).collect();
    if groups.len() != 6 {
        return Err(invalid);
    }
    groups
        .into_iter()
        .map(|g| {
            if g.len() == 2 && g.bytes().all(|b| b.is_ascii_hexdigit()) {
                u8::from_str_radix(g, 16).map_err(|_| invalid.clone())
            } else {
                Err(invalid.clone())
            }
        })
        .collect()
}

/// Show wire bytes of an attribute of type `data_type` for a log line. Bytes
/// that do not fit the type (a wrong length, an invalid prefix) are shown as
/// `0x` hex, so this never fails.
pub fn format(data_type: DataType, bytes: &[u8]) -> String {
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
pub fn format_octets(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// `2001:db8::/32` from the reserved byte, the length and as many prefix
/// bytes as were sent (at most 16); `None` when they do not make a prefix.
fn format_ipv6_prefix(mut reader: Reader<'_>) -> Option<String> {
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
fn format_ipv4_prefix(mut reader: Reader<'_>) -> Option<String> {
    let reserved = reader.u8()?;
    let len = reader.u8()?;
    let address = *reader.array::<4>()?;
    if reserved != 0 || len > 32 || !reader.is_empty() {
        return None;
    }
    Some(format!("{}/{len}", Ipv4Addr::from(address)))
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

/// RFC 3339 in UTC, e.g. `2026-01-02T03:04:05Z`.
pub fn format_date(seconds: u32) -> String {
    let seconds = i64::from(seconds);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let in_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        in_day / 3600,
        in_day % 3600 / 60,
        in_day % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn round_trip(data_type: DataType, text: &str, wire: &[u8], shown: &str) {
        assert_eq!(
            encode(data_type, text).unwrap(),
            wire,
            "encode {data_type} {text}"
        );
        assert_eq!(format(data_type, wire), shown, "format {data_type}");
    }

    #[test]
    fn type_names_with_and_without_size() {
        assert_eq!(
            DataType::from_dictionary("integer"),
            Some(DataType::Integer)
        );
        assert_eq!(
            DataType::from_dictionary("Combo-IP"),
            Some(DataType::ComboIp)
        );
        assert_eq!(
            DataType::from_dictionary("octets[16]"),
            Some(DataType::Octets)
        );
        assert_eq!(
            DataType::parse_sized("octets[16]"),
            Some((DataType::Octets, Some(16)))
        );
        assert_eq!(
            DataType::parse_sized("string"),
            Some((DataType::String, None))
        );
        assert_eq!(DataType::from_dictionary("uint32"), Some(DataType::Integer));
        assert_eq!(DataType::from_dictionary("octets[0]"), None);
        assert_eq!(DataType::from_dictionary("octets[254]"), None);
        assert_eq!(DataType::from_dictionary("octets[x]"), None);
        assert_eq!(DataType::from_dictionary("octets[16"), None);
        assert_eq!(DataType::from_dictionary("integer[4]"), None);
        assert_eq!(DataType::from_dictionary("float"), None);
        for (name, t) in DataType::NAMES {
            assert_eq!(DataType::from_dictionary(name), Some(*t));
            assert_eq!(t.name(), *name);
        }
    }

    #[test]
    fn fixed_lengths() {
        assert_eq!(DataType::Integer.fixed_len(), Some(4));
        assert_eq!(DataType::Byte.fixed_len(), Some(1));
        assert_eq!(DataType::Short.fixed_len(), Some(2));
        assert_eq!(DataType::Integer64.fixed_len(), Some(8));
        assert_eq!(DataType::Date.fixed_len(), Some(4));
        assert_eq!(DataType::IpAddr.fixed_len(), Some(4));
        assert_eq!(DataType::Ipv6Addr.fixed_len(), Some(16));
        assert_eq!(DataType::IfId.fixed_len(), Some(8));
        assert_eq!(DataType::Ether.fixed_len(), Some(6));
        assert_eq!(DataType::Signed.fixed_len(), Some(4));
        assert_eq!(DataType::String.fixed_len(), None);
        assert_eq!(DataType::Ipv6Prefix.fixed_len(), None);
    }

    #[test]
    fn strings() {
        round_trip(
            DataType::String,
            "hello world",
            b"hello world",
            "hello world",
        );
        round_trip(DataType::String, "grüße", "grüße".as_bytes(), "grüße");
        assert_eq!(
            encode(DataType::String, &"a".repeat(253)).unwrap().len(),
            253
        );
        assert_eq!(
            encode(DataType::String, &"a".repeat(254)),
            Err(ValueError::TooLong { max: 253 })
        );
        assert_eq!(
            format(DataType::String, b"a\nb\t\"c\"\\\x00\xff"),
            "a\\nb\\t\\\"c\\\"\\\\\\u{0}\\xff"
        );
    }

    #[test]
    fn octets() {
        round_trip(DataType::Octets, "0x00ff10", &[0, 0xff, 0x10], "0x00ff10");
        round_trip(DataType::Octets, "0XAB", &[0xab], "0xab");
        assert_eq!(encode(DataType::Octets, "abc").unwrap(), b"abc");
        assert_eq!(encode(DataType::Octets, "0x").unwrap(), b"");
        assert!(matches!(
            encode(DataType::Octets, "0xabc"),
            Err(ValueError::Invalid { .. })
        ));
        assert!(matches!(
            encode(DataType::Octets, "0xzz"),
            Err(ValueError::Invalid { .. })
        ));
        assert_eq!(
            encode(DataType::Octets, &format!("0x{}", "00".repeat(254))),
            Err(ValueError::TooLong { max: 253 })
        );
        assert_eq!(format(DataType::Octets, &[]), "0x");
    }

    #[test]
    fn unsigned_numbers() {
        round_trip(DataType::Integer, "6", &[0, 0, 0, 6], "6");
        round_trip(DataType::Integer, "4294967295", &[0xff; 4], "4294967295");
        assert_eq!(encode(DataType::Integer, " 0x10 ").unwrap(), [0, 0, 0, 16]);
        round_trip(DataType::Byte, "255", &[255], "255");
        round_trip(DataType::Short, "513", &[2, 1], "513");
        round_trip(
            DataType::Integer64,
            "18446744073709551615",
            &[0xff; 8],
            "18446744073709551615",
        );
        for (t, too_big) in [
            (DataType::Byte, "256"),
            (DataType::Short, "65536"),
            (DataType::Integer, "4294967296"),
            (DataType::Integer64, "18446744073709551616"),
            (DataType::Integer, "-1"),
        ] {
            assert!(
                matches!(encode(t, too_big), Err(ValueError::OutOfRange { .. })),
                "{t} {too_big}"
            );
        }
        assert!(matches!(
            encode(DataType::Integer, "six"),
            Err(ValueError::Invalid { .. })
        ));
        assert!(matches!(
            encode(DataType::Integer, "1.5"),
            Err(ValueError::Invalid { .. })
        ));
        assert_eq!(encode(DataType::Integer, ""), Err(ValueError::Empty));
    }

    #[test]
    fn signed_numbers() {
        round_trip(DataType::Signed, "-2", &[0xff, 0xff, 0xff, 0xfe], "-2");
        round_trip(DataType::Signed, "+7", &[0, 0, 0, 7], "7");
        assert!(matches!(
            encode(DataType::Signed, "2147483648"),
            Err(ValueError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(DataType::Signed, "-"),
            Err(ValueError::Invalid { .. })
        ));
    }

    #[test]
    fn dates() {
        round_trip(
            DataType::Date,
            "2026-01-02T03:04:05Z",
            &1_767_323_045u32.to_be_bytes(),
            "2026-01-02T03:04:05Z",
        );
        assert_eq!(
            encode(DataType::Date, "1767323045").unwrap(),
            1_767_323_045u32.to_be_bytes()
        );
        assert_eq!(
            encode(DataType::Date, "2024-02-29T00:00:00+00:00").unwrap(),
            1_709_164_800u32.to_be_bytes()
        );
        assert_eq!(format(DataType::Date, &[0; 4]), "1970-01-01T00:00:00Z");
        assert_eq!(format(DataType::Date, &[0xff; 4]), "2106-02-07T06:28:15Z");
        for bad in [
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-02T03:04:05",
            "2026-01-02T03:04:05+01:00",
            "yesterday",
            "2026-01-02T24:00:00Z",
        ] {
            assert!(
                matches!(encode(DataType::Date, bad), Err(ValueError::Invalid { .. })),
                "{bad}"
            );
        }
        assert!(matches!(
            encode(DataType::Date, "1969-12-31T23:59:59Z"),
            Err(ValueError::OutOfRange { .. })
        ));
        assert!(matches!(
            encode(DataType::Date, "4294967296"),
            Err(ValueError::OutOfRange { .. })
        ));
    }

    #[test]
    fn addresses() {
        round_trip(DataType::IpAddr, "192.0.2.1", &[192, 0, 2, 1], "192.0.2.1");
        let v6 = "2001:db8::1".parse::<Ipv6Addr>().unwrap().octets();
        round_trip(DataType::Ipv6Addr, "2001:db8::1", &v6, "2001:db8::1");
        round_trip(DataType::ComboIp, "192.0.2.1", &[192, 0, 2, 1], "192.0.2.1");
        round_trip(DataType::ComboIp, "2001:db8::1", &v6, "2001:db8::1");
        assert!(encode(DataType::IpAddr, "192.0.2").is_err());
        assert!(encode(DataType::IpAddr, "2001:db8::1").is_err());
        assert!(encode(DataType::Ipv6Addr, "192.0.2.1").is_err());
        assert!(encode(DataType::ComboIp, "host").is_err());
        assert_eq!(format(DataType::ComboIp, &[1, 2, 3]), "0x010203");
    }

    #[test]
    fn ipv6_prefixes() {
        round_trip(
            DataType::Ipv6Prefix,
            "2001:db8::/32",
            &[0, 32, 0x20, 0x01, 0x0d, 0xb8],
            "2001:db8::/32",
        );
        round_trip(DataType::Ipv6Prefix, "::/0", &[0, 0], "::/0");
        round_trip(
            DataType::Ipv6Prefix,
            "2001:db8:8000::/33",
            &[0, 33, 0x20, 0x01, 0x0d, 0xb8, 0x80],
            "2001:db8:8000::/33",
        );
        let full = encode(DataType::Ipv6Prefix, "2001:db8::1").unwrap();
        assert_eq!(full.len(), 18);
        assert_eq!(full[1], 128);
        assert_eq!(
            encode(DataType::Ipv6Prefix, "2001:db8::1/32"),
            Err(ValueError::HostBitsSet)
        );
        assert!(encode(DataType::Ipv6Prefix, "2001:db8::/129").is_err());
        assert!(encode(DataType::Ipv6Prefix, "2001:db8::/").is_err());
        // A prefix longer than 16 bytes or a bad length byte shows as hex.
        assert_eq!(format(DataType::Ipv6Prefix, &[0, 200]), "0x00c8");
        assert_eq!(format(DataType::Ipv6Prefix, &[0]), "0x00");
    }

    #[test]
    fn ipv4_prefixes() {
        round_trip(
            DataType::Ipv4Prefix,
            "192.0.2.0/24",
            &[0, 24, 192, 0, 2, 0],
            "192.0.2.0/24",
        );
        assert_eq!(
            encode(DataType::Ipv4Prefix, "192.0.2.1/24"),
            Err(ValueError::HostBitsSet)
        );
        assert!(encode(DataType::Ipv4Prefix, "192.0.2.0/33").is_err());
        assert_eq!(
            format(DataType::Ipv4Prefix, &[0, 40, 1, 2, 3, 4]),
            "0x002801020304"
        );
    }

    #[test]
    fn interface_ids_and_macs() {
        round_trip(
            DataType::IfId,
            "0011:2233:4455:6677",
            &[0, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77],
            "0011:2233:4455:6677",
        );
        assert_eq!(
            encode(DataType::IfId, "1:2:3:4").unwrap(),
            [0, 1, 0, 2, 0, 3, 0, 4]
        );
        assert!(encode(DataType::IfId, "0011:2233:4455").is_err());
        assert!(encode(DataType::IfId, "00112:2233:4455:6677").is_err());
        round_trip(
            DataType::Ether,
            "00:11:22:aa:BB:cc",
            &[0, 0x11, 0x22, 0xaa, 0xbb, 0xcc],
            "00:11:22:aa:bb:cc",
        );
        assert_eq!(
            encode(DataType::Ether, "00-11-22-33-44-55").unwrap(),
            [0, 0x11, 0x22, 0x33, 0x44, 0x55]
        );
        assert!(encode(DataType::Ether, "00:11:22:33:44").is_err());
        assert!(encode(DataType::Ether, "0:11:22:33:44:55").is_err());
    }

    #[test]
    fn structural_types_are_not_text() {
        for t in [
            DataType::Tlv,
            DataType::Vsa,
            DataType::Extended,
            DataType::LongExtended,
            DataType::Evs,
            DataType::Abinary,
        ] {
            assert_eq!(
                encode(t, "x"),
                Err(ValueError::NotWritable { data_type: t })
            );
            assert_eq!(format(t, &[1, 2]), "0x0102");
        }
    }

    #[test]
    fn wrong_length_shows_as_octets() {
        assert_eq!(format(DataType::Integer, &[1, 2, 3]), "0x010203");
        assert_eq!(format(DataType::IpAddr, &[]), "0x");
        assert_eq!(format(DataType::Ether, &[1; 7]), "0x01010101010101");
        assert_eq!(format(DataType::Byte, &[1, 2]), "0x0102");
    }

    #[test]
    fn errors_never_echo_the_value() {
        let secret = "hunter2-secret";
        for t in [
            DataType::Integer,
            DataType::IpAddr,
            DataType::Date,
            DataType::Ether,
            DataType::Ipv6Prefix,
            DataType::Tlv,
        ] {
            let message = encode(t, secret).unwrap_err().to_string();
            assert!(!message.contains(secret), "{message}");
        }
        let message = encode(DataType::String, &secret.repeat(30))
            .unwrap_err()
            .to_string();
        assert!(!message.contains(secret));
    }

    proptest! {
        #[test]
        fn format_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40), index in 0usize..21) {
            let t = DataType::NAMES[index].1;
            let _ = format(t, &bytes);
        }

        #[test]
        fn encode_never_panics(text in ".{0,40}", index in 0usize..21) {
            let t = DataType::NAMES[index].1;
            let _ = encode(t, &text);
        }

        #[test]
        fn dates_round_trip(seconds in any::<u32>()) {
            let shown = format_date(seconds);
            prop_assert_eq!(encode(DataType::Date, &shown).unwrap(), seconds.to_be_bytes().to_vec());
        }
    }
}
