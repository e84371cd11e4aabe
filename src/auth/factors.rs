//! The second factors a RADIUS login can use, how they are named in menus
//! and in what users type, and which Okta factors they correspond to.
//!
//! RADIUS can carry only what fits in a password field and a Reply-Message:
//! a push to a phone, a one-time code, or the answer to a question.
//! WebAuthn, U2F and Duo's web prompt need a browser and are never offered.

use okta_api::authn::{Factor, FactorProvider, FactorType};

/// A factor the bridge can serve over RADIUS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FactorKind {
    Push,
    Totp,
    Hotp,
    /// RSA SecurID or Symantec VIP (`token`).
    Token,
    YubiKey,
    Sms,
    Call,
    Email,
    Question,
}

impl FactorKind {
    /// Every kind, in the order menus list them.
    pub const ALL: [FactorKind; 9] = [
        FactorKind::Push,
        FactorKind::Totp,
        FactorKind::Hotp,
        FactorKind::Token,
        FactorKind::YubiKey,
        FactorKind::Sms,
        FactorKind::Call,
        FactorKind::Email,
        FactorKind::Question,
    ];

    /// The kind of an Okta factor, or `None` when RADIUS cannot serve it.
    pub fn of(factor_type: &FactorType) -> Option<FactorKind> {
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

    /// The name used in the config (`allowed_factors`, `[mfa.labels]`).
    pub fn config_name(self) -> &'static str {
        match self {
            FactorKind::Push => "push",
            FactorKind::Totp => "totp",
            FactorKind::Hotp => "hotp",
            FactorKind::Token => "token",
            FactorKind::YubiKey => "yubikey",
            FactorKind::Sms => "sms",
            FactorKind::Call => "call",
            FactorKind::Email => "email",
            FactorKind::Question => "question",
        }
    }

    pub fn from_config_name(name: &str) -> Option<FactorKind> {
        FactorKind::ALL
            .into_iter()
            .find(|kind| kind.config_name() == name)
    }

    /// A compact number for the sealed State.
    pub fn code(self) -> u8 {
        match self {
            FactorKind::Push => 1,
            FactorKind::Totp => 2,
            FactorKind::Hotp => 3,
            FactorKind::Token => 4,
            FactorKind::YubiKey => 5,
            FactorKind::Sms => 6,
            FactorKind::Call => 7,
            FactorKind::Email => 8,
            FactorKind::Question => 9,
        }
    }

    pub fn from_code(code: u8) -> Option<FactorKind> {
        FactorKind::ALL.into_iter().find(|kind| kind.code() == code)
    }

    /// Whether the user types a code the authenticator shows (no send step).
    pub fn is_passcode(self) -> bool {
        matches!(
            self,
            FactorKind::Totp | FactorKind::Hotp | FactorKind::Token | FactorKind::YubiKey
        )
    }

    /// Whether Okta sends the code first (SMS, call, email).
    pub fn is_sent(self) -> bool {
        matches!(self, FactorKind::Sms | FactorKind::Call | FactorKind::Email)
    }

    /// What the user types at a menu or after the password to pick this kind.
    pub fn from_keyword(word: &str) -> Option<FactorKind> {
        Some(match word.trim().to_ascii_lowercase().as_str() {
            "push" => FactorKind::Push,
            "code" | "totp" | "otp" => FactorKind::Totp,
            "hotp" => FactorKind::Hotp,
            "token" | "rsa" | "securid" | "vip" => FactorKind::Token,
            "yubikey" | "yubico" => FactorKind::YubiKey,
            "sms" | "text" => FactorKind::Sms,
            "call" | "voice" | "phone" => FactorKind::Call,
            "email" | "mail" => FactorKind::Email,
            "question" => FactorKind::Question,
            _ => return None,
        })
    }
}

/// A factor of the user that the bridge may offer, with its menu label.
#[derive(Debug, Clone)]
pub struct Offer {
    pub kind: FactorKind,
    pub factor: Factor,
    pub label: String,
}

/// The default menu label of a factor; `{phone}`, `{email}` and `{provider}`
/// in a configured label are filled in from the factor's profile.
pub fn default_label(kind: FactorKind) -> &'static str {
    match kind {
        FactorKind::Push => "Okta Verify push",
        FactorKind::Totp => "{provider} code",
        FactorKind::Hotp => "Hardware token code",
        FactorKind::Token => "{provider} code",
        FactorKind::YubiKey => "YubiKey",
        FactorKind::Sms => "SMS to {phone}",
        FactorKind::Call => "Voice call to {phone}",
        FactorKind::Email => "Email to {email}",
        FactorKind::Question => "Security question",
    }
}

/// Fills a label template from the factor's profile.
pub fn render_label(template: &str, factor: &Factor) -> String {
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
pub fn offer_for_code<'a>(offers: &'a [Offer], code: &str) -> Option<&'a Offer> {
    if super::typed::is_yubikey_otp(code) {
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
    fn keywords_and_config_names() {
        assert_eq!(FactorKind::from_keyword("PUSH"), Some(FactorKind::Push));
        assert_eq!(FactorKind::from_keyword("code"), Some(FactorKind::Totp));
        assert_eq!(FactorKind::from_keyword(" sms "), Some(FactorKind::Sms));
        assert_eq!(FactorKind::from_keyword("123456"), None);
        for kind in FactorKind::ALL {
            assert_eq!(FactorKind::from_config_name(kind.config_name()), Some(kind));
            assert_eq!(FactorKind::from_code(kind.code()), Some(kind));
        }
    }

    #[test]
    fn browser_factors_are_not_served() {
        assert_eq!(FactorKind::of(&FactorType::Webauthn), None);
        assert_eq!(FactorKind::of(&FactorType::U2f), None);
        assert_eq!(FactorKind::of(&FactorType::Web), None);
        assert_eq!(FactorKind::of(&FactorType::Push), Some(FactorKind::Push));
    }
}
