//! Log output. Human-readable lines by default, JSON lines for log shippers
//! ([`super::json_line`]); `RUST_LOG` overrides the configured level for a
//! debugging session.
//!
//! Levels are read with [`crate::config::log_level::parse_filter`], which
//! refuses a misspelt level instead of silencing every line.
//!
//! Audit events use the target [`AUDIT_TARGET`], so they can be filtered and
//! routed on their own. No secret is ever a field of any event.
//!
//! Values from a request (User-Name, NAS-Identifier, Calling-Station-Id) or
//! from Okta (error summaries) may hold a newline, a carriage return or a
//! terminal escape. Every event is one line in both formats whatever its
//! values hold: JSON escapes them by its own rules, and human lines go
//! through [`EscapedFields`], which escapes every control character in every
//! field and message, so nobody can write a forged line (an audit
//! `outcome="accept"`, say) into the log through a value.

use super::json_line::JsonLine;
use crate::config::log_level::parse_filter;
use crate::config::{LogConfig, LogFormat};
use std::borrow::Cow;
use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::{JsonFields, Writer};

/// The `tracing` target of the one-line-per-decision audit events.
pub const AUDIT_TARGET: &str = "okta_radius::audit";

/// What `serve -X` shows: the server's and the Okta client's debug lines,
/// the libraries' warnings only.
pub const DEBUG_MODE_FILTER: &str = "warn,okta_radius=debug,okta_client=debug";

/// Installs the global subscriber, writing to standard error from a thread
/// of its own ([`super::log_writer`]). Returns false
/// when one was already installed (tests that start several servers).
pub fn init(config: &LogConfig) -> bool {
    let configured = || parse_filter(&config.level).unwrap_or_else(|_| EnvFilter::new("info"));
    // RUST_LOG wins when it is a filter; otherwise it is reported once the
    // subscriber is there to report it, and the configured level is used.
    let (filter, refused) = match std::env::var("RUST_LOG") {
        Ok(value) if value.trim().is_empty() => (configured(), None),
        Ok(value) => match parse_filter(&value) {
            Ok(filter) => (filter, None),
            Err(problem) => (configured(), Some((value, problem))),
        },
        Err(std::env::VarError::NotPresent) => (configured(), None),
        Err(std::env::VarError::NotUnicode(value)) => (
            configured(),
            Some((
                value.to_string_lossy().into_owned(),
                "not valid UTF-8".to_owned(),
            )),
        ),
    };
    // Colours only on a terminal: journald and log files get plain text.
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_timer(super::timestamp::Rfc3339Micros)
        .with_writer(super::log_writer::make_writer);
    super::log_writer::start();
    let installed = match config.format {
        LogFormat::Json => builder
            .fmt_fields(JsonFields::new())
            .event_format(JsonLine)
            .try_init()
            .is_ok(),
        LogFormat::Human => builder.fmt_fields(EscapedFields).try_init().is_ok(),
    };
    if installed && let Some((value, problem)) = refused {
        tracing::warn!(
            rust_log = %value,
            problem,
            configured_level = %config.level,
            "RUST_LOG is not a log filter and is ignored; log.level from the config is used"
        );
    }
    installed
}

/// Human-format fields (`message key=value ...`) with control characters
/// escaped, so an event is always exactly one line.
pub struct EscapedFields;

impl<'writer> FormatFields<'writer> for EscapedFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut visitor = EscapingVisitor {
            writer,
            empty: true,
            result: Ok(()),
        };
        fields.record(&mut visitor);
        visitor.result
    }
}

struct EscapingVisitor<'writer> {
    writer: Writer<'writer>,
    empty: bool,
    result: fmt::Result,
}

impl EscapingVisitor<'_> {
    /// Writes one field, its value rendered by `render` straight into the
    /// line through [`Escaping`]: no string per field.
    fn write(&mut self, field: &Field, render: impl FnOnce(&mut dyn fmt::Write) -> fmt::Result) {
        // Where a `log` record came from (a dependency's log line): the
        // event's target already says it.
        if self.result.is_err() || field.name().starts_with("log.") {
            return;
        }
        let separator = if self.empty { "" } else { " " };
        self.empty = false;
        self.result = match field.name() {
            "message" => self.writer.write_str(separator),
            name => {
                let name = name.strip_prefix("r#").unwrap_or(name);
                self.writer
                    .write_str(separator)
                    .and_then(|()| self.writer.write_str(name))
                    .and_then(|()| self.writer.write_char('='))
            }
        }
        .and_then(|()| render(&mut Escaping(&mut self.writer)));
    }
}

impl Visit for EscapingVisitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.write(field, |out| out.write_str(value));
        } else if is_plain(value) {
            // Quoted as `{:?}` quotes it, which for such text is the
            // text between quotes: written in one piece, where `{:?}`
            // writes it a character at a time (most of an audit line's
            // cost in this format).
            self.write(field, |out| {
                out.write_char('"')?;
                out.write_str(value)?;
                out.write_char('"')
            });
        } else {
            // Quoted, as the default human format shows text fields.
            self.write(field, |out| write!(out, "{value:?}"));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.write(field, |out| write!(out, "{value:?}"));
    }
}

/// Whether `{:?}` shows `text` as it is between quotes: printable ASCII
/// without a quote or a backslash.
fn is_plain(text: &str) -> bool {
    text.bytes()
        .all(|byte| (0x20..0x7f).contains(&byte) && byte != b'"' && byte != b'\\')
}

/// Passes text on with every control character (and the Unicode line and
/// paragraph separators) written as an escape, as [`escape_controls`] does.
struct Escaping<'w, W: fmt::Write + ?Sized>(&'w mut W);

impl<W: fmt::Write + ?Sized> fmt::Write for Escaping<'_, W> {
    fn write_str(&mut self, text: &str) -> fmt::Result {
        match escape_controls(text) {
            Cow::Borrowed(plain) => self.0.write_str(plain),
            Cow::Owned(escaped) => self.0.write_str(&escaped),
        }
    }
}

/// `text` with every control character (and the Unicode line and paragraph
/// separators) written as an escape: `\n`, `\r`, `\t`, or `\u{1b}`.
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let needs_escape = |ch: char| ch.is_control() || matches!(ch, '\u{2028}' | '\u{2029}');
    // Printable ASCII, most of what is logged, is seen at a glance.
    let printable_ascii = text.bytes().all(|byte| (0x20..0x7f).contains(&byte));
    if printable_ascii || !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut escaped = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        match ch {
            '\n' => escaped.push_str("\\n"),
            '\r' => escaped.push_str("\\r"),
            '\t' => escaped.push_str("\\t"),
            ch if needs_escape(ch) => {
                let _ = write!(escaped, "\\u{{{:x}}}", u32::from(ch));
            }
            ch => escaped.push(ch),
        }
    }
    Cow::Owned(escaped)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_field_is_escaped_as_it_is_written() {
        let mut line = String::new();
        let (plain, quoted) = ("a\nb\u{1b}", "c\rd");
        write!(Escaping(&mut line), "{plain}|{quoted:?}").expect("a String takes any text");
        assert_eq!(line, "a\\nb\\u{1b}|\"c\\rd\"");
    }

    /// A log destination the test reads back.
    #[derive(Clone, Default)]
    struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    proptest::proptest! {
        #[test]
        fn a_text_field_reads_as_its_debug_form(value in "(?s).{0,24}") {
            // Plain or not, a text field shows as `{:?}` shows it, with
            // control characters escaped.
            let captured = Captured::default();
            let writer = captured.clone();
            let subscriber = tracing_subscriber::fmt()
                .with_ansi(false)
                .fmt_fields(EscapedFields)
                .with_writer(move || writer.clone())
                .finish();
            tracing::subscriber::with_default(subscriber, || {
                tracing::info!(user = value.as_str(), "decision");
            });
            let line = String::from_utf8(captured.0.lock().expect("not poisoned").clone())
                .expect("the line is UTF-8");
            let expected = format!("decision user={}\n", escape_controls(&format!("{value:?}")));
            proptest::prop_assert!(line.ends_with(&expected), "{line:?} against {expected:?}");
        }
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("alice"), "alice");
        assert_eq!(
            escape_controls("a\nb\rc\td\u{1b}[2Je\u{2028}"),
            "a\\nb\\rc\\td\\u{1b}[2Je\\u{2028}"
        );
    }
}
