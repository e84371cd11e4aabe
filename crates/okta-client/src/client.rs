//! The client that calls Okta on the bridge's behalf: its settings, its
//! public calls for primary authentication and the API token's owner, and
//! the credentials it holds.
//!
//! One pooled connection set per org, shared by every login (an [`OktaClient`]
//! is an `Arc` and cheap to clone). Every call goes through one exchange
//! ([`super::exchange`]) that adds the authorization, `User-Agent` and JSON
//! headers, applies the rate-limit budget ([`super::budget`]), captures
//! `X-Okta-Request-Id` and `X-Rate-Limit-*`, bounds the size of the answer,
//! maps failures to [`OktaError`] and keeps the credential state
//! ([`super::credential`]). Public methods are thin: they name the endpoint
//! and the body. Links Okta returns (`_links`) are followed with
//! [`OktaClient::resolve_link`], which refuses any URL outside the org so the
//! API token never leaves it.
//!
//! The calls that continue a transaction (factor verification, cancel, skip)
//! are in [`super::transaction`], the management calls (users, groups,
//! factors) in [`super::management`]; each says who is calling (`Caller`)
//! and the exchange picks the `Authorization` header for it: the API token
//! (`SSWS`) for the authentication API, the OAuth service app (DPoP) for
//! management calls when one is configured.

use std::fmt;
use std::net::IpAddr;
use std::path::PathBuf;
use std::sync::{Arc, PoisonError, RwLock};
use std::time::Duration;

use reqwest::Url;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::budget::{Budget, CallClass, DEFAULT_MAX_CONCURRENT};
pub(crate) use super::call::{CallKind, Caller};
use super::credential::CredentialState;
use super::error::OktaError;
use super::exchange::Request;
use super::oauth::{AccessTokenSource, OAuthCredentials, SigningKey};
pub use super::transaction::FactorVerify;
use okta_api::RateLimit;
use okta_api::authn::{AuthnResponse, AuthnUser};

/// The `User-Agent` of every call (Okta asks for one; push notifications show it).
pub const USER_AGENT: &str = concat!("okta-radius/", env!("CARGO_PKG_VERSION"));

/// Where the org is and how to reach it.
#[derive(Debug, Clone)]
pub struct OktaSettings {
    /// `https://example.okta.com`, or `http://127.0.0.1:port` for the simulated org.
    pub org_url: String,
    /// The `SSWS` API token of the service account. Empty: no API token (only
    /// allowed with `oauth`, and then `/api/v1/authn` cannot be called).
    pub api_token: SecretString,
    /// Limit on opening a connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Limit on a whole call, from sending to the last byte of the answer.
    pub request_timeout: Duration,
    /// Outbound HTTP proxy (`http://proxy:3128`); loopback is never proxied.
    /// `None`: the `HTTPS_PROXY`/`NO_PROXY` environment decides.
    pub proxy: Option<String>,
    /// Extra CA certificates (PEM bundle) trusted besides the system's, for
    /// TLS-inspecting proxies.
    pub ca_bundle: Option<PathBuf>,
    /// Okta requests in flight at once, at most.
    pub max_concurrent: usize,
    /// The OAuth service app used for management calls instead of the token.
    pub oauth: Option<OAuthCredentials>,
}

impl OktaSettings {
    /// Default limit on opening a connection.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default limit on a whole call.
    pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

    /// Settings with the default timeouts.
    pub fn new(org_url: impl Into<String>, api_token: SecretString) -> OktaSettings {
        OktaSettings {
            org_url: org_url.into(),
            api_token,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            request_timeout: Self::DEFAULT_REQUEST_TIMEOUT,
            proxy: None,
            ca_bundle: None,
            max_concurrent: DEFAULT_MAX_CONCURRENT,
            oauth: None,
        }
    }
}

/// A successful answer and what Okta said about it in headers.
#[derive(Debug, Clone)]
pub struct OktaReply<T> {
    pub body: T,
    /// `X-Okta-Request-Id`: quote it in logs.
    pub request_id: Option<String>,
    pub rate_limit: Option<RateLimit>,
    pub http_status: u16,
}

/// Options of primary authentication (`options` in the request body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthnOptions {
    /// Ask for `PASSWORD_WARN` when the password is about to expire
    /// (continue with [`OktaClient::skip`]).
    pub warn_before_password_expired: bool,
}

/// Primary authentication: a username and a password.
#[derive(Debug)]
pub struct PrimaryAuthn<'a> {
    /// The full Okta login (`alice@example.com`).
    pub username: &'a str,
    pub password: &'a SecretString,
    /// The end user's IP, sent as `X-Forwarded-For` (honoured when the bridge
    /// is a trusted proxy in the org's network settings).
    pub forwarded_for: Option<IpAddr>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PrimaryAuthnBody<'a> {
    username: &'a str,
    password: &'a str,
    options: AuthnOptionsBody,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct AuthnOptionsBody {
    multi_optional_factor_enroll: bool,
    warn_before_password_expired: bool,
}

/// A client for one Okta org.
#[derive(Clone)]
pub struct OktaClient {
    pub(crate) inner: Arc<ClientInner>,
}

pub(crate) struct ClientInner {
    pub(crate) http: reqwest::Client,
    org: Url,
    /// `SSWS <token>`, marked sensitive so it is never shown; `None` without a token.
    api_token: RwLock<Option<HeaderValue>>,
    pub(crate) budget: Budget,
    pub(crate) credential: CredentialState,
    pub(crate) oauth: Option<Arc<AccessTokenSource>>,
}

impl fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClient")
            .field("org", &self.inner.org.as_str())
            .field("oauth", &self.inner.oauth.is_some())
            .finish_non_exhaustive()
    }
}

fn api_token_header(token: &SecretString) -> Result<Option<HeaderValue>, OktaError> {
    let token = token.expose_secret().trim();
    if token.is_empty() {
        return Ok(None);
    }
    let mut header = HeaderValue::from_str(&format!("SSWS {token}")).map_err(|_| {
        OktaError::Config("the API token contains characters not allowed in an HTTP header".into())
    })?;
    header.set_sensitive(true);
    Ok(Some(header))
}

impl OktaClient {
    /// Checks the settings and builds the connection pool.
    ///
    /// The org URL must be `https`, or `http` to a loopback address (the
    /// simulated org), with no path, query or credentials. The API token may
    /// be empty only when an OAuth service app is configured.
    pub fn new(settings: OktaSettings) -> Result<OktaClient, OktaError> {
        let org = parse_org_url(&settings.org_url)?;
        let api_token = api_token_header(&settings.api_token)?;
        if api_token.is_none() && settings.oauth.is_none() {
            return Err(OktaError::Config("the API token is empty".into()));
        }
        let http = super::http::build(&settings, is_loopback(&org))?;
        let oauth = match settings.oauth {
            Some(mut credentials) => {
                credentials.org_url = org.clone();
                let source = AccessTokenSource::new(http.clone(), credentials)
                    .map_err(|error| OktaError::Config(format!("OAuth service app: {error}")))?;
                Some(Arc::new(source))
            }
            None => None,
        };
        Ok(OktaClient {
            inner: Arc::new(ClientInner {
                http,
                org,
                api_token: RwLock::new(api_token),
                budget: Budget::new(settings.max_concurrent, settings.request_timeout),
                credential: CredentialState::new(),
                oauth,
            }),
        })
    }

    /// The org's base URL (`https://example.okta.com/`).
    pub fn org_url(&self) -> &Url {
        &self.inner.org
    }

    /// Whether an API token (SSWS) is configured.
    pub fn has_api_token(&self) -> bool {
        self.api_token_header().is_some()
    }

    /// Whether management calls use an OAuth service app.
    pub fn uses_oauth(&self) -> bool {
        self.inner.oauth.is_some()
    }

    /// The state of the credentials (API token use and validity, OAuth).
    pub fn credential(&self) -> &CredentialState {
        &self.inner.credential
    }

    /// `Ok` when the credentials work and Okta answered the last call; the
    /// reason otherwise (for `/health`).
    pub fn health(&self) -> Result<(), String> {
        self.inner.credential.health()
    }

    /// Loads a new API token (rotation): the old one's refusal is forgotten
    /// and the next call uses the new one.
    pub fn set_api_token(&self, token: &SecretString) -> Result<(), OktaError> {
        let header = api_token_header(token)?;
        if header.is_none() && self.inner.oauth.is_none() {
            return Err(OktaError::Config("the API token is empty".into()));
        }
        *self
            .inner
            .api_token
            .write()
            .unwrap_or_else(PoisonError::into_inner) = header;
        self.inner.credential.reset_api_token();
        Ok(())
    }

    /// [`OktaClient::set_api_token`] when `token` differs from the one in
    /// use (a rotation); returns whether it did. The same token again keeps
    /// what is known of it (a refusal stays a refusal until a probe works).
    pub fn replace_api_token(&self, token: &SecretString) -> Result<bool, OktaError> {
        let new = api_token_header(token)?;
        let unchanged = match (self.api_token_header(), &new) {
            (Some(current), Some(new)) => current.as_bytes() == new.as_bytes(),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return Ok(false);
        }
        self.set_api_token(token)?;
        Ok(true)
    }

    /// Replaces the OAuth service app's signing keys at run time (key
    /// rollover): the next client assertion is signed with `active_kid`.
    pub fn set_oauth_keys(&self, keys: Vec<SigningKey>, active_kid: &str) -> Result<(), OktaError> {
        let Some(tokens) = &self.inner.oauth else {
            return Err(OktaError::Config(
                "no OAuth service app is configured".into(),
            ));
        };
        tokens
            .set_keys(keys, active_kid)
            .map_err(|error| OktaError::Config(format!("OAuth service app: {error}")))
    }

    /// The `kid` the OAuth service app signs with, if one is configured.
    pub fn oauth_active_kid(&self) -> Option<String> {
        self.inner.oauth.as_ref().map(|tokens| tokens.active_kid())
    }

    pub(crate) fn api_token_header(&self) -> Option<HeaderValue> {
        self.inner
            .api_token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// `POST /api/v1/authn` with a username and password: the first step of
    /// every login. Okta answers 200 for every transaction state; a wrong
    /// password is `OktaError::Api` with `E0000004`. While Okta refuses the
    /// API token the call is not sent: [`OktaError::CredentialInvalid`].
    pub async fn primary_authn(
        &self,
        request: &PrimaryAuthn<'_>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.primary_authn_with(request, AuthnOptions::default())
            .await
    }

    /// [`OktaClient::primary_authn`] with options, such as asking for
    /// `PASSWORD_WARN`.
    pub async fn primary_authn_with(
        &self,
        request: &PrimaryAuthn<'_>,
        options: AuthnOptions,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = PrimaryAuthnBody {
            username: request.username,
            password: request.password.expose_secret(),
            options: AuthnOptionsBody {
                multi_optional_factor_enroll: false,
                warn_before_password_expired: options.warn_before_password_expired,
            },
        };
        let body = serde_json::to_vec(&body)
            .map_err(|_| OktaError::Http("cannot encode the request body".into()))?;
        let url = self.endpoint("api/v1/authn")?;
        let raw = self
            .exchange_raw(Request {
                kind: CallKind::new(Caller::TrustedApp, CallClass::Login).secret_bearing(true),
                method: reqwest::Method::POST,
                url,
                body: Some(body),
                forwarded_for: request.forwarded_for,
                username: Some(request.username),
            })
            .await?;
        super::exchange::decode(raw).map(|(reply, _)| reply)
    }

    /// `GET /api/v1/users/me`: the admin that owns the API token. The cheapest
    /// call that succeeds; it checks the token and keeps it from expiring.
    pub async fn token_owner(&self) -> Result<OktaReply<AuthnUser>, OktaError> {
        let url = self.endpoint("api/v1/users/me")?;
        self.get_json(CallKind::new(Caller::ApiToken, CallClass::KeepAlive), url)
            .await
    }

    /// [`OktaClient::token_owner`], sent even while the token is marked
    /// invalid: the probe that notices it works again.
    pub async fn probe_api_token(&self) -> Result<OktaReply<AuthnUser>, OktaError> {
        let url = self.endpoint("api/v1/users/me")?;
        self.get_json(
            CallKind::new(Caller::ApiToken, CallClass::KeepAlive).probing(),
            url,
        )
        .await
    }

    /// Turns an `href` from Okta's `_links` into a URL to call, refusing any
    /// that points outside the org (the API token must never leave it).
    pub fn resolve_link(&self, href: &str) -> Result<Url, OktaError> {
        let url = Url::parse(href).map_err(|error| {
            OktaError::Decode(format!("a link in the answer is not a URL: {error}"))
        })?;
        let org = &self.inner.org;
        let same_origin = url.scheme() == org.scheme()
            && url.host_str() == org.host_str()
            && url.port_or_known_default() == org.port_or_known_default()
            && url.username().is_empty()
            && url.password().is_none();
        if same_origin {
            Ok(url)
        } else {
            Err(OktaError::Decode(
                "a link in the answer points outside the Okta org".into(),
            ))
        }
    }

    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, OktaError> {
        self.inner
            .org
            .join(path)
            .map_err(|error| OktaError::Config(format!("cannot build an endpoint URL: {error}")))
    }
}

fn parse_org_url(raw: &str) -> Result<Url, OktaError> {
    let config = |message: &str| OktaError::Config(message.to_owned());
    let url = Url::parse(raw.trim())
        .map_err(|error| OktaError::Config(format!("the org URL is not a valid URL: {error}")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(config("the org URL must not contain credentials"));
    }
    if url.host().is_none() {
        return Err(config("the org URL has no host"));
    }
    match url.scheme() {
        "https" => {}
        "http" if is_loopback(&url) => {}
        "http" => {
            return Err(config(
                "the org URL must use https (http is allowed only for a loopback address)",
            ));
        }
        _ => return Err(config("the org URL must use https")),
    }
    if url.path() != "/" || url.query().is_some() || url.fragment().is_some() {
        return Err(config(
            "the org URL must be only scheme and host, like https://example.okta.com",
        ));
    }
    Ok(url)
}

fn is_loopback(url: &Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    if host.eq_ignore_ascii_case("localhost") {
        return true;
    }
    host.trim_start_matches('[')
        .trim_end_matches(']')
        .parse::<IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> OktaSettings {
        OktaSettings::new(url, SecretString::from("00abcSECRETtoken"))
    }

    #[test]
    fn org_url_rules() {
        assert!(OktaClient::new(settings("https://example.okta.com")).is_ok());
        assert!(OktaClient::new(settings("https://example.okta.com/")).is_ok());
        assert!(OktaClient::new(settings("http://127.0.0.1:8080")).is_ok());
        assert!(OktaClient::new(settings("http://[::1]:8080")).is_ok());
        assert!(OktaClient::new(settings("http://localhost:8080")).is_ok());
        for bad in [
            "http://example.okta.com",
            "ftp://example.okta.com",
            "https://example.okta.com/oauth2/default",
            "https://example.okta.com/?x=1",
            "https://user:pw@example.okta.com",
            "example.okta.com",
            "",
        ] {
            let error = OktaClient::new(settings(bad)).expect_err(bad);
            assert!(matches!(error, OktaError::Config(_)), "{bad}: {error}");
            assert!(!error.to_string().contains("pw"));
        }
    }

    #[test]
    fn token_never_printed() {
        let client = OktaClient::new(settings("https://example.okta.com")).expect("client");
        let debug = format!("{client:?} {:?}", settings("https://example.okta.com"));
        assert!(!debug.contains("SECRETtoken"), "{debug}");
        let bad = OktaClient::new(OktaSettings::new(
            "https://example.okta.com",
            SecretString::from("SECRET\ntoken"),
        ))
        .expect_err("newline in token");
        assert!(!bad.to_string().contains("SECRET"));
        assert!(!format!("{bad:?}").contains("SECRET"));
    }

    #[test]
    fn links_stay_inside_the_org() {
        let client = OktaClient::new(settings("https://example.okta.com")).expect("client");
        assert!(
            client
                .resolve_link("https://example.okta.com/api/v1/authn/factors/x/verify")
                .is_ok()
        );
        assert!(
            client
                .resolve_link("https://example.okta.com:443/api")
                .is_ok()
        );
        for outside in [
            "https://evil.example/api/v1/authn",
            "http://example.okta.com/api/v1/authn",
            "https://example.okta.com:8443/api",
            "https://x@example.okta.com/api",
            "/relative",
        ] {
            assert!(client.resolve_link(outside).is_err(), "{outside}");
        }
    }
}
