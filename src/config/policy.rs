//! Authorisation policies as written in the config: which Okta groups a
//! user must belong to, and which reply attributes their groups produce.
//! Attribute names are checked against the dictionaries when the server
//! starts (see `crate::auth::policy`), not here.

use super::file::PolicySection;

/// One rule: when the user is in a matching group (or always), add an attribute.
#[derive(Debug, Clone)]
pub struct ReplyRule {
    /// A group name, or a pattern with `*` wildcards; `None`: always.
    pub when_group: Option<String>,
    /// The attribute name, as in the dictionaries.
    pub attribute: String,
    /// The value template: `{group}`, `{login}`, `{user_name}` and
    /// `{profile.FIELD}` are filled in.
    pub value: String,
}

/// A named policy.
#[derive(Debug, Clone)]
pub struct Policy {
    pub name: String,
    /// The user must be in at least one of these groups (empty: no requirement).
    pub require_groups: Vec<String>,
    pub reply: Vec<ReplyRule>,
}

impl Policy {
    /// Whether applying the policy needs the user's groups from Okta.
    pub fn needs_groups(&self) -> bool {
        !self.require_groups.is_empty() || self.reply.iter().any(|rule| rule.when_group.is_some())
    }
}

/// Validates one `[policies.NAME]` table.
pub fn validate(
    name: &str,
    section: &PolicySection,
    problems: &mut Vec<(String, String)>,
) -> Policy {
    let mut reply = Vec::new();
    for (i, rule) in section.reply.iter().enumerate() {
        let key = |field: &str| format!("policies.{name}.reply[{i}].{field}");
        let attribute = rule.attribute.clone().unwrap_or_default();
        if attribute.is_empty() {
            problems.push((
                key("attribute"),
                "name the attribute to add, e.g. \"Class\" or \"Cisco-AVPair\"".to_owned(),
            ));
        }
        let Some(value) = rule.value.clone() else {
            problems.push((
                key("value"),
                "give the value to send, e.g. \"OU={group};\"".to_owned(),
            ));
            continue;
        };
        if let Some(pattern) = &rule.when_group
            && pattern.is_empty()
        {
            problems.push((
                key("when_group"),
                "give a group name or pattern such as \"vpn-*\", or leave the key out".to_owned(),
            ));
        }
        if value.contains("{group}") && rule.when_group.is_none() {
            problems.push((
                key("value"),
                "{group} needs a when_group pattern to say which groups".to_owned(),
            ));
        }
        reply.push(ReplyRule {
            when_group: rule.when_group.clone(),
            attribute,
            value,
        });
    }
    for (i, group) in section.require_groups.iter().enumerate() {
        if group.is_empty() {
            problems.push((
                format!("policies.{name}.require_groups[{i}]"),
                "empty group name".to_owned(),
            ));
        }
    }
    Policy {
        name: name.to_owned(),
        require_groups: section.require_groups.clone(),
        reply,
    }
}
