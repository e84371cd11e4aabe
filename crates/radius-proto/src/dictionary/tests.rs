//! Tests of the dictionary parser and lookups, on dictionaries held in memory
//! (and a few on real files for `$INCLUDE` and `merge_file`).

use std::path::Path;

use proptest::prelude::*;

use super::source::Source;
use super::{AttributeId, Dictionary, DictionaryError, Encryption, parse};
use crate::value::{DataType, ValueError};

/// Load the first of `files` from memory; the others can be `$INCLUDE`d.
fn load(files: &[(&str, &str)]) -> Result<Dictionary, DictionaryError> {
    let mut dictionary = Dictionary::new();
    parse::load(
        &mut dictionary,
        &Source::Memory(files),
        Path::new(files[0].0),
    )?;
    Ok(dictionary)
}

fn load_one(text: &str) -> Result<Dictionary, DictionaryError> {
    load(&[("d/dictionary", text)])
}

/// The error message of a dictionary that must not load.
fn error(text: &str) -> String {
    match load_one(text) {
        Ok(_) => panic!("loaded, but should not:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn attributes_and_values() {
    let d = load_one(
        "# comment\n\
         \n\
         ATTRIBUTE\tUser-Name\t1\tstring\n\
         ATTRIBUTE Service-Type 6 integer # trailing comment\n\
         ATTRIBUTE Hex-Coded 0x1a octets\n\
         VALUE Service-Type Login-User 1\n\
         VALUE Service-Type Administrative-User 0x06\n",
    )
    .unwrap();
    assert_eq!(d.attribute_count(), 3);
    let user_name = d.attribute_by_name("user-name").unwrap();
    assert_eq!((user_name.vendor, user_name.code), (0, 1));
    assert_eq!(user_name.data_type, DataType::String);
    assert_eq!(d.attribute(0, 26).unwrap().name, "Hex-Coded");
    let service_type = d.attribute_by_name("SERVICE-TYPE").unwrap();
    assert_eq!(
        d.value_by_name(service_type, "administrative-user"),
        Some(6)
    );
    assert_eq!(d.value_name(service_type, 1), Some("Login-User"));
    assert_eq!(d.value_name(service_type, 99), None);
    assert!(d.attribute_by_name("No-Such").is_none());
}

#[test]
fn vendors_and_their_formats() {
    let d = load_one(
        "VENDOR Plain 9\n\
         VENDOR Wide 429 format=4,0\n\
         VENDOR Two 5535 format=2,2\n\
         VENDOR Continued 24757 format=1,1,c\n\
         BEGIN-VENDOR Plain\n\
         ATTRIBUTE Plain-Pair 1 string\n\
         END-VENDOR Plain\n\
         BEGIN-VENDOR Wide\n\
         ATTRIBUTE Wide-Thing 0x9801 integer\n\
         END-VENDOR Wide\n\
         ATTRIBUTE Old-Style 2 integer Plain\n",
    )
    .unwrap();
    let wide = d.vendor_by_name("wide").unwrap();
    assert_eq!((wide.id, wide.type_size, wide.length_size), (429, 4, 0));
    let two = d.vendor(5535).unwrap();
    assert_eq!(
        (two.type_size, two.length_size, two.continuation),
        (2, 2, false)
    );
    assert!(d.vendor(24757).unwrap().continuation);
    assert_eq!(d.attribute(9, 1).unwrap().name, "Plain-Pair");
    assert_eq!(d.attribute(429, 0x9801).unwrap().name, "Wide-Thing");
    assert_eq!(d.attribute(9, 2).unwrap().name, "Old-Style");
    assert!(d.attribute(0, 1).is_none());
}

#[test]
fn bad_vendor_lines() {
    for (text, needle) in [
        ("VENDOR X 9 format=3,1\n", "type size 1, 2 or 4"),
        ("VENDOR X 9 format=2,1,c\n", "c only with format=1,1,c"),
        ("VENDOR X 9 format=1\n", "format="),
        ("VENDOR X 0\n", "1..=16777215"),
        ("VENDOR X 16777216\n", "1..=16777215"),
        ("VENDOR X\n", "expected `VENDOR"),
        ("VENDOR X 9\nVENDOR X 10\n", "already defined with number 9"),
        ("BEGIN-VENDOR Nobody\n", "no such vendor"),
        ("VENDOR X 9\nBEGIN-VENDOR X\n", "never closed"),
        (
            "VENDOR X 9\nVENDOR Y 10\nBEGIN-VENDOR X\nEND-VENDOR Y\n",
            "does not match",
        ),
        ("END-VENDOR X\n", "without a BEGIN-VENDOR"),
        (
            "VENDOR X 9\nBEGIN-VENDOR X\nATTRIBUTE X-Big 256 integer\nEND-VENDOR X\n",
            "at most 255",
        ),
        (
            "VENDOR X 9\nBEGIN-VENDOR X format=Extended-Vendor-Specific-1\n",
            "needs attribute 241.26",
        ),
    ] {
        let message = error(text);
        assert!(message.contains(needle), "{text:?}: {message}");
    }
}

#[test]
fn tlvs_and_dotted_numbers() {
    let d = load_one(
        "VENDOR WiMAX 24757 format=1,1,c\n\
         BEGIN-VENDOR WiMAX\n\
         ATTRIBUTE WiMAX-Capability 1 tlv\n\
         ATTRIBUTE WiMAX-Release 1.1 string\n\
         BEGIN-TLV WiMAX-Capability\n\
         ATTRIBUTE WiMAX-Accounting-Capabilities 2 byte\n\
         END-TLV WiMAX-Capability\n\
         END-VENDOR WiMAX\n\
         VENDOR Cisco 9\n\
         ATTRIBUTE Cisco-AVPair 26.9.1 string\n\
         ATTRIBUTE Extended-Attribute-1 241 extended\n\
         ATTRIBUTE Frag-Status 241.1 integer\n",
    )
    .unwrap();
    let capability = d.attribute_by_name("WiMAX-Capability").unwrap();
    let release = d.child(capability, 1).unwrap();
    assert_eq!(release.name, "WiMAX-Release");
    assert_eq!(release.parents, vec![1]);
    assert_eq!(release.id().to_string(), "26.24757.1.1");
    let accounting = d
        .attribute_by_name("WiMAX-Accounting-Capabilities")
        .unwrap();
    assert_eq!(accounting.id().path, vec![1, 2]);
    assert_eq!(accounting.data_type, DataType::Byte);
    assert_eq!(d.attribute(9, 1).unwrap().name, "Cisco-AVPair");
    let frag = d.attribute_by_name("Frag-Status").unwrap();
    assert_eq!(frag.id().to_string(), "241.1");
    assert_eq!(d.child(d.attribute(0, 241).unwrap(), 1), Some(frag));
    // Members are not top-level attributes.
    assert!(d.attribute(24757, 2).is_none());
}

#[test]
fn extended_vendor_specific() {
    let d = load_one(
        "ATTRIBUTE Extended-Attribute-5 245 long-extended\n\
         ATTRIBUTE Extended-Vendor-Specific-5 245.26 evs\n\
         VENDOR FreeRADIUS 11344\n\
         BEGIN-VENDOR FreeRADIUS format=Extended-Vendor-Specific-5\n\
         ATTRIBUTE FreeRADIUS-Thing 1 octets\n\
         END-VENDOR FreeRADIUS\n\
         BEGIN-VENDOR FreeRADIUS\n\
         ATTRIBUTE FreeRADIUS-Plain 1 string\n\
         END-VENDOR FreeRADIUS\n",
    )
    .unwrap();
    let thing = d.evs_attribute(245, 11344, 1).unwrap();
    assert_eq!(thing.name, "FreeRADIUS-Thing");
    assert_eq!(thing.id().to_string(), "245.26.11344.1");
    // The same vendor and number inside Vendor-Specific is another attribute.
    assert_eq!(d.attribute(11344, 1).unwrap().name, "FreeRADIUS-Plain");
    let id = AttributeId {
        vendor: 11344,
        evs: Some(245),
        path: vec![1],
    };
    assert_eq!(d.attribute_by_id(&id), Some(thing));
}

#[test]
fn bad_tlv_and_dotted_lines() {
    for (text, needle) in [
        (
            "ATTRIBUTE Orphan 241.1 integer\n",
            "241 of Orphan is not defined",
        ),
        (
            "ATTRIBUTE Flat 5 integer\nATTRIBUTE Member 5.1 integer\n",
            "cannot hold members",
        ),
        ("ATTRIBUTE Ext 240 extended\n", "241..=246"),
        (
            "ATTRIBUTE E 241 extended\nATTRIBUTE V 241.27 evs\n",
            "number 26",
        ),
        ("ATTRIBUTE T 5 tlv\nATTRIBUTE M 5.256 integer\n", "0..=255"),
        ("ATTRIBUTE VS 27 vsa\n", "only Vendor-Specific"),
        ("BEGIN-TLV Nothing\n", "no such attribute"),
        ("ATTRIBUTE A 1 string\nBEGIN-TLV A\n", "needs type tlv"),
        ("ATTRIBUTE T 5 tlv\nBEGIN-TLV T\n", "never closed"),
        ("END-TLV T\n", "without a BEGIN-TLV"),
        ("ATTRIBUTE X 26.9.1 string\n", "vendor 9 is not defined"),
        ("ATTRIBUTE X 1.2.3.4.5.6.7.8.9 string\n", "is not a number"),
    ] {
        let message = error(text);
        assert!(message.contains(needle), "{text:?}: {message}");
    }
}

#[test]
fn flags() {
    let d = load_one(
        "ATTRIBUTE User-Password 2 string encrypt=1\n\
         ATTRIBUTE Tunnel-Password 69 string has_tag,encrypt=2\n\
         ATTRIBUTE Ascend-Send-Secret 214 string encrypt=3\n\
         ATTRIBUTE EAP-Message 79 octets concat\n\
         ATTRIBUTE DNS 200 ipaddr array\n\
         ATTRIBUTE Computed 1000 integer virtual\n\
         ATTRIBUTE Key 1001 octets[16] secret\n\
         ATTRIBUTE Filter 242 octets abinary\n\
         FLAGS internal\n\
         ATTRIBUTE Inside 1002 string\n\
         FLAGS -internal\n\
         ATTRIBUTE Outside 201 string\n",
    )
    .unwrap();
    let get = |name| d.attribute_by_name(name).unwrap();
    assert_eq!(get("User-Password").encrypt, Encryption::UserPassword);
    let tunnel = get("Tunnel-Password");
    assert_eq!(tunnel.encrypt, Encryption::TunnelPassword);
    assert!(tunnel.has_tag);
    assert_eq!(get("Ascend-Send-Secret").encrypt, Encryption::AscendSecret);
    assert!(get("EAP-Message").concat);
    assert!(get("DNS").array);
    assert!(get("Computed").is_virtual && get("Computed").is_internal());
    assert!(get("Key").secret);
    assert_eq!(get("Key").size, Some(16));
    assert_eq!(get("Filter").data_type, DataType::Abinary);
    assert!(get("Inside").internal);
    assert!(!get("Outside").internal && !get("Outside").is_internal());
}

#[test]
fn bad_attribute_lines() {
    for (text, needle) in [
        ("ATTRIBUTE Short 1\n", "expected `ATTRIBUTE"),
        (
            "ATTRIBUTE A 1 string has_tag extra\n",
            "expected `ATTRIBUTE",
        ),
        ("ATTRIBUTE A 1 float\n", "unknown data type `float`"),
        ("ATTRIBUTE A 1 octets[300]\n", "unknown data type"),
        ("ATTRIBUTE A one string\n", "is not a number"),
        (
            "ATTRIBUTE A 1 string frobnicate\n",
            "unknown flag `frobnicate`",
        ),
        (
            "ATTRIBUTE A 1 string encrypt=4\n",
            "unknown flag `encrypt=4`",
        ),
        ("ATTRIBUTE A 1 ipaddr has_tag\n", "has_tag is for"),
        ("ATTRIBUTE A 1 string concat\n", "concat is for octets"),
        ("ATTRIBUTE A 1 integer encrypt=1\n", "encrypt=1 is for"),
        ("ATTRIBUTE A 1 tlv encrypt=2\n", "cannot have encrypt"),
        (
            "ATTRIBUTE A 1 string abinary\n",
            "abinary flag needs type octets",
        ),
        ("ATTRIBUTE 123 1 string\n", "not a usable name"),
        ("ATTRIBUTE A=B 1 string\n", "not a usable name"),
        (
            "ATTRIBUTE A 1 string\nATTRIBUTE A 2 string\n",
            "already defined with number 1",
        ),
        ("FROBNICATE x\n", "unknown keyword `FROBNICATE`"),
        ("STRUCT x y\n", "FreeRADIUS 4"),
        ("FLAGS sometimes\n", "FLAGS internal"),
        ("$INCLUDE\n", "exactly one file name"),
    ] {
        let message = error(text);
        assert!(message.contains(needle), "{text:?}: {message}");
    }
}

#[test]
fn errors_name_file_and_line() {
    let message = error("ATTRIBUTE A 1 string\n\n# comment\nATTRIBUTE B 2 nonsense\n");
    assert!(message.starts_with("d/dictionary:4: "), "{message}");
    let err = load(&[
        (
            "d/dictionary",
            "ATTRIBUTE A 1 string\n$INCLUDE sub/dictionary.x\n",
        ),
        ("d/sub/dictionary.x", "\nVALUE A B 1\n"),
    ])
    .unwrap_err();
    match err {
        DictionaryError::Syntax {
            file,
            line,
            problem,
        } => {
            assert_eq!((file.as_str(), line), ("d/sub/dictionary.x", 2));
            assert!(problem.contains("type string"), "{problem}");
        }
        other => panic!("{other}"),
    }
}

#[test]
fn values_may_come_before_their_attribute() {
    let d = load(&[
        (
            "d/dictionary",
            "$INCLUDE dictionary.early\nATTRIBUTE Late 50 byte\n",
        ),
        ("d/dictionary.early", "VALUE Late First 1\n"),
    ])
    .unwrap();
    let late = d.attribute_by_name("Late").unwrap();
    assert_eq!(d.value_by_name(late, "First"), Some(1));

    let message = error("ATTRIBUTE A 1 integer\n\nVALUE Missing X 1\n");
    assert!(message.starts_with("d/dictionary:3: "), "{message}");
    assert!(
        message.contains("Missing, which is not defined"),
        "{message}"
    );
}

#[test]
fn value_ranges() {
    for (text, needle) in [
        ("ATTRIBUTE B 1 byte\nVALUE B Big 256\n", "fits type byte"),
        (
            "ATTRIBUTE S 1 short\nVALUE S Big 65536\n",
            "fits type short",
        ),
        (
            "ATTRIBUTE I 1 integer\nVALUE I Big 4294967296\n",
            "fits type integer",
        ),
        (
            "ATTRIBUTE I 1 integer\nVALUE I Neg -1\n",
            "fits type integer",
        ),
        (
            "ATTRIBUTE I 1 integer\nVALUE I X 1\nVALUE I X 2\n",
            "already defined as 1",
        ),
        ("ATTRIBUTE I 1 integer\nVALUE I X\n", "expected `VALUE"),
        ("ATTRIBUTE A 1 ipaddr\nVALUE A X 1\n", "type ipaddr"),
    ] {
        let message = error(text);
        assert!(message.contains(needle), "{text:?}: {message}");
    }
    let d = load_one(
        "ATTRIBUTE S 1 signed\nVALUE S Minus-One -1\n\
         ATTRIBUTE L 2 integer64\nVALUE L Huge 18446744073709551615\n",
    )
    .unwrap();
    let s = d.attribute_by_name("S").unwrap();
    assert_eq!(d.encode_value(s, "Minus-One").unwrap(), vec![0xff; 4]);
    assert_eq!(d.format_value(s, &[0xff; 4]), "Minus-One");
    let l = d.attribute_by_name("L").unwrap();
    assert_eq!(d.format_value(l, &[0xff; 8]), "Huge");
}

#[test]
fn redefinitions_follow_freeradius() {
    let d = load_one(
        "ATTRIBUTE Same 1 string\n\
         ATTRIBUTE Same 1 string\n\
         ATTRIBUTE Retyped 2 string\n\
         ATTRIBUTE Retyped 2 octets\n\
         ATTRIBUTE Old-Name 3 integer\n\
         ATTRIBUTE New-Name 3 integer\n\
         VALUE New-Name Alias 1\n\
         VALUE New-Name Canonical 1\n\
         VALUE New-Name Canonical 1\n\
         VENDOR V 9\n\
         VENDOR V 9 format=2,2\n\
         VENDOR Other-Name 9\n",
    )
    .unwrap();
    assert_eq!(d.attribute_count(), 4);
    assert_eq!(d.attribute(0, 1).unwrap().name, "Same");
    assert_eq!(
        d.attribute_by_name("Retyped").unwrap().data_type,
        DataType::Octets
    );
    // Both names resolve, the number shows as the newest.
    assert_eq!(d.attribute_by_name("Old-Name").unwrap().code, 3);
    assert_eq!(d.attribute(0, 3).unwrap().name, "New-Name");
    // Values are kept per attribute number, so both names see them.
    let old = d.attribute_by_name("Old-Name").unwrap();
    assert_eq!(d.value_by_name(old, "alias"), Some(1));
    assert_eq!(d.value_name(old, 1), Some("Canonical"));
    assert_eq!(d.vendor_by_name("V").unwrap().type_size, 2);
    assert_eq!(d.vendor(9).unwrap().name, "Other-Name");
    assert_eq!(d.vendor_by_name("v").unwrap().id, 9);
}

#[test]
fn includes_resolve_relative_to_the_including_file() {
    let d = load(&[
        (
            "d/dictionary",
            "$INCLUDE sub/dictionary.a\n$INCLUDE- dictionary.missing\n",
        ),
        (
            "d/sub/dictionary.a",
            "$INCLUDE ../dictionary.b\nATTRIBUTE A 1 string\n",
        ),
        ("d/dictionary.b", "ATTRIBUTE B 2 string\n"),
    ])
    .unwrap();
    assert!(d.attribute_by_name("A").is_some());
    assert!(d.attribute_by_name("B").is_some());
}

#[test]
fn a_missing_include_is_an_error_unless_optional() {
    let err = load(&[("d/dictionary", "\n$INCLUDE dictionary.missing\n")]).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, DictionaryError::Read { .. }));
    assert!(message.contains("d/dictionary.missing"), "{message}");
    assert!(
        message.contains("included from d/dictionary:2"),
        "{message}"
    );
}

#[test]
fn include_loops_are_errors() {
    let err = load(&[
        ("d/dictionary", "$INCLUDE dictionary.a\n"),
        (
            "d/dictionary.a",
            "ATTRIBUTE A 1 string\n$INCLUDE ./dictionary\n",
        ),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.starts_with("d/dictionary.a:2: "), "{err}");
    assert!(err.contains("include loop"), "{err}");
    let own = load(&[("d/dictionary", "$INCLUDE- dictionary\n")])
        .unwrap_err()
        .to_string();
    assert!(own.contains("include loop"), "{own}");
}

#[test]
fn files_on_disk_and_merging() {
    let dir = tempfile::tempdir().unwrap();
    let sub = dir.path().join("vendors");
    std::fs::create_dir(&sub).unwrap();
    std::fs::write(
        dir.path().join("dictionary"),
        "$INCLUDE vendors/dictionary.v\n$INCLUDE- vendors/dictionary.none\n",
    )
    .unwrap();
    std::fs::write(
        sub.join("dictionary.v"),
        "VENDOR V 99\nBEGIN-VENDOR V\nATTRIBUTE V-Role 1 string\nEND-VENDOR V\n",
    )
    .unwrap();
    let d = Dictionary::load_file(&dir.path().join("dictionary")).unwrap();
    assert_eq!(d.attribute(99, 1).unwrap().name, "V-Role");

    // A failed merge leaves the dictionary as it was.
    let mut builtin = Dictionary::builtin().unwrap();
    let before = builtin.attribute_count();
    let bad = dir.path().join("dictionary.bad");
    std::fs::write(&bad, "ATTRIBUTE Fine 3000 string\nATTRIBUTE Broken 1\n").unwrap();
    let message = builtin.merge_file(&bad).unwrap_err().to_string();
    assert!(message.contains("dictionary.bad:2:"), "{message}");
    assert_eq!(builtin.attribute_count(), before);
    assert!(builtin.attribute_by_name("Fine").is_none());

    let missing = Dictionary::load_file(&dir.path().join("nope")).unwrap_err();
    assert!(matches!(missing, DictionaryError::Read { .. }));
}

#[test]
fn builtin_definitions() {
    let d = Dictionary::builtin().unwrap();
    let avpair = d.attribute(9, 1).unwrap();
    assert_eq!(avpair.name, "Cisco-AVPair");
    assert_eq!(avpair.data_type, DataType::String);
    assert_eq!(d.vendor(9).unwrap().name, "Cisco");
    assert_eq!(
        d.attribute_by_name("user-password").unwrap().encrypt,
        Encryption::UserPassword
    );
    let tunnel = d.attribute_by_name("Tunnel-Password").unwrap();
    assert_eq!(
        (tunnel.encrypt, tunnel.has_tag),
        (Encryption::TunnelPassword, true)
    );
    assert!(d.attribute_by_name("Tunnel-Type").unwrap().has_tag);
    let send_key = d.attribute_by_name("MS-MPPE-Send-Key").unwrap();
    assert_eq!((send_key.vendor, send_key.code), (311, 16));
    assert_eq!(send_key.encrypt, Encryption::TunnelPassword);
    assert!(d.attribute_by_name("EAP-Message").unwrap().concat);
    assert_eq!(d.attribute_by_name("ARAP-Password").unwrap().size, Some(16));
    assert_eq!(
        d.attribute_by_name("Event-Timestamp").unwrap().data_type,
        DataType::Date
    );
    let error_cause = d.attribute_by_name("Error-Cause").unwrap();
    assert_eq!(
        d.value_name(error_cause, 503),
        Some("Session-Context-Not-Found")
    );
    // Every RFC 2865 attribute number is there.
    for code in (1..=63).filter(|c| ![17, 21].contains(c) && !(40..=59).contains(c)) {
        assert!(d.attribute(0, code).is_some(), "attribute {code}");
    }
    assert!(d.attribute_count() > 150);
}

#[test]
fn encode_and_format_values() {
    let d = Dictionary::builtin().unwrap();
    let service_type = d.attribute_by_name("Service-Type").unwrap();
    assert_eq!(
        d.encode_value(service_type, "Administrative-User").unwrap(),
        vec![0, 0, 0, 6]
    );
    assert_eq!(
        d.encode_value(service_type, " nas-prompt-user ").unwrap(),
        vec![0, 0, 0, 7]
    );
    assert_eq!(d.encode_value(service_type, "6").unwrap(), vec![0, 0, 0, 6]);
    assert!(matches!(
        d.encode_value(service_type, "Superuser"),
        Err(ValueError::Invalid { .. })
    ));
    assert_eq!(
        d.format_value(service_type, &[0, 0, 0, 6]),
        "Administrative-User"
    );
    assert_eq!(d.format_value(service_type, &[0, 0, 0, 99]), "99");
    assert_eq!(d.format_value(service_type, &[0, 6]), "0x0006");

    let arap = d.attribute_by_name("ARAP-Password").unwrap();
    assert_eq!(
        d.encode_value(arap, "0x00"),
        Err(ValueError::WrongSize { expected: 16 })
    );
    assert_eq!(d.encode_value(arap, &"a".repeat(16)).unwrap().len(), 16);

    let group = d.attribute_by_name("Fortinet-Group-Name").unwrap();
    assert_eq!(d.encode_value(group, "vpn-users").unwrap(), b"vpn-users");
    assert_eq!(d.format_value(group, b"vpn\nusers"), "vpn\\nusers");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Any text gives a dictionary or an error, never a panic or a hang.
    #[test]
    fn the_parser_is_total(lines in proptest::collection::vec(
        prop_oneof![
            "(ATTRIBUTE|VALUE|VENDOR|BEGIN-VENDOR|END-VENDOR|BEGIN-TLV|END-TLV|FLAGS|\\$INCLUDE-?)( [A-Za-z0-9.=,\\[\\]x#-]{1,12}){0,5}",
            "ATTRIBUTE [A-C] [0-9]{1,3}(\\.[0-9]{1,3}){0,3} (string|integer|tlv|extended|evs|octets\\[[0-9]{1,3}\\]|byte)( (has_tag|encrypt=[0-4]|concat|A|B))?",
            "VALUE [A-C] [a-z]{1,3} -?[0-9x]{1,5}",
            "VENDOR [A-B] [0-9]{1,8}( format=[0-9],[0-9](,c)?)?",
            "(BEGIN|END)-(VENDOR|TLV) [A-C]( format=Extended-Vendor-Specific-[0-9])?",
            "\\PC{0,40}",
        ],
        0..25,
    )) {
        let text = lines.join("\n");
        let files = [("d/dictionary", text.as_str()), ("d/A", text.as_str())];
        let _ = load(&files);
    }
}
