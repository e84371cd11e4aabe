//! What `log.level` (and `RUST_LOG`) may say. `tracing`'s filter syntax
//! reads a bare word as a target name, so a misspelt level such as "infoo"
//! parses and switches every other line off, audit lines included. Here a
//! bare word must be a level name; a target takes its level after `=`.

use tracing_subscriber::EnvFilter;
use tracing_subscriber::filter::{Directive, LevelFilter};

/// The level names a filter may hold on their own.
pub const LEVEL_NAMES: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];

/// What an operator is told when a level is refused.
const VALID_LEVELS: &str = "use trace, debug, info, warn, error or off, or a tracing filter that gives each target its level, such as \"info,okta_radius=debug\"";

/// Reads a log level: a level name, or comma-separated `tracing`
/// directives in which every bare word is a level name
/// (`"info,okta_radius::audit=off"`). The error says what is wrong and what
/// to write instead.
pub fn parse_filter(text: &str) -> Result<EnvFilter, String> {
    let directives: Vec<&str> = text
        .split(',')
        .map(str::trim)
        .filter(|d| !d.is_empty())
        .collect();
    if directives.is_empty() {
        return Err(format!("no level given: {VALID_LEVELS}"));
    }
    for directive in directives {
        let names_a_target = directive.contains('=') || directive.contains('[');
        if !names_a_target {
            if directive.parse::<LevelFilter>().is_err()
                || directive.chars().any(|c| c.is_ascii_digit())
            {
                return Err(format!("`{directive}` is not a log level: {VALID_LEVELS}"));
            }
        } else if directive.parse::<Directive>().is_err() {
            return Err(format!("`{directive}` is not a log filter: {VALID_LEVELS}"));
        }
    }
    EnvFilter::try_new(text).map_err(|error| format!("`{text}`: {error}; {VALID_LEVELS}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level_names_and_target_filters_are_levels() {
        for good in [
            "info",
            "INFO",
            "off",
            " warn ",
            "info,okta_radius=debug",
            "warn,okta_radius::audit=info",
            "okta_radius=trace",
        ] {
            assert!(parse_filter(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn a_bare_word_that_is_no_level_is_refused() {
        for bad in [
            "infoo",
            "",
            " , ",
            "info,okta_radius",
            "okta_radius=loud",
            "3",
        ] {
            let problem = parse_filter(bad).err().unwrap_or_default();
            assert!(
                LEVEL_NAMES.iter().all(|name| problem.contains(name)),
                "{bad}: {problem}"
            );
        }
    }
}
