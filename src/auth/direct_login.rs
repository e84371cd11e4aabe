//! A new login through Identity Engine's Direct Authentication: the
//! password (with an inline factor split off when the client allows it)
//! goes to the OIDC app's token endpoint exactly once, and its outcome is
//! routed: tokens (whose ID token the client has checked) mean yes,
//! `mfa_required` leads to the second factor with the `mfa_token`, and
//! Okta's refusals become their rejects.
//!
//! Also here: what any Direct Authentication grant's outcome means once a
//! factor was verified, shared by codes and pushes.

use super::context::{Context, Request};
use super::decision::Decision;
use super::failure::decide_timeout;
use super::messages;
use super::next::{Approval, Named, Next, Stage};
use super::okta_call::{Purpose, ask};
use super::password_gate::{self, Admitted};
use super::reason::Reason;
use okta_api::direct::errors;
use okta_client::{DirectUser, Grant, IdTokenRejection, Refusal, VerifiedIdentity};
use secrecy::SecretString;
use std::collections::HashMap;

/// Who a Direct Authentication call is for.
pub(super) fn user<'a>(request: &'a Request<'_>) -> DirectUser<'a> {
    DirectUser {
        login: &request.login,
        forwarded_for: request.forwarded_for,
    }
}

/// Sends a new login's password (after the throttles allow it).
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
    let direct = match context.okta.direct() {
        Ok(direct) => direct,
        Err(error) => {
            tracing::error!(%error, "Direct Authentication is not set up");
            return Next::Decided(decide_timeout(request.client.on_okta_failure));
        }
    };
    let reply = match ask(
        request,
        Purpose::Login,
        direct.password(user(request), &password),
    )
    .await
    {
        Ok(reply) => reply,
        Err(failed) => {
            if let Some(error) = failed.error() {
                tracing::warn!(client = %request.client.name, user = %request.login, %error, "Okta could not decide the login");
            }
            return failed.into();
        }
    };
    let request_id = reply.request_id;
    match reply.body {
        Grant::MfaRequired { mfa_token } => {
            // The password was right: a new spelling's failures are forgiven.
            context
                .throttle
                .succeeded(keys.as_slice(), source, to_forgive)
                .await;
            Next::Run(Stage::DirectFactors { mfa_token, inline })
        }
        Grant::Refused(refusal) if refusal.is(errors::INVALID_GRANT) => {
            context.throttle.failed(keys.current(), source).await;
            Next::Decided(
                Decision::reject(Reason::OktaAuthenticationFailed, messages::WRONG_PASSWORD)
                    .with_okta_request_id(request_id),
            )
        }
        outcome => {
            if matches!(outcome, Grant::Authenticated(_)) {
                context
                    .throttle
                    .succeeded(keys.as_slice(), source, to_forgive)
                    .await;
            }
            completed(context, request, outcome, Reason::OktaSuccess, request_id)
        }
    }
}

/// What the outcome of a grant that ends a login means: tokens (the ID
/// token checked) are a yes, and every refusal its reject.
pub(super) fn completed(
    context: &Context,
    request: &Request<'_>,
    outcome: Grant,
    success: Reason,
    request_id: Option<String>,
) -> Next {
    let decision = match outcome {
        Grant::Authenticated(identity) => {
            context.identities.learn(&request.login, &identity.subject);
            let mut approval = approval(identity, success);
            approval.okta_request_id = request_id;
            return Next::Authorize(approval);
        }
        Grant::IdTokenRejected(IdTokenRejection::KeysUnavailable) => {
            let mut decision = decide_timeout(request.client.on_okta_failure);
            decision.reason = Reason::IdToken(IdTokenRejection::KeysUnavailable);
            decision
        }
        Grant::IdTokenRejected(rejection) => {
            Decision::reject(Reason::IdToken(rejection), messages::NOT_ALLOWED)
        }
        Grant::Refused(refusal) => refused(request, &refusal),
        Grant::MfaRequired { .. } | Grant::Pending | Grant::SlowDown => {
            tracing::warn!(user = %request.login, "Okta answered a Direct Authentication grant with a step this server does not expect there");
            Decision::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED)
        }
    };
    Next::Decided(decision.with_okta_request_id(request_id))
}

/// The reject for a refusal no step handles itself.
pub(super) fn refused(request: &Request<'_>, refusal: &Refusal) -> Decision {
    if refusal.is_app_problem() {
        tracing::error!(
            error = %refusal.error,
            description = refusal.description.as_deref().unwrap_or(""),
            "Okta refused the OIDC app of Direct Authentication: check okta.direct (client id, keys or secret) and the grants enabled on the app (`okta-radius check-config --online`)"
        );
        let mut decision = decide_timeout(request.client.on_okta_failure);
        decision.reason = Reason::DirectAppRefused;
        return decision;
    }
    if refusal.is(errors::ACCESS_DENIED) {
        tracing::info!(
            user = %request.login,
            description = refusal.description.as_deref().unwrap_or(""),
            "Okta denied the login (access_denied)"
        );
        return Decision::reject(Reason::DirectAccessDenied, messages::NOT_ALLOWED);
    }
    tracing::warn!(user = %request.login, error = %refusal.error, "Okta refused a Direct Authentication call");
    Decision::reject(Reason::OktaError, messages::NOT_ALLOWED)
}

/// Who the ID token names, for the policy.
pub(super) fn approval(identity: VerifiedIdentity, reason: Reason) -> Approval {
    let mut profile = HashMap::new();
    for (key, value) in [
        ("login", identity.login),
        ("firstName", identity.given_name),
        ("lastName", identity.family_name),
        ("email", identity.email),
    ] {
        if let Some(value) = value {
            profile.insert(std::borrow::Cow::Borrowed(key), value);
        }
    }
    Approval {
        reason,
        user: Named::Listed {
            id: identity.subject,
            profile,
        },
        warning: None,
        okta_request_id: None,
        groups: identity.groups,
    }
}
