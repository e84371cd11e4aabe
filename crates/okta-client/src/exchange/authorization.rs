//! The credentials a call goes out with, and the one decision of which:
//! the API token (`SSWS`) for the Authentication API and for the token's
//! own checks; for management calls, the OAuth service app (a DPoP-bound
//! access token and a fresh proof per request) when one is configured, the
//! API token otherwise. The API token can be replaced and the service app's
//! keys rotated while calls are in flight.

use std::sync::{PoisonError, RwLock};

use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::{ExposeSecret, SecretString};

use crate::call::Caller;
use crate::credential::CredentialState;
use crate::error::OktaError;
use crate::oauth::{AccessTokenSource, OAuthError, SigningKey, demands_new_nonce};

/// The authorization a call goes out with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Credential {
    ApiToken,
    OAuth,
    /// None from the exchange: the call authenticates the OIDC app itself.
    OwnClientAuth,
}

/// The API token and the OAuth service app, as configured.
pub(crate) struct Authorization {
    /// `SSWS <token>`, marked sensitive so it is never shown; `None` without a token.
    api_token: RwLock<Option<HeaderValue>>,
    oauth: Option<AccessTokenSource>,
}

/// The `Authorization` header for an API token; `None` for an empty token.
pub(crate) fn api_token_header(token: &SecretString) -> Result<Option<HeaderValue>, OktaError> {
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

impl Authorization {
    pub(crate) fn new(
        api_token: Option<HeaderValue>,
        oauth: Option<AccessTokenSource>,
    ) -> Authorization {
        Authorization {
            api_token: RwLock::new(api_token),
            oauth,
        }
    }

    /// Whether an API token (SSWS) is configured.
    pub(crate) fn has_api_token(&self) -> bool {
        self.api_token_header().is_some()
    }

    /// Whether management calls use an OAuth service app.
    pub(crate) fn uses_oauth(&self) -> bool {
        self.oauth.is_some()
    }

    fn api_token_header(&self) -> Option<HeaderValue> {
        self.api_token
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Puts `token` in use when it differs from the one in use (a
    /// rotation); returns whether it did.
    pub(crate) fn replace_api_token(&self, token: &SecretString) -> Result<bool, OktaError> {
        let new = api_token_header(token)?;
        let unchanged = match (self.api_token_header(), &new) {
            (Some(current), Some(new)) => current.as_bytes() == new.as_bytes(),
            (None, None) => true,
            _ => false,
        };
        if unchanged {
            return Ok(false);
        }
        if new.is_none() && self.oauth.is_none() {
            return Err(OktaError::Config("the API token is empty".into()));
        }
        *self
            .api_token
            .write()
            .unwrap_or_else(PoisonError::into_inner) = new;
        Ok(true)
    }

    /// Replaces the OAuth service app's signing keys (key rollover).
    pub(crate) fn set_oauth_keys(
        &self,
        keys: Vec<SigningKey>,
        active_kid: &str,
    ) -> Result<(), OktaError> {
        let Some(tokens) = &self.oauth else {
            return Err(OktaError::Config(
                "no OAuth service app is configured".into(),
            ));
        };
        tokens
            .set_keys(keys, active_kid)
            .map_err(|error| OktaError::Config(format!("OAuth service app: {error}")))
    }

    /// Which credential a caller uses: OAuth for the service account when a
    /// service app is configured, the API token otherwise.
    pub(crate) fn credential_for(&self, caller: Caller) -> Credential {
        match caller {
            Caller::ServiceAccount if self.oauth.is_some() => Credential::OAuth,
            Caller::OidcApp => Credential::OwnClientAuth,
            _ => Credential::ApiToken,
        }
    }

    /// Puts the credential's `Authorization` (and `DPoP`) headers on a
    /// request's `headers`, telling `state` whether the service app got a
    /// token.
    pub(crate) async fn authorize(
        &self,
        credential: Credential,
        headers: &mut HeaderMap,
        method: &Method,
        url: &Url,
        state: &CredentialState,
    ) -> Result<(), OktaError> {
        match credential {
            Credential::OwnClientAuth => Ok(()),
            Credential::ApiToken => match self.api_token_header() {
                Some(header) => {
                    headers.insert(AUTHORIZATION, header);
                    Ok(())
                }
                None => Err(OktaError::Config(
                    "this call needs the API token (SSWS), and none is configured: set okta.api_token"
                        .into(),
                )),
            },
            Credential::OAuth => {
                let Some(tokens) = &self.oauth else {
                    return Err(OktaError::Config("no OAuth service app is configured".into()));
                };
                // In its own allocation: the token's renewal is a large
                // future, and every call's exchange would carry its size.
                match Box::pin(tokens.authorization(method, url)).await {
                    Ok(authorization) => {
                        state.note_oauth(None);
                        authorization.put_on(headers);
                        Ok(())
                    }
                    Err(error) => {
                        let text = error.to_string();
                        // A network failure says nothing about the app's keys.
                        if matches!(error, OAuthError::Network(_)) {
                            state.note_unreachable(text.clone());
                        } else {
                            state.note_oauth(Some(text.clone()));
                        }
                        Err(OktaError::OAuth(text))
                    }
                }
            }
        }
    }

    /// Reads what an answer to an OAuth call says for the next one (a new
    /// `dpop-nonce`).
    pub(crate) fn note_answer(&self, credential: Credential, headers: &HeaderMap) {
        if let (Credential::OAuth, Some(tokens)) = (credential, &self.oauth) {
            tokens.note_response(headers);
        }
    }

    /// After a 401 to an OAuth call: unless the server only asked for a new
    /// DPoP nonce, the access token expired or was revoked early, and the
    /// next call gets a new one.
    pub(crate) fn after_unauthorized(&self, status: StatusCode, headers: &HeaderMap) {
        if let Some(tokens) = &self.oauth
            && !demands_new_nonce(status, headers)
        {
            tokens.invalidate();
        }
    }
}
