//! The general HTTP client, for the calls that go through an outbound proxy
//! and for the OAuth token endpoint: rustls with the org connections' TLS
//! settings, connect and request timeouts, no redirects, the proxy when one
//! is configured (loopback never goes through it).

use std::time::Duration;

use super::failure::describe;
use crate::error::OktaError;
use crate::settings::{OktaSettings, USER_AGENT};

/// Hosts never sent through the configured proxy.
const NEVER_PROXIED: &str = "localhost,127.0.0.1,::1";

/// Whether the environment sends calls to `org` through a proxy
/// (`HTTPS_PROXY`, `HTTP_PROXY`, `ALL_PROXY`, less `NO_PROXY`, read as the
/// general client reads them when `okta.proxy` is unset).
pub(crate) fn environment_proxies(org: &url::Url) -> bool {
    http::Uri::try_from(org.as_str()).is_ok_and(|uri| {
        hyper_util::client::proxy::matcher::Matcher::from_system()
            .intercept(&uri)
            .is_some()
    })
}

/// Builds the pool for `settings`; `loopback_org` (the simulated org) never
/// uses a proxy.
pub(crate) fn build(
    settings: &OktaSettings,
    loopback_org: bool,
    tls: &rustls::ClientConfig,
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
    // The same trust roots and ALPN as the org's own connections.
    builder = builder.tls_backend_preconfigured(tls.clone());
    builder.build().map_err(|error| {
        OktaError::Config(format!(
            "cannot build the HTTP client: {}",
            describe(&error)
        ))
    })
}
