//! Where each key of a config file is written. A problem found later (by
//! serde or by validation) names a key path such as `clients[0].secret`;
//! this maps it to the line an operator must edit. Also the file's TOML
//! syntax errors, every one with its line, without the text of the line
//! (which may hold a secret).

use std::collections::HashMap;
use toml::de::{DeTable, DeValue};

/// The line (1-based) of every key path in a file.
#[derive(Debug, Default)]
pub(super) struct KeyLines {
    lines: HashMap<String, usize>,
}

/// One TOML syntax error: its line and the parser's reason.
#[derive(Debug)]
pub(super) struct SyntaxError {
    pub line: Option<usize>,
    pub message: String,
}

impl KeyLines {
    /// Reads every key's position, or every syntax error of the file.
    pub(super) fn parse(text: &str) -> Result<KeyLines, Vec<SyntaxError>> {
        let (document, errors) = DeTable::parse_recoverable(text);
        if !errors.is_empty() {
            let mut errors: Vec<SyntaxError> = errors
                .into_iter()
                .map(|error| SyntaxError {
                    line: error.span().map(|span| line_of(text, span.start)),
                    message: error.message().trim().to_owned(),
                })
                .collect();
            errors.sort_by_key(|error| error.line);
            return Err(errors);
        }
        let mut lines = HashMap::new();
        walk_table(text, "", document.get_ref(), &mut lines);
        Ok(KeyLines { lines })
    }

    /// The line of `key`, or of the nearest enclosing key that is written
    /// (a problem with a missing key points at its table).
    pub(super) fn line(&self, key: &str) -> Option<usize> {
        let mut key = key;
        loop {
            if let Some(line) = self.lines.get(key) {
                return Some(*line);
            }
            let cut = key.rfind(['.', '['])?;
            key = &key[..cut];
        }
    }
}

fn walk_table(text: &str, prefix: &str, table: &DeTable<'_>, lines: &mut HashMap<String, usize>) {
    for (key, value) in table.iter() {
        let path = if prefix.is_empty() {
            key.get_ref().to_string()
        } else {
            format!("{prefix}.{}", key.get_ref())
        };
        lines.insert(path.clone(), line_of(text, key.span().start));
        walk_value(text, &path, value.get_ref(), lines);
    }
}

fn walk_value(text: &str, path: &str, value: &DeValue<'_>, lines: &mut HashMap<String, usize>) {
    match value {
        DeValue::Table(table) => walk_table(text, path, table, lines),
        DeValue::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let item_path = format!("{path}[{i}]");
                lines.insert(item_path.clone(), line_of(text, item.span().start));
                walk_value(text, &item_path, item.get_ref(), lines);
            }
        }
        _ => {}
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(text: &str, offset: usize) -> usize {
    let end = offset.min(text.len());
    text.as_bytes()[..end]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_of_tables_and_arrays_of_tables_have_their_lines() {
        let text = "[server]\nlisten = [\"127.0.0.1:1812\"]\n\n[[clients]]\nname = \"a\"\n\n[[clients]]\nname = \"b\"\nsecret = \"x\"\n";
        let lines = KeyLines::parse(text).expect("parses");
        assert_eq!(lines.line("server.listen"), Some(2));
        assert_eq!(lines.line("clients[1].secret"), Some(9));
        assert_eq!(lines.line("clients[0].name"), Some(5));
        // A key that is not written points at its table.
        assert_eq!(lines.line("clients[1].deadline_ms"), Some(7));
    }

    #[test]
    fn syntax_errors_give_lines_and_never_the_line_itself() {
        let text = "[okta]\napi_token = \"00-super-secret\nother = 1\n[server\n";
        let errors = KeyLines::parse(text).expect_err("is not TOML");
        assert!(!errors.is_empty());
        assert_eq!(errors[0].line, Some(2), "{errors:?}");
        for error in &errors {
            assert!(!error.message.contains("super-secret"), "{errors:?}");
        }
    }
}
