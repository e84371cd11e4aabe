//! The multi-factor settings as the login conversation uses them, resolved
//! in three layers: built-in defaults, the global `[mfa]` table, and a
//! client's own `[clients.mfa]` table.

use super::FactorKind;
use super::file::MfaSection;
use std::collections::HashMap;
use std::time::Duration;

/// How a push is waited for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushMode {
    /// Hold the Access-Request until the push is answered (the NAS's RADIUS
    /// timeout must be longer than `push_timeout`).
    Wait,
    /// Answer at once with an Access-Challenge ("approve, then press Enter")
    /// and resolve on the follow-up request.
    Challenge,
}

/// Resolved multi-factor settings for one client.
#[derive(Debug, Clone)]
pub struct MfaSettings {
    /// Factor kinds that may be offered, in menu order.
    pub allowed: Vec<FactorKind>,
    /// Send a push right after the password when the user has one.
    pub auto_push: bool,
    pub push_mode: PushMode,
    /// How long a push may stay unanswered before it is cancelled.
    pub push_timeout: Duration,
    /// Accept `password<delimiter>factor` in one request.
    pub inline: bool,
    pub inline_delimiter: String,
    /// Wrong codes allowed before the login is rejected.
    pub max_code_attempts: u8,
    /// How long a challenge stays answerable (capped by Okta's stateToken expiry).
    pub challenge_lifetime: Duration,
    /// First line of the factor menu.
    pub menu_title: String,
    /// Menu label templates by kind.
    pub labels: HashMap<FactorKind, String>,
    /// Tell the user in Reply-Message when Okta warns that the password expires soon.
    pub password_warn_message: bool,
}

impl Default for MfaSettings {
    fn default() -> Self {
        MfaSettings {
            allowed: FactorKind::ALL.to_vec(),
            auto_push: false,
            push_mode: PushMode::Wait,
            push_timeout: Duration::from_secs(25),
            inline: true,
            inline_delimiter: ",".to_owned(),
            max_code_attempts: 3,
            challenge_lifetime: Duration::from_secs(300),
            menu_title: "Choose a second factor (type its number):".to_owned(),
            labels: FactorKind::ALL
                .into_iter()
                .map(|kind| (kind, kind.default_label().to_owned()))
                .collect(),
            password_warn_message: true,
        }
    }
}

impl MfaSettings {
    /// Applies a table on top of these settings. Problems are reported as
    /// (key suffix, message) pairs; `prefix` is the table's key (`mfa` or
    /// `clients[3].mfa`).
    pub fn overlay(
        &self,
        section: &MfaSection,
        prefix: &str,
        problems: &mut Vec<(String, String)>,
    ) -> MfaSettings {
        let mut out = self.clone();
        let mut problem =
            |key: &str, message: String| problems.push((format!("{prefix}.{key}"), message));
        if let Some(names) = &section.allowed_factors {
            let mut allowed = Vec::new();
            for name in names {
                match FactorKind::from_config_name(name) {
                    Some(kind) if !allowed.contains(&kind) => allowed.push(kind),
                    Some(_) => {}
                    None => problem(
                        "allowed_factors",
                        format!(
                            "`{name}` is not a factor RADIUS can use: choose from push, totp, hotp, token, yubikey, sms, call, email, question"
                        ),
                    ),
                }
            }
            // Keep menu order stable whatever order the operator wrote.
            out.allowed = FactorKind::ALL
                .into_iter()
                .filter(|k| allowed.contains(k))
                .collect();
        }
        if let Some(value) = section.auto_push {
            out.auto_push = value;
        }
        if let Some(mode) = &section.push_mode {
            match mode.as_str() {
                "wait" => out.push_mode = PushMode::Wait,
                "challenge" => out.push_mode = PushMode::Challenge,
                other => problem(
                    "push_mode",
                    format!("`{other}` is not a push mode: use \"wait\" or \"challenge\""),
                ),
            }
        }
        if let Some(seconds) = section.push_timeout_seconds {
            if (5..=300).contains(&seconds) {
                out.push_timeout = Duration::from_secs(seconds);
            } else {
                problem(
                    "push_timeout_seconds",
                    "must be 5 to 300 (25 is the default)".to_owned(),
                );
            }
        }
        if let Some(value) = section.inline {
            out.inline = value;
        }
        if let Some(delimiter) = &section.inline_delimiter {
            if delimiter.is_empty() || delimiter.chars().any(|c| c.is_ascii_alphanumeric()) {
                problem(
                    "inline_delimiter",
                    "use a non-empty delimiter without letters or digits, e.g. \",\"".to_owned(),
                );
            } else {
                out.inline_delimiter = delimiter.clone();
            }
        }
        if let Some(attempts) = section.max_code_attempts {
            if (1..=10).contains(&attempts) {
                out.max_code_attempts = attempts;
            } else {
                problem(
                    "max_code_attempts",
                    "must be 1 to 10 (3 is the default)".to_owned(),
                );
            }
        }
        if let Some(seconds) = section.challenge_seconds {
            if (30..=600).contains(&seconds) {
                out.challenge_lifetime = Duration::from_secs(seconds);
            } else {
                problem(
                    "challenge_seconds",
                    "must be 30 to 600 (300 is the default)".to_owned(),
                );
            }
        }
        if let Some(title) = &section.menu_title {
            out.menu_title = title.clone();
        }
        if let Some(labels) = &section.labels {
            for (name, label) in labels {
                match FactorKind::from_config_name(name) {
                    Some(kind) => {
                        out.labels.insert(kind, label.clone());
                    }
                    None => problem(
                        "labels",
                        format!(
                            "`{name}` is not a factor name (push, totp, hotp, token, yubikey, sms, call, email, question)"
                        ),
                    ),
                }
            }
        }
        if let Some(value) = section.password_warn_message {
            out.password_warn_message = value;
        }
        out
    }
}

/// Per-user protection against push fatigue.
#[derive(Debug, Clone)]
pub struct PushLimits {
    /// No new push for a user this long after they rejected one.
    pub cooldown_after_reject: Duration,
    /// Pushes sent to one user within a minute.
    pub max_per_minute: u32,
}
