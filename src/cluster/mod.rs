//! What the replicas of a fleet share through Redis (`[cluster]`): which
//! replica works on a request, the decisions retransmits get, the States
//! already answered, the per-user limits, and the Okta budget
//! (`okta_budget`). Without `[cluster]` there is no fleet and every caller
//! keeps to its in-process state, at no extra cost.
//!
//! Every operation has the configured timeout (50 ms by default); one that
//! Redis does not answer in time returns `None`, is counted, and the caller
//! goes on with its own state: a login is never refused because Redis is
//! down, and the fleet's behaviour comes back by itself when Redis does.

mod batched;
mod keys;
mod link;
mod okta_budget;
mod operations;
pub mod prefetch;
mod reach;
mod request_claim;
mod write_behind;

pub use keys::Keys;
pub use okta_budget::OktaLeases;
pub use request_claim::Claimed;

use crate::config::cluster::ClusterConfig;
use batched::Batched;
use link::Link;
use operations::Operations;
use reach::Reach;
use redis::RedisResult;
use redis::aio::ConnectionManager;
use std::future::Future;
use std::sync::{Arc, Weak};
use std::time::Duration;
use write_behind::WriteBehind;

/// How often Redis is pinged, so that `/health` follows it without traffic.
const PING_EVERY: Duration = Duration::from_secs(1);
/// How long a ping may take.
const PING_TIMEOUT: Duration = Duration::from_secs(1);
/// Redis's version is read at the first answered ping and again every
/// this many pings (Redis may be upgraded, or Sentinel promote another).
const VERSION_EVERY_PINGS: u32 = 60;

/// The fleet this replica belongs to, if any.
#[derive(Clone, Default)]
pub struct Cluster {
    fleet: Option<Arc<Fleet>>,
}

/// A replica's view of the shared Redis.
pub struct Fleet {
    operations: Arc<Operations>,
    keys: Keys,
    /// Decisions stored without the reply waiting for them.
    decisions: Arc<WriteBehind>,
    /// User ids shared without the login waiting for them.
    identities: Arc<WriteBehind>,
    /// Claims of requests, sent together.
    claims: Arc<Batched>,
}

impl Cluster {
    /// A server on its own.
    pub fn local() -> Cluster {
        Cluster { fleet: None }
    }

    /// Joins the fleet of `config` (none when `None`) and starts pinging its
    /// Redis. Does not wait for Redis. Call within the runtime.
    pub fn start(config: Option<&ClusterConfig>) -> Result<Cluster, String> {
        let Some(config) = config else {
            return Ok(Cluster::local());
        };
        let operations = Arc::new(Operations {
            link: Arc::new(Link::open(config)?),
            reach: Reach::new(),
            op_timeout: config.op_timeout,
        });
        let fleet = Arc::new(Fleet {
            keys: Keys::new(&config.key_prefix),
            decisions: Arc::default(),
            identities: Arc::default(),
            claims: Batched::start(Arc::downgrade(&operations), "duplicate_claim"),
            operations,
        });
        tokio::spawn(ping(Arc::downgrade(&fleet.operations)));
        tokio::spawn(write_behind::run(
            fleet.decisions.clone(),
            Arc::downgrade(&fleet.operations),
            "duplicate_store",
        ));
        tokio::spawn(write_behind::run(
            fleet.identities.clone(),
            Arc::downgrade(&fleet.operations),
            "identity_share",
        ));
        Ok(Cluster { fleet: Some(fleet) })
    }

    /// The shared state, when this replica is part of a fleet.
    pub fn fleet(&self) -> Option<&Fleet> {
        self.fleet.as_deref()
    }

    /// [`Cluster::fleet`], to keep.
    pub fn shared_fleet(&self) -> Option<Arc<Fleet>> {
        self.fleet.clone()
    }

    /// Sends the writes still queued (decisions, user ids) at once: called
    /// when the server stops, after its last reply, so that a retransmit
    /// another replica receives finds the decision instead of a request
    /// pending at a replica that is gone.
    pub async fn flush(&self) {
        if let Some(fleet) = &self.fleet {
            let operations = &fleet.operations;
            write_behind::flush(&fleet.decisions, operations, "duplicate_store").await;
            write_behind::flush(&fleet.identities, operations, "identity_share").await;
        }
    }

    /// `None` when there is no fleet or Redis answers; otherwise why this
    /// replica runs degraded (for `/health`).
    pub fn degraded(&self) -> Option<String> {
        self.fleet.as_ref()?.operations.reach.degraded()
    }
}

impl Fleet {
    /// The fleet's key names.
    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    /// Stores a request's decision under `key` for `ttl`, soon and with
    /// others (`write_behind`): the reply does not wait for it.
    pub fn store_decision(&self, key: String, value: Vec<u8>, ttl: Duration) {
        if !self.decisions.set(key, value, ttl) {
            self.operations
                .reach
                .fell_back("duplicate_store", "too many decisions waiting for Redis");
        }
    }

    /// Shares under `key` the user id Okta named for a login, for `ttl`,
    /// soon and with others (`write_behind`): the login does not wait.
    pub fn share_identity(&self, key: String, user_id: &str, ttl: Duration) {
        if !self.identities.set(key, user_id.as_bytes().to_vec(), ttl) {
            self.operations
                .reach
                .fell_back("identity_share", "too many user ids waiting for Redis");
        }
    }

    /// Runs one operation within the timeout; `None` (counted under `op`)
    /// when Redis did not answer in time or failed.
    pub async fn run<T, F, Fut>(&self, op: &'static str, operation: F) -> Option<T>
    where
        F: FnOnce(ConnectionManager) -> Fut,
        Fut: Future<Output = RedisResult<T>>,
    {
        self.operations.run(op, operation).await
    }

    /// Claims the request `key` with `pending` for `pending_ms`, reading
    /// `read_ahead`'s counts if this replica claims it; `None` when Redis
    /// does not answer.
    pub async fn claim_request(
        &self,
        key: &str,
        pending: &[u8],
        pending_ms: u64,
        read_ahead: Option<&prefetch::ReadAhead>,
    ) -> Option<Claimed> {
        request_claim::claim(&self.claims, key, pending, pending_ms, read_ahead).await
    }
}

/// Pings Redis once a second while the fleet exists.
async fn ping(operations: Weak<Operations>) {
    let mut tick = tokio::time::interval(PING_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut pings_to_version = 0;
    loop {
        tick.tick().await;
        let Some(operations) = operations.upgrade() else {
            return;
        };
        match operations.link.connection() {
            None => operations
                .reach
                .unanswered("no connection to the Redis master yet"),
            Some(mut connection) => {
                let answer = tokio::time::timeout(
                    PING_TIMEOUT,
                    redis::cmd("PING").query_async::<String>(&mut connection),
                )
                .await;
                match answer {
                    Ok(Ok(_)) => {
                        operations.reach.answered();
                        if pings_to_version == 0 {
                            pings_to_version = VERSION_EVERY_PINGS;
                            read_version(&operations.reach, &mut connection).await;
                        }
                        pings_to_version -= 1;
                    }
                    Ok(Err(error)) => {
                        operations.link.failed();
                        operations.reach.failed(&error.to_string(), Some(&error));
                    }
                    Err(_) => operations
                        .reach
                        .failed("no answer to PING within 1 s", None),
                }
            }
        }
    }
}

/// Reads the version of the Redis that answers: one older than the fleet
/// needs makes every claim fail, so each replica decides its requests on
/// its own, which the fallback count alone would not explain. `/health`
/// says so, and the log once.
async fn read_version(reach: &Reach, connection: &mut ConnectionManager) {
    let info = tokio::time::timeout(
        PING_TIMEOUT,
        redis::cmd("INFO")
            .arg("server")
            .query_async::<String>(connection),
    )
    .await;
    let Ok(Ok(info)) = info else {
        return;
    };
    let unfit = redis_version(&info)
        .filter(|version| !new_enough(version))
        .map(|version| {
            format!(
                "Redis {version} is older than {}.{}: requests cannot be claimed (SET ... NX GET), \
                 so this replica decides them with its own state and a NAS failing over may \
                 cause a second Okta call or push; upgrade Redis",
                OLDEST_REDIS.0, OLDEST_REDIS.1
            )
        });
    reach.fit(unfit);
}

/// `redis_version` of an `INFO server` answer.
fn redis_version(info: &str) -> Option<&str> {
    info.lines()
        .find_map(|line| line.strip_prefix("redis_version:"))
        .map(str::trim)
}

/// The oldest Redis (major, minor) a fleet works with: 7.0 first accepted
/// `SET` with both `NX` and `GET`, which claims a request.
const OLDEST_REDIS: (u32, u32) = (7, 0);

/// Whether `version` (`INFO`'s `redis_version`) is [`OLDEST_REDIS`] or
/// later; an unreadable version is given the benefit of the doubt (a
/// Redis-compatible server may report its own).
fn new_enough(version: &str) -> bool {
    let mut parts = version.split('.').map(str::parse::<u32>);
    match (parts.next(), parts.next()) {
        (Some(Ok(major)), Some(Ok(minor))) => (major, minor) >= OLDEST_REDIS,
        _ => true,
    }
}

/// Reaches the Redis of `config` once (`check-config --online`): what
/// answered, or why it did not.
pub async fn check(config: &ClusterConfig) -> Result<String, String> {
    let link = Arc::new(Link::open(config)?);
    let attempt = async {
        loop {
            if let Some(mut connection) = link.connection() {
                let info: String = redis::cmd("INFO")
                    .arg("server")
                    .query_async(&mut connection)
                    .await
                    .map_err(|error| error.to_string())?;
                return Ok::<String, String>(info);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    let info = tokio::time::timeout(Duration::from_secs(5), attempt)
        .await
        .map_err(|_| {
            format!(
                "Redis does not answer: {}: no answer within 5 s",
                config.describe()
            )
        })?
        .map_err(|why| format!("Redis does not answer: {}: {why}", config.describe()))?;
    let version = redis_version(&info).unwrap_or("unknown");
    if !new_enough(version) {
        return Err(format!(
            "{}: Redis {version} answers, but a fleet needs Redis {}.{} or later \
             (a request is claimed with SET ... NX GET); upgrade Redis",
            config.describe(),
            OLDEST_REDIS.0,
            OLDEST_REDIS.1
        ));
    }
    Ok(format!(
        "Redis {version} answers at {} (key prefix \"{}\")",
        config.describe(),
        config.key_prefix
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redis_7_0_and_later_are_new_enough() {
        for version in ["7.0.0", "7.0.15", "7.2.4", "8.0.1", "10.1"] {
            assert!(new_enough(version), "{version}");
        }
        for version in ["6.2.14", "6.0.20", "5.0.7"] {
            assert!(!new_enough(version), "{version}");
        }
        // Not a version this can read: not refused.
        assert!(new_enough("unknown"));
    }

    #[test]
    fn the_version_is_read_from_info_server() {
        let info = "# Server\r\nredis_version:6.2.14\r\nredis_git_sha1:00000000\r\n";
        assert_eq!(redis_version(info), Some("6.2.14"));
        assert!(!new_enough(redis_version(info).unwrap_or_default()));
        assert_eq!(redis_version("# Server\r\n"), None);
    }
}
