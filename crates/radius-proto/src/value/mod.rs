//! Attribute data types and the translation between what an operator writes
//! and what goes on the wire.
//!
//! A dictionary gives every attribute a data type (`integer`, `ipaddr`,
//! `octets`, ...). This module is the catalogue of those types
//! ([`DataType`]). For each type, `parse.rs` turns a value written in a
//! configuration file into wire bytes and `format.rs` shows wire bytes in a
//! log line; the calendar of the `date` type lives in `date.rs`, the IPv4
//! and IPv6 prefixes in `prefix.rs`. Both directions are total: bad input
//! gives a [`ValueError`] or a hex dump, never a panic. Errors never repeat
//! the text they rejected, because that text may be a secret.

mod date;
pub(crate) mod format;
pub(crate) mod parse;
mod prefix;
#[cfg(test)]
mod tests;

/// The longest value one RADIUS attribute can carry (RFC 2865 §5).
const MAX_VALUE_LEN: usize = 253;

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
    #[cfg(test)]
    fn from_dictionary(name: &str) -> Option<DataType> {
        Self::parse_sized(name).map(|(data_type, _)| data_type)
    }

    /// The type named in a dictionary together with its size in brackets, if
    /// any: `octets[16]` gives `(Octets, Some(16))`. A size is allowed only
    /// on `octets` and `string` and must be 1..=253.
    pub(crate) fn parse_sized(name: &str) -> Option<(DataType, Option<usize>)> {
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
    pub(crate) fn fixed_len(&self) -> Option<usize> {
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
    pub(crate) fn is_number(&self) -> bool {
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
    pub(crate) fn is_structural(&self) -> bool {
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
