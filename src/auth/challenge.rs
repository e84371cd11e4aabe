//! The answer to an Access-Challenge: the NAS sends the user's reply in
//! User-Password together with the State it received. The State is opened
//! (it must come from this client, for this user, unexpired and unused) and
//! the login continues where it stopped: a menu choice, a code, a push.
//!
//! Any replica holding the same State key can continue the login: what is
//! not in the State is asked of Okta again (the factor list, a push's status).

use super::access_request::RequestProblem;
use super::deadline;
use super::factors::offer_for_code;
use super::reason::Reason;
use super::state::{Binding, StateError, Step};
use super::typed::{self, MenuAnswer};
use super::{Authenticator, Decision, Request, direct, failure, messages, mfa};
use okta_client::client::FactorVerify;
use okta_client::error::codes;
use radius_proto::attribute::types;
use radius_proto::crypto::reveal_user_password;
use radius_proto::packet::Packet;
use secrecy::SecretString;
use std::time::SystemTime;

/// Continues a login from an Access-Request that carries a State.
pub async fn answer(
    auth: &Authenticator,
    request: &Request<'_>,
    packet: &Packet,
    state: &[u8],
) -> Decision {
    let binding = Binding {
        client: &request.client.name,
        user_name: &request.user_name,
    };
    let opened = auth
        .state_keys
        .get()
        .open(state, &binding, SystemTime::now());
    let (challenge, id) = match opened {
        Ok(opened) => opened,
        Err(StateError::Expired) => {
            return Decision::reject(Reason::StateExpired, messages::SESSION_EXPIRED);
        }
        Err(_) => return Decision::reject(Reason::StateInvalid, messages::SESSION_EXPIRED),
    };
    if !auth.use_state(id, challenge.expires_at) {
        return Decision::reject(Reason::StateReused, messages::STATE_REUSED);
    }
    let typed = match typed_answer(packet, request.client.secret_bytes()) {
        Some(typed) => typed,
        None => {
            return Decision::reject(
                Reason::Request(RequestProblem::PasswordMalformed),
                "The answer could not be read.",
            );
        }
    };
    match challenge.step {
        Step::Menu { state_token } => {
            Box::pin(menu_choice(auth, request, &state_token, &typed)).await
        }
        Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        } => {
            if kind.is_sent() && typed::is_resend(&typed) {
                return resend(auth, request, &state_token, &verify_path, kind, tries).await;
            }
            let code = SecretString::from(typed.trim().to_owned());
            mfa::verify_code(
                auth,
                request,
                &state_token,
                &verify_path,
                kind,
                tries,
                &code,
            )
            .await
        }
        Step::Push {
            state_token,
            poll_path,
        } => Box::pin(push_follow_up(auth, request, &state_token, &poll_path)).await,
        Step::DirectCode {
            user_id,
            factor_id,
            kind,
            tries,
        } => {
            Box::pin(direct::verify_code(
                auth, request, &user_id, &factor_id, kind, tries, &typed,
            ))
            .await
        }
        Step::DirectPush { user_id, poll_path } => {
            Box::pin(direct::push_follow_up(auth, request, &user_id, &poll_path)).await
        }
        Step::SendCode {
            state_token,
            verify_path,
            kind,
            tries,
        } => {
            if typed::is_resend(&typed) {
                let href = mfa::link_href(auth, &verify_path);
                return Box::pin(mfa::send_code(
                    auth,
                    request,
                    &state_token,
                    &href,
                    kind,
                    tries,
                    "you",
                ))
                .await;
            }
            let code = SecretString::from(typed.trim().to_owned());
            mfa::verify_code(
                auth,
                request,
                &state_token,
                &verify_path,
                kind,
                tries,
                &code,
            )
            .await
        }
    }
}

/// What the user typed in reply to the prompt (sent as User-Password).
/// An empty answer (the user pressed Enter) is allowed.
fn typed_answer(packet: &Packet, secret: &[u8]) -> Option<String> {
    let Some(hidden) = packet.first(types::USER_PASSWORD) else {
        return Some(String::new());
    };
    let revealed = reveal_user_password(hidden, secret, packet.authenticator()).ok()?;
    String::from_utf8(revealed.to_vec()).ok()
}

/// The user answered the factor menu.
async fn menu_choice(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    typed: &str,
) -> Decision {
    // The factor list is not in the State: ask Okta for the transaction.
    let current = match deadline::within(
        request.deadline,
        auth.okta.authn_state(state_token, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => {
            return failure::decide_step_failure(&error, request.client.on_okta_failure);
        }
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let mut offers = mfa::offers(request, &current.body);
    drop(current);
    let chosen = match typed::menu_answer(typed) {
        MenuAnswer::Number(n) if n >= 1 && n <= offers.len() => Some(n - 1),
        MenuAnswer::Kind(kind) => offers.iter().position(|offer| offer.kind == kind),
        MenuAnswer::Code(code) => {
            return match offer_for_code(&offers, &code) {
                Some(offer) => {
                    let path = offer
                        .factor
                        .verify_href()
                        .map(mfa::link_path)
                        .unwrap_or_default();
                    mfa::verify_code(
                        auth,
                        request,
                        state_token,
                        &path,
                        offer.kind,
                        0,
                        &SecretString::from(code),
                    )
                    .await
                }
                None => menu_again(auth, request, state_token, &offers),
            };
        }
        _ => None,
    };
    match chosen {
        Some(index) => {
            let offer = offers.swap_remove(index);
            drop(offers);
            Box::pin(mfa::start_factor(auth, request, state_token, offer)).await
        }
        None => menu_again(auth, request, state_token, &offers),
    }
}

fn menu_again(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    offers: &[super::factors::Offer],
) -> Decision {
    let text = format!("{}\n{}", messages::MENU_UNKNOWN, mfa::menu(request, offers));
    auth.challenge(
        request,
        Reason::ChallengeMenu,
        &text,
        Step::Menu {
            state_token: state_token.clone(),
        },
    )
}

/// The user asked for another SMS, call or email.
async fn resend(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    verify_path: &str,
    kind: crate::config::FactorKind,
    tries: u8,
) -> Decision {
    let href = format!("{}/resend", mfa::link_href(auth, verify_path));
    let step = Step::Code {
        state_token: state_token.clone(),
        verify_path: verify_path.to_owned(),
        kind,
        tries,
    };
    match deadline::within(
        request.deadline,
        auth.okta
            .resend_factor(&href, state_token, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(_)) => auth.challenge(
            request,
            Reason::ChallengeCodeResent,
            &messages::enter_sent_code("you again"),
            step,
        ),
        Ok(Err(error)) if mfa::is_resend_too_soon(&error) => auth.challenge(
            request,
            Reason::ResendTooSoon,
            messages::RESEND_TOO_SOON,
            step,
        ),
        // The transaction is not waiting for a code (none was sent in it,
        // e.g. a wrong code typed after Okta refused to send one so soon):
        // send the first one instead.
        Ok(Err(error)) if error.code() == Some(codes::ILLEGAL_STATE) => {
            let href = mfa::link_href(auth, verify_path);
            Box::pin(mfa::send_code(
                auth,
                request,
                state_token,
                &href,
                kind,
                tries,
                "you",
            ))
            .await
        }
        Ok(Err(error)) => failure::decide_step_failure(&error, request.client.on_okta_failure),
        Err(_) => failure::decide_timeout(request.client.on_okta_failure),
    }
}

/// The user pressed Enter after a push prompt: use the local poll if this
/// server has one, or take the polling over (another replica sent the push).
async fn push_follow_up(
    auth: &Authenticator,
    request: &Request<'_>,
    state_token: &SecretString,
    poll_path: &str,
) -> Decision {
    let user = auth.identities.key(&request.login);
    if let Some(watch) = auth.pushes.pending(&user)
        && watch.is_transaction(state_token)
    {
        return Box::pin(mfa::answer_push(
            auth,
            request,
            &watch,
            request.client.mfa.push_mode,
            false,
        ))
        .await;
    }
    let href = mfa::link_href(auth, poll_path);
    let verify = FactorVerify {
        state_token,
        pass_code: None,
        answer: None,
    };
    let first = match deadline::within(
        request.deadline,
        auth.okta
            .verify_factor(&href, &verify, request.forwarded_for),
    )
    .await
    {
        Ok(Ok(reply)) => reply,
        Ok(Err(error)) => {
            return failure::decide_step_failure(&error, request.client.on_okta_failure);
        }
        Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
    };
    let settings = &request.client.mfa;
    let watch = auth.pushes.start(
        auth.okta.clone(),
        &user,
        &request.login,
        state_token.clone(),
        href,
        &first.body,
        request.forwarded_for,
        settings.push_timeout,
    );
    Box::pin(mfa::answer_push(
        auth,
        request,
        &watch,
        settings.push_mode,
        false,
    ))
    .await
}
