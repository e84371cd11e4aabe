//! Why a dictionary did not load.
//!
//! Every problem in a file names the file and the line, says what is wrong
//! and how to fix it, so an operator can act on the message alone.

use std::io;

/// What every line reader answers: a problem on the current line, said for
/// an operator, before the file and the line number are attached.
pub(super) type LineResult = Result<(), String>;

#[derive(Debug, thiserror::Error)]
pub enum DictionaryError {
    /// A line that cannot be accepted.
    #[error("{file}:{line}: {problem}")]
    Syntax {
        file: String,
        line: usize,
        problem: String,
    },
    /// A file that could not be read.
    #[error("cannot read dictionary file {file}{}: {source}", included_from_text(.included_from))]
    Read {
        file: String,
        /// `file:line` of the `$INCLUDE` that named it.
        included_from: Option<String>,
        source: io::Error,
    },
}

fn included_from_text(included_from: &Option<String>) -> String {
    match included_from {
        Some(place) => format!(" (included from {place})"),
        None => String::new(),
    }
}
