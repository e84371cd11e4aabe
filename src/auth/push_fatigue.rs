//! The push-fatigue limits, per user: no new push for a while after the
//! user rejected one, and at most so many pushes a minute. The ledger of
//! what was sent and rejected stays bounded: once large, users with nothing
//! left to limit are forgotten.
//!
//! In a fleet (`[cluster]`) the limits are the fleet's: the cooldown is a
//! key in Redis that expires with it, and the pushes of the last minute a
//! sorted set checked and added to in one script, so three replicas send a
//! user no more pushes than one server would. Each replica keeps its own
//! ledger too, and uses it while Redis does not answer.

use super::decision::Decision;
use super::identity::UserKey;
use super::messages;
use super::reason::Reason;
use crate::cluster::{Cluster, Fleet};
use crate::config::PushLimits;
use crate::expiry::ExpiryQueue;
use crate::live::Live;
use dashmap::DashMap;
use redis::Script;
use std::collections::VecDeque;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The fleet's admission of a push: 1 in the cooldown, 2 past the
/// per-minute cap, else 0 and the push is recorded as sent.
/// KEYS: the cooldown, the pushes sent; ARGV: now (ms), the cap, a member.
static FLEET_ADMIT: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - 60000)
if redis.call('ZCARD', KEYS[2]) >= tonumber(ARGV[2]) then return 2 end
redis.call('ZADD', KEYS[2], now, ARGV[3])
redis.call('PEXPIRE', KEYS[2], 60000)
return 0",
    )
});

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
struct UserPushes {
    sent: VecDeque<Instant>,
    rejected_at: Option<Instant>,
    /// The user's place in the ledger's expiry queue.
    place: u64,
}

impl UserPushes {
    fn new(place: u64) -> UserPushes {
        UserPushes {
            sent: VecDeque::new(),
            rejected_at: None,
            place,
        }
    }

    /// Until when the ledger has something to limit: a push or a rejection
    /// within `memory`.
    fn matters_until(&self, memory: Duration) -> Option<Instant> {
        self.sent
            .back()
            .max(self.rejected_at.as_ref())
            .map(|at| *at + memory)
    }
}

/// How many quiet users a new push looks at to forget.
const FORGET_AT_ONCE: usize = 64;

/// The ledger and the limits in force.
pub(super) struct FatigueLedger {
    ledger: DashMap<UserKey, Mutex<UserPushes>>,
    /// `[push_limits]`, replaced by a config reload.
    limits: Live<PushLimits>,
    /// The users in the order they came: those with nothing left to limit
    /// are forgotten oldest first, a few per new push.
    expiry: ExpiryQueue<UserKey>,
    /// The fleet sharing the limits, if any.
    cluster: Cluster,
}

/// How long a user's ledger matters after its last push or rejection.
fn memory(limits: &PushLimits) -> Duration {
    limits.cooldown_after_reject.max(Duration::from_secs(60))
}

impl FatigueLedger {
    pub(super) fn new(limits: PushLimits, cluster: Cluster) -> FatigueLedger {
        FatigueLedger {
            ledger: DashMap::new(),
            limits: Live::new(limits),
            expiry: ExpiryQueue::default(),
            cluster,
        }
    }

    /// Checks the fatigue limits for a new push to `user` and, when allowed,
    /// records it as sent: the fleet's limits when there is a fleet and
    /// Redis answers, else this replica's.
    pub(super) async fn admit(&self, user: &UserKey) -> Result<(), PushRefusal> {
        let shared = match self.cluster.fleet() {
            Some(fleet) => fleet_admit(fleet, user, &self.limits.get()).await,
            None => None,
        };
        let local = self.admit_here(user, Instant::now());
        shared.unwrap_or(local)
    }

    /// [`FatigueLedger::admit`] with this replica's ledger, at `now`.
    fn admit_here(&self, user: &UserKey, now: Instant) -> Result<(), PushRefusal> {
        self.forget_quiet_users(now);
        let limits = self.limits.get();
        let mut new_place = None;
        let admitted = {
            let entry = self.ledger.entry(user.clone()).or_insert_with(|| {
                let place = self.expiry.next_place();
                new_place = Some(place);
                Mutex::new(UserPushes::new(place))
            });
            match entry.lock() {
                Ok(mut ledger) => Self::admit_in(&mut ledger, &limits, now),
                Err(_) => Err(PushRefusal::TooMany),
            }
        };
        if let Some(place) = new_place {
            // Queued once the ledger's entry is unlocked.
            self.expiry
                .queue(user.clone(), place, now + memory(&limits));
        }
        admitted
    }

    /// The limits' verdict on one user's ledger; records the push when it
    /// is admitted.
    fn admit_in(
        ledger: &mut UserPushes,
        limits: &PushLimits,
        now: Instant,
    ) -> Result<(), PushRefusal> {
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
    /// cooldown after a rejected push: the fleet's when there is a fleet
    /// and Redis answers, else this replica's.
    pub(super) async fn status(&self, user: &UserKey) -> (usize, Duration) {
        if let Some(fleet) = self.cluster.fleet()
            && let Some(shared) = fleet_status(fleet, user).await
        {
            return shared;
        }
        self.status_here(user)
    }

    /// [`FatigueLedger::status`] from this replica's ledger.
    fn status_here(&self, user: &UserKey) -> (usize, Duration) {
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

    /// Forgets what the ledger holds for `user` (an administrator cleared
    /// it), the fleet's cooldown and count included.
    pub(super) async fn forget(&self, user: &UserKey) {
        self.ledger.remove(user);
        if let Some(fleet) = self.cluster.fleet() {
            let keys = [
                fleet.keys().per_user("push-cooldown", user.as_str()),
                fleet.keys().per_user("push-sent", user.as_str()),
            ];
            fleet
                .run("push_forget", |mut connection| async move {
                    redis::cmd("DEL")
                        .arg(&keys[..])
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        }
    }

    /// Keeps the ledger bounded: users with no push and no rejection inside
    /// the limits' windows (nothing left to limit) are forgotten, oldest
    /// first, a few per new push.
    fn forget_quiet_users(&self, now: Instant) -> usize {
        let memory = memory(&self.limits.get());
        let user = |entry: &Mutex<UserPushes>| {
            // A ledger poisoned by a panic is read all the same, and goes
            // when its time comes.
            let user = entry.lock().unwrap_or_else(PoisonError::into_inner);
            (user.place, user.matters_until(memory).unwrap_or(now))
        };
        self.expiry.forget(
            &self.ledger,
            now,
            FORGET_AT_ONCE,
            |entry| user(entry).0,
            |entry| user(entry).1,
        )
    }

    /// Replaces the fatigue limits (a config reload); what the ledger has
    /// recorded counts against the new limits.
    pub(super) fn replace_limits(&self, limits: PushLimits) {
        self.limits.set(limits);
    }

    /// The user rejected a push: no new one during the cooldown, from any
    /// replica of the fleet.
    pub(super) async fn note_rejected(&self, user: &UserKey) {
        if let Some(entry) = self.ledger.get(user)
            && let Ok(mut ledger) = entry.lock()
        {
            ledger.rejected_at = Some(Instant::now());
        }
        let cooldown = self.limits.get().cooldown_after_reject;
        if let Some(fleet) = self.cluster.fleet()
            && !cooldown.is_zero()
        {
            let key = fleet.keys().per_user("push-cooldown", user.as_str());
            let ms = u64::try_from(cooldown.as_millis()).unwrap_or(u64::MAX);
            fleet
                .run("push_cooldown", |mut connection| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(1)
                        .arg("PX")
                        .arg(ms)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        }
    }
}

/// The fleet's count of pushes sent to `user` in the last minute, and
/// what is left of its cooldown; `None` when Redis does not answer.
async fn fleet_status(fleet: &Fleet, user: &UserKey) -> Option<(usize, Duration)> {
    let keys = fleet.keys();
    let cooldown = keys.per_user("push-cooldown", user.as_str());
    let sent = keys.per_user("push-sent", user.as_str());
    let since = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
        .saturating_sub(60_000);
    let (count, left): (u64, i64) = fleet
        .run("push_status", |mut connection| async move {
            redis::pipe()
                .cmd("ZCOUNT")
                .arg(sent)
                .arg(since)
                .arg("+inf")
                .cmd("PTTL")
                .arg(cooldown)
                .query_async(&mut connection)
                .await
        })
        .await?;
    // PTTL is negative for a key that is not there (no cooldown).
    let left = Duration::from_millis(u64::try_from(left).unwrap_or(0));
    Some((usize::try_from(count).unwrap_or(usize::MAX), left))
}

/// The fleet's admission of a push to `user`; `None` when Redis does not
/// answer.
async fn fleet_admit(
    fleet: &Fleet,
    user: &UserKey,
    limits: &PushLimits,
) -> Option<Result<(), PushRefusal>> {
    let keys = fleet.keys();
    let cooldown = keys.per_user("push-cooldown", user.as_str());
    let sent = keys.per_user("push-sent", user.as_str());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        });
    let member = format!("{now}-{:08x}", rand::random::<u32>());
    let cap = limits.max_per_minute;
    let answer = fleet
        .run("push_admit", |mut connection| {
            let mut invocation = FLEET_ADMIT.key(cooldown);
            invocation.key(sent).arg(now).arg(cap).arg(member);
            async move { invocation.invoke_async::<u8>(&mut connection).await }
        })
        .await?;
    Some(match answer {
        0 => Ok(()),
        1 => Err(PushRefusal::Cooldown),
        _ => Err(PushRefusal::TooMany),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ledger_forgets_quiet_users_oldest_first_a_few_per_push() {
        let pushes = FatigueLedger::new(
            PushLimits {
                cooldown_after_reject: Duration::from_secs(60),
                max_per_minute: 3,
            },
            Cluster::local(),
        );
        let start = Instant::now();
        for i in 0..10_000 {
            let user = UserKey::of_login(&format!("user{i}"));
            assert_eq!(pushes.admit_here(&user, start), Ok(()));
        }
        // Within the minute every one of them still counts.
        let soon = start + Duration::from_secs(59);
        assert_eq!(pushes.admit_here(&UserKey::of_login("early"), soon), Ok(()));
        assert_eq!(pushes.ledger.len(), 10_001);
        // Past it they have nothing left to limit: a new push forgets the
        // oldest few, not the whole ledger at once.
        let later = start + Duration::from_secs(61);
        assert_eq!(
            pushes.admit_here(&UserKey::of_login("fresh"), later),
            Ok(())
        );
        assert_eq!(pushes.ledger.len(), 10_002 - FORGET_AT_ONCE);
        assert!(!pushes.ledger.contains_key(&UserKey::of_login("user0")));
        while pushes.forget_quiet_users(later) > 0 {}
        assert_eq!(pushes.ledger.len(), 2, "the two recent users are kept");
        // A user pushed again keeps one place.
        assert_eq!(
            pushes.admit_here(&UserKey::of_login("fresh"), later),
            Ok(())
        );
        assert_eq!(pushes.expiry.len(), 2);
    }

    #[tokio::test]
    async fn fatigue_limits() {
        let pushes = FatigueLedger::new(
            PushLimits {
                cooldown_after_reject: Duration::from_secs(60),
                max_per_minute: 2,
            },
            Cluster::local(),
        );
        let (a, b) = (UserKey::of_login("a"), UserKey::of_login("b"));
        assert_eq!(pushes.admit(&a).await, Ok(()));
        assert_eq!(pushes.admit(&UserKey::of_login("A")).await, Ok(()));
        assert_eq!(pushes.admit(&a).await, Err(PushRefusal::TooMany));
        assert_eq!(pushes.admit(&b).await, Ok(()));
        pushes.note_rejected(&b).await;
        assert_eq!(pushes.admit(&b).await, Err(PushRefusal::Cooldown));
    }
}
