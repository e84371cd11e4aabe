//! Reading a config: the TOML file, then `OKTA_RADIUS__SECTION__KEY`
//! overrides from the environment, into the file's shape
//! ([`super::file`]), then [`super::validate`]. Parse errors name their key
//! and never quote a value (it could be a secret).

use super::file::ConfigFile;
use super::model::Config;
use super::problem::ConfigErrors;
use super::validate::validate;
use std::collections::HashMap;
use std::path::Path;

/// Prefix of environment variables that override config keys.
pub const ENV_PREFIX: &str = "OKTA_RADIUS";

impl Config {
    /// Loads a config file with overrides from the process environment.
    pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
        let text = std::fs::read_to_string(path).map_err(|e| {
            ConfigErrors::one("--config", format!("cannot read {}: {e}", path.display()))
        })?;
        Config::from_toml(&text, None)
    }

    /// Parses config text. `env` replaces the process environment for the
    /// `OKTA_RADIUS__*` overrides (tests pass their own map).
    pub fn from_toml(
        text: &str,
        env: Option<HashMap<String, String>>,
    ) -> Result<Config, ConfigErrors> {
        let environment = config::Environment::with_prefix(ENV_PREFIX)
            .prefix_separator("__")
            .separator("__")
            .list_separator(",")
            .with_list_parse_key("server.listen")
            .with_list_parse_key("server.dictionaries")
            .with_list_parse_key("server.tls_listen")
            .with_list_parse_key("server.tcp_listen")
            .try_parsing(true)
            .source(env);
        let raw: ConfigFile = config::Config::builder()
            .add_source(config::File::from_str(text, config::FileFormat::Toml))
            .add_source(environment)
            .build()
            .and_then(config::Config::try_deserialize)
            .map_err(|e| ConfigErrors::one(&error_key(&e), sanitize_parse_error(&e)))?;
        validate(raw)
    }
}

/// The key a parse error concerns, when the `config` crate names one.
fn error_key(error: &config::ConfigError) -> String {
    let text = error.to_string();
    // The crate reports "... for key `server.listen` ..." where it knows.
    if let Some(start) = text.find("for key `") {
        let rest = &text[start + 9..];
        if let Some(end) = rest.find('`') {
            return rest[..end].to_owned();
        }
    }
    if let Some(start) = text.find("unknown field `") {
        let rest = &text[start + 15..];
        if let Some(end) = rest.find('`') {
            return rest[..end].to_owned();
        }
    }
    "config".to_owned()
}

/// Parse errors quote the offending TOML; that could be a secret, so only the
/// crate's description of the problem is kept, never a quoted value.
fn sanitize_parse_error(error: &config::ConfigError) -> String {
    let text = error.to_string();
    let text = if text.contains("unknown field") {
        format!("{text} (check the spelling against config/okta-radius.toml)")
    } else {
        text
    };
    // Quoted values appear as "..." in TOML syntax errors.
    let mut out = String::with_capacity(text.len());
    let mut in_quote = false;
    for ch in text.chars() {
        if ch == '"' {
            if !in_quote {
                out.push_str("\"…");
            }
            in_quote = !in_quote;
            if !in_quote {
                out.push('"');
            }
            continue;
        }
        if !in_quote {
            out.push(ch);
        }
    }
    out
}
