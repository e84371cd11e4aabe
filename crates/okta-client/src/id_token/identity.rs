//! Who an ID token names, once every check passed: Okta's user id (`sub`),
//! the login (`preferred_username`, with the `profile` scope), the name
//! claims a policy may put in reply attributes, and the groups when the app
//! sends them in a claim.

use serde_json::{Map, Value};

/// The identity in an ID token that passed every check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedIdentity {
    /// Okta's user id (`00u...`).
    pub subject: String,
    /// `preferred_username`: the Okta login.
    pub login: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub email: Option<String>,
    /// The groups claim, when one is configured and the token carries it.
    pub groups: Option<Vec<String>>,
}

impl VerifiedIdentity {
    /// Reads the identity from checked claims; `None` without a `sub`.
    pub(crate) fn from_claims(
        claims: &Map<String, Value>,
        groups_claim: Option<&str>,
    ) -> Option<VerifiedIdentity> {
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        let subject = text("sub").filter(|sub| !sub.is_empty())?;
        let groups = groups_claim.and_then(|name| match claims.get(name)? {
            Value::Array(values) => Some(
                values
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_owned)
                    .collect(),
            ),
            Value::String(one) => Some(vec![one.clone()]),
            _ => None,
        });
        Some(VerifiedIdentity {
            subject,
            login: text("preferred_username"),
            given_name: text("given_name"),
            family_name: text("family_name"),
            email: text("email"),
            groups,
        })
    }
}
