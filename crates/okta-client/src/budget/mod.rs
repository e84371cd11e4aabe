//! One rate-limit budget for every call the bridge makes to Okta.
//!
//! Okta limits calls per bucket and minute (`X-Rate-Limit-*` on every
//! answer), the number of requests in flight per org, and `/api/v1/authn`
//! calls per user and second. A bridge that learns those limits from 429s
//! has already lost logins, and push polling can eat a whole bucket. So
//! every call asks the budget first:
//!
//! - the bucket's remaining calls are tracked from the answers' headers
//!   (and counted down locally between answers, see `buckets.rs`); a reset
//!   is read on Okta's clock and never believed more than one window
//!   ahead, and a 429 empties the bucket only when it shows it empty;
//! - each call has a class (`CallClass`): when the budget runs short, push
//!   polls slow down first (they stop at half the bucket), new logins and
//!   management calls keep a small reserve for transactions already under
//!   way, factor steps and keep-alive may use the last call;
//! - a call that would have to wait past its request's deadline (the
//!   task-local set by [`with_deadline`]) fails at once with
//!   [`OktaError::RateLimited`] and a log line, instead of being sent late or
//!   into a 429;
//! - a cap on concurrent requests (`okta.max_concurrent`) and a per-user
//!   limiter for primary authentication (`per_user.rs`) delay rather than
//!   send a call Okta would refuse;
//! - push polls may hold at most half of the concurrent slots, so thousands
//!   of pending pushes cannot queue ahead of a new login's `/authn`;
//! - in a fleet of bridges (`fleet.rs`), each call also takes one of the
//!   fleet's slots, so `max_concurrent` holds for the fleet, and a 429
//!   that shows a bucket empty is shared, so every bridge waits for the
//!   window's reset; a login waiting for its user's per-user limit takes
//!   the fleet's slot only once that wait is over.

mod buckets;
mod class;
mod fleet;
mod per_user;

pub use fleet::{FleetAnswer, FleetBudget};

use std::future::Future;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, SystemTime};

use metrics::{Gauge, counter, gauge};
use reqwest::Method;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::error::OktaError;
use crate::metrics as names;
use buckets::BucketState;
pub(crate) use class::CallClass;
use fleet::{FleetHook, FleetSlot};
use okta_api::RateLimit;
use per_user::PerUserLimiter;

/// Default cap on concurrent Okta requests (`okta.max_concurrent`).
pub(crate) const DEFAULT_MAX_CONCURRENT: usize = 20;
/// Okta's per-user limit on `/api/v1/authn`: calls per rolling second.
const PER_USER_AUTHN_PER_SECOND: usize = 4;

tokio::task_local! {
    static DEADLINE: Instant;
}

/// Runs `future` with `deadline` as the time by which its Okta calls must be
/// answered: the budget never makes a call wait past it. Nested calls
/// replace the deadline for their inner future.
pub fn with_deadline<F: Future>(deadline: Instant, future: F) -> impl Future<Output = F::Output> {
    // Not an `async fn`: that would hold `future` twice, as its argument and
    // inside the scope it awaits.
    DEADLINE.scope(deadline, future)
}

/// The deadline set by [`with_deadline`] around the current task, if any.
pub(crate) fn current_deadline() -> Option<Instant> {
    DEADLINE.try_with(|deadline| *deadline).ok()
}

/// Okta's rate-limit buckets, as the bridge uses them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum OktaBucket {
    /// `/api/v1/authn` and its factor calls (push polls included).
    Authn,
    /// `GET /api/v1/users/{id or login}`.
    UserById,
    /// Every other `/api/v1` call.
    Api,
    /// `/oauth2/v1/token` (every grant of Direct Authentication) and
    /// `/oauth2/v1/challenge`.
    Token,
    /// `/oauth2/v1/keys`, the authorization server's key set.
    Keys,
    /// `/api/v1/logs`, the System Log (a bucket of its own at Okta).
    Logs,
}

impl OktaBucket {
    /// The bucket a request draws on.
    pub(crate) fn for_request(method: &Method, path: &str) -> OktaBucket {
        if path == "/api/v1/authn" || path.starts_with("/api/v1/authn/") {
            return OktaBucket::Authn;
        }
        if path.starts_with("/oauth2/")
            && (path.ends_with("/token") || path.ends_with("/challenge"))
        {
            return OktaBucket::Token;
        }
        if path.starts_with("/oauth2/") && path.ends_with("/keys") {
            return OktaBucket::Keys;
        }
        if path == "/api/v1/logs" {
            return OktaBucket::Logs;
        }
        if *method == Method::GET
            && let Some(rest) = path.strip_prefix("/api/v1/users/")
            && !rest.is_empty()
            && !rest.contains('/')
            && rest != "me"
        {
            return OktaBucket::UserById;
        }
        OktaBucket::Api
    }

    /// The label in metrics and logs.
    pub(crate) fn label(self) -> &'static str {
        match self {
            OktaBucket::Authn => "authn",
            OktaBucket::UserById => "user",
            OktaBucket::Api => "api",
            OktaBucket::Token => "token",
            OktaBucket::Keys => "keys",
            OktaBucket::Logs => "logs",
        }
    }

    fn index(self) -> usize {
        match self {
            OktaBucket::Authn => 0,
            OktaBucket::UserById => 1,
            OktaBucket::Api => 2,
            OktaBucket::Token => 3,
            OktaBucket::Keys => 4,
            OktaBucket::Logs => 5,
        }
    }
}

/// The budget shared by every call of one client.
#[derive(Debug)]
pub(crate) struct Budget {
    /// The longest wait for a call made outside any request deadline.
    default_wait: Duration,
    buckets: [BucketState; 6],
    concurrency: Arc<Semaphore>,
    /// The share of `concurrency` push polls may hold.
    poll_concurrency: Arc<Semaphore>,
    per_user: PerUserLimiter,
    /// The fleet's budget, when this bridge is one of several.
    fleet: std::sync::OnceLock<FleetHook>,
    /// `okta_requests_in_flight`, kept rather than looked up on each call.
    in_flight: Gauge,
    /// `okta_rate_limit_remaining` of each bucket, from its first answer.
    remaining: [OnceLock<Gauge>; 6],
}

/// Held while a call is in flight: a concurrency slot and the bucket's
/// in-flight count.
#[derive(Debug)]
pub(crate) struct Permit<'a> {
    budget: &'a Budget,
    bucket: OktaBucket,
    _slot: OwnedSemaphorePermit,
    _poll_slot: Option<OwnedSemaphorePermit>,
    _fleet_slot: Option<FleetSlot>,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.budget.buckets[self.bucket.index()].finished();
        self.budget.in_flight.decrement(1.0);
    }
}

impl Budget {
    /// A budget allowing `max_concurrent` requests in flight at once. Calls
    /// made outside [`with_deadline`] wait at most `default_wait`.
    pub(crate) fn new(max_concurrent: usize, default_wait: Duration) -> Budget {
        Budget {
            default_wait,
            buckets: Default::default(),
            concurrency: Arc::new(Semaphore::new(max_concurrent.max(1))),
            poll_concurrency: Arc::new(Semaphore::new((max_concurrent / 2).max(1))),
            per_user: PerUserLimiter::new(PER_USER_AUTHN_PER_SECOND, Duration::from_secs(1)),
            fleet: std::sync::OnceLock::new(),
            in_flight: gauge!(names::OKTA_CONCURRENT),
            remaining: Default::default(),
        }
    }

    /// Makes this budget one of a fleet's (once; later calls are ignored).
    pub(crate) fn join_fleet(&self, fleet: Arc<dyn FleetBudget>) {
        let _ = self.fleet.set(FleetHook(fleet));
    }

    /// Waits until the call may be sent (never past the task's deadline), or
    /// refuses it with [`OktaError::RateLimited`]. `username` is given for
    /// primary authentication (Okta's per-user limit).
    pub(crate) async fn admit(
        &self,
        bucket: OktaBucket,
        class: CallClass,
        username: Option<&str>,
    ) -> Result<Permit<'_>, OktaError> {
        let deadline = current_deadline().or_else(|| Some(Instant::now() + self.default_wait));
        let state = &self.buckets[bucket.index()];
        // Okta's per-user limit before the fleet's slot: a call waiting for
        // its user's next second holds nothing the other users need.
        if let Some(username) = username {
            let wait = self.per_user.reserve(username, std::time::Instant::now());
            if !wait.is_zero() {
                self.wait_or_refuse(bucket, class, wait, deadline).await?;
            }
        }
        // The fleet's slot before the bucket: it brings another bridge's
        // 429 before this call draws on the bucket.
        let mut fleet_slot = None;
        if let Some(hook) = self.fleet.get() {
            let until = deadline.unwrap_or_else(|| Instant::now() + self.default_wait);
            let answer = match hook.0.reuse(until) {
                Some(id) => FleetAnswer::Slot {
                    id,
                    exhausted: None,
                },
                None => hook.0.take(bucket.label(), until).await,
            };
            match answer {
                FleetAnswer::Slot { id, exhausted } => {
                    fleet_slot = Some(FleetSlot {
                        hook: hook.clone(),
                        id,
                    });
                    if let Some(seen) = exhausted {
                        state.import_exhausted(seen, SystemTime::now());
                    }
                }
                FleetAnswer::Full => {
                    return Err(self.refuse(bucket, class, Duration::ZERO, "fleet concurrency"));
                }
                FleetAnswer::Alone => {}
            }
        }
        loop {
            match state.try_take(class, SystemTime::now()) {
                Ok(()) => break,
                Err(wait) => self.wait_or_refuse(bucket, class, wait, deadline).await?,
            }
        }
        let slots = async {
            let poll_slot = match class {
                CallClass::Poll => Some(self.poll_concurrency.clone().acquire_owned().await?),
                _ => None,
            };
            let slot = self.concurrency.clone().acquire_owned().await?;
            Ok::<_, tokio::sync::AcquireError>((slot, poll_slot))
        };
        let slots = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, slots).await {
                Ok(slots) => slots,
                Err(_) => {
                    state.finished();
                    return Err(self.refuse(bucket, class, Duration::ZERO, "concurrency"));
                }
            },
            None => slots.await,
        };
        let Ok((slot, poll_slot)) = slots else {
            state.finished();
            return Err(OktaError::Config("the request budget is closed".into()));
        };
        self.in_flight.increment(1.0);
        Ok(Permit {
            budget: self,
            bucket,
            _slot: slot,
            _poll_slot: poll_slot,
            _fleet_slot: fleet_slot,
        })
    }

    /// Records an answer's rate-limit headers (call before dropping its
    /// permit). `refused` says a 429 was for a rate limit (not a per-factor
    /// resend limit); even then the bucket is emptied only if the 429's own
    /// headers show it empty (see `buckets.rs`).
    pub(crate) fn observe(
        &self,
        bucket: OktaBucket,
        rate_limit: Option<RateLimit>,
        http_status: u16,
        refused: bool,
    ) {
        let state = &self.buckets[bucket.index()];
        let status = if http_status == 429 && !refused {
            200
        } else {
            http_status
        };
        if status == 429
            && let Some(seen) = rate_limit
            && seen.remaining == 0
            && let Some(hook) = self.fleet.get()
        {
            hook.0.exhausted(bucket.label(), seen);
        }
        state.observe(rate_limit, status, SystemTime::now());
        if let Some(remaining) = state.remaining() {
            self.remaining[bucket.index()]
                .get_or_init(
                    || gauge!(names::OKTA_RATE_LIMIT_REMAINING, "bucket" => bucket.label()),
                )
                .set(remaining as f64);
        }
    }

    /// How long a retry after a 429 on `bucket` should wait: until the
    /// window resets and a second more, never more than one Okta window.
    pub(crate) fn retry_after(&self, bucket: OktaBucket) -> Duration {
        self.buckets[bucket.index()].wait_for_reset(SystemTime::now())
    }

    /// Sleeps `wait` if that ends before the deadline, or refuses the call.
    async fn wait_or_refuse(
        &self,
        bucket: OktaBucket,
        class: CallClass,
        wait: Duration,
        deadline: Option<Instant>,
    ) -> Result<(), OktaError> {
        let until = Instant::now() + wait;
        if deadline.is_some_and(|deadline| until > deadline) {
            return Err(self.refuse(bucket, class, wait, bucket.label()));
        }
        counter!(names::OKTA_BUDGET_WAITS, "class" => class.label(), "bucket" => bucket.label())
            .increment(1);
        tokio::time::sleep_until(until).await;
        Ok(())
    }

    fn refuse(
        &self,
        bucket: OktaBucket,
        class: CallClass,
        wait: Duration,
        what: &str,
    ) -> OktaError {
        counter!(names::OKTA_BUDGET_REJECTIONS, "class" => class.label(), "bucket" => bucket.label())
            .increment(1);
        let wait_ms = u64::try_from(wait.as_millis()).unwrap_or(u64::MAX);
        tracing::warn!(
            bucket = bucket.label(),
            class = class.label(),
            limit = what,
            wait_ms,
            "Okta rate-limit budget used up: the call is refused rather than sent past the request's deadline"
        );
        OktaError::RateLimited {
            bucket: bucket.label(),
            wait_ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_follow_okta() {
        let get = Method::GET;
        let post = Method::POST;
        assert_eq!(
            OktaBucket::for_request(&post, "/api/v1/authn"),
            OktaBucket::Authn
        );
        assert_eq!(
            OktaBucket::for_request(&post, "/api/v1/authn/factors/f1/verify"),
            OktaBucket::Authn
        );
        assert_eq!(
            OktaBucket::for_request(&get, "/api/v1/users/alice%40example.com"),
            OktaBucket::UserById
        );
        assert_eq!(
            OktaBucket::for_request(&get, "/api/v1/users/me"),
            OktaBucket::Api
        );
        assert_eq!(
            OktaBucket::for_request(&get, "/api/v1/users/00u1/groups"),
            OktaBucket::Api
        );
        assert_eq!(
            OktaBucket::for_request(&get, "/api/v1/logs"),
            OktaBucket::Logs
        );
        assert_eq!(
            OktaBucket::for_request(&post, "/oauth2/v1/token"),
            OktaBucket::Token
        );
        assert_eq!(
            OktaBucket::for_request(&post, "/oauth2/aus1/v1/challenge"),
            OktaBucket::Token
        );
        assert_eq!(
            OktaBucket::for_request(&get, "/oauth2/v1/keys"),
            OktaBucket::Keys
        );
    }

    #[tokio::test]
    async fn a_wait_past_the_deadline_is_refused_at_once() {
        let budget = Budget::new(4, Duration::from_secs(10));
        let reset = SystemTime::now() + Duration::from_secs(60);
        let seconds = reset
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        budget.observe(
            OktaBucket::Authn,
            Some(RateLimit {
                limit: 10,
                remaining: 1,
                reset: seconds,
                date: None,
            }),
            200,
            false,
        );
        let deadline = Instant::now() + Duration::from_millis(200);
        let refused = with_deadline(deadline, async {
            budget
                .admit(OktaBucket::Authn, CallClass::Login, None)
                .await
                .map(|_| ())
        })
        .await;
        let error = refused.expect_err("no budget left for logins");
        assert!(error.is_rate_limited() && error.is_budget_exhausted());
        // A factor step may still use the last call.
        let step = with_deadline(deadline, async {
            budget
                .admit(OktaBucket::Authn, CallClass::FactorStep, None)
                .await
                .map(|_| ())
        })
        .await;
        assert!(step.is_ok());
    }

    #[tokio::test]
    async fn polls_leave_half_the_slots_to_logins() {
        let budget = Budget::new(4, Duration::from_secs(10));
        // A bucket with plenty left, so only the concurrency cap decides.
        budget.observe(
            OktaBucket::Authn,
            Some(RateLimit {
                limit: 1000,
                remaining: 1000,
                reset: SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_secs() + 60)
                    .unwrap_or_default(),
                date: None,
            }),
            200,
            false,
        );
        let deadline = Instant::now() + Duration::from_millis(100);
        let first = budget.admit(OktaBucket::Authn, CallClass::Poll, None).await;
        let second = budget.admit(OktaBucket::Authn, CallClass::Poll, None).await;
        assert!(first.is_ok() && second.is_ok());
        let third = with_deadline(deadline, async {
            budget
                .admit(OktaBucket::Authn, CallClass::Poll, None)
                .await
                .map(|_| ())
        })
        .await;
        assert!(third.is_err(), "a third poll waits for one of the two");
        let logins = [
            budget
                .admit(OktaBucket::Authn, CallClass::Login, None)
                .await,
            budget
                .admit(OktaBucket::Authn, CallClass::Login, None)
                .await,
        ];
        assert!(logins.iter().all(Result::is_ok), "logins keep their half");
    }

    /// An authn answer's headers: `remaining` of 600, the window resetting
    /// `resets_in` after Okta's `Date` of now.
    fn authn_headers(remaining: u64, resets_in: Duration) -> Option<RateLimit> {
        let now = SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        Some(RateLimit {
            limit: 600,
            remaining,
            reset: now + resets_in.as_secs(),
            date: Some(now),
        })
    }

    async fn login_within(budget: &Budget, wait: Duration) -> Result<(), OktaError> {
        with_deadline(Instant::now() + wait, async {
            budget
                .admit(OktaBucket::Authn, CallClass::Login, Some("bob@example.com"))
                .await
                .map(|_| ())
        })
        .await
    }

    #[tokio::test]
    async fn a_retry_after_a_429_waits_one_window_at_most() {
        let budget = Budget::new(4, Duration::from_secs(10));
        let hour = Duration::from_secs(3600);
        budget.observe(OktaBucket::Authn, authn_headers(0, hour), 429, true);
        let wait = budget.retry_after(OktaBucket::Authn);
        assert!(wait <= Duration::from_secs(61), "{wait:?}");
        assert!(wait >= Duration::from_secs(60), "{wait:?}");
        // Logins are held for that window, as the empty bucket says.
        let held = login_within(&budget, Duration::from_millis(100)).await;
        assert!(held.is_err_and(|error| error.is_budget_exhausted()));
    }

    #[tokio::test]
    async fn a_per_user_429_leaves_the_bucket_to_other_users() {
        let budget = Budget::new(4, Duration::from_secs(10));
        let window = Duration::from_secs(60);
        budget.observe(OktaBucket::Authn, authn_headers(590, window), 200, false);
        // Okta's per-user limit: a 429 E0000047 while the bucket has calls left.
        budget.observe(OktaBucket::Authn, authn_headers(589, window), 429, true);
        assert_eq!(
            budget.buckets[OktaBucket::Authn.index()].remaining(),
            Some(589)
        );
        assert!(
            login_within(&budget, Duration::from_millis(100))
                .await
                .is_ok()
        );
        // A code resent too soon (E0000109) counts as any answer, as before.
        budget.observe(OktaBucket::Authn, authn_headers(588, window), 429, false);
        assert_eq!(
            budget.buckets[OktaBucket::Authn.index()].remaining(),
            Some(588)
        );
    }

    #[tokio::test]
    async fn a_429_without_headers_stops_no_login() {
        let budget = Budget::new(4, Duration::from_secs(10));
        let window = Duration::from_secs(60);
        budget.observe(OktaBucket::Authn, authn_headers(590, window), 200, false);
        budget.observe(OktaBucket::Authn, None, 429, true);
        assert_eq!(
            budget.buckets[OktaBucket::Authn.index()].remaining(),
            Some(590)
        );
        assert!(
            login_within(&budget, Duration::from_millis(100))
                .await
                .is_ok()
        );
        assert!(budget.retry_after(OktaBucket::Authn) <= Duration::from_secs(61));
    }
}
