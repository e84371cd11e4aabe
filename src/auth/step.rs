//! Where a login stands between two Access-Requests: the step a sealed
//! State carries ([`Step`]), with its expiry ([`Challenge`]). Steps of the
//! authentication API carry Okta's stateToken; steps of Direct
//! Authentication carry the `mfa_token` (and a challenge's `oob_code`);
//! MFA-only steps carry the user id. `Debug` never shows a token.

use crate::config::FactorKind;
use secrecy::SecretString;

/// Where a login stands, between two Access-Requests.
#[derive(Clone)]
pub enum Step {
    /// The factor menu was shown.
    Menu { state_token: SecretString },
    /// A code was asked for (OTP, SMS, call, email, question answer).
    Code {
        state_token: SecretString,
        /// Path of the factor's verify link, relative to the org.
        verify_path: String,
        kind: FactorKind,
        /// Wrong answers so far.
        tries: u8,
    },
    /// A push was sent and is being polled.
    Push {
        state_token: SecretString,
        /// Path of the poll link, relative to the org.
        poll_path: String,
    },
    /// MFA-only mode: a code was asked for a factor of the user.
    MfaOnlyCode {
        user_id: String,
        factor_id: String,
        kind: FactorKind,
        tries: u8,
    },
    /// MFA-only mode: a push transaction is being polled.
    MfaOnlyPush { user_id: String, poll_path: String },
    /// Okta refused to send an SMS, call or email code so soon after the
    /// last one, so none was sent in this transaction: `resend` sends the
    /// first one (a verify without a code), a typed code is verified.
    SendCode {
        state_token: SecretString,
        /// Path of the factor's verify link, relative to the org.
        verify_path: String,
        kind: FactorKind,
        tries: u8,
    },
    /// Direct Authentication: the factor menu was shown.
    DirectMenu { mfa_token: SecretString },
    /// Direct Authentication: a code from an authenticator was asked for.
    DirectCode { mfa_token: SecretString, tries: u8 },
    /// Direct Authentication: a code was sent (SMS, voice) or is shown by
    /// Okta Verify (`binding_method` prompt), and is asked for.
    DirectSentCode {
        mfa_token: SecretString,
        oob_code: SecretString,
        kind: FactorKind,
        tries: u8,
    },
    /// Direct Authentication: a push waits for approval.
    DirectPush {
        mfa_token: SecretString,
        oob_code: SecretString,
        /// Seconds between polls, as Okta last asked (`interval`, `slow_down`).
        interval: u8,
    },
}

/// What a State carries.
#[derive(Clone)]
pub struct Challenge {
    /// When the State stops being accepted (Unix seconds).
    pub expires_at: u64,
    /// The login's id in the audit log, the same in every round of it
    /// (0 in States sealed before it was carried).
    pub login_id: u32,
    pub step: Step,
}

impl std::fmt::Debug for Challenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let step = match &self.step {
            Step::Menu { .. } => "menu",
            Step::Code { .. } => "code",
            Step::Push { .. } => "push",
            Step::MfaOnlyCode { .. } => "mfa-only-code",
            Step::MfaOnlyPush { .. } => "mfa-only-push",
            Step::SendCode { .. } => "send-code",
            Step::DirectMenu { .. } => "direct-menu",
            Step::DirectCode { .. } => "direct-code",
            Step::DirectSentCode { .. } => "direct-sent-code",
            Step::DirectPush { .. } => "direct-push",
        };
        f.debug_struct("Challenge")
            .field("expires_at", &self.expires_at)
            .field("login_id", &self.login_id)
            .field("step", &step)
            .finish()
    }
}
