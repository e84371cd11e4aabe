//! The client that calls Okta on the bridge's behalf: its public calls for
//! primary authentication and the API token's owner, the credentials it
//! lets the service change at run time, and the plumbing the calls of
//! [`super::transaction`] and [`super::management`] share.
//!
//! One pooled connection set per org, shared by every login (an
//! [`OktaClient`] is an `Arc` and cheap to clone). Every call goes through
//! the one exchange, which adds the authorization and the headers, applies
//! the rate-limit budget, bounds the answer and maps failures to
//! [`OktaError`]. Links Okta returns (`_links`) are followed with
//! [`OktaClient::resolve_link`], which refuses any URL outside the org so the
//! API token never leaves it.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;

use reqwest::{Method, Url};
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::CallClass;
pub(crate) use super::call::{CallKind, Caller};
use super::credential::CredentialState;
use super::error::OktaError;
pub use super::exchange::OktaReply;
use super::exchange::{Exchange, Request};
use super::oauth::SigningKey;
use super::org::Org;
pub use super::settings::{OktaSettings, USER_AGENT};
pub use super::transaction::FactorVerify;
use okta_api::authn::{AuthnResponse, AuthnUser};

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
    inner: Arc<Shared>,
}

/// What every clone of a client shares.
struct Shared {
    org: Org,
    exchange: Exchange,
}

impl fmt::Debug for OktaClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OktaClient")
            .field("org", &self.inner.org.url().as_str())
            .field("oauth", &self.inner.exchange.uses_oauth())
            .finish_non_exhaustive()
    }
}

impl OktaClient {
    /// Checks the settings and builds the connection pool.
    ///
    /// The org URL must be `https`, or `http` to a loopback address (the
    /// simulated org), with no path, query or credentials. The API token may
    /// be empty only when an OAuth service app is configured.
    pub fn new(settings: OktaSettings) -> Result<OktaClient, OktaError> {
        let org = Org::parse(&settings.org_url)?;
        let exchange = Exchange::new(settings, org.url(), org.is_loopback())?;
        Ok(OktaClient {
            inner: Arc::new(Shared { org, exchange }),
        })
    }

    /// The org's base URL (`https://example.okta.com/`).
    pub fn org_url(&self) -> &Url {
        self.inner.org.url()
    }

    /// Whether an API token (SSWS) is configured.
    pub(crate) fn has_api_token(&self) -> bool {
        self.inner.exchange.has_api_token()
    }

    /// Whether management calls use an OAuth service app.
    pub(crate) fn uses_oauth(&self) -> bool {
        self.inner.exchange.uses_oauth()
    }

    /// The state of the credentials (API token use and validity, OAuth).
    pub(crate) fn credential(&self) -> &CredentialState {
        self.inner.exchange.credential()
    }

    /// `Ok` when the credentials work and Okta answered the last call; the
    /// reason otherwise (for `/health`).
    pub fn health(&self) -> Result<(), String> {
        self.credential().health()
    }

    /// Loads `token` when it differs from the API token in use (a rotation):
    /// the old one's refusal is forgotten and the next call uses the new one.
    /// Returns whether it did. The same token again keeps what is known of
    /// it (a refusal stays a refusal until a probe works).
    pub fn replace_api_token(&self, token: &SecretString) -> Result<bool, OktaError> {
        self.inner.exchange.replace_api_token(token)
    }

    /// Replaces the OAuth service app's signing keys at run time (key
    /// rollover): the next client assertion is signed with `active_kid`.
    pub fn set_oauth_keys(&self, keys: Vec<SigningKey>, active_kid: &str) -> Result<(), OktaError> {
        self.inner.exchange.set_oauth_keys(keys, active_kid)
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
        let url = self.inner.org.endpoint("api/v1/authn")?;
        let kind = CallKind::new(Caller::TrustedApp, CallClass::Login).secret_bearing(true);
        let call =
            Request::post_json(kind, url, &body, request.forwarded_for)?.for_user(request.username);
        self.inner.exchange.send(call).await?.decode()
    }

    /// `GET /api/v1/users/me`: the admin that owns the API token. The cheapest
    /// call that succeeds; it checks the token and keeps it from expiring.
    pub async fn token_owner(&self) -> Result<OktaReply<AuthnUser>, OktaError> {
        self.users_me(CallKind::new(Caller::ApiToken, CallClass::KeepAlive))
            .await
    }

    /// [`OktaClient::token_owner`], sent even while the token is marked
    /// invalid: the probe that notices it works again.
    pub(crate) async fn probe_api_token(&self) -> Result<OktaReply<AuthnUser>, OktaError> {
        self.users_me(CallKind::new(Caller::ApiToken, CallClass::KeepAlive).probing())
            .await
    }

    async fn users_me(&self, kind: CallKind) -> Result<OktaReply<AuthnUser>, OktaError> {
        let url = self.inner.org.endpoint("api/v1/users/me")?;
        let call = Request::new(kind, Method::GET, url);
        self.inner.exchange.send(call).await?.decode()
    }

    /// Turns an `href` from Okta's `_links` into a URL to call, refusing any
    /// that points outside the org (the API token must never leave it).
    pub fn resolve_link(&self, href: &str) -> Result<Url, OktaError> {
        self.inner.org.resolve_link(href)
    }

    pub(crate) fn endpoint(&self, path: &str) -> Result<Url, OktaError> {
        self.inner.org.endpoint(path)
    }

    pub(crate) async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        kind: CallKind,
        url: Url,
        body: &B,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<T>, OktaError> {
        let call = Request::post_json(kind, url, body, forwarded_for)?;
        self.inner.exchange.send(call).await?.decode()
    }

    /// A call without a body (`GET`, `DELETE`) and its decoded answer.
    pub(crate) async fn call<T: DeserializeOwned>(
        &self,
        kind: CallKind,
        method: Method,
        url: Url,
    ) -> Result<OktaReply<T>, OktaError> {
        let call = Request::new(kind, method, url);
        self.inner.exchange.send(call).await?.decode()
    }

    /// A GET whose answer may continue on another page: the decoded answer
    /// and the `Link: <...>; rel="next"` URL, checked to be inside the org.
    pub(crate) async fn get_page<T: DeserializeOwned>(
        &self,
        kind: CallKind,
        url: Url,
    ) -> Result<(OktaReply<T>, Option<Url>), OktaError> {
        let call = Request::new(kind, Method::GET, url);
        let (reply, next) = self.inner.exchange.send(call).await?.decode_page()?;
        let next = match next {
            Some(href) => Some(self.resolve_link(&href)?),
            None => None,
        };
        Ok((reply, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(url: &str) -> OktaSettings {
        OktaSettings::new(url, SecretString::from("00abcSECRETtoken"))
    }

    #[test]
    fn the_org_url_is_checked() {
        assert!(OktaClient::new(settings("https://example.okta.com")).is_ok());
        let error = OktaClient::new(settings("https://user:pw@example.okta.com"))
            .expect_err("credentials in the org URL");
        assert!(matches!(error, OktaError::Config(_)), "{error}");
        assert!(!error.to_string().contains("pw"));
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
    fn an_empty_token_needs_a_service_app() {
        let empty = OktaClient::new(OktaSettings::new(
            "https://example.okta.com",
            SecretString::from(" "),
        ))
        .expect_err("no credential at all");
        assert_eq!(
            empty.to_string(),
            "invalid Okta settings: the API token is empty"
        );
        let client = OktaClient::new(settings("https://example.okta.com")).expect("client");
        assert!(client.has_api_token() && !client.uses_oauth());
        let rotated = SecretString::from("00abcNEWtoken");
        assert!(client.replace_api_token(&rotated).expect("rotated"));
        assert!(!client.replace_api_token(&rotated).expect("same token"));
        assert!(client.replace_api_token(&SecretString::from("")).is_err());
    }
}
