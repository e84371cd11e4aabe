//! Assembling a running service from a validated config: dictionaries, the
//! Okta client (with its credentials, budget and keep-alive), the login
//! conversation, the RADIUS listeners and the metrics and health listener.
//! `serve` and `demo` both start here, so they behave the same. Also the
//! online check of the org (`check-config --online`, and the start-up
//! summary), reloading credentials at run time (SIGHUP), and stopping: a
//! drain on SIGTERM, and at once on a second SIGTERM or Ctrl-C.

mod reload;
mod signals;

use crate::auth::{Authenticator, CompiledPolicy, ForwardedFor, compile_policies};
use crate::config::{Config, ConfigErrors, ConfigProblem, OAuthConfig, OktaConfig};
use crate::server::Server;
use crate::telemetry::metrics;
use okta_client::oauth::{OAuthCredentials, SigningKey};
use okta_client::{OktaClient, OktaSettings, keepalive, preflight};
use radius_proto::dictionary::Dictionary;
use radius_proto::value::DataType;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

/// Loads the shipped dictionaries and the operator's extra ones.
pub fn load_dictionary(config: &Config) -> Result<Dictionary, ConfigErrors> {
    let mut dictionary = Dictionary::builtin().map_err(|e| {
        ConfigErrors(vec![ConfigProblem {
            key: "dictionaries".to_owned(),
            message: format!("the shipped dictionaries do not load: {e}"),
        }])
    })?;
    let mut problems = Vec::new();
    for (i, path) in config.server.dictionaries.iter().enumerate() {
        if let Err(error) = dictionary.merge_file(path) {
            problems.push(ConfigProblem {
                key: format!("server.dictionaries[{i}]"),
                message: error.to_string(),
            });
        }
    }
    if problems.is_empty() {
        Ok(dictionary)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// Checks what can only be checked with the dictionaries loaded.
pub fn resolve_forwarded_for(
    config: &Config,
    dictionary: &Dictionary,
) -> Result<Option<ForwardedFor>, ConfigErrors> {
    let Some(name) = &config.okta.forwarded_for_attribute else {
        return Ok(None);
    };
    let problem = |message: String| {
        ConfigErrors(vec![ConfigProblem {
            key: "okta.forwarded_for_attribute".to_owned(),
            message,
        }])
    };
    let Some(def) = dictionary.attribute_by_name(name) else {
        return Err(problem(format!(
            "`{name}` is not an attribute in the dictionaries: use e.g. \"Calling-Station-Id\", or \"\" to send no X-Forwarded-For"
        )));
    };
    let standard = def.vendor == 0 && def.parents.is_empty() && def.evs.is_none();
    let attribute = u8::try_from(def.code).ok().filter(|_| standard);
    let binary = match def.data_type {
        DataType::IpAddr | DataType::Ipv6Addr => true,
        DataType::String | DataType::Octets => false,
        _ => {
            return Err(problem(format!(
                "`{name}` holds neither text nor an IP address"
            )));
        }
    };
    match attribute {
        Some(attribute) => Ok(Some(ForwardedFor { attribute, binary })),
        None => Err(problem(format!(
            "`{name}` is not a standard (non-vendor) attribute"
        ))),
    }
}

/// Reads the OAuth service app's private keys (at start-up, on reload, and
/// when a config is checked); a key file that does not load is reported by
/// its key, `okta.oauth.keys[i]`.
pub fn load_oauth_keys(oauth: &OAuthConfig) -> Result<Vec<SigningKey>, ConfigErrors> {
    let mut keys = Vec::with_capacity(oauth.keys.len());
    let mut problems = Vec::new();
    for (i, key) in oauth.keys.iter().enumerate() {
        match SigningKey::from_pem_file(&key.file, Some(&key.kid)) {
            Ok(loaded) => keys.push(loaded),
            Err(error) => problems.push(ConfigProblem {
                key: format!("okta.oauth.keys[{i}]"),
                message: error.to_string(),
            }),
        }
    }
    if problems.is_empty() {
        Ok(keys)
    } else {
        Err(ConfigErrors(problems))
    }
}

/// What start-up derives from the config and the dictionaries.
pub struct Checked {
    pub dictionary: Dictionary,
    pub forwarded_for: Option<ForwardedFor>,
    pub policies: HashMap<String, CompiledPolicy>,
}

/// Validates everything that needs more than the config file itself.
pub fn check(config: &Config) -> Result<Checked, ConfigErrors> {
    if let Some(oauth) = &config.okta.oauth {
        load_oauth_keys(oauth)?;
    }
    let dictionary = load_dictionary(config)?;
    let forwarded_for = resolve_forwarded_for(config, &dictionary)?;
    let policies = compile_policies(config, &dictionary)?;
    Ok(Checked {
        dictionary,
        forwarded_for,
        policies,
    })
}

/// The Okta client settings for a config, with the OAuth keys read from
/// their files.
pub fn okta_settings(okta: &OktaConfig) -> anyhow::Result<OktaSettings> {
    let mut settings = OktaSettings::new(okta.org_url.clone(), okta.api_token.clone());
    settings.connect_timeout = okta.connect_timeout;
    settings.request_timeout = okta.request_timeout;
    settings.proxy = okta.proxy.clone();
    settings.ca_bundle = okta.ca_bundle.clone();
    settings.max_concurrent = okta.max_concurrent;
    if let Some(oauth) = &okta.oauth {
        let keys = load_oauth_keys(oauth)?;
        let org = reqwest::Url::parse(&okta.org_url)?;
        let mut credentials =
            OAuthCredentials::new(org, oauth.client_id.clone(), oauth.scopes.clone(), keys);
        credentials.active_kid = oauth.active_kid.clone();
        settings.oauth = Some(credentials);
    }
    Ok(settings)
}

/// What the configured clients need from Okta, for the online check.
pub fn preflight_needs(config: &Config) -> preflight::Needs {
    preflight::Needs {
        primary_auth: config.clients.iter().any(|client| client.okta_primary_auth),
        groups: config.clients.iter().any(|client| {
            client
                .policy
                .as_ref()
                .is_some_and(|policy| policy.needs_groups())
        }),
        factors: config
            .clients
            .iter()
            .any(|client| !client.okta_primary_auth),
    }
}

/// Reaches the org and checks the credentials (`check-config --online`).
pub async fn check_online(config: &Config) -> anyhow::Result<preflight::Report> {
    let okta = OktaClient::new(okta_settings(&config.okta)?)?;
    Ok(preflight::check(&okta, preflight_needs(config)).await)
}

/// Loads credentials from a new config into a running client: a changed
/// API token (token rotation) and the OAuth keys and active `kid` (key
/// rollover). What the reload path (SIGHUP) calls.
pub fn reload_credentials(okta: &OktaClient, config: &OktaConfig) -> anyhow::Result<()> {
    if config.has_api_token() {
        okta.replace_api_token(&config.api_token)?;
    }
    if let Some(oauth) = &config.oauth {
        let keys = load_oauth_keys(oauth)?;
        okta.set_oauth_keys(keys, &oauth.active_kid)?;
        tracing::info!(active_kid = %oauth.active_kid, "OAuth service app keys reloaded");
    }
    Ok(())
}

/// Logs the online check's findings at start-up.
fn log_report(report: &preflight::Report) {
    for finding in &report.findings {
        if finding.ok {
            tracing::info!(check = %finding.text, "Okta start-up check");
        } else {
            tracing::error!(check = %finding.text, "Okta start-up check failed");
        }
    }
}

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
    let Checked {
        dictionary,
        forwarded_for,
        policies,
    } = check(&config)?;
    if config.state_key.is_none() {
        tracing::warn!(
            "no [state] key configured: a random one is used, so pending challenges do not survive a restart and other replicas cannot continue them"
        );
    }
    let dictionary = Arc::new(dictionary);
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
    if let Some((listener, handle, bound)) = metrics_listener.take() {
        let health_client = okta.clone();
        metrics::serve_with_health(listener, handle, Arc::new(move || health_client.health()));
        tracing::info!(listen = %bound, "serving /metrics and /health");
    }
    let reload_okta = okta.clone();
    let authenticator = Authenticator::new(
        okta.clone(),
        &config,
        dictionary.clone(),
        forwarded_for,
        policies,
    );

    let server = Server::bind(&config, authenticator, dictionary).await?;
    {
        // Once the listeners are bound, the start-up summary, then the
        // keep-alive: Okta being unreachable does not stop the server from
        // starting (it reports unhealthy).
        let needs = preflight_needs(&config);
        let keepalive = keepalive::KeepAliveSettings {
            interval: config.okta.keepalive_interval,
            probe_interval: config.okta.credential_probe_interval,
        };
        tokio::spawn(async move {
            log_report(&preflight::check(&okta, needs).await);
            keepalive::spawn(okta, keepalive);
        });
    }
    for addr in server.local_addrs() {
        tracing::info!(listen = %addr, "RADIUS authentication listener ready");
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
                signals::Request::Reload => match &config_path {
                    Some(path) => {
                        if let Ok(new) = reload::reload(path, &config, &handle) {
                            match reload_credentials(&reload_okta, &new.okta) {
                                Ok(()) => tracing::info!("Okta credentials reloaded"),
                                Err(error) => tracing::error!("{error:#}; the previous Okta credentials stay in use"),
                            }
                            config = new;
                        }
                    }
                    None => tracing::warn!("SIGHUP ignored: this server was not started from a config file"),
                },
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
            return Ok(());
        }
    };
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
