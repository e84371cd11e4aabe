//! An Okta Verify push with Direct Authentication: `/challenge` with the
//! push channel sends it (or the login joins the push already pending for
//! the user, here or at another replica of a fleet, within the push-fatigue
//! limits; never a second push), its
//! `binding_code` is the number to show with number matching, and a
//! `prompt` binding asks for the code Okta Verify shows. The push is then
//! polled like any other (`push`), and a follow-up on another replica takes
//! the polling over from the State, without a new challenge, or reads the
//! outcome another replica's poll learnt.

use super::context::{Context, Request};
use super::direct_code::prompt_for_push_code;
use super::direct_login::{refused, user};
use super::direct_mfa::menu_again;
use super::identity::UserKey;
use super::messages;
use super::next::{Hold, Next};
use super::okta_call::{Purpose, ask};
use super::push_factor;
use super::reason::Reason;
use okta_api::direct::{BindingMethod, Channel, errors};
use okta_client::ChallengeOutcome;
use secrecy::SecretString;
use std::time::Duration;

/// Okta's interval when a challenge names none.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// Sends a push (or joins the one already pending for the user).
pub(super) async fn start(
    context: &Context,
    request: &Request<'_>,
    mfa_token: SecretString,
) -> Next {
    let key = push_key(request);
    if let Some(pending) = context.pushes.pending(&key)
        && !pending.status().is_done()
    {
        // A second login while a push is pending joins it: no second push.
        tracing::info!(user = %request.login, "joining the push already pending for this user");
        return Next::HoldForPush(Hold {
            watch: pending,
            first: true,
            okta_request_id: None,
        });
    }
    if let Some(next) = push_factor::join_elsewhere(context, request, &key, true).await {
        return next;
    }
    if let Err(refusal) = context.pushes.admit(&key).await {
        tracing::info!(user = %request.login, refusal = ?refusal, "push refused by the push-fatigue limits");
        return Next::Decided(refusal.decision());
    }
    let Ok(direct) = context.okta.direct() else {
        return Next::reject(Reason::OktaError, messages::UNAVAILABLE);
    };
    let call = direct.challenge(user(request), &mfa_token, Channel::Push);
    let reply = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let answer = match reply.body {
        ChallengeOutcome::Sent(answer) => answer,
        ChallengeOutcome::Refused(refusal)
            if refusal.is_app_problem() || refusal.is(errors::ACCESS_DENIED) =>
        {
            return Next::Decided(refused(request, &refusal));
        }
        ChallengeOutcome::Refused(_) => {
            return menu_again(request, mfa_token, messages::FACTOR_NOT_SET_UP);
        }
    };
    let method = answer.binding_method();
    if let Some(prompt) = prompt_for_push_code(mfa_token.clone(), answer.oob_code.clone(), &method)
    {
        return prompt;
    }
    let number = match method {
        BindingMethod::Transfer => answer.binding_code.clone(),
        _ => None,
    };
    let interval = answer
        .interval
        .map(Duration::from_secs)
        .unwrap_or(DEFAULT_INTERVAL);
    let watch = context.pushes.start_direct(
        context.okta.clone(),
        &key,
        &request.login,
        mfa_token,
        answer.oob_code,
        interval,
        number,
        request.forwarded_for,
        request.client.mfa.push_timeout,
        true,
    );
    push_factor::announce(context, request, &watch).await;
    Next::HoldForPush(Hold {
        watch,
        first: true,
        okta_request_id: reply.request_id,
    })
}

/// Who the push-fatigue limits and the pending push are kept for. Direct
/// Authentication names the user only once a factor is verified, so
/// between a login's password and its push the user id is not known yet:
/// pushes key on the login after the `[users]` rules, case-folded, which
/// every request of the login (and every spelling the rules fold) shares.
fn push_key(request: &Request<'_>) -> UserKey {
    UserKey::of_login(&request.login)
}

/// The user pressed Enter after a push challenge: the outcome if this
/// server or, in a fleet, another replica knows it already; else follow
/// the local poll if this server has one, or take the polling over from
/// the State.
pub(super) async fn follow_up(
    context: &Context,
    request: &Request<'_>,
    mfa_token: SecretString,
    oob_code: SecretString,
    interval: u8,
) -> Next {
    // Okta names the user only once a factor is verified, so a push may be
    // filed under the login or, once another login finished, the user id.
    let key = push_key(request);
    let local = context
        .identities
        .keys(&request.login)
        .as_slice()
        .iter()
        .find_map(|filed| {
            context
                .pushes
                .pending(filed)
                .filter(|watch| watch.is_transaction(&oob_code))
        });
    if let Some(next) = push_factor::known_outcome(context, request, local, &oob_code).await {
        return next;
    }
    let watch = context.pushes.start_direct(
        context.okta.clone(),
        &key,
        &request.login,
        mfa_token,
        oob_code,
        Duration::from_secs(u64::from(interval.max(1))),
        None,
        request.forwarded_for,
        request.client.mfa.push_timeout,
        false,
    );
    Next::HoldForPush(Hold {
        watch,
        first: false,
        okta_request_id: None,
    })
}
