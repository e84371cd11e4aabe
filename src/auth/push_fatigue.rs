//! The push-fatigue limits, per user: no new push for a while after the
//! user rejected one, and at most so many pushes a minute. The ledger of
//! what was sent and rejected stays bounded: once large, users with nothing
//! left to limit are forgotten.

use super::decision::Decision;
use super::identity::UserKey;
use super::messages;
use super::reason::Reason;
use crate::config::PushLimits;
use crate::live::Live;
use dashmap::DashMap;
use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Why a new push may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PushRefusal {
    /// The user rejected a push within the cooldown.
    Cooldown,
    /// The user got too many pushes in the last minute.
    TooMany,
}

impl PushRefusal {
    /// The reject that tells the user why no push was sent.
    pub(super) fn decision(self) -> Decision {
        match self {
            PushRefusal::Cooldown => {
                Decision::reject(Reason::PushCooldown, messages::PUSH_COOLDOWN)
            }
            PushRefusal::TooMany => {
                Decision::reject(Reason::PushRateLimited, messages::PUSH_TOO_MANY)
            }
        }
    }
}

/// The per-user push ledger for fatigue limits.
#[derive(Default)]
struct UserPushes {
    sent: VecDeque<Instant>,
    rejected_at: Option<Instant>,
}

/// The ledger and the limits in force.
pub(super) struct FatigueLedger {
    ledger: DashMap<UserKey, Mutex<UserPushes>>,
    /// `[push_limits]`, replaced by a config reload.
    limits: Live<PushLimits>,
    /// When the ledger was last swept.
    swept: Mutex<Option<Instant>>,
}

/// Least time between two sweeps of one map.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

/// Whether a sweep is due (and, if so, records it as done now). A sweep
/// already running elsewhere counts as done.
pub(super) fn sweep_due(last: &Mutex<Option<Instant>>, now: Instant) -> bool {
    let Ok(mut last) = last.try_lock() else {
        return false;
    };
    if last.is_some_and(|at| now.saturating_duration_since(at) < SWEEP_EVERY) {
        return false;
    }
    *last = Some(now);
    true
}

impl FatigueLedger {
    pub(super) fn new(limits: PushLimits) -> FatigueLedger {
        FatigueLedger {
            ledger: DashMap::new(),
            limits: Live::new(limits),
            swept: Mutex::new(None),
        }
    }

    /// Checks the fatigue limits for a new push to `user` and, when allowed,
    /// records it as sent.
    pub(super) fn admit(&self, user: &UserKey) -> Result<(), PushRefusal> {
        let now = Instant::now();
        self.forget_quiet_users(now);
        let limits = self.limits.get();
        let entry = self.ledger.entry(user.clone()).or_default();
        let Ok(mut ledger) = entry.lock() else {
            return Err(PushRefusal::TooMany);
        };
        if let Some(at) = ledger.rejected_at
            && now.duration_since(at) < limits.cooldown_after_reject
        {
            return Err(PushRefusal::Cooldown);
        }
        while ledger
            .sent
            .front()
            .is_some_and(|at| now.duration_since(*at) >= Duration::from_secs(60))
        {
            ledger.sent.pop_front();
        }
        if ledger.sent.len() >= limits.max_per_minute as usize {
            return Err(PushRefusal::TooMany);
        }
        ledger.sent.push_back(now);
        Ok(())
    }

    /// Pushes sent to `user` in the last minute, and what is left of a
    /// cooldown after a rejected push.
    pub(super) fn status(&self, user: &UserKey) -> (usize, Duration) {
        let now = Instant::now();
        let Some(entry) = self.ledger.get(user) else {
            return (0, Duration::ZERO);
        };
        let Ok(ledger) = entry.lock() else {
            return (0, Duration::ZERO);
        };
        let sent = ledger
            .sent
            .iter()
            .filter(|at| now.duration_since(**at) < Duration::from_secs(60))
            .count();
        let cooldown = ledger.rejected_at.map_or(Duration::ZERO, |at| {
            self.limits
                .get()
                .cooldown_after_reject
                .saturating_sub(now.duration_since(at))
        });
        (sent, cooldown)
    }

    /// Forgets what the ledger holds for `user` (an administrator cleared it).
    pub(super) fn forget(&self, user: &UserKey) {
        self.ledger.remove(user);
    }

    /// Keeps the ledger bounded: once it is large, users with no push and no
    /// rejection inside the limits' windows are forgotten (they have nothing
    /// left to limit).
    fn forget_quiet_users(&self, now: Instant) {
        if self.ledger.len() < 10_000 || !sweep_due(&self.swept, now) {
            return;
        }
        let memory = self
            .limits
            .get()
            .cooldown_after_reject
            .max(Duration::from_secs(60));
        self.ledger.retain(|_, entry| match entry.get_mut() {
            Ok(user) => {
                let recent = |at: &Instant| now.duration_since(*at) < memory;
                user.sent.back().is_some_and(recent)
                    || user.rejected_at.as_ref().is_some_and(recent)
            }
            Err(_) => false,
        });
    }

    /// Replaces the fatigue limits (a config reload); what the ledger has
    /// recorded counts against the new limits.
    pub(super) fn replace_limits(&self, limits: PushLimits) {
        self.limits.set(limits);
    }

    /// The user rejected a push: no new one during the cooldown.
    pub(super) fn note_rejected(&self, user: &UserKey) {
        if let Some(entry) = self.ledger.get(user)
            && let Ok(mut ledger) = entry.lock()
        {
            ledger.rejected_at = Some(Instant::now());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_forgets_quiet_users_once_large() {
        let pushes = FatigueLedger::new(PushLimits {
            cooldown_after_reject: Duration::from_secs(60),
            max_per_minute: 3,
        });
        for i in 0..10_000 {
            pushes.ledger.insert(
                UserKey::of_login(&format!("user{i}")),
                Mutex::new(UserPushes::default()),
            );
        }
        assert_eq!(pushes.admit(&UserKey::of_login("fresh")), Ok(()));
        assert_eq!(
            pushes.ledger.len(),
            1,
            "users with no recent push are forgotten"
        );
    }

    #[test]
    fn fatigue_limits() {
        let pushes = FatigueLedger::new(PushLimits {
            cooldown_after_reject: Duration::from_secs(60),
            max_per_minute: 2,
        });
        let (a, b) = (UserKey::of_login("a"), UserKey::of_login("b"));
        assert_eq!(pushes.admit(&a), Ok(()));
        assert_eq!(pushes.admit(&UserKey::of_login("A")), Ok(()));
        assert_eq!(pushes.admit(&a), Err(PushRefusal::TooMany));
        assert_eq!(pushes.admit(&b), Ok(()));
        pushes.note_rejected(&b);
        assert_eq!(pushes.admit(&b), Err(PushRefusal::Cooldown));
    }
}
