//! `OKTA_RADIUS__SECTION__KEY` environment variables, written over the
//! parsed file before its shape is checked. Nested tables take more
//! segments (`OKTA_RADIUS__OKTA__DIRECT__CLIENT_ID`); the client list takes
//! a client's index or its name (`OKTA_RADIUS__CLIENTS__0__SECRET` or
//! `OKTA_RADIUS__CLIENTS__VPN_ASA__SECRET`, a `-` in the name written as
//! `_`). Each key set this way remembers its variable, so a problem with it
//! names the variable rather than a line of the file.

use super::tree::{self, Step};
use std::collections::HashMap;
use toml::{Table, Value};

/// Prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "OKTA_RADIUS";

/// Keys whose value is a list even where the file does not set them: a
/// variable gives their items separated by commas.
const LIST_KEYS: &[&str] = &[
    "server.listen",
    "server.dictionaries",
    "server.tls_listen",
    "server.tcp_listen",
];

/// What the environment changed.
#[derive(Debug, Default)]
pub(super) struct Overrides {
    /// Key path → the variable that set it.
    pub origins: HashMap<String, String>,
    /// Variables that name no place in the config: (variable, why).
    pub problems: Vec<(String, String)>,
}

/// Applies every `OKTA_RADIUS__*` variable of `vars` to `table`.
pub(super) fn apply(
    table: &mut Table,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Overrides {
    let prefix = format!("{ENV_PREFIX}__");
    let mut vars: Vec<(String, String)> = vars
        .into_iter()
        .filter(|(name, _)| name.to_ascii_uppercase().starts_with(&prefix))
        .collect();
    vars.sort();
    let mut overrides = Overrides::default();
    for (name, raw) in vars {
        let segments: Vec<String> = name[prefix.len()..]
            .split("__")
            .map(str::to_ascii_lowercase)
            .collect();
        if segments.iter().any(String::is_empty) {
            overrides.problems.push((
                name,
                "names no key: write OKTA_RADIUS__SECTION__KEY, segments separated by two underscores".to_owned(),
            ));
            continue;
        }
        let mut path = Vec::new();
        match set(table, &segments, &raw, &mut path) {
            Ok(()) => {
                overrides.origins.insert(tree::display(&path), name);
            }
            Err(why) => overrides.problems.push((name, why)),
        }
    }
    overrides
}

fn set(
    table: &mut Table,
    segments: &[String],
    raw: &str,
    path: &mut Vec<Step>,
) -> Result<(), String> {
    let Some((segment, rest)) = segments.split_first() else {
        return Err("names no key".to_owned());
    };
    path.push(Step::Key(segment.clone()));
    if rest.is_empty() {
        let list = LIST_KEYS.contains(&tree::display(path).as_str());
        let value = parse(raw, table.get(segment), list);
        table.insert(segment.clone(), value);
        return Ok(());
    }
    let entry = table
        .entry(segment.clone())
        .or_insert_with(|| Value::Table(Table::new()));
    match entry {
        Value::Table(inner) => set(inner, rest, raw, path),
        Value::Array(items) => {
            let (selector, rest) = rest.split_first().ok_or("names no key")?;
            let index = select(items, selector).ok_or_else(|| {
                format!(
                    "`{}` has no entry `{selector}`: name one by its index (0 for the first) or by its `name`",
                    tree::display(path)
                )
            })?;
            path.push(Step::Index(index));
            match items.get_mut(index) {
                Some(Value::Table(inner)) if !rest.is_empty() => set(inner, rest, raw, path),
                _ => Err(format!("`{}` is not a table of keys", tree::display(path))),
            }
        }
        _ => Err(format!(
            "`{}` is a value, not a table: drop the segments after it",
            tree::display(path)
        )),
    }
}

/// An entry of a list by index or by its `name` (`-` written as `_`).
fn select(items: &[Value], selector: &str) -> Option<usize> {
    if let Ok(index) = selector.parse::<usize>() {
        return (index < items.len()).then_some(index);
    }
    items.iter().position(|item| {
        item.get("name")
            .and_then(Value::as_str)
            .is_some_and(|name| name.to_ascii_lowercase().replace('-', "_") == selector)
    })
}

/// A variable's text as the value the key holds: of the type the file
/// gives it, a list for list keys, otherwise a boolean, a number or text.
fn parse(raw: &str, existing: Option<&Value>, list: bool) -> Value {
    if list || matches!(existing, Some(Value::Array(_))) {
        return Value::Array(
            raw.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| scalar(item, None))
                .collect(),
        );
    }
    scalar(raw, existing)
}

fn scalar(raw: &str, existing: Option<&Value>) -> Value {
    match existing {
        Some(Value::String(_)) => Value::String(raw.to_owned()),
        _ => match raw {
            "true" => Value::Boolean(true),
            "false" => Value::Boolean(false),
            _ => match raw.parse::<i64>() {
                Ok(number) => Value::Integer(number),
                Err(_) => Value::String(raw.to_owned()),
            },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn clients_are_overridden_by_index_or_by_name() {
        let mut table: Table =
            "[[clients]]\nname = \"vpn-asa\"\nsecret_env = \"X\"\n[[clients]]\nname = \"wlc\"\n"
                .parse()
                .expect("toml");
        let overrides = apply(
            &mut table,
            vars(&[
                ("OKTA_RADIUS__CLIENTS__0__DEADLINE_MS", "3000"),
                ("OKTA_RADIUS__CLIENTS__WLC__SECRET", "0123456789abcdef"),
                ("OKTA_RADIUS__CLIENTS__VPN_ASA__POLICY", "vpn"),
                ("OKTA_RADIUS__CLIENTS__7__SECRET", "x"),
                (
                    "OKTA_RADIUS__SERVER__LISTEN",
                    "127.0.0.1:1812, 127.0.0.2:1812",
                ),
                ("UNRELATED", "1"),
            ]),
        );
        let clients = table["clients"].as_array().expect("list");
        assert_eq!(clients[0]["deadline_ms"].as_integer(), Some(3000));
        assert_eq!(clients[0]["policy"].as_str(), Some("vpn"));
        assert_eq!(clients[1]["secret"].as_str(), Some("0123456789abcdef"));
        assert_eq!(table["server"]["listen"].as_array().map(Vec::len), Some(2));
        assert_eq!(
            overrides
                .origins
                .get("clients[1].secret")
                .map(String::as_str),
            Some("OKTA_RADIUS__CLIENTS__WLC__SECRET")
        );
        assert_eq!(overrides.problems.len(), 1, "{:?}", overrides.problems);
        assert_eq!(overrides.problems[0].0, "OKTA_RADIUS__CLIENTS__7__SECRET");
    }
}
