//! Where dictionary text comes from: the file system for operator files, or
//! memory for the dictionaries built into the binary. Paths are compared in
//! a normal form so `$INCLUDE` resolves the same way in both.

use std::borrow::Cow;
use std::io;
use std::path::{Component, Path, PathBuf};

/// Where dictionary files come from.
pub(super) enum Source<'a> {
    /// The file system.
    Files,
    /// Files held in memory, keyed by path (`dictionaries/dictionary`).
    Memory(&'a [(&'a str, &'a str)]),
}

impl Source<'_> {
    pub(super) fn read(&self, path: &Path) -> io::Result<Cow<'_, str>> {
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
    pub(super) fn identity(&self, path: &Path) -> PathBuf {
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
