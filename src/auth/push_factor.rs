//! An Okta Verify push as a step of a login: sending one (or joining the
//! one already pending for the user, within the push-fatigue limits), taking
//! over the polling of a push challenge another replica sent, and what the
//! push's outcome means for the request waiting for it (for Direct
//! Authentication's pushes too, which `direct_push` sends).
//!
//! The waiting itself is the driver's: it holds nothing of the steps that
//! led to the push while the user finds their phone.

use super::context::{Context, Request};
use super::decision::Decision;
use super::direct_login::completed;
use super::failure::decide_step_failure;
use super::fleet_push::{self, Outcome, Waited};
use super::links::link_href;
use super::messages;
use super::next::{Hold, Next, Transaction};
use super::okta_call::{self, Purpose, ask};
use super::push::{PushStatus, PushWatch};
use super::reason::Reason;
use super::state::Step;
use crate::config::PushMode;
use okta_client::FactorVerify;
use secrecy::SecretString;
use std::borrow::Cow;

/// Sends a push (or joins the one already pending for the user).
pub(super) async fn start(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    verify_href: String,
) -> Next {
    let user = context.identities.key(&request.login);
    if let Some(pending) = context.pushes.pending(&user)
        && !pending.status().is_done()
    {
        // A second login while a push is pending joins it: no second push.
        okta_call::cancel(&context.okta, &state_token).await;
        tracing::info!(user = %request.login, "joining the push already pending for this user");
        return Next::HoldForPush(Hold {
            watch: pending,
            first: true,
            okta_request_id: None,
        });
    }
    if request.client.mfa.push_mode == PushMode::Wait
        && let Some(fleet) = context.cluster.fleet()
        && fleet_push::pending_elsewhere(fleet, &user).await
    {
        // Another replica pushed this user's phone: wait for that push's
        // outcome rather than push again. This transaction stays open
        // until then, in case this login must go on by itself.
        tracing::info!(user = %request.login, "joining the push another replica has pending for this user");
        let until = request.arrived + request.client.mfa.push_timeout;
        let decided = match fleet_push::wait_outcome(fleet, &user, until).await {
            Waited::Known(Outcome::Approved(answer)) => Some(Next::Okta(Transaction {
                answer: *answer,
                okta_request_id: None,
                success: Reason::MfaPushApproved,
                inline: None,
                warning: None,
            })),
            Waited::Known(Outcome::Rejected) => {
                Some(Next::reject(Reason::PushRejected, messages::PUSH_REJECTED))
            }
            Waited::Known(Outcome::TimedOut) | Waited::StillPending => {
                Some(Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT))
            }
            Waited::Alone => None,
        };
        if let Some(next) = decided {
            okta_call::cancel(&context.okta, &state_token).await;
            return next;
        }
    }
    if let Err(refusal) = context.pushes.admit(&user).await {
        tracing::info!(user = %request.login, refusal = ?refusal, "push refused by the push-fatigue limits");
        return Next::Abandon {
            state_token,
            decision: refusal.decision(),
        };
    }
    let verify = FactorVerify {
        state_token: &state_token,
        pass_code: None,
        answer: None,
    };
    let call = context
        .okta
        .authn()
        .verify_factor(&verify_href, &verify, request.forwarded_for);
    let first = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let poll_href = match first.body.next_link() {
        Some(link) => link.href.clone(),
        None => verify_href,
    };
    let watch = context.pushes.start(
        context.okta.clone(),
        &user,
        &request.login,
        state_token,
        poll_href,
        &first.body,
        request.forwarded_for,
        request.client.mfa.push_timeout,
    );
    if request.client.mfa.push_mode == PushMode::Wait
        && let Some(fleet) = context.cluster.fleet()
    {
        fleet_push::announce(fleet, &user, request.client.mfa.push_timeout).await;
    }
    Next::HoldForPush(Hold {
        watch,
        first: true,
        okta_request_id: first.request_id,
    })
}

/// The user pressed Enter after a push challenge: follow the local poll if
/// this server has one, or take the polling over (another replica sent the
/// push).
pub(super) async fn follow_up(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    poll_path: String,
) -> Next {
    let user = context.identities.key(&request.login);
    if let Some(watch) = context.pushes.pending(&user)
        && watch.is_transaction(&state_token)
    {
        return Next::HoldForPush(Hold {
            watch,
            first: false,
            okta_request_id: None,
        });
    }
    let href = link_href(&context.okta, &poll_path);
    let verify = FactorVerify {
        state_token: &state_token,
        pass_code: None,
        answer: None,
    };
    let call = context
        .okta
        .authn()
        .verify_factor(&href, &verify, request.forwarded_for);
    let first = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let watch = context.pushes.start(
        context.okta.clone(),
        &user,
        &request.login,
        state_token,
        href,
        &first.body,
        request.forwarded_for,
        request.client.mfa.push_timeout,
    );
    Next::HoldForPush(Hold {
        watch,
        first: false,
        okta_request_id: None,
    })
}

/// What a push's status means for the request that waited for it: the
/// transaction's final answer, a reject, or a challenge to approve (and
/// perhaps tap a number) and press Enter.
pub(super) async fn outcome(
    context: &Context,
    request: &Request<'_>,
    watch: &PushWatch,
    status: PushStatus,
    first: bool,
) -> Next {
    let mode = request.client.mfa.push_mode;
    if status.is_done()
        && let Some(fleet) = context.cluster.fleet()
    {
        fleet_push::publish(fleet, watch.user(), &status).await;
    }
    match status {
        PushStatus::Approved(body) => Next::Okta(Transaction {
            answer: (*body).clone(),
            okta_request_id: None,
            success: Reason::MfaPushApproved,
            inline: None,
            warning: None,
        }),
        PushStatus::Rejected => {
            context.pushes.note_rejected(watch.user()).await;
            Next::reject(Reason::PushRejected, messages::PUSH_REJECTED)
        }
        PushStatus::Direct(grant) => {
            let grant = (*grant).clone();
            completed(context, request, grant, Reason::MfaPushApproved, None)
        }
        PushStatus::TimedOut => Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT),
        PushStatus::Failed(error) => {
            Next::Decided(decide_step_failure(&error, request.client.on_okta_failure))
        }
        PushStatus::Waiting { number } => {
            let step = watch.resume_step();
            if first && mode == PushMode::Wait && number.is_none() {
                // The hold ran out before the push did: end the transaction
                // so that a late approval opens nothing.
                let decision = Decision::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT);
                return match step {
                    Step::Push { state_token, .. } => Next::Abandon {
                        state_token,
                        decision,
                    },
                    _ => Next::Decided(decision),
                };
            }
            let (reason, prompt): (Reason, Cow<'static, str>) = match &number {
                Some(number) => (
                    Reason::ChallengeNumber,
                    messages::number_challenge(number).into(),
                ),
                None if first => (Reason::ChallengePush, messages::PUSH_APPROVE.into()),
                None => (Reason::ChallengePush, messages::PUSH_STILL_WAITING.into()),
            };
            Next::challenge(reason, prompt, step)
        }
    }
}
