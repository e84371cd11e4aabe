//! Turning what a user typed at the NAS into the login Okta knows.
//!
//! VPN clients send `EXAMPLE\alice`, `alice` or `alice@example.com`, and Okta
//! matches only the full login. The rules are the operator's (see `[users]`
//! in the config); they run before every call to Okta.

use crate::config::UserNameRules;

/// Applies the rules: strip a `DOMAIN\` prefix, lower-case, then append the
/// default domain when there is no `@` (the accounting path applies the
/// same rules to a record's User-Name).
pub(super) fn normalize(typed: &str, rules: &UserNameRules) -> String {
    rules.okta_login(typed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(strip: bool, domain: Option<&str>, lowercase: bool) -> UserNameRules {
        UserNameRules {
            strip_domain_prefix: strip,
            default_domain: domain.map(str::to_owned),
            lowercase,
        }
    }

    #[test]
    fn strips_domain_prefix_and_appends_default_domain() {
        let r = rules(true, Some("example.com"), false);
        assert_eq!(normalize("EXAMPLE\\alice", &r), "alice@example.com");
        assert_eq!(normalize("alice", &r), "alice@example.com");
        assert_eq!(normalize("alice@corp.example", &r), "alice@corp.example");
        assert_eq!(normalize(" alice ", &r), "alice@example.com");
    }

    #[test]
    fn leaves_names_alone_without_rules() {
        let r = rules(false, None, false);
        assert_eq!(normalize("EXAMPLE\\Alice", &r), "EXAMPLE\\Alice");
        assert_eq!(normalize("a+b/c@example.com", &r), "a+b/c@example.com");
    }

    #[test]
    fn trailing_backslash_keeps_the_name() {
        let r = rules(true, None, true);
        assert_eq!(normalize("ALICE\\", &r), "alice\\");
        assert_eq!(normalize("EXAMPLE\\ALICE", &r), "alice");
    }
}
