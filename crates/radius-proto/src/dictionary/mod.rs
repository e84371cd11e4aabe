//! Run-time RADIUS dictionaries: the names, numbers and types of attributes.
//!
//! The packet codec sees numbers; operators write names. A [`Dictionary`]
//! maps between the two, knows each attribute's data type and flags
//! (`encrypt=2`, `has_tag`, ...), each vendor's sub-attribute framing, and the
//! named values of number attributes (`Service-Type = Administrative-User`).
//!
//! Dictionaries are read at run time in the FreeRADIUS 3 format, so operators
//! can reuse what they already have. A set written for this project from the
//! RFCs and vendor documentation ships inside the binary
//! ([`Dictionary::builtin`]); operators add their own files on top
//! ([`Dictionary::merge_file`]).
//!
//! # Redefinitions
//! Later definitions win, as in FreeRADIUS:
//! - the same attribute name with the same number again replaces the type and
//!   flags; with a different number it is an error, since one name can only
//!   mean one attribute;
//! - a second name for the same number is an alias: both names resolve, and
//!   the number shows as the newest name;
//! - a vendor name with a new framing replaces the old one; with a different
//!   number it is an error;
//! - a `VALUE` name given again with the same number is fine, with a
//!   different number it is an error; a second name for the same number is an
//!   alias and the number shows as the newest name.

mod attribute_line;
mod blocks;
mod builtin;
mod defs;
mod error;
mod parse;
mod source;
mod syntax;
mod table;
#[cfg(test)]
mod tests;

use std::path::Path;

pub use defs::{AttributeDef, AttributeId, Encryption, VendorDef};
pub use error::DictionaryError;
pub use table::Dictionary;

use source::Source;

/// Where a dictionary comes from: the set built into the binary, one text
/// held in memory, or files on disk.
impl Dictionary {
    /// The dictionaries shipped with the server (`dictionaries/` in the
    /// source tree, starting at `dictionaries/dictionary`).
    pub fn builtin() -> Result<Dictionary, DictionaryError> {
        let mut dictionary = Dictionary::new();
        parse::load(
            &mut dictionary,
            &Source::Memory(builtin::FILES),
            Path::new(builtin::ROOT),
        )?;
        Ok(dictionary)
    }

    /// A dictionary from one file's text held in memory, for tools and the
    /// fuzzer. `$INCLUDE` lines cannot resolve (there is no other file).
    pub fn from_text(text: &str) -> Result<Dictionary, DictionaryError> {
        let files = [("dictionary", text)];
        let mut dictionary = Dictionary::new();
        parse::load(
            &mut dictionary,
            &Source::Memory(&files),
            Path::new("dictionary"),
        )?;
        Ok(dictionary)
    }

    /// Read a dictionary file and the files it `$INCLUDE`s.
    pub fn load_file(path: &Path) -> Result<Dictionary, DictionaryError> {
        let mut dictionary = Dictionary::new();
        dictionary.merge_file(path)?;
        Ok(dictionary)
    }

    /// Add the definitions of a dictionary file (and its includes) to this
    /// one. On error this dictionary is left as it was.
    pub fn merge_file(&mut self, path: &Path) -> Result<(), DictionaryError> {
        let mut merged = self.clone();
        parse::load(&mut merged, &Source::Files, path)?;
        *self = merged;
        Ok(())
    }
}
