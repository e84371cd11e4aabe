//! Whether Redis answers, as the fleet's operations and a once-a-second
//! ping see it: `/health` says `degraded` while it does not (or while the
//! Redis that answers is too old for the fleet), each operation that falls
//! back to the replica's own state is counted by operation, and the
//! fallbacks are logged at most every ten seconds.

use crate::telemetry::metrics as m;
use metrics::{counter, gauge};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// At most one warning about fallbacks per this long.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// Redis as the replica last saw it.
pub struct Reach {
    reachable: AtomicBool,
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
            unlogged: AtomicU64::new(0),
            logged_at: Mutex::new(None),
            why: Mutex::new("not connected yet".to_owned()),
            unfit: Mutex::new(None),
        }
    }

    /// Redis answered.
    pub fn answered(&self) {
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

    /// An operation went on with the replica's own state.
    pub fn fell_back(&self, op: &'static str, why: &str) {
        counter!(m::CLUSTER_FALLBACKS, "op" => op).increment(1);
        self.unanswered(why);
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
