//! What a Status-Server must pass before it is answered (RFC 5997): it is
//! not a replay of one answered lately, and its client has budget left.
//!
//! Status-Server keeps out of the duplicate cache and is answered without
//! any other work, so its only cost is the per-client budget
//! (`server.status_server_per_second`). A captured Status-Server carries a
//! valid Message-Authenticator for ever; replayed from a spoofed source it
//! would use up that budget, and the NAS's own probes would go unanswered
//! until it marks the server dead. So each client remembers the probes it
//! answered over the last [`REPLAY_WINDOW`], by Identifier and Request
//! Authenticator, and an exact copy is dropped before it is charged. The
//! source address and port are not part of the key: they are whatever the
//! replaying host spoofs, while the signed bytes are what it cannot change.
//!
//! The memory is bounded by the budget itself: only answered probes are
//! remembered, and no more can be answered over the window than the budget
//! allows.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How long an answered Status-Server is remembered. RFC 5997 asks a NAS
/// not to retransmit a Status-Server but to send a new one, with a new
/// Identifier and Request Authenticator, so a copy is never a probe of its
/// own; the window is the upper end of RFC 5080's duplicate window.
pub const REPLAY_WINDOW: Duration = Duration::from_secs(30);

/// The most probes one client remembers, whatever its budget.
const MOST_REMEMBERED: usize = 100_000;

/// What to do with a Status-Server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Answer,
    /// A copy of one answered within the replay window.
    Replay,
    /// The client's budget is used up for now.
    OverRate,
}

/// One probe as the NAS signed it.
type Probe = (u8, [u8; 16]);

/// A client's Status-Server budget and the probes it answered lately.
pub struct StatusServerGate {
    inner: Mutex<Gate>,
}

struct Gate {
    budget: TokenBucket,
    /// The probes answered within the window, and when, oldest first.
    answered: VecDeque<(Probe, Instant)>,
    remembered: HashMap<Probe, Instant>,
    capacity: usize,
}

impl StatusServerGate {
    pub fn new(per_second: u32) -> StatusServerGate {
        let window = usize::try_from(REPLAY_WINDOW.as_secs()).unwrap_or(usize::MAX);
        let per_second = usize::try_from(per_second).unwrap_or(usize::MAX);
        StatusServerGate {
            inner: Mutex::new(Gate {
                budget: TokenBucket::new(per_second),
                answered: VecDeque::new(),
                remembered: HashMap::new(),
                // The bucket answers at most its size at once, then its rate.
                capacity: per_second
                    .saturating_mul(window.saturating_add(1))
                    .min(MOST_REMEMBERED),
            }),
        }
    }

    /// Decides on a Status-Server with this Identifier and Request
    /// Authenticator, arriving `now`; one to be answered is remembered.
    pub fn admit(&self, identifier: u8, authenticator: &[u8; 16], now: Instant) -> Admission {
        let Ok(mut gate) = self.inner.lock() else {
            return Admission::OverRate;
        };
        gate.forget_before(now.checked_sub(REPLAY_WINDOW));
        let probe = (identifier, *authenticator);
        if gate.remembered.contains_key(&probe) {
            return Admission::Replay;
        }
        if !gate.budget.take(now) {
            return Admission::OverRate;
        }
        gate.remember(probe, now);
        Admission::Answer
    }
}

impl Gate {
    /// Forgets the probes answered before `cutoff` (none when the clock is
    /// younger than the window).
    fn forget_before(&mut self, cutoff: Option<Instant>) {
        let Some(cutoff) = cutoff else {
            return;
        };
        while let Some((probe, at)) = self.answered.front().copied() {
            if at >= cutoff {
                break;
            }
            self.answered.pop_front();
            self.remembered.remove(&probe);
        }
    }

    fn remember(&mut self, probe: Probe, now: Instant) {
        if self.answered.len() >= self.capacity
            && let Some((oldest, _)) = self.answered.pop_front()
        {
            self.remembered.remove(&oldest);
        }
        self.answered.push_back((probe, now));
        self.remembered.insert(probe, now);
    }
}

/// A token bucket refilled at `rate` per second, holding at most `rate`.
struct TokenBucket {
    rate: f64,
    tokens: f64,
    updated: Instant,
}

impl TokenBucket {
    fn new(rate: usize) -> TokenBucket {
        let rate = rate as f64;
        TokenBucket {
            rate,
            tokens: rate,
            updated: Instant::now(),
        }
    }

    fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.updated).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.updated = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTHENTICATOR: [u8; 16] = [7; 16];

    #[test]
    fn the_allowance_refills() {
        let mut bucket = TokenBucket::new(2);
        let start = Instant::now();
        assert!(bucket.take(start));
        assert!(bucket.take(start));
        assert!(!bucket.take(start));
        assert!(bucket.take(start + Duration::from_millis(600)));
    }

    #[test]
    fn a_copy_is_a_replay_and_costs_nothing() {
        let gate = StatusServerGate::new(2);
        let now = Instant::now();
        assert_eq!(gate.admit(1, &AUTHENTICATOR, now), Admission::Answer);
        for _ in 0..100 {
            assert_eq!(gate.admit(1, &AUTHENTICATOR, now), Admission::Replay);
        }
        // The budget of two has one left for a probe of the NAS's own.
        assert_eq!(gate.admit(2, &AUTHENTICATOR, now), Admission::Answer);
        assert_eq!(gate.admit(3, &[8; 16], now), Admission::OverRate);
    }

    #[test]
    fn a_probe_is_remembered_for_the_window_only() {
        let gate = StatusServerGate::new(5);
        let start = Instant::now();
        assert_eq!(gate.admit(1, &AUTHENTICATOR, start), Admission::Answer);
        let inside = start + REPLAY_WINDOW - Duration::from_secs(1);
        assert_eq!(gate.admit(1, &AUTHENTICATOR, inside), Admission::Replay);
        let after = start + REPLAY_WINDOW + Duration::from_secs(1);
        assert_eq!(gate.admit(1, &AUTHENTICATOR, after), Admission::Answer);
    }

    #[test]
    fn a_probe_over_the_budget_is_not_remembered() {
        let gate = StatusServerGate::new(1);
        let start = Instant::now();
        assert_eq!(gate.admit(1, &AUTHENTICATOR, start), Admission::Answer);
        assert_eq!(gate.admit(2, &AUTHENTICATOR, start), Admission::OverRate);
        // Its retry once the budget is back is answered, not taken for a replay.
        let later = start + Duration::from_secs(1);
        assert_eq!(gate.admit(2, &AUTHENTICATOR, later), Admission::Answer);
    }

    #[test]
    fn memory_is_bounded_by_the_budget() {
        let gate = StatusServerGate::new(1);
        let start = Instant::now();
        let mut answered = 0;
        for second in 0..1_000u64 {
            let at = start + Duration::from_millis(second * 100);
            let authenticator = [(second % 251) as u8; 16];
            if gate.admit((second % 256) as u8, &authenticator, at) == Admission::Answer {
                answered += 1;
            }
        }
        assert!(answered >= 90, "{answered} answered at one a second");
        let remembered = gate.inner.lock().map(|g| g.remembered.len()).unwrap_or(0);
        assert!(
            remembered <= 32,
            "{remembered} remembered for a budget of 1/s"
        );
    }
}
