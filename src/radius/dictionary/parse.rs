//! The FreeRADIUS 3 dictionary file format, read line by line into a
//! [`Dictionary`].
//!
//! Keywords: `ATTRIBUTE`, `VALUE`, `VENDOR`, `BEGIN-VENDOR`/`END-VENDOR`,
//! `BEGIN-TLV`/`END-TLV`, `FLAGS`, `$INCLUDE` and `$INCLUDE-` (a missing file
//! is fine). `#` starts a comment anywhere on a line. The parser is total:
//! any text gives a dictionary or a [`DictionaryError`] naming the file and
//! line, never a panic, and an include loop is an error, not a stack overflow.

use std::borrow::Cow;
use std::io;
use std::path::{Component, Path, PathBuf};

use super::{AttributeDef, AttributeId, Dictionary, DictionaryError, Encryption, VendorDef};
use crate::radius::value::DataType;

/// How deep `$INCLUDE`s may nest. The Debian tree needs 2.
const MAX_INCLUDE_DEPTH: usize = 32;

/// Where dictionary files come from.
pub(super) enum Source<'a> {
    /// The file system.
    Files,
    /// Files held in memory, keyed by path (`dictionaries/dictionary`).
    Memory(&'a [(&'a str, &'a str)]),
}

impl Source<'_> {
    fn read(&self, path: &Path) -> io::Result<Cow<'_, str>> {
        match self {
            Source::Files => {
                let bytes = std::fs::read(path)?;
                Ok(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
            }
            Source::Memory(files) => {
                let wanted = normalize(path);
                files
                    .iter()
                    .find(|(name, _)| normalize(Path::new(name)) == wanted)
                    .map(|(_, text)| Cow::Borrowed(*text))
                    .ok_or_else(|| io::Error::from(io::ErrorKind::NotFound))
            }
        }
    }

    /// The identity of a file for include-loop detection.
    fn identity(&self, path: &Path) -> PathBuf {
        match self {
            Source::Files => std::fs::canonicalize(path).unwrap_or_else(|_| normalize(path)),
            Source::Memory(_) => normalize(path),
        }
    }
}

/// `a/./b/../c` -> `a/c`, without touching the file system.
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other.as_os_str()),
        }
    }
    out
}

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

/// State that lasts for one file: open blocks and flags.
#[derive(Default)]
struct FileState {
    vendor_block: Option<VendorBlock>,
    tlv_stack: Vec<(String, AttributeId)>,
    internal: bool,
}

struct VendorBlock {
    name: String,
    id: u32,
    evs: Option<u8>,
    line: usize,
}

struct Loader<'d, 's> {
    dictionary: &'d mut Dictionary,
    source: &'s Source<'s>,
    /// Identities of the files being read, outermost first.
    stack: Vec<PathBuf>,
    pending_values: Vec<PendingValue>,
}

/// A problem on the current line, before the file and line are attached.
type LineResult = Result<(), String>;

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

    /// `ATTRIBUTE name number type [flags | vendor]`
    fn attribute_line(&mut self, state: &FileState, fields: &[&str]) -> LineResult {
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
        let mut space: Option<(u32, Option<u8>)> =
            state.vendor_block.as_ref().map(|b| (b.id, b.evs));
        if let Some(extra) = extra {
            let is_vendor = !extra.contains('=')
                && !extra.contains(',')
                && !is_flag(extra)
                && self.dictionary.vendor_by_name(extra).is_some();
            if is_vendor {
                let vendor = self.dictionary.vendor_by_name(extra).map(|v| v.id);
                space = vendor.map(|id| (id, None));
            } else {
                apply_flags(&mut def, extra)?;
            }
        }
        let codes = parse_oid(number).ok_or_else(|| {
            format!(
                "attribute number `{number}` of {name} is not a number; write it in decimal, \
                 as 0x hex, or dotted like 241.1"
            )
        })?;
        let id = self.resolve_id(state, space, &codes)?;
        self.check_placement(&def, &id)?;
        def.vendor = id.vendor;
        def.evs = id.evs;
        def.code = id.path.last().copied().unwrap_or(0);
        def.parents = id.path[..id.path.len().saturating_sub(1)].to_vec();
        check_flags(&def)?;
        self.dictionary.define_attribute(def)
    }

    /// Turn the numbers written on an ATTRIBUTE line into a full id, given
    /// the open blocks.
    fn resolve_id(
        &self,
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
                self.require_vendor(*vendor)?;
                Ok(AttributeId {
                    vendor: *vendor,
                    evs: None,
                    path: rest.to_vec(),
                })
            }
            [ext @ 241..=246, 26, vendor, rest @ ..] if !rest.is_empty() => {
                self.require_vendor(*vendor)?;
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

    fn require_vendor(&self, vendor: u32) -> LineResult {
        match self.dictionary.vendor(vendor) {
            Some(_) => Ok(()),
            None => Err(format!(
                "vendor {vendor} is not defined; add a `VENDOR <name> {vendor}` line first"
            )),
        }
    }

    /// The number fits where it is, and the parent of a dotted number exists
    /// and can hold members.
    fn check_placement(&self, def: &AttributeDef, id: &AttributeId) -> LineResult {
        let name = &def.name;
        let Some((&code, parents)) = id.path.split_last() else {
            return Err(format!("{name} has no attribute number"));
        };
        let top = id.path[0];
        let max_top = match (id.vendor, id.evs) {
            (0, _) => u32::MAX,
            (_, Some(_)) => 255,
            (vendor, None) => self
                .dictionary
                .vendor(vendor)
                .map_or(255, VendorDef::max_code),
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
            match self.dictionary.attribute_by_id(&parent_id) {
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
                    ) || (parent.data_type == DataType::Evs
                        && def.data_type == DataType::Evs);
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

/// Names are what operators type in configs: no control characters, no
/// quotes or `=`, and not a bare number (it would read as one).
fn check_name(name: &str) -> LineResult {
    let bad_char = name
        .chars()
        .any(|c| c.is_control() || matches!(c, '"' | '\'' | '=' | ',' | '{' | '}'));
    if name.is_empty() || bad_char || name.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "`{}` is not a usable name: use letters, digits and - _ . / :, not only digits",
            name.escape_debug()
        ));
    }
    Ok(())
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

/// Decimal or `0x` hex, as a u32.
fn parse_number(text: &str) -> Option<u32> {
    match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u32::from_str_radix(hex, 16).ok()
        }
        Some(_) => None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => text.parse().ok(),
        None => None,
    }
}

/// `1`, `0x1a`, `241.1`, `26.9.1`: at most 8 components.
fn parse_oid(text: &str) -> Option<Vec<u32>> {
    let codes: Option<Vec<u32>> = text.split('.').map(parse_number).collect();
    codes.filter(|c| !c.is_empty() && c.len() <= 8)
}

/// The number of a VALUE line, checked against the attribute's type. Signed
/// values are kept as the bits of their 32-bit two's complement.
fn parse_value_number(data_type: DataType, text: &str) -> Option<u64> {
    if data_type == DataType::Signed {
        let n: i64 = match text.strip_prefix('-') {
            Some(digits) => -i64::from(parse_number(digits)?),
            None => i64::from(parse_number(text)?),
        };
        let n = i32::try_from(n).ok()?;
        return Some(u64::from(n as u32));
    }
    let n: u64 = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) if !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
            u64::from_str_radix(hex, 16).ok()?
        }
        Some(_) => return None,
        None if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            text.parse().ok()?
        }
        None => return None,
    };
    let max = match data_type {
        DataType::Byte => u64::from(u8::MAX),
        DataType::Short => u64::from(u16::MAX),
        DataType::Integer64 => u64::MAX,
        _ => u64::from(u32::MAX),
    };
    (n <= max).then_some(n)
}
