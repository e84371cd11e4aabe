//! The dictionary itself: every definition indexed by name and by number,
//! the lookups the server makes, and the rules for defining a name or a
//! number again (see the folder's documentation). The parser fills it; how a
//! dictionary is loaded is in `mod.rs`.

use std::collections::HashMap;

use super::defs::{AttributeDef, AttributeId, VendorDef};
use crate::value::{self, DataType, ValueError};

/// Attribute, vendor and value definitions, looked up by name or number.
#[derive(Debug, Clone, Default)]
pub struct Dictionary {
    attributes: Vec<AttributeDef>,
    /// Lower-cased name -> index into `attributes`.
    by_name: HashMap<String, usize>,
    by_id: HashMap<AttributeId, usize>,
    /// (vendor, code) of top-level and Vendor-Specific attributes, for the
    /// lookup the packet decoder does most.
    by_vendor_code: HashMap<(u32, u32), usize>,
    vendors: Vec<VendorDef>,
    vendor_by_id: HashMap<u32, usize>,
    vendor_by_name: HashMap<String, usize>,
    values: HashMap<AttributeId, NamedValues>,
}

#[derive(Debug, Clone, Default)]
struct NamedValues {
    /// Lower-cased name -> number.
    by_name: HashMap<String, u64>,
    by_number: HashMap<u64, String>,
}

impl Dictionary {
    /// An empty dictionary.
    pub(super) fn new() -> Dictionary {
        Dictionary::default()
    }

    /// The attribute of this name, compared without regard to case.
    pub fn attribute_by_name(&self, name: &str) -> Option<&AttributeDef> {
        let index = self.by_name.get(&name.to_ascii_lowercase())?;
        self.attributes.get(*index)
    }

    /// A top-level attribute (vendor 0) or a Vendor-Specific sub-attribute.
    pub fn attribute(&self, vendor: u32, code: u32) -> Option<&AttributeDef> {
        let index = self.by_vendor_code.get(&(vendor, code))?;
        self.attributes.get(*index)
    }

    /// Any attribute, including TLV members, extended attributes and
    /// vendor attributes inside Extended-Vendor-Specific ones.
    pub(super) fn attribute_by_id(&self, id: &AttributeId) -> Option<&AttributeDef> {
        let index = self.by_id.get(id)?;
        self.attributes.get(*index)
    }

    /// The member `code` of a `tlv`, `extended` or `long-extended` attribute.
    pub fn child(&self, parent: &AttributeDef, code: u32) -> Option<&AttributeDef> {
        let mut id = parent.id();
        id.path.push(code);
        self.attribute_by_id(&id)
    }

    /// A vendor attribute carried in Extended-Vendor-Specific attribute
    /// `extended` (241..=246) (RFC 6929 §2.4).
    pub fn evs_attribute(&self, extended: u8, vendor: u32, code: u32) -> Option<&AttributeDef> {
        self.attribute_by_id(&AttributeId {
            vendor,
            evs: Some(extended),
            path: vec![code],
        })
    }

    /// The vendor with this SMI enterprise number.
    pub fn vendor(&self, id: u32) -> Option<&VendorDef> {
        let index = self.vendor_by_id.get(&id)?;
        self.vendors.get(*index)
    }

    /// The vendor of this name, compared without regard to case.
    pub fn vendor_by_name(&self, name: &str) -> Option<&VendorDef> {
        let index = self.vendor_by_name.get(&name.to_ascii_lowercase())?;
        self.vendors.get(*index)
    }

    /// The number behind a `VALUE` name of a number attribute, compared
    /// without regard to case.
    pub fn value_by_name(&self, attr: &AttributeDef, name: &str) -> Option<u64> {
        let values = self.values.get(&attr.id())?;
        values.by_name.get(&name.to_ascii_lowercase()).copied()
    }

    /// The `VALUE` name of a number of a number attribute.
    pub fn value_name(&self, attr: &AttributeDef, value: u64) -> Option<&str> {
        let values = self.values.get(&attr.id())?;
        values.by_number.get(&value).map(String::as_str)
    }

    /// Wire bytes for what an operator wrote: a `VALUE` name for number
    /// attributes, else whatever `value::parse::encode` accepts for the type. A
    /// fixed size (`octets[16]`) is enforced. Tags (`has_tag`) and encryption
    /// are left to the packet encoder.
    pub fn encode_value(&self, attr: &AttributeDef, text: &str) -> Result<Vec<u8>, ValueError> {
        if attr.data_type.is_number()
            && let Some(number) = self.value_by_name(attr, text.trim())
        {
            return Ok(number_bytes(attr.data_type, number));
        }
        let bytes = value::parse::encode(attr.data_type, text)?;
        match attr.size {
            Some(expected) if bytes.len() != expected => Err(ValueError::WrongSize { expected }),
            _ => Ok(bytes),
        }
    }

    /// Wire bytes shown for a log line: the `VALUE` name of a number when it
    /// has one, else `value::format::format`.
    pub fn format_value(&self, attr: &AttributeDef, bytes: &[u8]) -> String {
        if attr.data_type.is_number()
            && attr.data_type.fixed_len() == Some(bytes.len())
            && let Some(name) = self.value_name(attr, number_from_bytes(bytes))
        {
            return name.to_owned();
        }
        value::format::format(attr.data_type, bytes)
    }

    /// How many attribute names are defined (aliases count once each).
    pub fn attribute_count(&self) -> usize {
        self.by_name.len()
    }

    /// All attribute definitions, in the order they were first defined.
    pub fn attributes(&self) -> impl Iterator<Item = &AttributeDef> {
        self.attributes.iter()
    }

    /// Add or replace an attribute. The error text says what conflicts.
    pub(super) fn define_attribute(&mut self, def: AttributeDef) -> Result<(), String> {
        let key = def.name.to_ascii_lowercase();
        let id = def.id();
        let index = match self.by_name.get(&key) {
            Some(&index) => {
                let existing = &self.attributes[index];
                if existing.id() != id {
                    return Err(format!(
                        "attribute {} is already defined with number {}, here it gets {}; \
                         a name can mean only one attribute, so rename one of them",
                        def.name,
                        existing.id(),
                        id
                    ));
                }
                self.attributes[index] = def;
                index
            }
            None => {
                self.attributes.push(def);
                let index = self.attributes.len() - 1;
                self.by_name.insert(key, index);
                index
            }
        };
        if id.evs.is_none() && id.path.len() == 1 {
            self.by_vendor_code.insert((id.vendor, id.path[0]), index);
        }
        self.by_id.insert(id, index);
        Ok(())
    }

    /// Add or replace a vendor. The error text says what conflicts.
    pub(super) fn define_vendor(&mut self, def: VendorDef) -> Result<(), String> {
        let key = def.name.to_ascii_lowercase();
        let id = def.id;
        let index = match self.vendor_by_name.get(&key) {
            Some(&index) => {
                let existing = &self.vendors[index];
                if existing.id != id {
                    return Err(format!(
                        "vendor {} is already defined with number {}, here it gets {}; \
                         rename one of them",
                        def.name, existing.id, id
                    ));
                }
                self.vendors[index] = def;
                index
            }
            None => {
                self.vendors.push(def);
                let index = self.vendors.len() - 1;
                self.vendor_by_name.insert(key, index);
                index
            }
        };
        self.vendor_by_id.insert(id, index);
        Ok(())
    }

    /// Add a named value to a number attribute. `number` has already been
    /// checked against the attribute's type.
    pub(super) fn define_value(
        &mut self,
        attr: &AttributeId,
        name: &str,
        number: u64,
    ) -> Result<(), String> {
        let values = self.values.entry(attr.clone()).or_default();
        let key = name.to_ascii_lowercase();
        if let Some(&existing) = values.by_name.get(&key)
            && existing != number
        {
            return Err(format!(
                "VALUE {name} is already defined as {existing} for this attribute, here it is \
                 {number}; give one of them another name"
            ));
        }
        values.by_name.insert(key, number);
        values.by_number.insert(number, name.to_owned());
        Ok(())
    }
}

/// A number in the wire width of a number type.
fn number_bytes(data_type: DataType, number: u64) -> Vec<u8> {
    match data_type {
        DataType::Byte => vec![number as u8],
        DataType::Short => (number as u16).to_be_bytes().to_vec(),
        DataType::Integer64 => number.to_be_bytes().to_vec(),
        _ => (number as u32).to_be_bytes().to_vec(),
    }
}

/// The unsigned number in 1, 2, 4 or 8 big-endian bytes.
fn number_from_bytes(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0u64, |n, &b| (n << 8) | u64::from(b))
}
