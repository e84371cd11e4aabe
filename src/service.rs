//! Assembling a running service from a validated config: dictionaries, the
//! Okta client, the login conversation, the RADIUS listeners and the metrics
//! listener. `serve` and `demo` both start here, so they behave the same.

mod reload;
mod signals;

use crate::auth::policy::CompiledPolicy;
use crate::auth::{Authenticator, ForwardedFor, compile_policies};
use crate::config::{Config, ConfigErrors, ConfigProblem};
use crate::okta::client::{OktaClient, OktaSettings};
use crate::radius::dictionary::Dictionary;
use crate::radius::value::DataType;
use crate::server::Server;
use crate::telemetry::metrics;
use std::collections::HashMap;
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

/// What start-up derives from the config and the dictionaries.
pub struct Checked {
    pub dictionary: Dictionary,
    pub forwarded_for: Option<ForwardedFor>,
    pub policies: HashMap<String, CompiledPolicy>,
}

/// Validates everything that needs more than the config file itself.
pub fn check(config: &Config) -> Result<Checked, ConfigErrors> {
    let dictionary = load_dictionary(config)?;
    let forwarded_for = resolve_forwarded_for(config, &dictionary)?;
    let policies = compile_policies(config, &dictionary)?;
    Ok(Checked {
        dictionary,
        forwarded_for,
        policies,
    })
}

/// Starts everything from the config file at `path`, which SIGHUP re-reads.
pub async fn serve(config: Config, path: std::path::PathBuf) -> anyhow::Result<()> {
    run_with(config, Some(path)).await
}

/// Starts everything and runs until the process is stopped.
pub async fn run(config: Config) -> anyhow::Result<()> {
    run_with(config, None).await
}

async fn run_with(config: Config, path: Option<std::path::PathBuf>) -> anyhow::Result<()> {
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
    let mut settings =
        OktaSettings::new(config.okta.org_url.clone(), config.okta.api_token.clone());
    settings.connect_timeout = config.okta.connect_timeout;
    let okta = OktaClient::new(settings)?;
    let authenticator =
        Authenticator::new(okta, &config, dictionary.clone(), forwarded_for, policies);

    if let Some(addr) = config.metrics_listen {
        let handle = metrics::install_recorder().map_err(anyhow::Error::msg)?;
        let listener = metrics::bind(addr)
            .await
            .map_err(|e| anyhow::anyhow!("cannot listen on {addr} for metrics: {e}"))?;
        let bound = listener.local_addr()?;
        metrics::serve(listener, handle);
        tracing::info!(listen = %bound, "serving /metrics and /health");
    }

    let server = Server::bind(&config, authenticator, dictionary).await?;
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
                signals::Request::Reload => match &path {
                    Some(path) => {
                        if let Ok(new) = reload::reload(path, &config, &handle) {
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
    // (up to their deadline) and send their replies.
    drop(running);
    let in_flight = handle.in_flight();
    let limit = handle.longest_answer();
    tracing::info!(
        in_flight,
        wait_up_to_s = limit.as_secs(),
        "stopping on signal: no new requests; waiting for the logins in flight"
    );
    if handle.drain(limit).await {
        tracing::info!("stopped: every request in flight was answered");
    } else {
        tracing::warn!(
            in_flight = handle.in_flight(),
            "stopped with requests still in flight"
        );
    }
    Ok(())
}
