//! Where a secret comes from: inline in the config, an environment variable,
//! or a file. Operators keep shared secrets and API tokens out of config files
//! that end up in version control, so every secret accepts all three forms,
//! and the value is never printed once loaded.

use secrecy::{ExposeSecret, SecretString};
use std::path::{Path, PathBuf};

/// The three ways a config can name one secret, as written under `key`,
/// `key_file` and `key_env`. Exactly one must be given.
#[derive(Default, Clone)]
pub struct SecretSpec {
    pub inline: Option<SecretString>,
    pub file: Option<PathBuf>,
    pub env: Option<String>,
}

/// Why a secret could not be loaded. Never contains the secret itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretProblem {
    Missing,
    Ambiguous,
    EnvUnset(String),
    FileUnreadable(PathBuf, String),
    Empty,
}

impl SecretSpec {
    /// Loads the secret. A file's trailing newline is removed, since editors
    /// and `echo` add one; other whitespace is kept.
    pub fn resolve(&self) -> Result<SecretString, SecretProblem> {
        let given = usize::from(self.inline.is_some())
            + usize::from(self.file.is_some())
            + usize::from(self.env.is_some());
        if given == 0 {
            return Err(SecretProblem::Missing);
        }
        if given > 1 {
            return Err(SecretProblem::Ambiguous);
        }
        let value = if let Some(inline) = &self.inline {
            inline.expose_secret().to_owned()
        } else if let Some(path) = &self.file {
            read_secret_file(path)?
        } else if let Some(name) = &self.env {
            std::env::var(name).map_err(|_| SecretProblem::EnvUnset(name.clone()))?
        } else {
            return Err(SecretProblem::Missing);
        };
        if value.is_empty() {
            return Err(SecretProblem::Empty);
        }
        Ok(SecretString::from(value))
    }

    /// The key a problem is reported under: the one that names the file or
    /// the variable that failed, else the secret's own key.
    pub fn key_for(problem: &SecretProblem, key: &str) -> String {
        match problem {
            SecretProblem::FileUnreadable(..) => format!("{key}_file"),
            SecretProblem::EnvUnset(_) => format!("{key}_env"),
            _ => key.to_owned(),
        }
    }

    /// Describes the problem for an operator, naming the config keys.
    pub fn explain(problem: &SecretProblem, key: &str) -> String {
        match problem {
            SecretProblem::Missing => format!(
                "no secret given: set one of `{key}`, `{key}_file` (a file holding it) or `{key}_env` (an environment variable holding it)"
            ),
            SecretProblem::Ambiguous => format!(
                "more than one of `{key}`, `{key}_file` and `{key}_env` is set: keep exactly one"
            ),
            SecretProblem::EnvUnset(name) => format!(
                "`{key}_env` names the environment variable {name}, which is not set (or not valid UTF-8)"
            ),
            SecretProblem::FileUnreadable(path, why) => format!("{why}: {}", path.display()),
            SecretProblem::Empty => format!("`{key}` resolves to an empty value"),
        }
    }
}

fn read_secret_file(path: &Path) -> Result<String, SecretProblem> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        let why = match e.kind() {
            std::io::ErrorKind::NotFound => "file not found".to_owned(),
            std::io::ErrorKind::PermissionDenied => {
                "permission denied (check the file's owner and mode)".to_owned()
            }
            std::io::ErrorKind::IsADirectory => "a directory, not a file".to_owned(),
            std::io::ErrorKind::InvalidData => "not UTF-8 text".to_owned(),
            other => format!("cannot be read ({other})"),
        };
        SecretProblem::FileUnreadable(path.to_owned(), why)
    })?;
    let trimmed = text.strip_suffix('\n').unwrap_or(&text);
    let trimmed = trimmed.strip_suffix('\r').unwrap_or(trimmed);
    Ok(trimmed.to_owned())
}

/// Warnings for secret files that the file's group or other users can read
/// (mode & 0o077 != 0): a shared secret or API token readable by every
/// account on the host is as good as published.
pub fn loose_file_warnings(raw: &super::file::ConfigFile) -> Vec<String> {
    let mut files: Vec<(String, &Path)> = Vec::new();
    if let Some(path) = raw.okta.as_ref().and_then(|o| o.api_token_file.as_deref()) {
        files.push(("okta.api_token_file".to_owned(), path));
    }
    if let Some(path) = raw.state.key_file.as_deref() {
        files.push(("state.key_file".to_owned(), path));
    }
    for (i, client) in raw.clients.iter().enumerate() {
        if let Some(path) = client.secret_file.as_deref() {
            files.push((format!("clients[{i}].secret_file"), path));
        }
        if let Some(path) = client.coa_secret_file.as_deref() {
            files.push((format!("clients[{i}].coa_secret_file"), path));
        }
    }
    files
        .into_iter()
        .filter_map(|(key, path)| {
            let mode = file_mode(path)?;
            (mode & 0o077 != 0).then(|| {
                format!(
                    "`{key}`: {} is readable by its group or by other users (mode {:o}); run `chmod 600` on it",
                    path.display(),
                    mode & 0o777
                )
            })
        })
        .collect()
}

#[cfg(unix)]
fn file_mode(path: &Path) -> Option<u32> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).ok().map(|m| m.permissions().mode())
}

#[cfg(not(unix))]
fn file_mode(_path: &Path) -> Option<u32> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exactly_one_source() {
        assert_eq!(
            SecretSpec::default().resolve().err(),
            Some(SecretProblem::Missing)
        );
        let both = SecretSpec {
            inline: Some(SecretString::from("a")),
            env: Some("X".into()),
            ..SecretSpec::default()
        };
        assert_eq!(both.resolve().err(), Some(SecretProblem::Ambiguous));
    }

    #[test]
    fn file_source_drops_one_trailing_newline() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("secret");
        std::fs::write(&path, "s3cret value \n").expect("write");
        let spec = SecretSpec {
            file: Some(path),
            ..SecretSpec::default()
        };
        assert_eq!(
            spec.resolve().expect("readable").expose_secret(),
            "s3cret value "
        );
    }

    #[cfg(unix)]
    #[test]
    fn secret_files_readable_by_others_are_warned_about() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let open = dir.path().join("open");
        let closed = dir.path().join("closed");
        for (path, mode) in [(&open, 0o644), (&closed, 0o600)] {
            std::fs::write(path, "a-shared-secret-value").expect("write");
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        let text = format!(
            "[[clients]]\nname = \"a\"\naddress = \"10.0.0.1\"\nsecret_file = \"{}\"\n\n[[clients]]\nname = \"b\"\naddress = \"10.0.0.2\"\nsecret_file = \"{}\"\n",
            open.display(),
            closed.display()
        );
        let raw: crate::config::file::ConfigFile = toml_from(&text);
        let warnings = loose_file_warnings(&raw);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(warnings[0].contains("clients[0].secret_file"));
        assert!(warnings[0].contains("644"));
        assert!(!warnings[0].contains("a-shared-secret-value"));
    }

    fn toml_from(text: &str) -> crate::config::file::ConfigFile {
        toml::from_str(text).expect("deserializes")
    }

    #[test]
    fn unreadable_file_and_unset_env_are_explained_without_the_value() {
        let spec = SecretSpec {
            file: Some("/nonexistent/okta-radius-secret".into()),
            ..SecretSpec::default()
        };
        let problem = spec.resolve().expect_err("fails");
        assert_eq!(SecretSpec::key_for(&problem, "secret"), "secret_file");
        assert_eq!(
            SecretSpec::explain(&problem, "secret"),
            "file not found: /nonexistent/okta-radius-secret"
        );
        let spec = SecretSpec {
            env: Some("OKTA_RADIUS_TEST_SURELY_UNSET".into()),
            ..SecretSpec::default()
        };
        let problem = spec.resolve().expect_err("fails");
        assert!(
            SecretSpec::explain(&problem, "api_token").contains("OKTA_RADIUS_TEST_SURELY_UNSET")
        );
    }
}
