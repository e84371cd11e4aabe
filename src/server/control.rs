//! Controlling a running server from outside the request path: replacing the
//! client table on a config reload, draining the requests in flight before
//! the process exits, and ending them at once when the operator will not
//! wait for the drain.

use super::clients::ClientTable;
use super::shared::{PENDING_MARGIN, Shared};
use super::tls::credentials::TlsMaterial;
use crate::config::Config;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

/// A handle on a running server for reloads and shutdown.
#[derive(Clone)]
pub struct ServerHandle {
    shared: Arc<Shared>,
}

impl ServerHandle {
    pub(super) fn new(shared: Arc<Shared>) -> ServerHandle {
        ServerHandle { shared }
    }

    /// Replaces the client table (addresses, secrets, per-client options,
    /// MFA settings, policies named by clients, TLS trust anchors and
    /// identities). Requests in flight finish with the client they started
    /// with; open stream connections check their client again and close
    /// when it is gone.
    pub fn replace_clients(&self, config: &Config, tls: &TlsMaterial) {
        self.shared.clients.set(ClientTable::new(
            &config.clients,
            config.server.status_server_per_second,
            &tls.trust,
        ));
        self.shared.reloads.send_modify(|count| *count += 1);
        if let Some(state) = &self.shared.accounting {
            state.replace_users(config.users.clone());
        }
    }

    /// Puts a newly read TLS certificate in force for new handshakes; open
    /// connections keep theirs. A config without one keeps the running one.
    pub fn replace_certificate(&self, tls: &TlsMaterial) {
        if let Some(certificate) = &tls.certificate {
            self.shared.certificate.set(Some(certificate.clone()));
        }
        if let (Some(eap), Some(certificate)) = (&self.shared.eap, &tls.eap_certificate) {
            eap.replace_certificate(certificate.clone());
        }
    }

    /// Reopens the accounting file (after logrotate moved it, or with a
    /// reloaded `[accounting]`); nothing when accounting is not recorded.
    pub async fn reopen_accounting(&self, config: &Config) {
        let (Some(state), Some(output)) = (&self.shared.accounting, &config.accounting.output)
        else {
            return;
        };
        match state
            .journal
            .reopen(output.clone(), config.accounting.fsync)
            .await
        {
            Ok(()) => tracing::info!("accounting file reopened"),
            Err(error) => tracing::error!(
                %error,
                "cannot reopen the accounting file: records are not acknowledged until it can be written"
            ),
        }
    }

    /// The conversation, to replace its rules on a reload.
    pub fn authenticator(&self) -> &crate::auth::Authenticator {
        &self.shared.authenticator
    }

    /// Requests being worked on now.
    pub fn in_flight(&self) -> usize {
        self.shared.max_in_flight - self.shared.in_flight.available_permits()
    }

    /// The longest any request in flight may still take.
    pub fn longest_answer(&self) -> Duration {
        let clients = self.shared.clients.get();
        clients
            .longest_answer()
            .saturating_add(self.shared.reject_delay)
            .saturating_add(PENDING_MARGIN)
    }

    /// Ends every request in flight now: each answers as for an Okta outage,
    /// as its client's `on_okta_failure` says, without the reject delay.
    /// Call [`ServerHandle::drain`] then to wait for those answers.
    pub fn stop_now(&self) {
        self.shared.stop_now.order.send_replace(true);
    }

    /// Requests ended by [`ServerHandle::stop_now`] before they had an answer.
    pub fn ended_by_stop(&self) -> usize {
        self.shared.stop_now.ended.load(Ordering::Relaxed)
    }

    /// Waits until no request is in flight, or `limit` passed. Returns
    /// whether everything finished.
    pub async fn drain(&self, limit: Duration) -> bool {
        let all = u32::try_from(self.shared.max_in_flight).unwrap_or(u32::MAX);
        matches!(
            tokio::time::timeout(limit, self.shared.in_flight.acquire_many(all)).await,
            Ok(Ok(_))
        )
    }
}
