//! Running the service: the metrics and health listener, the Okta client
//! with its keep-alive, the conversation and the RADIUS listeners, then
//! signals: SIGHUP re-reads the config, SIGTERM drains, and a second SIGTERM
//! or Ctrl-C stops at once. `serve` and `demo` both start here, so they
//! behave the same.

use super::checks::{Checked, check};
use super::okta::{log_report, okta_settings, preflight_needs, reload_credentials};
use super::{dictionaries, reload, signals};
use crate::accounting::{Accounting, Journal, LocalSessions, rebuild};
use crate::auth::Authenticator;
use crate::cluster::{Cluster, OktaLeases};
use crate::config::{AccountingOutput, Config};
use crate::disconnect;
use crate::server::Server;
use crate::telemetry::metrics;
use okta_client::{OktaClient, keepalive, preflight};
use std::path::PathBuf;
use std::sync::Arc;

/// Starts everything from the config file at `path`, which SIGHUP re-reads.
pub async fn serve(config: Config, path: PathBuf) -> anyhow::Result<()> {
    run_with_reload(config, Some(path)).await
}

/// Starts everything and runs until the process is stopped.
pub async fn run(config: Config) -> anyhow::Result<()> {
    run_with_reload(config, None).await
}

/// [`run`], re-reading `config_path` on SIGHUP: clients, secrets, policies
/// and MFA settings (see [`reload`]), and the Okta credentials.
pub async fn run_with_reload(config: Config, config_path: Option<PathBuf>) -> anyhow::Result<()> {
    let mut signals = signals::Signals::register();
    // Warnings of the check (certificate expiry) are the caller's to
    // report: `serve` adds them to the config's before it gets here.
    let Checked {
        dictionary,
        forwarded_for,
        policies,
        tls,
    } = check(&config)?;
    if config.state_key.is_none() {
        tracing::warn!(
            "no [state] key configured: a random one is used, so pending challenges do not survive a restart and other replicas cannot continue them"
        );
    }
    let dictionary = Arc::new(dictionary);
    tracing::info!(
        from = %dictionaries::source(),
        attributes = dictionary.attribute_count(),
        "dictionaries loaded"
    );
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    let mut metrics_listener = None;
    if let Some(addr) = config.metrics_listen {
        let handle = metrics::install_recorder().map_err(anyhow::Error::msg)?;
        let listener = metrics::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for metrics: {e}"))?;
        let bound = listener.local_addr()?;
        metrics_listener = Some((listener, handle, bound));
    }
    let okta = OktaClient::new(okta_settings(&config.okta)?)?;
    let cluster = Cluster::start(config.cluster.as_ref()).map_err(anyhow::Error::msg)?;
    if let Some(fleet) = cluster.shared_fleet() {
        // okta.max_concurrent for the whole fleet, and a 429 shared.
        okta.join_fleet_budget(Arc::new(OktaLeases::new(
            fleet,
            config.okta.max_concurrent,
            config.okta.request_timeout,
        )));
    }
    if let Some(cluster_config) = &config.cluster {
        tracing::info!(
            redis = %cluster_config.describe(),
            key_prefix = %cluster_config.key_prefix,
            op_timeout_ms = u64::try_from(cluster_config.op_timeout.as_millis()).unwrap_or(u64::MAX),
            "[cluster]: sharing duplicates, single-use States, the per-user limits and the Okta budget with the fleet through Redis"
        );
    }
    // /health reads the cluster too: degraded while Redis is unreachable.
    let health_cluster = cluster.clone();
    // At the stop, the writes no reply waited for go out before the process.
    let cluster_at_stop = cluster.clone();
    let reload_okta = okta.clone();
    let authenticator = Authenticator::new(
        okta.clone(),
        &config,
        dictionary.clone(),
        forwarded_for,
        policies,
        cluster,
    );

    let accounting = start_accounting(&config).await?;
    let follower = match &accounting {
        Some(accounting) => {
            disconnect::start(&config, okta.clone(), accounting.clone(), tls.certificate()).await?
        }
        None => None,
    };
    let server = Server::bind(&config, authenticator, dictionary, tls, accounting).await?;
    if let Some((listener, handle, bound)) = metrics_listener.take() {
        let health_client = okta.clone();
        metrics::serve_with_health(
            listener,
            handle,
            Arc::new(move || match health_client.health() {
                Err(reason) => metrics::Health::Unhealthy(reason),
                Ok(()) => match health_cluster.degraded() {
                    Some(reason) => metrics::Health::Degraded(reason),
                    None => metrics::Health::Ok,
                },
            }),
            super::admin::routes(server.handle()),
        );
        metrics::set_in_flight_limit(config.server.max_in_flight);
        tracing::info!(listen = %bound, "serving /metrics and /health");
    }
    {
        // Once the listeners are bound, the start-up summary, then the
        // keep-alive: Okta being unreachable does not stop the server from
        // starting (it reports unhealthy).
        // Direct Authentication's grants are checked by `check-config
        // --online`; at start-up only its key set is fetched, so the first
        // login does not wait for it.
        let mut needs = preflight_needs(&config);
        let direct = std::mem::take(&mut needs.direct);
        let keepalive = keepalive::KeepAliveSettings {
            interval: config.okta.keepalive_interval,
            probe_interval: config.okta.credential_probe_interval,
        };
        tokio::spawn(async move {
            log_report(&preflight::check(&okta, needs).await);
            if direct && let Ok(api) = okta.direct() {
                match api.prefetch_keys().await {
                    Ok(count) => {
                        tracing::info!(keys = count, url = %api.keys_url(), "fetched the authorization server's signing keys")
                    }
                    Err(why) => {
                        tracing::error!(url = %api.keys_url(), %why, "cannot fetch the authorization server's signing keys; logins fetch them when they need them")
                    }
                }
            }
            keepalive::spawn(okta, keepalive);
        });
    }
    for addr in server.local_addrs() {
        tracing::info!(listen = %addr, "RADIUS authentication listener ready");
    }
    for addr in server.accounting_addrs() {
        tracing::info!(listen = %addr, "RADIUS accounting listener ready");
    }
    for addr in server.tls_addrs() {
        tracing::info!(listen = %addr, "RADIUS/TLS listener ready");
    }
    for addr in server.tcp_addrs() {
        tracing::info!(listen = %addr, "RADIUS/TCP listener ready");
    }
    tracing::info!(
        clients = config.clients.len(),
        okta = %config.okta.org_url,
        "okta-radius {} started",
        env!("CARGO_PKG_VERSION")
    );
    let handle = server.handle();
    // Boxed, so that dropping it really drops the listeners.
    let mut running = Box::pin(server.run());
    let mut config = config;
    loop {
        tokio::select! {
            result = &mut running => return result.map_err(anyhow::Error::from),
            request = signals.next() => match request {
                signals::Request::Reload => {
                    match &config_path {
                        Some(path) => {
                            if let Ok(new) = reload::reload(path, &config, &handle) {
                                match reload_credentials(&reload_okta, &new.okta) {
                                    Ok(()) => tracing::info!("Okta credentials reloaded"),
                                    Err(error) => tracing::error!("{error:#}; the previous Okta credentials stay in use"),
                                }
                                if let Some(follower) = &follower {
                                    follower.replace_clients(&new);
                                }
                                config = new;
                            }
                        }
                        None => tracing::warn!("SIGHUP ignored: this server was not started from a config file"),
                    }
                    // logrotate's postrotate sends SIGHUP: the accounting
                    // file is reopened whether or not the config changed.
                    handle.reopen_accounting(&config).await;
                }
                signals::Request::Stop => break,
            },
        }
    }
    // Dropping the listeners stops new requests; the ones in flight finish
    // (up to their deadline) and send their replies, unless a second signal
    // says not to wait.
    drop(running);
    let in_flight = handle.in_flight();
    let limit = handle.longest_answer();
    tracing::info!(
        in_flight,
        wait_up_to_s = limit.as_secs(),
        "stopping on signal: no new requests; waiting for the logins in flight (a second signal stops at once)"
    );
    let drained = tokio::select! {
        drained = handle.drain(limit) => drained,
        () = second_stop(&mut signals) => {
            stop_now(&handle).await;
            cluster_at_stop.flush().await;
            return Ok(());
        }
    };
    cluster_at_stop.flush().await;
    if drained {
        tracing::info!("stopped: every request in flight was answered");
    } else {
        tracing::warn!(
            in_flight = handle.in_flight(),
            "stopped with requests still in flight"
        );
    }
    Ok(())
}

/// Opens the accounting file and the session table, rebuilt from the
/// file's recent lines; `None` when accounting is not recorded (no file, or
/// neither an accounting port nor a stream listener to carry it).
async fn start_accounting(config: &Config) -> anyhow::Result<Option<Arc<Accounting>>> {
    let Some(output) = &config.accounting.output else {
        return Ok(None);
    };
    if !config.records_accounting() {
        return Ok(None);
    }
    let journal = Journal::open(output.clone(), config.accounting.fsync).map_err(|e| {
        anyhow::anyhow!(
            "accounting.file: {e}; create its directory and let the service write there, or give another file"
        )
    })?;
    let sessions = Arc::new(LocalSessions::new(
        config.accounting.max_sessions,
        config.accounting.session_silence,
    ));
    let accounting = Arc::new(Accounting::new(journal, sessions, config.users.clone()));
    if let AccountingOutput::File(path) = output {
        let rules = config.users.clone();
        match rebuild::rebuild(
            accounting.sessions.as_ref(),
            path,
            config.accounting.session_silence,
            std::time::SystemTime::now(),
            |user_name| rules.okta_login(user_name),
        )
        .await
        {
            Ok(found) => tracing::info!(
                records = found.records,
                unreadable_lines = found.unreadable,
                sessions = accounting.sessions.count().await,
                file = %path.display(),
                "session table rebuilt from the accounting file"
            ),
            Err(error) => tracing::warn!(
                %error,
                file = %path.display(),
                "cannot read the accounting file back: the session table starts empty"
            ),
        }
    }
    Ok(Some(accounting))
}

/// How long a forced stop waits for the requests in flight to send their
/// answers, and then for Okta to confirm each cancel.
const FORCED_STOP_LIMIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Waits for a second SIGTERM or Ctrl-C during the drain.
async fn second_stop(signals: &mut signals::Signals) {
    loop {
        match signals.next().await {
            signals::Request::Stop => return,
            signals::Request::Reload => {
                tracing::warn!("SIGHUP ignored: the server is stopping");
            }
        }
    }
}

/// Stops at once: the requests in flight answer as for an Okta outage
/// (each client's `on_okta_failure`), then the pushes still pending are
/// cancelled at Okta so that a late approval opens nothing.
async fn stop_now(handle: &crate::server::ServerHandle) {
    handle.stop_now();
    let answered = handle.drain(FORCED_STOP_LIMIT).await;
    let ended = handle.ended_by_stop();
    let cancelled = tokio::time::timeout(
        FORCED_STOP_LIMIT,
        handle.authenticator().cancel_pending_pushes(),
    )
    .await
    .unwrap_or(0);
    tracing::warn!(
        answered_as_okta_failures = ended,
        okta_transactions_cancelled = cancelled,
        "second signal: stopping now; {ended} requests in flight answered as Okta failures (per on_okta_failure), {cancelled} Okta transactions cancelled"
    );
    if !answered {
        tracing::warn!(
            in_flight = handle.in_flight(),
            "stopped with requests still in flight"
        );
    }
}
