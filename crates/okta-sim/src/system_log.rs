//! The org's System Log: the events an admin's actions leave (a user
//! deactivated, suspended, their sessions cleared, their password reset,
//! a group membership removed), each with a sequence number the `after`
//! cursor of the logs endpoint points past. Events are kept in the order
//! they were persisted; the oldest go once the log holds
//! [`MAX_EVENTS`].

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::SystemTime;

use super::ids;
use okta_api::system_log::{LogEvent, LogTarget, TARGET_GROUP, TARGET_USER};
use okta_api::time::okta_timestamp;

/// Events kept at most.
const MAX_EVENTS: usize = 10_000;

/// One persisted event and its place in the log.
#[derive(Debug, Clone)]
pub(crate) struct Persisted {
    pub sequence: u64,
    pub published: SystemTime,
    pub event: LogEvent,
}

/// The log.
#[derive(Default)]
pub(crate) struct SystemLog {
    inner: Mutex<Log>,
}

#[derive(Default)]
struct Log {
    events: VecDeque<Persisted>,
    next_sequence: u64,
}

impl SystemLog {
    /// Persists an event about `login` (and `group`, for a membership
    /// change); returns its uuid.
    pub fn emit(
        &self,
        event_type: &str,
        display_message: &str,
        login: &str,
        user_id: &str,
        group: Option<&str>,
    ) -> String {
        let mut log = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        log.next_sequence += 1;
        let sequence = log.next_sequence;
        let published = SystemTime::now();
        let uuid = uuid_like(sequence);
        let mut target = vec![LogTarget {
            id: user_id.to_owned(),
            target_type: TARGET_USER.to_owned(),
            alternate_id: Some(login.to_owned()),
            display_name: Some(login.to_owned()),
        }];
        if let Some(group) = group {
            target.push(LogTarget {
                id: ids::stable_id("00g", group),
                target_type: TARGET_GROUP.to_owned(),
                alternate_id: Some("unknown".to_owned()),
                display_name: Some(group.to_owned()),
            });
        }
        log.events.push_back(Persisted {
            sequence,
            published,
            event: LogEvent {
                uuid: uuid.clone(),
                published: okta_timestamp(published),
                event_type: event_type.to_owned(),
                display_message: Some(display_message.to_owned()),
                target,
            },
        });
        while log.events.len() > MAX_EVENTS {
            log.events.pop_front();
        }
        uuid
    }

    /// The events persisted after `after` (a sequence number), or published
    /// at or after `since` when there is no cursor, in order, that `keep`
    /// accepts; at most `limit`. Also returns the sequence to poll after
    /// next: the last one returned, else the last one looked at.
    pub fn read(
        &self,
        after: Option<u64>,
        since: Option<SystemTime>,
        until: Option<SystemTime>,
        limit: usize,
        keep: impl Fn(&LogEvent) -> bool,
    ) -> (Vec<LogEvent>, u64) {
        let log = match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut cursor = after.unwrap_or(0);
        let mut found = Vec::new();
        for persisted in &log.events {
            if after.is_some_and(|after| persisted.sequence <= after) {
                continue;
            }
            if after.is_none() && since.is_some_and(|since| persisted.published < since) {
                continue;
            }
            if until.is_some_and(|until| persisted.published >= until) {
                break;
            }
            if found.len() >= limit {
                break;
            }
            cursor = persisted.sequence;
            if keep(&persisted.event) {
                found.push(persisted.event.clone());
            }
        }
        (found, cursor)
    }
}

/// An id shaped like Okta's event uuids, unique within the org.
fn uuid_like(sequence: u64) -> String {
    let random = ids::random_token(12).to_lowercase();
    format!("{sequence:08x}-0000-11ef-8000-{random}")
}
