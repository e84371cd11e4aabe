//! Every text a user reads in a Reply-Message, in one place. NAS dialogs are
//! small: each text is short, says what happened, and says what to do.

use crate::config::FactorKind;

pub(super) const WRONG_PASSWORD: &str = "Wrong user name or password.";
pub(super) const LOCKED_OUT: &str = "Your account is locked. Contact your help desk.";
pub(super) const PASSWORD_EXPIRED: &str =
    "Your password has expired. Change it in Okta, then log in again.";
pub(super) const NOT_ALLOWED: &str = "Okta did not allow this login.";
pub(super) const UNAVAILABLE: &str =
    "The login service is unavailable. Try again in a few minutes.";
pub(super) const ENROLL_FIRST: &str = "Your account needs a second factor. Enrol one in Okta (for example Okta Verify), then log in again.";
pub(super) const NO_USABLE_FACTOR: &str = "None of your Okta factors works with this login. Enrol Okta Verify, an authenticator app or a phone number in Okta.";
pub(super) const SESSION_EXPIRED: &str = "Your login session expired. Log in again.";
pub(super) const STATE_REUSED: &str = "This prompt was already answered. Log in again.";
/// Shown above the menu again (whose title says what to type).
pub(super) const MENU_UNKNOWN: &str = "That is not one of the choices.";
pub(super) const ENTER_CODE: &str = "Enter the code from your authenticator app:";
pub(super) const ENTER_YUBIKEY: &str = "Touch your YubiKey to enter its code:";
pub(super) const WRONG_CODE_RETRY: &str = "Wrong code. Try again:";
pub(super) const WRONG_CODE_FINAL: &str = "Wrong code. Log in again to retry.";
pub(super) const WRONG_ANSWER_RETRY: &str = "Wrong answer. Try again:";
pub(super) const WRONG_ANSWER_FINAL: &str = "Wrong answer. Log in again to retry.";
pub(super) const CODE_REPLAYED: &str =
    "That code was already used. Wait for the next code and enter it:";
pub(super) const FACTOR_LOCKED: &str =
    "Too many wrong codes: your account is locked. Contact your help desk.";
pub(super) const RESEND_TOO_SOON: &str =
    "Wait 30 seconds before asking for another code. Enter the code you received:";
pub(super) const SEND_TOO_SOON: &str = "Okta sends at most one code every 30 seconds, and one was sent moments ago. Enter that code, or wait, then type resend for a new one:";
pub(super) const PUSH_APPROVE: &str =
    "Approve the Okta Verify push on your phone, then press Enter.";
pub(super) const PUSH_STILL_WAITING: &str =
    "Still waiting for your approval in Okta Verify. Approve it, then press Enter.";
pub(super) const PUSH_REJECTED: &str = "The Okta Verify push was rejected.";
pub(super) const PUSH_TIMEOUT: &str =
    "The Okta Verify push was not answered in time. Log in again.";
pub(super) const PUSH_COOLDOWN: &str =
    "A push was rejected a moment ago. Wait a minute before trying again, or use a code.";
pub(super) const PUSH_TOO_MANY: &str = "Too many push requests. Wait a minute, or use a code.";
pub(super) const GROUP_REQUIRED: &str = "Your account is not allowed to use this service.";
pub(super) const FACTOR_NOT_ALLOWED: &str = "That factor cannot be used here.";

/// "Tap 42 in Okta Verify, then press Enter."
pub(super) fn number_challenge(number: &str) -> String {
    format!("Tap {number} in Okta Verify, then press Enter.")
}

/// "Enter the code sent to +1 XXX-XXX-1234 (type resend for a new one):"
pub(super) fn enter_sent_code(destination: &str) -> String {
    format!("Enter the code sent to {destination} (type resend for a new one):")
}

/// After a wrong code, or a wrong answer to a security question: "Wrong
/// answer" there, since nobody types a code into that prompt.
pub(super) fn wrong(kind: FactorKind, last_try: bool) -> &'static str {
    match (kind == FactorKind::Question, last_try) {
        (true, false) => WRONG_ANSWER_RETRY,
        (true, true) => WRONG_ANSWER_FINAL,
        (false, false) => WRONG_CODE_RETRY,
        (false, true) => WRONG_CODE_FINAL,
    }
}

/// "Answer your security question: What is ...?"
pub(super) fn question(text: &str) -> String {
    format!("Answer your security question: {text}")
}

/// "Your password expires in 3 days. Change it in Okta."
pub(super) fn password_warn(days: Option<u32>) -> String {
    match days {
        Some(0) => "Your password expires today. Change it in Okta.".to_owned(),
        Some(1) => "Your password expires tomorrow. Change it in Okta.".to_owned(),
        Some(days) => format!("Your password expires in {days} days. Change it in Okta."),
        None => "Your password expires soon. Change it in Okta.".to_owned(),
    }
}

/// Shown above the menu again (whose title says what to type).
pub(super) const FACTOR_NOT_SET_UP: &str = "That factor is not set up for your account.";
pub(super) const SEND_TOO_SOON_DIRECT: &str = "Okta sends at most one code every 30 seconds, and one was sent moments ago. Wait, then type resend for a new one:";
pub(super) const ENTER_PUSH_CODE: &str = "Enter the code shown in Okta Verify:";
