//! MFA-only clients: Okta does not check the password (another server did,
//! or the NAS does none), and the password field carries the second factor
//! itself: a one-time code, or `push`, `sms`, `call`, `email`.
//!
//! This is Okta's "Okta performs primary authentication" switched off. There
//! is no authentication transaction, so the user is looked up and the factor
//! verified through the management API with the service-account credentials.

use super::context::{Context, Request};
use super::factors::{Offer, kind_of, offer_for_code, render_label};
use super::links::{link_href, link_path};
use super::messages;
use super::next::{Approval, Named, Next, Profile, Stage};
use super::okta_call::{Purpose, ask};
use super::push::poll_interval;
use super::reason::Reason;
use super::state::Step;
use super::typed;
use crate::config::{FactorKind, PushMode};
use okta_api::authn::FactorResult;
use okta_api::error::codes;
use okta_api::users::{FactorStatus, UserStatus};
use okta_client::UserFactorVerify;
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;
use std::collections::HashMap;
use tokio::time::Instant;

/// Starts an MFA-only login with what the user typed as the password.
pub(super) async fn start(context: &Context, request: &Request<'_>, typed: SecretString) -> Next {
    let typed = typed.expose_secret().trim().to_owned();
    let call = context.okta.users().find(&request.login);
    let user = match ask(request, Purpose::Login, call).await {
        Ok(reply) => reply.body,
        Err(failed) if failed.code() == Some(codes::NOT_FOUND) => {
            return Next::reject(Reason::UnknownUser, messages::WRONG_PASSWORD);
        }
        Err(failed) => return failed.into(),
    };
    if !matches!(
        user.status,
        UserStatus::Active | UserStatus::PasswordExpired
    ) {
        return Next::reject(Reason::UserNotActive, messages::LOCKED_OUT);
    }
    let call = context.okta.users().factors(&user.id);
    let factors = match ask(request, Purpose::Login, call).await {
        Ok(reply) => reply.body,
        Err(failed) => return failed.into(),
    };
    let settings = &request.client.mfa;
    let offers: Vec<Offer> = factors
        .iter()
        .filter(|factor| factor.status == FactorStatus::Active)
        .filter_map(|factor| {
            let kind = kind_of(&factor.factor_type)?;
            if !settings.allowed.contains(&kind) {
                return None;
            }
            let as_factor = factor.as_authn_factor();
            let template = settings
                .labels
                .get(&kind)
                .map(String::as_str)
                .unwrap_or("{provider}");
            Some(Offer {
                kind,
                label: render_label(template, &as_factor),
                factor: as_factor,
            })
        })
        .collect();
    if offers.is_empty() {
        return Next::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR);
    }
    let offer = if typed::is_code(&typed) {
        offer_for_code(&offers, &typed)
    } else {
        typed::keyword(&typed).and_then(|kind| offers.iter().find(|offer| offer.kind == kind))
    };
    let Some(offer) = offer else {
        let kinds: Vec<&str> = offers.iter().map(|o| o.kind.config_name()).collect();
        let text = format!(
            "Type a code from your authenticator, or one of: {}.",
            kinds.join(", ")
        );
        return Next::reject(Reason::MfaOnlyUnknownInput, &text);
    };
    let profile: Profile = user
        .profile_strings()
        .into_iter()
        .map(|(key, value)| (Cow::Owned(key), value))
        .collect();
    let factor = UserFactor {
        user_id: user.id,
        factor_id: offer.factor.id.clone(),
    };
    match offer.kind {
        FactorKind::Push => start_push(context, request, factor, profile).await,
        kind if kind.is_sent() => {
            let verify = UserFactorVerify::default();
            let call = context.okta.users().verify_factor(
                &factor.user_id,
                &factor.factor_id,
                &verify,
                request.forwarded_for,
            );
            match ask(request, Purpose::Transaction, call).await {
                Ok(_) => {
                    let profile = &offer.factor.profile;
                    let destination = profile
                        .phone_number
                        .as_deref()
                        .or(profile.email.as_deref())
                        .unwrap_or("you");
                    Next::challenge(
                        Reason::ChallengeCodeSent,
                        messages::enter_sent_code(destination),
                        Step::MfaOnlyCode {
                            user_id: factor.user_id,
                            factor_id: factor.factor_id,
                            kind,
                            tries: 0,
                        },
                    )
                }
                Err(failed) => failed.into(),
            }
        }
        kind => {
            let code = SecretString::from(typed);
            verify_with_profile(context, request, factor, kind, 0, code, profile).await
        }
    }
}

/// A factor of a user, as the management API names it.
struct UserFactor {
    user_id: String,
    factor_id: String,
}

/// Verifies a code typed in answer to an MFA-only challenge.
pub(super) async fn verify_code(
    context: &Context,
    request: &Request<'_>,
    user_id: String,
    factor_id: String,
    kind: FactorKind,
    tries: u8,
    typed: SecretString,
) -> Next {
    let code = SecretString::from(typed.expose_secret().trim().to_owned());
    let factor = UserFactor { user_id, factor_id };
    verify_with_profile(context, request, factor, kind, tries, code, HashMap::new()).await
}

async fn verify_with_profile(
    context: &Context,
    request: &Request<'_>,
    factor: UserFactor,
    kind: FactorKind,
    tries: u8,
    code: SecretString,
    profile: Profile,
) -> Next {
    let verify = if kind == FactorKind::Question {
        UserFactorVerify {
            answer: Some(&code),
            ..UserFactorVerify::default()
        }
    } else {
        UserFactorVerify {
            pass_code: Some(&code),
            ..UserFactorVerify::default()
        }
    };
    let call = context.okta.users().verify_factor(
        &factor.user_id,
        &factor.factor_id,
        &verify,
        request.forwarded_for,
    );
    let failed = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) if reply.body.factor_result == FactorResult::Success => {
            return Next::Authorize(Approval {
                reason: Reason::MfaOnlyCodeAccepted,
                user: Named::Listed {
                    id: factor.user_id,
                    profile,
                },
                warning: None,
                okta_request_id: reply.request_id,
                groups: None,
            });
        }
        Ok(_) => return Next::reject(Reason::WrongCode, messages::WRONG_CODE_FINAL),
        Err(failed) => failed,
    };
    let prompt = match failed.code() {
        Some(codes::INVALID_PASSCODE) => messages::WRONG_CODE_RETRY,
        Some(codes::PASSCODE_REPLAYED | codes::PASSCODE_OUTSIDE_WINDOW) => messages::CODE_REPLAYED,
        _ => return failed.into(),
    };
    let tries = tries + 1;
    if tries >= request.client.mfa.max_code_attempts {
        return Next::reject(Reason::WrongCode, messages::WRONG_CODE_FINAL);
    }
    Next::challenge(
        Reason::WrongCode,
        prompt,
        Step::MfaOnlyCode {
            user_id: factor.user_id,
            factor_id: factor.factor_id,
            kind,
            tries,
        },
    )
}

/// Sends a push (within the push-fatigue limits), then polls it in wait
/// mode or hands it to the user in challenge mode.
async fn start_push(
    context: &Context,
    request: &Request<'_>,
    factor: UserFactor,
    profile: Profile,
) -> Next {
    let user = context.identities.learn(&request.login, &factor.user_id);
    if let Err(refusal) = context.pushes.admit(&user).await {
        return Next::Decided(refusal.decision());
    }
    let verify = UserFactorVerify::default();
    let call = context.okta.users().verify_factor(
        &factor.user_id,
        &factor.factor_id,
        &verify,
        request.forwarded_for,
    );
    let sent = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let Some(poll_href) = sent.body.poll_href() else {
        return Next::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED);
    };
    let poll_path = link_path(poll_href);
    match request.client.mfa.push_mode {
        PushMode::Wait => Next::Run(Stage::MfaOnlyPoll {
            user_id: factor.user_id,
            poll_path,
            until: request.arrived + request.client.mfa.push_timeout,
            give_up_at_end: true,
            profile,
        }),
        PushMode::Challenge => Next::challenge(
            Reason::ChallengePush,
            messages::PUSH_APPROVE,
            Step::MfaOnlyPush {
                user_id: factor.user_id,
                poll_path,
            },
        ),
    }
}

/// Polls an MFA-only push until `until`; then gives up (cancelling it) or,
/// in challenge mode, asks the user to press Enter again.
pub(super) async fn poll(
    context: &Context,
    request: &Request<'_>,
    user_id: String,
    poll_path: String,
    until: Instant,
    give_up_at_end: bool,
    profile: Profile,
) -> Next {
    let href = link_href(&context.okta, &poll_path);
    let started = Instant::now();
    loop {
        let call = context.okta.users().poll_factor(&href);
        match ask(request, Purpose::PushPoll { until }, call).await {
            Ok(reply) => match reply.body.factor_result {
                FactorResult::Success => {
                    return Next::Authorize(Approval {
                        reason: Reason::MfaOnlyPushApproved,
                        user: Named::Listed {
                            id: user_id,
                            profile,
                        },
                        warning: None,
                        okta_request_id: None,
                        groups: None,
                    });
                }
                FactorResult::Waiting => {}
                FactorResult::Rejected => {
                    let user = context.identities.learn(&request.login, &user_id);
                    context.pushes.note_rejected(&user).await;
                    return Next::reject(Reason::PushRejected, messages::PUSH_REJECTED);
                }
                _ => return Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT),
            },
            Err(failed) if failed.is_late() => break,
            Err(failed) => return failed.into(),
        }
        let pause = poll_interval(started.elapsed());
        if Instant::now() + pause >= until {
            break;
        }
        tokio::time::sleep(pause).await;
    }
    if give_up_at_end {
        let _ = context.okta.users().cancel_factor(&href).await;
        return Next::reject(Reason::PushTimeout, messages::PUSH_TIMEOUT);
    }
    Next::challenge(
        Reason::ChallengePush,
        messages::PUSH_STILL_WAITING,
        Step::MfaOnlyPush { user_id, poll_path },
    )
}
