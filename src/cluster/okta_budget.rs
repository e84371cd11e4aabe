//! The fleet's Okta budget in Redis: `okta.max_concurrent` as leases in a
//! sorted set scored by their expiry (a replica that dies mid-call loses
//! its leases when they lapse: the call's deadline and one Okta request
//! timeout later, and the reuse time below), and a bucket Okta showed
//! empty kept until its reset, so every replica waits for the window
//! instead of walking into the same 429.
//!
//! A lease a call gives back is kept by the replica for a moment and handed
//! to its next call without asking Redis (a busy replica makes one lease
//! serve many calls); it goes back to the fleet once idle for
//! [`IDLE_FOR`], and is reused only for [`REUSE_FOR`] after Redis granted
//! it, so a busy replica cannot keep the fleet's leases from the others
//! longer than that, and hears of another replica's 429 at least that
//! often. Leases going back are returned in one `ZREM` together.
//!
//! While the fleet is full, a replica's waiting calls take turns to ask
//! Redis again ([`ASKING_AT_ONCE`] at a time, each every [`RETRY_EVERY`]),
//! and a lease given back at the replica goes to one of them without
//! asking: Redis hears a few asks per replica, not one per waiting call
//! (a fleet under a burst of held pushes has thousands).

use super::Fleet;
use okta_api::RateLimit;
use okta_client::budget::{FleetAnswer, FleetBudget};
use redis::Script;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock, Mutex, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// How long a replica waits before asking again for a slot of a full fleet.
const RETRY_EVERY: Duration = Duration::from_millis(10);
/// How long after Redis granted it a lease may serve this replica's calls.
const REUSE_FOR: Duration = Duration::from_millis(250);
/// How long a lease no call uses stays with this replica before it goes
/// back to the fleet.
const IDLE_FOR: Duration = Duration::from_millis(20);
/// How many of this replica's calls ask Redis for a lease at once. The
/// others wait for their turn or for a lease given back here: while the
/// fleet is full, a replica asks this many times every [`RETRY_EVERY`],
/// however many of its calls wait.
const ASKING_AT_ONCE: usize = 2;

/// Takes a lease unless the fleet holds `max` unexpired ones; returns
/// {taken (1 or 0), the bucket's exhaustion ("limit:reset") or ""}.
/// KEYS: the leases, the bucket's exhaustion; ARGV: now (ms), max, the
/// lease's life (ms), its id.
static TAKE: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local exhausted = redis.call('GET', KEYS[2]) or ''
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return {0, exhausted} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[3]), ARGV[4])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
end
return {1, exhausted}",
    )
});

/// The fleet's share of Okta, for the Okta client's budget.
pub struct OktaLeases {
    fleet: Arc<Fleet>,
    max_concurrent: usize,
    /// A lease outlives the longest call by a second.
    lease: Duration,
    leases_key: String,
    /// The leases this replica holds (in use or idle).
    held: Arc<Mutex<Held>>,
    /// Told when a call gives a lease back.
    freed: tokio::sync::Notify,
    /// Turns to ask Redis for a lease ([`ASKING_AT_ONCE`]).
    asking: tokio::sync::Semaphore,
}

/// The leases one replica holds.
#[derive(Default)]
struct Held {
    /// Every lease held, by id.
    leases: HashMap<u64, Lease>,
    /// The ids of those no call uses now, the most recently freed last.
    idle: Vec<u64>,
    /// Whether a return of idle leases is scheduled.
    return_scheduled: bool,
}

/// One lease of the fleet held by this replica.
#[derive(Clone, Copy)]
struct Lease {
    /// When Redis granted it (it is reused only for [`REUSE_FOR`]).
    granted: Instant,
    /// Until when Redis keeps it.
    expires: Instant,
    /// When the last call gave it back.
    freed: Instant,
}

impl Held {
    /// An idle lease that lasts until `needed_until`, taken off the idle
    /// list.
    fn reuse(&mut self, now: Instant, needed_until: Instant) -> Option<u64> {
        let mut stale = Vec::new();
        let found = loop {
            let Some(id) = self.idle.pop() else {
                break None;
            };
            match self.leases.get(&id) {
                Some(lease) if now < lease.granted + REUSE_FOR && lease.expires >= needed_until => {
                    break Some(id);
                }
                // Too old to reuse: it goes back with the next return.
                Some(_) => stale.push(id),
                None => {}
            }
        };
        self.idle.splice(0..0, stale);
        found
    }

    /// How many of the leases held Redis still counts at `now`: in use or
    /// idle, until they are given back or lapse.
    fn counted(&self, now: Instant) -> usize {
        self.leases
            .values()
            .filter(|lease| lease.expires > now)
            .count()
    }

    /// Takes off the list the idle leases to give back to the fleet now
    /// (idle for [`IDLE_FOR`], or too old to reuse).
    fn take_due(&mut self, now: Instant) -> Vec<u64> {
        let leases = &mut self.leases;
        let mut returned = Vec::new();
        self.idle.retain(|id| match leases.get(id) {
            Some(lease) if now < lease.freed + IDLE_FOR && now < lease.granted + REUSE_FOR => true,
            Some(_) => {
                leases.remove(id);
                returned.push(*id);
                false
            }
            None => false,
        });
        returned
    }
}

impl OktaLeases {
    /// Leases for at most `max_concurrent` calls, each living at most
    /// `request_timeout` (and a second).
    pub fn new(fleet: Arc<Fleet>, max_concurrent: usize, request_timeout: Duration) -> OktaLeases {
        let leases_key = fleet.keys().okta("leases");
        OktaLeases {
            fleet,
            max_concurrent: max_concurrent.max(1),
            lease: request_timeout + Duration::from_secs(1),
            leases_key,
            held: Arc::new(Mutex::new(Held::default())),
            freed: tokio::sync::Notify::new(),
            asking: tokio::sync::Semaphore::new(ASKING_AT_ONCE),
        }
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.held.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Gives back to the fleet, in one `ZREM`, the idle leases due, once
    /// [`IDLE_FOR`] has passed (one return scheduled at a time).
    fn schedule_return(&self) {
        {
            let mut held = self.held();
            if held.return_scheduled {
                return;
            }
            held.return_scheduled = true;
        }
        let fleet = self.fleet.clone();
        let key = self.leases_key.clone();
        let held = self.held.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(IDLE_FOR).await;
                let (returned, again) = {
                    let mut held = held.lock().unwrap_or_else(PoisonError::into_inner);
                    let returned = held.take_due(Instant::now());
                    let again = !held.idle.is_empty();
                    held.return_scheduled = again;
                    (returned, again)
                };
                if !returned.is_empty() {
                    let key = key.clone();
                    fleet
                        .run("okta_lease_return", |mut connection| async move {
                            redis::cmd("ZREM")
                                .arg(key)
                                .arg(returned)
                                .query_async::<()>(&mut connection)
                                .await
                        })
                        .await;
                }
                if !again {
                    return;
                }
            }
        });
    }

    /// One attempt at a lease that lives until `deadline` (the call may
    /// wait that long for the bucket) and then as long as a call can.
    async fn take_once(
        &self,
        bucket: &'static str,
        deadline: Instant,
    ) -> Option<(bool, Option<RateLimit>, u64)> {
        let id = rand::random::<u64>();
        let now = unix_ms();
        let asked = Instant::now();
        let life = deadline.saturating_duration_since(asked) + self.lease + REUSE_FOR;
        let lease_ms = u64::try_from(life.as_millis()).unwrap_or(u64::MAX);
        let exhausted_key = self.fleet.keys().okta(bucket);
        let (taken, exhausted): (u8, String) = self
            .fleet
            .run("okta_lease", |mut connection| {
                let mut invocation = TAKE.key(&self.leases_key);
                invocation
                    .key(exhausted_key)
                    .arg(now)
                    .arg(self.max_concurrent)
                    .arg(lease_ms)
                    .arg(id);
                async move { invocation.invoke_async(&mut connection).await }
            })
            .await?;
        if taken == 1 {
            self.held().leases.insert(
                id,
                Lease {
                    granted: asked,
                    expires: asked + life,
                    freed: asked,
                },
            );
        }
        Some((taken == 1, parse_exhausted(&exhausted), id))
    }
}

impl FleetBudget for OktaLeases {
    fn take<'a>(
        &'a self,
        bucket: &'static str,
        deadline: Instant,
    ) -> Pin<Box<dyn Future<Output = FleetAnswer> + Send + 'a>> {
        Box::pin(async move {
            loop {
                // A lease this replica's calls gave back first, also while
                // waiting for a full fleet.
                let all_held_here = {
                    let now = Instant::now();
                    let mut held = self.held();
                    if let Some(id) = held.reuse(now, deadline + self.lease) {
                        return FleetAnswer::Slot {
                            id,
                            exhausted: None,
                        };
                    }
                    held.counted(now) >= self.max_concurrent
                };
                // When this replica holds every lease of the fleet, Redis
                // could only answer that it is full: a burst of calls
                // waiting here does not ask it every few milliseconds.
                let mut turn = None;
                if !all_held_here {
                    // A turn to ask, unless a lease comes back here first.
                    let waited = tokio::time::timeout_at(deadline, async {
                        tokio::select! {
                            turn = self.asking.acquire() => turn.ok(),
                            () = self.freed.notified() => None,
                        }
                    })
                    .await;
                    match waited {
                        Err(_) => return FleetAnswer::Full,
                        Ok(None) => continue,
                        Ok(Some(granted)) => turn = Some(granted),
                    }
                    match self.take_once(bucket, deadline).await {
                        None => return FleetAnswer::Alone,
                        Some((true, exhausted, id)) => {
                            return FleetAnswer::Slot { id, exhausted };
                        }
                        Some((false, _, _)) => {}
                    }
                }
                if Instant::now() + RETRY_EVERY > deadline {
                    return FleetAnswer::Full;
                }
                // Woken by a lease this replica's calls give back, or
                // asking the fleet again. A call that found the fleet full
                // keeps its turn meanwhile: the calls behind it would hear
                // the same.
                let _ = tokio::time::timeout(RETRY_EVERY, self.freed.notified()).await;
                drop(turn);
            }
        })
    }

    fn reuse(&self, deadline: Instant) -> Option<u64> {
        self.held().reuse(Instant::now(), deadline + self.lease)
    }

    fn give_back(&self, id: u64) {
        {
            let mut held = self.held();
            let Some(lease) = held.leases.get_mut(&id) else {
                return;
            };
            lease.freed = Instant::now();
            held.idle.push(id);
        }
        self.freed.notify_one();
        self.schedule_return();
    }

    fn exhausted(&self, bucket: &'static str, rate_limit: RateLimit) {
        let fleet = self.fleet.clone();
        let key = fleet.keys().okta(bucket);
        // Kept until the window resets on Okta's clock, a second more, and
        // never more than one Okta window (a minute).
        let now = unix_ms() / 1000;
        let seconds = rate_limit
            .reset
            .saturating_sub(rate_limit.date.unwrap_or(now))
            .clamp(1, 60)
            + 1;
        let value = format!(
            "{}:{}:{}",
            rate_limit.limit,
            rate_limit.reset,
            rate_limit.date.unwrap_or(now)
        );
        tokio::spawn(async move {
            fleet
                .run("okta_exhausted", |mut connection| async move {
                    redis::cmd("SET")
                        .arg(key)
                        .arg(value)
                        .arg("EX")
                        .arg(seconds)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        });
    }
}

/// `limit:reset:date` as stored by [`OktaLeases::exhausted`].
fn parse_exhausted(text: &str) -> Option<RateLimit> {
    let mut parts = text.split(':').map(str::parse::<u64>);
    let (Some(Ok(limit)), Some(Ok(reset)), Some(Ok(date))) =
        (parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    Some(RateLimit {
        limit,
        remaining: 0,
        reset,
        date: Some(date),
    })
}

fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn held_with(leases: &[(u64, Instant, Instant)]) -> Held {
        let mut held = Held::default();
        for &(id, granted, freed) in leases {
            held.leases.insert(
                id,
                Lease {
                    granted,
                    expires: granted + Duration::from_secs(10),
                    freed,
                },
            );
            held.idle.push(id);
        }
        held
    }

    #[test]
    fn a_lease_given_back_serves_the_next_call_only_while_young() {
        let now = Instant::now();
        let mut held = held_with(&[(1, now, now)]);
        assert_eq!(held.reuse(now, now + Duration::from_secs(5)), Some(1));
        assert_eq!(
            held.reuse(now, now + Duration::from_secs(5)),
            None,
            "in use"
        );
        // Past its reuse time, or too short for the call: not reused.
        let mut held = held_with(&[(2, now, now)]);
        assert_eq!(held.reuse(now + REUSE_FOR, now + REUSE_FOR), None);
        assert_eq!(held.reuse(now, now + Duration::from_secs(11)), None);
        assert_eq!(held.idle, vec![2], "kept for the return");
    }

    #[test]
    fn a_lease_counts_for_the_fleet_until_it_goes_back_or_lapses() {
        let now = Instant::now();
        let mut held = held_with(&[(1, now, now), (2, now, now)]);
        assert_eq!(held.reuse(now, now), Some(2));
        assert_eq!(held.counted(now), 2, "in use and idle alike");
        assert_eq!(held.take_due(now + IDLE_FOR), vec![1]);
        assert_eq!(held.counted(now), 1, "given back");
        assert_eq!(held.counted(now + Duration::from_secs(10)), 0, "lapsed");
    }

    #[test]
    fn idle_or_old_leases_go_back_to_the_fleet() {
        let now = Instant::now();
        let later = now + IDLE_FOR / 2;
        let mut held = held_with(&[(1, now, now), (2, now, later)]);
        assert_eq!(held.take_due(later), Vec::<u64>::new());
        assert_eq!(held.take_due(now + IDLE_FOR), vec![1]);
        assert_eq!(held.take_due(now + REUSE_FOR), vec![2]);
        assert!(held.leases.is_empty() && held.idle.is_empty());
    }

    #[test]
    fn an_exhausted_bucket_reads_back_as_an_empty_window() {
        assert_eq!(
            parse_exhausted("600:1764480060:1764480030"),
            Some(RateLimit {
                limit: 600,
                remaining: 0,
                reset: 1764480060,
                date: Some(1764480030),
            })
        );
        assert_eq!(parse_exhausted(""), None);
        assert_eq!(parse_exhausted("600:x:1"), None);
    }
}
