//! A place in the parsed config file: a key path such as
//! `clients[0].secret`, and reading, replacing or removing the value there.
//! The environment overrides write through it and the shape check prunes
//! and mends through it.

use toml::{Table, Value};

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Step {
    Key(String),
    Index(usize),
}

/// A key path, written as the operator reads it: `clients[0].secret`.
pub(super) fn display(path: &[Step]) -> String {
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(key) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The value at `path`, if there is one.
pub(super) fn get<'a>(table: &'a Table, path: &[Step]) -> Option<&'a Value> {
    let (first, rest) = path.split_first()?;
    let Step::Key(key) = first else { return None };
    let mut value = table.get(key)?;
    for step in rest {
        value = match (step, value) {
            (Step::Key(key), Value::Table(table)) => table.get(key)?,
            (Step::Index(i), Value::Array(items)) => items.get(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// The value at `path` for writing; `None` where the path does not exist.
pub(super) fn get_mut<'a>(table: &'a mut Table, path: &[Step]) -> Option<&'a mut Value> {
    let (first, rest) = path.split_first()?;
    let Step::Key(key) = first else { return None };
    let mut value = table.get_mut(key)?;
    for step in rest {
        value = match (step, value) {
            (Step::Key(key), Value::Table(table)) => table.get_mut(key)?,
            (Step::Index(i), Value::Array(items)) => items.get_mut(*i)?,
            _ => return None,
        };
    }
    Some(value)
}

/// Removes the value at `path`; true when there was one.
pub(super) fn remove(table: &mut Table, path: &[Step]) -> bool {
    let Some((last, parent)) = path.split_last() else {
        return false;
    };
    let container = if parent.is_empty() {
        None
    } else {
        match get_mut(table, parent) {
            Some(value) => Some(value),
            None => return false,
        }
    };
    match (last, container) {
        (Step::Key(key), None) => table.remove(key).is_some(),
        (Step::Key(key), Some(Value::Table(inner))) => inner.remove(key).is_some(),
        (Step::Index(i), Some(Value::Array(items))) if *i < items.len() => {
            items.remove(*i);
            true
        }
        _ => false,
    }
}

/// How a value is spoken of in a message: "a string", "a list"...
pub(super) fn kind(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "a string",
        Value::Integer(_) => "a number",
        Value::Float(_) => "a decimal number",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a date",
        Value::Array(_) => "a list",
        Value::Table(_) => "a table",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_read_write_and_remove_through_tables_and_arrays() {
        let mut table: Table =
            "[[clients]]\nname = \"a\"\nsecret = \"x\"\n[server]\nlisten = [\"a\", \"b\"]\n"
                .parse()
                .expect("toml");
        let secret = [
            Step::Key("clients".into()),
            Step::Index(0),
            Step::Key("secret".into()),
        ];
        assert_eq!(display(&secret), "clients[0].secret");
        assert_eq!(get(&table, &secret).and_then(Value::as_str), Some("x"));
        assert!(remove(&mut table, &secret));
        assert!(get(&table, &secret).is_none());
        let second = [
            Step::Key("server".into()),
            Step::Key("listen".into()),
            Step::Index(1),
        ];
        assert!(remove(&mut table, &second));
        assert_eq!(
            get(&table, &second[..2])
                .and_then(Value::as_array)
                .map(Vec::len),
            Some(1)
        );
        assert!(!remove(&mut table, &[Step::Key("nothing".into())]));
    }
}
