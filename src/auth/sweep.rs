//! When a table that forgets stale entries may sweep itself. A full table
//! swept on every insert costs a scan of the whole table per login, and a
//! sprayer of distinct names can keep it full; a table swept at most once
//! per interval spends that scan once, whatever the rate.

use std::sync::Mutex;
use std::sync::PoisonError;
use std::time::{Duration, Instant};

/// Lets a sweep through at most once per interval.
#[derive(Debug)]
pub(super) struct SweepGate {
    every: Duration,
    last: Mutex<Option<Instant>>,
}

impl SweepGate {
    pub(super) fn new(every: Duration) -> SweepGate {
        SweepGate {
            every,
            last: Mutex::new(None),
        }
    }

    /// Whether a sweep may run `now`; if so, it counts as run.
    pub(super) fn open(&self, now: Instant) -> bool {
        let mut last = self.last.lock().unwrap_or_else(PoisonError::into_inner);
        match *last {
            Some(at) if now.duration_since(at) < self.every => false,
            _ => {
                *last = Some(now);
                true
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sweep_runs_at_most_once_per_interval() {
        let gate = SweepGate::new(Duration::from_secs(10));
        let now = Instant::now();
        assert!(gate.open(now));
        assert!(!gate.open(now + Duration::from_secs(9)));
        assert!(gate.open(now + Duration::from_secs(10)));
        assert!(!gate.open(now + Duration::from_secs(11)));
    }
}
