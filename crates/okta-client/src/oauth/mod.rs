//! OAuth 2.0 credentials for Okta management calls, the alternative to an
//! SSWS API token: an API Services app using the client credentials grant,
//! `private_key_jwt` client authentication and DPoP-bound access tokens.
//! An SSWS token expires when unused and carries its admin's roles; a service
//! app's access is limited to its granted scopes and its keys can be rotated
//! without downtime.
//!
//! The pieces, one file each:
//! - `keys`: the app's ES256 signing keys (PKCS#8 PEM), their public JWKs,
//!   [`generate_key_file`];
//! - `assertion`: the client assertion JWT;
//! - `dpop`: the in-memory DPoP key and its proofs, nonce handling helpers;
//! - `token`: [`AccessTokenSource`], which gets, caches and refreshes tokens;
//! - `access_token`: the token and the request headers made from it;
//! - `okta_api::jose`: the JOSE formats underneath (shared with the
//!   simulated org, which verifies what the bridge sends).
//!
//! The API a management call needs is small:
//! - [`AccessTokenSource::new`]`(reqwest::Client, OAuthCredentials)`;
//! - [`AccessTokenSource::authorization`]`(&Method, &Url)` gives the
//!   `Authorization` and `DPoP` headers for one request;
//! - [`AccessTokenSource::note_response`]`(&HeaderMap)` after every answer
//!   (it picks up a new `dpop-nonce`);
//! - [`demands_new_nonce`]`(status, &headers)`: retry once with fresh headers;
//! - [`AccessTokenSource::invalidate`] after any other `401`, then retry once;
//! - [`AccessTokenSource::set_keys`] to rotate signing keys at run time.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use okta_client::oauth::{
//!     AccessTokenSource, OAuthCredentials, SigningKey, demands_new_nonce,
//! };
//! use reqwest::{Method, StatusCode, Url};
//!
//! let key = SigningKey::from_pem_file("/etc/okta-radius/okta-app.pem".as_ref(), Some("k1"))?;
//! let credentials = OAuthCredentials::new(
//!     Url::parse("https://example.okta.com")?,
//!     "0oa1service2app3",
//!     vec!["okta.users.read".to_owned()],
//!     vec![key],
//! );
//! let http = reqwest::Client::new();
//! let tokens = AccessTokenSource::new(http.clone(), credentials)?;
//!
//! let url = Url::parse("https://example.okta.com/api/v1/users/alice%40example.com")?;
//! let mut retried = false;
//! let response = loop {
//!     let headers = tokens.authorization(&Method::GET, &url).await?;
//!     let response = headers.apply(http.get(url.clone())).send().await?;
//!     tokens.note_response(response.headers());
//!     if response.status() == StatusCode::UNAUTHORIZED && !retried {
//!         retried = true;
//!         if !demands_new_nonce(response.status(), response.headers()) {
//!             tokens.invalidate(); // expired or revoked: get a new token
//!         }
//!         continue;
//!     }
//!     break response;
//! };
//! println!("{}", response.status());
//! # Ok(()) }
//! ```
//!
//! Only ES256 keys are supported (no RSA). Secrets (private keys, access
//! tokens, assertions, DPoP proofs) never appear in `Debug` output, error
//! messages or logs.

mod access_token;
mod assertion;
mod dpop;
mod error;
mod keys;
mod token;

pub use access_token::{AccessToken, AuthorizationHeaders};
pub use assertion::{ClientAssertion, ClientAssertionClaims};
pub use dpop::{DpopKey, DpopProof, demands_new_nonce};
pub use error::OAuthError;
pub use keys::{KeyError, SigningKey, generate_key_file};
pub use okta_api::oauth::TokenType;
pub use token::{AccessTokenSource, OAuthCredentials};
