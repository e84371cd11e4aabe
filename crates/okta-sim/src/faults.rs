//! Failure injection for the simulated org: added latency and the ways a real
//! org misbehaves (internal errors, read-only mode, a call that never
//! answers, 429s the bridge must not over-read, a clock that is not the
//! bridge's), switchable while the org runs so a test can break Okta mid-flow.
//!
//! These are the switches; the middleware ([`super::middleware`]) reads them
//! on every request.

use std::sync::atomic::{AtomicI64, AtomicU8, AtomicU64, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

/// How the org answers every call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SimFaultMode {
    /// As a healthy org would.
    #[default]
    Normal,
    /// HTTP 500 `E0000009` "Internal Server Error".
    InternalError,
    /// HTTP 503 `E0000010`: the org is in read-only mode.
    ReadOnly,
    /// Never answers, until the org shuts down.
    Hang,
}

impl SimFaultMode {
    fn to_u8(self) -> u8 {
        match self {
            SimFaultMode::Normal => 0,
            SimFaultMode::InternalError => 1,
            SimFaultMode::ReadOnly => 2,
            SimFaultMode::Hang => 3,
        }
    }

    fn from_u8(value: u8) -> SimFaultMode {
        match value {
            1 => SimFaultMode::InternalError,
            2 => SimFaultMode::ReadOnly,
            3 => SimFaultMode::Hang,
            _ => SimFaultMode::Normal,
        }
    }
}

/// A 429 `E0000047` the org answers instead of a call to the
/// `/api/v1/authn` bucket (see [`SimFaults::rate_limit_authn`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SimRateLimited {
    /// Okta's per-user limit (4 calls a second for one username): the
    /// bucket is charged as usual and its headers still show calls left.
    PerUser,
    /// The bucket's own refusal: `X-Rate-Limit-Remaining: 0`, and a reset
    /// this long after the org's clock (an hour is a reset no window has).
    Bucket { resets_in: Duration },
    /// No `X-Rate-Limit-*` headers at all, as a proxy in front of Okta may answer.
    NoHeaders,
}

/// The org's current faults; every setter takes effect on the next request.
#[derive(Debug, Default)]
pub struct SimFaults {
    latency_ms: AtomicU64,
    mode: AtomicU8,
    /// 429s still to answer on the `/api/v1/authn` bucket, and which.
    authn_rate_limited: Mutex<Option<(u32, SimRateLimited)>>,
    /// Seconds the org's clock runs ahead of this machine's (behind if negative).
    clock_skew_secs: AtomicI64,
}

impl SimFaults {
    /// Delay added before every answer.
    pub fn set_latency(&self, latency: Duration) {
        let millis = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.latency_ms.store(millis, Ordering::Relaxed);
    }

    /// The delay added before every answer.
    pub(crate) fn latency(&self) -> Duration {
        Duration::from_millis(self.latency_ms.load(Ordering::Relaxed))
    }

    pub fn set_mode(&self, mode: SimFaultMode) {
        self.mode.store(mode.to_u8(), Ordering::Relaxed);
    }

    /// How the org answers every call now.
    pub(crate) fn mode(&self) -> SimFaultMode {
        SimFaultMode::from_u8(self.mode.load(Ordering::Relaxed))
    }

    /// The next `count` calls to the `/api/v1/authn` bucket (primary
    /// authentication and its factor calls) are answered with `answer`.
    pub fn rate_limit_authn(&self, count: u32, answer: SimRateLimited) {
        let pending = (count > 0).then_some((count, answer));
        *self
            .authn_rate_limited
            .lock()
            .unwrap_or_else(PoisonError::into_inner) = pending;
    }

    /// The 429 to answer instead of this call to the `/api/v1/authn` bucket, if any.
    pub(crate) fn take_authn_rate_limited(&self) -> Option<SimRateLimited> {
        let mut pending = self
            .authn_rate_limited
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        let (count, answer) = (*pending)?;
        *pending = (count > 1).then_some((count - 1, answer));
        Some(answer)
    }

    /// The org's clock runs `seconds` ahead of this machine's (behind when
    /// negative): its `Date` and `X-Rate-Limit-Reset` headers say so. Times
    /// in answer bodies keep this machine's clock.
    pub fn set_clock_skew(&self, seconds: i64) {
        self.clock_skew_secs.store(seconds, Ordering::Relaxed);
    }

    /// `local`, this machine's time, read on the org's clock.
    pub(crate) fn org_time(&self, local: SystemTime) -> SystemTime {
        let skew = self.clock_skew_secs.load(Ordering::Relaxed);
        let by = Duration::from_secs(skew.unsigned_abs());
        let shifted = if skew >= 0 {
            local.checked_add(by)
        } else {
            local.checked_sub(by)
        };
        shifted.unwrap_or(local)
    }

    /// Back to a healthy org with no added latency.
    pub fn clear(&self) {
        self.set_latency(Duration::ZERO);
        self.set_mode(SimFaultMode::Normal);
        self.rate_limit_authn(0, SimRateLimited::NoHeaders);
        self.set_clock_skew(0);
    }
}
