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

use super::attribute_line;
use super::blocks::{self, FileState};
use super::defs::VendorDef;
use super::error::{DictionaryError, LineResult};
use super::source::Source;
use super::syntax::{check_name, parse_number, parse_value_number};
use super::table::Dictionary;
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
struct PendingValue {
    file: String,
    line: usize,
    attribute: String,
    name: String,
    number: String,
}

/// Reads files into a dictionary, following `$INCLUDE`s.
struct Loader<'d, 's> {
    dictionary: &'d mut Dictionary,
    source: &'s Source<'s>,
    /// Identities of the files being read, outermost first.
    stack: Vec<PathBuf>,
    pending_values: Vec<PendingValue>,
}

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
        state
            .check_closed(text.lines().count())
            .map_err(|(line, problem)| syntax(line, problem))
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
            "ATTRIBUTE" => attribute_line::attribute_line(self.dictionary, state, fields),
            "VALUE" => self.value_line(file, line, fields),
            "VENDOR" => self.vendor_line(fields),
            "BEGIN-VENDOR" => blocks::begin_vendor(self.dictionary, state, line, fields),
            "END-VENDOR" => blocks::end_vendor(state, fields),
            "BEGIN-TLV" => blocks::begin_tlv(self.dictionary, state, fields),
            "END-TLV" => blocks::end_tlv(state, fields),
            "FLAGS" => blocks::flags(state, fields),
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
