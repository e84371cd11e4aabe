//! The small pieces of dictionary syntax: numbers in decimal or hex, dotted
//! attribute numbers, and names. Every kind of line uses them, so a number
//! or a name is read the same way wherever it appears.

use super::error::LineResult;
use crate::value::DataType;

/// Names are what operators type in configs: no control characters, no
/// quotes or `=`, and not a bare number (it would read as one).
pub(super) fn check_name(name: &str) -> LineResult {
    let bad_char = name
        .chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\'' | '=' | ',' | '{' | '}'));
    if name.is_empty() || bad_char || name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{}` is not a usable name: use letters, digits and - _ . / :, not only digits",
            name.escape_debug()
        ));
    }
    Ok(())
}

/// Decimal or `0x` hex, as a u32.
pub(super) fn parse_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}

/// `1`, `0x1a`, `241.1`, `26.9.1`: at most 8 components.
pub(super) fn parse_oid(text: &str) -> Option<Vec<u32>> {
    let codes: Option<Vec<u32>> = text.split('.').map(parse_number).collect();
    codes.filter(|c| !c.is_empty() && c.len() <= 8)
}

/// The number of a VALUE line, checked against the attribute's type. Signed
/// values are kept as the bits of their 32-bit two's complement.
pub(super) fn parse_value_number(data_type: DataType, text: &str) -> Option<u64> {
    if data_type == DataType::Signed {
        let n: i64 = match text.strip_prefix('-') {
            Some(digits) => -i64::from(parse_number(digits)?),
            None => i64::from(parse_number(text)?),
        };
        let n = i32::try_from(n).ok()?;
        return Some(u64::from(n as u32));
    }
    let n: u64 = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(hex, 16).ok()?
        }
        Some(_) => return None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()?
        }
        None => return None,
    };
    let max = match data_type {
        DataType::Byte => u64::from(u8::MAX),
        DataType::Short => u64::from(u16::MAX),
        DataType::Integer64 => u64::MAX,
        _ => u64::from(u32::MAX),
    };
    (n <= max).then_some(n)
}
