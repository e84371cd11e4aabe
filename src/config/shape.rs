//! The file's shape checked in one pass that finds every problem: serde
//! stops at the first unknown key or wrong type, so each one found is
//! noted, taken out of the parsed file (or mended, where the intent is
//! plain and a warning says how to write it), and the file deserialized
//! again, until it deserializes or a required key is missing.
//!
//! Messages never quote the value of a key that may hold a secret.

use super::environment::Overrides;
use super::file::ConfigFile;
use super::suggest;
use super::tree::{self, Step};
use std::collections::HashSet;
use toml::{Table, Value};

/// What kind of finding a problem is: listed in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Kind {
    Unknown,
    Invalid,
}

/// One finding of the shape check.
#[derive(Debug)]
pub(super) struct ShapeFinding {
    pub kind: Kind,
    pub key: String,
    pub message: String,
}

/// The result: the file's shape when it could be read, the problems, and
/// the warnings for values that were mended.
#[derive(Debug)]
pub(super) struct Shaped {
    pub file: Option<ConfigFile>,
    pub problems: Vec<ShapeFinding>,
    pub warnings: Vec<(String, String)>,
}

/// More rounds than a file has keys would mean a loop; stop there.
const MAX_ROUNDS: usize = 500;

pub(super) fn check(mut table: Table, overrides: &Overrides) -> Shaped {
    let mut problems = Vec::new();
    let mut warnings = Vec::new();
    let mut removed: HashSet<String> = HashSet::new();
    for _ in 0..MAX_ROUNDS {
        let error =
            match serde_path_to_error::deserialize::<_, ConfigFile>(Value::Table(table.clone())) {
                Ok(file) => {
                    return Shaped {
                        file: Some(file),
                        problems,
                        warnings,
                    };
                }
                Err(error) => error,
            };
        let path = steps(error.path());
        let message = error.inner().message().to_owned();
        let from_env = overrides.origins.contains_key(&tree::display(&path));

        if let Some((field, expected)) = unknown_field(&message) {
            let mut path = path;
            if path.last() != Some(&Step::Key(field.clone())) {
                path.push(Step::Key(field.clone()));
            }
            let key = tree::display(&path);
            let hint = match suggest::closest(
                &field,
                &expected.iter().map(String::as_str).collect::<Vec<_>>(),
            ) {
                Some(close) => format!("unknown key; did you mean `{close}`?"),
                None if expected.is_empty() => "unknown key: this table takes no keys".to_owned(),
                None => format!(
                    "unknown key; this table takes {}",
                    expected
                        .iter()
                        .map(|name| format!("`{name}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            problems.push(ShapeFinding {
                kind: Kind::Unknown,
                key: key.clone(),
                message: hint,
            });
            removed.insert(key);
            if !tree::remove(&mut table, &path) {
                break;
            }
            continue;
        }

        if let Some(field) = missing_field(&message) {
            let mut missing = path.clone();
            missing.push(Step::Key(field.clone()));
            let key = tree::display(&missing);
            if !removed.contains(&key) {
                problems.push(ShapeFinding {
                    kind: Kind::Invalid,
                    key,
                    message: "missing: this key is required".to_owned(),
                });
            }
            break;
        }

        let key = tree::display(&path);
        let Some(value) = tree::get(&table, &path).cloned() else {
            problems.push(ShapeFinding {
                kind: Kind::Invalid,
                key: if key.is_empty() {
                    "config".to_owned()
                } else {
                    key
                },
                message: message.clone(),
            });
            break;
        };
        let expected = expected_of(&message);
        if let Some(mended) = mend(&value, &expected, from_env) {
            if !from_env {
                warnings.push((key.clone(), mended_warning(&path, &value, &mended)));
            }
            if let Some(slot) = tree::get_mut(&mut table, &path) {
                *slot = mended;
                continue;
            }
        }
        problems.push(ShapeFinding {
            kind: Kind::Invalid,
            key: key.clone(),
            message: invalid_message(&path, &value, &expected),
        });
        removed.insert(key);
        if !tree::remove(&mut table, &path) {
            break;
        }
    }
    Shaped {
        file: None,
        problems,
        warnings,
    }
}

fn steps(path: &serde_path_to_error::Path) -> Vec<Step> {
    path.iter()
        .filter_map(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(Step::Key(key.clone())),
            serde_path_to_error::Segment::Seq { index } => Some(Step::Index(*index)),
            _ => None,
        })
        .collect()
}

/// serde's "unknown field `x`, expected one of `a`, `b`": the field and
/// the names the table takes.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.strip_prefix("unknown field `")?;
    let end = rest.find('`')?;
    let field = rest[..end].to_owned();
    let expected = rest[end + 1..]
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((field, expected))
}

fn missing_field(message: &str) -> Option<String> {
    let rest = message.strip_prefix("missing field `")?;
    Some(rest[..rest.find('`')?].to_owned())
}

/// What serde expected, from "invalid type: ..., expected X".
fn expected_of(message: &str) -> String {
    message
        .rsplit_once(", expected ")
        .map(|(_, expected)| expected.trim().to_owned())
        .unwrap_or_else(|| message.to_owned())
}

fn wants_bool(expected: &str) -> bool {
    expected == "a boolean"
}

fn wants_integer(expected: &str) -> bool {
    matches!(
        expected,
        "u8" | "u16" | "u32" | "u64" | "usize" | "i8" | "i16" | "i32" | "i64" | "isize"
    ) || expected.starts_with("an integer")
}

fn wants_string(expected: &str) -> bool {
    expected == "a string" || expected.contains("path string")
}

fn wants_list(expected: &str) -> bool {
    expected == "a sequence"
}

/// A value whose intent is plain, in the type the key takes: "true" for a
/// boolean, "5000" for a number, a number for text. Values from the
/// environment are always text, so they are mended silently.
fn mend(value: &Value, expected: &str, from_env: bool) -> Option<Value> {
    match value {
        Value::String(text) if wants_bool(expected) => match text.to_ascii_lowercase().as_str() {
            "true" | "yes" | "on" | "1" => Some(Value::Boolean(true)),
            "false" | "no" | "off" | "0" => Some(Value::Boolean(false)),
            _ => None,
        },
        Value::Integer(number) if wants_bool(expected) => match number {
            0 => Some(Value::Boolean(false)),
            1 => Some(Value::Boolean(true)),
            _ => None,
        },
        Value::String(text) if wants_integer(expected) => {
            text.trim().parse::<i64>().ok().map(Value::Integer)
        }
        Value::Integer(number) if wants_string(expected) => Some(Value::String(number.to_string())),
        Value::Boolean(flag) if wants_string(expected) && from_env => {
            Some(Value::String(flag.to_string()))
        }
        Value::String(text) if wants_list(expected) && from_env => Some(Value::Array(
            text.split(',')
                .map(|item| Value::String(item.trim().to_owned()))
                .collect(),
        )),
        _ => None,
    }
}

fn leaf(path: &[Step]) -> String {
    match path.last() {
        Some(Step::Key(key)) => key.clone(),
        _ => tree::display(path),
    }
}

/// Keys whose values are never shown.
fn is_secret(path: &[Step]) -> bool {
    path.iter().any(|step| match step {
        Step::Key(key) => {
            key == "key"
                || key.contains("secret")
                || key.contains("token")
                || key.contains("password")
        }
        Step::Index(_) => false,
    })
}

fn shown(path: &[Step], value: &Value) -> String {
    if is_secret(path) {
        "…".to_owned()
    } else {
        value.to_string()
    }
}

fn mended_warning(path: &[Step], value: &Value, mended: &Value) -> String {
    let name = leaf(path);
    if is_secret(path) {
        return format!(
            "is {} where {} is meant; read as such, but write it in that form",
            tree::kind(value),
            tree::kind(mended)
        );
    }
    format!(
        "`{name} = {value}` is {} where {} is meant; read as `{name} = {mended}`: write it so",
        tree::kind(value),
        tree::kind(mended)
    )
}

fn invalid_message(path: &[Step], value: &Value, expected: &str) -> String {
    let name = leaf(path);
    let written = shown(path, value);
    if wants_list(expected) && !matches!(value, Value::Array(_)) {
        return format!("must be a list: `{name} = [{written}]`");
    }
    if wants_bool(expected) {
        return format!("`{name} = {written}` must be true or false (without quotes)");
    }
    if wants_integer(expected) {
        return format!(
            "`{name} = {written}` must be a whole number{}",
            if expected.starts_with('u') {
                ", 0 or more"
            } else {
                ""
            }
        );
    }
    if wants_string(expected) {
        return format!("`{name} = {written}` must be text in quotes");
    }
    let expected = match expected {
        "a map" => "a table".to_owned(),
        other if other.starts_with("struct ") => "a table".to_owned(),
        other => other.to_owned(),
    };
    format!(
        "`{name} = {written}` is {}; expected {expected}",
        tree::kind(value)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shape(text: &str) -> Shaped {
        check(text.parse().expect("toml"), &Overrides::default())
    }

    #[test]
    fn every_unknown_key_and_every_bad_value_in_one_pass() {
        let shaped = shape(
            "[server]\nlisten = \"127.0.0.1:1812\"\nreject_delay_mss = 5\n\n[okta]\norg_url = \"https://x.okta.com\"\nrequest_timout_ms = 5\n\n[users]\nlowercase = \"yes\"\n\n[[clients]]\nname = \"a\"\naddress = \"127.0.0.1\"\nsecret = 1234567890123456\ndeadline_ms = \"soon\"\n",
        );
        let keys: Vec<(&str, Kind)> = shaped
            .problems
            .iter()
            .map(|p| (p.key.as_str(), p.kind))
            .collect();
        for expected in [
            ("server.listen", Kind::Invalid),
            ("server.reject_delay_mss", Kind::Unknown),
            ("okta.request_timout_ms", Kind::Unknown),
            ("clients[0].deadline_ms", Kind::Invalid),
        ] {
            assert!(keys.contains(&expected), "{expected:?} in {keys:?}");
        }
        let typo = shaped
            .problems
            .iter()
            .find(|p| p.key == "okta.request_timout_ms")
            .expect("found");
        assert!(
            typo.message.contains("did you mean `request_timeout_ms`"),
            "{}",
            typo.message
        );
        let listen = shaped
            .problems
            .iter()
            .find(|p| p.key == "server.listen")
            .expect("found");
        assert_eq!(
            listen.message,
            "must be a list: `listen = [\"127.0.0.1:1812\"]`"
        );
        // Mended with a warning, never echoing the secret.
        let warned: Vec<&str> = shaped.warnings.iter().map(|(k, _)| k.as_str()).collect();
        assert!(warned.contains(&"users.lowercase"), "{warned:?}");
        assert!(warned.contains(&"clients[0].secret"), "{warned:?}");
        for (_, text) in &shaped.warnings {
            assert!(!text.contains("1234567890123456"), "{text}");
        }
    }
}
