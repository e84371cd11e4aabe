//! The service's side of the Okta client: its settings from the config, the
//! online check of the org (`check-config --online`, and the start-up
//! summary), and new credentials on a reload (a rotated API token, OAuth
//! key rollover, the Direct Authentication app's keys or secret).

use super::checks::{direct_client_auth, load_oauth_keys};
use crate::config::{Config, OktaApi, OktaConfig};
use okta_client::oauth::OAuthCredentials;
use okta_client::{DirectSettings, OktaClient, OktaSettings, preflight};

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
    if let Some(direct) = &okta.direct {
        settings.direct = Some(DirectSettings {
            client_id: direct.client_id.clone(),
            client_auth: direct_client_auth(direct)?,
            authorization_server: direct.authorization_server.clone(),
            scopes: direct.scopes.clone(),
            groups_claim: direct.groups_claim.clone(),
        });
    }
    Ok(settings)
}

/// What the configured clients need from Okta, for the online check.
pub fn preflight_needs(config: &Config) -> preflight::Needs {
    let direct = config.okta.api == OktaApi::Direct;
    let groups_claim = config
        .okta
        .direct
        .as_ref()
        .is_some_and(|direct| direct.groups_claim.is_some());
    preflight::Needs {
        primary_auth: !direct && config.clients.iter().any(|client| client.okta_primary_auth),
        direct,
        groups: !groups_claim
            && config.clients.iter().any(|client| {
                client
                    .policy
                    .as_ref()
                    .is_some_and(|policy| policy.needs_groups())
            }),
        factors: config
            .clients
            .iter()
            .any(|client| !client.okta_primary_auth),
        made_up_ids: false,
        system_log: config.disconnect.enabled,
    }
}

/// Reaches the org and checks the credentials (`check-config --online`).
pub async fn check_online(config: &Config) -> anyhow::Result<preflight::Report> {
    let okta = OktaClient::new(okta_settings(&config.okta)?)?;
    let needs = preflight::Needs {
        made_up_ids: true,
        ..preflight_needs(config)
    };
    Ok(preflight::check(&okta, needs).await)
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
    if let Some(direct) = &config.direct {
        okta.set_direct_client_auth(direct_client_auth(direct)?)?;
        tracing::info!("Direct Authentication app's client authentication reloaded");
    }
    Ok(())
}

/// Logs the online check's findings at start-up.
pub(super) fn log_report(report: &preflight::Report) {
    for finding in &report.findings {
        if finding.ok {
            tracing::info!(check = %finding.text, "Okta start-up check");
        } else {
            tracing::error!(check = %finding.text, "Okta start-up check failed");
        }
    }
}
