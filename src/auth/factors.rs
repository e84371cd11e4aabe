//! Which Okta factors the bridge's factor kinds serve, and how a factor of
//! the user is offered: its menu label, and which one a bare code is for.
//!
//! WebAuthn, U2F and Duo's web prompt need a browser and are never offered.

use super::typed::is_yubikey_otp;
use crate::config::FactorKind;
use okta_api::authn::{Factor, FactorProvider, FactorType};

/// The kind of an Okta factor, or `None` when RADIUS cannot serve it.
pub(super) fn kind_of(factor_type: &FactorType) -> Option<FactorKind> {
    Some(match factor_type {
        FactorType::Push => FactorKind::Push,
        FactorType::TokenSoftwareTotp => FactorKind::Totp,
        FactorType::TokenHotp => FactorKind::Hotp,
        FactorType::Token => FactorKind::Token,
        FactorType::TokenHardware => FactorKind::YubiKey,
        FactorType::Sms => FactorKind::Sms,
        FactorType::Call => FactorKind::Call,
        FactorType::Email => FactorKind::Email,
        FactorType::Question => FactorKind::Question,
        _ => return None,
    })
}

/// A factor of the user that the bridge may offer, with its menu label.
#[derive(Debug, Clone)]
pub(super) struct Offer {
    pub(super) kind: FactorKind,
    pub(super) factor: Factor,
    pub(super) label: String,
}

/// Fills a label template from the factor's profile.
pub(super) fn render_label(template: &str, factor: &Factor) -> String {
    let provider = match &factor.provider {
        FactorProvider::Google => "Google Authenticator",
        FactorProvider::Okta => "Okta Verify",
        FactorProvider::Rsa => "RSA SecurID",
        FactorProvider::Symantec => "Symantec VIP",
        FactorProvider::Yubico => "YubiKey",
        _ => "Authenticator",
    };
    template
        .replace(
            "{phone}",
            factor
                .profile
                .phone_number
                .as_deref()
                .unwrap_or("your phone"),
        )
        .replace(
            "{email}",
            factor.profile.email.as_deref().unwrap_or("your address"),
        )
        .replace("{provider}", provider)
}

/// Picks, among the offers, the one a bare one-time code is meant for:
/// a YubiKey OTP by its shape, otherwise the first code factor in menu order.
pub(super) fn offer_for_code<'a>(offers: &'a [Offer], code: &str) -> Option<&'a Offer> {
    if is_yubikey_otp(code) {
        return offers
            .iter()
            .find(|offer| offer.kind == FactorKind::YubiKey);
    }
    offers
        .iter()
        .find(|offer| offer.kind.is_passcode() && offer.kind != FactorKind::YubiKey)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browser_factors_are_not_served() {
        assert_eq!(kind_of(&FactorType::Webauthn), None);
        assert_eq!(kind_of(&FactorType::U2f), None);
        assert_eq!(kind_of(&FactorType::Web), None);
        assert_eq!(kind_of(&FactorType::Push), Some(FactorKind::Push));
    }
}
