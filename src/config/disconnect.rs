//! `[disconnect]` and the per-client keys of RFC 5176: following Okta's
//! System Log, and ending a user's VPN sessions with a Disconnect-Request
//! when Okta says so (the user deactivated, suspended, their sessions
//! cleared, their password reset, or removed from a group their client's
//! policy requires). Each client chooses the events with `disconnect_on`,
//! and receives Disconnect-Requests on `coa_port` with `coa_secret`. Okta
//! can also push the same events to an HTTPS endpoint (Event Hooks).

use secrecy::SecretString;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// `[disconnect]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DisconnectSection {
    pub enabled: bool,
    pub poll_interval_seconds: u64,
    pub cursor_file: Option<PathBuf>,
    pub timeout_ms: u64,
    pub retries: u32,
    /// HTTPS address for Okta Event Hooks; none by default.
    pub event_hook_listen: Option<String>,
    /// The `Authorization` header value Okta sends with each hook call.
    pub event_hook_secret: Option<String>,
    pub event_hook_secret_file: Option<PathBuf>,
    pub event_hook_secret_env: Option<String>,
}

impl Default for DisconnectSection {
    fn default() -> Self {
        DisconnectSection {
            enabled: false,
            poll_interval_seconds: 15,
            cursor_file: None,
            timeout_ms: 1_000,
            retries: 3,
            event_hook_listen: None,
            event_hook_secret: None,
            event_hook_secret_file: None,
            event_hook_secret_env: None,
        }
    }
}

/// Okta Event Hooks: where they are received and the secret they carry.
#[derive(Clone)]
pub struct EventHookConfig {
    pub listen: SocketAddr,
    pub secret: SecretString,
}

impl std::fmt::Debug for EventHookConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventHookConfig")
            .field("listen", &self.listen)
            .field("secret", &"[redacted]")
            .finish()
    }
}

/// The validated `[disconnect]`.
#[derive(Debug, Clone)]
pub struct DisconnectConfig {
    pub enabled: bool,
    /// How often the System Log is polled.
    pub poll_interval: Duration,
    /// Where the System Log cursor is kept across restarts.
    pub cursor_file: PathBuf,
    /// The first wait for a Disconnect-ACK or -NAK; doubled at each retry.
    pub timeout: Duration,
    /// Retransmits after the first Disconnect-Request.
    pub retries: u32,
    /// Okta Event Hooks received over HTTPS, beside polling.
    pub event_hook: Option<EventHookConfig>,
}

/// What ends a client's sessions (`disconnect_on`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DisconnectOn {
    /// `user.lifecycle.deactivate`.
    Deactivate,
    /// `user.lifecycle.suspend`.
    Suspend,
    /// `user.session.clear`.
    SessionClear,
    /// `user.account.reset_password`.
    PasswordReset,
    /// `group.user_membership.remove`, for a group the client's policy requires.
    GroupRemoval,
}

impl DisconnectOn {
    pub const ALL: [DisconnectOn; 5] = [
        DisconnectOn::Deactivate,
        DisconnectOn::Suspend,
        DisconnectOn::SessionClear,
        DisconnectOn::PasswordReset,
        DisconnectOn::GroupRemoval,
    ];

    /// The name in the config.
    pub fn name(self) -> &'static str {
        match self {
            DisconnectOn::Deactivate => "deactivate",
            DisconnectOn::Suspend => "suspend",
            DisconnectOn::SessionClear => "session_clear",
            DisconnectOn::PasswordReset => "password_reset",
            DisconnectOn::GroupRemoval => "group_removal",
        }
    }

    pub fn from_name(name: &str) -> Option<DisconnectOn> {
        DisconnectOn::ALL.into_iter().find(|on| on.name() == name)
    }

    /// The default of `disconnect_on`.
    pub fn defaults() -> Vec<DisconnectOn> {
        vec![
            DisconnectOn::Deactivate,
            DisconnectOn::Suspend,
            DisconnectOn::SessionClear,
        ]
    }
}

/// Checks `[disconnect]`; problems come back as (key, message).
/// `event_hook_secret` is the resolved secret of the Event Hooks, when one
/// is named.
pub fn validate(
    section: &DisconnectSection,
    accounting: bool,
    event_hook_secret: Option<SecretString>,
) -> Result<DisconnectConfig, Vec<(String, String)>> {
    let mut problems = Vec::new();
    let key = |name: &str| format!("disconnect.{name}");
    if section.enabled && !accounting {
        problems.push((
            key("enabled"),
            "sessions are known from accounting: set accounting.file (and server.accounting_listen unless the NAS sends its accounting over RADIUS/TLS or RADIUS/TCP), and point the NAS's accounting at this server".to_owned(),
        ));
    }
    if !(1..=300).contains(&section.poll_interval_seconds) {
        problems.push((
            key("poll_interval_seconds"),
            "must be 1 to 300 (15 is the default; each poll is one call to Okta's System Log)"
                .to_owned(),
        ));
    }
    let cursor_file = section.cursor_file.clone().unwrap_or_default();
    if section.enabled && cursor_file.as_os_str().is_empty() {
        problems.push((
            key("cursor_file"),
            "give a file the service may write, e.g. \"/var/lib/okta-radius/system-log-cursor.json\": the System Log cursor survives restarts there".to_owned(),
        ));
    }
    if !(100..=10_000).contains(&section.timeout_ms) {
        problems.push((
            key("timeout_ms"),
            "must be 100 to 10000 (1000 is the default)".to_owned(),
        ));
    }
    if section.retries > 10 {
        problems.push((
            key("retries"),
            "must be 0 to 10 (3 is the default)".to_owned(),
        ));
    }
    let event_hook_listen = match section.event_hook_listen.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match text.parse::<SocketAddr>() {
            Ok(addr) => Some(addr),
            Err(_) => {
                problems.push((
                    key("event_hook_listen"),
                    format!("`{text}` is not an IP address and port, e.g. \"0.0.0.0:8443\""),
                ));
                None
            }
        },
    };
    let event_hook = match (event_hook_listen, event_hook_secret) {
        (Some(listen), Some(secret)) => Some(EventHookConfig { listen, secret }),
        (Some(_), None) => {
            problems.push((
                key("event_hook_secret"),
                "Event Hooks need the secret Okta sends in the Authorization header: set event_hook_secret_file or event_hook_secret_env to the value given in Okta's event hook (Authentication field)".to_owned(),
            ));
            None
        }
        (None, _) => None,
    };
    if event_hook.is_some() && !section.enabled {
        problems.push((
            key("event_hook_listen"),
            "Event Hooks end sessions as the System Log does: set disconnect.enabled = true"
                .to_owned(),
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(DisconnectConfig {
        enabled: section.enabled,
        poll_interval: Duration::from_secs(section.poll_interval_seconds),
        cursor_file,
        timeout: Duration::from_millis(section.timeout_ms),
        retries: section.retries,
        event_hook,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disconnects_need_accounting_and_a_cursor_file() {
        let section = DisconnectSection {
            enabled: true,
            ..DisconnectSection::default()
        };
        let keys: Vec<String> = validate(&section, false, None)
            .err()
            .unwrap_or_default()
            .into_iter()
            .map(|(key, _)| key)
            .collect();
        assert_eq!(keys, ["disconnect.enabled", "disconnect.cursor_file"]);
    }

    #[test]
    fn names_round_trip() {
        for on in DisconnectOn::ALL {
            assert_eq!(DisconnectOn::from_name(on.name()), Some(on));
        }
        assert_eq!(DisconnectOn::from_name("deactivated"), None);
    }
}
