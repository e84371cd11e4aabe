//! The RADIUS `State` of an Access-Challenge, sealed so that any replica can
//! continue the login and nobody else can read or forge it.
//!
//! Everything the next step needs (the Okta stateToken, the factor being
//! verified, the expiry) travels inside the State, encrypted and
//! authenticated with XChaCha20-Poly1305 under a key shared by the replicas.
//! The client's name and the typed User-Name are bound in as associated data,
//! so a State answered by another NAS or for another user does not open; the
//! login is not stored (it follows from the User-Name), which keeps room for
//! long stateTokens within the 253 bytes of one attribute.
//!
//! Wire format: version byte (1), 24-byte random nonce, ciphertext with tag.
//! The nonce doubles as the State's identity for single use.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroize;

use crate::config::FactorKind;

/// Format version carried in the first byte.
const VERSION: u8 = 1;
/// Length of the XChaCha20 nonce.
const NONCE_LEN: usize = 24;
/// The largest State RADIUS can carry in one attribute.
const MAX_STATE_LEN: usize = 253;
/// Associated-data prefix, so a sealed value from another purpose never opens here.
const AAD_LABEL: &[u8] = b"okta-radius state v1\0";

/// The identity of one sealed State (its nonce).
pub type StateId = [u8; NONCE_LEN];

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
}

/// What a State carries.
#[derive(Clone)]
pub struct Challenge {
    /// When the State stops being accepted (Unix seconds).
    pub expires_at: u64,
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
        };
        f.debug_struct("Challenge")
            .field("expires_at", &self.expires_at)
            .field("step", &step)
            .finish()
    }
}

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

/// What the State is bound to.
pub struct Binding<'a> {
    pub client: &'a str,
    pub user_name: &'a str,
}

impl Binding<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut aad =
            Vec::with_capacity(AAD_LABEL.len() + self.client.len() + self.user_name.len() + 1);
        aad.extend_from_slice(AAD_LABEL);
        aad.extend_from_slice(self.client.as_bytes());
        aad.push(0);
        aad.extend_from_slice(self.user_name.as_bytes());
        aad
    }
}

/// Why a State could not be sealed or opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    #[error(
        "the State does not open: forged, from another server key, another client or another user"
    )]
    Invalid,
    #[error("the State has expired")]
    Expired,
    #[error("the sealed State would be longer than 253 bytes")]
    TooLong,
}

/// The key that seals States. Replicas that share it can continue each
/// other's logins.
#[derive(Clone)]
pub struct StateKey {
    cipher: XChaCha20Poly1305,
}

impl StateKey {
    /// A key from 32 bytes.
    pub fn from_bytes(bytes: &[u8; 32]) -> StateKey {
        StateKey {
            cipher: XChaCha20Poly1305::new(bytes.into()),
        }
    }

    /// A key from 64 hexadecimal digits (as written in a key file).
    pub(super) fn from_hex(text: &str) -> Option<StateKey> {
        let mut bytes = hex::decode(text.trim()).ok()?;
        let key: [u8; 32] = bytes.as_slice().try_into().ok()?;
        bytes.zeroize();
        Some(StateKey::from_bytes(&key))
    }

    /// A fresh random key (States then do not survive a restart).
    pub(super) fn generate() -> StateKey {
        let mut bytes = [0u8; 32];
        rand::fill(&mut bytes[..]);
        let key = StateKey::from_bytes(&bytes);
        bytes.zeroize();
        key
    }

    /// Seals a challenge. Returns the State bytes and their identity.
    pub fn seal(
        &self,
        challenge: &Challenge,
        binding: &Binding<'_>,
    ) -> Result<(Vec<u8>, StateId), StateError> {
        let sealed = to_sealed(challenge);
        let plaintext = postcard::to_allocvec(&sealed).map_err(|_| StateError::TooLong)?;
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let aad = binding.aad();
        let ciphertext = self
            .cipher
            .encrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &plaintext,
                    aad: &aad,
                },
            )
            .map_err(|_| StateError::TooLong)?;
        let mut plaintext = plaintext;
        plaintext.zeroize();
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(VERSION);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        if out.len() > MAX_STATE_LEN {
            return Err(StateError::TooLong);
        }
        Ok((out, nonce))
    }

    /// Opens a State received from `binding`'s client and user.
    pub fn open(
        &self,
        state: &[u8],
        binding: &Binding<'_>,
        now: SystemTime,
    ) -> Result<(Challenge, StateId), StateError> {
        if state.len() < 1 + NONCE_LEN + 16 || state[0] != VERSION {
            return Err(StateError::Invalid);
        }
        let nonce: StateId = state[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| StateError::Invalid)?;
        let aad = binding.aad();
        let mut plaintext = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &state[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| StateError::Invalid)?;
        let sealed: Result<Sealed, _> = postcard::from_bytes(&plaintext);
        plaintext.zeroize();
        let sealed = sealed.map_err(|_| StateError::Invalid)?;
        let challenge = from_sealed(&sealed).ok_or(StateError::Invalid)?;
        if unix_seconds(now) >= challenge.expires_at {
            return Err(StateError::Expired);
        }
        Ok((challenge, nonce))
    }
}

/// Seconds since the Unix epoch.
pub(super) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
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
        step,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn challenge() -> Challenge {
        Challenge {
            expires_at: unix_seconds(SystemTime::now()) + 300,
            step: Step::Code {
                state_token: SecretString::from("00Xy7-a-state-token-of-forty-two-chars-abc"),
                verify_path: "/api/v1/authn/factors/ostf1a2b3c4d5e6f7g8h/verify".to_owned(),
                kind: FactorKind::Totp,
                tries: 1,
            },
        }
    }

    const BINDING: Binding<'static> = Binding {
        client: "vpn",
        user_name: "alice",
    };

    #[test]
    fn seals_and_opens() {
        let key = StateKey::generate();
        let (state, id) = key.seal(&challenge(), &BINDING).expect("fits");
        assert!(state.len() <= 253, "{}", state.len());
        let (opened, opened_id) = key
            .open(&state, &BINDING, SystemTime::now())
            .expect("opens");
        assert_eq!(id, opened_id);
        match opened.step {
            Step::Code {
                state_token,
                kind,
                tries,
                verify_path,
            } => {
                assert_eq!(
                    state_token.expose_secret(),
                    "00Xy7-a-state-token-of-forty-two-chars-abc"
                );
                assert_eq!(kind, FactorKind::Totp);
                assert_eq!(tries, 1);
                assert!(verify_path.ends_with("/verify"));
            }
            _ => panic!("wrong step"),
        }
    }

    #[test]
    fn the_state_token_is_not_visible_in_the_state() {
        let key = StateKey::generate();
        let (state, _) = key.seal(&challenge(), &BINDING).expect("fits");
        let text = String::from_utf8_lossy(&state);
        assert!(!text.contains("state-token"));
        assert!(!text.contains("alice"));
    }

    #[test]
    fn binding_key_expiry_and_tampering_are_enforced() {
        let key = StateKey::generate();
        let (state, _) = key.seal(&challenge(), &BINDING).expect("fits");
        let other_user = Binding {
            client: "vpn",
            user_name: "mallory",
        };
        assert_eq!(
            key.open(&state, &other_user, SystemTime::now()).err(),
            Some(StateError::Invalid)
        );
        let other_client = Binding {
            client: "wifi",
            user_name: "alice",
        };
        assert_eq!(
            key.open(&state, &other_client, SystemTime::now()).err(),
            Some(StateError::Invalid)
        );
        assert_eq!(
            StateKey::generate()
                .open(&state, &BINDING, SystemTime::now())
                .err(),
            Some(StateError::Invalid)
        );
        let mut tampered = state.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            key.open(&tampered, &BINDING, SystemTime::now()).err(),
            Some(StateError::Invalid)
        );
        let later = SystemTime::now() + Duration::from_secs(301);
        assert_eq!(
            key.open(&state, &BINDING, later).err(),
            Some(StateError::Expired)
        );
        assert_eq!(
            key.open(&[1, 2, 3], &BINDING, SystemTime::now()).err(),
            Some(StateError::Invalid)
        );
    }

    #[test]
    fn a_shared_hex_key_opens_on_another_instance() {
        let hex_key = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let one = StateKey::from_hex(hex_key).expect("valid");
        let two = StateKey::from_hex(hex_key).expect("valid");
        let (state, _) = one.seal(&challenge(), &BINDING).expect("fits");
        assert!(two.open(&state, &BINDING, SystemTime::now()).is_ok());
        assert!(StateKey::from_hex("abcd").is_none());
    }

    #[test]
    fn long_state_tokens_still_fit_one_attribute() {
        let key = StateKey::generate();
        let challenge = Challenge {
            expires_at: unix_seconds(SystemTime::now()) + 300,
            step: Step::Push {
                state_token: SecretString::from("0".repeat(120)),
                poll_path: format!("/api/v1/authn/factors/{}/verify", "f".repeat(20)),
            },
        };
        let (state, _) = key.seal(&challenge, &BINDING).expect("fits");
        assert!(state.len() <= 253);
        let too_long = Challenge {
            expires_at: challenge.expires_at,
            step: Step::Menu {
                state_token: SecretString::from("0".repeat(240)),
            },
        };
        assert_eq!(
            key.seal(&too_long, &BINDING).err(),
            Some(StateError::TooLong)
        );
    }

    #[test]
    fn every_factor_kind_has_its_own_code() {
        for kind in FactorKind::ALL {
            assert_eq!(kind_from_code(kind_code(kind)), Some(kind));
        }
    }

    #[test]
    fn every_state_is_different() {
        let key = StateKey::generate();
        let (a, _) = key.seal(&challenge(), &BINDING).expect("fits");
        let (b, _) = key.seal(&challenge(), &BINDING).expect("fits");
        assert_ne!(a, b);
    }

    #[test]
    fn debug_hides_the_state_token() {
        assert!(!format!("{:?}", challenge()).contains("state-token"));
    }
}
