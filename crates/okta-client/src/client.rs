//! The client that calls Okta on the bridge's behalf: the org and the one
//! exchange every call goes through, the APIs it hands out, the API token's
//! own checks, and the credentials it lets the service change at run time.
//!
//! One pooled connection set per org, shared by every login (an
//! [`OktaClient`] is an `Arc` and cheap to clone). The calls are grouped by
//! Okta API, each a small type borrowing the client: [`OktaClient::authn`]
//! (primary authentication and the transaction's steps, with the API token)
//! and [`OktaClient::users`] (the service account's management calls, with
//! the OAuth service app when one is configured). The exchange adds the
//! authorization and the headers, applies the rate-limit budget, bounds the
//! answer and maps failures to [`OktaError`].

use std::fmt;
use std::sync::Arc;

use reqwest::Url;
use secrecy::SecretString;

use super::authn::Authn;
use super::budget::CallClass;
use super::call::{CallKind, Caller};
use super::credential::CredentialState;
use super::direct::{ClientAuth, Direct, DirectApp};
use super::error::OktaError;
use super::exchange::{Exchange, OktaReply, Request};
use super::oauth::SigningKey;
use super::org::Org;
use super::settings::OktaSettings;
use super::system_log::SystemLog;
use super::users::Users;
use okta_api::authn::AuthnUser;

/// A client for one Okta org.
#[derive(Clone)]
pub struct OktaClient {
    inner: Arc<Shared>,
}

/// What every clone of a client shares.
struct Shared {
    org: Org,
    exchange: Exchange,
    /// The OIDC app of Direct Authentication, when configured.
    direct: Option<DirectApp>,
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
    pub fn new(mut settings: OktaSettings) -> Result<OktaClient, OktaError> {
        let org = Org::parse(&settings.org_url)?;
        let direct = match settings.direct.take() {
            Some(direct) => Some(DirectApp::new(&org, direct)?),
            None => None,
        };
        let exchange = Exchange::new(settings, org.url(), org.is_loopback(), direct.is_some())?;
        Ok(OktaClient {
            inner: Arc::new(Shared {
                org,
                exchange,
                direct,
            }),
        })
    }

    /// The Authentication API (`/api/v1/authn`): primary authentication and
    /// the calls that continue a transaction.
    pub fn authn(&self) -> Authn<'_> {
        Authn::new(&self.inner.org, &self.inner.exchange)
    }

    /// Direct Authentication with the OIDC app; an error when no app is
    /// configured.
    pub fn direct(&self) -> Result<Direct<'_>, OktaError> {
        match &self.inner.direct {
            Some(app) => Ok(Direct::new(&self.inner.exchange, app)),
            None => Err(OktaError::Config(
                "Direct Authentication is not configured ([okta.direct])".into(),
            )),
        }
    }

    /// Replaces the OIDC app's client authentication at run time (key
    /// rollover, a new client secret).
    pub fn set_direct_client_auth(&self, auth: ClientAuth) -> Result<(), OktaError> {
        match &self.inner.direct {
            Some(app) => app.auth.replace(auth),
            None => Err(OktaError::Config(
                "Direct Authentication is not configured ([okta.direct])".into(),
            )),
        }
    }

    /// The Users API: the service account's management calls.
    pub fn users(&self) -> Users<'_> {
        Users::new(&self.inner.org, &self.inner.exchange)
    }

    /// The System Log, read as a polling client.
    pub fn system_log(&self) -> SystemLog<'_> {
        SystemLog::new(&self.inner.org, &self.inner.exchange)
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

    /// Makes this client's budget one of a fleet's: `okta.max_concurrent`
    /// then holds for the fleet, and a 429 is shared (see
    /// [`crate::budget::FleetBudget`]). Once; later calls are ignored.
    pub fn join_fleet_budget(&self, fleet: std::sync::Arc<dyn crate::budget::FleetBudget>) {
        self.inner.exchange.join_fleet_budget(fleet);
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
        let call = Request::new(kind, reqwest::Method::GET, url);
        self.inner.exchange.send(call).await?.decode()
    }

    /// Turns an `href` from Okta's `_links` into a URL to call, refusing any
    /// that points outside the org (the API token must never leave it).
    pub fn resolve_link(&self, href: &str) -> Result<Url, OktaError> {
        self.inner.org.resolve_link(href)
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
