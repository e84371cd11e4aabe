//! The second factor after Direct Authentication's `mfa_required`: which
//! factors to offer, the numbered menu and the user's answer to it, and the
//! first step of the chosen factor.
//!
//! Okta's answer names no factor: its `mfa_token` lets the client try the
//! kinds Direct Authentication carries (a code from an authenticator, a
//! push, an SMS, a voice call), and the app's authentication policy decides
//! which of them count. So the menu lists what this client allows among
//! those; a kind the user has not enrolled is refused by Okta when tried,
//! and the menu comes back. Security questions and email are not part of
//! Direct Authentication's second factors and are never offered.

use super::context::Request;
use super::messages;
use super::next::{Next, Stage};
use super::reason::Reason;
use super::state::Step;
use super::typed::{InlineFactor, MenuAnswer, is_yubikey_otp, menu_answer};
use crate::config::FactorKind;
use secrecy::{ExposeSecret, SecretString};

/// A kind of factor Direct Authentication can verify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DirectOffer {
    /// Okta Verify push (`/challenge`, channel push).
    Push,
    /// A code from an authenticator (`mfa-otp`): TOTP, HOTP, token, YubiKey.
    Code,
    /// A code by text message (`/challenge`, channel sms).
    Sms,
    /// A code by voice call (`/challenge`, channel voice).
    Call,
}

impl DirectOffer {
    /// The factor kind whose menu label and limits apply.
    fn kind(self) -> FactorKind {
        match self {
            DirectOffer::Push => FactorKind::Push,
            DirectOffer::Code => FactorKind::Totp,
            DirectOffer::Sms => FactorKind::Sms,
            DirectOffer::Call => FactorKind::Call,
        }
    }

    /// The offer a factor kind typed at the menu (or after the password) means.
    fn of(kind: FactorKind) -> Option<DirectOffer> {
        match kind {
            FactorKind::Push => Some(DirectOffer::Push),
            FactorKind::Sms => Some(DirectOffer::Sms),
            FactorKind::Call => Some(DirectOffer::Call),
            kind if kind.is_passcode() => Some(DirectOffer::Code),
            _ => None,
        }
    }

    fn label(self) -> &'static str {
        match self {
            DirectOffer::Push => "Okta Verify push",
            DirectOffer::Code => "Code from your authenticator app",
            DirectOffer::Sms => "Text message (SMS)",
            DirectOffer::Call => "Voice call",
        }
    }
}

/// What this client offers, in menu order.
fn offers(request: &Request<'_>) -> Vec<DirectOffer> {
    let allowed = &request.client.mfa.allowed;
    let mut offers = Vec::new();
    if allowed.contains(&FactorKind::Push) {
        offers.push(DirectOffer::Push);
    }
    if allowed.iter().any(|kind| kind.is_passcode()) {
        offers.push(DirectOffer::Code);
    }
    if allowed.contains(&FactorKind::Sms) {
        offers.push(DirectOffer::Sms);
    }
    if allowed.contains(&FactorKind::Call) {
        offers.push(DirectOffer::Call);
    }
    offers
}

/// The menu text: a title and one numbered line per offer.
fn menu(request: &Request<'_>, offers: &[DirectOffer]) -> String {
    let mut text = request.client.mfa.menu_title.clone();
    for (i, offer) in offers.iter().enumerate() {
        text.push_str(&format!("\n{} - {}", i + 1, offer.label()));
    }
    text
}

/// Starts the second factor after `mfa_required`.
pub(super) fn begin(
    request: &Request<'_>,
    mfa_token: SecretString,
    inline: Option<InlineFactor>,
) -> Next {
    let offers = offers(request);
    if offers.is_empty() {
        return Next::reject(Reason::NoUsableFactor, messages::NO_USABLE_FACTOR);
    }
    match inline {
        Some(InlineFactor::Code(code)) if offers.contains(&DirectOffer::Code) => {
            code_allowed(request, mfa_token, SecretString::from(code))
        }
        Some(InlineFactor::Code(_)) => {
            Next::reject(Reason::NoCodeFactor, messages::FACTOR_NOT_ALLOWED)
        }
        Some(InlineFactor::Kind(kind)) => match DirectOffer::of(kind) {
            Some(offer) if offers.contains(&offer) => start(mfa_token, offer),
            _ => Next::reject(Reason::FactorNotOffered, messages::FACTOR_NOT_ALLOWED),
        },
        None => {
            let auto_push = request.client.mfa.auto_push && offers.contains(&DirectOffer::Push);
            if auto_push {
                return start(mfa_token, DirectOffer::Push);
            }
            if let [only] = offers.as_slice() {
                return start(mfa_token, *only);
            }
            Next::challenge(
                Reason::ChallengeMenu,
                menu(request, &offers),
                Step::DirectMenu { mfa_token },
            )
        }
    }
}

/// A typed code, checked against what the client allows (a YubiKey OTP
/// only where YubiKeys are allowed).
fn code_allowed(request: &Request<'_>, mfa_token: SecretString, code: SecretString) -> Next {
    let allowed = &request.client.mfa.allowed;
    let yubikey = is_yubikey_otp(code.expose_secret().trim());
    let fits = allowed
        .iter()
        .any(|kind| kind.is_passcode() && ((*kind == FactorKind::YubiKey) == yubikey));
    if !fits {
        return Next::reject(Reason::NoCodeFactor, messages::FACTOR_NOT_ALLOWED);
    }
    Next::Run(Stage::DirectOtp {
        mfa_token,
        tries: 0,
        code,
    })
}

/// The user answered the menu.
pub(super) fn menu_choice(
    request: &Request<'_>,
    mfa_token: SecretString,
    typed: SecretString,
) -> Next {
    let offers = offers(request);
    let chosen = match menu_answer(typed.expose_secret()) {
        MenuAnswer::Number(n) if n >= 1 && n <= offers.len() => Some(offers[n - 1]),
        MenuAnswer::Kind(kind) => DirectOffer::of(kind).filter(|offer| offers.contains(offer)),
        MenuAnswer::Code(code) if offers.contains(&DirectOffer::Code) => {
            return code_allowed(request, mfa_token, SecretString::from(code));
        }
        _ => None,
    };
    match chosen {
        Some(offer) => start(mfa_token, offer),
        None => menu_again(request, mfa_token, messages::MENU_UNKNOWN),
    }
}

/// The menu again, after an answer that is not one of its choices or a
/// factor Okta refused for this user.
pub(super) fn menu_again(request: &Request<'_>, mfa_token: SecretString, why: &str) -> Next {
    let offers = offers(request);
    let text = format!("{why}\n{}", menu(request, &offers));
    Next::challenge(Reason::ChallengeMenu, text, Step::DirectMenu { mfa_token })
}

/// The first step of one factor.
pub(super) fn start(mfa_token: SecretString, offer: DirectOffer) -> Next {
    match offer {
        DirectOffer::Push => Next::Run(Stage::DirectStartPush { mfa_token }),
        DirectOffer::Code => Next::challenge(
            Reason::ChallengeCode,
            messages::ENTER_CODE,
            Step::DirectCode {
                mfa_token,
                tries: 0,
            },
        ),
        DirectOffer::Sms | DirectOffer::Call => Next::Run(Stage::DirectSendCode {
            mfa_token,
            kind: offer.kind(),
            tries: 0,
            resend: false,
            previous: None,
        }),
    }
}
