//! Whether Redis answers, as the fleet's operations and a once-a-second
//! ping see it: `/health` says `degraded` while it does not (or while the
//! Redis that answers is too old for the fleet), each operation that falls
//! back to the replica's own state is counted by operation, and the
//! fallbacks are logged at most every ten seconds.
//!
//! Once Redis has failed [`FAILURES_TO_STOP_WAITING`] operations or pings
//! in a row (no answer in time, or the connection refused or lost), the
//! operations stop waiting for it and fall back at once, until the ping
//! (every second) gets an answer again. Without that, a Redis that hangs
//! or refuses connections costs every login each of its operations'
//! timeouts in turn: with the default 50 ms, a password login waited about
//! 0.37 s for nothing, so a replica answered at most its logins in flight
//! divided by that wait each second, and with a longer timeout than the
//! NAS's deadline allows for, it answered none in time.

use crate::telemetry::metrics as m;
use metrics::{counter, gauge};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// At most one warning about fallbacks per this long.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Operations and pings that Redis failed in a row after which operations
/// no longer wait for it. More than one, so that a single slow answer does
/// not take the fleet's state away for a whole second.
pub const FAILURES_TO_STOP_WAITING: u32 = 2;

/// Redis as the replica last saw it.
pub struct Reach {
    reachable: AtomicBool,
    /// Operations and pings Redis failed since it last answered one.
    failures_in_a_row: AtomicU32,
    /// Fallbacks since the last warning.
    unlogged: AtomicU64,
    logged_at: Mutex<Option<Instant>>,
    /// The last reason, for `/health`.
    why: Mutex<String>,
    /// Why the Redis that answers cannot serve the fleet, if it cannot.
    unfit: Mutex<Option<String>>,
}

impl Reach {
    /// Unknown until the first ping or operation: counted as unreachable,
    /// so `/health` does not say `ok` before Redis has answered once.
    pub fn new() -> Reach {
        gauge!(m::CLUSTER_REACHABLE).set(0.0);
        Reach {
            reachable: AtomicBool::new(false),
            failures_in_a_row: AtomicU32::new(0),
            unlogged: AtomicU64::new(0),
            logged_at: Mutex::new(None),
            why: Mutex::new("not connected yet".to_owned()),
            unfit: Mutex::new(None),
        }
    }

    /// Redis answered.
    pub fn answered(&self) {
        if self.failures_in_a_row.load(Ordering::Relaxed) != 0 {
            self.failures_in_a_row.store(0, Ordering::Relaxed);
        }
        if !self.reachable.swap(true, Ordering::AcqRel) {
            gauge!(m::CLUSTER_REACHABLE).set(1.0);
            tracing::info!("Redis answers: the fleet's shared state is in use");
        }
    }

    /// Redis did not answer an operation or a ping.
    pub fn unanswered(&self, why: &str) {
        *self
            .why
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = why.to_owned();
        if self.reachable.swap(false, Ordering::AcqRel) {
            gauge!(m::CLUSTER_REACHABLE).set(0.0);
            tracing::warn!(
                why,
                "Redis does not answer: each replica goes on with its own state until it does"
            );
        }
    }

    /// An operation or a ping failed with `error`, or (`None`) got no
    /// answer in time. Only a failure that says Redis cannot be reached
    /// (no answer, the connection refused or lost) counts towards no longer
    /// waiting for it; an error Redis answered with does not.
    pub fn failed(&self, why: &str, error: Option<&redis::RedisError>) {
        if error.is_none_or(unreachable) {
            self.failures_in_a_row.fetch_add(1, Ordering::Relaxed);
        }
        self.unanswered(why);
    }

    /// Whether an operation should ask Redis: not while Redis fails
    /// everything it is asked (the ping still asks, and its answer brings
    /// the operations back).
    pub fn worth_asking(&self) -> bool {
        self.failures_in_a_row.load(Ordering::Relaxed) < FAILURES_TO_STOP_WAITING
    }

    /// An operation went on with the replica's own state.
    pub fn fell_back(&self, op: &'static str, why: &str) {
        self.unanswered(why);
        self.count_fallback(op, why);
    }

    /// An operation went on with the replica's own state without asking
    /// Redis, which fails everything it is asked.
    pub fn did_not_ask(&self, op: &'static str) {
        self.count_fallback(
            op,
            "Redis failed the operations before it: not waiting for it until it answers a ping",
        );
    }

    /// Counts a fallback, and logs the fallbacks at most every 10 s.
    pub fn count_fallback(&self, op: &'static str, why: &str) {
        counter!(m::CLUSTER_FALLBACKS, "op" => op).increment(1);
        self.unlogged.fetch_add(1, Ordering::Relaxed);
        let now = Instant::now();
        let mut logged_at = self
            .logged_at
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if logged_at.is_some_and(|at| now.duration_since(at) < LOG_EVERY) {
            return;
        }
        *logged_at = Some(now);
        let count = self.unlogged.swap(0, Ordering::Relaxed);
        tracing::warn!(
            op,
            why,
            fallbacks = count,
            "Redis operations fell back to this replica's own state (logged at most every 10 s; counted in okta_radius_cluster_fallbacks_total)"
        );
    }

    /// The Redis that answers cannot serve the fleet (`Some`: why), or can
    /// (`None`); says so in the log when that changes.
    pub fn fit(&self, unfit: Option<String>) {
        let mut current = self
            .unfit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        match (&*current, &unfit) {
            (None, Some(why)) => tracing::error!("{why}"),
            (Some(_), None) => tracing::info!("Redis can now serve the fleet"),
            _ => {}
        }
        *current = unfit;
    }

    /// `None` while Redis answers and can serve the fleet; otherwise why
    /// not.
    pub fn degraded(&self) -> Option<String> {
        if let Some(why) = &*self
            .unfit
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
        {
            return Some(why.clone());
        }
        if self.reachable.load(Ordering::Acquire) {
            return None;
        }
        Some(format!(
            "Redis unreachable ({}): this replica serves logins with its own state",
            self.why
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
        ))
    }
}

/// Whether an error says that Redis cannot be reached (the connection
/// refused, lost or timed out), rather than that Redis answered with an
/// error.
fn unreachable(error: &redis::RedisError) -> bool {
    error.is_io_error() || error.is_connection_dropped() || error.is_unrecoverable_error()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_stop_waiting_for_redis_after_failures_in_a_row_until_it_answers() {
        let reach = Reach::new();
        // Not yet connected: operations still ask.
        assert!(reach.worth_asking());
        reach.failed("no answer within cluster.op_timeout_ms", None);
        assert!(reach.worth_asking(), "one slow answer is not enough");
        reach.answered();
        reach.failed("no answer within cluster.op_timeout_ms", None);
        assert!(reach.worth_asking(), "an answer between resets the count");
        reach.failed("Connection refused", None);
        assert!(!reach.worth_asking());
        // Fallbacks without asking keep the reason Redis last gave.
        reach.did_not_ask("duplicate_claim");
        assert!(
            reach
                .degraded()
                .is_some_and(|why| why.contains("Connection refused")),
            "{:?}",
            reach.degraded()
        );
        // The ping's answer brings the operations back.
        reach.answered();
        assert!(reach.worth_asking());
        assert_eq!(reach.degraded(), None);
        // Errors Redis answered with are not Redis failing to answer.
        reach.fell_back("throttle_check", "NOPERM");
        reach.fell_back("throttle_check", "NOPERM");
        assert!(reach.worth_asking());
        let answered_with = redis::RedisError::from((
            redis::ErrorKind::UnexpectedReturnType,
            "a reply of another type",
        ));
        reach.failed(&answered_with.to_string(), Some(&answered_with));
        reach.failed(&answered_with.to_string(), Some(&answered_with));
        assert!(
            reach.worth_asking(),
            "Redis answered, with an error: it is reached"
        );
        // A connection refused is Redis not answering.
        let refused =
            redis::RedisError::from(std::io::Error::from(std::io::ErrorKind::ConnectionRefused));
        reach.failed(&refused.to_string(), Some(&refused));
        reach.failed(&refused.to_string(), Some(&refused));
        assert!(!reach.worth_asking());
    }
}
