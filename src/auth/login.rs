//! A new login: the password (with an inline factor split off when the
//! client allows it) goes to Okta's `/api/v1/authn` exactly once, and Okta's
//! answer decides what comes next.
//!
//! Okta answers every state with HTTP 200 and hides wrong passwords, unknown
//! users and hidden lockouts behind one error (E0000004), so the routing
//! branches on `status` and `errorCode`, never on summary text.

use super::access_request::{self, PapLogin};
use super::deadline;
use super::reason::Reason;
use super::typed::{self, InlineFactor};
use super::{Authenticator, Decision, Request, direct, failure, messages, mfa, throttle};
use okta_api::authn::{AuthnResponse, AuthnStatus};
use okta_client::client::{AuthnOptions, OktaReply, PrimaryAuthn};
use radius_proto::packet::Packet;
use secrecy::{ExposeSecret, SecretString};
use std::collections::HashMap;

/// Starts a login from an Access-Request without State.
pub async fn start(auth: &Authenticator, request: &Request<'_>, packet: &Packet) -> Decision {
    let PapLogin { password, .. } =
        match access_request::read_pap_login(packet, request.client.secret_bytes()) {
            Ok(login) => login,
            Err(problem) => {
                return Decision::reject(Reason::Request(problem), problem.reply_message());
            }
        };
    if !request.client.okta_primary_auth {
        return Box::pin(direct::start(auth, request, &password)).await;
    }
    let mfa_settings = &request.client.mfa;
    let (password, inline) = if mfa_settings.inline {
        match typed::split_inline(password.expose_secret(), &mfa_settings.inline_delimiter) {
            Some((password, factor)) => (SecretString::from(password.to_owned()), Some(factor)),
            None => (password, None),
        }
    } else {
        (password, None)
    };
    let source = throttle::source_of(packet);
    let user = auth.identities.key(&request.login);
    if auth.throttle.check(&user, source).is_some() {
        return Decision::reject(Reason::Throttled, throttle::THROTTLED_MESSAGE);
    }
    let primary = PrimaryAuthn {
        username: &request.login,
        password: &password,
        forwarded_for: request.forwarded_for,
    };
    let options = AuthnOptions {
        warn_before_password_expired: mfa_settings.password_warn_message,
    };
    let reply = match deadline::within(
        request.deadline,
        auth.okta.primary_authn_with(&primary, options),
    )
    .await
    {
        Ok(Ok(reply)) => {
            // Okta names the user once the password is right: from now on
            // every spelling of this login counts against that user.
            if let Some(named) = reply.body.user() {
                auth.identities.learn(&request.login, &named.id);
            }
            auth.throttle
                .succeeded(&auth.identities.keys(&request.login));
            reply
        }
        Ok(Err(error)) => {
            if error.code() == Some("E0000004") {
                auth.throttle.failed(&user, source);
            } else {
                tracing::warn!(client = %request.client.name, user = %request.login, %error, "Okta could not decide the login");
            }
            return failure::decide_failure(&error, request.client.on_okta_failure);
        }
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let request_id = reply.request_id.clone();
    route(auth, request, reply, inline, None)
        .await
        .with_okta_request_id(request_id)
}

/// Acts on the state of a transaction after a password or a factor.
/// `warning` carries a password-expiry message to show on success.
pub(super) async fn route(
    auth: &Authenticator,
    request: &Request<'_>,
    reply: OktaReply<AuthnResponse>,
    inline: Option<InlineFactor>,
    warning: Option<String>,
) -> Decision {
    let body = reply.body;
    match &body.status {
        AuthnStatus::Success => {
            let decision = Box::pin(success(auth, request, &body, Reason::OktaSuccess)).await;
            match warning {
                Some(text) if decision.verdict == super::Verdict::Accept => {
                    decision.with_message(&text)
                }
                _ => decision,
            }
        }
        AuthnStatus::PasswordWarn => {
            let days = password_expire_days(&body);
            let Some(state_token) = body.state_token.clone() else {
                return Decision::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED);
            };
            match deadline::within(request.deadline, auth.okta.skip(&state_token)).await {
                Ok(Ok(next)) => {
                    let text = messages::password_warn(days);
                    Box::pin(route(auth, request, next, inline, Some(text))).await
                }
                Ok(Err(error)) => {
                    failure::decide_step_failure(&error, request.client.on_okta_failure)
                }
                Err(_) => failure::decide_timeout(request.client.on_okta_failure),
            }
        }
        AuthnStatus::MfaRequired => Box::pin(mfa::begin(auth, request, body, inline)).await,
        AuthnStatus::MfaEnroll | AuthnStatus::MfaEnrollActivate => {
            if let Some(token) = &body.state_token {
                auth.cancel(token).await;
            }
            Decision::reject(Reason::MfaEnrollRequired, messages::ENROLL_FIRST)
        }
        AuthnStatus::LockedOut => Decision::reject(Reason::LockedOut, messages::LOCKED_OUT),
        AuthnStatus::PasswordExpired => {
            if let Some(token) = &body.state_token {
                auth.cancel(token).await;
            }
            Decision::reject(Reason::PasswordExpired, messages::PASSWORD_EXPIRED)
        }
        other => {
            tracing::warn!(user = %request.login, status = %other, "Okta answered with a state this server does not handle");
            if let Some(token) = &body.state_token {
                auth.cancel(token).await;
            }
            Decision::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED)
        }
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

/// A SUCCESS answer: authorise from groups and accept.
pub(super) async fn success(
    auth: &Authenticator,
    request: &Request<'_>,
    body: &AuthnResponse,
    reason: Reason,
) -> Decision {
    let user = body.user();
    let user_id = user.map(|u| u.id.as_str());
    let mut profile = HashMap::new();
    if let Some(user) = user {
        let p = &user.profile;
        profile.insert("login".to_owned(), p.login.clone());
        for (key, value) in [
            ("firstName", &p.first_name),
            ("lastName", &p.last_name),
            ("locale", &p.locale),
            ("timeZone", &p.time_zone),
        ] {
            if let Some(value) = value {
                profile.insert(key.to_owned(), value.clone());
            }
        }
    }
    auth.authorize(request, reason, user_id, &profile).await
}
