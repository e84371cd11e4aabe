//! What every listener and request task of a running server shares: the
//! client table, the duplicate cache, the in-flight limits, the
//! conversation, and the order to stop now.

use super::clients::ClientTable;
use super::duplicates::DuplicateCache;
use super::stop::StopNow;
use crate::auth::Authenticator;
use crate::live::Live;
use radius_proto::dictionary::Dictionary;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Semaphore;

/// How long past its deadline a pending entry in the duplicate cache is
/// trusted; a safety net in case a task never finishes.
pub(super) const PENDING_MARGIN: Duration = Duration::from_secs(10);

/// Everything the listeners share.
pub(super) struct Shared {
    /// Replaced by a config reload.
    pub(super) clients: Live<ClientTable>,
    pub(super) duplicates: DuplicateCache,
    pub(super) in_flight: Arc<Semaphore>,
    pub(super) authenticator: Authenticator,
    pub(super) dictionary: Arc<Dictionary>,
    pub(super) reject_delay: Duration,
    /// Permits of `in_flight` only State-bearing requests may take.
    pub(super) challenge_reserve: usize,
    pub(super) challenge_reserve_percent: u8,
    pub(super) max_in_flight: usize,
    /// Given when the operator will not wait for the drain.
    pub(super) stop_now: StopNow,
}
