//! JSON log lines, written straight into the line being built.
//!
//! The layout is the one log shippers already parse: `timestamp`, `level`,
//! the event's fields at the top level (`message` first), `target`, and
//! `spans` (each span's fields and `name`, outermost first) when the event
//! happened inside one. Every string is escaped by JSON's rules, so a value
//! holding a newline or a quote stays inside its field and the line stays
//! one line.
//!
//! Every login writes an audit line, so this is on the password path: the
//! fields are escaped into the line as they are visited, with no serializer
//! between and no string per field. A `log` record from a dependency is
//! shown under its own target, without the `log.*` fields that only repeat
//! where it came from.

use std::fmt::{self, Write as _};

use super::timestamp::Rfc3339Micros;

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_log::NormalizeEvent;
use tracing_subscriber::fmt::format::{FormatEvent, FormatFields, Writer};
use tracing_subscriber::fmt::{FmtContext, FormattedFields};
use tracing_subscriber::registry::LookupSpan;

/// The JSON event format (see the module documentation). Spans' fields are
/// kept as JSON objects by `tracing_subscriber`'s `JsonFields`.
pub struct JsonLine;

impl<S, N> FormatEvent<S, N> for JsonLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'w> FormatFields<'w> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let normalized = event.normalized_metadata();
        let metadata = normalized.as_ref().unwrap_or_else(|| event.metadata());
        writer.write_str("{\"timestamp\":\"")?;
        Rfc3339Micros::write(&mut writer, std::time::SystemTime::now())?;
        write!(writer, "\",\"level\":\"{}\"", metadata.level())?;
        let mut fields = FieldWriter {
            out: &mut writer,
            result: Ok(()),
        };
        event.record(&mut fields);
        fields.result?;
        writer.write_str(",\"target\":")?;
        string(&mut writer, metadata.target())?;
        let inside_a_span = event
            .parent()
            .and_then(|id| ctx.span(id))
            .or_else(|| ctx.lookup_current())
            .is_some();
        if inside_a_span {
            writer.write_str(",\"spans\":[")?;
            if let Some(leaf) = ctx.lookup_current() {
                for (index, span) in leaf.scope().from_root().enumerate() {
                    if index > 0 {
                        writer.write_char(',')?;
                    }
                    writer.write_char('{')?;
                    let extensions = span.extensions();
                    let recorded = extensions
                        .get::<FormattedFields<N>>()
                        .map_or("", |fields| fields.fields.as_str());
                    match object_members(recorded) {
                        Some("") => {}
                        Some(members) => write!(writer, "{members},")?,
                        None => writer.write_str("\"field_error\":\"not a JSON object\",")?,
                    }
                    writer.write_str("\"name\":")?;
                    string(&mut writer, span.metadata().name())?;
                    writer.write_char('}')?;
                }
            }
            writer.write_char(']')?;
        }
        writer.write_str("}\n")
    }
}

/// What is between the braces of a JSON object as `JsonFields` records a
/// span's fields (nothing recorded reads as no members).
fn object_members(recorded: &str) -> Option<&str> {
    let recorded = recorded.trim();
    if recorded.is_empty() {
        return Some("");
    }
    recorded.strip_prefix('{')?.strip_suffix('}').map(str::trim)
}

/// Writes each field as `,"name":value`.
struct FieldWriter<'a, 'w> {
    out: &'a mut Writer<'w>,
    result: fmt::Result,
}

impl FieldWriter<'_, '_> {
    fn member(&mut self, field: &Field, value: impl FnOnce(&mut Writer<'_>) -> fmt::Result) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        self.result = self.name(field, "\":").and_then(|()| value(self.out));
    }

    /// [`FieldWriter::member`] for a string: its quotes written with the
    /// name's (most of an audit line's fields are strings).
    fn string_member(&mut self, field: &Field, value: &str) {
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        self.result = self
            .name(field, "\":\"")
            .and_then(|()| Escaped(&mut *self.out).write_str(value))
            .and_then(|()| self.out.write_char('"'));
    }

    /// `,"name` and then `after`.
    fn name(&mut self, field: &Field, after: &str) -> fmt::Result {
        self.out.write_str(",\"")?;
        Escaped(&mut *self.out).write_str(field.name())?;
        self.out.write_str(after)
    }
}

impl Visit for FieldWriter<'_, '_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.string_member(field, value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value:?}")?;
            out.write_char('"')
        });
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        self.member(field, |out| {
            out.write_char('"')?;
            write!(Escaped(out), "{value}")?;
            out.write_char('"')
        });
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_u128(&mut self, field: &Field, value: u128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_i128(&mut self, field: &Field, value: i128) {
        self.member(field, |out| write!(out, "{value}"));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // JSON has no NaN or infinity.
        self.member(field, |out| {
            if value.is_finite() {
                write!(out, "{value:?}")
            } else {
                out.write_str("null")
            }
        });
    }
}

/// `text` as a quoted JSON string.
fn string(out: &mut Writer<'_>, text: &str) -> fmt::Result {
    out.write_char('"')?;
    Escaped(out).write_str(text)?;
    out.write_char('"')
}

/// Passes text on escaped for the inside of a JSON string: the quote, the
/// backslash and every control character.
struct Escaped<'a, W: fmt::Write + ?Sized>(&'a mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaped<'_, W> {
    fn write_str(&mut self, mut text: &str) -> fmt::Result {
        // Most values need no escape: they go on in one piece.
        while let Some(at) = first_to_escape(text.as_bytes()) {
            // Every byte escaped is ASCII, so `at` is a character boundary.
            let (plain, rest) = text.split_at(at);
            self.0.write_str(plain)?;
            let byte = rest.as_bytes()[0];
            match byte {
                b'"' => self.0.write_str("\\\""),
                b'\\' => self.0.write_str("\\\\"),
                b'\n' => self.0.write_str("\\n"),
                b'\r' => self.0.write_str("\\r"),
                b'\t' => self.0.write_str("\\t"),
                _ => write!(self.0, "\\u{byte:04x}"),
            }?;
            text = &rest[1..];
        }
        self.0.write_str(text)
    }
}

/// The quote, the backslash and the control characters.
fn needs_escape(byte: u8) -> bool {
    byte < 0x20 || byte == b'"' || byte == b'\\'
}

/// Where the first byte [`needs_escape`] is in `bytes`: eight bytes at a
/// time, as one `u64`, where byte-by-byte it was a fifth of the audit
/// line's cost.
fn first_to_escape(bytes: &[u8]) -> Option<usize> {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // A high bit set in every byte that is zero (and possibly in bytes
    // after one that is; the exact byte is found below).
    let zero_bytes = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        let word = u64::from_ne_bytes(word);
        // Bytes below 0x20 (their high bit clear, and below it after
        // subtracting 0x20), the quote and the backslash.
        let control = word.wrapping_sub(ONES * 0x20) & !word & HIGHS;
        let quote = zero_bytes(word ^ (ONES * u64::from(b'"')));
        let backslash = zero_bytes(word ^ (ONES * u64::from(b'\\')));
        if control | quote | backslash != 0
            && let Some(at) = chunk.iter().position(|&byte| needs_escape(byte))
        {
            return Some(offset + at);
        }
        offset += 8;
    }
    let rest = chunks.remainder();
    rest.iter()
        .position(|&byte| needs_escape(byte))
        .map(|at| offset + at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn escaped(text: &str) -> String {
        let mut line = String::new();
        Escaped(&mut line)
            .write_str(text)
            .expect("a String takes any text");
        line
    }

    proptest::proptest! {
        #[test]
        fn the_word_scan_finds_what_the_byte_scan_finds(text in "(?s).{0,40}", at in 0usize..40) {
            // Every character class, control characters and quotes placed
            // anywhere in and across the eight-byte words.
            let bytes = text.as_bytes();
            let expected = bytes.iter().position(|&byte| needs_escape(byte));
            proptest::prop_assert_eq!(first_to_escape(bytes), expected);
            for special in ["\"", "\\", "\u{0}", "\u{1f}", "\n", " ", "\u{7f}", "é"] {
                let mut placed = text.clone();
                let mut at = at.min(placed.len());
                while !placed.is_char_boundary(at) {
                    at -= 1;
                }
                placed.insert_str(at, special);
                let bytes = placed.as_bytes();
                let expected = bytes.iter().position(|&byte| needs_escape(byte));
                proptest::prop_assert_eq!(first_to_escape(bytes), expected);
            }
        }
    }

    #[test]
    fn strings_are_escaped_as_json_reads_them_back() {
        for text in [
            "alice@example.com",
            "a\"b\\c",
            "line\nforged\r\t\u{8}\u{c}\u{0}\u{1b}[2J\u{7f}",
            "é ü \u{2028} 漢字",
            "",
        ] {
            let quoted = format!("\"{}\"", escaped(text));
            let read: String = serde_json::from_str(&quoted).expect("valid JSON");
            assert_eq!(read, text);
            assert!(!quoted.contains('\n') && !quoted.contains('\r'));
        }
        assert_eq!(escaped("a\u{1}b"), "a\\u0001b");
    }

    #[test]
    fn span_fields_recorded_as_an_object_are_its_members() {
        assert_eq!(object_members(""), Some(""));
        assert_eq!(object_members("{}"), Some(""));
        assert_eq!(object_members("{\"id\":\"a1\"}"), Some("\"id\":\"a1\""));
        assert_eq!(object_members("id=a1"), None);
    }
}
