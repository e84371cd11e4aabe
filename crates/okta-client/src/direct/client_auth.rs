//! How each call of the OIDC app authenticates the app: a fresh
//! `private_key_jwt` client assertion (the service app's key handling:
//! ES256 keys, the active `kid`, rollover at run time), whose `aud` is the
//! URL of the endpoint called, or the client secret as HTTP Basic. The
//! client id is always in the form. Nothing here prints a secret.

use std::sync::{PoisonError, RwLock};
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use reqwest::Url;
use reqwest::header::HeaderValue;
use secrecy::{ExposeSecret, SecretString};

use super::settings::ClientAuth;
use crate::error::OktaError;
use crate::oauth::{ClientAssertion, SigningKey};
use okta_api::oauth::CLIENT_ASSERTION_TYPE;

enum Method {
    PrivateKeyJwt {
        keys: Vec<SigningKey>,
        active: usize,
    },
    /// `Basic base64(client_id:secret)`, marked sensitive.
    Secret(HeaderValue),
}

/// What a call adds to authenticate the app.
pub(crate) struct Authentication {
    /// Form fields (`client_id`, and the assertion when there is one).
    pub(crate) fields: Vec<(&'static str, String)>,
    /// An `Authorization` header, for a client secret.
    pub(crate) header: Option<HeaderValue>,
}

/// The app's client authentication; its keys or secret can be replaced
/// while calls are in flight.
pub(crate) struct ClientAuthenticator {
    client_id: String,
    method: RwLock<Method>,
}

impl ClientAuthenticator {
    pub(crate) fn new(client_id: &str, auth: ClientAuth) -> Result<ClientAuthenticator, OktaError> {
        Ok(ClientAuthenticator {
            client_id: client_id.to_owned(),
            method: RwLock::new(method(client_id, auth)?),
        })
    }

    /// Replaces the keys or the secret (a reload).
    pub(crate) fn replace(&self, auth: ClientAuth) -> Result<(), OktaError> {
        let method = method(&self.client_id, auth)?;
        *self.method.write().unwrap_or_else(PoisonError::into_inner) = method;
        Ok(())
    }

    /// What a call to `url` adds to authenticate the app.
    pub(crate) fn authenticate(&self, url: &Url) -> Authentication {
        let mut fields = vec![("client_id", self.client_id.clone())];
        let method = self.method.read().unwrap_or_else(PoisonError::into_inner);
        let header = match &*method {
            Method::PrivateKeyJwt { keys, active } => {
                let assertion =
                    ClientAssertion::sign(&keys[*active], &self.client_id, url, SystemTime::now());
                fields.push(("client_assertion_type", CLIENT_ASSERTION_TYPE.to_owned()));
                fields.push(("client_assertion", assertion.expose().to_owned()));
                None
            }
            Method::Secret(header) => Some(header.clone()),
        };
        Authentication { fields, header }
    }
}

fn method(client_id: &str, auth: ClientAuth) -> Result<Method, OktaError> {
    match auth {
        ClientAuth::PrivateKeyJwt { keys, active_kid } => {
            let active = keys
                .iter()
                .position(|key| key.kid() == active_kid)
                .ok_or_else(|| {
                    OktaError::Config(format!(
                        "Direct Authentication: no key has the active kid {active_kid:?}"
                    ))
                })?;
            Ok(Method::PrivateKeyJwt { keys, active })
        }
        ClientAuth::ClientSecret(secret) => Ok(Method::Secret(basic(client_id, &secret)?)),
    }
}

/// `Basic base64(urlencode(client_id):urlencode(secret))` (RFC 6749 §2.3.1).
fn basic(client_id: &str, secret: &SecretString) -> Result<HeaderValue, OktaError> {
    let encode = |text: &str| form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    let pair = zeroize::Zeroizing::new(format!(
        "{}:{}",
        encode(client_id),
        encode(secret.expose_secret())
    ));
    let mut header = HeaderValue::from_str(&format!("Basic {}", STANDARD.encode(pair.as_bytes())))
        .map_err(|_| OktaError::Config("the client secret cannot be sent in a header".into()))?;
    header.set_sensitive(true);
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use okta_api::jose::jws::CompactJws;

    #[test]
    fn a_secret_goes_as_basic_and_a_key_as_an_assertion_for_the_endpoint() {
        let url = Url::parse("https://example.okta.com/oauth2/v1/challenge").expect("url");
        let secret = ClientAuthenticator::new(
            "0oa1",
            ClientAuth::ClientSecret(SecretString::from("s3cr:et")),
        )
        .expect("valid");
        let auth = secret.authenticate(&url);
        assert_eq!(auth.fields, vec![("client_id", "0oa1".to_owned())]);
        let header = auth.header.expect("basic");
        assert!(header.is_sensitive());
        assert_eq!(
            header.to_str().expect("text"),
            format!("Basic {}", STANDARD.encode("0oa1:s3cr%3Aet"))
        );

        let key = SigningKey::generate(Some("k1")).expect("key");
        let jwt = ClientAuthenticator::new(
            "0oa1",
            ClientAuth::PrivateKeyJwt {
                keys: vec![key],
                active_kid: "k1".into(),
            },
        )
        .expect("valid");
        let auth = jwt.authenticate(&url);
        assert!(auth.header.is_none());
        let assertion = &auth
            .fields
            .iter()
            .find(|(name, _)| *name == "client_assertion")
            .expect("assertion")
            .1;
        let decoded = CompactJws::decode(assertion).expect("a JWT");
        assert_eq!(decoded.claim_str("aud"), Some(url.as_str()));
        assert_eq!(decoded.header_str("kid"), Some("k1"));
        assert!(
            ClientAuthenticator::new(
                "0oa1",
                ClientAuth::PrivateKeyJwt {
                    keys: Vec::new(),
                    active_kid: "k1".into()
                }
            )
            .is_err()
        );
    }
}
