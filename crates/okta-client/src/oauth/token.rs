//! The source of access tokens for management API calls: the client
//! credentials grant with `private_key_jwt` client authentication and DPoP
//! (Okta API Services app), with a cache, refresh before expiry, a single
//! refresh shared by concurrent callers, the DPoP nonce dance, and key
//! rotation at run time.

use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant, SystemTime};

use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode, Url};
use secrecy::SecretString;
use serde::Deserialize;
use zeroize::Zeroizing;

use super::access_token::{AccessToken, AuthorizationHeaders};
use super::assertion::ClientAssertion;
use super::dpop::{DpopKey, nonce_from};
use super::error::OAuthError;
use super::keys::SigningKey;
use okta_api::oauth::{CLIENT_ASSERTION_TYPE, TOKEN_PATH, TokenType, USE_DPOP_NONCE};

/// Default time before expiry at which a token is replaced.
const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(300);

/// What identifies the service app to Okta.
#[derive(Debug, Clone)]
pub struct OAuthCredentials {
    /// `https://{yourOktaDomain}` (no path).
    pub org_url: Url,
    /// The API Services app's client id.
    pub client_id: String,
    /// The scopes to ask for, e.g. `okta.users.read`.
    pub scopes: Vec<String>,
    /// The app's private keys; only the active one signs.
    pub keys: Vec<SigningKey>,
    /// The `kid` of the key that signs assertions.
    pub active_kid: String,
    /// How long before expiry a token is replaced (five minutes by default).
    pub refresh_margin: Duration,
}

impl OAuthCredentials {
    /// Credentials signing with the first key, refreshed 5 min before expiry.
    pub fn new(
        org_url: Url,
        client_id: impl Into<String>,
        scopes: Vec<String>,
        keys: Vec<SigningKey>,
    ) -> OAuthCredentials {
        let active_kid = keys
            .first()
            .map(|key| key.kid().to_owned())
            .unwrap_or_default();
        OAuthCredentials {
            org_url,
            client_id: client_id.into(),
            scopes,
            keys,
            active_kid,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
        }
    }
}

/// The signing keys and which of them is active.
struct KeyRing {
    keys: Vec<SigningKey>,
    active: usize,
}

impl KeyRing {
    fn new(keys: Vec<SigningKey>, active_kid: &str, dpop: &DpopKey) -> Result<KeyRing, OAuthError> {
        for (index, key) in keys.iter().enumerate() {
            if keys[..index].iter().any(|other| other.kid() == key.kid()) {
                return Err(OAuthError::Keys(format!(
                    "kid {:?} appears twice",
                    key.kid()
                )));
            }
            if key.thumbprint() == dpop.thumbprint() {
                return Err(OAuthError::Keys(
                    "the DPoP key must differ from the client-assertion keys".to_owned(),
                ));
            }
        }
        let active = keys
            .iter()
            .position(|key| key.kid() == active_kid)
            .ok_or_else(|| OAuthError::Keys(format!("no key has the active kid {active_kid:?}")))?;
        Ok(KeyRing { keys, active })
    }

    fn active(&self) -> &SigningKey {
        &self.keys[self.active]
    }
}

/// The newest nonces the servers handed out.
#[derive(Default)]
struct Nonces {
    /// From the token endpoint.
    authorization_server: Option<String>,
    /// From management API answers.
    resource_server: Option<String>,
}

/// Hands out access tokens for the service app; share it (`Arc`) between
/// all callers so they share one cached token.
pub struct AccessTokenSource {
    http: reqwest::Client,
    token_url: Url,
    client_id: String,
    scope: String,
    refresh_margin: Duration,
    keys: RwLock<KeyRing>,
    dpop: DpopKey,
    nonces: Mutex<Nonces>,
    cached: Mutex<Option<Arc<AccessToken>>>,
    refresh: tokio::sync::Mutex<()>,
}

impl std::fmt::Debug for AccessTokenSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessTokenSource")
            .field("token_url", &self.token_url.as_str())
            .field("client_id", &self.client_id)
            .field("scope", &self.scope)
            .field("active_kid", &self.active_kid())
            .field("dpop", &self.dpop)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's success answer.
#[derive(Deserialize)]
struct TokenAnswer {
    token_type: String,
    expires_in: u64,
    access_token: String,
    #[serde(default)]
    scope: String,
}

/// The token endpoint's error answer.
#[derive(Deserialize)]
struct ErrorAnswer {
    error: String,
    #[serde(default)]
    error_description: String,
}

impl AccessTokenSource {
    /// A source for `credentials`, sending through `http` (whose timeouts
    /// apply). Makes the in-memory DPoP key.
    pub fn new(
        http: reqwest::Client,
        credentials: OAuthCredentials,
    ) -> Result<AccessTokenSource, OAuthError> {
        let org = credentials.org_url.as_str().trim_end_matches('/');
        let token_url = Url::parse(&format!("{org}{TOKEN_PATH}"))
            .ok()
            .filter(|_| !credentials.org_url.cannot_be_a_base())
            .ok_or_else(|| OAuthError::OrgUrl(credentials.org_url.to_string()))?;
        let dpop = DpopKey::generate();
        let keys = KeyRing::new(credentials.keys, &credentials.active_kid, &dpop)?;
        Ok(AccessTokenSource {
            http,
            token_url,
            client_id: credentials.client_id,
            scope: credentials.scopes.join(" "),
            refresh_margin: credentials.refresh_margin,
            keys: RwLock::new(keys),
            dpop,
            nonces: Mutex::new(Nonces::default()),
            cached: Mutex::new(None),
            refresh: tokio::sync::Mutex::new(()),
        })
    }

    /// The token endpoint URL (also the assertions' `aud`).
    pub fn token_url(&self) -> &Url {
        &self.token_url
    }

    /// The `kid` the next assertion will name.
    pub fn active_kid(&self) -> String {
        self.keys
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .active()
            .kid()
            .to_owned()
    }

    /// Replaces the signing keys at run time: the next assertion is signed
    /// with `active_kid`; the cached access token stays in use.
    pub fn set_keys(&self, keys: Vec<SigningKey>, active_kid: &str) -> Result<(), OAuthError> {
        let ring = KeyRing::new(keys, active_kid, &self.dpop)?;
        *self.keys.write().unwrap_or_else(PoisonError::into_inner) = ring;
        Ok(())
    }

    /// Drops the cached token (after a `401` that was not about the nonce):
    /// the next call gets a new one.
    pub fn invalidate(&self) {
        self.cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }

    /// Picks up a new `dpop-nonce` from a management API answer.
    pub fn note_response(&self, headers: &HeaderMap) {
        if let Some(nonce) = nonce_from(headers) {
            self.nonces
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .resource_server = Some(nonce);
        }
    }

    /// The headers for one management API request to `method` `url`.
    pub async fn authorization(
        &self,
        method: &Method,
        url: &Url,
    ) -> Result<AuthorizationHeaders, OAuthError> {
        let token = self.access_token().await?;
        let proof = (token.token_type == TokenType::DPoP).then(|| {
            let nonce = {
                let nonces = self.nonces.lock().unwrap_or_else(PoisonError::into_inner);
                // Okta's resource and authorization servers are one org; its
                // token-endpoint nonce is the best first guess.
                nonces
                    .resource_server
                    .clone()
                    .or_else(|| nonces.authorization_server.clone())
            };
            self.dpop.proof(
                method,
                url,
                nonce.as_deref(),
                Some(&token.secret),
                SystemTime::now(),
            )
        });
        AuthorizationHeaders::new(&token, proof).ok_or(OAuthError::Decode {
            status: StatusCode::OK,
            reason: "the access token is not a valid header value".to_owned(),
        })
    }

    /// A valid access token, from the cache or from the token endpoint.
    /// Concurrent callers needing a new one wait for a single request.
    pub async fn access_token(&self) -> Result<Arc<AccessToken>, OAuthError> {
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let _flight = self.refresh.lock().await;
        if let Some(token) = self.fresh_cached() {
            return Ok(token);
        }
        let token = Arc::new(self.request_token().await?);
        *self.cached.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.clone());
        Ok(token)
    }

    fn fresh_cached(&self) -> Option<Arc<AccessToken>> {
        self.cached
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .filter(|token| !token.needs_refresh(Instant::now()))
            .cloned()
    }

    /// `POST /oauth2/v1/token`, retried once when the server asks for a nonce.
    async fn request_token(&self) -> Result<AccessToken, OAuthError> {
        let mut retried = false;
        loop {
            let (status, headers, body) = self.post_token_request().await?;
            let fresh_nonce = nonce_from(&headers);
            if let Some(nonce) = &fresh_nonce {
                self.nonces
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .authorization_server = Some(nonce.clone());
            }
            if status.is_success() {
                return self.read_token(status, &body);
            }
            let answer: ErrorAnswer =
                serde_json::from_slice(&body).map_err(|_| OAuthError::Decode {
                    status,
                    reason: "the error answer is not an OAuth error object".to_owned(),
                })?;
            if answer.error == USE_DPOP_NONCE && fresh_nonce.is_some() && !retried {
                retried = true;
                continue;
            }
            return Err(OAuthError::from_answer(
                status,
                &answer.error,
                &answer.error_description,
            ));
        }
    }

    async fn post_token_request(
        &self,
    ) -> Result<(StatusCode, HeaderMap, Zeroizing<Vec<u8>>), OAuthError> {
        let now = SystemTime::now();
        let assertion = {
            let keys = self.keys.read().unwrap_or_else(PoisonError::into_inner);
            ClientAssertion::sign(keys.active(), &self.client_id, &self.token_url, now)
        };
        let nonce = self
            .nonces
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .authorization_server
            .clone();
        let proof = self
            .dpop
            .proof(&Method::POST, &self.token_url, nonce.as_deref(), None, now);
        let mut proof_header =
            HeaderValue::from_str(proof.expose()).map_err(|_| OAuthError::Decode {
                status: StatusCode::OK,
                reason: "the DPoP proof is not a valid header value".to_owned(),
            })?;
        proof_header.set_sensitive(true);
        let body = form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "client_credentials")
            .append_pair("scope", &self.scope)
            .append_pair("client_assertion_type", CLIENT_ASSERTION_TYPE)
            .append_pair("client_assertion", assertion.expose())
            .finish();
        let response = self
            .http
            .post(self.token_url.clone())
            .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(ACCEPT, "application/json")
            .header("DPoP", proof_header)
            .body(body)
            .send()
            .await
            .map_err(OAuthError::Network)?;
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.bytes().await.map_err(OAuthError::Network)?;
        Ok((status, headers, Zeroizing::new(body.to_vec())))
    }

    fn read_token(&self, status: StatusCode, body: &[u8]) -> Result<AccessToken, OAuthError> {
        let decode = |reason: &str| OAuthError::Decode {
            status,
            reason: reason.to_owned(),
        };
        let answer: TokenAnswer =
            serde_json::from_slice(body).map_err(|_| decode("not a token answer"))?;
        let access_token = SecretString::from(answer.access_token);
        let token_type =
            TokenType::parse(&answer.token_type).ok_or_else(|| decode("unsupported token_type"))?;
        let token = AccessToken::new(
            access_token,
            token_type,
            answer.scope,
            Instant::now(),
            Duration::from_secs(answer.expires_in),
            self.refresh_margin,
        );
        if token.expose().is_empty() || HeaderValue::from_str(token.expose()).is_err() {
            return Err(decode("the access token is empty or not header-safe"));
        }
        Ok(token)
    }
}
