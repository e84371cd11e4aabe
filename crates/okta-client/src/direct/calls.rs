//! The calls of Direct Authentication, as [`crate::OktaClient::direct`]
//! hands them out: the password grant, a one-time code (`mfa-otp`), a
//! push, SMS or voice call sent by `/challenge`, and the `mfa-oob` poll.
//!
//! Every call goes through the one exchange: the `token` bucket of the
//! rate-limit budget, Okta's per-user limit (4 a second for one user on the
//! token endpoint), the request's deadline. A call carrying a password or a
//! code is never sent twice, and neither is a challenge (it would be a
//! second push); polls without a code may be retried after a 429. Tokens
//! are read only to check the ID token, then dropped: the bridge keeps no
//! Okta session.

use std::net::IpAddr;
use std::time::SystemTime;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};

use super::app::DirectApp;
use super::grant::{ChallengeOutcome, Grant, Refusal};
use crate::budget::CallClass;
use crate::call::CallKind;
use crate::error::OktaError;
use crate::exchange::{Exchange, OktaReply, RawAnswer, Request};
use crate::id_token::{Expected, FetchedKeys, KeyFetchError, check};
use okta_api::direct::{
    ChallengeAnswer, Channel, MFA_OOB_GRANT, MFA_OTP_GRANT, OAuthErrorAnswer, PASSWORD_GRANT,
    TokenAnswer, errors,
};
use okta_api::time::epoch_seconds;

/// Longest `error_description` kept.
const MAX_DESCRIPTION_CHARS: usize = 200;

/// Direct Authentication with the org's OIDC app.
#[derive(Clone, Copy)]
pub struct Direct<'a> {
    exchange: &'a Exchange,
    app: &'a DirectApp,
}

impl std::fmt::Debug for Direct<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Direct")
            .field("client_id", &self.app.client_id)
            .field("token_url", &self.app.token_url.as_str())
            .finish_non_exhaustive()
    }
}

/// Who a call is for: the login (Okta's per-user limit counts it) and the
/// end user's IP, sent as `X-Forwarded-For`.
#[derive(Debug, Clone, Copy)]
pub struct DirectUser<'a> {
    pub login: &'a str,
    pub forwarded_for: Option<IpAddr>,
}

impl<'a> Direct<'a> {
    pub(crate) fn new(exchange: &'a Exchange, app: &'a DirectApp) -> Direct<'a> {
        Direct { exchange, app }
    }

    /// The password grant: the first step of every login.
    pub async fn password(
        self,
        user: DirectUser<'_>,
        password: &SecretString,
    ) -> Result<OktaReply<Grant>, OktaError> {
        let form = [
            ("grant_type", PASSWORD_GRANT),
            ("username", user.login),
            ("password", password.expose_secret()),
            ("scope", self.app.scope.as_str()),
        ];
        let kind = CallKind::oidc_app(CallClass::Login).secret_bearing(true);
        self.token(kind, user, &form).await
    }

    /// A one-time code from an authenticator (`mfa-otp`).
    pub async fn otp(
        self,
        user: DirectUser<'_>,
        mfa_token: &SecretString,
        otp: &SecretString,
    ) -> Result<OktaReply<Grant>, OktaError> {
        let form = [
            ("grant_type", MFA_OTP_GRANT),
            ("mfa_token", mfa_token.expose_secret()),
            ("otp", otp.expose_secret()),
        ];
        let kind = CallKind::oidc_app(CallClass::FactorStep).secret_bearing(true);
        self.token(kind, user, &form).await
    }

    /// Sends a push, an SMS or a voice call (`/challenge`). Never sent
    /// twice: a second one would be a second push.
    pub async fn challenge(
        self,
        user: DirectUser<'_>,
        mfa_token: &SecretString,
        channel: Channel,
    ) -> Result<OktaReply<ChallengeOutcome>, OktaError> {
        let form = [
            ("mfa_token", mfa_token.expose_secret()),
            ("challenge_types_supported", MFA_OOB_GRANT),
            ("channel_hint", channel.as_str()),
        ];
        let kind = CallKind::oidc_app(CallClass::FactorStep).secret_bearing(true);
        let answer = self
            .send(kind, &self.app.challenge_url, user, &form)
            .await?;
        if answer.http_status() == 200 {
            let reply: OktaReply<ChallengeAnswer> = answer.decode()?;
            return Ok(with_body(reply, ChallengeOutcome::Sent));
        }
        let reply: OktaReply<OAuthErrorAnswer> = answer.decode()?;
        let status = reply.http_status;
        Ok(with_body(reply, |error| {
            ChallengeOutcome::Refused(refusal(status, error))
        }))
    }

    /// Asks whether the out-of-band factor was answered (`mfa-oob`), with
    /// the code the user typed when the binding method is `prompt`.
    pub async fn poll_oob(
        self,
        user: DirectUser<'_>,
        mfa_token: &SecretString,
        oob_code: &SecretString,
        binding_code: Option<&SecretString>,
    ) -> Result<OktaReply<Grant>, OktaError> {
        let mut form = vec![
            ("grant_type", MFA_OOB_GRANT),
            ("mfa_token", mfa_token.expose_secret()),
            ("oob_code", oob_code.expose_secret()),
        ];
        if let Some(code) = binding_code {
            form.push(("binding_code", code.expose_secret()));
        }
        // A poll may be repeated after a 429; a typed code may not.
        let kind = match binding_code {
            Some(_) => CallKind::oidc_app(CallClass::FactorStep).secret_bearing(true),
            None => CallKind::oidc_app(CallClass::Poll),
        };
        self.token(kind, user, &form).await
    }

    /// A grant with a made-up `mfa_token` or user, for the online check:
    /// Okta's refusal says whether the app authenticates and whether the
    /// grant is enabled.
    pub async fn probe(self, grant_type: &str) -> Result<OktaReply<Grant>, OktaError> {
        let user = DirectUser {
            login: "okta-radius-check@invalid.example",
            forwarded_for: None,
        };
        let form: Vec<(&str, &str)> = if grant_type == PASSWORD_GRANT {
            vec![
                ("grant_type", PASSWORD_GRANT),
                ("username", user.login),
                ("password", "not-a-password"),
                ("scope", self.app.scope.as_str()),
            ]
        } else {
            vec![
                ("grant_type", grant_type),
                ("mfa_token", "okta-radius-check"),
                ("otp", "000000"),
                ("oob_code", "okta-radius-check"),
            ]
        };
        let kind = CallKind::oidc_app(CallClass::Management).secret_bearing(true);
        self.token(kind, user, &form).await
    }

    /// `/challenge` with a made-up `mfa_token`, for the online check.
    pub async fn probe_challenge(self) -> Result<OktaReply<ChallengeOutcome>, OktaError> {
        let user = DirectUser {
            login: "okta-radius-check@invalid.example",
            forwarded_for: None,
        };
        self.challenge(
            user,
            &SecretString::from("okta-radius-check"),
            Channel::Push,
        )
        .await
    }

    /// Fetches the authorization server's key set now (at start-up and in
    /// the online check); how many RS256 signing keys it holds.
    pub async fn prefetch_keys(self) -> Result<usize, String> {
        let exchange = self.exchange;
        let url = &self.app.keys_url;
        self.app.keys.prefetch(|| fetch_keys(exchange, url)).await
    }

    /// The issuer ID tokens must name.
    pub fn issuer(&self) -> &str {
        &self.app.issuer
    }

    /// The key set URL.
    pub fn keys_url(&self) -> &Url {
        &self.app.keys_url
    }

    /// The token endpoint.
    pub fn token_url(&self) -> &Url {
        &self.app.token_url
    }

    async fn send(
        self,
        kind: CallKind,
        url: &Url,
        user: DirectUser<'_>,
        form: &[(&str, &str)],
    ) -> Result<RawAnswer, OktaError> {
        let auth = self.app.auth.authenticate(url);
        let body = zeroize::Zeroizing::new(encode_form(&auth.fields, form));
        let mut call = Request::post_form(
            kind,
            url.clone(),
            body.as_str().to_owned(),
            user.forwarded_for,
        )
        .for_user(user.login);
        if let Some(header) = auth.header {
            call = call.with_own_authorization(header);
        }
        self.exchange.send(call).await
    }

    async fn token(
        self,
        kind: CallKind,
        user: DirectUser<'_>,
        form: &[(&str, &str)],
    ) -> Result<OktaReply<Grant>, OktaError> {
        let answer = self.send(kind, &self.app.token_url, user, form).await?;
        if answer.http_status() != 200 {
            let reply: OktaReply<OAuthErrorAnswer> = answer.decode()?;
            let status = reply.http_status;
            return Ok(with_body(reply, |error| grant_of_error(status, error)));
        }
        let reply: OktaReply<TokenAnswer> = answer.decode()?;
        let Some(id_token) = reply.body.id_token.clone() else {
            return Err(OktaError::Decode(
                "the token answer has no ID token: the app must be allowed the openid scope".into(),
            ));
        };
        let expected = Expected {
            issuer: &self.app.issuer,
            audience: &self.app.client_id,
            nonce: None,
            groups_claim: self.app.groups_claim.as_deref(),
        };
        let exchange = self.exchange;
        let url = &self.app.keys_url;
        let checked = check(
            id_token.expose_secret(),
            &expected,
            &self.app.keys,
            || fetch_keys(exchange, url),
            epoch_seconds(SystemTime::now()),
        )
        .await;
        let grant = match checked {
            Ok(identity) => Grant::Authenticated(identity),
            Err(rejection) => Grant::IdTokenRejected(rejection),
        };
        Ok(with_body(reply, |_| grant))
    }
}

/// The form body: the client authentication's fields, then the call's.
fn encode_form(auth: &[(&'static str, String)], form: &[(&str, &str)]) -> String {
    let mut body = form_urlencoded::Serializer::new(String::new());
    for (name, value) in auth
        .iter()
        .map(|(n, v)| (*n, v.as_str()))
        .chain(form.iter().copied())
    {
        body.append_pair(name, value);
    }
    body.finish()
}

/// GETs the key set: its document and `Cache-Control`.
async fn fetch_keys(exchange: &Exchange, url: &Url) -> Result<FetchedKeys, KeyFetchError> {
    let call = Request::new(
        CallKind::oidc_app(CallClass::Management),
        reqwest::Method::GET,
        url.clone(),
    );
    match exchange.send(call).await {
        Ok(answer) if answer.http_status() == 200 => {
            let (document, cache_control) = answer.into_body_and_cache_control();
            Ok(FetchedKeys {
                document,
                cache_control,
            })
        }
        Ok(answer) => Err(KeyFetchError(format!(
            "/keys answered HTTP {}",
            answer.http_status()
        ))),
        Err(error) => Err(KeyFetchError(error.to_string())),
    }
}

fn grant_of_error(http_status: u16, error: OAuthErrorAnswer) -> Grant {
    match error.error.as_str() {
        errors::MFA_REQUIRED => match error.mfa_token {
            Some(mfa_token) => Grant::MfaRequired { mfa_token },
            None => Grant::Refused(refusal(http_status, error)),
        },
        errors::AUTHORIZATION_PENDING => Grant::Pending,
        errors::SLOW_DOWN => Grant::SlowDown,
        _ => Grant::Refused(refusal(http_status, error)),
    }
}

fn refusal(http_status: u16, error: OAuthErrorAnswer) -> Refusal {
    Refusal {
        http_status,
        description: error
            .error_description
            .map(|text| text.chars().take(MAX_DESCRIPTION_CHARS).collect()),
        error: error.error,
    }
}

/// The reply with its body changed by `change`.
fn with_body<T, U>(reply: OktaReply<T>, change: impl FnOnce(T) -> U) -> OktaReply<U> {
    OktaReply {
        body: change(reply.body),
        request_id: reply.request_id,
        rate_limit: reply.rate_limit,
        http_status: reply.http_status,
    }
}
