//! Where the shipped dictionaries are read from. The Debian package installs
//! them as files in `/usr/share/okta-radius/dictionaries`, so an operator
//! can read what every attribute name means, and the package's server reads
//! exactly those files. A binary run from anywhere else (a source tree, a
//! copy in a container) has no such directory and uses the same set built
//! into it, so nothing on disk is needed to run from source.
//!
//! The installed directory is found relative to the running binary:
//! `../share/okta-radius/dictionaries` beside its `bin` directory, so
//! `/usr/bin/okta-radius` reads `/usr/share/okta-radius/dictionaries` and
//! `/usr/local/bin/okta-radius` reads `/usr/local/share/...`. It counts when
//! it holds the top file, `dictionary`; `server.dictionaries` adds files on
//! top of either set.

use radius_proto::dictionary::{Dictionary, DictionaryError};
use std::fmt;
use std::path::{Path, PathBuf};

/// The top file of a dictionary directory, which `$INCLUDE`s the others.
const TOP_FILE: &str = "dictionary";

/// Where the shipped dictionaries come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DictionarySource {
    /// The files installed beside the binary (the directory).
    Installed(PathBuf),
    /// The set built into the binary.
    BuiltIn,
}

impl fmt::Display for DictionarySource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DictionarySource::Installed(dir) => write!(f, "{}", dir.display()),
            DictionarySource::BuiltIn => f.write_str("the set built into the binary"),
        }
    }
}

/// The installed dictionary directory for a binary at `exe`:
/// `<prefix>/share/okta-radius/dictionaries` for `<prefix>/bin/okta-radius`.
pub fn installed_dir(exe: &Path) -> Option<PathBuf> {
    let prefix = exe.parent()?.parent()?;
    Some(
        prefix
            .join("share")
            .join("okta-radius")
            .join("dictionaries"),
    )
}

/// Where this process takes its shipped dictionaries from.
pub fn source() -> DictionarySource {
    std::env::current_exe()
        .ok()
        .and_then(|exe| installed_dir(&exe))
        .filter(|dir| dir.join(TOP_FILE).is_file())
        .map_or(DictionarySource::BuiltIn, DictionarySource::Installed)
}

/// Loads the shipped dictionaries from `source`.
pub fn load(source: &DictionarySource) -> Result<Dictionary, DictionaryError> {
    match source {
        DictionarySource::Installed(dir) => Dictionary::load_file(&dir.join(TOP_FILE)),
        DictionarySource::BuiltIn => Dictionary::builtin(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_installed_directory_sits_under_the_binarys_prefix() {
        assert_eq!(
            installed_dir(Path::new("/usr/bin/okta-radius")),
            Some(PathBuf::from("/usr/share/okta-radius/dictionaries"))
        );
        assert_eq!(
            installed_dir(Path::new("/usr/local/bin/okta-radius")),
            Some(PathBuf::from("/usr/local/share/okta-radius/dictionaries"))
        );
        assert_eq!(installed_dir(Path::new("okta-radius")), None);
    }

    #[test]
    fn the_shipped_files_load_as_the_built_in_set_does() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("dictionaries");
        let files = load(&DictionarySource::Installed(dir)).expect("the files load");
        let built_in = load(&DictionarySource::BuiltIn).expect("the built-in set loads");
        assert_eq!(files.attribute_count(), built_in.attribute_count());
        assert!(files.attribute_by_name("Cisco-AVPair").is_some());
    }
}
