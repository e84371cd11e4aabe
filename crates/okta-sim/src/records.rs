//! What the simulated org received: every request's endpoint, the login it
//! named, and the headers that matter to the bridge (`X-Forwarded-For`,
//! `User-Agent`), so tests can assert what reached "Okta" and how often.
//!
//! Besides requests, the org notes events a request caused that the path does
//! not tell (a push actually sent, a code sent, a factor verify, a cancel),
//! per login.
//!
//! Passwords, answers and tokens are never recorded: only the `username`
//! field is read from a request body. Every request is recorded by a
//! middleware ([`super::middleware`]); events by the handlers that cause them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::SystemTime;

use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use serde::Deserialize;

/// How many requests are kept in detail; counters cover all of them.
const KEPT_REQUESTS: usize = 10_000;
const PRIMARY_AUTHN_PATH: &str = "/api/v1/authn";

/// Something a request caused, counted per login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum SimEvent {
    /// A push notification was sent to the phone (not a poll).
    PushSent,
    /// A code was sent by SMS, voice call or email.
    CodeSent,
    /// A factor verify call (authentication or factors API; polls included).
    FactorVerify,
    /// A transaction was cancelled.
    Cancel,
    /// A password grant of Direct Authentication.
    DirectPassword,
    /// A Direct Authentication `/challenge` (push, SMS, voice).
    DirectChallenge,
}

/// One request as the org saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimRequest {
    pub at: SystemTime,
    pub method: String,
    /// The path, like `/api/v1/authn`.
    pub path: String,
    /// The `username` of the body, if it named one.
    pub login: Option<String>,
    pub forwarded_for: Option<String>,
    pub user_agent: Option<String>,
}

impl SimRequest {
    /// The request made of `parts` and `body`, received now.
    pub(crate) fn received(parts: &Parts, body: &[u8]) -> SimRequest {
        let login = if parts.method == Method::POST {
            serde_json::from_slice::<NamedUser>(body)
                .ok()
                .and_then(|named| named.username)
        } else {
            None
        };
        SimRequest {
            at: SystemTime::now(),
            method: parts.method.to_string(),
            path: parts.uri.path().to_owned(),
            login,
            forwarded_for: header(&parts.headers, "x-forwarded-for"),
            user_agent: header(&parts.headers, "user-agent"),
        }
    }

    fn is_primary_authn_for(&self, login: &str) -> bool {
        self.method == "POST"
            && self.path == PRIMARY_AUTHN_PATH
            && self
                .login
                .as_deref()
                .is_some_and(|named| named.eq_ignore_ascii_case(login))
    }
}

/// The org's request log.
#[derive(Debug, Default)]
pub struct SimRecords {
    log: Mutex<RecordLog>,
}

#[derive(Debug, Default)]
struct RecordLog {
    recent: VecDeque<SimRequest>,
    total: usize,
    /// Primary authentication calls per lowercase login.
    authn_by_login: HashMap<String, usize>,
    /// Events per lowercase login.
    events: HashMap<(String, SimEvent), usize>,
}

impl SimRecords {
    fn lock(&self) -> MutexGuard<'_, RecordLog> {
        self.log.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Adds a request to the log.
    pub(crate) fn record(&self, request: SimRequest) {
        let mut log = self.lock();
        log.total += 1;
        if request.method == "POST"
            && request.path == PRIMARY_AUTHN_PATH
            && let Some(login) = &request.login
        {
            *log.authn_by_login.entry(login.to_lowercase()).or_default() += 1;
        }
        if log.recent.len() == KEPT_REQUESTS {
            log.recent.pop_front();
        }
        log.recent.push_back(request);
    }

    /// Counts an event for a login.
    pub(crate) fn note(&self, event: SimEvent, login: &str) {
        *self
            .lock()
            .events
            .entry((login.to_lowercase(), event))
            .or_default() += 1;
    }

    fn events(&self, event: SimEvent, login: &str) -> usize {
        self.lock()
            .events
            .get(&(login.to_lowercase(), event))
            .copied()
            .unwrap_or(0)
    }

    /// Push notifications actually sent to this user's phone (first verify
    /// calls and resends, not polls).
    pub fn pushes_sent(&self, login: &str) -> usize {
        self.events(SimEvent::PushSent, login)
    }

    /// Codes sent to this user by SMS, voice call or email.
    pub fn codes_sent(&self, login: &str) -> usize {
        self.events(SimEvent::CodeSent, login)
    }

    /// Factor verify calls for this user, through the authentication API or
    /// the factors API, push polls by POST included.
    pub fn factor_verifies(&self, login: &str) -> usize {
        self.events(SimEvent::FactorVerify, login)
    }

    /// Transactions of this user cancelled with `/api/v1/authn/cancel`.
    pub fn cancels(&self, login: &str) -> usize {
        self.events(SimEvent::Cancel, login)
    }

    /// Password grants (Direct Authentication) naming this login.
    pub fn password_grants(&self, login: &str) -> usize {
        self.events(SimEvent::DirectPassword, login)
    }

    /// Direct Authentication challenges (push, SMS, voice) for this user.
    pub fn challenges(&self, login: &str) -> usize {
        self.events(SimEvent::DirectChallenge, login)
    }

    /// Requests whose path starts with `prefix` (any method).
    pub fn calls_to_prefix(&self, prefix: &str) -> usize {
        self.lock()
            .recent
            .iter()
            .filter(|r| r.path.starts_with(prefix))
            .count()
    }

    /// Every request received (the most recent 10,000), oldest first.
    pub fn requests(&self) -> Vec<SimRequest> {
        self.lock().recent.iter().cloned().collect()
    }

    /// Requests received, of any kind, answered or not.
    pub fn total_calls(&self) -> usize {
        self.lock().total
    }

    /// Primary authentication calls (`POST /api/v1/authn` with a username)
    /// naming this login, compared without case.
    pub fn authn_calls(&self, login: &str) -> usize {
        self.lock()
            .authn_by_login
            .get(&login.to_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// Requests to a path (any method).
    pub fn calls_to(&self, path: &str) -> usize {
        self.lock().recent.iter().filter(|r| r.path == path).count()
    }

    /// `X-Forwarded-For` of the last primary authentication for this login.
    pub fn last_forwarded_for(&self, login: &str) -> Option<String> {
        self.last_authn(login)?.forwarded_for
    }

    /// `User-Agent` of the last primary authentication for this login.
    pub fn last_user_agent(&self, login: &str) -> Option<String> {
        self.last_authn(login)?.user_agent
    }

    fn last_authn(&self, login: &str) -> Option<SimRequest> {
        self.lock()
            .recent
            .iter()
            .rev()
            .find(|r| r.is_primary_authn_for(login))
            .cloned()
    }

    /// Forgets everything recorded so far.
    pub fn clear(&self) {
        *self.lock() = RecordLog::default();
    }
}

/// The only field of a request body the org reads for its records.
#[derive(Deserialize)]
struct NamedUser {
    username: Option<String>,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
}
