//! A new login: the password (with an inline factor split off when the
//! client allows it) goes to Okta's `/api/v1/authn` exactly once, and Okta's
//! answer to it, or to any later step of the transaction, is routed by its
//! status.
//!
//! Okta answers every state with HTTP 200 and hides wrong passwords, unknown
//! users and hidden lockouts behind one error (E0000004), so the routing
//! branches on `status` and `errorCode`, never on summary text.

use super::context::{Context, Request};
use super::decision::Decision;
use super::messages;
use super::next::{Approval, Named, Next, Stage, Transaction};
use super::okta_call::{Purpose, ask};
use super::password_gate::{self, Admitted};
use super::reason::Reason;
use super::typed::InlineFactor;
use okta_api::authn::{AuthnResponse, AuthnStatus, AuthnUser};
use okta_api::error::codes;
use okta_client::{AuthnOptions, PrimaryAuthn};
use secrecy::SecretString;

/// Sends a new login's password to Okta (after the throttles allow it).
pub(super) async fn password(
    context: &Context,
    request: &Request<'_>,
    password: SecretString,
) -> Next {
    let Admitted {
        password,
        inline,
        keys,
        source,
        to_forgive,
    } = match password_gate::admit(context, request, password).await {
        Ok(admitted) => admitted,
        Err(refused) => return refused,
    };
    let primary = PrimaryAuthn {
        username: &request.login,
        password: &password,
        forwarded_for: request.forwarded_for,
    };
    let options = AuthnOptions {
        warn_before_password_expired: request.client.mfa.password_warn_message,
    };
    let call = context.okta.authn().primary_with(&primary, options);
    match ask(request, Purpose::Login, call).await {
        Ok(reply) => {
            // Okta names the user once the password is right: from now on
            // every spelling of this login counts against that user.
            let keys = match reply.body.user() {
                Some(named) => context.identities.learn_for(keys, named.id()),
                None => keys,
            };
            context
                .throttle
                .succeeded(keys.as_slice(), source, to_forgive)
                .await;
            Next::Okta(Transaction {
                answer: reply.body,
                okta_request_id: reply.request_id,
                success: Reason::OktaSuccess,
                inline,
                warning: None,
            })
        }
        Err(failed) => {
            if failed.code() == Some(codes::AUTHENTICATION_FAILED) {
                context.throttle.failed(keys.current(), source).await;
            } else if let Some(error) = failed.error() {
                tracing::warn!(client = %request.client.name, user = %request.login, %error, "Okta could not decide the login");
            }
            failed.into()
        }
    }
}

/// Acts on the state of a transaction after a password or a factor.
pub(super) fn route(request: &Request<'_>, transaction: Transaction) -> Next {
    let Transaction {
        answer,
        success,
        inline,
        warning,
        ..
    } = transaction;
    match &answer.status {
        AuthnStatus::Success => {
            let user = answer.embedded.and_then(|embedded| embedded.user);
            Next::Authorize(approval(user, success, warning))
        }
        AuthnStatus::PasswordWarn => match answer.state_token.clone() {
            Some(state_token) => Next::Run(Stage::SkipWarning {
                state_token,
                days: password_expire_days(&answer),
                inline,
            }),
            None => Next::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED),
        },
        AuthnStatus::MfaRequired => Next::Run(Stage::Factors { answer, inline }),
        AuthnStatus::MfaEnroll | AuthnStatus::MfaEnrollActivate => {
            abandon(answer, Reason::MfaEnrollRequired, messages::ENROLL_FIRST)
        }
        AuthnStatus::LockedOut => Next::reject(Reason::LockedOut, messages::LOCKED_OUT),
        AuthnStatus::PasswordExpired => {
            abandon(answer, Reason::PasswordExpired, messages::PASSWORD_EXPIRED)
        }
        other => {
            tracing::warn!(user = %request.login, status = %other, "Okta answered with a state this server does not handle");
            abandon(answer, Reason::OktaStatusUnexpected, messages::NOT_ALLOWED)
        }
    }
}

/// A reject that first cancels the transaction, when Okta opened one.
fn abandon(answer: AuthnResponse, reason: Reason, message: &str) -> Next {
    let decision = Decision::reject(reason, message);
    match answer.state_token {
        Some(state_token) => Next::Abandon {
            state_token,
            decision,
        },
        None => Next::Decided(decision),
    }
}

/// Skips Okta's password-expiry warning, to show it on success instead.
pub(super) async fn skip_warning(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    days: Option<u32>,
    inline: Option<InlineFactor>,
) -> Next {
    match ask(
        request,
        Purpose::Transaction,
        context.okta.authn().skip(&state_token),
    )
    .await
    {
        Ok(reply) => Next::Okta(Transaction {
            answer: reply.body,
            okta_request_id: reply.request_id,
            success: Reason::OktaSuccess,
            inline,
            warning: Some(messages::password_warn(days)),
        }),
        Err(failed) => failed.into(),
    }
}

/// Okta's `_embedded.policy.expiration.passwordExpireDays`, when present.
fn password_expire_days(body: &AuthnResponse) -> Option<u32> {
    let policy = body.embedded.as_ref()?.policy.as_ref()?;
    let days = policy
        .get("expiration")?
        .get("passwordExpireDays")?
        .as_u64()?;
    u32::try_from(days).ok()
}

/// A SUCCESS answer: who Okta says the user is, for the policy.
fn approval(user: Option<AuthnUser>, reason: Reason, warning: Option<String>) -> Approval {
    Approval {
        reason,
        user: user.map_or(Named::Nobody, Named::Authn),
        warning,
        okta_request_id: None,
        groups: None,
    }
}
