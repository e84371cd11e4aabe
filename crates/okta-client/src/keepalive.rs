//! Keeping the API token alive, and noticing when it works again.
//!
//! Okta expires an API token 30 days after its last use, and every
//! successful call is a use. A busy bridge keeps its token alive with logins;
//! an idle one would lose it. This task makes one cheap call that succeeds
//! (`GET /api/v1/users/me`) whenever no call with the token has succeeded
//! within the keep-alive interval (default 24 h), so it never comes near 30
//! days, and warns when the predicted expiry is within 7 days (the keep-alive
//! itself is failing).
//!
//! While Okta refuses the token (or does not answer), the same call is made
//! every probe interval (default 60 s): the client recovers by itself when
//! the token works again.

use std::time::{Duration, SystemTime};

use metrics::counter;
use tokio::task::JoinHandle;

use super::client::OktaClient;
use crate::metrics as names;

/// How often the keep-alive runs.
#[derive(Debug, Clone, Copy)]
pub struct KeepAliveSettings {
    /// Longest time without a successful call before the keep-alive calls.
    pub interval: Duration,
    /// Time between probes while the token is refused or Okta is unreachable.
    pub probe_interval: Duration,
}

impl Default for KeepAliveSettings {
    fn default() -> Self {
        KeepAliveSettings {
            interval: Duration::from_secs(24 * 3600),
            probe_interval: Duration::from_secs(60),
        }
    }
}

/// Starts the keep-alive and probe task for `client`'s API token. Without an
/// API token (OAuth only) there is nothing to keep alive and no task starts.
pub fn spawn(client: OktaClient, settings: KeepAliveSettings) -> Option<JoinHandle<()>> {
    if !client.has_api_token() {
        tracing::info!(
            "no API token configured: no keep-alive (OAuth tokens do not expire unused)"
        );
        return None;
    }
    Some(tokio::spawn(run(client, settings)))
}

async fn run(client: OktaClient, settings: KeepAliveSettings) {
    let state = client.credential();
    let mut last_warning: Option<SystemTime> = None;
    let mut failed_last = false;
    let mut starting = true;
    loop {
        let now = SystemTime::now();
        // At start Okta has answered nobody yet: that is no failure to wait
        // a probe interval out, so the first round calls at once.
        let unhealthy = !std::mem::replace(&mut starting, false)
            && (state.is_invalid() || !state.reachable() || failed_last);
        let wait = if unhealthy {
            settings.probe_interval
        } else {
            match state.last_use() {
                Some(last) => (last + settings.interval)
                    .duration_since(now)
                    .unwrap_or_default(),
                None => Duration::ZERO,
            }
        };
        if unhealthy {
            tokio::time::sleep(wait).await;
        } else if !wait.is_zero() {
            // Woken early when a call turns the credential invalid, so
            // probing starts on the probe schedule.
            tokio::select! {
                () = tokio::time::sleep(wait) => {}
                () = state.changed.notified() => continue,
            }
        }
        let still_due = state.is_invalid()
            || !state.reachable()
            || state
                .last_use()
                .is_none_or(|last| last + settings.interval <= SystemTime::now());
        if !still_due {
            continue;
        }
        let result = client.probe_api_token().await;
        let label = if result.is_ok() { "ok" } else { "error" };
        counter!(names::OKTA_KEEPALIVE_CALLS, "result" => label).increment(1);
        match result {
            Ok(reply) => tracing::debug!(
                okta_request_id = reply.request_id.as_deref().unwrap_or("-"),
                "API token keep-alive: Okta answered /api/v1/users/me"
            ),
            Err(error) => tracing::debug!(%error, "API token keep-alive or probe failed"),
        }
        let now = SystemTime::now();
        let hour_passed = last_warning.is_none_or(|at| {
            now.duration_since(at).unwrap_or_default() >= Duration::from_secs(3600)
        });
        if hour_passed && state.warn_if_expiry_near(now) {
            last_warning = Some(now);
        }
        // A failing call must not spin: the next try is a probe interval away.
        failed_last = label == "error";
    }
}
