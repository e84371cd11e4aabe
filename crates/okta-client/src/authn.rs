//! Okta's Classic Authentication API (`/api/v1/authn`), as a trusted
//! application with the API token: primary authentication (a username and a
//! password), then the calls that continue the transaction, all named by
//! its stateToken: read its current state, verify a factor (send a code,
//! check a code or an answer, start and poll a push), ask for a new code or
//! push, cancel, and skip `PASSWORD_WARN`.
//!
//! Factor calls follow the `_links` hrefs Okta returned, checked to stay in
//! the org, so the token never leaves it. They carry `X-Forwarded-For` when
//! given: Okta shows that IP in the push notification. Calls carrying a
//! password, a code or an answer are never sent twice.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use reqwest::Url;
use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::budget::CallClass;
use super::call::{CallKind, Caller};
use super::error::OktaError;
use super::exchange::{Exchange, OktaReply, Request};
use super::org::Org;
use okta_api::authn::AuthnResponse;

/// The Authentication API of one org: [`crate::OktaClient::authn`].
#[derive(Clone, Copy)]
pub struct Authn<'a> {
    org: &'a Org,
    exchange: &'a Exchange,
}

impl fmt::Debug for Authn<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Authn")
            .field("org", &self.org.url().as_str())
            .finish_non_exhaustive()
    }
}

/// Options of primary authentication (`options` in the request body).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AuthnOptions {
    /// Ask for `PASSWORD_WARN` when the password is about to expire
    /// (continue with [`Authn::skip`]).
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

/// A factor verification in an authentication transaction: the same call
/// sends an SMS/call/email code (no passCode), submits a code or an answer,
/// and starts and polls a push (stateToken only).
#[derive(Debug, Clone, Copy)]
pub struct FactorVerify<'a> {
    pub state_token: &'a SecretString,
    /// The one-time code the user typed.
    pub pass_code: Option<&'a SecretString>,
    /// The answer to a security question.
    pub answer: Option<&'a SecretString>,
}

impl<'a> FactorVerify<'a> {
    /// A verify call with only the stateToken: start or poll a push, or send a code.
    pub fn state_only(state_token: &'a SecretString) -> FactorVerify<'a> {
        FactorVerify {
            state_token,
            pass_code: None,
            answer: None,
        }
    }
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

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct FactorVerifyBody<'a> {
    state_token: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pass_code: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    answer: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct StateTokenBody<'a> {
    state_token: &'a str,
}

impl<'a> Authn<'a> {
    pub(crate) fn new(org: &'a Org, exchange: &'a Exchange) -> Authn<'a> {
        Authn { org, exchange }
    }

    /// `POST /api/v1/authn` with a username and password: the first step of
    /// every login. Okta answers 200 for every transaction state; a wrong
    /// password is `OktaError::Api` with `E0000004`. While Okta refuses the
    /// API token the call is not sent: [`OktaError::CredentialInvalid`].
    pub async fn primary(
        self,
        request: &PrimaryAuthn<'_>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.primary_with(request, AuthnOptions::default()).await
    }

    /// [`Authn::primary`] with options, such as asking for
    /// `PASSWORD_WARN`.
    pub async fn primary_with(
        self,
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
        let kind = CallKind::new(Caller::TrustedApp, CallClass::Login).secret_bearing(true);
        let call = Request::post_json(
            kind,
            Cow::Borrowed(self.org.authn()),
            &body,
            request.forwarded_for,
        )?
        .with_uri(self.org.authn_uri())
        .for_user(request.username);
        self.exchange.send(call).await?.decode()
    }

    /// `POST /api/v1/authn {stateToken}`: the transaction's current state
    /// (to continue a login another replica started, or after a network error).
    pub async fn state(
        self,
        state_token: &SecretString,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.org.authn().clone();
        self.post(CallClass::FactorStep, url, &body, forwarded_for)
            .await
    }

    /// POSTs to a factor's verify link (`_links.verify.href` of a factor, or
    /// `_links.next.href` to poll a push or submit a code): sends a code,
    /// checks a code or answer, starts or polls a push.
    pub async fn verify_factor(
        self,
        href: &str,
        verify: &FactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.verify_as(CallClass::FactorStep, href, verify, forwarded_for)
            .await
    }

    /// Polls a push: the same call as [`Authn::verify_factor`] with the
    /// stateToken only (`_links.next.href`, name `poll`), budgeted as a poll,
    /// so that polls slow down first when Okta's rate limit runs short, and
    /// retried after a 429 when the request's deadline allows.
    pub async fn poll_factor(
        self,
        href: &str,
        verify: &FactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.verify_as(CallClass::Poll, href, verify, forwarded_for)
            .await
    }

    /// POSTs a `_links.resend[]` link: a new SMS/call/email code, or a new push.
    pub async fn resend_factor(
        self,
        href: &str,
        state_token: &SecretString,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.org.resolve_link(href)?;
        self.post(CallClass::FactorStep, url, &body, forwarded_for)
            .await
    }

    /// `POST /api/v1/authn/cancel`: ends the transaction, so that a push
    /// still pending can no longer be approved.
    pub async fn cancel(
        self,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.transaction_step("api/v1/authn/cancel", state_token)
            .await
    }

    /// `POST /api/v1/authn/skip`: continues past `PASSWORD_WARN`.
    pub async fn skip(
        self,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.transaction_step("api/v1/authn/skip", state_token)
            .await
    }

    async fn verify_as(
        self,
        class: CallClass,
        href: &str,
        verify: &FactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = FactorVerifyBody {
            state_token: verify.state_token.expose_secret(),
            pass_code: verify.pass_code.map(|code| code.expose_secret()),
            answer: verify.answer.map(|answer| answer.expose_secret()),
        };
        let secret = verify.pass_code.is_some() || verify.answer.is_some();
        let url = self.org.resolve_link(href)?;
        let kind = CallKind::in_transaction(class).secret_bearing(secret);
        let call = Request::post_json(kind, Cow::Owned(url), &body, forwarded_for)?;
        self.exchange.send(call).await?.decode()
    }

    /// POSTs `{stateToken}` to an `/api/v1/authn` endpoint of the org.
    async fn transaction_step(
        self,
        path: &str,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.org.endpoint(path)?;
        self.post(CallClass::FactorStep, url, &body, None).await
    }

    /// POSTs a body naming the stateToken (no password, no code).
    async fn post(
        self,
        class: CallClass,
        url: Url,
        body: &StateTokenBody<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let call = Request::post_json(
            CallKind::in_transaction(class),
            Cow::Owned(url),
            body,
            forwarded_for,
        )?;
        self.exchange.send(call).await?.decode()
    }
}
