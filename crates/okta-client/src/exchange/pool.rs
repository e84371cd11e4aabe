//! The one HTTP connection pool the client uses for every Okta call (and
//! for the OAuth token endpoint): rustls only, connect and request
//! timeouts, no redirects, an optional outbound proxy (loopback never goes
//! through it) and optional extra CA certificates for TLS-inspecting proxies,
//! added to the system's roots.

use std::time::Duration;

use super::failure::describe;
use crate::error::OktaError;
use crate::settings::{OktaSettings, USER_AGENT};

/// Hosts never sent through the configured proxy.
const NEVER_PROXIED: &str = "localhost,127.0.0.1,::1";

/// Builds the pool for `settings`; `loopback_org` (the simulated org) never
/// uses a proxy.
pub(crate) fn build(
    settings: &OktaSettings,
    loopback_org: bool,
) -> Result<reqwest::Client, OktaError> {
    let mut builder = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(settings.connect_timeout)
        .timeout(settings.request_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_idle_timeout(Duration::from_secs(60))
        .tls_backend_rustls();
    if loopback_org {
        builder = builder.no_proxy();
    } else if let Some(proxy) = &settings.proxy {
        let proxy = reqwest::Proxy::all(proxy.as_str())
            .map_err(|_| {
                OktaError::Config(
                    "okta.proxy is not a valid proxy URL (e.g. http://proxy:3128)".into(),
                )
            })?
            .no_proxy(reqwest::NoProxy::from_string(NEVER_PROXIED));
        builder = builder.proxy(proxy);
    }
    if let Some(path) = &settings.ca_bundle {
        let pem = std::fs::read(path).map_err(|error| {
            OktaError::Config(format!(
                "cannot read the CA bundle {}: {error}",
                path.display()
            ))
        })?;
        let certificates = reqwest::Certificate::from_pem_bundle(&pem).map_err(|_| {
            OktaError::Config(format!(
                "the CA bundle {} holds no valid PEM certificate",
                path.display()
            ))
        })?;
        if certificates.is_empty() {
            return Err(OktaError::Config(format!(
                "the CA bundle {} holds no certificate",
                path.display()
            )));
        }
        builder = builder.tls_certs_merge(certificates);
    }
    builder.build().map_err(|error| {
        OktaError::Config(format!(
            "cannot build the HTTP client: {}",
            describe(&error)
        ))
    })
}
