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
//! Wire format: version byte (1 or 2: which plaintext form, see
//! `state_wire`), 24-byte random nonce, ciphertext with tag. The nonce
//! doubles as the State's identity for single use.

use super::state_wire;
pub use super::step::{Challenge, Step};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use zeroize::Zeroize;

/// Length of the XChaCha20 nonce.
const NONCE_LEN: usize = 24;
/// The largest State RADIUS can carry in one attribute.
const MAX_STATE_LEN: usize = 253;
/// Associated-data prefix, so a sealed value from another purpose never opens here.
const AAD_LABEL: &[u8] = b"okta-radius state v1\0";
/// Associated-data prefix of a record shared through the fleet's Redis: it
/// never opens as a State, nor a State as a record.
const RECORD_AAD_LABEL: &[u8] = b"okta-radius fleet record v1\0";

/// The identity of one sealed State (its nonce).
pub type StateId = [u8; NONCE_LEN];

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
        let (version, plaintext) = state_wire::encode(challenge).ok_or(StateError::TooLong)?;
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
        out.push(version);
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
        if state.len() < 1 + NONCE_LEN + 16 {
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
        let challenge = state_wire::decode(state[0], &plaintext);
        plaintext.zeroize();
        let challenge = challenge.ok_or(StateError::Invalid)?;
        if unix_seconds(now) >= challenge.expires_at {
            return Err(StateError::Expired);
        }
        Ok((challenge, nonce))
    }

    /// Seals a challenge (with `extra` bytes) as a record that replicas
    /// share through Redis, about `subject`: never a RADIUS State, and
    /// without the length limit of one attribute. Wire form: the version
    /// byte, the nonce, the ciphertext of `extra`'s length (one byte),
    /// `extra` and the challenge.
    pub fn seal_record(
        &self,
        challenge: &Challenge,
        extra: &[u8],
        subject: &str,
    ) -> Result<Vec<u8>, StateError> {
        let extra_len = u8::try_from(extra.len()).map_err(|_| StateError::TooLong)?;
        let (version, wire) = state_wire::encode(challenge).ok_or(StateError::TooLong)?;
        let mut plaintext = Vec::with_capacity(1 + extra.len() + wire.len());
        plaintext.push(extra_len);
        plaintext.extend_from_slice(extra);
        plaintext.extend_from_slice(&wire);
        let mut wire = wire;
        wire.zeroize();
        let mut nonce = [0u8; NONCE_LEN];
        rand::fill(&mut nonce[..]);
        let aad = record_aad(subject);
        let sealed = self.cipher.encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &plaintext,
                aad: &aad,
            },
        );
        plaintext.zeroize();
        let ciphertext = sealed.map_err(|_| StateError::TooLong)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + ciphertext.len());
        out.push(version);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        Ok(out)
    }

    /// Opens a record sealed by [`StateKey::seal_record`] about `subject`:
    /// the challenge and the extra bytes.
    pub fn open_record(
        &self,
        record: &[u8],
        subject: &str,
        now: SystemTime,
    ) -> Result<(Challenge, Vec<u8>), StateError> {
        if record.len() < 1 + NONCE_LEN + 16 {
            return Err(StateError::Invalid);
        }
        let nonce: StateId = record[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| StateError::Invalid)?;
        let aad = record_aad(subject);
        let mut plaintext = self
            .cipher
            .decrypt(
                &XNonce::from(nonce),
                Payload {
                    msg: &record[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| StateError::Invalid)?;
        let opened = plaintext.split_first().and_then(|(len, rest)| {
            let (extra, wire) = rest.split_at_checked(usize::from(*len))?;
            Some((state_wire::decode(record[0], wire)?, extra.to_vec()))
        });
        plaintext.zeroize();
        let (challenge, extra) = opened.ok_or(StateError::Invalid)?;
        if unix_seconds(now) >= challenge.expires_at {
            return Err(StateError::Expired);
        }
        Ok((challenge, extra))
    }
}

fn record_aad(subject: &str) -> Vec<u8> {
    let mut aad = Vec::with_capacity(RECORD_AAD_LABEL.len() + subject.len());
    aad.extend_from_slice(RECORD_AAD_LABEL);
    aad.extend_from_slice(subject.as_bytes());
    aad
}

/// Seconds since the Unix epoch.
pub(super) fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::FactorKind;
    use secrecy::{ExposeSecret, SecretString};

    fn challenge() -> Challenge {
        Challenge {
            expires_at: unix_seconds(SystemTime::now()) + 300,
            login_id: 1,
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
            login_id: 1,
            step: Step::Push {
                state_token: SecretString::from("0".repeat(120)),
                poll_path: format!("/api/v1/authn/factors/{}/verify", "f".repeat(20)),
            },
        };
        let (state, _) = key.seal(&challenge, &BINDING).expect("fits");
        assert!(state.len() <= 253);
        let too_long = Challenge {
            expires_at: challenge.expires_at,
            login_id: 1,
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
    fn direct_steps_with_okta_sized_tokens_fit_one_attribute() {
        let key = StateKey::generate();
        // Okta's mfa_token and oob_code are opaque strings of about 40
        // characters; room is left for twice that.
        let challenge = Challenge {
            expires_at: unix_seconds(SystemTime::now()) + 300,
            login_id: 1,
            step: Step::DirectSentCode {
                mfa_token: SecretString::from("m".repeat(80)),
                oob_code: SecretString::from("o".repeat(80)),
                kind: FactorKind::Sms,
                tries: 2,
            },
        };
        let (state, _) = key.seal(&challenge, &BINDING).expect("fits");
        assert!(state.len() <= 253);
        assert!(!String::from_utf8_lossy(&state).contains("mmmm"));
        let (opened, _) = key
            .open(&state, &BINDING, SystemTime::now())
            .expect("opens");
        match opened.step {
            Step::DirectSentCode {
                mfa_token, tries, ..
            } => {
                assert_eq!(mfa_token.expose_secret().len(), 80);
                assert_eq!(tries, 2);
            }
            _ => panic!("wrong step"),
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
    fn a_fleet_record_opens_for_its_subject_only_and_never_as_a_state() {
        let key = StateKey::generate();
        let record = key
            .seal_record(&challenge(), b"42", "user:00u1")
            .expect("seals");
        assert!(!String::from_utf8_lossy(&record).contains("state-token"));
        let (opened, extra) = key
            .open_record(&record, "user:00u1", SystemTime::now())
            .expect("opens");
        assert_eq!(extra, b"42");
        assert!(matches!(opened.step, Step::Code { tries: 1, .. }));
        assert_eq!(
            key.open_record(&record, "user:00u2", SystemTime::now())
                .err(),
            Some(StateError::Invalid)
        );
        assert_eq!(
            key.open(&record, &BINDING, SystemTime::now()).err(),
            Some(StateError::Invalid)
        );
        let (state, _) = key.seal(&challenge(), &BINDING).expect("fits");
        assert_eq!(
            key.open_record(&state, "user:00u1", SystemTime::now())
                .err(),
            Some(StateError::Invalid)
        );
        let later = SystemTime::now() + Duration::from_secs(301);
        assert_eq!(
            key.open_record(&record, "user:00u1", later).err(),
            Some(StateError::Expired)
        );
    }

    #[test]
    fn debug_hides_the_state_token() {
        assert!(!format!("{:?}", challenge()).contains("state-token"));
    }
}
