//! The state of the bridge's Okta credentials, as every call reports it:
//! when the API token was last used successfully (Okta expires a token 30
//! days after its last use), whether Okta has refused it (401 `E0000011`
//! on a call without a stateToken), whether Okta answered the last call,
//! and whether the OAuth service app can get tokens.
//!
//! `okta_credential_valid` is -1 until Okta has accepted or refused the API
//! token once (and again after a new token is loaded), then 1 or 0;
//! `okta_up` is 1 while Okta answered the last call. An Okta that stays
//! unreachable is warned about again every few minutes, not only once.
//!
//! A refused API token is loud once and fast afterwards: one error line
//! with the likely causes and the fix, `okta_credential_valid` at 0,
//! `/health` red, and calls that need the token refused by the client
//! without asking Okta, until a probe succeeds or a new token is loaded.
//! Missing permissions (403 `E0000006`) are logged once per call kind and
//! hour.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use metrics::{Gauge, gauge};
use tokio::sync::Notify;

use crate::metrics as names;

/// Okta expires an API token this long after its last use.
pub(crate) const API_TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);
/// The log warns when the predicted expiry is closer than this.
const EXPIRY_WARNING: Duration = Duration::from_secs(7 * 24 * 3600);
/// A missing permission is logged at most once per call kind in this time.
const FORBIDDEN_LOG_INTERVAL: Duration = Duration::from_secs(3600);
/// While Okta stays unreachable, a warning repeats at this interval.
const UNREACHABLE_LOG_INTERVAL: Duration = Duration::from_secs(300);
/// `okta_credential_valid` before Okta has said anything of the token.
const NOT_CHECKED: f64 = -1.0;

/// What every call reports to, and `/health` reads from.
#[derive(Debug)]
pub(crate) struct CredentialState {
    invalid: AtomicBool,
    last_use: Mutex<Option<SystemTime>>,
    /// `None`: Okta answered the last call; `Some(reason)`: it did not.
    unreachable: Mutex<Option<String>>,
    /// Whether any call got an answer yet.
    answered: AtomicBool,
    /// Whether Okta has accepted or refused the API token since it was loaded.
    checked: AtomicBool,
    /// When Okta was last said to be unreachable (or the process started).
    unreachable_warned: Mutex<Instant>,
    oauth_problem: Mutex<Option<String>>,
    forbidden_logged: Mutex<HashMap<String, Instant>>,
    /// Wakes the keep-alive task when the credential turns invalid.
    pub(crate) changed: Notify,
    /// The gauges every call sets, kept rather than looked up each time.
    gauges: Gauges,
}

/// `okta_up` and the API token's gauges. The token's two timestamps appear
/// only once the token was used.
#[derive(Debug)]
struct Gauges {
    up: Gauge,
    valid: Gauge,
    last_use: OnceLock<Gauge>,
    predicted_expiry: OnceLock<Gauge>,
}

/// The API token's state for a report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenSnapshot {
    pub(crate) valid: bool,
    pub(crate) last_use: Option<SystemTime>,
    pub(crate) predicted_expiry: Option<SystemTime>,
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn epoch(time: SystemTime) -> f64 {
    time.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

impl CredentialState {
    pub(crate) fn new() -> CredentialState {
        let gauges = Gauges {
            up: gauge!(names::OKTA_UP),
            valid: gauge!(names::OKTA_CREDENTIAL_VALID),
            last_use: OnceLock::new(),
            predicted_expiry: OnceLock::new(),
        };
        gauges.valid.set(NOT_CHECKED);
        gauges.up.set(0.0);
        CredentialState {
            invalid: AtomicBool::new(false),
            last_use: Mutex::new(None),
            unreachable: Mutex::new(Some("Okta has not answered yet".to_owned())),
            answered: AtomicBool::new(false),
            checked: AtomicBool::new(false),
            unreachable_warned: Mutex::new(Instant::now()),
            oauth_problem: Mutex::new(None),
            forbidden_logged: Mutex::new(HashMap::new()),
            changed: Notify::new(),
            gauges,
        }
    }

    /// Whether Okta refused the API token and no probe has succeeded since.
    pub(crate) fn is_invalid(&self) -> bool {
        self.invalid.load(Ordering::Relaxed)
    }

    /// When the API token was last used successfully (by this process).
    pub(crate) fn last_use(&self) -> Option<SystemTime> {
        *lock(&self.last_use)
    }

    pub(crate) fn snapshot(&self) -> TokenSnapshot {
        let last_use = self.last_use();
        TokenSnapshot {
            valid: !self.is_invalid(),
            last_use,
            predicted_expiry: last_use.map(|at| at + API_TOKEN_LIFETIME),
        }
    }

    /// Okta answered a call (any HTTP answer below 500).
    pub(crate) fn note_answer(&self) {
        // The first answer after start-up is not a recovery worth a line.
        let first = !self.answered.swap(true, Ordering::Relaxed);
        self.gauges.up.set(1.0);
        let was = lock(&self.unreachable).take();
        if let Some(reason) = was
            && !first
        {
            tracing::info!(previously = %reason, "Okta answers again");
        }
    }

    /// A call got no usable answer (no connection, timeout, 5xx).
    pub(crate) fn note_unreachable(&self, reason: String) {
        self.gauges.up.set(0.0);
        let mut unreachable = lock(&self.unreachable);
        let mut warned = lock(&self.unreachable_warned);
        let now = Instant::now();
        if unreachable.is_none() {
            tracing::warn!(%reason, "Okta did not answer; /health reports unhealthy until it does");
            *warned = now;
        } else if now.duration_since(*warned) >= UNREACHABLE_LOG_INTERVAL {
            tracing::warn!(
                %reason,
                "Okta still does not answer; logins get each client's on_okta_failure until it does (repeated every 5 minutes)"
            );
            *warned = now;
        }
        drop(warned);
        *unreachable = Some(reason);
        drop(unreachable);
        self.changed.notify_one();
    }

    /// A call with the API token succeeded: it counts as a use.
    pub(crate) fn note_api_token_success(&self, now: SystemTime) {
        *lock(&self.last_use) = Some(now);
        let gauges = &self.gauges;
        gauges
            .last_use
            .get_or_init(|| gauge!(names::OKTA_TOKEN_LAST_USE))
            .set(epoch(now));
        gauges
            .predicted_expiry
            .get_or_init(|| gauge!(names::OKTA_TOKEN_PREDICTED_EXPIRY))
            .set(epoch(now + API_TOKEN_LIFETIME));
        let first_verdict = !self.checked.swap(true, Ordering::Relaxed);
        if self.invalid.swap(false, Ordering::Relaxed) {
            self.gauges.valid.set(1.0);
            tracing::info!("the Okta API token works again: logins are sent to Okta again");
        } else if first_verdict {
            self.gauges.valid.set(1.0);
        }
    }

    /// Okta refused the API token on `call` (401 `E0000011`).
    pub(crate) fn note_api_token_refused(&self, call: &str, request_id: Option<&str>) {
        self.checked.store(true, Ordering::Relaxed);
        if !self.invalid.swap(true, Ordering::Relaxed) {
            self.gauges.valid.set(0.0);
            tracing::error!(
                call,
                okta_request_id = request_id.unwrap_or("-"),
                "Okta refused the API token (401 E0000011 Invalid token provided). Likely causes: \
                 it expired after 30 days without use, an admin revoked it, or the admin who \
                 created it was deactivated or lost the roles it needs. Fix: sign in as the \
                 service account, create a new token (Security > API > Tokens) and load it \
                 (okta.api_token_file, then SIGHUP or restart). Until then logins are refused \
                 without asking Okta and the token is probed periodically."
            );
        }
        self.changed.notify_one();
    }

    /// A new API token was loaded: forget that the old one was refused.
    pub(crate) fn reset_api_token(&self) {
        if self.invalid.swap(false, Ordering::Relaxed) {
            tracing::info!("a new Okta API token is loaded");
        }
        self.checked.store(false, Ordering::Relaxed);
        self.gauges.valid.set(NOT_CHECKED);
        *lock(&self.last_use) = None;
        self.changed.notify_one();
    }

    /// Okta said the credential lacks a permission (403 `E0000006`) on `call`.
    pub(crate) fn note_forbidden(&self, call: &str, credential: &str, request_id: Option<&str>) {
        let now = Instant::now();
        let mut logged = lock(&self.forbidden_logged);
        let due = logged
            .get(call)
            .is_none_or(|at| now.duration_since(*at) >= FORBIDDEN_LOG_INTERVAL);
        if due {
            logged.insert(call.to_owned(), now);
            tracing::error!(
                call,
                credential,
                okta_request_id = request_id.unwrap_or("-"),
                "Okta refused the call for lack of permission (403 E0000006): give the service \
                 account's admin role (API token) or the service app's scopes (OAuth) what this \
                 call needs"
            );
        }
    }

    /// The OAuth service app got (`None`) or failed to get (`Some`) a token.
    pub(crate) fn note_oauth(&self, problem: Option<String>) {
        let mut current = lock(&self.oauth_problem);
        match (&*current, &problem) {
            (None, Some(reason)) => {
                tracing::error!(%reason, "the OAuth service app cannot get an access token");
            }
            (Some(_), None) => tracing::info!("the OAuth service app gets access tokens again"),
            _ => {}
        }
        *current = problem;
    }

    /// Logs a warning when the API token's predicted expiry is near (the
    /// keep-alive is failing). Returns whether it warned.
    pub(crate) fn warn_if_expiry_near(&self, now: SystemTime) -> bool {
        let Some(expiry) = self.snapshot().predicted_expiry else {
            return false;
        };
        let left = expiry.duration_since(now).unwrap_or_default();
        if left < EXPIRY_WARNING {
            tracing::warn!(
                days_left = left.as_secs() / 86_400,
                "the Okta API token expires soon if it is not used: the keep-alive is failing"
            );
            return true;
        }
        false
    }

    /// `Ok` when the credentials work and Okta answered the last call.
    pub(crate) fn health(&self) -> Result<(), String> {
        if self.is_invalid() {
            return Err(
                "Okta refused the API token (401 E0000011): create and load a new one".into(),
            );
        }
        if let Some(problem) = lock(&self.oauth_problem).as_ref() {
            return Err(format!("OAuth service app: {problem}"));
        }
        if let Some(reason) = lock(&self.unreachable).as_ref() {
            return Err(reason.clone());
        }
        Ok(())
    }

    /// Whether Okta answered the last call.
    pub(crate) fn reachable(&self) -> bool {
        lock(&self.unreachable).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusal_turns_health_red_until_a_success() {
        let state = CredentialState::new();
        assert!(state.health().is_err(), "no answer yet");
        state.note_answer();
        state.note_api_token_success(SystemTime::now());
        assert!(state.health().is_ok());
        state.note_api_token_refused("users_me", Some("req1"));
        assert!(state.is_invalid());
        assert!(state.health().unwrap_err().contains("E0000011"));
        state.note_api_token_success(SystemTime::now());
        assert!(state.health().is_ok());
        let snapshot = state.snapshot();
        assert!(snapshot.predicted_expiry > snapshot.last_use);
    }

    #[test]
    fn expiry_warning_when_unused_for_long() {
        let state = CredentialState::new();
        let now = SystemTime::now();
        state.note_api_token_success(now - Duration::from_secs(25 * 86_400));
        assert!(state.warn_if_expiry_near(now));
        state.note_api_token_success(now);
        assert!(!state.warn_if_expiry_near(now));
    }
}
