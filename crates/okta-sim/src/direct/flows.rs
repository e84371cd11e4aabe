//! The Direct Authentication transactions the simulated org keeps: each
//! `mfa_token` handed out after a right password (whose user it names,
//! until when), and each `oob_code` of a challenge (its `mfa_token`, the
//! factor and channel, the poll interval and the last poll, for
//! `slow_down`). Both expire after five minutes, as Okta's do.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use crate::ids;
use okta_api::direct::Channel;

/// How long an `mfa_token` or an `oob_code` lives.
pub(crate) const LIFETIME: Duration = Duration::from_secs(300);

/// An `mfa_token`'s transaction.
#[derive(Clone)]
pub(crate) struct MfaTransaction {
    pub(crate) login: String,
    expires: Instant,
}

/// An `oob_code`'s challenge.
#[derive(Clone)]
pub(crate) struct OobChallenge {
    pub(crate) mfa_token: String,
    pub(crate) factor_id: String,
    pub(crate) channel: Channel,
    pub(crate) interval: Duration,
    pub(crate) last_poll: Option<Instant>,
    expires: Instant,
}

/// Every open transaction, bounded.
pub(crate) struct Flows {
    mfa: Mutex<HashMap<String, MfaTransaction>>,
    oob: Mutex<HashMap<String, OobChallenge>>,
    capacity: usize,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Flows {
    pub(crate) fn new(capacity: usize) -> Flows {
        Flows {
            mfa: Mutex::default(),
            oob: Mutex::default(),
            capacity: capacity.max(1),
        }
    }

    /// A new `mfa_token` for `login`.
    pub(crate) fn open(&self, login: &str) -> String {
        let token = format!("ft{}", ids::random_token(40));
        let mut mfa = lock(&self.mfa);
        let now = Instant::now();
        if mfa.len() >= self.capacity {
            mfa.retain(|_, tx| tx.expires > now);
        }
        mfa.insert(
            token.clone(),
            MfaTransaction {
                login: login.to_owned(),
                expires: now + LIFETIME,
            },
        );
        token
    }

    /// The live transaction of an `mfa_token`.
    pub(crate) fn transaction(&self, mfa_token: &str) -> Option<MfaTransaction> {
        lock(&self.mfa)
            .get(mfa_token)
            .filter(|tx| tx.expires > Instant::now())
            .cloned()
    }

    /// Ends a transaction (its factor was verified).
    pub(crate) fn end(&self, mfa_token: &str) {
        lock(&self.mfa).remove(mfa_token);
        lock(&self.oob).retain(|_, oob| oob.mfa_token != mfa_token);
    }

    /// A new `oob_code` for a challenge of `mfa_token`.
    pub(crate) fn challenge(
        &self,
        mfa_token: &str,
        factor_id: &str,
        channel: Channel,
        interval: Duration,
    ) -> String {
        let code = format!("ft{}", ids::random_token(40));
        let mut oob = lock(&self.oob);
        let now = Instant::now();
        if oob.len() >= self.capacity {
            oob.retain(|_, challenge| challenge.expires > now);
        }
        oob.insert(
            code.clone(),
            OobChallenge {
                mfa_token: mfa_token.to_owned(),
                factor_id: factor_id.to_owned(),
                channel,
                interval,
                last_poll: None,
                expires: now + LIFETIME,
            },
        );
        code
    }

    /// The live challenge of an `oob_code` of `mfa_token`, noting this
    /// poll; `Err(())` when it comes sooner than the interval after the
    /// last one (the caller answers `slow_down`).
    pub(crate) fn poll(&self, oob_code: &str, mfa_token: &str) -> Option<Result<OobChallenge, ()>> {
        let mut oob = lock(&self.oob);
        let now = Instant::now();
        let challenge = oob
            .get_mut(oob_code)
            .filter(|challenge| challenge.expires > now && challenge.mfa_token == mfa_token)?;
        if challenge
            .last_poll
            .is_some_and(|at| now.duration_since(at) < challenge.interval)
        {
            challenge.last_poll = Some(now);
            return Some(Err(()));
        }
        challenge.last_poll = Some(now);
        Some(Ok(challenge.clone()))
    }
}
