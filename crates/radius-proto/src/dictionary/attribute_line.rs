//! The `ATTRIBUTE` line: where the number puts the attribute (standard
//! space, a vendor, a TLV, the extended space) and which flags make sense
//! for its type. It needs the most checking of any line, so that a mistake
//! in a file stops the load with a message instead of defining an attribute
//! that would go on the wire wrong.

use super::blocks::FileState;
use super::defs::{AttributeDef, AttributeId, Encryption, VendorDef};
use super::error::LineResult;
use super::syntax::{check_name, parse_oid};
use super::table::Dictionary;
use crate::value::DataType;

/// `ATTRIBUTE name number type [flags | vendor]`
pub(super) fn attribute_line(
    dictionary: &mut Dictionary,
    state: &FileState,
    fields: &[&str],
) -> LineResult {
    let (name, number, type_text, extra) = match fields {
        [_, name, number, type_text] => (*name, *number, *type_text, None),
        [_, name, number, type_text, extra] => (*name, *number, *type_text, Some(*extra)),
        _ => {
            return Err(
                "expected `ATTRIBUTE <name> <number> <type> [<flags>]`, e.g. \
                 `ATTRIBUTE User-Name 1 string`"
                    .to_owned(),
            );
        }
    };
    check_name(name)?;
    let (data_type, size) = DataType::parse_sized(type_text).ok_or_else(|| {
        format!(
            "unknown data type `{type_text}` for {name}; use string, octets, octets[N], \
             integer, byte, short, signed, integer64, date, ipaddr, ipv6addr, ipv6prefix, \
             ipv4prefix, ifid, ether, combo-ip, abinary, tlv, vsa, extended, \
             long-extended or evs"
        )
    })?;
    let mut def = AttributeDef::new(name, 0, 0, data_type);
    def.size = size;
    def.internal = state.internal;

    // Which vendor space the number is in.
    let mut space: Option<(u32, Option<u8>)> = state.vendor_block.as_ref().map(|b| (b.id, b.evs));
    if let Some(extra) = extra {
        // Old-style files name the vendor in the fourth field.
        let old_style_vendor = (!extra.contains(['=', ',']) && !is_flag(extra))
            .then(|| dictionary.vendor_by_name(extra).map(|v| v.id))
            .flatten();
        match old_style_vendor {
            Some(id) => space = Some((id, None)),
            None => apply_flags(&mut def, extra)?,
        }
    }
    let codes = parse_oid(number).ok_or_else(|| {
        format!(
            "attribute number `{number}` of {name} is not a number; write it in decimal, \
             as 0x hex, or dotted like 241.1"
        )
    })?;
    let id = resolve_id(dictionary, state, space, &codes)?;
    check_placement(dictionary, &def, &id)?;
    def.vendor = id.vendor;
    def.evs = id.evs;
    def.code = id.path.last().copied().unwrap_or(0);
    def.parents = id.path[..id.path.len().saturating_sub(1)].to_vec();
    check_flags(&def)?;
    dictionary.define_attribute(def)
}

/// Turn the numbers written on an ATTRIBUTE line into a full id, given
/// the open blocks.
fn resolve_id(
    dictionary: &Dictionary,
    state: &FileState,
    space: Option<(u32, Option<u8>)>,
    codes: &[u32],
) -> Result<AttributeId, String> {
    if let Some((_, parent)) = state.tlv_stack.last() {
        let mut id = parent.clone();
        id.path.extend_from_slice(codes);
        return Ok(id);
    }
    if let Some((vendor, evs)) = space {
        return Ok(AttributeId {
            vendor,
            evs,
            path: codes.to_vec(),
        });
    }
    // Full dotted forms in the standard space: 26.VENDOR.N and
    // 241.26.VENDOR.N.
    match codes {
        [26, vendor, rest @ ..] if !rest.is_empty() => {
            require_vendor(dictionary, *vendor)?;
            Ok(AttributeId {
                vendor: *vendor,
                evs: None,
                path: rest.to_vec(),
            })
        }
        [ext @ 241..=246, 26, vendor, rest @ ..] if !rest.is_empty() => {
            require_vendor(dictionary, *vendor)?;
            Ok(AttributeId {
                vendor: *vendor,
                evs: u8::try_from(*ext).ok(),
                path: rest.to_vec(),
            })
        }
        _ => Ok(AttributeId {
            vendor: 0,
            evs: None,
            path: codes.to_vec(),
        }),
    }
}

fn require_vendor(dictionary: &Dictionary, vendor: u32) -> LineResult {
    match dictionary.vendor(vendor) {
        Some(_) => Ok(()),
        None => Err(format!(
            "vendor {vendor} is not defined; add a `VENDOR <name> {vendor}` line first"
        )),
    }
}

/// The number fits where it is, and the parent of a dotted number exists
/// and can hold members.
fn check_placement(dictionary: &Dictionary, def: &AttributeDef, id: &AttributeId) -> LineResult {
    let name = &def.name;
    let Some((&code, parents)) = id.path.split_last() else {
        return Err(format!("{name} has no attribute number"));
    };
    let top = id.path[0];
    let max_top = match (id.vendor, id.evs) {
        (0, _) => u32::MAX,
        (_, Some(_)) => 255,
        (vendor, None) => dictionary.vendor(vendor).map_or(255, VendorDef::max_code),
    };
    if top > max_top {
        return Err(format!(
            "attribute number {top} of {name} is too large: this vendor's type field \
             holds at most {max_top}"
        ));
    }
    if id.path[1..].iter().any(|&c| c > 255) {
        return Err(format!(
            "{name}: a member of a tlv or extended attribute is numbered 0..=255"
        ));
    }
    if !parents.is_empty() {
        let parent_id = AttributeId {
            vendor: id.vendor,
            evs: id.evs,
            path: parents.to_vec(),
        };
        match dictionary.attribute_by_id(&parent_id) {
            None => {
                return Err(format!(
                    "the parent {parent_id} of {name} is not defined; define it (as tlv, \
                     extended or long-extended) before its members"
                ));
            }
            Some(parent) => {
                let ok = matches!(
                    parent.data_type,
                    DataType::Tlv | DataType::Extended | DataType::LongExtended
                );
                if !ok {
                    return Err(format!(
                        "the parent {} of {name} has type {}, which cannot hold members; \
                         give it type tlv",
                        parent.name, parent.data_type
                    ));
                }
            }
        }
    }
    let top_level = id.vendor == 0 && parents.is_empty();
    match def.data_type {
        DataType::Extended | DataType::LongExtended
            if !top_level || !(241..=246).contains(&code) =>
        {
            Err(format!(
                "{name}: extended and long-extended attributes are the top-level numbers \
                 241..=246 (RFC 6929)"
            ))
        }
        DataType::Evs
            if !(id.vendor == 0
                && code == 26
                && parents.len() == 1
                && (241..=246).contains(&parents[0])) =>
        {
            Err(format!(
                "{name}: an evs attribute is number 26 inside an extended attribute, e.g. \
                 241.26 (RFC 6929 §2.4)"
            ))
        }
        DataType::Vsa if !(top_level && code == 26) => {
            Err(format!("{name}: only Vendor-Specific (26) has type vsa"))
        }
        _ => Ok(()),
    }
}

const FLAGS: &[&str] = &[
    "has_tag", "concat", "array", "virtual", "abinary", "secret", "internal",
];

fn is_flag(text: &str) -> bool {
    FLAGS.iter().any(|f| f.eq_ignore_ascii_case(text))
}

/// The comma-separated flags of an ATTRIBUTE line.
fn apply_flags(def: &mut AttributeDef, flags: &str) -> LineResult {
    for flag in flags.split(',') {
        let lower = flag.to_ascii_lowercase();
        match lower.as_str() {
            "has_tag" => def.has_tag = true,
            "concat" => def.concat = true,
            "array" => def.array = true,
            "virtual" => def.is_virtual = true,
            "secret" => def.secret = true,
            "internal" => def.internal = true,
            "abinary" => {
                if !matches!(def.data_type, DataType::Octets | DataType::Abinary) {
                    return Err(format!("{}: the abinary flag needs type octets", def.name));
                }
                def.data_type = DataType::Abinary;
            }
            "encrypt=1" => def.encrypt = Encryption::UserPassword,
            "encrypt=2" => def.encrypt = Encryption::TunnelPassword,
            "encrypt=3" => def.encrypt = Encryption::AscendSecret,
            "encrypt=0" => def.encrypt = Encryption::None,
            _ => {
                return Err(format!(
                    "{}: unknown flag `{flag}`; flags are encrypt=1, encrypt=2, encrypt=3, \
                     has_tag, concat, array, virtual, abinary and secret, separated by commas, \
                     or the name of a defined vendor",
                    def.name
                ));
            }
        }
    }
    Ok(())
}

/// Flags that make no sense for the type.
fn check_flags(def: &AttributeDef) -> LineResult {
    let name = &def.name;
    let t = def.data_type;
    if t.is_structural()
        && (def.encrypt != Encryption::None || def.has_tag || def.array || def.concat)
    {
        return Err(format!(
            "{name}: a {t} attribute cannot have encrypt, has_tag, array or concat"
        ));
    }
    if def.has_tag && !matches!(t, DataType::String | DataType::Octets | DataType::Integer) {
        return Err(format!(
            "{name}: has_tag is for string, octets or integer attributes (RFC 2868), not {t}"
        ));
    }
    if def.concat && t != DataType::Octets {
        return Err(format!("{name}: concat is for octets attributes, not {t}"));
    }
    if def.encrypt == Encryption::UserPassword && !matches!(t, DataType::String | DataType::Octets)
    {
        return Err(format!(
            "{name}: encrypt=1 is for string or octets attributes, not {t}"
        ));
    }
    Ok(())
}
