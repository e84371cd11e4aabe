//! What every listener and request task of a running server shares: the
//! client table, the duplicate cache, the in-flight limits, the
//! conversation, the order to stop now, and for stream connections the TLS
//! certificate, their limits and the signals they follow (the listeners
//! stopping, the clients reloaded).

use super::clients::ClientTable;
use super::duplicates::DuplicateCache;
use super::stop::StopNow;
use super::stream::capacity::ConnectionCapacity;
use crate::accounting::Accounting;
use crate::auth::Authenticator;
use crate::cluster::Cluster;
use crate::config::ConnectionLimits;
use crate::eap::EapServer;
use crate::live::Live;
use radius_proto::dictionary::Dictionary;
use rustls::sign::CertifiedKey;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{Semaphore, watch};

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
    /// EAP logins, when `[eap]` is configured.
    pub(super) eap: Option<EapServer>,
    /// The fleet sharing the duplicate cache through Redis, if any.
    pub(super) cluster: Cluster,
    pub(super) dictionary: Arc<Dictionary>,
    pub(super) reject_delay: Duration,
    /// Permits of `in_flight` only State-bearing requests may take.
    pub(super) challenge_reserve: usize,
    pub(super) challenge_reserve_percent: u8,
    pub(super) max_in_flight: usize,
    /// Given when the operator will not wait for the drain.
    pub(super) stop_now: StopNow,
    /// The server's TLS certificate for new handshakes; a reload replaces it.
    pub(super) certificate: Live<Option<Arc<CertifiedKey>>>,
    pub(super) connection_limits: ConnectionLimits,
    pub(super) capacity: Arc<ConnectionCapacity>,
    /// Becomes true when the listeners stop: connections read no more,
    /// answer what is in flight and close.
    pub(super) closing: watch::Sender<bool>,
    /// Counts client-table replacements: open connections check their
    /// client again.
    pub(super) reloads: watch::Sender<u64>,
    /// The accounting file and session table, when an accounting port is open.
    pub(super) accounting: Option<Arc<Accounting>>,
}
