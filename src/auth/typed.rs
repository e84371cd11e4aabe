//! Reading what a user typed into the one field a NAS gives them: a
//! password with a factor after it (`hunter2,123456`, `hunter2,push`), a
//! menu choice (`1`, `push`), a one-time code, or `resend`.
//!
//! The rules are deliberately narrow so that a password that happens to
//! contain the delimiter still works: the text after the last delimiter is
//! taken as a factor only when it is a well-formed code or a known keyword.

use crate::config::FactorKind;

/// What follows the password in the inline form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InlineFactor {
    /// A one-time code (TOTP, HOTP, token, YubiKey OTP).
    Code(String),
    /// A factor chosen by keyword (`push`, `sms`, ...).
    Kind(FactorKind),
}

/// The factor a word names, as typed at a menu or after the password.
pub(super) fn keyword(word: &str) -> Option<FactorKind> {
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

/// Whether `text` looks like a numeric one-time code (6 to 10 digits).
pub(super) fn is_numeric_code(text: &str) -> bool {
    (6..=10).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_digit())
}

/// Whether `text` is a YubiKey OTP: 32 to 48 modhex characters (Okta's are 44).
pub(super) fn is_yubikey_otp(text: &str) -> bool {
    (32..=48).contains(&text.len()) && text.bytes().all(|b| b"cbdefghijklnrtuv".contains(&b))
}

/// Whether `text` is a one-time code of any kind the bridge accepts.
pub fn is_code(text: &str) -> bool {
    is_numeric_code(text) || is_yubikey_otp(text)
}

/// Splits `password,factor` at the last delimiter when the part after it is a
/// code or a factor keyword. Returns `None` (use the whole text as the
/// password) otherwise, and when the password part would be empty.
pub fn split_inline<'a>(typed: &'a str, delimiter: &str) -> Option<(&'a str, InlineFactor)> {
    if delimiter.is_empty() {
        return None;
    }
    let (password, suffix) = typed.rsplit_once(delimiter)?;
    if password.is_empty() {
        return None;
    }
    let suffix = suffix.trim();
    if is_code(suffix) {
        return Some((password, InlineFactor::Code(suffix.to_owned())));
    }
    // Only the keywords that name a factor unambiguously.
    match suffix.to_ascii_lowercase().as_str() {
        "push" | "sms" | "call" | "voice" | "email" => {
            keyword(suffix).map(|kind| (password, InlineFactor::Kind(kind)))
        }
        _ => None,
    }
}

/// What a user answered at the factor menu.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MenuAnswer {
    /// The number of a menu line (1-based as shown).
    Number(usize),
    /// A factor keyword.
    Kind(FactorKind),
    /// A one-time code typed straight away.
    Code(String),
    /// Anything else.
    Unknown,
}

/// Reads a menu answer. Numbers up to 2 digits are menu lines; longer
/// digit strings are codes.
pub fn menu_answer(typed: &str) -> MenuAnswer {
    let text = typed.trim();
    if !text.is_empty() && text.len() <= 2 && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map(MenuAnswer::Number)
            .unwrap_or(MenuAnswer::Unknown);
    }
    if is_code(text) {
        return MenuAnswer::Code(text.to_owned());
    }
    match keyword(text) {
        Some(kind) => MenuAnswer::Kind(kind),
        None => MenuAnswer::Unknown,
    }
}

/// Whether the user asked for another SMS, call or email.
pub fn is_resend(typed: &str) -> bool {
    typed.trim().eq_ignore_ascii_case("resend")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_codes_and_keywords() {
        assert_eq!(
            split_inline("hunter2,123456", ","),
            Some(("hunter2", InlineFactor::Code("123456".into())))
        );
        assert_eq!(
            split_inline("hunter2,push", ","),
            Some(("hunter2", InlineFactor::Kind(FactorKind::Push)))
        );
        assert_eq!(
            split_inline("hunter2,SMS", ","),
            Some(("hunter2", InlineFactor::Kind(FactorKind::Sms)))
        );
        assert_eq!(
            split_inline("pass:word:98765432", ":"),
            Some(("pass:word", InlineFactor::Code("98765432".into())))
        );
    }

    #[test]
    fn passwords_containing_the_delimiter_stay_whole() {
        assert_eq!(split_inline("bob, with a comma", ","), None);
        assert_eq!(split_inline("a,b,c", ","), None);
        assert_eq!(split_inline("short,12345", ","), None);
        assert_eq!(split_inline(",123456", ","), None);
        assert_eq!(split_inline("no delimiter", ","), None);
        assert_eq!(split_inline("anything,123456", ""), None);
    }

    #[test]
    fn yubikey_otps_are_recognised() {
        let otp = "cccccccbcjdifctrndncchkftchjlnbhvhtugdljibej";
        assert_eq!(otp.len(), 44);
        assert!(is_yubikey_otp(otp));
        assert_eq!(
            split_inline(&format!("pw,{otp}"), ","),
            Some(("pw", InlineFactor::Code(otp.into())))
        );
        assert!(!is_yubikey_otp(
            "ccccccccccccccccccccccccccccccccccccccccccca"
        ));
    }

    #[test]
    fn menu_answers() {
        assert_eq!(menu_answer("2"), MenuAnswer::Number(2));
        assert_eq!(menu_answer(" 12 "), MenuAnswer::Number(12));
        assert_eq!(menu_answer("push"), MenuAnswer::Kind(FactorKind::Push));
        assert_eq!(menu_answer("123456"), MenuAnswer::Code("123456".into()));
        assert_eq!(menu_answer("banana"), MenuAnswer::Unknown);
        assert_eq!(menu_answer(""), MenuAnswer::Unknown);
        assert!(is_resend(" RESEND "));
    }

    #[test]
    fn keywords() {
        assert_eq!(keyword("PUSH"), Some(FactorKind::Push));
        assert_eq!(keyword("code"), Some(FactorKind::Totp));
        assert_eq!(keyword(" sms "), Some(FactorKind::Sms));
        assert_eq!(keyword("123456"), None);
    }
}
