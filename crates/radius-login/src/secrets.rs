//! The two secrets a login needs, the shared secret and the user's
//! password, from a file, the environment or a prompt that does not echo:
//! never from the command line, where a process list or a shell history
//! would keep them. Both are wiped from memory when dropped.

use crate::answers::Answers;
use std::io;
use std::path::Path;
use zeroize::Zeroizing;

/// A secret read for this run.
pub(crate) type Secret = Zeroizing<String>;

/// Where a secret comes from, tried in this order.
pub(crate) struct SecretSource<'a> {
    /// What it is, for messages ("shared secret").
    pub(crate) what: &'a str,
    pub(crate) file: Option<&'a Path>,
    /// The environment variable that may hold it.
    pub(crate) env: &'a str,
    /// The prompt when neither is set.
    pub(crate) prompt: String,
}

/// Why a secret could not be had.
#[derive(Debug)]
pub(crate) struct SecretError(pub(crate) String);

impl std::fmt::Display for SecretError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl SecretSource<'_> {
    /// Reads the secret: the file, else the variable, else the prompt.
    pub(crate) fn read(&self, answers: &mut Answers) -> Result<Secret, SecretError> {
        if let Some(path) = self.file {
            return read_file(path).map_err(|error| {
                SecretError(format!(
                    "cannot read the {} from {}: {error}",
                    self.what,
                    path.display()
                ))
            });
        }
        if let Some(value) = std::env::var_os(self.env) {
            return value
                .into_string()
                .map(Zeroizing::new)
                .map_err(|_| SecretError(format!("${} is not valid UTF-8", self.env)));
        }
        match answers.secret(&self.prompt) {
            Ok(Some(value)) => Ok(value),
            Ok(None) => Err(SecretError(format!(
                "no {} given: use its file option, ${}, or type it at the prompt",
                self.what, self.env
            ))),
            Err(error) => Err(SecretError(format!(
                "cannot read the {}: {error}",
                self.what
            ))),
        }
    }
}

/// A file's text without one trailing newline (`\n` or `\r\n`).
fn read_file(path: &Path) -> io::Result<Secret> {
    let text = Zeroizing::new(std::fs::read_to_string(path)?);
    let trimmed = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))
        .unwrap_or(&text);
    Ok(Zeroizing::new(trimmed.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_secret_file_loses_one_trailing_newline_only() {
        let dir = std::env::temp_dir().join(format!("radius-login-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("secret");
        std::fs::write(&path, "s3cret \n\n").expect("write");
        assert_eq!(read_file(&path).expect("reads").as_str(), "s3cret \n");
        std::fs::write(&path, "s3cret\r\n").expect("write");
        assert_eq!(read_file(&path).expect("reads").as_str(), "s3cret");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
