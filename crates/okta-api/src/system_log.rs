//! The System Log (`GET /api/v1/logs`) on the wire, as far as the bridge
//! reads it: an event's id, when it was published, its type, and its
//! targets (the user, and for a membership change the group). Unknown
//! fields are ignored; an event type the bridge does not follow is kept
//! as text.
//!
//! A request with `since` and no `until` is a polling request: its answer
//! always carries `Link: <...>; rel="next"`, and following that link later
//! returns the events persisted since, in order. The `after` cursor inside
//! the link is Okta's; a client keeps the whole link, never builds one.

use serde::{Deserialize, Serialize};

/// The event types that can end a user's VPN sessions.
pub mod event_types {
    /// An admin (or a workflow) deactivated the user.
    pub const USER_DEACTIVATE: &str = "user.lifecycle.deactivate";
    /// The user was suspended.
    pub const USER_SUSPEND: &str = "user.lifecycle.suspend";
    /// An admin cleared the user's sessions.
    pub const USER_SESSION_CLEAR: &str = "user.session.clear";
    /// An admin reset the user's password.
    pub const USER_RESET_PASSWORD: &str = "user.account.reset_password";
    /// The user was removed from a group.
    pub const GROUP_MEMBERSHIP_REMOVE: &str = "group.user_membership.remove";
}

/// The `type` of a target that is a user.
pub const TARGET_USER: &str = "User";
/// The `type` of a target that is a group.
pub const TARGET_GROUP: &str = "UserGroup";

/// One System Log event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogEvent {
    pub uuid: String,
    /// An Okta timestamp (`2026-01-31T12:00:00.000Z`).
    pub published: String,
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_message: Option<String>,
    #[serde(default)]
    pub target: Vec<LogTarget>,
}

/// One target of an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogTarget {
    pub id: String,
    #[serde(rename = "type")]
    pub target_type: String,
    /// A user's login; for a group, often empty or `unknown`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alternate_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

impl LogEvent {
    /// The users the event is about: targets of type `User`, by login.
    pub fn user_logins(&self) -> impl Iterator<Item = &str> {
        self.target
            .iter()
            .filter(|target| target.target_type == TARGET_USER)
            .filter_map(|target| target.alternate_id.as_deref())
    }

    /// The groups the event names, by display name.
    pub fn group_names(&self) -> impl Iterator<Item = &str> {
        self.target
            .iter()
            .filter(|target| target.target_type == TARGET_GROUP)
            .filter_map(|target| target.display_name.as_deref())
    }
}

/// The `filter` expression that asks for events of these types.
pub fn event_type_filter<'a>(types: impl IntoIterator<Item = &'a str>) -> String {
    types
        .into_iter()
        .map(|event_type| format!("eventType eq \"{event_type}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_an_event_as_okta_writes_it() {
        let body = r#"{
            "uuid": "dc9fd3c0-598c-11ef-8478-2b7584bf8d5a",
            "published": "2026-11-30T06:30:00.123Z",
            "eventType": "group.user_membership.remove",
            "version": "0",
            "severity": "INFO",
            "displayMessage": "Remove user from group membership",
            "actor": {"id": "00uadmin", "type": "User", "alternateId": "admin@example.com"},
            "outcome": {"result": "SUCCESS"},
            "target": [
                {"id": "00u1", "type": "User", "alternateId": "alice@example.com", "displayName": "Alice"},
                {"id": "00g1", "type": "UserGroup", "alternateId": "unknown", "displayName": "vpn-users"}
            ]
        }"#;
        let event: LogEvent = serde_json::from_str(body).expect("decodes");
        assert_eq!(event.event_type, event_types::GROUP_MEMBERSHIP_REMOVE);
        assert_eq!(
            event.user_logins().collect::<Vec<_>>(),
            ["alice@example.com"]
        );
        assert_eq!(event.group_names().collect::<Vec<_>>(), ["vpn-users"]);
    }

    #[test]
    fn a_filter_names_each_type() {
        assert_eq!(
            event_type_filter([event_types::USER_SUSPEND, event_types::USER_DEACTIVATE]),
            "eventType eq \"user.lifecycle.suspend\" or eventType eq \"user.lifecycle.deactivate\""
        );
    }
}
