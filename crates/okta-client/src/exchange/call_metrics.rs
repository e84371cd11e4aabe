//! The per-call series (`okta_calls_total` by endpoint and status,
//! `okta_call_duration_seconds` by endpoint), kept once looked up: the
//! `counter!` macro finds a series in the recorder's registry on every
//! update and copies its labels, and every login makes at least one call.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use metrics::{Counter, Histogram, counter, histogram};

use crate::metrics as names;

/// What a call that got no answer counts as, in place of an HTTP status.
const NO_ANSWER: u16 = 0;

#[derive(Default)]
pub(super) struct CallMetrics {
    calls: RwLock<HashMap<(&'static str, u16), Counter>>,
    durations: RwLock<HashMap<&'static str, Histogram>>,
}

impl CallMetrics {
    /// Counts a call to `endpoint` answered with `status`.
    pub(super) fn answered(&self, endpoint: &'static str, status: u16) {
        self.count(endpoint, status);
    }

    /// Counts a call to `endpoint` that got no answer (`status="error"`).
    pub(super) fn unanswered(&self, endpoint: &'static str) {
        self.count(endpoint, NO_ANSWER);
    }

    /// Records how long a call to `endpoint` took.
    pub(super) fn took(&self, endpoint: &'static str, seconds: f64) {
        let known = self
            .durations
            .read()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(histogram) = known.get(endpoint) {
            histogram.record(seconds);
            return;
        }
        drop(known);
        let histogram = histogram!(names::OKTA_CALL_DURATION, "endpoint" => endpoint);
        histogram.record(seconds);
        self.durations
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(endpoint, histogram);
    }

    fn count(&self, endpoint: &'static str, status: u16) {
        let known = self.calls.read().unwrap_or_else(PoisonError::into_inner);
        if let Some(counter) = known.get(&(endpoint, status)) {
            counter.increment(1);
            return;
        }
        drop(known);
        let label = match status {
            NO_ANSWER => "error".to_owned(),
            status => status.to_string(),
        };
        let counter = counter!(names::OKTA_CALLS, "endpoint" => endpoint, "status" => label);
        counter.increment(1);
        self.calls
            .write()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((endpoint, status), counter);
    }
}
