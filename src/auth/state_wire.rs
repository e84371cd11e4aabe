//! The plaintext inside a sealed State, in two compact forms named by the
//! State's version byte: 1 for the steps of the authentication API and of
//! MFA-only mode (a stateToken or user id, a link path, a factor), 2 for
//! the steps of Direct Authentication (an `mfa_token`, an `oob_code`, the
//! poll interval). Versions 3 and 4 are the same forms after the login's
//! audit id (4 bytes, big-endian); 1 and 2 are still opened, so a login in
//! flight across an upgrade goes on. Plain strings while serialised, wiped
//! after use.

use super::step::{Challenge, Step};
use crate::config::FactorKind;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use zeroize::Zeroize;

/// Version byte of the authentication API and MFA-only steps.
pub(super) const AUTHN_FORM: u8 = 1;
/// Version byte of the Direct Authentication steps.
pub(super) const DIRECT_FORM: u8 = 2;
/// The authentication API's form after the login id.
pub(super) const AUTHN_FORM_WITH_ID: u8 = 3;
/// The Direct Authentication form after the login id.
pub(super) const DIRECT_FORM_WITH_ID: u8 = 4;
/// Length of the login id.
const LOGIN_ID_LEN: usize = 4;

/// The serialised form (private: plain strings, wiped after use).
#[derive(Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
struct Sealed {
    expires_at: u64,
    step: u8,
    token: String,
    path: String,
    factor: String,
    kind: u8,
    tries: u8,
}

/// The Direct Authentication form.
#[derive(Serialize, Deserialize, Zeroize)]
#[zeroize(drop)]
struct SealedDirect {
    expires_at: u64,
    step: u8,
    mfa_token: String,
    oob_code: String,
    kind: u8,
    tries: u8,
    interval: u8,
}

/// The version byte and plaintext of a challenge.
pub(super) fn encode(challenge: &Challenge) -> Option<(u8, Vec<u8>)> {
    let mut out = challenge.login_id.to_be_bytes().to_vec();
    if let Some(direct) = to_sealed_direct(challenge) {
        return postcard::to_extend(&direct, out)
            .ok()
            .map(|bytes| (DIRECT_FORM_WITH_ID, bytes));
    }
    let sealed = to_sealed(challenge);
    out = postcard::to_extend(&sealed, out).ok()?;
    Some((AUTHN_FORM_WITH_ID, out))
}

/// The challenge of a plaintext in the form `version` names.
pub(super) fn decode(version: u8, plaintext: &[u8]) -> Option<Challenge> {
    let (login_id, body) = match version {
        AUTHN_FORM | DIRECT_FORM => (0, plaintext),
        AUTHN_FORM_WITH_ID | DIRECT_FORM_WITH_ID => {
            let (id, body) = plaintext.split_at_checked(LOGIN_ID_LEN)?;
            (u32::from_be_bytes(id.try_into().ok()?), body)
        }
        _ => return None,
    };
    let mut challenge = match version {
        AUTHN_FORM | AUTHN_FORM_WITH_ID => {
            from_sealed(&postcard::from_bytes::<Sealed>(body).ok()?)?
        }
        _ => from_sealed_direct(&postcard::from_bytes::<SealedDirect>(body).ok()?)?,
    };
    challenge.login_id = login_id;
    Some(challenge)
}

fn to_sealed_direct(challenge: &Challenge) -> Option<SealedDirect> {
    let mut sealed = SealedDirect {
        expires_at: challenge.expires_at,
        step: 0,
        mfa_token: String::new(),
        oob_code: String::new(),
        kind: 0,
        tries: 0,
        interval: 0,
    };
    match &challenge.step {
        Step::DirectMenu { mfa_token } => {
            sealed.step = 1;
            sealed.mfa_token = mfa_token.expose_secret().to_owned();
        }
        Step::DirectCode { mfa_token, tries } => {
            sealed.step = 2;
            sealed.mfa_token = mfa_token.expose_secret().to_owned();
            sealed.tries = *tries;
        }
        Step::DirectSentCode {
            mfa_token,
            oob_code,
            kind,
            tries,
        } => {
            sealed.step = 3;
            sealed.mfa_token = mfa_token.expose_secret().to_owned();
            sealed.oob_code = oob_code.expose_secret().to_owned();
            sealed.kind = kind_code(*kind);
            sealed.tries = *tries;
        }
        Step::DirectPush {
            mfa_token,
            oob_code,
            interval,
        } => {
            sealed.step = 4;
            sealed.mfa_token = mfa_token.expose_secret().to_owned();
            sealed.oob_code = oob_code.expose_secret().to_owned();
            sealed.interval = *interval;
        }
        _ => return None,
    }
    Some(sealed)
}

fn from_sealed_direct(sealed: &SealedDirect) -> Option<Challenge> {
    let mfa_token = || SecretString::from(sealed.mfa_token.clone());
    let oob_code = || SecretString::from(sealed.oob_code.clone());
    let step = match sealed.step {
        1 => Step::DirectMenu {
            mfa_token: mfa_token(),
        },
        2 => Step::DirectCode {
            mfa_token: mfa_token(),
            tries: sealed.tries,
        },
        3 => Step::DirectSentCode {
            mfa_token: mfa_token(),
            oob_code: oob_code(),
            kind: kind_from_code(sealed.kind)?,
            tries: sealed.tries,
        },
        4 => Step::DirectPush {
            mfa_token: mfa_token(),
            oob_code: oob_code(),
            interval: sealed.interval,
        },
        _ => return None,
    };
    Some(Challenge {
        expires_at: sealed.expires_at,
        login_id: 0,
        step,
    })
}

/// A compact number for a factor kind in a sealed State (never reused).
fn kind_code(kind: FactorKind) -> u8 {
    match kind {
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

fn kind_from_code(code: u8) -> Option<FactorKind> {
    FactorKind::ALL
        .into_iter()
        .find(|kind| kind_code(*kind) == code)
}

fn to_sealed(challenge: &Challenge) -> Sealed {
    let mut sealed = Sealed {
        expires_at: challenge.expires_at,
        step: 0,
        token: String::new(),
        path: String::new(),
        factor: String::new(),
        kind: 0,
        tries: 0,
    };
    match &challenge.step {
        Step::Menu { state_token } => {
            sealed.step = 1;
            sealed.token = state_token.expose_secret().to_owned();
        }
        Step::Code {
            state_token,
            verify_path,
            kind,
            tries,
        } => {
            sealed.step = 2;
            sealed.token = state_token.expose_secret().to_owned();
            sealed.path = verify_path.clone();
            sealed.kind = kind_code(*kind);
            sealed.tries = *tries;
        }
        Step::Push {
            state_token,
            poll_path,
        } => {
            sealed.step = 3;
            sealed.token = state_token.expose_secret().to_owned();
            sealed.path = poll_path.clone();
        }
        Step::MfaOnlyCode {
            user_id,
            factor_id,
            kind,
            tries,
        } => {
            sealed.step = 4;
            sealed.token = user_id.clone();
            sealed.factor = factor_id.clone();
            sealed.kind = kind_code(*kind);
            sealed.tries = *tries;
        }
        Step::MfaOnlyPush { user_id, poll_path } => {
            sealed.step = 5;
            sealed.token = user_id.clone();
            sealed.path = poll_path.clone();
        }
        Step::SendCode {
            state_token,
            verify_path,
            kind,
            tries,
        } => {
            sealed.step = 6;
            sealed.token = state_token.expose_secret().to_owned();
            sealed.path = verify_path.clone();
            sealed.kind = kind_code(*kind);
            sealed.tries = *tries;
        }
        // Sealed in the Direct Authentication form.
        Step::DirectMenu { .. }
        | Step::DirectCode { .. }
        | Step::DirectSentCode { .. }
        | Step::DirectPush { .. } => {}
    }
    sealed
}

fn from_sealed(sealed: &Sealed) -> Option<Challenge> {
    let token = || SecretString::from(sealed.token.clone());
    let step = match sealed.step {
        1 => Step::Menu {
            state_token: token(),
        },
        2 => Step::Code {
            state_token: token(),
            verify_path: sealed.path.clone(),
            kind: kind_from_code(sealed.kind)?,
            tries: sealed.tries,
        },
        3 => Step::Push {
            state_token: token(),
            poll_path: sealed.path.clone(),
        },
        4 => Step::MfaOnlyCode {
            user_id: sealed.token.clone(),
            factor_id: sealed.factor.clone(),
            kind: kind_from_code(sealed.kind)?,
            tries: sealed.tries,
        },
        5 => Step::MfaOnlyPush {
            user_id: sealed.token.clone(),
            poll_path: sealed.path.clone(),
        },
        6 => Step::SendCode {
            state_token: token(),
            verify_path: sealed.path.clone(),
            kind: kind_from_code(sealed.kind)?,
            tries: sealed.tries,
        },
        _ => return None,
    };
    Some(Challenge {
        expires_at: sealed.expires_at,
        login_id: 0,
        step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_factor_kind_has_its_own_code() {
        for kind in FactorKind::ALL {
            assert_eq!(kind_from_code(kind_code(kind)), Some(kind));
        }
    }

    #[test]
    fn direct_steps_use_their_own_form() {
        let challenge = Challenge {
            expires_at: 1,
            login_id: 7,
            step: Step::DirectPush {
                mfa_token: SecretString::from("ftMFA"),
                oob_code: SecretString::from("ftOOB"),
                interval: 6,
            },
        };
        let (version, bytes) = encode(&challenge).expect("encodes");
        assert_eq!(version, DIRECT_FORM_WITH_ID);
        match decode(version, &bytes).map(|c| c.step) {
            Some(Step::DirectPush {
                mfa_token,
                oob_code,
                interval,
            }) => {
                assert_eq!(mfa_token.expose_secret(), "ftMFA");
                assert_eq!(oob_code.expose_secret(), "ftOOB");
                assert_eq!(interval, 6);
            }
            _ => panic!("wrong step"),
        }
        assert!(
            decode(AUTHN_FORM, &bytes).is_none_or(|c| !matches!(c.step, Step::DirectPush { .. }))
        );
    }
}
