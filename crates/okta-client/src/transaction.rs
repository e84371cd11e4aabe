//! The calls that continue an authentication transaction after primary
//! authentication, all named by its stateToken: read its current state,
//! verify a factor (send a code, check a code or answer, start and poll a
//! push), ask for a new code or push, cancel, and skip `PASSWORD_WARN`.
//!
//! Factor calls follow the `_links` hrefs Okta returned, through
//! [`OktaClient::resolve_link`], so the token never leaves the org. They are
//! made as a trusted application, with `X-Forwarded-For` when given: Okta
//! shows that IP in the push notification.

use std::net::IpAddr;

use secrecy::{ExposeSecret, SecretString};
use serde::Serialize;

use super::budget::CallClass;
use super::client::{CallKind, OktaClient, OktaReply};
use super::error::OktaError;
use okta_api::authn::AuthnResponse;

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

impl OktaClient {
    /// `POST /api/v1/authn {stateToken}`: the transaction's current state
    /// (to continue a login another replica started, or after a network error).
    pub async fn authn_state(
        &self,
        state_token: &SecretString,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.endpoint("api/v1/authn")?;
        self.post_json(
            CallKind::in_transaction(CallClass::FactorStep),
            url,
            &body,
            forwarded_for,
        )
        .await
    }

    /// POSTs to a factor's verify link (`_links.verify.href` of a factor, or
    /// `_links.next.href` to poll a push or submit a code): sends a code,
    /// checks a code or answer, starts or polls a push.
    pub async fn verify_factor(
        &self,
        href: &str,
        verify: &FactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.verify_as(CallClass::FactorStep, href, verify, forwarded_for)
            .await
    }

    /// Polls a push: the same call as [`OktaClient::verify_factor`] with the
    /// stateToken only (`_links.next.href`, name `poll`), budgeted as a poll,
    /// so that polls slow down first when Okta's rate limit runs short, and
    /// retried after a 429 when the request's deadline allows.
    pub async fn poll_factor(
        &self,
        href: &str,
        verify: &FactorVerify<'_>,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.verify_as(CallClass::Poll, href, verify, forwarded_for)
            .await
    }

    async fn verify_as(
        &self,
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
        let url = self.resolve_link(href)?;
        let kind = CallKind::in_transaction(class).secret_bearing(secret);
        self.post_json(kind, url, &body, forwarded_for).await
    }

    /// POSTs a `_links.resend[]` link: a new SMS/call/email code, or a new push.
    pub async fn resend_factor(
        &self,
        href: &str,
        state_token: &SecretString,
        forwarded_for: Option<IpAddr>,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.resolve_link(href)?;
        self.post_json(
            CallKind::in_transaction(CallClass::FactorStep),
            url,
            &body,
            forwarded_for,
        )
        .await
    }

    /// `POST /api/v1/authn/cancel`: ends the transaction, so that a push
    /// still pending can no longer be approved.
    pub async fn cancel(
        &self,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.transaction_step("api/v1/authn/cancel", state_token)
            .await
    }

    /// `POST /api/v1/authn/skip`: continues past `PASSWORD_WARN`.
    pub async fn skip(
        &self,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        self.transaction_step("api/v1/authn/skip", state_token)
            .await
    }

    /// POSTs `{stateToken}` to an `/api/v1/authn` endpoint of the org.
    async fn transaction_step(
        &self,
        path: &str,
        state_token: &SecretString,
    ) -> Result<OktaReply<AuthnResponse>, OktaError> {
        let body = StateTokenBody {
            state_token: state_token.expose_secret(),
        };
        let url = self.endpoint(path)?;
        self.post_json(
            CallKind::in_transaction(CallClass::FactorStep),
            url,
            &body,
            None,
        )
        .await
    }
}
