//! An Okta Verify push as a step of a login: sending one (or joining the
//! one already pending for the user, here or at another replica of a
//! fleet, within the push-fatigue limits), taking over the polling of a
//! push challenge another replica sent, and what the push's outcome means
//! for the request waiting for it (for Direct Authentication's pushes too,
//! which `direct_push` sends).
//!
//! The waiting itself is the driver's: it holds nothing of the steps that
//! led to the push while the user finds their phone.

use super::context::{Context, Request};
use super::decision::Decision;
use super::direct_login::completed;
use super::failure::decide_step_failure;
use super::fleet_push::{self, Joined, Outcome, Waited};
use super::identity::UserKey;
use super::links::link_href;
use super::messages;
use super::next::{Hold, Next, Transaction};
use super::okta_call::{self, Purpose, ask};
use super::push::{PushStatus, PushWatch};
use super::reason::Reason;
use super::state::Step;
use crate::cluster::Fleet;
use crate::config::PushMode;
use okta_client::{FactorVerify, Grant};
use secrecy::SecretString;
use std::borrow::Cow;
use std::time::Duration;

/// How long a poll that found its transaction ended waits for the replica
/// whose poll ended it to publish the outcome.
const ENDED_ELSEWHERE_WAIT: Duration = Duration::from_secs(2);

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
    if let Some(next) = join_elsewhere(context, request, &user, false).await {
        // This login's own transaction stays open until then, in case it
        // must go on by itself; now it ends.
        okta_call::cancel(&context.okta, &state_token).await;
        return next;
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
    announce(context, request, &watch).await;
    Next::HoldForPush(Hold {
        watch,
        first: true,
        okta_request_id: first.request_id,
    })
}

/// Joins the push another replica of the fleet has pending for `user`
/// (`direct`: a Direct Authentication push): in wait mode this login
/// waits for its outcome, in challenge mode it gets its challenge, as it
/// would at that replica. `None` when there is none to join, or Redis
/// does not answer: this login goes on by itself.
pub(super) async fn join_elsewhere(
    context: &Context,
    request: &Request<'_>,
    user: &UserKey,
    direct: bool,
) -> Option<Next> {
    let fleet = context.cluster.fleet()?;
    match request.client.mfa.push_mode {
        PushMode::Wait => {
            if !fleet_push::waitable_elsewhere(fleet, user).await {
                return None;
            }
            tracing::info!(user = %request.login, "joining the push another replica has pending for this user");
            let until = request.arrived + request.client.mfa.push_timeout;
            match fleet_push::wait_outcome(fleet, user, until).await {
                Waited::Known(outcome) => Some(learnt(context, request, outcome)),
                Waited::StillPending => {
                    Some(Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT))
                }
                Waited::Alone => None,
            }
        }
        PushMode::Challenge => {
            let joined = fleet_push::joinable(fleet, &context.state_keys.get(), user).await?;
            let same_api = match &joined.step {
                Step::Push { .. } => !direct,
                Step::DirectPush { .. } => direct,
                _ => false,
            };
            if !same_api {
                return None;
            }
            tracing::info!(user = %request.login, "joining the push another replica has pending for this user");
            Some(joined_challenge(joined))
        }
    }
}

/// Tells the fleet, if any, of a push just sent and still waiting; in
/// challenge mode with what another replica needs to join it.
pub(super) async fn announce(context: &Context, request: &Request<'_>, watch: &PushWatch) {
    let Some(fleet) = context.cluster.fleet() else {
        return;
    };
    let PushStatus::Waiting { number } = watch.status() else {
        return;
    };
    let timeout = request.client.mfa.push_timeout;
    let joinable = match request.client.mfa.push_mode {
        PushMode::Challenge => {
            fleet_push::seal_join(&context.state_keys.get(), watch, number.as_deref(), timeout)
        }
        PushMode::Wait => None,
    };
    fleet_push::announce(fleet, watch.user(), timeout, joinable).await;
}

/// The challenge of a push another replica sent: what a second login gets
/// at that replica while the push is pending.
pub(super) fn joined_challenge(joined: Joined) -> Next {
    match joined.number {
        Some(number) => Next::challenge(
            Reason::ChallengeNumber,
            messages::number_challenge(&number),
            joined.step,
        ),
        None => Next::challenge(Reason::ChallengePush, messages::PUSH_APPROVE, joined.step),
    }
}

/// What a push's outcome, learnt from another replica, decides.
pub(super) fn learnt(context: &Context, request: &Request<'_>, outcome: Outcome) -> Next {
    match outcome {
        Outcome::Approved(answer) => Next::Okta(Transaction {
            answer: *answer,
            okta_request_id: None,
            success: Reason::MfaPushApproved,
            inline: None,
            warning: None,
        }),
        Outcome::Authenticated(identity) => completed(
            context,
            request,
            Grant::Authenticated(*identity),
            Reason::MfaPushApproved,
            None,
        ),
        Outcome::Rejected => Next::reject(Reason::PushRejected, messages::PUSH_REJECTED),
        Outcome::TimedOut => Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT),
    }
}

/// The user pressed Enter after a push challenge: the outcome if this
/// server or, in a fleet, another replica knows it already; else follow
/// the local poll if this server has one, or take the polling over
/// (another replica sent the push).
pub(super) async fn follow_up(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    poll_path: String,
) -> Next {
    let user = context.identities.key(&request.login);
    let local = context
        .pushes
        .pending(&user)
        .filter(|watch| watch.is_transaction(&state_token));
    if let Some(next) = known_outcome(context, request, local, &state_token).await {
        return next;
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

/// Where an Enter for the push of `transaction` goes when its outcome is
/// known: the local push when it has ended, or the outcome another replica
/// published (its poll may have ended the transaction); `None` to poll.
/// `local` is this server's push of that transaction, if any.
pub(super) async fn known_outcome(
    context: &Context,
    request: &Request<'_>,
    local: Option<std::sync::Arc<PushWatch>>,
    transaction: &SecretString,
) -> Option<Next> {
    if let Some(watch) = &local
        && watch.status().is_done()
    {
        return local.map(|watch| {
            Next::HoldForPush(Hold {
                watch,
                first: false,
                okta_request_id: None,
            })
        });
    }
    if let Some(fleet) = context.cluster.fleet()
        && let Some(outcome) = fleet_push::outcome_of(fleet, transaction).await
    {
        if let Some(watch) = &local {
            watch.learnt(outcome.status());
        }
        return Some(learnt(context, request, outcome));
    }
    local.map(|watch| {
        Next::HoldForPush(Hold {
            watch,
            first: false,
            okta_request_id: None,
        })
    })
}

/// Shares the final `status` this server's poll learnt with the fleet, or
/// the outcome another replica learnt first: an approval published for
/// the transaction stands over a rejection, an expiry or an error seen
/// here (another replica's poll may have ended the transaction, so this
/// poll found it gone: then its outcome is waited for, briefly).
async fn shared_outcome(
    context: &Context,
    request: &Request<'_>,
    fleet: &Fleet,
    watch: &PushWatch,
    status: &PushStatus,
) -> Option<Next> {
    if !fleet_push::is_approval(status) {
        let now = tokio::time::Instant::now();
        let until = if watch.may_have_ended_elsewhere(status) {
            (now + ENDED_ELSEWHERE_WAIT).min(request.deadline)
        } else {
            now
        };
        if let Some(outcome) = fleet_push::wait_outcome_of(fleet, watch.transaction(), until).await
        {
            watch.learnt(outcome.status());
            return Some(learnt(context, request, outcome));
        }
        if watch.may_have_ended_elsewhere(status) {
            // Not an outcome to share: perhaps no more than this poll
            // coming second.
            return None;
        }
    }
    let keep = request.client.mfa.challenge_lifetime;
    fleet_push::publish(fleet, watch, status, keep).await;
    None
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
    if let Some(fleet) = context.cluster.fleet() {
        if status.is_done()
            && let Some(next) = shared_outcome(context, request, fleet, watch, &status).await
        {
            return next;
        }
        if !status.is_done()
            && !first
            && let Some(outcome) = fleet_push::outcome_of(fleet, watch.transaction()).await
        {
            // An Enter whose hold ran out while another replica's poll
            // (Okta asked this one to slow down) learnt the outcome.
            watch.learnt(outcome.status());
            return learnt(context, request, outcome);
        }
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
