//! Text to wire: what an operator writes as an attribute's value in the
//! configuration (the reply attributes of a policy), turned into the bytes
//! that go in the packet.

use std::net::{Ipv4Addr, Ipv6Addr};

use super::date::parse_date;
use super::prefix::{encode_ipv4_prefix, encode_ipv6_prefix};
use super::{DataType, MAX_VALUE_LEN, ValueError};

/// Turn what an operator wrote for an attribute of type `data_type` into wire
/// bytes. Leading and trailing whitespace is kept for `string` and `octets`
/// (it may be meaningful) and ignored for all other types.
pub(crate) fn encode(data_type: DataType, text: &str) -> Result<Vec<u8>, ValueError> {
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
