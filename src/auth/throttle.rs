//! Password-spraying protection in front of Okta: failed passwords are
//! counted over a sliding window per user *and* source (the user's
//! [`UserKey`] with the end user's address, from Calling-Station-Id), per
//! user across all sources, and per source across all users. Once a limit
//! is reached the next login it covers is rejected at once, without calling
//! Okta, so Okta's own lockout counters (and the real user's account) are
//! not burnt by an attacker guessing through the VPN.
//!
//! The per-user-and-source limit comes first and is the low one: a sprayer
//! who knows a colleague's login is throttled at the sprayer's address
//! while the colleague, from another address, still logs in. The per-user
//! limit is the higher ceiling across all sources, which still stops a
//! spray spread over many addresses. A request without Calling-Station-Id
//! counts under the user with an unknown source.
//!
//! In a fleet (`[cluster]`) the counts live in Redis, so wrong passwords
//! spread over the replicas are throttled as one server would throttle
//! them; each replica keeps its own counts too, and uses them while Redis
//! does not answer.
//!
//! Only requests that passed the client and Message-Authenticator checks get
//! here, so spoofed packets cannot fill the tables; they are bounded anyway.

use super::identity::UserKey;
use crate::cluster::prefetch::{self, KeyList, ReadAhead};
use crate::cluster::{Cluster, Fleet};
use crate::config::abuse::AbuseLimits;
use crate::expiry::ExpiryQueue;
use crate::live::Live;
use crate::telemetry::metrics as m;
use dashmap::DashMap;
use metrics::counter;
use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use redis::Script;
use smallvec::SmallVec;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The most keys tracked in each table; past it, expired entries are
/// purged and, if still full, new keys are not tracked.
const MAX_TRACKED: usize = 100_000;
/// At most one warning about throttling per this many seconds.
const LOG_EVERY_SECONDS: u64 = 10;

/// What the user reads when a throttle refuses the login.
pub(super) const THROTTLED_MESSAGE: &str =
    "Too many failed logins. Wait a few minutes before trying again.";

/// Which throttle refused a login (the `kind` metric label).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Throttled {
    UserAndSource,
    User,
    Source,
}

impl Throttled {
    pub(super) fn label(self) -> &'static str {
        match self {
            Throttled::UserAndSource => "user_source",
            Throttled::User => "user",
            Throttled::Source => "source",
        }
    }
}

/// What the throttles say about a new login.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Checked {
    /// The throttle that refuses it, if one does.
    pub(super) refused: Option<Throttled>,
    /// Whether the user has failures to forgive when the password is right
    /// (or, with Redis not answering, whether that is unknown): a success
    /// with nothing to forgive costs the fleet no round trip.
    pub(super) to_forgive: bool,
}

/// What the throttles hold for one user (`okta-radius admin throttle show`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct ThrottleReport {
    /// The user's wrong passwords inside the window: across all sources,
    /// or from the worst one when that count is higher.
    pub(super) failures: u64,
    /// Whether a new login is refused now (from the worst source).
    pub(super) throttled: bool,
    /// The sources the user's wrong passwords came from.
    pub(super) sources: Vec<SourceReport>,
    /// Whether these are the fleet's counts (else this process's).
    pub(super) fleet: bool,
}

/// The counts of one source a user's wrong passwords came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SourceReport {
    /// Calling-Station-Id as sent, trimmed; empty for requests without one.
    pub(super) source: String,
    /// The user's wrong passwords from this source.
    pub(super) failures: u64,
    /// Wrong passwords from this source, for any user.
    pub(super) source_failures: u64,
    /// Whether a new login of the user from this source is refused now.
    pub(super) throttled: bool,
}

/// Counts read for a report: the per-user count and, per source, the
/// user's count from it and its count for any user.
#[derive(Default)]
struct Counts {
    user: u64,
    sources: Vec<(String, u64, u64)>,
}

impl Counts {
    /// Adds a source's counts; one seen under another key of the user keeps
    /// the higher counts.
    fn add_source(&mut self, source: String, pair: u64, all: u64) {
        match self.sources.iter_mut().find(|(seen, _, _)| *seen == source) {
            Some((_, seen_pair, seen_all)) => {
                *seen_pair = (*seen_pair).max(pair);
                *seen_all = (*seen_all).max(all);
            }
            None => self.sources.push((source, pair, all)),
        }
    }
}

/// The three counts one login is checked against, by key.
struct Counted<'a> {
    user: &'a str,
    source: Option<&'a str>,
}

/// What a login is counted as under each of its keys (one or two: the
/// login, and the user id once Okta named it), inline.
type CountedKeys<'a> = SmallVec<[Counted<'a>; 2]>;

impl<'a> Counted<'a> {
    fn of(user: &'a UserKey, source: Option<&'a str>) -> Counted<'a> {
        Counted {
            user: user.as_str(),
            source,
        }
    }

    /// The key of the user-and-source count. Written only when a table is
    /// looked in: most logins find the tables empty.
    fn pair(&self) -> String {
        // The unknown source is the empty one: no Calling-Station-Id is
        // empty once trimmed.
        format!("{}\n{}", self.user, self.source.unwrap_or(""))
    }
}

/// The failed passwords counted under one key, and the key's place in its
/// table's expiry queue.
struct Failures {
    at: VecDeque<Instant>,
    place: u64,
}

/// How many stale keys a full table looks at to make room for a new one.
const FORGET_AT_ONCE: usize = 64;

/// Failure counts per user and source, per user and per source.
pub(super) struct FailureThrottle {
    /// `[abuse]`, replaced by a config reload.
    limits: Live<AbuseLimits>,
    pairs: DashMap<Arc<str>, Failures>,
    users: DashMap<Arc<str>, Failures>,
    sources: DashMap<Arc<str>, Failures>,
    /// The keys of each table (pairs, users, sources) in the order they
    /// came: a full table forgets stale counts oldest first, a few for each
    /// new key, so a spray of distinct names cannot make a failure scan a
    /// table.
    expiry: [ExpiryQueue<Arc<str>>; 3],
    /// The fleet sharing the counts, if any.
    cluster: Cluster,
    started: Instant,
    logged_at: AtomicU64,
}

impl FailureThrottle {
    pub(super) fn new(limits: AbuseLimits, cluster: Cluster) -> FailureThrottle {
        FailureThrottle {
            limits: Live::new(limits),
            pairs: DashMap::new(),
            users: DashMap::new(),
            sources: DashMap::new(),
            expiry: std::array::from_fn(|_| ExpiryQueue::default()),
            cluster,
            started: Instant::now(),
            logged_at: AtomicU64::new(0),
        }
    }

    /// Whether a new login by the user known by `keys` (every key its
    /// failures may have been counted under: the login, and the user id
    /// once Okta named it) from `source` must be refused now. Counts and
    /// logs (rate-limited) the refusal.
    pub(super) async fn check(&self, keys: &[UserKey], source: Option<&str>) -> Checked {
        let limits = self.limits.get();
        let (mut pair, mut per_user, mut per_source) = (0, 0, 0);
        let counted: CountedKeys<'_> = keys.iter().map(|user| Counted::of(user, source)).collect();
        // Nothing to count when every throttle is off (then nothing is
        // recorded either).
        let off = limits.max_failures_per_user_and_source == 0
            && limits.max_failures_per_user == 0
            && limits.max_failures_per_source == 0;
        // The fleet's counts under every key, in one round trip.
        let shared = match self.cluster.fleet() {
            Some(fleet) if !off && !counted.is_empty() => {
                fleet_counts(fleet, &counted, limits.window).await
            }
            _ => None,
        };
        let unknown = self.cluster.fleet().is_some() && !off && shared.is_none();
        for (i, counted) in counted.iter().enumerate() {
            let counts = shared
                .as_ref()
                .and_then(|all| all.get(i).copied())
                .unwrap_or_else(|| {
                    let now = Instant::now();
                    [
                        if self.pairs.is_empty() {
                            0
                        } else {
                            count(&self.pairs, &counted.pair(), limits.window, now)
                        },
                        count(&self.users, counted.user, limits.window, now),
                        counted
                            .source
                            .map_or(0, |source| count(&self.sources, source, limits.window, now)),
                    ]
                });
            pair = pair.max(counts[0]);
            per_user = per_user.max(counts[1]);
            per_source = per_source.max(counts[2]);
        }
        let to_forgive = unknown || pair > 0 || per_user > 0;
        let Some(user) = keys.last() else {
            return Checked {
                refused: None,
                to_forgive,
            };
        };
        let reached = |recent: u64, limit: u32| limit > 0 && recent >= u64::from(limit);
        let refused = if reached(pair, limits.max_failures_per_user_and_source) {
            Some(Throttled::UserAndSource)
        } else if reached(per_user, limits.max_failures_per_user) {
            Some(Throttled::User)
        } else if source.is_some() && reached(per_source, limits.max_failures_per_source) {
            Some(Throttled::Source)
        } else {
            None
        };
        if let Some(kind) = refused {
            counter!(m::THROTTLED, "kind" => kind.label()).increment(1);
            self.log(kind, user, source);
        }
        Checked {
            refused,
            to_forgive,
        }
    }

    /// The fleet's counts a new login by the user known by `keys` from
    /// `source` would be checked against, and the oldest failure time that
    /// counts: for the request's claim to read them ahead. `None` without a
    /// fleet or with every throttle off.
    pub(super) fn counts_to_read_ahead(
        &self,
        keys: &[UserKey],
        source: Option<&str>,
    ) -> Option<ReadAhead> {
        let fleet = self.cluster.fleet()?;
        let limits = self.limits.get();
        if limits.max_failures_per_user_and_source == 0
            && limits.max_failures_per_user == 0
            && limits.max_failures_per_source == 0
        {
            return None;
        }
        let counted: CountedKeys<'_> = keys.iter().map(|user| Counted::of(user, source)).collect();
        let (keys, since) = fleet_count_keys(fleet, &counted, limits.window);
        Some(ReadAhead {
            of: counted_as(&counted),
            keys,
            since,
        })
    }

    /// Records a wrong password.
    pub(super) async fn failed(&self, user: &UserKey, source: Option<&str>) {
        let now = Instant::now();
        let limits = self.limits.get();
        let counted = Counted::of(user, source);
        record(
            &self.pairs,
            &self.expiry[0],
            &counted.pair(),
            limits.max_failures_per_user_and_source,
            limits.window,
            now,
        );
        record(
            &self.users,
            &self.expiry[1],
            counted.user,
            limits.max_failures_per_user,
            limits.window,
            now,
        );
        if let Some(source) = source {
            record(
                &self.sources,
                &self.expiry[2],
                source,
                limits.max_failures_per_source,
                limits.window,
                now,
            );
        }
        if let Some(fleet) = self.cluster.fleet() {
            fleet_record(fleet, &counted, &limits).await;
        }
    }

    /// Replaces the limits (a config reload); failures already counted
    /// count against the new limits.
    pub(super) fn replace_limits(&self, limits: AbuseLimits) {
        self.limits.set(limits);
    }

    /// Records a correct password from `source`: the user's failures under
    /// every key they were counted by are forgiven, across all sources and
    /// from this one (not those of other sources: an attacker's address
    /// stays throttled, and one source may try many users). `to_forgive`
    /// is the check's: without failures the fleet is not asked.
    pub(super) async fn succeeded(&self, keys: &[UserKey], source: Option<&str>, to_forgive: bool) {
        for key in keys {
            let counted = Counted::of(key, source);
            self.users.remove(counted.user);
            if !self.pairs.is_empty() {
                self.pairs.remove(counted.pair().as_str());
            }
        }
        // The fleet's counts only when the check found some: most logins
        // have nothing to forgive, and their keys cost a digest each.
        if let Some(fleet) = self.cluster.fleet()
            && to_forgive
        {
            let mut forgotten = Vec::with_capacity(2 * keys.len());
            for key in keys {
                let user = key.as_str().as_bytes();
                forgotten.push(fleet.keys().failures("user", &[user]));
                forgotten.push(
                    fleet
                        .keys()
                        .failures("pair", &[user, source.unwrap_or("").as_bytes()]),
                );
            }
            fleet
                .run("throttle_forgive", |mut connection| async move {
                    redis::cmd("DEL")
                        .arg(forgotten)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        }
    }

    /// Forgets every failure of the user (an administrator cleared them):
    /// the per-user ceiling and the user's count from each source, here
    /// and in the fleet (there from every source any replica counted).
    pub(super) async fn forgive(&self, keys: &[UserKey]) {
        let mut sources = Vec::new();
        for key in keys {
            let prefix = format!("{}\n", key.as_str());
            for entry in self.pairs.iter() {
                if let Some(source) = entry.key().strip_prefix(&prefix)
                    && !source.is_empty()
                {
                    sources.push(source.to_owned());
                }
            }
        }
        self.succeeded(keys, None, true).await;
        for source in sources {
            self.succeeded(keys, Some(&source), true).await;
        }
        // The user's counts from sources only other replicas saw, by the
        // set of them each failure adds to.
        if let Some(fleet) = self.cluster.fleet() {
            let lists: Vec<String> = keys
                .iter()
                .map(|key| fleet.keys().failures("pairs", &[key.as_str().as_bytes()]))
                .collect();
            let seen_from: Vec<String> = keys
                .iter()
                .map(|key| fleet.keys().failures("sources", &[key.as_str().as_bytes()]))
                .collect();
            fleet
                .run("throttle_forgive", |mut connection| async move {
                    for list in lists {
                        FORGET_PAIRS
                            .key(list)
                            .invoke_async::<()>(&mut connection)
                            .await?;
                    }
                    redis::cmd("DEL")
                        .arg(seen_from)
                        .query_async::<()>(&mut connection)
                        .await
                })
                .await;
        }
    }

    /// What the throttles hold for the user known by `keys`: the counts a
    /// new login would be checked against, from each source the user's
    /// wrong passwords came from. In a fleet, the fleet's counts (every
    /// replica's); this process's own without a fleet, or when Redis does
    /// not answer.
    pub(super) async fn report(&self, keys: &[UserKey]) -> ThrottleReport {
        let limits = self.limits.get();
        let counted = match self.cluster.fleet() {
            Some(fleet) => fleet_report(fleet, keys, limits.window).await,
            None => None,
        };
        let (counts, fleet) = match counted {
            Some(counts) => (counts, true),
            None => (self.local_report(keys, limits.window), false),
        };
        let over = |count: u64, limit: u32| limit != 0 && count >= u64::from(limit);
        let sources: Vec<SourceReport> = counts
            .sources
            .into_iter()
            .filter(|(_, pair, source)| *pair > 0 || *source > 0)
            .map(|(source, pair, all)| SourceReport {
                throttled: over(pair, limits.max_failures_per_user_and_source)
                    || (!source.is_empty() && over(all, limits.max_failures_per_source)),
                source,
                failures: pair,
                source_failures: all,
            })
            .collect();
        let worst_source = sources.iter().map(|s| s.failures).max().unwrap_or(0);
        let throttled = over(counts.user, limits.max_failures_per_user)
            || over(worst_source, limits.max_failures_per_user_and_source);
        ThrottleReport {
            failures: counts.user.max(worst_source),
            throttled,
            sources,
            fleet,
        }
    }

    /// This process's counts for the user known by `keys`.
    fn local_report(&self, keys: &[UserKey], window: Duration) -> Counts {
        let now = Instant::now();
        let mut counts = Counts::default();
        for key in keys {
            counts.user = counts
                .user
                .max(count(&self.users, key.as_str(), window, now));
            let prefix = format!("{}\n", key.as_str());
            let seen: Vec<String> = self
                .pairs
                .iter()
                .filter_map(|entry| entry.key().strip_prefix(&prefix).map(str::to_owned))
                .collect();
            for source in seen {
                let pair = count(&self.pairs, &format!("{prefix}{source}"), window, now);
                let all = if source.is_empty() {
                    0
                } else {
                    count(&self.sources, &source, window, now)
                };
                counts.add_source(source, pair, all);
            }
        }
        counts
    }

    fn log(&self, kind: Throttled, user: &UserKey, source: Option<&str>) {
        let now = self.started.elapsed().as_secs() + LOG_EVERY_SECONDS;
        let last = self.logged_at.load(Ordering::Relaxed);
        if now >= last + LOG_EVERY_SECONDS
            && self
                .logged_at
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_ok()
        {
            tracing::warn!(
                kind = kind.label(),
                user = user.as_str(),
                source = source.unwrap_or(""),
                "too many failed logins: refusing without asking Okta (further refusals are counted in radius_throttled_total, not logged, for {LOG_EVERY_SECONDS} s)"
            );
        }
    }
}

/// The source of a login for the per-source throttle: Calling-Station-Id as
/// sent (a MAC or IP address, depending on the NAS), trimmed.
pub(super) fn source_of(packet: &Packet) -> Option<&str> {
    packet
        .text(types::CALLING_STATION_ID)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

/// Failures under `key` within the window.
fn count(table: &DashMap<Arc<str>, Failures>, key: &str, window: Duration, now: Instant) -> u64 {
    table.get(key).map_or(0, |failures| {
        failures
            .at
            .iter()
            .filter(|at| now.duration_since(**at) < window)
            .count() as u64
    })
}

/// The fleet's keys of one login's three counts.
fn fleet_keys(fleet: &Fleet, counted: &Counted<'_>) -> [String; 3] {
    let keys = fleet.keys();
    let source = counted.source.unwrap_or("");
    [
        keys.failures("pair", &[counted.user.as_bytes(), source.as_bytes()]),
        keys.failures("user", &[counted.user.as_bytes()]),
        keys.failures("source", &[source.as_bytes()]),
    ]
}

/// Deletes the per-user-and-source counts listed in a user's set of them,
/// and the set.
static FORGET_PAIRS: LazyLock<Script> = LazyLock::new(|| {
    Script::new(
        r"for _, pair in ipairs(redis.call('SMEMBERS', KEYS[1])) do redis.call('DEL', pair) end
redis.call('DEL', KEYS[1])
return 0",
    )
});

/// Milliseconds since the Unix epoch: the fleet's failures are timed by
/// the replicas' clocks (kept in step by NTP, as Okta's tokens need).
fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
        })
}

/// What a login's counts are of, for finding them read ahead: a hash of
/// its user-and-source pairs, each field length first. It is compared only
/// with the read-ahead of the same request, so it needs no resistance to
/// a chosen collision: a multiply-rotate hash over eight bytes at a time,
/// where SipHash took about 900 instructions per login.
fn counted_as(all: &[Counted<'_>]) -> u64 {
    const K: u64 = 0xf135_7aea_2e62_a9c5;
    let mut hash = 0u64;
    let mut add = |word: u64| hash = (hash.rotate_left(26) ^ word).wrapping_mul(K);
    let mut field = |bytes: &[u8]| {
        add(bytes.len() as u64);
        let mut words = bytes.chunks_exact(8);
        for word in words.by_ref() {
            let mut eight = [0u8; 8];
            eight.copy_from_slice(word);
            add(u64::from_le_bytes(eight));
        }
        let mut rest = [0u8; 8];
        rest[..words.remainder().len()].copy_from_slice(words.remainder());
        add(u64::from_le_bytes(rest));
    };
    for counted in all {
        field(counted.user.as_bytes());
        match counted.source {
            Some(source) => field(source.as_bytes()),
            // Apart from an empty source.
            None => field(&[0xff]),
        }
    }
    hash
}

/// The fleet's sorted sets a login is counted in (pair, user and source
/// under each of its keys, in that order), and the oldest failure time
/// that counts (ms since the Unix epoch).
fn fleet_count_keys(fleet: &Fleet, all: &[Counted<'_>], window: Duration) -> (KeyList, u64) {
    let since = unix_ms().saturating_sub(u64::try_from(window.as_millis()).unwrap_or(u64::MAX));
    // Without a source the per-source count is 0: the empty source's set is
    // never written. The source's set is the same under each of the keys.
    let names = fleet.keys();
    let mut keys = KeyList::with_capacity(3 * all.len() * names.failures_len());
    for (i, counted) in all.iter().enumerate() {
        let source = counted.source.unwrap_or("");
        let user = counted.user.as_bytes();
        keys.push_with(|out| names.failures_into(out, "pair", &[user, source.as_bytes()]));
        keys.push_with(|out| names.failures_into(out, "user", &[user]));
        if i == 0 {
            keys.push_with(|out| names.failures_into(out, "source", &[source.as_bytes()]));
        } else {
            // The first user key's third: the source's key.
            keys.push_again(2);
        }
    }
    (keys, since)
}

/// The fleet's counts (pair, user, source) within the window under each of
/// a login's keys: read ahead with the request's claim, or in one
/// pipeline; `None` when Redis does not answer.
async fn fleet_counts(
    fleet: &Fleet,
    all: &[Counted<'_>],
    window: Duration,
) -> Option<SmallVec<[[u64; 3]; 2]>> {
    let counts = match prefetch::lookup(counted_as(all)) {
        Some(counts) => counts,
        None => {
            let (keys, since) = fleet_count_keys(fleet, all, window);
            let mut pipe = redis::pipe();
            for key in keys.iter() {
                pipe.cmd("ZCOUNT").arg(key).arg(since).arg("+inf");
            }
            fleet
                .run("throttle_check", |mut connection| async move {
                    pipe.query_async::<Vec<u64>>(&mut connection).await
                })
                .await?
        }
    };
    Some(
        counts
            .chunks(3)
            .map(|three| {
                [
                    three.first().copied().unwrap_or(0),
                    three.get(1).copied().unwrap_or(0),
                    three.get(2).copied().unwrap_or(0),
                ]
            })
            .collect(),
    )
}

/// The fleet's counts for a report on the user known by `keys`, in two
/// round trips (the per-user counts and the sources each key's failures
/// came from, then each source's counts); `None` when Redis does not
/// answer.
async fn fleet_report(fleet: &Fleet, keys: &[UserKey], window: Duration) -> Option<Counts> {
    let since = unix_ms().saturating_sub(u64::try_from(window.as_millis()).unwrap_or(u64::MAX));
    let names = fleet.keys();
    let mut first = redis::pipe();
    for key in keys {
        let user = key.as_str().as_bytes();
        first
            .cmd("ZCOUNT")
            .arg(names.failures("user", &[user]))
            .arg(since)
            .arg("+inf");
        first
            .cmd("SMEMBERS")
            .arg(names.failures("sources", &[user]));
    }
    let read = fleet
        .run("throttle_report", |mut connection| async move {
            first
                .query_async::<Vec<redis::Value>>(&mut connection)
                .await
        })
        .await?;
    let read: Vec<(u64, Vec<String>)> = pairs_of(read)?;
    let mut counts = Counts::default();
    let mut second = redis::pipe();
    let mut asked = Vec::new();
    for (key, (user_count, sources)) in keys.iter().zip(read) {
        counts.user = counts.user.max(user_count);
        for source in sources {
            let counted = Counted::of(key, Some(source.as_str()).filter(|s| !s.is_empty()));
            let [pair, _, per_source] = fleet_keys(fleet, &counted);
            second.cmd("ZCOUNT").arg(pair).arg(since).arg("+inf");
            second.cmd("ZCOUNT").arg(per_source).arg(since).arg("+inf");
            asked.push(source);
        }
    }
    if asked.is_empty() {
        return Some(counts);
    }
    let read = fleet
        .run("throttle_report", |mut connection| async move {
            second
                .query_async::<Vec<redis::Value>>(&mut connection)
                .await
        })
        .await?;
    let read: Vec<(u64, u64)> = pairs_of(read)?;
    for (source, (pair, all)) in asked.into_iter().zip(read) {
        let all = if source.is_empty() { 0 } else { all };
        counts.add_source(source, pair, all);
    }
    Some(counts)
}

/// A pipeline's answers, two by two; `None` when one is not what was asked.
fn pairs_of<A: redis::FromRedisValue, B: redis::FromRedisValue>(
    answers: Vec<redis::Value>,
) -> Option<Vec<(A, B)>> {
    let mut answers = answers.into_iter();
    let mut pairs = Vec::new();
    while let Some(first) = answers.next() {
        let second = answers.next()?;
        pairs.push((
            redis::from_redis_value(first).ok()?,
            redis::from_redis_value(second).ok()?,
        ));
    }
    Some(pairs)
}

/// Adds one failure to the fleet's counts of a login: each a sorted set of
/// failure times, trimmed to the window and to its limit, expiring with
/// the window.
async fn fleet_record(fleet: &Fleet, counted: &Counted<'_>, limits: &AbuseLimits) {
    let [pair, user, source] = fleet_keys(fleet, counted);
    let now = unix_ms();
    let window_ms = u64::try_from(limits.window.as_millis()).unwrap_or(u64::MAX);
    let since = now.saturating_sub(window_ms);
    // A member unique to this failure: its time and a random tag.
    let member = format!("{now}-{:08x}", rand::random::<u32>());
    let pairs = fleet.keys().failures("pairs", &[counted.user.as_bytes()]);
    let seen_from = fleet.keys().failures("sources", &[counted.user.as_bytes()]);
    let source_text = counted.source.unwrap_or("").to_owned();
    let pair_key = pair.clone();
    let pair_limit = limits.max_failures_per_user_and_source;
    let mut sets = vec![
        (pair, limits.max_failures_per_user_and_source),
        (user, limits.max_failures_per_user),
    ];
    if counted.source.is_some() {
        sets.push((source, limits.max_failures_per_source));
    }
    fleet
        .run("throttle_record", |mut connection| async move {
            let mut pipe = redis::pipe();
            for (key, limit) in sets {
                if limit == 0 {
                    continue;
                }
                pipe.cmd("ZREMRANGEBYSCORE")
                    .arg(&key)
                    .arg("-inf")
                    .arg(format!("({since}"))
                    .ignore();
                pipe.cmd("ZADD").arg(&key).arg(now).arg(&member).ignore();
                // Only the newest `limit` failures matter.
                pipe.cmd("ZREMRANGEBYRANK")
                    .arg(&key)
                    .arg(0)
                    .arg(-i64::from(limit) - 1)
                    .ignore();
                pipe.cmd("PEXPIRE").arg(&key).arg(window_ms).ignore();
            }
            if pair_limit > 0 {
                // Where an administrator's clear finds this pair.
                pipe.cmd("SADD").arg(&pairs).arg(&pair_key).ignore();
                pipe.cmd("PEXPIRE").arg(&pairs).arg(window_ms).ignore();
            }
            // Where an administrator's report finds the user's sources.
            pipe.cmd("SADD").arg(&seen_from).arg(&source_text).ignore();
            pipe.cmd("PEXPIRE").arg(&seen_from).arg(window_ms).ignore();
            pipe.query_async::<()>(&mut connection).await
        })
        .await;
}

fn record(
    table: &DashMap<Arc<str>, Failures>,
    expiry: &ExpiryQueue<Arc<str>>,
    key: &str,
    limit: u32,
    window: Duration,
    now: Instant,
) {
    if limit == 0 {
        return;
    }
    if table.len() >= MAX_TRACKED && !table.contains_key(key) {
        expiry.forget(
            table,
            now,
            FORGET_AT_ONCE,
            |failures| failures.place,
            |failures| failures.at.back().map_or(now, |last| *last + window),
        );
        if table.len() >= MAX_TRACKED {
            return;
        }
    }
    let key: Arc<str> = Arc::from(key);
    let mut new_place = None;
    {
        let mut failures = table.entry(key.clone()).or_insert_with(|| {
            let place = expiry.next_place();
            new_place = Some(place);
            Failures {
                at: VecDeque::new(),
                place,
            }
        });
        let at = &mut failures.at;
        while at
            .front()
            .is_some_and(|first| now.duration_since(*first) >= window)
        {
            at.pop_front();
        }
        at.push_back(now);
        // Only the newest `limit` failures matter.
        while at.len() > limit as usize {
            at.pop_front();
        }
    }
    if let Some(place) = new_place {
        // Queued once the table's entry is unlocked.
        expiry.queue(key, place, now + window);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_ahead_are_told_apart_by_every_user_and_source() {
        let of = |pairs: &[(&str, Option<&str>)]| {
            let all: Vec<Counted<'_>> = pairs
                .iter()
                .map(|&(user, source)| Counted { user, source })
                .collect();
            counted_as(&all)
        };
        let alice = of(&[("alice", Some("10.0.0.1"))]);
        assert_eq!(alice, of(&[("alice", Some("10.0.0.1"))]));
        for other in [
            of(&[("alice", Some("10.0.0.2"))]),
            of(&[("alicf", Some("10.0.0.1"))]),
            // The same bytes, split elsewhere between user and source.
            of(&[("alice1", Some("0.0.0.1"))]),
            of(&[("alice", None)]),
            of(&[("alice", Some(""))]),
            of(&[("alice", Some("10.0.0.1")), ("00u1", Some("10.0.0.1"))]),
            of(&[]),
        ] {
            assert_ne!(alice, other);
        }
        assert_ne!(of(&[("alice", None)]), of(&[("alice", Some(""))]));
    }

    fn limits(pair: u32, user: u32, source: u32) -> AbuseLimits {
        AbuseLimits {
            max_failures_per_user_and_source: pair,
            max_failures_per_user: user,
            max_failures_per_source: source,
            ..AbuseLimits::default()
        }
    }

    #[test]
    fn a_full_table_makes_room_from_its_oldest_stale_keys_only() {
        let table = DashMap::new();
        let expiry = ExpiryQueue::default();
        let window = Duration::from_secs(600);
        let start = Instant::now();
        // A spray of distinct names fills the table.
        for n in 0..MAX_TRACKED {
            record(&table, &expiry, &format!("sprayed{n}"), 5, window, start);
        }
        assert_eq!(table.len(), MAX_TRACKED);
        // Within the window nothing is stale: a new name is not tracked.
        let soon = start + Duration::from_secs(60);
        record(&table, &expiry, "newcomer", 5, window, soon);
        assert!(!table.contains_key("newcomer"));
        // Past it, a new name makes room from the oldest stale keys, a few
        // of them, not the whole table.
        let later = start + window + Duration::from_secs(1);
        record(&table, &expiry, "newcomer", 5, window, later);
        assert!(table.contains_key("newcomer"));
        assert_eq!(table.len(), MAX_TRACKED - FORGET_AT_ONCE + 1);
        assert!(!table.contains_key("sprayed0"));
        assert!(table.contains_key(format!("sprayed{FORGET_AT_ONCE}").as_str()));
    }

    fn user(login: &str) -> UserKey {
        UserKey::of_login(login)
    }

    #[tokio::test]
    async fn a_user_is_refused_after_the_limit_and_forgiven_by_a_success() {
        let throttle = FailureThrottle::new(limits(0, 3, 0), Cluster::local());
        for _ in 0..3 {
            assert_eq!(throttle.check(&[user("alice")], None).await.refused, None);
            throttle.failed(&user("alice"), None).await;
        }
        assert_eq!(
            throttle.check(&[user("ALICE")], None).await.refused,
            Some(Throttled::User)
        );
        assert_eq!(throttle.check(&[user("bob")], None).await.refused, None);
        throttle.succeeded(&[user("alice")], None, true).await;
        assert_eq!(throttle.check(&[user("alice")], None).await.refused, None);
    }

    #[tokio::test]
    async fn an_attacker_s_address_is_throttled_before_the_user_s_own() {
        let throttle = FailureThrottle::new(limits(3, 10, 0), Cluster::local());
        for _ in 0..3 {
            throttle.failed(&user("alice"), Some("203.0.113.9")).await;
        }
        assert_eq!(
            throttle
                .check(&[user("alice")], Some("203.0.113.9"))
                .await
                .refused,
            Some(Throttled::UserAndSource)
        );
        assert_eq!(
            throttle
                .check(&[user("alice")], Some("198.51.100.7"))
                .await
                .refused,
            None
        );
        // The user's success from home does not free the attacker's address.
        throttle
            .succeeded(&[user("alice")], Some("198.51.100.7"), true)
            .await;
        assert_eq!(
            throttle
                .check(&[user("alice")], Some("203.0.113.9"))
                .await
                .refused,
            Some(Throttled::UserAndSource)
        );
    }

    #[tokio::test]
    async fn a_spray_over_many_addresses_meets_the_per_user_ceiling() {
        let throttle = FailureThrottle::new(limits(3, 8, 0), Cluster::local());
        for i in 0..8 {
            let source = format!("203.0.113.{i}");
            assert_eq!(
                throttle
                    .check(&[user("alice")], Some(&source))
                    .await
                    .refused,
                None
            );
            throttle.failed(&user("alice"), Some(&source)).await;
        }
        assert_eq!(
            throttle
                .check(&[user("alice")], Some("198.51.100.7"))
                .await
                .refused,
            Some(Throttled::User)
        );
    }

    #[tokio::test]
    async fn without_a_source_the_first_limit_counts_the_user_alone() {
        let throttle = FailureThrottle::new(limits(2, 10, 20), Cluster::local());
        throttle.failed(&user("alice"), None).await;
        throttle.failed(&user("alice"), None).await;
        assert_eq!(
            throttle.check(&[user("alice")], None).await.refused,
            Some(Throttled::UserAndSource)
        );
    }

    #[tokio::test]
    async fn a_source_spraying_many_users_is_refused() {
        let throttle = FailureThrottle::new(limits(5, 5, 4), Cluster::local());
        for i in 0..4 {
            throttle
                .failed(&user(&format!("user{i}")), Some("203.0.113.9"))
                .await;
        }
        assert_eq!(
            throttle
                .check(&[user("someone-else")], Some("203.0.113.9"))
                .await
                .refused,
            Some(Throttled::Source)
        );
        assert_eq!(
            throttle
                .check(&[user("someone-else")], Some("198.51.100.1"))
                .await
                .refused,
            None
        );
    }

    #[tokio::test]
    async fn only_a_user_with_failures_has_something_to_forgive() {
        let throttle = FailureThrottle::new(limits(3, 10, 20), Cluster::local());
        assert!(!throttle.check(&[user("alice")], Some("x")).await.to_forgive);
        throttle.failed(&user("alice"), Some("y")).await;
        // Counted from another source: the per-user count has it.
        assert!(throttle.check(&[user("alice")], Some("x")).await.to_forgive);
    }

    #[tokio::test]
    async fn a_report_gives_the_counts_the_check_decides_on_by_source() {
        let throttle = FailureThrottle::new(limits(3, 10, 5), Cluster::local());
        for _ in 0..3 {
            throttle.failed(&user("alice"), Some("203.0.113.9")).await;
        }
        throttle.failed(&user("alice"), Some("198.51.100.7")).await;
        throttle.failed(&user("bob"), Some("198.51.100.7")).await;
        throttle.failed(&user("alice"), None).await;
        let mut report = throttle.report(&[user("alice")]).await;
        report.sources.sort_by(|a, b| a.source.cmp(&b.source));
        assert!(!report.fleet);
        assert_eq!(report.failures, 5);
        assert!(report.throttled);
        let counts: Vec<(&str, u64, u64, bool)> = report
            .sources
            .iter()
            .map(|s| {
                (
                    s.source.as_str(),
                    s.failures,
                    s.source_failures,
                    s.throttled,
                )
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("", 1, 0, false),
                ("198.51.100.7", 1, 2, false),
                ("203.0.113.9", 3, 3, true),
            ]
        );
        assert_eq!(
            throttle
                .check(&[user("alice")], Some("203.0.113.9"))
                .await
                .refused,
            Some(Throttled::UserAndSource)
        );
        throttle.forgive(&[user("alice")]).await;
        let report = throttle.report(&[user("alice")]).await;
        assert_eq!((report.failures, report.throttled), (0, false));
        assert!(report.sources.is_empty(), "{:?}", report.sources);
    }

    #[tokio::test]
    async fn zero_switches_a_throttle_off() {
        let throttle = FailureThrottle::new(limits(0, 0, 0), Cluster::local());
        for _ in 0..50 {
            throttle.failed(&user("alice"), Some("x")).await;
        }
        assert_eq!(
            throttle.check(&[user("alice")], Some("x")).await.refused,
            None
        );
    }
}
