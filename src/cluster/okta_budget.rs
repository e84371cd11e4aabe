//! The fleet's Okta budget in Redis: `okta.max_concurrent` as leases in a
//! sorted set scored by their expiry (a replica that dies mid-call loses
//! its leases when they lapse: the call's deadline and one Okta request
//! timeout later), and a
//! bucket Okta showed empty kept until its reset, so every replica waits
//! for the window instead of walking into the same 429.

use super::Fleet;
use okta_api::RateLimit;
use okta_client::budget::{FleetAnswer, FleetBudget};
use redis::Script;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, LazyLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::time::Instant;

/// How long a replica waits before asking again for a slot of a full fleet.
const RETRY_EVERY: Duration = Duration::from_millis(10);

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
        }
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
        let life = deadline.saturating_duration_since(Instant::now()) + self.lease;
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
                match self.take_once(bucket, deadline).await {
                    None => return FleetAnswer::Alone,
                    Some((true, exhausted, id)) => return FleetAnswer::Slot { id, exhausted },
                    Some((false, _, _)) => {
                        if Instant::now() + RETRY_EVERY > deadline {
                            return FleetAnswer::Full;
                        }
                        tokio::time::sleep(RETRY_EVERY).await;
                    }
                }
            }
        })
    }

    fn give_back(&self, id: u64) {
        let fleet = self.fleet.clone();
        let key = self.leases_key.clone();
        tokio::spawn(async move {
            fleet
                .run("okta_lease_return", |mut connection| async move {
                    redis::cmd("ZREM")
                        .arg(key)
                        .arg(id)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        });
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
