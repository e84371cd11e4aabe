//! Okta Verify push notifications in flight, and the simulated phone that
//! answers them.
//!
//! A push is sent by the first verify call; every later call on the same
//! transaction is a poll. The phone answers as the factor is configured
//! (approve, reject, ignore, or wait for a test to decide) after a number of
//! polls or after a delay, and number matching reveals the `correctAnswer`
//! from a configured poll on. A push that ends (answered, timed out,
//! cancelled) is forgotten: the next verify call sends a new one, and a
//! cancelled push can never be approved.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use rand::RngExt;

use super::users::{SimFactor, SimPushResponse};

/// Okta Verify gives up on an unanswered push after five minutes.
const PUSH_LIFETIME: Duration = Duration::from_secs(300);

/// Where a push stands after a poll.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PushStatus {
    /// Not answered yet; the number to pick, once shown.
    Waiting {
        correct_answer: Option<u32>,
    },
    Approved,
    Rejected,
    TimedOut,
}

struct Push {
    login: String,
    response: SimPushResponse,
    answer_after_polls: u32,
    delay: Option<Duration>,
    number: Option<u32>,
    number_after_polls: u32,
    polls: u32,
    sent: Instant,
    /// Decided at run time by a test (`SimHandle::resolve_push`).
    decided: Option<bool>,
}

impl Push {
    fn status(&self) -> PushStatus {
        if let Some(approved) = self.decided {
            return if approved {
                PushStatus::Approved
            } else {
                PushStatus::Rejected
            };
        }
        let elapsed = self.sent.elapsed();
        if elapsed >= PUSH_LIFETIME {
            return PushStatus::TimedOut;
        }
        let answered = match self.delay {
            Some(delay) => elapsed >= delay,
            None => self.polls >= self.answer_after_polls,
        };
        match self.response {
            SimPushResponse::Approve if answered => PushStatus::Approved,
            SimPushResponse::Reject if answered => PushStatus::Rejected,
            SimPushResponse::Ignore if answered => PushStatus::TimedOut,
            _ => PushStatus::Waiting {
                correct_answer: self
                    .number
                    .filter(|_| self.polls >= self.number_after_polls),
            },
        }
    }
}

/// The org's pushes in flight, by a key naming the transaction and factor.
pub(crate) struct Pushes {
    pending: Mutex<HashMap<String, Push>>,
    /// Pushes kept at most; the oldest give way first.
    capacity: usize,
}

impl Pushes {
    pub fn new(capacity: usize) -> Pushes {
        Pushes {
            pending: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Push>> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Sends a push for `factor` under `key` (replacing any push there).
    /// `number_matching` asks for a number challenge even when the factor
    /// does not require one (the factors API's `useNumberMatchingChallenge`),
    /// shown at once.
    pub fn send(
        &self,
        key: String,
        login: &str,
        factor: &SimFactor,
        number_matching: bool,
    ) -> PushStatus {
        let number_after_polls = if number_matching {
            0
        } else {
            factor.number_after_polls
        };
        let push = Push {
            login: login.to_lowercase(),
            response: factor.push_response,
            answer_after_polls: factor.push_polls,
            delay: factor.push_delay,
            number: (factor.number_challenge || number_matching)
                .then(|| rand::rng().random_range(10..100)),
            number_after_polls,
            polls: 0,
            sent: Instant::now(),
            decided: None,
        };
        let status = push.status();
        let mut pending = self.lock();
        if pending.len() >= self.capacity {
            pending.retain(|_, push| push.sent.elapsed() < PUSH_LIFETIME);
            let oldest = pending
                .iter()
                .min_by_key(|(_, push)| push.sent)
                .map(|(key, _)| key.clone());
            if let Some(oldest) = oldest {
                pending.remove(&oldest);
            }
        }
        pending.insert(key, push);
        status
    }

    /// Polls the push under `key`: `None` when no push is in flight there.
    /// A push that has ended is forgotten.
    pub fn poll(&self, key: &str) -> Option<PushStatus> {
        let mut pending = self.lock();
        let push = pending.get_mut(key)?;
        push.polls = push.polls.saturating_add(1);
        let status = push.status();
        if !matches!(status, PushStatus::Waiting { .. }) {
            pending.remove(key);
        }
        Some(status)
    }

    /// Forgets the push under `key`; true if there was one.
    pub fn cancel(&self, key: &str) -> bool {
        self.lock().remove(key).is_some()
    }

    /// Forgets every push whose key starts with `prefix` (a whole transaction).
    pub fn cancel_prefix(&self, prefix: &str) {
        self.lock().retain(|key, _| !key.starts_with(prefix));
    }

    /// The user answers every push pending for `login`; the next poll sees
    /// it. Returns how many pushes were pending.
    pub fn resolve(&self, login: &str, approve: bool) -> usize {
        let login = login.to_lowercase();
        let mut resolved = 0;
        for push in self.lock().values_mut() {
            if push.login == login && push.decided.is_none() {
                push.decided = Some(approve);
                resolved += 1;
            }
        }
        resolved
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push(response: SimPushResponse, polls: u32) -> SimFactor {
        let mut factor = SimFactor::push(response);
        factor.push_polls = polls;
        factor
    }

    #[test]
    fn answers_after_the_configured_polls() {
        let pushes = Pushes::new(10);
        let waiting = PushStatus::Waiting {
            correct_answer: None,
        };
        assert_eq!(
            pushes.send("t1".into(), "a", &push(SimPushResponse::Approve, 2), false),
            waiting
        );
        assert_eq!(pushes.poll("t1"), Some(waiting));
        assert_eq!(pushes.poll("t1"), Some(PushStatus::Approved));
        assert_eq!(pushes.poll("t1"), None);

        pushes.send("t2".into(), "a", &push(SimPushResponse::Reject, 1), false);
        assert_eq!(pushes.poll("t2"), Some(PushStatus::Rejected));
        pushes.send("t3".into(), "a", &push(SimPushResponse::Ignore, 1), false);
        assert_eq!(pushes.poll("t3"), Some(PushStatus::TimedOut));
    }

    #[test]
    fn tests_decide_and_cancel_pushes() {
        let pushes = Pushes::new(10);
        pushes.send("tx#1".into(), "A@x", &push(SimPushResponse::Wait, 1), false);
        assert!(matches!(
            pushes.poll("tx#1"),
            Some(PushStatus::Waiting { .. })
        ));
        assert_eq!(pushes.resolve("a@X", false), 1);
        assert_eq!(pushes.poll("tx#1"), Some(PushStatus::Rejected));

        pushes.send("tx#2".into(), "a@x", &push(SimPushResponse::Wait, 1), false);
        pushes.cancel_prefix("tx#");
        assert_eq!(pushes.resolve("a@x", true), 0);
        assert_eq!(pushes.poll("tx#2"), None);
    }

    #[test]
    fn number_matching_appears_from_the_configured_poll() {
        let pushes = Pushes::new(10);
        let mut factor = push(SimPushResponse::Approve, 3);
        factor.number_challenge = true;
        factor.number_after_polls = 2;
        let first = pushes.send("n".into(), "a", &factor, false);
        assert_eq!(
            first,
            PushStatus::Waiting {
                correct_answer: None
            }
        );
        assert!(matches!(
            pushes.poll("n"),
            Some(PushStatus::Waiting {
                correct_answer: None
            })
        ));
        match pushes.poll("n") {
            Some(PushStatus::Waiting {
                correct_answer: Some(number),
            }) => assert!((10..100).contains(&number)),
            other => panic!("expected a number, got {other:?}"),
        }
        let asked = pushes.send("m".into(), "a", &push(SimPushResponse::Approve, 2), true);
        assert!(matches!(
            asked,
            PushStatus::Waiting {
                correct_answer: Some(_)
            }
        ));
    }
}
