//! How the simulated org checks an OIDC app's client authentication on
//! the token and challenge endpoints: a client secret (HTTP Basic, or in
//! the form), or a `private_key_jwt` assertion signed by one of the app's
//! registered keys, naming the app as `iss` and `sub` and the URL called
//! as `aud`, not expired. Anything else is 401 `invalid_client`.

use std::collections::HashMap;
use std::time::SystemTime;

use axum::http::{HeaderMap, header};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

use super::state::{SimDirect, SimOidcApp};
use okta_api::jose::jws::CompactJws;
use okta_api::oauth::CLIENT_ASSERTION_TYPE;
use okta_api::time::epoch_seconds;

/// The app a request authenticates as, or why it does not.
pub(crate) fn authenticate(
    direct: &SimDirect,
    headers: &HeaderMap,
    form: &HashMap<String, String>,
    url_called: &str,
) -> Result<SimOidcApp, &'static str> {
    let field = |name: &str| form.get(name).map(String::as_str).filter(|v| !v.is_empty());
    if let Some((id, secret)) = basic(headers) {
        let app = direct.app(&id).ok_or("Client authentication failed.")?;
        return check_secret(app, &secret);
    }
    if let Some(assertion) = field("client_assertion") {
        if field("client_assertion_type") != Some(CLIENT_ASSERTION_TYPE) {
            return Err("The client_assertion_type is invalid.");
        }
        return check_assertion(direct, assertion, field("client_id"), url_called);
    }
    let id = field("client_id").ok_or("Client authentication failed.")?;
    let app = direct.app(id).ok_or("Client authentication failed.")?;
    match field("client_secret") {
        Some(secret) => check_secret(app, secret),
        None => Err("Client authentication failed: no credentials."),
    }
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = String::from_utf8(STANDARD.decode(encoded.trim()).ok()?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    let decode = |text: &str| {
        form_urlencoded::parse(format!("x={text}").as_bytes())
            .next()
            .map(|(_, value)| value.into_owned())
    };
    Some((decode(id)?, decode(secret)?))
}

fn check_secret(app: SimOidcApp, secret: &str) -> Result<SimOidcApp, &'static str> {
    match &app.client_secret {
        Some(expected) if bool::from(expected.as_bytes().ct_eq(secret.as_bytes())) => Ok(app),
        _ => Err("Client authentication failed."),
    }
}

fn check_assertion(
    direct: &SimDirect,
    assertion: &str,
    form_client_id: Option<&str>,
    url_called: &str,
) -> Result<SimOidcApp, &'static str> {
    let jws = CompactJws::decode(assertion).map_err(|_| "The client_assertion is not a JWT.")?;
    let client_id = jws.claim_str("iss").unwrap_or_default();
    if form_client_id.is_some_and(|id| id != client_id) || jws.claim_str("sub") != Some(client_id) {
        return Err("The client_assertion does not name the client.");
    }
    let app = direct
        .app(client_id)
        .ok_or("The client_assertion names no registered app.")?;
    let kid = jws.header_str("kid").unwrap_or_default();
    let jwk = app
        .keys
        .iter()
        .find(|key| key.kid.as_deref() == Some(kid))
        .ok_or("The client_assertion kid is not a key of the app.")?;
    let key = jwk
        .verifying_key()
        .map_err(|_| "The app's key is unusable.")?;
    jws.verify_es256(&key)
        .map_err(|_| "The client_assertion signature is invalid.")?;
    if jws.claim_str("aud") != Some(url_called) {
        return Err("The audience (aud) of the client_assertion is not the endpoint called.");
    }
    let now = i64::try_from(epoch_seconds(SystemTime::now())).unwrap_or(i64::MAX);
    if jws.claim_i64("exp").is_none_or(|exp| exp <= now) {
        return Err("The client_assertion has expired.");
    }
    Ok(app)
}
