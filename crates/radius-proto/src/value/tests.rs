//! Tests of the value types: every type in both directions, the limits,
//! and properties over arbitrary text and bytes.

use super::date::format_date;
use super::format::format;
use super::parse::encode;
use super::*;
use proptest::prelude::*;
use std::net::Ipv6Addr;

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
