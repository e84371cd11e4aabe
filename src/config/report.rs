//! Everything a config check found, in the order an operator fixes it:
//! unknown keys, then invalid values, then warnings. Each finding says
//! where it is written (the line of the file, or the environment variable
//! that set it) and, for a client, the client's name as well as its index.

use super::document::KeyLines;
use super::problem::{ConfigErrors, ConfigProblem};
use std::collections::HashMap;
use std::fmt::Write as _;

/// How serious a finding is; findings are listed in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    /// A key the server does not know (a typo would otherwise fall back to a default).
    UnknownKey,
    /// A value the server cannot use, a missing key, a file that cannot be read.
    Invalid,
    /// Works, but deserves attention.
    Warning,
}

/// Where a finding is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    Line(usize),
    Environment(String),
    Nowhere,
}

/// One finding.
#[derive(Debug, Clone)]
pub struct Finding {
    pub severity: Severity,
    pub key: String,
    pub place: Place,
    pub message: String,
}

/// Every finding of one check, and what is needed to place later ones.
#[derive(Debug, Default)]
pub struct ConfigReport {
    findings: Vec<Finding>,
    lines: KeyLines,
    origins: HashMap<String, String>,
    client_names: Vec<Option<String>>,
}

impl ConfigReport {
    pub(super) fn new(
        lines: KeyLines,
        origins: HashMap<String, String>,
        client_names: Vec<Option<String>>,
    ) -> ConfigReport {
        ConfigReport {
            findings: Vec::new(),
            lines,
            origins,
            client_names,
        }
    }

    /// Adds a finding about `key`, placing it.
    pub fn add(&mut self, severity: Severity, key: &str, message: impl Into<String>) {
        let place = self.place(key);
        self.findings.push(Finding {
            severity,
            key: key.to_owned(),
            place,
            message: message.into(),
        });
    }

    /// Adds a finding already placed (a syntax error, a variable).
    pub(super) fn add_placed(
        &mut self,
        severity: Severity,
        key: &str,
        place: Place,
        message: String,
    ) {
        self.findings.push(Finding {
            severity,
            key: key.to_owned(),
            place,
            message,
        });
    }

    /// Adds problems found by checks that read the files a config names.
    pub fn add_problems(&mut self, errors: &ConfigErrors) {
        for problem in &errors.0 {
            self.add(Severity::Invalid, &problem.key, problem.message.clone());
        }
    }

    /// Adds warnings written as "`key`: text" or "key: text".
    pub fn add_warnings<'a>(&mut self, warnings: impl IntoIterator<Item = &'a String>) {
        for warning in warnings {
            match split_key(warning) {
                Some((key, text)) => self.add(Severity::Warning, key, text.to_owned()),
                None => self.add_placed(Severity::Warning, "", Place::Nowhere, warning.clone()),
            }
        }
    }

    /// True when nothing but warnings was found.
    pub fn is_valid(&self) -> bool {
        self.findings
            .iter()
            .all(|f| f.severity == Severity::Warning)
    }

    /// The findings, unknown keys first, then invalid values, then warnings.
    pub fn findings(&self) -> Vec<&Finding> {
        let mut sorted: Vec<&Finding> = self.findings.iter().collect();
        // Within a kind, in the file's order; the environment's after it.
        sorted.sort_by_key(|f| {
            let line = match f.place {
                Place::Line(line) => line,
                Place::Environment(_) | Place::Nowhere => usize::MAX,
            };
            (f.severity, line)
        });
        sorted
    }

    /// The problems as [`ConfigErrors`], each message followed by its place.
    pub fn errors(&self) -> ConfigErrors {
        ConfigErrors(
            self.findings()
                .into_iter()
                .filter(|f| f.severity != Severity::Warning)
                .map(|f| ConfigProblem {
                    key: if f.key.is_empty() {
                        "config".to_owned()
                    } else {
                        f.key.clone()
                    },
                    message: match &f.place {
                        Place::Line(line) => format!("{} (line {line})", f.message),
                        Place::Environment(var) => format!("{} (set by {var})", f.message),
                        Place::Nowhere => f.message.clone(),
                    },
                })
                .collect(),
        )
    }

    /// The findings as `check-config` prints them, one per line:
    /// `FILE:LINE: key: message`, warnings prefixed with `warning: `.
    pub fn render(&self, file: &str, severities: &[Severity]) -> String {
        let mut out = String::new();
        for finding in self.findings() {
            if !severities.contains(&finding.severity) {
                continue;
            }
            if finding.severity == Severity::Warning {
                out.push_str("warning: ");
            }
            match &finding.place {
                Place::Line(line) => {
                    let _ = write!(out, "{file}:{line}: ");
                }
                Place::Environment(var) => {
                    let _ = write!(out, "environment {var}: ");
                }
                Place::Nowhere => {}
            }
            if !finding.key.is_empty() {
                let _ = write!(out, "{}: ", self.label(&finding.key));
            }
            out.push_str(&finding.message);
            out.push('\n');
        }
        out
    }

    /// A one-line count: "2 unknown keys, 1 invalid value, 3 warnings".
    pub fn summary(&self) -> String {
        let count = |severity| {
            self.findings
                .iter()
                .filter(|f| f.severity == severity)
                .count()
        };
        let mut parts = Vec::new();
        for (severity, one, many) in [
            (Severity::UnknownKey, "unknown key", "unknown keys"),
            (Severity::Invalid, "invalid value", "invalid values"),
            (Severity::Warning, "warning", "warnings"),
        ] {
            match count(severity) {
                0 => {}
                1 => parts.push(format!("1 {one}")),
                n => parts.push(format!("{n} {many}")),
            }
        }
        parts.join(", ")
    }

    fn place(&self, key: &str) -> Place {
        if let Some(var) = self.origins.get(key) {
            return Place::Environment(var.clone());
        }
        match self.lines.line(key) {
            Some(line) => Place::Line(line),
            None => Place::Nowhere,
        }
    }

    /// `clients[0].secret` gains the client's name: `clients[0] (vpn-asa).secret`.
    fn label(&self, key: &str) -> String {
        let Some(rest) = key.strip_prefix("clients[") else {
            return key.to_owned();
        };
        let Some(end) = rest.find(']') else {
            return key.to_owned();
        };
        let Ok(index) = rest[..end].parse::<usize>() else {
            return key.to_owned();
        };
        match self.client_names.get(index).and_then(Option::as_deref) {
            Some(name) => format!("clients[{index}] ({name}){}", &rest[end + 1..]),
            None => key.to_owned(),
        }
    }
}

/// "`key`: text" or "key: text", where key looks like a key path.
fn split_key(warning: &str) -> Option<(&str, &str)> {
    let (key, text) = if let Some(rest) = warning.strip_prefix('`') {
        let end = rest.find("`: ")?;
        (&rest[..end], &rest[end + 3..])
    } else {
        let end = warning.find(": ")?;
        (&warning[..end], &warning[end + 2..])
    };
    let looks_like_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || "_.[]-".contains(c));
    looks_like_key.then_some((key, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warnings_are_placed_by_their_leading_key() {
        assert_eq!(
            split_key("`clients[0].secret_file`: /x is readable"),
            Some(("clients[0].secret_file", "/x is readable"))
        );
        assert_eq!(
            split_key("server.tcp_listen[0]: RADIUS/TCP on"),
            Some(("server.tcp_listen[0]", "RADIUS/TCP on"))
        );
        assert_eq!(split_key("[tls] names a certificate: but"), None);
    }
}
