//! The OIDC app as the client holds it: the endpoints of its authorization
//! server (token, challenge, keys) checked against the org, the issuer its
//! ID tokens must name, the scopes it asks for, its client authentication,
//! and the authorization server's key set.

use reqwest::Url;

use super::client_auth::ClientAuthenticator;
use super::settings::DirectSettings;
use crate::error::OktaError;
use crate::id_token::KeyCache;
use crate::org::Org;
use okta_api::direct::paths;

/// The OIDC app of Direct Authentication.
pub(crate) struct DirectApp {
    pub(crate) client_id: String,
    /// `scope`, space-separated, always with `openid`.
    pub(crate) scope: String,
    pub(crate) token_url: Url,
    pub(crate) challenge_url: Url,
    pub(crate) keys_url: Url,
    /// The `iss` every ID token must carry, exactly.
    pub(crate) issuer: String,
    pub(crate) groups_claim: Option<String>,
    pub(crate) auth: ClientAuthenticator,
    pub(crate) keys: KeyCache,
}

impl DirectApp {
    pub(crate) fn new(org: &Org, settings: DirectSettings) -> Result<DirectApp, OktaError> {
        let server = settings.authorization_server.as_deref();
        if let Some(id) = server
            && (id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(OktaError::Config(format!(
                "the authorization server id {id:?} is not an Okta id (letters and digits, e.g. default or aus1a2b3c)"
            )));
        }
        if settings.client_id.trim().is_empty() {
            return Err(OktaError::Config(
                "Direct Authentication needs the OIDC app's client id".into(),
            ));
        }
        let endpoint = |path: String| org.endpoint(path.trim_start_matches('/'));
        let mut scopes = vec!["openid".to_owned()];
        for scope in settings.scopes {
            if !scopes.contains(&scope) {
                scopes.push(scope);
            }
        }
        Ok(DirectApp {
            scope: scopes.join(" "),
            token_url: endpoint(paths::token(server))?,
            challenge_url: endpoint(paths::challenge(server))?,
            keys_url: endpoint(paths::keys(server))?,
            issuer: paths::issuer(org.url().as_str(), server),
            groups_claim: settings.groups_claim.filter(|claim| !claim.is_empty()),
            auth: ClientAuthenticator::new(&settings.client_id, settings.client_auth)?,
            client_id: settings.client_id,
            keys: KeyCache::default(),
        })
    }
}
