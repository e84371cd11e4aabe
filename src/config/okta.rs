//! Validating the `[okta]` section: the org URL, the API token (optional
//! when an OAuth service app covers everything configured), timeouts, proxy
//! and CA bundle, the concurrency cap, keep-alive and probe intervals,
//! `[okta.oauth]` with its key files named (the files are read where the
//! service is assembled, `crate::service`, which reports one that does not
//! load by its key), and `okta.api` with `[okta.direct]` (in `direct`).

use super::direct::{validate_api, validate_direct};
use super::file::{self, OktaSection};
use super::model::{OAuthConfig, OAuthKeyFile, OktaApi, OktaConfig};
use super::problem::Problems;
use super::secret::SecretSpec;
use secrecy::SecretString;
use std::net::IpAddr;
use std::time::Duration;

pub(super) fn validate_okta(
    section: Option<OktaSection>,
    problems: &mut Problems,
    warnings: &mut Vec<String>,
) -> Option<OktaConfig> {
    let Some(section) = section else {
        problems.add(
            "okta",
            "missing [okta] section: set okta.org_url and the API token",
        );
        return None;
    };
    let org_url = section.org_url.unwrap_or_default();
    let org_ok = match org_url.split_once("://") {
        Some(("https", rest)) => !rest.is_empty(),
        Some(("http", rest)) => is_loopback_host(rest),
        _ => false,
    };
    if !org_ok {
        problems.add(
            "okta.org_url",
            "give the org's address, e.g. \"https://example.okta.com\" (plain http only for a loopback test org)",
        );
    }
    let token_given = section.api_token.is_some()
        || section.api_token_file.is_some()
        || section.api_token_env.is_some();
    let spec = SecretSpec {
        inline: section.api_token.map(SecretString::from),
        file: section.api_token_file,
        env: section.api_token_env,
    };
    let oauth = section
        .oauth
        .map(|oauth| validate_oauth(oauth, problems))
        .unwrap_or(Some(None));
    let api = validate_api(section.api.as_deref(), problems);
    let direct = validate_direct(api, section.direct, problems, warnings);
    let api_token = if !token_given && (matches!(oauth, Some(Some(_))) || api == OktaApi::Direct) {
        // OAuth alone: management calls only (no /api/v1/authn); Direct
        // Authentication needs no API token either.
        Some(SecretString::from(String::new()))
    } else {
        match spec.resolve() {
            Ok(token) => Some(token),
            Err(problem) => {
                problems.add(
                    SecretSpec::key_for(&problem, "okta.api_token"),
                    SecretSpec::explain(&problem, "okta.api_token"),
                );
                None
            }
        }
    };
    if section.request_timeout_ms < 500 || section.request_timeout_ms > 60_000 {
        problems.add(
            "okta.request_timeout_ms",
            "must be 500 to 60000 (10000 is the default)",
        );
    }
    if let Some(proxy) = &section.proxy
        && reqwest::Proxy::all(proxy.as_str()).is_err()
    {
        problems.add(
            "okta.proxy",
            "give the proxy as a URL, e.g. \"http://proxy.example.com:3128\"",
        );
    }
    if let Some(path) = &section.ca_bundle {
        let valid = std::fs::read(path)
            .ok()
            .and_then(|pem| reqwest::Certificate::from_pem_bundle(&pem).ok())
            .is_some_and(|certificates| !certificates.is_empty());
        if !valid {
            problems.add(
                "okta.ca_bundle",
                format!(
                    "{} is not a readable PEM file with at least one certificate",
                    path.display()
                ),
            );
        }
    }
    if !(1..=75).contains(&section.max_concurrent) {
        problems.add(
            "okta.max_concurrent",
            "must be 1 to 75 (Okta's per-org concurrency limit); 20 is the default",
        );
    }
    if section.keepalive_interval_seconds == 0 || section.keepalive_interval_seconds > 20 * 86_400 {
        problems.add(
            "okta.keepalive_interval_seconds",
            "must be 1 to 1728000 (20 days, well inside the token's 30); 86400 is the default",
        );
    }
    if section.credential_probe_seconds == 0 || section.credential_probe_seconds > 3600 {
        problems.add(
            "okta.credential_probe_seconds",
            "must be 1 to 3600 (60 is the default)",
        );
    }
    if section.connect_timeout_ms == 0 || section.connect_timeout_ms > 30_000 {
        problems.add(
            "okta.connect_timeout_ms",
            "must be 1 to 30000 (2000 is the default)",
        );
    }
    let forwarded_for_attribute =
        Some(section.forwarded_for_attribute).filter(|name| !name.is_empty());
    if section.groups_cache_seconds > 3600 {
        problems.add(
            "okta.groups_cache_seconds",
            "must be at most 3600 (60 is the default)",
        );
    }
    Some(OktaConfig {
        org_url: org_url.trim_end_matches('/').to_owned(),
        api_token: api_token?,
        connect_timeout: Duration::from_millis(section.connect_timeout_ms),
        request_timeout: Duration::from_millis(section.request_timeout_ms),
        proxy: section.proxy.filter(|proxy| !proxy.is_empty()),
        ca_bundle: section.ca_bundle,
        max_concurrent: section.max_concurrent,
        keepalive_interval: Duration::from_secs(section.keepalive_interval_seconds),
        credential_probe_interval: Duration::from_secs(section.credential_probe_seconds),
        oauth: oauth?,
        forwarded_for_attribute,
        groups_cache: Duration::from_secs(section.groups_cache_seconds),
        api,
        direct,
    })
    .filter(|okta| okta.api == OktaApi::Authn || okta.direct.is_some())
    .filter(|_| org_ok)
}

/// `Some(config)` when valid, `None` (with problems added) otherwise.
fn validate_oauth(
    section: file::OAuthSection,
    problems: &mut Problems,
) -> Option<Option<OAuthConfig>> {
    let before = problems.0.len();
    let client_id = section.client_id.unwrap_or_default();
    if client_id.trim().is_empty() {
        problems.add(
            "okta.oauth.client_id",
            "give the API Services app's client id (Applications > the app > General)",
        );
    }
    if section.scopes.is_empty() {
        problems.add(
            "okta.oauth.scopes",
            "give at least one scope, e.g. [\"okta.users.read\"]",
        );
    }
    if section.keys.is_empty() {
        problems.add(
            "okta.oauth.keys",
            "give at least one key: keys = [{ kid = \"...\", file = \"/etc/okta-radius/oauth-key-1.pem\" }] (make one with `okta-radius keys generate`)",
        );
    }
    let mut keys = Vec::new();
    for (i, key) in section.keys.into_iter().enumerate() {
        let name = format!("okta.oauth.keys[{i}]");
        let (Some(kid), Some(file)) = (key.kid.filter(|kid| !kid.is_empty()), key.file) else {
            problems.add(name, "each key needs a kid and a file");
            continue;
        };
        if keys.iter().any(|other: &OAuthKeyFile| other.kid == kid) {
            problems.add(name, format!("kid `{kid}` appears twice"));
            continue;
        }
        keys.push(OAuthKeyFile { kid, file });
    }
    let active_kid = section
        .active_kid
        .or_else(|| keys.first().map(|key| key.kid.clone()))
        .unwrap_or_default();
    if !keys.is_empty() && !keys.iter().any(|key| key.kid == active_kid) {
        problems.add(
            "okta.oauth.active_kid",
            format!("no key in okta.oauth.keys has kid `{active_kid}`"),
        );
    }
    if problems.0.len() > before {
        return None;
    }
    Some(Some(OAuthConfig {
        client_id,
        scopes: section.scopes,
        keys,
        active_kid,
    }))
}

fn is_loopback_host(rest: &str) -> bool {
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.rsplit_once(':') {
        Some((host, port)) if port.chars().all(|c| c.is_ascii_digit()) => host,
        _ => authority,
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<IpAddr>()
            .map(|ip| ip.is_loopback())
            .unwrap_or(false)
}
