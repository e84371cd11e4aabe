//! The FreeRADIUS 3 dictionary file format, read line by line into a
//! [`Dictionary`].
//!
//! Keywords: `ATTRIBUTE`, `VALUE`, `VENDOR`, `BEGIN-VENDOR`/`END-VENDOR`,
//! `BEGIN-TLV`/`END-TLV`, `FLAGS`, `$INCLUDE` and `$INCLUDE-` (a missing file
//! is fine). `#` starts a comment anywhere on a line. The parser is total:
//! any text gives a dictionary or a [`DictionaryError`] naming the file and
//! line, never a panic, and an include loop is an error, not a stack overflow.

use std::io;
use std::path::{Path, PathBuf};

use super::source::Source;
use super::syntax::{check_name, parse_number, parse_value_number};
use super::{AttributeId, Dictionary, DictionaryError, VendorDef};
use crate::value::DataType;

/// How deep `$INCLUDE`s may nest. The Debian tree needs 2.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Read `path` and everything it includes into `dictionary`.
pub(super) fn load(
    dictionary: &mut Dictionary,
    source: &Source<'_>,
    path: &Path,
) -> Result<(), DictionaryError> {
    let mut loader = Loader {
        dictionary,
        source,
        stack: Vec::new(),
        pending_values: Vec::new(),
    };
    loader.load_file(path, None, false)?;
    loader.resolve_pending_values()
}

/// A `VALUE` line naming an attribute not defined yet; FreeRADIUS allows
/// that as long as the attribute turns up by the end of loading.
pub(super) struct PendingValue {
    file: String,
    line: usize,
    attribute: String,
    name: String,
    number: String,
}

/// State that lasts for one file: open blocks and flags.
#[derive(Default)]
pub(super) struct FileState {
    pub(super) vendor_block: Option<VendorBlock>,
    pub(super) tlv_stack: Vec<(String, AttributeId)>,
    pub(super) internal: bool,
}

pub(super) struct VendorBlock {
    name: String,
    pub(super) id: u32,
    pub(super) evs: Option<u8>,
    line: usize,
}

pub(super) struct Loader<'d, 's> {
    pub(super) dictionary: &'d mut Dictionary,
    source: &'s Source<'s>,
    /// Identities of the files being read, outermost first.
    stack: Vec<PathBuf>,
    pending_values: Vec<PendingValue>,
}

/// A problem on the current line, before the file and line are attached.
pub(super) type LineResult = Result<(), String>;

impl Loader<'_, '_> {
    fn load_file(
        &mut self,
        path: &Path,
        included_from: Option<(&str, usize)>,
        optional: bool,
    ) -> Result<(), DictionaryError> {
        let file = path.display().to_string();
        let at_include = |problem: String| match included_from {
            Some((from, line)) => DictionaryError::Syntax {
                file: from.to_owned(),
                line,
                problem,
            },
            None => DictionaryError::Syntax {
                file: file.clone(),
                line: 0,
                problem,
            },
        };
        let identity = self.source.identity(path);
        if self.stack.contains(&identity) {
            return Err(at_include(format!(
                "$INCLUDE {file} includes a file that is already being read (an include \
                 loop); remove one of the $INCLUDE lines"
            )));
        }
        if self.stack.len() >= MAX_INCLUDE_DEPTH {
            return Err(at_include(format!(
                "$INCLUDE {file} nests more than {MAX_INCLUDE_DEPTH} files deep; flatten the \
                 includes"
            )));
        }
        let text = match self.source.read(path) {
            Ok(text) => text,
            Err(e) if optional && e.kind() == io::ErrorKind::NotFound => return Ok(()),
            Err(source) => {
                return Err(DictionaryError::Read {
                    file,
                    included_from: included_from.map(|(f, l)| format!("{f}:{l}")),
                    source,
                });
            }
        };
        self.stack.push(identity);
        let result = self.parse_text(path, &file, &text);
        self.stack.pop();
        result
    }

    fn parse_text(&mut self, path: &Path, file: &str, text: &str) -> Result<(), DictionaryError> {
        let mut state = FileState::default();
        let syntax = |line: usize, problem: String| DictionaryError::Syntax {
            file: file.to_owned(),
            line,
            problem,
        };
        for (index, raw) in text.lines().enumerate() {
            let line = index + 1;
            let content = raw.split('#').next().unwrap_or("");
            let fields: Vec<&str> = content.split_whitespace().collect();
            let Some(keyword) = fields.first() else {
                continue;
            };
            if keyword.eq_ignore_ascii_case("$INCLUDE") || keyword.eq_ignore_ascii_case("$INCLUDE-")
            {
                let optional = keyword.ends_with('-');
                let [_, target] = fields[..] else {
                    return Err(syntax(
                        line,
                        format!("expected `{keyword} <file>` with exactly one file name"),
                    ));
                };
                let target = Path::new(target);
                let full = if target.is_absolute() {
                    target.to_path_buf()
                } else {
                    path.parent().unwrap_or(Path::new("")).join(target)
                };
                self.load_file(&full, Some((file, line)), optional)?;
                continue;
            }
            self.parse_line(&mut state, file, line, &fields)
                .map_err(|problem| syntax(line, problem))?;
        }
        if let Some(block) = &state.vendor_block {
            return Err(syntax(
                block.line,
                format!(
                    "BEGIN-VENDOR {} is never closed; add `END-VENDOR {}` at the end of its \
                     attributes",
                    block.name, block.name
                ),
            ));
        }
        if let Some((name, _)) = state.tlv_stack.last() {
            return Err(syntax(
                text.lines().count(),
                format!("BEGIN-TLV {name} is never closed; add `END-TLV {name}`"),
            ));
        }
        Ok(())
    }

    fn parse_line(
        &mut self,
        state: &mut FileState,
        file: &str,
        line: usize,
        fields: &[&str],
    ) -> LineResult {
        let keyword = fields[0].to_ascii_uppercase();
        match keyword.as_str() {
            "ATTRIBUTE" => self.attribute_line(state, fields),
            "VALUE" => self.value_line(file, line, fields),
            "VENDOR" => self.vendor_line(fields),
            "BEGIN-VENDOR" => self.begin_vendor(state, line, fields),
            "END-VENDOR" => end_vendor(state, fields),
            "BEGIN-TLV" => self.begin_tlv(state, fields),
            "END-TLV" => end_tlv(state, fields),
            "FLAGS" => match fields {
                [_, flag] if flag.eq_ignore_ascii_case("internal") => {
                    state.internal = true;
                    Ok(())
                }
                [_, flag] if flag.eq_ignore_ascii_case("-internal") => {
                    state.internal = false;
                    Ok(())
                }
                _ => Err("expected `FLAGS internal` or `FLAGS -internal`".to_owned()),
            },
            "PROTOCOL" | "STRUCT" | "MEMBER" | "ALIAS" | "ENUM" | "DEFINE" | "BEGIN-PROTOCOL"
            | "END-PROTOCOL" | "BEGIN" | "END" => Err(format!(
                "{} belongs to the FreeRADIUS 4 dictionary format; write this dictionary in \
                 the FreeRADIUS 3 format (ATTRIBUTE, VALUE, VENDOR, BEGIN-VENDOR, BEGIN-TLV)",
                fields[0]
            )),
            _ => Err(format!(
                "unknown keyword `{}`; a line starts with ATTRIBUTE, VALUE, VENDOR, \
                 BEGIN-VENDOR, END-VENDOR, BEGIN-TLV, END-TLV, FLAGS or $INCLUDE",
                fields[0]
            )),
        }
    }

    /// `VALUE attribute name number`
    fn value_line(&mut self, file: &str, line: usize, fields: &[&str]) -> LineResult {
        let [_, attribute, name, number] = fields else {
            return Err("expected `VALUE <attribute> <name> <number>`, e.g. \
                 `VALUE Service-Type Administrative-User 6`"
                .to_owned());
        };
        match self.dictionary.attribute_by_name(attribute) {
            Some(_) => self.add_value(attribute, name, number),
            None => {
                self.pending_values.push(PendingValue {
                    file: file.to_owned(),
                    line,
                    attribute: (*attribute).to_owned(),
                    name: (*name).to_owned(),
                    number: (*number).to_owned(),
                });
                Ok(())
            }
        }
    }

    fn add_value(&mut self, attribute: &str, name: &str, number: &str) -> LineResult {
        let Some(def) = self.dictionary.attribute_by_name(attribute) else {
            return Err(format!(
                "VALUE {name} is for attribute {attribute}, which is not defined; define the \
                 ATTRIBUTE or fix the name"
            ));
        };
        let data_type = def.data_type;
        // FreeRADIUS also accepts names for octets attributes that start
        // with a number (CableLabs); they are kept but not used to encode.
        if !data_type.is_number() && data_type != DataType::Octets {
            return Err(format!(
                "VALUE {name}: attribute {} has type {data_type}; only integer, byte, short, \
                 signed, integer64 and octets attributes have named values",
                def.name
            ));
        }
        let id = def.id();
        let number = parse_value_number(data_type, number).ok_or_else(|| {
            format!(
                "VALUE {name} of {attribute}: `{number}` is not a number that fits type \
                 {data_type}"
            )
        })?;
        self.dictionary.define_value(&id, name, number)
    }

    fn resolve_pending_values(&mut self) -> Result<(), DictionaryError> {
        for pending in std::mem::take(&mut self.pending_values) {
            self.add_value(&pending.attribute, &pending.name, &pending.number)
                .map_err(|problem| DictionaryError::Syntax {
                    file: pending.file.clone(),
                    line: pending.line,
                    problem,
                })?;
        }
        Ok(())
    }

    /// `VENDOR name number [format=t,l[,c]]`
    fn vendor_line(&mut self, fields: &[&str]) -> LineResult {
        let (name, number, format) = match fields {
            [_, name, number] => (*name, *number, None),
            [_, name, number, format] => (*name, *number, Some(*format)),
            _ => {
                return Err(
                    "expected `VENDOR <name> <number> [format=<type>,<length>]`, e.g. \
                     `VENDOR Cisco 9`"
                        .to_owned(),
                );
            }
        };
        check_name(name)?;
        let id = parse_number(number)
            .filter(|&id| (1..=0x00ff_ffff).contains(&id))
            .ok_or_else(|| {
                format!(
                    "vendor number `{number}` of {name} must be an SMI enterprise number, \
                     1..=16777215"
                )
            })?;
        let mut def = VendorDef::new(name, id);
        if let Some(format) = format {
            parse_vendor_format(&mut def, format)?;
        }
        self.dictionary.define_vendor(def)
    }

    /// `BEGIN-VENDOR name [format=Extended-Vendor-Specific-N]`
    fn begin_vendor(&mut self, state: &mut FileState, line: usize, fields: &[&str]) -> LineResult {
        let (name, format) = match fields {
            [_, name] => (*name, None),
            [_, name, format] => (*name, Some(*format)),
            _ => {
                return Err(
                    "expected `BEGIN-VENDOR <vendor> [format=Extended-Vendor-Specific-<N>]`"
                        .to_owned(),
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
        let vendor = self.dictionary.vendor_by_name(name).ok_or_else(|| {
            format!(
                "BEGIN-VENDOR {name}: no such vendor; add a `VENDOR {name} <number>` line first"
            )
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
                match self.dictionary.attribute_by_id(&carrier) {
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

    /// `BEGIN-TLV attribute`
    fn begin_tlv(&mut self, state: &mut FileState, fields: &[&str]) -> LineResult {
        let [_, name] = fields else {
            return Err("expected `BEGIN-TLV <attribute>`".to_owned());
        };
        let def = self.dictionary.attribute_by_name(name).ok_or_else(|| {
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
}

fn end_vendor(state: &mut FileState, fields: &[&str]) -> LineResult {
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

fn end_tlv(state: &mut FileState, fields: &[&str]) -> LineResult {
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

/// `format=t,l` or `format=1,1,c` on a VENDOR line.
fn parse_vendor_format(def: &mut VendorDef, format: &str) -> LineResult {
    let bad = || {
        format!(
            "VENDOR {}: bad `{format}`; write format=<type size>,<length size>[,c] with type \
             size 1, 2 or 4, length size 0, 1 or 2, and c only with format=1,1,c",
            def.name
        )
    };
    let spec = format.strip_prefix("format=").ok_or_else(bad)?;
    let parts: Vec<&str> = spec.split(',').collect();
    let (type_size, length_size, continuation) = match parts[..] {
        [t, l] => (t, l, false),
        [t, l, "c"] => (t, l, true),
        _ => return Err(bad()),
    };
    let type_size: u8 = type_size
        .parse()
        .ok()
        .filter(|t| matches!(t, 1 | 2 | 4))
        .ok_or_else(bad)?;
    let length_size: u8 = length_size
        .parse()
        .ok()
        .filter(|l| *l <= 2)
        .ok_or_else(bad)?;
    if continuation && (type_size, length_size) != (1, 1) {
        return Err(bad());
    }
    def.type_size = type_size;
    def.length_size = length_size;
    def.continuation = continuation;
    Ok(())
}
