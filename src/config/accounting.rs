//! `[accounting]`: where Accounting-Requests (RFC 2866) are recorded, how
//! hard each record is pushed to disk before the NAS hears it was stored,
//! and the bounds of the session table built from them. Records come on
//! the accounting port (`server.accounting_listen`, beside the other listen
//! addresses) and on RADIUS/TLS and RADIUS/TCP connections, which carry
//! every kind of request (RFC 6614 §2.1).

use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[accounting]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AccountingSection {
    /// The JSON-lines file, or `-` for standard output.
    pub file: Option<String>,
    pub fsync: bool,
    pub max_sessions: usize,
    pub session_silence_seconds: u64,
}

impl Default for AccountingSection {
    fn default() -> Self {
        AccountingSection {
            file: None,
            fsync: false,
            max_sessions: 100_000,
            session_silence_seconds: 7_200,
        }
    }
}

/// Where accounting records go.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AccountingOutput {
    /// Appended to this file, reopened on SIGHUP.
    File(PathBuf),
    /// Written to standard output (a service manager's journal keeps them).
    Stdout,
}

/// The validated `[accounting]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountingConfig {
    /// `None` when no file is named (then no accounting port may be open,
    /// and a connection's Accounting-Requests are dropped).
    pub output: Option<AccountingOutput>,
    /// fsync each batch of records before answering the NAS.
    pub fsync: bool,
    /// Sessions the table holds at most; the longest silent go first.
    pub max_sessions: usize,
    /// A session with no accounting for this long is taken as ended.
    pub session_silence: Duration,
}

/// Checks `[accounting]` against what can carry accounting: an accounting
/// port (`port`) or a stream listener (`streams`). Problems come back as
/// (key, message), warnings as text.
pub fn validate(
    section: &AccountingSection,
    port: bool,
    streams: bool,
    warnings: &mut Vec<String>,
) -> Result<AccountingConfig, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let output = match section.file.as_deref().map(str::trim) {
        None | Some("") => None,
        Some("-") => Some(AccountingOutput::Stdout),
        Some(path) => Some(AccountingOutput::File(PathBuf::from(path))),
    };
    if port && output.is_none() {
        problems.push((
            "accounting.file".to_owned(),
            "server.accounting_listen is set, so accounting records must go somewhere: give a file, e.g. \"/var/log/okta-radius/accounting.jsonl\", or \"-\" for standard output".to_owned(),
        ));
    }
    if !port && !streams && output.is_some() {
        warnings.push(
            "accounting.file is set but nothing can carry accounting: server.accounting_listen is empty and no RADIUS/TLS or RADIUS/TCP listener is open, so nothing is written".to_owned(),
        );
    }
    if section.max_sessions == 0 {
        problems.push((
            "accounting.max_sessions".to_owned(),
            "must be at least 1 (100000 is the default)".to_owned(),
        ));
    }
    if section.session_silence_seconds < 60 {
        problems.push((
            "accounting.session_silence_seconds".to_owned(),
            "must be at least 60: longer than the NAS's interim-update interval (7200 is the default)".to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(AccountingConfig {
        output,
        fsync: section.fsync,
        max_sessions: section.max_sessions,
        session_silence: Duration::from_secs(section.session_silence_seconds),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_port_without_a_file_names_the_key() {
        let mut warnings = Vec::new();
        let problems = validate(&AccountingSection::default(), true, false, &mut warnings)
            .err()
            .unwrap_or_default();
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, "accounting.file");
    }

    #[test]
    fn a_dash_is_standard_output() {
        let section = AccountingSection {
            file: Some("-".to_owned()),
            ..AccountingSection::default()
        };
        let mut warnings = Vec::new();
        let config = validate(&section, true, false, &mut warnings).ok();
        assert_eq!(
            config.and_then(|c| c.output),
            Some(AccountingOutput::Stdout)
        );
        assert!(warnings.is_empty());
    }
}
