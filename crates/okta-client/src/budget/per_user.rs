//! Okta's per-user limit on primary authentication: at most four
//! `/api/v1/authn` (or `/oauth2/v1/token`, with Direct Authentication)
//! calls per username in any rolling second. The fifth is
//! delayed until the oldest leaves the second, instead of being sent into a
//! 429 (which a NAS retry storm would otherwise turn into a lockout-looking
//! burst).
//!
//! Usernames are remembered by a keyed 64-bit hash of their lowercase
//! form, and forgotten a few at a time: every call notes its time in a
//! queue, and each call looks at the oldest few notes and forgets a user
//! whose calls have all left the window. No call scans the table, so none
//! pauses the others, however many users log in each second.

use smallvec::SmallVec;
use std::collections::{HashMap, VecDeque};
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// Notes looked at, at most, by one call: more than the one it adds, so
/// the queue keeps up after a burst.
const FORGET_PER_CALL: usize = 4;
/// Longest username lowercased on the stack before hashing.
const INLINE_NAME: usize = 128;
/// Windows of reservations one user may hold ahead: a flood of logins for
/// one name is told to wait this long or more (past any NAS's deadline, so
/// it is refused) without growing the user's list further.
const MOST_WINDOWS_AHEAD: usize = 60;

#[derive(Debug)]
pub(crate) struct PerUserLimiter {
    per_window: usize,
    window: Duration,
    /// Keys the hash of usernames (a name cannot be chosen to share
    /// another's limit).
    names: RandomState,
    sent: Mutex<Sent>,
}

/// A user's calls in the window, the earliest first (more than the limit
/// when calls wait for a slot).
type Times = SmallVec<[Instant; 4]>;

/// The calls sent in the window, by user, and every call's note, oldest
/// first.
#[derive(Debug, Default)]
struct Sent {
    by_user: HashMap<u64, Times, BuildHasherDefault<Prehashed>>,
    notes: VecDeque<(Instant, u64)>,
}

impl PerUserLimiter {
    pub(crate) fn new(per_window: usize, window: Duration) -> PerUserLimiter {
        PerUserLimiter {
            per_window: per_window.max(1),
            window,
            names: RandomState::new(),
            sent: Mutex::new(Sent::default()),
        }
    }

    /// Reserves a slot for `username` and returns how long to wait before
    /// sending (zero when a slot is free now).
    pub(crate) fn reserve(&self, username: &str, now: Instant) -> Duration {
        let user = self.user(username);
        let window = self.window;
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.forget_some(window, now);
        let times = sent.by_user.entry(user).or_default();
        let left = times
            .iter()
            .take_while(|first| **first + window <= now)
            .count();
        times.drain(..left);
        let at = if times.len() < self.per_window {
            now
        } else {
            // The slot frees when the call per_window places back leaves the window.
            let index = times.len() - self.per_window;
            (times[index] + window).max(now)
        };
        if times.len() < self.per_window * MOST_WINDOWS_AHEAD {
            times.push(at);
            sent.notes.push_back((now, user));
        }
        at - now
    }

    /// The key of a username: its lowercase form, hashed.
    fn user(&self, username: &str) -> u64 {
        let mut lowered = [0u8; INLINE_NAME];
        if username.is_ascii() && username.len() <= INLINE_NAME {
            let lowered = &mut lowered[..username.len()];
            lowered.copy_from_slice(username.as_bytes());
            lowered.make_ascii_lowercase();
            self.names.hash_one(&*lowered)
        } else {
            self.names.hash_one(username.to_lowercase().as_bytes())
        }
    }
}

impl Sent {
    /// Looks at the oldest notes that have left the window and forgets
    /// their users if none of their calls is left in it; a user with calls
    /// still to come is noted again, to be looked at a window later. Notes
    /// are taken in the order of the calls, so no far-off reservation
    /// holds the others back.
    fn forget_some(&mut self, window: Duration, now: Instant) {
        for _ in 0..FORGET_PER_CALL {
            let Some(&(at, user)) = self.notes.front() else {
                return;
            };
            if at + window > now {
                return;
            }
            self.notes.pop_front();
            match self.by_user.get(&user) {
                Some(times) if times.last().is_none_or(|last| *last + window <= now) => {
                    self.by_user.remove(&user);
                }
                Some(_) => self.notes.push_back((now, user)),
                None => {}
            }
        }
    }
}

/// The hasher of keys that are hashes already.
#[derive(Debug, Default)]
struct Prehashed(u64);

impl Hasher for Prehashed {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(*byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// How many users the limiter holds.
    fn remembered(limiter: &PerUserLimiter) -> usize {
        limiter.sent.lock().expect("not poisoned").by_user.len()
    }

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
    fn a_flood_for_one_name_is_told_to_wait_without_growing_its_list() {
        let limiter = PerUserLimiter::new(4, Duration::from_secs(1));
        let now = Instant::now();
        let mut last = Duration::ZERO;
        for _ in 0..10_000 {
            last = limiter.reserve("mallory@example.com", now);
        }
        assert!(last >= Duration::from_secs(59), "{last:?}");
        let sent = limiter.sent.lock().expect("not poisoned");
        assert_eq!(sent.by_user.values().map(SmallVec::len).sum::<usize>(), 240);
        assert_eq!(sent.notes.len(), 240);
    }

    #[test]
    fn a_user_with_calls_still_to_come_is_kept_until_they_are_past() {
        let limiter = PerUserLimiter::new(1, Duration::from_secs(1));
        let start = Instant::now();
        let after = |ms: u64| start + Duration::from_millis(ms);
        // Three calls at once: slots at 0, 1 and 2 s.
        for _ in 0..3 {
            limiter.reserve("carol", after(0));
        }
        // At 1.5 s the notes of those calls have left the window, but
        // carol's slot at 2 s has not: she is kept.
        for user in 0..10 {
            limiter.reserve(&format!("other{user}"), after(1500));
        }
        assert_eq!(remembered(&limiter), 11);
        // Once her last slot has left the window, she goes too, although
        // she made no call since.
        for call in 0..20 {
            limiter.reserve(&format!("late{}", call % 2), after(4500));
        }
        assert_eq!(remembered(&limiter), 2);
    }

    #[test]
    fn a_name_outside_ascii_is_one_user_whatever_its_case() {
        let limiter = PerUserLimiter::new(1, Duration::from_secs(1));
        let now = Instant::now();
        assert_eq!(limiter.reserve("ÉLODIE@example.com", now), Duration::ZERO);
        assert_eq!(
            limiter.reserve("élodie@EXAMPLE.com", now),
            Duration::from_secs(1)
        );
    }

    #[test]
    fn idle_users_are_forgotten_a_few_at_a_time_by_later_calls() {
        let limiter = PerUserLimiter::new(4, Duration::from_secs(1));
        let start = Instant::now();
        let after = |ms: u64| start + Duration::from_millis(ms);
        for user in 0..1000 {
            limiter.reserve(&format!("user{user}"), after(0));
        }
        assert_eq!(remembered(&limiter), 1000);
        // Within the window nobody is forgotten.
        limiter.reserve("first", after(900));
        assert_eq!(remembered(&limiter), 1001);
        // Past it, each call forgets at most a few of the idle users: no
        // call pays for the whole table.
        limiter.reserve("second", after(1500));
        assert_eq!(remembered(&limiter), 1002 - FORGET_PER_CALL);
        for call in 0..1000 {
            limiter.reserve(&format!("later{}", call % 3), after(1600));
        }
        // All the idle users are gone; "first" (whose call at 900 ms is
        // still in the window), "second" and the three later names stay.
        assert_eq!(remembered(&limiter), 5);
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
