//! Reading a config: the TOML file (every syntax error with its line),
//! then `OKTA_RADIUS__SECTION__KEY` overrides from the environment
//! ([`super::environment`]), the file's shape ([`super::shape`]: every
//! unknown key and wrong type in one pass), then [`super::validate`]. The
//! findings of all three are collected in one [`ConfigReport`], placed at
//! their lines, and never quote a value that could be a secret.

use super::document::KeyLines;
use super::environment;
use super::model::Config;
use super::problem::ConfigErrors;
use super::report::{ConfigReport, Place, Severity};
use super::shape::{self, Kind};
use super::validate::validate;
use std::collections::HashMap;
use std::path::Path;
use toml::{Table, Value};

/// A config checked: the config when it is valid, and every finding.
#[derive(Debug)]
pub struct ConfigCheck {
    pub config: Option<Config>,
    pub report: ConfigReport,
}

impl Config {
    /// Loads a config file with overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let check = Config::check_file(path);
        match check.config {
            Some(config) if check.report.is_valid() => Ok(config),
            _ => Err(check.report.errors()),
        }
    }

    /// Parses config text. `env` replaces the process environment for the
    /// `OKTA_RADIUS__*` overrides (tests pass their own map).
    pub fn from_toml(
        text: &str,
        env: Option<HashMap<String, String>>,
    ) -> Result<Config, ConfigErrors> {
        let check = Config::check_text(text, env);
        match check.config {
            Some(config) if check.report.is_valid() => Ok(config),
            _ => Err(check.report.errors()),
        }
    }

    /// Checks a config file (with the process environment's overrides),
    /// finding everything wrong with it in one run.
    pub fn check_file(path: &Path) -> ConfigCheck {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::check_text(&text, None),
            Err(error) => {
                let mut report = ConfigReport::default();
                report.add_placed(
                    Severity::Invalid,
                    "--config",
                    Place::Nowhere,
                    format!("cannot read {}: {error}", path.display()),
                );
                ConfigCheck {
                    config: None,
                    report,
                }
            }
        }
    }

    /// Checks config text; `env` as in [`Config::from_toml`].
    pub fn check_text(text: &str, env: Option<HashMap<String, String>>) -> ConfigCheck {
        let lines = match KeyLines::parse(text) {
            Ok(lines) => lines,
            Err(errors) => {
                let mut report = ConfigReport::default();
                for error in errors {
                    let place = error.line.map_or(Place::Nowhere, Place::Line);
                    report.add_placed(
                        Severity::Invalid,
                        "",
                        place,
                        format!("not valid TOML: {}", error.message),
                    );
                }
                return ConfigCheck {
                    config: None,
                    report,
                };
            }
        };
        let mut table: Table = match text.parse() {
            Ok(table) => table,
            Err(error) => {
                let mut report = ConfigReport::default();
                report.add_placed(
                    Severity::Invalid,
                    "",
                    Place::Nowhere,
                    format!("not valid TOML: {}", error.message().trim()),
                );
                return ConfigCheck {
                    config: None,
                    report,
                };
            }
        };
        let vars: Vec<(String, String)> = match env {
            Some(map) => map.into_iter().collect(),
            None => std::env::vars().collect(),
        };
        let overrides = environment::apply(&mut table, vars);
        let client_names = client_names(&table);
        let mut report = ConfigReport::new(lines, overrides.origins.clone(), client_names);
        for (var, why) in &overrides.problems {
            report.add_placed(
                Severity::Invalid,
                "",
                Place::Environment(var.clone()),
                why.clone(),
            );
        }

        let shaped = shape::check(table, &overrides);
        for problem in &shaped.problems {
            let severity = match problem.kind {
                Kind::Unknown => Severity::UnknownKey,
                Kind::Invalid => Severity::Invalid,
            };
            report.add(severity, &problem.key, problem.message.clone());
        }
        for (key, text) in &shaped.warnings {
            report.add(Severity::Warning, key, text.clone());
        }
        let Some(file) = shaped.file else {
            return ConfigCheck {
                config: None,
                report,
            };
        };
        let mut warnings = Vec::new();
        let validated = validate(file, &mut warnings);
        report.add_warnings(&warnings);
        match validated {
            Ok(mut config) => {
                config.warnings = report
                    .findings()
                    .iter()
                    .filter(|f| f.severity == Severity::Warning)
                    .map(|f| {
                        if f.key.is_empty() {
                            f.message.clone()
                        } else {
                            format!("`{}`: {}", f.key, f.message)
                        }
                    })
                    .collect();
                ConfigCheck {
                    config: Some(config),
                    report,
                }
            }
            Err(errors) => {
                report.add_problems(&errors);
                ConfigCheck {
                    config: None,
                    report,
                }
            }
        }
    }
}

/// Each client's `name`, by index, for messages.
fn client_names(table: &Table) -> Vec<Option<String>> {
    table
        .get("clients")
        .and_then(Value::as_array)
        .map(|clients| {
            clients
                .iter()
                .map(|client| {
                    client
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_owned)
                })
                .collect()
        })
        .unwrap_or_default()
}
