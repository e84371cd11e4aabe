//! The second factors a RADIUS login can use, as an administrator names them
//! in `allowed_factors` and `[mfa.labels]`, with their default menu labels.
//!
//! RADIUS can carry only what fits in a password field and a Reply-Message:
//! a push to a phone, a one-time code, or the answer to a question.
//! WebAuthn, U2F and Duo's web prompt need a browser and have no kind here.
//! Which Okta factor each kind serves is the login conversation's business
//! (`crate::auth::factors`).

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

    /// The menu label when the config gives none; `{phone}`, `{email}` and
    /// `{provider}` are filled in from the factor's profile.
    pub fn default_label(self) -> &'static str {
        match self {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_names_round_trip() {
        for kind in FactorKind::ALL {
            assert_eq!(FactorKind::from_config_name(kind.config_name()), Some(kind));
        }
        assert_eq!(FactorKind::from_config_name("webauthn"), None);
    }
}
