//! Okta's per-user limit on primary authentication: at most four
//! `/api/v1/authn` (or `/oauth2/v1/token`, with Direct Authentication)
//! calls per username in any rolling second. The fifth is
//! delayed until the oldest leaves the second, instead of being sent into a
//! 429 (which a NAS retry storm would otherwise turn into a lockout-looking
//! burst).

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Usernames remembered before idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

#[derive(Debug)]
pub(crate) struct PerUserLimiter {
    per_window: usize,
    window: Duration,
    sent: Mutex<Sent>,
}

/// The calls sent in the window, by username, and when idle usernames were
/// last forgotten (at most once a window: a scan of every username on each
/// call would cost more than the call when thousands log in each second).
#[derive(Debug, Default)]
struct Sent {
    by_user: HashMap<String, VecDeque<Instant>>,
    pruned_at: Option<Instant>,
}

impl PerUserLimiter {
    pub(crate) fn new(per_window: usize, window: Duration) -> PerUserLimiter {
        PerUserLimiter {
            per_window: per_window.max(1),
            window,
            sent: Mutex::new(Sent::default()),
        }
    }

    /// Reserves a slot for `username` and returns how long to wait before
    /// sending (zero when a slot is free now).
    pub(crate) fn reserve(&self, username: &str, now: Instant) -> Duration {
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        let window = self.window;
        if sent.by_user.len() > PRUNE_ABOVE && sent.pruned_at.is_none_or(|at| at + window <= now) {
            sent.pruned_at = Some(now);
            sent.by_user
                .retain(|_, times| times.back().is_some_and(|last| *last + window > now));
        }
        let times = sent.by_user.entry(username.to_lowercase()).or_default();
        while times
            .front()
            .is_some_and(|first| *first + self.window <= now)
        {
            times.pop_front();
        }
        let at = if times.len() < self.per_window {
            now
        } else {
            // The slot frees when the call per_window places back leaves the window.
            let index = times.len() - self.per_window;
            (times[index] + self.window).max(now)
        };
        times.push_back(at);
        at - now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fifth_call_in_a_second_waits() {
        let limiter = PerUserLimiter::new(4, Duration::from_secs(1));
        let now = Instant::now();
        for _ in 0..4 {
            assert_eq!(limiter.reserve("alice@example.com", now), Duration::ZERO);
        }
        assert_eq!(
            limiter.reserve("Alice@example.com", now),
            Duration::from_secs(1)
        );
        assert_eq!(limiter.reserve("bob@example.com", now), Duration::ZERO);
        let later = now + Duration::from_millis(1500);
        assert_eq!(limiter.reserve("alice@example.com", later), Duration::ZERO);
    }

    #[test]
    fn idle_usernames_are_forgotten_once_a_window_not_on_every_call() {
        let limiter = PerUserLimiter::new(4, Duration::from_secs(1));
        let remembered = || limiter.sent.lock().expect("not poisoned").by_user.len();
        let start = Instant::now();
        let after = |ms: u64| start + Duration::from_millis(ms);
        for user in 0..=PRUNE_ABOVE {
            limiter.reserve(&format!("user{user}"), after(0));
        }
        // Past the bound: idle names are looked for (none yet).
        limiter.reserve("first", after(900));
        assert_eq!(remembered(), PRUNE_ABOVE + 2);
        // The first names are idle now, but they were looked for less than
        // a window ago: this call does not scan the table again.
        limiter.reserve("second", after(1500));
        assert_eq!(remembered(), PRUNE_ABOVE + 3);
        // A window after the last look, they go (and "first" with them).
        limiter.reserve("third", after(1900));
        assert_eq!(remembered(), 2);
        // The limit still holds for a name kept through the forgetting.
        for _ in 0..3 {
            limiter.reserve("second", after(1900));
        }
        assert_eq!(
            limiter.reserve("SECOND", after(1900)),
            Duration::from_millis(600)
        );
    }
}
