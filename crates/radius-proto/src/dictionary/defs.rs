//! What a dictionary defines: attributes, vendors, and how an attribute is
//! identified on the wire.
//!
//! These are plain data, filled in by the parser and read by the packet
//! codec and the reply builder.

use std::fmt;

use crate::value::DataType;

/// How the value of an attribute is hidden on the wire (the `encrypt=N` flag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Encryption {
    /// Sent in the clear.
    #[default]
    None,
    /// `encrypt=1`: the User-Password scheme of RFC 2865 §5.2.
    UserPassword,
    /// `encrypt=2`: the salted scheme of Tunnel-Password (RFC 2868 §3.5),
    /// also used by MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2).
    TunnelPassword,
    /// `encrypt=3`: the Ascend-Send-Secret scheme.
    AscendSecret,
}

/// Where an attribute lives in a packet, independent of its name.
///
/// `path` holds the attribute numbers from the outermost one inwards, within
/// the space of `vendor`:
/// - `User-Name`: vendor 0, path `[1]`
/// - `Frag-Status` (an RFC 6929 extended attribute): vendor 0, path `[241, 1]`
/// - `Cisco-AVPair` (inside Vendor-Specific 26): vendor 9, path `[1]`
/// - a TLV member of a vendor attribute: vendor V, path `[parent, member]`
/// - a vendor attribute inside Extended-Vendor-Specific 245.26: vendor V,
///   `evs` `Some(245)`, path `[code]`
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AttributeId {
    pub vendor: u32,
    pub evs: Option<u8>,
    pub path: Vec<u32>,
}

impl fmt::Display for AttributeId {
    /// Dotted form: `1`, `241.1`, `26.9.1`, `245.26.11344.1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.vendor, self.evs) {
            (0, _) => {}
            (vendor, None) => write!(f, "26.{vendor}.")?,
            (vendor, Some(ext)) => write!(f, "{ext}.26.{vendor}.")?,
        }
        let mut first = true;
        for code in &self.path {
            if !first {
                f.write_str(".")?;
            }
            write!(f, "{code}")?;
            first = false;
        }
        Ok(())
    }
}

/// One `ATTRIBUTE` line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    pub name: String,
    /// 0 for attributes of the standard space, else the vendor's SMI number.
    pub vendor: u32,
    /// For vendor attributes carried in an Extended-Vendor-Specific attribute
    /// (RFC 6929 §2.4): the extended attribute (241..=246) that carries them.
    pub evs: Option<u8>,
    /// The numbers of the enclosing attributes, outermost first; empty for a
    /// top-level attribute or an ordinary vendor attribute.
    pub parents: Vec<u32>,
    /// The attribute's own number within its parent (or its vendor).
    pub code: u32,
    pub data_type: DataType,
    /// A fixed length written as `octets[N]`.
    pub(super) size: Option<usize>,
    pub encrypt: Encryption,
    /// RFC 2868 tag byte in front of the value.
    pub has_tag: bool,
    /// A long value is split over several attributes of this type (EAP-Message).
    pub(super) concat: bool,
    /// Several values of the type packed into one attribute.
    pub(super) array: bool,
    /// Never on the wire: computed by the server.
    pub(super) is_virtual: bool,
    /// The value is a secret and must not be logged.
    pub(crate) secret: bool,
    /// Defined inside `FLAGS internal`: used by the server, never on the wire.
    pub(super) internal: bool,
}

impl AttributeDef {
    /// A plain attribute with no flags.
    pub(super) fn new(name: &str, vendor: u32, code: u32, data_type: DataType) -> AttributeDef {
        AttributeDef {
            name: name.to_owned(),
            vendor,
            evs: None,
            parents: Vec::new(),
            code,
            data_type,
            size: None,
            encrypt: Encryption::None,
            has_tag: false,
            concat: false,
            array: false,
            is_virtual: false,
            secret: false,
            internal: false,
        }
    }

    /// Where this attribute lives in a packet.
    pub fn id(&self) -> AttributeId {
        let mut path = self.parents.clone();
        path.push(self.code);
        AttributeId {
            vendor: self.vendor,
            evs: self.evs,
            path,
        }
    }

    /// True for attributes that only exist inside the server: numbers above
    /// 255 in the standard space, virtual attributes, `FLAGS internal`.
    #[cfg(test)]
    pub(super) fn is_internal(&self) -> bool {
        self.internal
            || self.is_virtual
            || (self.vendor == 0 && self.parents.is_empty() && self.code > 255)
    }
}

/// One `VENDOR` line: an SMI enterprise number and how its Vendor-Specific
/// sub-attributes are framed (RFC 2865 §5.26 suggests 1-byte type, 1-byte
/// length; some vendors use other sizes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VendorDef {
    pub(super) name: String,
    pub id: u32,
    /// Bytes of the sub-attribute type: 1, 2 or 4.
    pub type_size: u8,
    /// Bytes of the sub-attribute length: 0, 1 or 2.
    pub length_size: u8,
    /// A continuation byte follows the length (WiMAX style, `format=1,1,c`).
    pub continuation: bool,
}

impl VendorDef {
    /// A vendor with the usual 1-byte type and 1-byte length.
    pub(super) fn new(name: &str, id: u32) -> VendorDef {
        VendorDef {
            name: name.to_owned(),
            id,
            type_size: 1,
            length_size: 1,
            continuation: false,
        }
    }

    /// The largest attribute number this vendor's type field can carry.
    pub(super) fn max_code(&self) -> u32 {
        match self.type_size {
            1 => 255,
            2 => 65_535,
            _ => u32::MAX,
        }
    }
}
