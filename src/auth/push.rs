//! Okta Verify pushes: sending one, polling it on a budget, and keeping the
//! poll alive between RADIUS requests so that a NAS retransmit, a second
//! login of the same user, or the "press Enter" of challenge mode never
//! sends a second push.
//!
//! Every push runs as one background watch per user. Whoever needs its
//! outcome (the request that sent it in `wait` mode, a follow-up request
//! in `challenge` mode, a second login joining it) waits on the watch.

use crate::config::PushLimits;
use crate::okta::authn::{AuthnResponse, AuthnStatus, FactorResult};
use crate::okta::client::{FactorVerify, OktaClient};
use crate::okta::error::OktaError;
use dashmap::DashMap;
use secrecy::{ExposeSecret, SecretString};
use std::collections::VecDeque;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::watch;

/// Where a push stands.
#[derive(Debug, Clone)]
pub enum PushStatus {
    /// Sent, not answered yet; `number` is set once Okta asks for number matching.
    Waiting {
        number: Option<String>,
    },
    /// Approved: the transaction's final answer (SUCCESS, or a post-MFA state).
    Approved(Arc<AuthnResponse>),
    Rejected,
    TimedOut,
    /// Okta could not be asked (the error decides the reply).
    Failed(OktaError),
}

impl PushStatus {
    pub fn is_done(&self) -> bool {
        !matches!(self, PushStatus::Waiting { .. })
    }
}

/// One push being polled.
pub struct PushWatch {
    pub login: String,
    /// The transaction's stateToken (to match a continuing State).
    state_token: SecretString,
    /// The poll link's path relative to the org.
    poll_path: String,
    status: watch::Receiver<PushStatus>,
}

impl PushWatch {
    /// The current status.
    pub fn status(&self) -> PushStatus {
        self.status.borrow().clone()
    }

    /// The transaction's stateToken and poll path, for a State.
    pub fn transaction(&self) -> (SecretString, String) {
        (self.state_token.clone(), self.poll_path.clone())
    }

    /// Whether this watch belongs to the transaction of `state_token`.
    pub fn is_transaction(&self, state_token: &SecretString) -> bool {
        crate::radius::crypto::constant_time_eq(
            self.state_token.expose_secret().as_bytes(),
            state_token.expose_secret().as_bytes(),
        )
    }

    /// Waits until the push is answered, a number to show appears (when
    /// `stop_on_number`), or `until` passes; returns the status then.
    pub async fn wait(&self, until: tokio::time::Instant, stop_on_number: bool) -> PushStatus {
        let mut receiver = self.status.clone();
        let done = receiver.wait_for(|status| match status {
            PushStatus::Waiting { number } => stop_on_number && number.is_some(),
            _ => true,
        });
        match tokio::time::timeout_at(until, done).await {
            Ok(Ok(status)) => status.clone(),
            _ => self.status(),
        }
    }
}

/// Why a new push may not be sent now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PushRefusal {
    /// The user rejected a push within the cooldown.
    Cooldown,
    /// The user got too many pushes in the last minute.
    TooMany,
}

/// The per-user push ledger for fatigue limits.
#[derive(Default)]
struct UserPushes {
    sent: VecDeque<Instant>,
    rejected_at: Option<Instant>,
}

/// All pushes in flight on this server, and the per-user limits.
pub struct Pushes {
    /// The push pending for each login.
    watches: DashMap<String, Arc<PushWatch>>,
    ledger: DashMap<String, Mutex<UserPushes>>,
    limits: PushLimits,
}

/// Poll intervals: quick at first (most approvals come within seconds), then
/// slower, so a long wait costs about one call every 3 s.
pub fn poll_interval(elapsed: Duration) -> Duration {
    match elapsed.as_secs() {
        0..=3 => Duration::from_secs(1),
        4..=10 => Duration::from_secs(2),
        11..=30 => Duration::from_secs(3),
        _ => Duration::from_secs(5),
    }
}

impl Pushes {
    pub fn new(limits: PushLimits) -> Pushes {
        Pushes {
            watches: DashMap::new(),
            ledger: DashMap::new(),
            limits,
        }
    }

    /// The push pending (or recently finished) for a login.
    pub fn pending(&self, login: &str) -> Option<Arc<PushWatch>> {
        self.watches.get(login).map(|w| w.clone())
    }

    /// Number of pushes whose outcome is not known yet.
    pub fn waiting_count(&self) -> usize {
        self.watches
            .iter()
            .filter(|entry| !entry.value().status().is_done())
            .count()
    }

    /// Checks the fatigue limits for a new push to `login` and, when allowed,
    /// records it as sent.
    pub fn admit(&self, login: &str) -> Result<(), PushRefusal> {
        let now = Instant::now();
        let entry = self.ledger.entry(login.to_owned()).or_default();
        let Ok(mut ledger) = entry.lock() else {
            return Err(PushRefusal::TooMany);
        };
        if let Some(at) = ledger.rejected_at
            && now.duration_since(at) < self.limits.cooldown_after_reject
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
        if ledger.sent.len() >= self.limits.max_per_minute as usize {
            return Err(PushRefusal::TooMany);
        }
        ledger.sent.push_back(now);
        Ok(())
    }

    fn note_rejected(&self, login: &str) {
        if let Some(entry) = self.ledger.get(login)
            && let Ok(mut ledger) = entry.lock()
        {
            ledger.rejected_at = Some(Instant::now());
        }
    }

    /// Starts polling a push that Okta has just sent (`first` is the answer to
    /// the first verify call). The watch stays registered for `linger` after
    /// the push ends, so a late follow-up still finds the outcome.
    #[allow(clippy::too_many_arguments)]
    pub fn start(
        self: &Arc<Self>,
        okta: OktaClient,
        login: &str,
        state_token: SecretString,
        poll_href: String,
        first: &AuthnResponse,
        forwarded_for: Option<IpAddr>,
        timeout: Duration,
        linger: Duration,
    ) -> Arc<PushWatch> {
        let initial = classify(first).unwrap_or(PushStatus::Waiting {
            number: first.correct_answer().map(|n| n.to_string()),
        });
        let (sender, receiver) = watch::channel(initial.clone());
        let push = Arc::new(PushWatch {
            login: login.to_owned(),
            state_token: state_token.clone(),
            poll_path: super::mfa::link_path(&poll_href),
            status: receiver,
        });
        self.watches.insert(login.to_owned(), push.clone());
        metrics::gauge!(crate::telemetry::metrics::PENDING_PUSHES).increment(1.0);
        let pushes = self.clone();
        let login = login.to_owned();
        let registered = push.clone();
        tokio::spawn(async move {
            let outcome = if initial.is_done() {
                initial
            } else {
                poll(
                    &okta,
                    &state_token,
                    &poll_href,
                    forwarded_for,
                    timeout,
                    &sender,
                )
                .await
            };
            if matches!(outcome, PushStatus::TimedOut) {
                // Give up for good: a late approval must not open a session.
                let _ = okta.cancel(&state_token).await;
            }
            if matches!(outcome, PushStatus::Rejected) {
                pushes.note_rejected(&login);
            }
            metrics::gauge!(crate::telemetry::metrics::PENDING_PUSHES).decrement(1.0);
            let _ = sender.send(outcome);
            tokio::time::sleep(linger).await;
            pushes
                .watches
                .remove_if(&login, |_, current| Arc::ptr_eq(current, &registered));
        });
        push
    }
}

/// What an answer says about the push, or `None` while it is still waiting.
pub fn classify(answer: &AuthnResponse) -> Option<PushStatus> {
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

/// Polls until the push is answered or `timeout` passes.
async fn poll(
    okta: &OktaClient,
    state_token: &SecretString,
    poll_href: &str,
    forwarded_for: Option<IpAddr>,
    timeout: Duration,
    sender: &watch::Sender<PushStatus>,
) -> PushStatus {
    let started = Instant::now();
    let mut failures = 0u32;
    loop {
        let elapsed = started.elapsed();
        if elapsed >= timeout {
            return PushStatus::TimedOut;
        }
        tokio::time::sleep(poll_interval(elapsed).min(timeout - elapsed)).await;
        let request = FactorVerify {
            state_token,
            pass_code: None,
            answer: None,
        };
        match okta.verify_factor(poll_href, &request, forwarded_for).await {
            Ok(reply) => {
                failures = 0;
                if let Some(status) = classify(&reply.body) {
                    return status;
                }
                if let Some(number) = reply.body.correct_answer().map(|n| n.to_string()) {
                    sender.send_if_modified(|status| match status {
                        PushStatus::Waiting { number: shown }
                            if shown.as_deref() != Some(number.as_str()) =>
                        {
                            *shown = Some(number.clone());
                            true
                        }
                        _ => false,
                    });
                }
            }
            Err(error) if error.is_unavailable() && failures < 3 => failures += 1,
            Err(error) => return PushStatus::Failed(error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polling_slows_down_over_time() {
        let total: u64 = (0..60)
            .map(|s| poll_interval(Duration::from_secs(s)).as_secs())
            .sum();
        assert!(total > 60);
        assert_eq!(poll_interval(Duration::ZERO), Duration::from_secs(1));
        assert_eq!(
            poll_interval(Duration::from_secs(120)),
            Duration::from_secs(5)
        );
    }

    #[test]
    fn fatigue_limits() {
        let pushes = Pushes::new(PushLimits {
            cooldown_after_reject: Duration::from_secs(60),
            max_per_minute: 2,
        });
        assert_eq!(pushes.admit("a"), Ok(()));
        assert_eq!(pushes.admit("a"), Ok(()));
        assert_eq!(pushes.admit("a"), Err(PushRefusal::TooMany));
        assert_eq!(pushes.admit("b"), Ok(()));
        pushes.note_rejected("b");
        assert_eq!(pushes.admit("b"), Err(PushRefusal::Cooldown));
    }
}
