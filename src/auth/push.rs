//! Okta Verify pushes: sending one, polling it on a budget, and sharing it
//! between RADIUS requests so that a NAS retransmit, a second login of the
//! same user, or the "press Enter" of challenge mode never sends a second push.
//! A push lives in an authentication API transaction (polled by its verify
//! link with the stateToken) or in a Direct Authentication challenge
//! (polled with the `mfa-oob` grant, its `oob_code` and `mfa_token`, no
//! sooner than Okta's `interval`, 5 s more after each `slow_down`).
//!
//! A push is polled only while some request waits for it, by one of the
//! waiters at a time. Nothing polls in the background: when a challenge
//! hands the push to the user, the follow-up request (on whichever replica
//! receives it) polls again. So no replica can consume Okta's SUCCESS that
//! another replica's request is waiting for.

use super::identity::UserKey;
use super::links::link_path;
use super::push_fatigue::{FatigueLedger, PushRefusal};
use super::state::Step;
use crate::cluster::Cluster;
use crate::config::PushLimits;
use crate::expiry::ExpiryQueue;
use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use okta_api::authn::{AuthnResponse, AuthnStatus, FactorResult};
use okta_api::direct::errors;
use okta_client::error::OktaError;
use okta_client::{DirectUser, FactorVerify, Grant, OktaClient};
use secrecy::{ExposeSecret, SecretString};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Where a push stands.
#[derive(Debug, Clone)]
pub(super) enum PushStatus {
    /// Sent, not answered yet; `number` is set once Okta asks for number matching.
    Waiting {
        number: Option<String>,
    },
    /// Approved: the transaction's final answer (SUCCESS, or a post-MFA state).
    Approved(Arc<AuthnResponse>),
    /// Direct Authentication's final answer: tokens (the ID token checked)
    /// or a refusal that is neither a rejection nor an expiry.
    Direct(Arc<Grant>),
    Rejected,
    TimedOut,
    /// Okta could not be asked (the error decides the reply).
    Failed(OktaError),
}

impl PushStatus {
    pub(super) fn is_done(&self) -> bool {
        !matches!(self, PushStatus::Waiting { .. })
    }
}

/// Where a push is polled.
enum PushTransaction {
    /// An authentication API transaction: its stateToken (also to match a
    /// continuing State) and the poll link.
    Authn {
        state_token: SecretString,
        poll_href: String,
    },
    /// A Direct Authentication challenge; its `oob_code` matches a
    /// continuing State.
    Direct {
        mfa_token: SecretString,
        oob_code: SecretString,
        /// Least time between polls: Okta's `interval`, plus 5 s per `slow_down`.
        interval: Mutex<Duration>,
    },
}

/// One push and what is known of it.
pub(super) struct PushWatch {
    login: String,
    /// Who the push counts against (the fatigue limits).
    user: UserKey,
    okta: OktaClient,
    transaction: PushTransaction,
    forwarded_for: Option<IpAddr>,
    /// When the push was sent, and when it is given up.
    started: Instant,
    give_up_at: Instant,
    status: watch::Sender<PushStatus>,
    /// Held by the one waiter that polls; holds when Okta was last asked
    /// (the push was sent, or the last poll), which spaces the polls
    /// whoever makes them: `None` until this server asks (a push whose
    /// polling it took over from a State is polled at once).
    poller: tokio::sync::Mutex<Option<Instant>>,
    /// Okta calls made for this push (for metrics and tests).
    polls: std::sync::atomic::AtomicU32,
    /// The user's place in the watches' expiry queue.
    place: u64,
}

impl PushWatch {
    /// Who the push counts against.
    pub(super) fn user(&self) -> &UserKey {
        &self.user
    }

    /// The current status.
    pub(super) fn status(&self) -> PushStatus {
        self.status.borrow().clone()
    }

    /// Where a login waiting for this push continues, for a State.
    pub(super) fn resume_step(&self) -> Step {
        match &self.transaction {
            PushTransaction::Authn {
                state_token,
                poll_href,
            } => Step::Push {
                state_token: state_token.clone(),
                poll_path: link_path(poll_href),
            },
            PushTransaction::Direct {
                mfa_token,
                oob_code,
                interval,
            } => Step::DirectPush {
                mfa_token: mfa_token.clone(),
                oob_code: oob_code.clone(),
                interval: u8::try_from(lock(interval).as_secs()).unwrap_or(u8::MAX),
            },
        }
    }

    /// The token that names this push's transaction: the stateToken, or a
    /// Direct Authentication `oob_code` (what a continuing State carries).
    pub(super) fn transaction(&self) -> &SecretString {
        match &self.transaction {
            PushTransaction::Authn { state_token, .. } => state_token,
            PushTransaction::Direct { oob_code, .. } => oob_code,
        }
    }

    /// Whether this push belongs to the transaction of `token` (a
    /// stateToken, or a Direct Authentication `oob_code`).
    pub(super) fn is_transaction(&self, token: &SecretString) -> bool {
        radius_proto::crypto::constant_time_eq(
            self.transaction().expose_secret().as_bytes(),
            token.expose_secret().as_bytes(),
        )
    }

    /// Records an outcome learnt elsewhere (another replica's poll took
    /// Okta's answer, and this one's may have found the transaction
    /// ended): waiters here and later logins see the push's outcome. An
    /// approval known here stays.
    pub(super) fn learnt(&self, outcome: PushStatus) {
        self.status.send_if_modified(|status| {
            let approved = match status {
                PushStatus::Approved(_) => true,
                PushStatus::Direct(grant) => matches!(**grant, Grant::Authenticated(_)),
                _ => false,
            };
            if approved {
                return false;
            }
            *status = outcome;
            true
        });
    }

    /// Whether Okta's "expired" for this push may mean its transaction
    /// ended under another replica's poll: a Direct Authentication
    /// challenge whose `oob_code` Okta no longer knows before this server
    /// gave the push up.
    pub(super) fn may_have_ended_elsewhere(&self, status: &PushStatus) -> bool {
        match status {
            PushStatus::Failed(error) => {
                error.code() == Some(okta_api::error::codes::INVALID_TOKEN)
            }
            PushStatus::TimedOut => {
                matches!(self.transaction, PushTransaction::Direct { .. })
                    && Instant::now() < self.give_up_at
            }
            _ => false,
        }
    }

    /// The least time between two polls now.
    fn min_interval(&self) -> Duration {
        match &self.transaction {
            PushTransaction::Authn { .. } => Duration::ZERO,
            PushTransaction::Direct { interval, .. } => *lock(interval),
        }
    }

    /// Waits until the push is answered, a number to show appears (when
    /// `stop_on_number`), or `until` passes; returns the status then. One
    /// waiter at a time polls Okta; the others wait for what it learns.
    pub(super) async fn wait(
        &self,
        until: tokio::time::Instant,
        stop_on_number: bool,
    ) -> PushStatus {
        let mut changes = self.status.subscribe();
        loop {
            let status = self.status();
            match &status {
                PushStatus::Waiting { number } if !(stop_on_number && number.is_some()) => {}
                _ => return status,
            }
            if tokio::time::Instant::now() >= until {
                return status;
            }
            match self.poller.try_lock() {
                Ok(mut last_asked) => self.poll_once(until, &mut last_asked).await,
                Err(_) => {
                    let _ = tokio::time::timeout_at(until, changes.changed()).await;
                }
            }
        }
    }

    /// Sleeps until the next poll is due (not past `until`), then asks Okta
    /// once. A poll is due one interval after Okta was last asked, so a
    /// follow-up request that comes long after (the user approved, then
    /// pressed Enter) asks at once.
    async fn poll_once(&self, until: tokio::time::Instant, last_asked: &mut Option<Instant>) {
        let now = Instant::now();
        if now >= self.give_up_at {
            Box::pin(self.finish(PushStatus::TimedOut)).await;
            return;
        }
        let due = match *last_asked {
            Some(at) => {
                at + poll_interval(at.duration_since(self.started)).max(self.min_interval())
            }
            None => now,
        };
        let due = tokio::time::Instant::from_std(due);
        if due > until {
            // The next poll is not due before this waiter must answer.
            tokio::time::sleep_until(until).await;
            return;
        }
        tokio::time::sleep_until(due).await;
        *last_asked = Some(Instant::now());
        self.polls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let (state_token, poll_href) = match &self.transaction {
            PushTransaction::Authn {
                state_token,
                poll_href,
            } => (state_token, poll_href),
            PushTransaction::Direct {
                mfa_token,
                oob_code,
                interval,
            } => {
                // Boxed: the poll's size is not carried while the push waits.
                return Box::pin(self.poll_direct(mfa_token, oob_code, interval)).await;
            }
        };
        let request = FactorVerify {
            state_token,
            pass_code: None,
            answer: None,
        };
        // Boxed: the poll's size is not carried while the push waits.
        let poll = Box::pin(
            self.okta
                .authn()
                .poll_factor(poll_href, &request, self.forwarded_for),
        );
        // Okta's answer is read and dropped before the outcome is recorded:
        // held across that wait, it would size every waiting push.
        let ended = match poll.await {
            Ok(reply) => {
                let ended = classify(&reply.body);
                if ended.is_none()
                    && let Some(number) = reply.body.correct_answer().map(|n| n.to_string())
                {
                    self.status.send_if_modified(|status| match status {
                        PushStatus::Waiting { number: shown }
                            if shown.as_deref() != Some(number.as_str()) =>
                        {
                            *shown = Some(number.clone());
                            true
                        }
                        _ => false,
                    });
                }
                ended
            }
            // A passing outage: try again at the next interval.
            Err(error) if error.is_unavailable() => {
                tracing::debug!(user = %self.login, %error, "a push poll failed; polling goes on");
                None
            }
            Err(error) => Some(PushStatus::Failed(error)),
        };
        if let Some(status) = ended {
            Box::pin(self.finish(status)).await;
        }
    }

    /// One `mfa-oob` poll of a Direct Authentication push.
    async fn poll_direct(
        &self,
        mfa_token: &SecretString,
        oob_code: &SecretString,
        interval: &Mutex<Duration>,
    ) {
        let user = DirectUser {
            login: &self.login,
            forwarded_for: self.forwarded_for,
        };
        let polled = match self.okta.direct() {
            Ok(direct) => direct.poll_oob(user, mfa_token, oob_code, None).await,
            Err(error) => Err(error),
        };
        let outcome = match polled.map(|reply| reply.body) {
            Ok(Grant::Pending) => return,
            Ok(Grant::SlowDown) => {
                // Okta asks for 5 s more between polls, from now on.
                *lock(interval) += SLOW_DOWN_STEP;
                tracing::debug!(user = %self.login, "Okta asked to poll the push more slowly");
                return;
            }
            Ok(Grant::Refused(refusal)) if refusal.is(errors::INVALID_GRANT) => {
                PushStatus::Rejected
            }
            Ok(Grant::Refused(refusal)) if refusal.is(errors::ACCESS_DENIED) => {
                PushStatus::TimedOut
            }
            Ok(grant) => PushStatus::Direct(Arc::new(grant)),
            Err(error) if error.is_unavailable() => {
                tracing::debug!(user = %self.login, %error, "a push poll failed; polling goes on");
                return;
            }
            Err(error) => PushStatus::Failed(error),
        };
        self.status.send_replace(outcome);
    }

    async fn finish(&self, outcome: PushStatus) {
        if matches!(outcome, PushStatus::TimedOut)
            && let PushTransaction::Authn { state_token, .. } = &self.transaction
        {
            // Give up for good: a late approval must not open a session.
            // (A Direct Authentication challenge has no cancel: nobody
            // polls it any more, so no token is ever collected.)
            if let Err(error) = self.okta.authn().cancel(state_token).await {
                tracing::debug!(%error, "cancelling a timed-out push failed");
            }
        }
        self.status.send_replace(outcome);
    }
}

/// All pushes in flight on this server, and the per-user limits, keyed by
/// user (every spelling of one login shares one pending push and one ledger).
pub(super) struct Pushes {
    /// The push pending for each user.
    watches: DashMap<UserKey, Arc<PushWatch>>,
    /// The push-fatigue limits and what they count.
    fatigue: FatigueLedger,
    /// The users of the watches in the order they came: pushes that ended
    /// a while ago are forgotten oldest first, a few per new push.
    expiry: ExpiryQueue<UserKey>,
}

/// How long a push is remembered after it was given up.
const REMEMBER_PUSH_FOR: Duration = Duration::from_secs(300);

/// How many ended pushes a new one looks at to forget.
const FORGET_AT_ONCE: usize = 64;

/// What Okta's `slow_down` adds to the poll interval.
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Poll intervals: every 2 s for the first half minute (a person approves
/// within seconds, and the answer is seen at most 2 s late), then every 3 s,
/// then every 5 s. Polls draw on Okta's `/authn` bucket; this schedule keeps
/// a push to at most one call per 2 s of waiting.
pub(super) fn poll_interval(elapsed: Duration) -> Duration {
    match elapsed.as_secs() {
        0..30 => Duration::from_secs(2),
        30..60 => Duration::from_secs(3),
        _ => Duration::from_secs(5),
    }
}

impl Pushes {
    pub(super) fn new(limits: PushLimits, cluster: Cluster) -> Pushes {
        Pushes {
            watches: DashMap::new(),
            fatigue: FatigueLedger::new(limits, cluster),
            expiry: ExpiryQueue::default(),
        }
    }

    /// The push pending (or recently finished) for a user.
    pub(super) fn pending(&self, user: &UserKey) -> Option<Arc<PushWatch>> {
        self.watches.get(user).map(|w| w.clone())
    }

    /// Number of pushes whose outcome is not known yet.
    pub(super) fn waiting_count(&self) -> usize {
        let now = Instant::now();
        self.watches
            .iter()
            .filter(|entry| !entry.value().status().is_done() && now < entry.value().give_up_at)
            .count()
    }

    /// Gives up every push whose outcome is not known yet and cancels its
    /// Okta transaction, so that a late approval opens nothing (the server
    /// is stopping now). Returns how many Okta confirmed cancelled.
    pub(super) async fn cancel_unfinished(&self) -> usize {
        let open: Vec<Arc<PushWatch>> = self
            .watches
            .iter()
            .filter(|entry| !entry.value().status().is_done())
            .map(|entry| entry.value().clone())
            .collect();
        let mut cancels = tokio::task::JoinSet::new();
        for push in open {
            cancels.spawn(async move {
                let PushTransaction::Authn { state_token, .. } = &push.transaction else {
                    // Nothing to cancel at Okta: nobody polls it any more.
                    push.status.send_replace(PushStatus::TimedOut);
                    return false;
                };
                let cancelled = push.okta.authn().cancel(state_token).await;
                if let Err(error) = &cancelled {
                    tracing::debug!(user = %push.login, %error, "cancelling a pending push failed");
                }
                push.status.send_replace(PushStatus::TimedOut);
                cancelled.is_ok()
            });
        }
        let mut cancelled = 0;
        while let Some(done) = cancels.join_next().await {
            if matches!(done, Ok(true)) {
                cancelled += 1;
            }
        }
        cancelled
    }

    /// Checks the fatigue limits for a new push to `user` and, when allowed,
    /// records it as sent.
    pub(super) async fn admit(&self, user: &UserKey) -> Result<(), PushRefusal> {
        self.fatigue.admit(user).await
    }

    /// Whether a push to `user` is waiting for its answer here, the pushes
    /// sent in the last minute and the cooldown left (the fleet's, in a
    /// fleet).
    pub(super) async fn status_of(&self, user: &UserKey) -> (bool, usize, Duration) {
        let waiting = self
            .watches
            .get(user)
            .is_some_and(|watch| !watch.status().is_done() && Instant::now() < watch.give_up_at);
        let (sent, cooldown) = self.fatigue.status(user).await;
        (waiting, sent, cooldown)
    }

    /// Lets go of `user`'s pending push and fatigue ledger: the next login
    /// sends a new push at once. A login already waiting on the old push
    /// keeps waiting for it.
    pub(super) async fn forget_user(&self, user: &UserKey) {
        self.watches.remove(user);
        self.fatigue.forget(user).await;
    }

    /// Replaces the fatigue limits (a config reload).
    pub(super) fn replace_limits(&self, limits: PushLimits) {
        self.fatigue.replace_limits(limits);
    }

    /// The user rejected a push: no new one during the cooldown.
    pub(super) async fn note_rejected(&self, user: &UserKey) {
        self.fatigue.note_rejected(user).await;
    }

    /// Registers a push that Okta has just sent to `user` (`first` is the
    /// answer to the first verify call); waiters poll it from now on.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start(
        &self,
        okta: OktaClient,
        user: &UserKey,
        login: &str,
        state_token: SecretString,
        poll_href: String,
        first: &AuthnResponse,
        forwarded_for: Option<IpAddr>,
        timeout: Duration,
    ) -> Arc<PushWatch> {
        let initial = classify(first).unwrap_or(PushStatus::Waiting {
            number: first.correct_answer().map(|n| n.to_string()),
        });
        let transaction = PushTransaction::Authn {
            state_token,
            poll_href,
        };
        self.watch(
            okta,
            user,
            login,
            transaction,
            initial,
            forwarded_for,
            timeout,
            true,
        )
    }

    /// Registers a push that Direct Authentication's `/challenge` sent
    /// (`sent_now`), or that a State hands over (polled at once: the user
    /// pressed Enter, likely after approving): `number` is the
    /// `binding_code` to show.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn start_direct(
        &self,
        okta: OktaClient,
        user: &UserKey,
        login: &str,
        mfa_token: SecretString,
        oob_code: SecretString,
        interval: Duration,
        number: Option<String>,
        forwarded_for: Option<IpAddr>,
        timeout: Duration,
        sent_now: bool,
    ) -> Arc<PushWatch> {
        let transaction = PushTransaction::Direct {
            mfa_token,
            oob_code,
            interval: Mutex::new(interval),
        };
        let initial = PushStatus::Waiting { number };
        self.watch(
            okta,
            user,
            login,
            transaction,
            initial,
            forwarded_for,
            timeout,
            sent_now,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn watch(
        &self,
        okta: OktaClient,
        user: &UserKey,
        login: &str,
        transaction: PushTransaction,
        initial: PushStatus,
        forwarded_for: Option<IpAddr>,
        timeout: Duration,
        asked: bool,
    ) -> Arc<PushWatch> {
        let now = Instant::now();
        self.forget_ended(now);
        let push = |place| {
            Arc::new(PushWatch {
                login: login.to_owned(),
                user: user.clone(),
                okta,
                transaction,
                forwarded_for,
                started: now,
                give_up_at: now + timeout,
                status: watch::Sender::new(initial),
                poller: tokio::sync::Mutex::new(asked.then_some(now)),
                polls: std::sync::atomic::AtomicU32::new(0),
                place,
            })
        };
        let (push, new_place) = match self.watches.entry(user.clone()) {
            // The user's earlier push is replaced; the user keeps its place.
            Entry::Occupied(mut occupied) => {
                let push = push(occupied.get().place);
                occupied.insert(push.clone());
                (push, None)
            }
            Entry::Vacant(vacant) => {
                let place = self.expiry.next_place();
                let push = push(place);
                vacant.insert(push.clone());
                (push, Some(place))
            }
        };
        if let Some(place) = new_place {
            // Queued once the watch's entry is unlocked.
            self.expiry
                .queue(user.clone(), place, push.give_up_at + REMEMBER_PUSH_FOR);
        }
        push
    }

    /// Forgets pushes given up a while ago, oldest first.
    fn forget_ended(&self, now: Instant) -> usize {
        self.expiry.forget(
            &self.watches,
            now,
            FORGET_AT_ONCE,
            |push| push.place,
            |push| push.give_up_at + REMEMBER_PUSH_FOR,
        )
    }
}

/// What an answer says about the push, or `None` while it is still waiting.
pub(super) fn classify(answer: &AuthnResponse) -> Option<PushStatus> {
    match (&answer.status, &answer.factor_result) {
        (AuthnStatus::MfaChallenge, Some(FactorResult::Waiting))
        | (AuthnStatus::MfaChallenge, None) => None,
        (AuthnStatus::MfaChallenge, Some(FactorResult::Rejected)) => Some(PushStatus::Rejected),
        (AuthnStatus::MfaChallenge, Some(FactorResult::Timeout))
        | (AuthnStatus::MfaChallenge, Some(FactorResult::TimeWindowExceeded)) => {
            Some(PushStatus::TimedOut)
        }
        (AuthnStatus::MfaChallenge, Some(_)) => Some(PushStatus::Rejected),
        (AuthnStatus::MfaRequired, _) => Some(PushStatus::Rejected),
        _ => Some(PushStatus::Approved(Arc::new(answer.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_client::OktaSettings;

    /// A push for `user` with a 10 s timeout (the client is never called).
    fn watch(pushes: &Pushes, okta: &OktaClient, user: &UserKey) -> Arc<PushWatch> {
        pushes.watch(
            okta.clone(),
            user,
            "login",
            PushTransaction::Authn {
                state_token: SecretString::from("state-token"),
                poll_href: "/api/v1/authn/factors/f/verify".to_owned(),
            },
            PushStatus::Waiting { number: None },
            None,
            Duration::from_secs(10),
            true,
        )
    }

    #[tokio::test]
    async fn a_push_is_remembered_five_minutes_after_it_is_given_up_then_forgotten_oldest_first() {
        let okta = OktaClient::new(OktaSettings::new(
            "http://127.0.0.1:9",
            SecretString::from("token"),
        ))
        .expect("a client");
        let pushes = Pushes::new(
            PushLimits {
                cooldown_after_reject: Duration::from_secs(60),
                max_per_minute: 3,
            },
            Cluster::local(),
        );
        let users: Vec<UserKey> = (0..100)
            .map(|i| UserKey::of_login(&format!("user{i}@example.com")))
            .collect();
        let mut given_up = None;
        for user in &users {
            given_up = Some(watch(&pushes, &okta, user).give_up_at);
        }
        // A user pushed again keeps the one place it had.
        watch(&pushes, &okta, &users[0]);
        assert_eq!(pushes.expiry.len(), 100);
        let given_up = given_up.expect("pushes were sent");

        // Within five minutes of being given up, every push is remembered
        // (a late Enter still finds its outcome).
        let remembered_until = given_up + REMEMBER_PUSH_FOR;
        assert_eq!(
            pushes.forget_ended(remembered_until - Duration::from_secs(1)),
            0
        );
        assert_eq!(pushes.watches.len(), 100);
        // Past that, a new push forgets at most 64 of them.
        let later = remembered_until + Duration::from_secs(1);
        assert_eq!(pushes.forget_ended(later), FORGET_AT_ONCE);
        assert_eq!(pushes.watches.len(), 100 - FORGET_AT_ONCE);
        assert!(
            users[FORGET_AT_ONCE..]
                .iter()
                .all(|user| pushes.pending(user).is_some()),
            "the oldest go first"
        );
        assert_eq!(pushes.forget_ended(later), 100 - FORGET_AT_ONCE);
        assert!(pushes.watches.is_empty());
        assert_eq!(pushes.expiry.len(), 0);
    }

    #[test]
    fn polling_costs_at_most_one_call_per_two_seconds() {
        // Poll times for waits up to ten minutes: never more than one poll
        // per 2 s of waiting, and slower the longer the wait.
        let mut at = Duration::ZERO;
        let mut polls = 0u32;
        while at < Duration::from_secs(600) {
            at += poll_interval(at);
            polls += 1;
            assert!(
                at.as_secs_f64() / f64::from(polls) >= 2.0,
                "{polls} polls in {at:?}"
            );
        }
        assert_eq!(poll_interval(Duration::ZERO), Duration::from_secs(2));
        assert_eq!(
            poll_interval(Duration::from_secs(120)),
            Duration::from_secs(5)
        );
    }
}
