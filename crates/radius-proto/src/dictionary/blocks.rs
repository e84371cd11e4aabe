//! The blocks a dictionary file opens and closes: `BEGIN-VENDOR` ..
//! `END-VENDOR` (the vendor space that attribute numbers belong to),
//! `BEGIN-TLV` .. `END-TLV` (members of a `tlv` attribute), and the
//! `FLAGS internal` switch. Blocks last for one file: one left open at the
//! end of its file is an error.

use super::defs::AttributeId;
use super::error::LineResult;
use super::table::Dictionary;
use crate::value::DataType;

/// State that lasts for one file: open blocks and flags.
#[derive(Default)]
pub(super) struct FileState {
    pub(super) vendor_block: Option<VendorBlock>,
    /// The open `BEGIN-TLV` blocks, innermost last: name and id.
    pub(super) tlv_stack: Vec<(String, AttributeId)>,
    pub(super) internal: bool,
}

/// An open `BEGIN-VENDOR` block.
pub(super) struct VendorBlock {
    name: String,
    pub(super) id: u32,
    /// The Extended-Vendor-Specific attribute (241..=246) that carries the
    /// vendor's attributes, for `format=Extended-Vendor-Specific-N`.
    pub(super) evs: Option<u8>,
    line: usize,
}

impl FileState {
    /// At the end of a file of `line_count` lines, every block must be
    /// closed; otherwise the line to blame and the problem.
    pub(super) fn check_closed(&self, line_count: usize) -> Result<(), (usize, String)> {
        if let Some(block) = &self.vendor_block {
            return Err((
                block.line,
                format!(
                    "BEGIN-VENDOR {} is never closed; add `END-VENDOR {}` at the end of its \
                     attributes",
                    block.name, block.name
                ),
            ));
        }
        if let Some((name, _)) = self.tlv_stack.last() {
            return Err((
                line_count,
                format!("BEGIN-TLV {name} is never closed; add `END-TLV {name}`"),
            ));
        }
        Ok(())
    }
}

/// `BEGIN-VENDOR name [format=Extended-Vendor-Specific-N]`
pub(super) fn begin_vendor(
    dictionary: &Dictionary,
    state: &mut FileState,
    line: usize,
    fields: &[&str],
) -> LineResult {
    let (name, format) = match fields {
        [_, name] => (*name, None),
        [_, name, format] => (*name, Some(*format)),
        _ => {
            return Err(
                "expected `BEGIN-VENDOR <vendor> [format=Extended-Vendor-Specific-<N>]`".to_owned(),
            );
        }
    };
    if let Some(open) = &state.vendor_block {
        return Err(format!(
            "BEGIN-VENDOR {name} inside BEGIN-VENDOR {}; add `END-VENDOR {}` first",
            open.name, open.name
        ));
    }
    if !state.tlv_stack.is_empty() {
        return Err(format!(
            "BEGIN-VENDOR {name} inside a BEGIN-TLV block; close it first"
        ));
    }
    let vendor = dictionary.vendor_by_name(name).ok_or_else(|| {
        format!("BEGIN-VENDOR {name}: no such vendor; add a `VENDOR {name} <number>` line first")
    })?;
    let id = vendor.id;
    let evs = match format {
        None => None,
        Some(format) => {
            let ext = format
                .strip_prefix("format=Extended-Vendor-Specific-")
                .and_then(|n| n.parse::<u8>().ok())
                .filter(|n| (1..=6).contains(n))
                .map(|n| 240 + n)
                .ok_or_else(|| {
                    format!(
                        "BEGIN-VENDOR {name}: unknown option `{format}`; the only option \
                         is format=Extended-Vendor-Specific-<1..6>"
                    )
                })?;
            let carrier = AttributeId {
                vendor: 0,
                evs: None,
                path: vec![u32::from(ext), 26],
            };
            match dictionary.attribute_by_id(&carrier) {
                Some(def) if def.data_type == DataType::Evs => Some(ext),
                _ => {
                    return Err(format!(
                        "BEGIN-VENDOR {name}: {format} needs attribute {ext}.26 of type evs; \
                         include the RFC 6929 dictionary first"
                    ));
                }
            }
        }
    };
    state.vendor_block = Some(VendorBlock {
        name: name.to_owned(),
        id,
        evs,
        line,
    });
    Ok(())
}

/// `END-VENDOR vendor`
pub(super) fn end_vendor(state: &mut FileState, fields: &[&str]) -> LineResult {
    let [_, name] = fields else {
        return Err("expected `END-VENDOR <vendor>`".to_owned());
    };
    match &state.vendor_block {
        Some(open) if open.name.eq_ignore_ascii_case(name) => {
            if let Some((tlv, _)) = state.tlv_stack.last() {
                return Err(format!(
                    "END-VENDOR {name} inside BEGIN-TLV {tlv}; add `END-TLV {tlv}` first"
                ));
            }
            state.vendor_block = None;
            Ok(())
        }
        Some(open) => Err(format!(
            "END-VENDOR {name} does not match the open BEGIN-VENDOR {}",
            open.name
        )),
        None => Err(format!("END-VENDOR {name} without a BEGIN-VENDOR {name}")),
    }
}

/// `BEGIN-TLV attribute`
pub(super) fn begin_tlv(
    dictionary: &Dictionary,
    state: &mut FileState,
    fields: &[&str],
) -> LineResult {
    let [_, name] = fields else {
        return Err("expected `BEGIN-TLV <attribute>`".to_owned());
    };
    let def = dictionary.attribute_by_name(name).ok_or_else(|| {
        format!("BEGIN-TLV {name}: no such attribute; define it with type tlv first")
    })?;
    if def.data_type != DataType::Tlv {
        return Err(format!(
            "BEGIN-TLV {name}: the attribute has type {}, it needs type tlv",
            def.data_type
        ));
    }
    state.tlv_stack.push((def.name.clone(), def.id()));
    Ok(())
}

/// `END-TLV attribute`
pub(super) fn end_tlv(state: &mut FileState, fields: &[&str]) -> LineResult {
    let [_, name] = fields else {
        return Err("expected `END-TLV <attribute>`".to_owned());
    };
    match state.tlv_stack.last() {
        Some((open, _)) if open.eq_ignore_ascii_case(name) => {
            state.tlv_stack.pop();
            Ok(())
        }
        Some((open, _)) => Err(format!(
            "END-TLV {name} does not match the open BEGIN-TLV {open}"
        )),
        None => Err(format!("END-TLV {name} without a BEGIN-TLV {name}")),
    }
}

/// `FLAGS internal` and `FLAGS -internal`: whether the attributes that
/// follow exist only inside the server.
pub(super) fn flags(state: &mut FileState, fields: &[&str]) -> LineResult {
    match fields {
        [_, flag] if flag.eq_ignore_ascii_case("internal") => {
            state.internal = true;
            Ok(())
        }
        [_, flag] if flag.eq_ignore_ascii_case("-internal") => {
            state.internal = false;
            Ok(())
        }
        _ => Err("expected `FLAGS internal` or `FLAGS -internal`".to_owned()),
    }
}
