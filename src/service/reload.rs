//! Re-reading the config file on SIGHUP: clients, shared secrets, per-client
//! options (MFA settings, deadlines, limits), policies and user-name rules
//! are replaced without dropping a login in flight. A new config that does
//! not validate is refused with every problem logged, and the running one is
//! kept. Settings bound at start (listen addresses, the Okta org and token,
//! the metrics listener, the State key, the global in-flight limit, the
//! abuse throttles) need a restart; a reload that changes them says so.

use crate::auth::Rules;
use crate::config::{Config, ConfigErrors};
use crate::server::control::ServerHandle;
use crate::telemetry::metrics as m;
use metrics::counter;
use std::path::Path;
use std::sync::Arc;

/// Loads `path`, validates it fully, and applies it to `server`. On error
/// nothing changes. Returns the new config on success.
pub fn reload(
    path: &Path,
    running: &Config,
    server: &ServerHandle,
) -> Result<Config, ConfigErrors> {
    let result = Config::load(path).and_then(|config| {
        let checked = super::check(&config)?;
        Ok((config, checked))
    });
    let (config, checked) = match result {
        Ok(loaded) => loaded,
        Err(errors) => {
            counter!(m::RELOADS, "result" => "rejected").increment(1);
            for problem in &errors.0 {
                tracing::error!(key = %problem.key, problem = %problem.message, "the new config is invalid");
            }
            tracing::error!(
                config = %path.display(),
                problems = errors.0.len(),
                "config reload refused: the running config stays in force"
            );
            return Err(errors);
        }
    };
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    for setting in needs_restart(running, &config) {
        tracing::warn!(
            setting,
            "this setting changed in the config file but only takes effect after a restart"
        );
    }
    server.authenticator().replace_rules(Rules {
        users: config.users.clone(),
        dictionary: Arc::new(checked.dictionary),
        policies: checked.policies,
    });
    server.replace_clients(&config);
    counter!(m::RELOADS, "result" => "applied").increment(1);
    tracing::info!(
        config = %path.display(),
        clients = config.clients.len(),
        "config reloaded"
    );
    Ok(config)
}

/// The settings bound at start that differ between two configs.
fn needs_restart(old: &Config, new: &Config) -> Vec<&'static str> {
    let mut changed = Vec::new();
    if old.server.listen != new.server.listen {
        changed.push("server.listen");
    }
    if old.server.max_in_flight != new.server.max_in_flight {
        changed.push("server.max_in_flight");
    }
    if old.okta.org_url != new.okta.org_url {
        changed.push("okta.org_url");
    }
    if old.metrics_listen != new.metrics_listen {
        changed.push("metrics.listen");
    }
    if old.abuse != new.abuse {
        changed.push("abuse");
    }
    if old.state_key.is_some() != new.state_key.is_some() {
        changed.push("state");
    }
    changed
}
