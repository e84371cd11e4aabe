//! Authorisation after Okta said yes: the user's Okta groups decide whether
//! this client may let them in, and which reply attributes (Class, a Cisco
//! AV-pair, a Fortinet group...) select their VPN policy or privilege level.
//!
//! Policies are compiled against the dictionaries once at start-up, so a
//! misspelt attribute is a config error, not a surprise at the first login.

use super::next::Named;
use crate::config::{Policy, ReplyRule};
use radius_proto::attribute::{Attribute, encode_vendor_specific};
use radius_proto::dictionary::{AttributeDef, Dictionary, Encryption};

/// A reply rule with its attribute resolved.
#[derive(Debug, Clone)]
struct CompiledRule {
    rule: ReplyRule,
    def: AttributeDef,
}

/// A policy ready to apply.
#[derive(Debug, Clone)]
pub struct CompiledPolicy {
    name: String,
    require_groups: Vec<String>,
    rules: Vec<CompiledRule>,
    needs_groups: bool,
}

/// What a policy may fill into templates.
pub(super) struct Subject<'a> {
    /// The Okta login.
    pub(super) login: &'a str,
    /// The User-Name as typed at the NAS.
    pub(super) user_name: &'a str,
    /// Who Okta said the user is (`{profile.firstName}`, ...).
    pub(super) user: &'a Named,
}

/// The outcome of applying a policy.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Authorization {
    Allowed(Vec<Attribute>),
    /// The user is in none of the required groups.
    NotInGroup,
}

/// Whether `name` matches `pattern`, where `*` matches any run of
/// characters. Group names compare case-insensitively, as Okta's do.
pub(super) fn group_matches(pattern: &str, name: &str) -> bool {
    let pattern = pattern.to_lowercase();
    let name = name.to_lowercase();
    let parts: Vec<&str> = pattern.split('*').collect();
    if parts.len() == 1 {
        return pattern == name;
    }
    let mut rest = name.as_str();
    for (i, part) in parts.iter().enumerate() {
        if i == 0 {
            match rest.strip_prefix(part) {
                Some(after) => rest = after,
                None => return false,
            }
        } else if i == parts.len() - 1 {
            return rest.ends_with(part);
        } else {
            match rest.find(part) {
                Some(at) => rest = &rest[at + part.len()..],
                None => return false,
            }
        }
    }
    true
}

fn render(template: &str, subject: &Subject<'_>, group: Option<&str>) -> String {
    let mut out = template
        .replace("{login}", subject.login)
        .replace("{user_name}", subject.user_name);
    if let Some(group) = group {
        out = out.replace("{group}", group);
    }
    while let Some(start) = out.find("{profile.") {
        let Some(end) = out[start..].find('}') else {
            break;
        };
        let field = &out[start + 9..start + end];
        let value = subject.user.profile_field(field).unwrap_or_default();
        out.replace_range(start..start + end + 1, value);
    }
    out
}

impl CompiledPolicy {
    /// Resolves the policy's attributes. Errors name the config key.
    pub(super) fn compile(
        policy: &Policy,
        dictionary: &Dictionary,
    ) -> Result<CompiledPolicy, Vec<(String, String)>> {
        let mut problems = Vec::new();
        let mut rules = Vec::new();
        for (i, rule) in policy.reply.iter().enumerate() {
            let key = format!("policies.{}.reply[{i}].attribute", policy.name);
            let Some(def) = dictionary.attribute_by_name(&rule.attribute) else {
                problems.push((key, format!("`{}` is not in the dictionaries (add a dictionary with server.dictionaries if it is a vendor attribute we do not ship)", rule.attribute)));
                continue;
            };
            let nested = !def.parents.is_empty() || def.evs.is_some();
            let vendor_format_ok = def.vendor == 0
                || dictionary
                    .vendor(def.vendor)
                    .is_some_and(|vendor| vendor.type_size == 1 && vendor.length_size == 1);
            if nested || !vendor_format_ok || def.code > 255 {
                problems.push((key, format!("`{}` cannot be sent in a reply by okta-radius (only plain and standard-format vendor attributes)", rule.attribute)));
                continue;
            }
            if def.encrypt != Encryption::None || def.has_tag {
                problems.push((
                    key,
                    format!(
                        "`{}` needs encryption or a tag, which reply rules do not support",
                        rule.attribute
                    ),
                ));
                continue;
            }
            // A value without placeholders can be checked now.
            if !rule.value.contains('{')
                && let Err(error) = dictionary.encode_value(def, &rule.value)
            {
                problems.push((
                    format!("policies.{}.reply[{i}].value", policy.name),
                    format!("not a valid {} value: {error}", def.data_type.name()),
                ));
                continue;
            }
            rules.push(CompiledRule {
                rule: rule.clone(),
                def: def.clone(),
            });
        }
        if problems.is_empty() {
            Ok(CompiledPolicy {
                name: policy.name.clone(),
                require_groups: policy.require_groups.clone(),
                rules,
                needs_groups: policy.needs_groups(),
            })
        } else {
            Err(problems)
        }
    }

    /// Whether applying the policy needs the user's groups.
    pub(super) fn needs_groups(&self) -> bool {
        self.needs_groups
    }

    /// Applies the policy to a user with these groups.
    pub(super) fn apply(
        &self,
        dictionary: &Dictionary,
        subject: &Subject<'_>,
        groups: &[String],
    ) -> Authorization {
        if !self.require_groups.is_empty() {
            let admitted = groups.iter().find_map(|group| {
                self.require_groups
                    .iter()
                    .find(|pattern| group_matches(pattern, group))
                    .map(|pattern| (pattern, group))
            });
            match admitted {
                Some((pattern, group)) => tracing::debug!(
                    policy = %self.name,
                    %pattern,
                    %group,
                    "require_groups: the user is in a required group"
                ),
                None => {
                    tracing::debug!(
                        policy = %self.name,
                        require_groups = ?self.require_groups,
                        "require_groups: the user is in none of these groups"
                    );
                    return Authorization::NotInGroup;
                }
            }
        }
        let mut attributes = Vec::new();
        for compiled in &self.rules {
            let rule = &compiled.rule;
            let values: Vec<String> = match &rule.when_group {
                None => vec![render(&rule.value, subject, None)],
                Some(pattern) => {
                    let matching: Vec<&String> = groups
                        .iter()
                        .filter(|g| group_matches(pattern, g))
                        .collect();
                    if rule.value.contains("{group}") {
                        matching
                            .iter()
                            .map(|g| render(&rule.value, subject, Some(g)))
                            .collect()
                    } else if matching.is_empty() {
                        Vec::new()
                    } else {
                        vec![render(&rule.value, subject, None)]
                    }
                }
            };
            tracing::debug!(
                policy = %self.name,
                attribute = %compiled.def.name,
                when_group = rule.when_group.as_deref().unwrap_or("(always)"),
                values = values.len(),
                "reply rule"
            );
            for value in values {
                match encode(dictionary, &compiled.def, &value) {
                    Some(attribute) => attributes.push(attribute),
                    None => tracing::warn!(
                        policy = %self.name,
                        attribute = %compiled.def.name,
                        "a reply rule produced a value the attribute cannot hold; it was left out"
                    ),
                }
            }
        }
        Authorization::Allowed(attributes)
    }
}

fn encode(dictionary: &Dictionary, def: &AttributeDef, text: &str) -> Option<Attribute> {
    let value = dictionary.encode_value(def, text).ok()?;
    let code = u8::try_from(def.code).ok()?;
    if def.vendor == 0 {
        return Some(Attribute::new(code, value));
    }
    encode_vendor_specific(def.vendor, code, &value)
        .ok()
        .map(|vsa| Attribute::new(radius_proto::attribute::types::VENDOR_SPECIFIC, vsa))
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::{decode_vendor_specific, types};

    fn policy(require: &[&str], rules: &[(Option<&str>, &str, &str)]) -> Policy {
        Policy {
            name: "vpn".to_owned(),
            require_groups: require.iter().map(|s| (*s).to_owned()).collect(),
            reply: rules
                .iter()
                .map(|(when, attribute, value)| ReplyRule {
                    when_group: when.map(str::to_owned),
                    attribute: (*attribute).to_owned(),
                    value: (*value).to_owned(),
                })
                .collect(),
        }
    }

    fn groups(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn patterns() {
        assert!(group_matches("vpn-*", "VPN-Staff"));
        assert!(group_matches("*-admins", "net-admins"));
        assert!(group_matches("a*b*c", "axxbyyc"));
        assert!(!group_matches("vpn-*", "staff"));
        assert!(group_matches("net-admins", "Net-Admins"));
        assert!(!group_matches("net-admins", "net-admins-2"));
    }

    #[test]
    fn groups_drive_attributes() {
        let dictionary = Dictionary::builtin().expect("builtin");
        let compiled = CompiledPolicy::compile(
            &policy(
                &["vpn-*", "net-admins"],
                &[
                    (Some("vpn-*"), "Class", "OU={group};"),
                    (Some("net-admins"), "Cisco-AVPair", "shell:priv-lvl=15"),
                    (Some("net-admins"), "Service-Type", "Administrative-User"),
                    (None, "Reply-Message", "Welcome, {profile.firstName}"),
                ],
            ),
            &dictionary,
        )
        .expect("compiles");
        let user = Named::Authn(okta_api::authn::AuthnUser::new(
            "00u1",
            [Some("bob@example.com"), Some("Bob"), None, None, None],
        ));
        let subject = Subject {
            login: "bob@example.com",
            user_name: "bob",
            user: &user,
        };
        let Authorization::Allowed(attributes) = compiled.apply(
            &dictionary,
            &subject,
            &groups(&["vpn-staff", "vpn-admins", "net-admins"]),
        ) else {
            panic!("allowed");
        };
        let classes: Vec<&[u8]> = attributes
            .iter()
            .filter(|a| a.typ == types::CLASS)
            .map(|a| &a.value[..])
            .collect();
        assert_eq!(classes, vec![&b"OU=vpn-staff;"[..], b"OU=vpn-admins;"]);
        let vsa = attributes
            .iter()
            .find(|a| a.typ == types::VENDOR_SPECIFIC)
            .expect("AV-pair");
        let subs = decode_vendor_specific(&vsa.value).expect("valid");
        assert_eq!((subs[0].vendor_id, subs[0].vendor_type), (9, 1));
        assert_eq!(subs[0].value, b"shell:priv-lvl=15");
        let service = attributes
            .iter()
            .find(|a| a.typ == types::SERVICE_TYPE)
            .expect("service type");
        assert_eq!(service.value, 6u32.to_be_bytes());
        assert!(
            attributes
                .iter()
                .any(|a| a.typ == types::REPLY_MESSAGE && a.value == b"Welcome, Bob")
        );

        assert_eq!(
            compiled.apply(&dictionary, &subject, &groups(&["staff"])),
            Authorization::NotInGroup
        );
    }

    #[test]
    fn templates_read_a_looked_up_profile_and_leave_unknown_fields_empty() {
        let dictionary = Dictionary::builtin().expect("builtin");
        let compiled = CompiledPolicy::compile(
            &policy(
                &[],
                &[(
                    None,
                    "Reply-Message",
                    "{profile.firstName} <{profile.email}> {profile.nickName}!",
                )],
            ),
            &dictionary,
        )
        .expect("compiles");
        let user = Named::Listed {
            id: "00u2".into(),
            profile: super::super::next::Profile::from([
                ("firstName".into(), "Dana".to_owned()),
                ("email".into(), "dana@example.com".to_owned()),
            ]),
        };
        let subject = Subject {
            login: "dana@example.com",
            user_name: "dana",
            user: &user,
        };
        let Authorization::Allowed(attributes) = compiled.apply(&dictionary, &subject, &[]) else {
            panic!("allowed");
        };
        assert_eq!(attributes[0].value, b"Dana <dana@example.com> !");
        assert_eq!(user.id(), Some("00u2"));
        assert_eq!(Named::Nobody.profile_field("firstName"), None);
    }

    #[test]
    fn bad_attributes_are_config_errors() {
        let dictionary = Dictionary::builtin().expect("builtin");
        let errors = CompiledPolicy::compile(
            &policy(
                &[],
                &[
                    (None, "No-Such-Attribute", "x"),
                    (None, "Service-Type", "Not-A-Value"),
                    (None, "User-Password", "x"),
                ],
            ),
            &dictionary,
        )
        .expect_err("invalid");
        let keys: Vec<&str> = errors.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(
            keys,
            vec![
                "policies.vpn.reply[0].attribute",
                "policies.vpn.reply[1].value",
                "policies.vpn.reply[2].attribute"
            ]
        );
    }
}
