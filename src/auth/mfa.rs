//! The second factor after Okta accepted the password (MFA_REQUIRED):
//! which factors to offer, the numbered menu and the user's answer to it,
//! and the first step of the chosen factor.
//!
//! Only factors RADIUS can carry are offered; a single usable factor is used
//! without a menu; with auto-push, a push goes out right after the password.

use super::context::{Context, Request};
use super::decision::Decision;
use super::factors::{Offer, kind_of, offer_for_code, render_label};
use super::links::link_path;
use super::messages;
use super::next::{Next, Stage};
use super::okta_call::{Purpose, ask};
use super::reason::Reason;
use super::state::Step;
use super::typed::{InlineFactor, MenuAnswer, menu_answer};
use crate::config::FactorKind;
use okta_api::authn::AuthnResponse;
use secrecy::{ExposeSecret, SecretString};
use std::borrow::Cow;

/// The factors of an MFA_REQUIRED answer that this client may offer, in menu order.
fn offers(request: &Request<'_>, body: &AuthnResponse) -> Vec<Offer> {
    let settings = &request.client.mfa;
    let mut offers: Vec<Offer> = body
        .factors()
        .iter()
        .filter_map(|factor| {
            let kind = kind_of(&factor.factor_type)?;
            if !settings.allowed.contains(&kind) || factor.verify_href().is_none() {
                return None;
            }
            let template = settings
                .labels
                .get(&kind)
                .map(String::as_str)
                .unwrap_or("{provider}");
            Some(Offer {
                kind,
                factor: factor.clone(),
                label: render_label(template, factor),
            })
        })
        .collect();
    offers.sort_by_key(|offer| FactorKind::ALL.iter().position(|k| *k == offer.kind));
    offers
}

/// The menu text: a title and one numbered line per factor.
fn menu(request: &Request<'_>, offers: &[Offer]) -> String {
    let mut text = request.client.mfa.menu_title.clone();
    for (i, offer) in offers.iter().enumerate() {
        text.push('\n');
        text.push_str(&format!("{} - {}", i + 1, offer.label));
    }
    text
}

/// Verifies a bare code against the factor it is meant for.
fn verify_code(state_token: SecretString, offer: &Offer, code: SecretString) -> Next {
    let verify_path = offer
        .factor
        .verify_href()
        .map(link_path)
        .unwrap_or_default();
    Next::Run(Stage::VerifyCode {
        state_token,
        verify_path,
        kind: offer.kind,
        tries: 0,
        code,
    })
}

/// Starts the second factor after MFA_REQUIRED.
///
/// Okta's answer (every factor, the user's profile) is let go as soon as the
/// factor is chosen, and only that factor is kept: a login then holds little
/// memory while its push waits.
pub(super) fn begin(
    request: &Request<'_>,
    answer: AuthnResponse,
    inline: Option<InlineFactor>,
) -> Next {
    let Some(state_token) = answer.state_token.clone() else {
        return Next::reject(Reason::OktaStatusUnexpected, messages::NOT_ALLOWED);
    };
    let offers = offers(request, &answer);
    drop(answer);
    let abandon = |state_token, reason, message| Next::Abandon {
        state_token,
        decision: Decision::reject(reason, message),
    };
    if offers.is_empty() {
        return abandon(
            state_token,
            Reason::NoUsableFactor,
            messages::NO_USABLE_FACTOR,
        );
    }
    match inline {
        Some(InlineFactor::Code(code)) => match offer_for_code(&offers, &code) {
            Some(offer) => verify_code(state_token, offer, SecretString::from(code)),
            None => abandon(
                state_token,
                Reason::NoCodeFactor,
                messages::FACTOR_NOT_ALLOWED,
            ),
        },
        Some(InlineFactor::Kind(kind)) => {
            match offers.into_iter().find(|offer| offer.kind == kind) {
                Some(offer) => Next::Run(Stage::StartFactor {
                    state_token,
                    offer: Box::new(offer),
                }),
                None => abandon(
                    state_token,
                    Reason::FactorNotOffered,
                    messages::FACTOR_NOT_ALLOWED,
                ),
            }
        }
        None => {
            let auto_push = request.client.mfa.auto_push
                && offers.iter().any(|offer| offer.kind == FactorKind::Push);
            if auto_push || offers.len() == 1 {
                let chosen = offers
                    .into_iter()
                    .find(|offer| !auto_push || offer.kind == FactorKind::Push);
                return match chosen {
                    Some(offer) => Next::Run(Stage::StartFactor {
                        state_token,
                        offer: Box::new(offer),
                    }),
                    None => Next::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR),
                };
            }
            Next::challenge(
                Reason::ChallengeMenu,
                menu(request, &offers),
                Step::Menu { state_token },
            )
        }
    }
}

/// The user answered the factor menu.
pub(super) async fn menu_choice(
    context: &Context,
    request: &Request<'_>,
    state_token: SecretString,
    typed: SecretString,
) -> Next {
    // The factor list is not in the State: ask Okta for the transaction.
    let call = context
        .okta
        .authn()
        .state(&state_token, request.forwarded_for);
    let current = match ask(request, Purpose::Transaction, call).await {
        Ok(reply) => reply,
        Err(failed) => return failed.into(),
    };
    let mut offers = offers(request, &current.body);
    drop(current);
    let chosen = match menu_answer(typed.expose_secret()) {
        MenuAnswer::Number(n) if n >= 1 && n <= offers.len() => Some(n - 1),
        MenuAnswer::Kind(kind) => offers.iter().position(|offer| offer.kind == kind),
        MenuAnswer::Code(code) => {
            return match offer_for_code(&offers, &code) {
                Some(offer) => verify_code(state_token, offer, SecretString::from(code)),
                None => menu_again(request, state_token, &offers),
            };
        }
        _ => None,
    };
    match chosen {
        Some(index) => Next::Run(Stage::StartFactor {
            state_token,
            offer: Box::new(offers.swap_remove(index)),
        }),
        None => menu_again(request, state_token, &offers),
    }
}

/// The menu again, after an answer that is not one of its choices.
fn menu_again(request: &Request<'_>, state_token: SecretString, offers: &[Offer]) -> Next {
    let text = format!("{}\n{}", messages::MENU_UNKNOWN, menu(request, offers));
    Next::challenge(Reason::ChallengeMenu, text, Step::Menu { state_token })
}

/// The first step of one factor.
pub(super) fn start_factor(state_token: SecretString, offer: Box<Offer>) -> Next {
    let Some(verify_href) = offer.factor.verify_href() else {
        return Next::reject(Reason::FactorNotOffered, messages::FACTOR_NOT_ALLOWED);
    };
    match offer.kind {
        // Only the link is kept while the push waits, not the factor.
        FactorKind::Push => Next::Run(Stage::StartPush {
            state_token,
            verify_href: verify_href.to_owned(),
        }),
        FactorKind::YubiKey => Next::challenge(
            Reason::ChallengeCode,
            messages::ENTER_YUBIKEY,
            code_step(state_token, verify_href, FactorKind::YubiKey),
        ),
        kind if kind.is_passcode() => Next::challenge(
            Reason::ChallengeCode,
            messages::ENTER_CODE,
            code_step(state_token, verify_href, kind),
        ),
        FactorKind::Question => {
            let text = offer
                .factor
                .profile
                .question_text
                .as_deref()
                .unwrap_or("your security question");
            Next::challenge(
                Reason::ChallengeQuestion,
                messages::question(text),
                code_step(state_token, verify_href, FactorKind::Question),
            )
        }
        kind => {
            let profile = &offer.factor.profile;
            let destination = match profile.phone_number.as_ref().or(profile.email.as_ref()) {
                Some(destination) => Cow::Owned(destination.clone()),
                None => Cow::Borrowed("you"),
            };
            Next::Run(Stage::SendCode {
                state_token,
                verify_href: verify_href.to_owned(),
                kind,
                tries: 0,
                destination,
            })
        }
    }
}

/// Where a code for `kind` is verified, before any wrong answer.
fn code_step(state_token: SecretString, verify_href: &str, kind: FactorKind) -> Step {
    Step::Code {
        state_token,
        verify_path: link_path(verify_href),
        kind,
        tries: 0,
    }
}
