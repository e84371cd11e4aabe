//! The shipped dictionaries and the FreeRADIUS dictionaries of Debian load,
//! and hold the attributes operators will name in their configs.

use std::path::Path;

use radius_proto::dictionary::{AttributeId, Dictionary, Encryption};
use radius_proto::value::DataType;

const DEBIAN_DICTIONARY: &str = "/usr/share/freeradius/dictionary";

fn builtin() -> Dictionary {
    match Dictionary::builtin() {
        Ok(dictionary) => dictionary,
        Err(e) => panic!("the builtin dictionary does not load: {e}"),
    }
}

#[test]
fn builtin_has_the_attributes_the_readme_names() {
    let dictionary = builtin();
    for (name, vendor, code, data_type) in [
        ("User-Name", 0, 1, DataType::String),
        ("User-Password", 0, 2, DataType::String),
        ("NAS-IP-Address", 0, 4, DataType::IpAddr),
        ("Service-Type", 0, 6, DataType::Integer),
        ("Filter-Id", 0, 11, DataType::String),
        ("Reply-Message", 0, 18, DataType::String),
        ("State", 0, 24, DataType::Octets),
        ("Class", 0, 25, DataType::Octets),
        ("Session-Timeout", 0, 27, DataType::Integer),
        ("Called-Station-Id", 0, 30, DataType::String),
        ("Calling-Station-Id", 0, 31, DataType::String),
        ("NAS-Identifier", 0, 32, DataType::String),
        ("Proxy-State", 0, 33, DataType::Octets),
        ("Acct-Status-Type", 0, 40, DataType::Integer),
        ("Event-Timestamp", 0, 55, DataType::Date),
        ("Tunnel-Private-Group-Id", 0, 81, DataType::String),
        ("EAP-Message", 0, 79, DataType::Octets),
        ("Message-Authenticator", 0, 80, DataType::Octets),
        ("NAS-Port-Id", 0, 87, DataType::String),
        ("NAS-IPv6-Address", 0, 95, DataType::Ipv6Addr),
        ("Framed-IPv6-Prefix", 0, 97, DataType::Ipv6Prefix),
        ("Error-Cause", 0, 101, DataType::Integer),
        ("Cisco-AVPair", 9, 1, DataType::String),
        ("ASA-Group-Policy", 3076, 25, DataType::String),
        ("MS-MPPE-Send-Key", 311, 16, DataType::Octets),
        ("Fortinet-Group-Name", 12356, 1, DataType::String),
        ("Fortinet-Access-Profile", 12356, 6, DataType::String),
        ("PaloAlto-Admin-Role", 25461, 1, DataType::String),
        ("PaloAlto-User-Group", 25461, 5, DataType::String),
        ("Juniper-Local-User-Name", 2636, 1, DataType::String),
        ("Aruba-User-Role", 14823, 1, DataType::String),
        ("F5-LTM-User-Role", 3375, 1, DataType::Integer),
        ("F5-LTM-User-Partition", 3375, 3, DataType::String),
        ("Citrix-User-Groups", 66, 16, DataType::String),
    ] {
        let def = dictionary
            .attribute_by_name(name)
            .unwrap_or_else(|| panic!("{name} is missing from the builtin dictionary"));
        assert_eq!(
            (def.vendor, def.code, def.data_type),
            (vendor, code, data_type),
            "{name}"
        );
        assert_eq!(
            dictionary.attribute(vendor, code).map(|d| d.name.as_str()),
            Some(name)
        );
    }
    let service_type = dictionary.attribute_by_name("Service-Type").unwrap();
    assert_eq!(
        dictionary.value_by_name(service_type, "Administrative-User"),
        Some(6)
    );
    assert_eq!(
        dictionary.value_name(service_type, 6),
        Some("Administrative-User")
    );
    let tunnel_password = dictionary.attribute_by_name("Tunnel-Password").unwrap();
    assert_eq!(tunnel_password.encrypt, Encryption::TunnelPassword);
    assert!(tunnel_password.has_tag);
    assert_eq!(
        dictionary
            .attribute_by_name("User-Password")
            .unwrap()
            .encrypt,
        Encryption::UserPassword
    );
    let frag = dictionary.attribute_by_name("Frag-Status").unwrap();
    assert_eq!(frag.parents, vec![241]);
    for vendor in [9, 311, 3076, 2636, 12356, 14823, 25461] {
        assert!(dictionary.vendor(vendor).is_some(), "vendor {vendor}");
    }
}

#[test]
fn debian_freeradius_dictionaries_load() {
    let path = Path::new(DEBIAN_DICTIONARY);
    assert!(
        path.exists(),
        "{DEBIAN_DICTIONARY} is missing: install the FreeRADIUS dictionaries with \
         `apt-get install -y freeradius-utils` (CI does this in .ci/run); this test must not \
         be skipped"
    );
    let dictionary = match Dictionary::load_file(path) {
        Ok(dictionary) => dictionary,
        Err(e) => panic!("the Debian FreeRADIUS dictionaries do not load: {e}"),
    };
    assert!(
        dictionary.attribute_count() > 5000,
        "only {} attributes",
        dictionary.attribute_count()
    );

    let avpair = dictionary.attribute_by_name("cisco-avpair").unwrap();
    assert_eq!(
        (avpair.vendor, avpair.code, avpair.data_type),
        (9, 1, DataType::String)
    );

    // WiMAX: a vendor with format=1,1,c and TLVs.
    let wimax = dictionary.vendor_by_name("WiMAX").unwrap();
    assert_eq!(
        (wimax.id, wimax.type_size, wimax.length_size),
        (24757, 1, 1)
    );
    assert!(wimax.continuation);
    let capability = dictionary.attribute_by_name("WiMAX-Capability").unwrap();
    assert_eq!(capability.data_type, DataType::Tlv);
    let release = dictionary.attribute_by_name("WiMAX-Release").unwrap();
    assert_eq!(release.vendor, 24757);
    assert_eq!(release.parents, vec![capability.code]);
    assert_eq!(dictionary.child(capability, release.code), Some(release));

    // RFC 6929 / 7499: an extended attribute.
    let frag = dictionary.attribute_by_name("Frag-Status").unwrap();
    assert_eq!(
        frag.id(),
        AttributeId {
            vendor: 0,
            evs: None,
            path: vec![241, 1]
        }
    );
    assert_eq!(dictionary.value_by_name(frag, "More-Data-Pending"), Some(2));

    // A vendor inside Extended-Vendor-Specific-5.
    let anonce = dictionary
        .attribute_by_name("FreeRADIUS-802.1X-Anonce")
        .unwrap();
    assert_eq!(anonce.evs, Some(245));
    assert_eq!(
        dictionary.evs_attribute(245, anonce.vendor, anonce.code),
        Some(anonce)
    );

    // USR uses 4-byte types and no length.
    let usr = dictionary.vendor_by_name("USR").unwrap();
    assert_eq!((usr.type_size, usr.length_size), (4, 0));

    let tunnel_password = dictionary.attribute_by_name("Tunnel-Password").unwrap();
    assert_eq!(tunnel_password.encrypt, Encryption::TunnelPassword);
    assert!(tunnel_password.has_tag);
    let service_type = dictionary.attribute_by_name("Service-Type").unwrap();
    assert_eq!(
        dictionary.value_by_name(service_type, "administrative-user"),
        Some(6)
    );
}

#[test]
fn operator_dictionaries_merge_on_top_of_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("dictionary.local");
    std::fs::write(
        &file,
        "VENDOR Example 32473\n\
         BEGIN-VENDOR Example\n\
         ATTRIBUTE Example-Role 1 string\n\
         ATTRIBUTE Example-Level 2 integer\n\
         VALUE Example-Level Admin 15\n\
         END-VENDOR Example\n",
    )
    .unwrap();
    let mut dictionary = builtin();
    let before = dictionary.attribute_count();
    dictionary.merge_file(&file).unwrap();
    assert_eq!(dictionary.attribute_count(), before + 2);
    let level = dictionary.attribute_by_name("Example-Level").unwrap();
    assert_eq!(
        dictionary.encode_value(level, "Admin").unwrap(),
        vec![0, 0, 0, 15]
    );
    assert_eq!(dictionary.format_value(level, &[0, 0, 0, 15]), "Admin");
    assert!(dictionary.attribute_by_name("User-Name").is_some());
}
