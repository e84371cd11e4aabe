//! The State keys in force: the one that seals new challenges and, after an
//! operator rotated `[state] key` (SIGHUP), the one before it, which keeps
//! opening the challenges it sealed until they could no longer be answered.
//! A rotation then costs no user a login that was half done.

use super::state::{Binding, Challenge, StateError, StateId, StateKey, unix_seconds};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};
use std::time::SystemTime;

/// The sealing key and, for a while after a rotation, the previous one.
pub(super) struct StateKeys {
    current: StateKey,
    /// What the configured key was (a digest, so a reload can tell a change
    /// without keeping the text); `None` for a key made at start.
    configured: Option<[u8; 32]>,
    /// The key before the last rotation, and until when (Unix seconds) it opens.
    previous: Option<(StateKey, u64)>,
}

/// A digest that tells one configured key text from another.
fn digest(text: &SecretString) -> [u8; 32] {
    Sha256::digest(text.expose_secret().trim().as_bytes()).into()
}

/// The key a `[state]` value gives, or a random one when there is none (or
/// it does not decode, which validation has already refused).
fn key_of(configured: Option<&SecretString>) -> StateKey {
    configured
        .and_then(|text| StateKey::from_hex(text.expose_secret()))
        .unwrap_or_else(StateKey::generate)
}

impl StateKeys {
    /// The keys at start: the configured one, or a random one.
    pub(super) fn new(configured: Option<&SecretString>) -> StateKeys {
        StateKeys {
            current: key_of(configured),
            configured: configured.map(digest),
            previous: None,
        }
    }

    /// Whether `configured` differs from the key in force.
    pub(super) fn differs_from(&self, configured: Option<&SecretString>) -> bool {
        self.configured != configured.map(digest)
    }

    /// The keys after a rotation to `configured`: it seals from now on, and
    /// the key in force until now still opens what it sealed for
    /// `lifetime_seconds` (the longest challenge lifetime).
    pub(super) fn rotated(
        &self,
        configured: Option<&SecretString>,
        lifetime_seconds: u64,
    ) -> StateKeys {
        let until = unix_seconds(SystemTime::now()).saturating_add(lifetime_seconds);
        StateKeys {
            current: key_of(configured),
            configured: configured.map(digest),
            previous: Some((self.current.clone(), until)),
        }
    }

    /// Seals with the current key.
    pub(super) fn seal(
        &self,
        challenge: &Challenge,
        binding: &Binding<'_>,
    ) -> Result<(Vec<u8>, StateId), StateError> {
        self.current.seal(challenge, binding)
    }

    /// Seals a record shared through the fleet's Redis with the current key.
    pub(super) fn seal_record(
        &self,
        challenge: &Challenge,
        extra: &[u8],
        subject: &str,
    ) -> Result<Vec<u8>, StateError> {
        self.current.seal_record(challenge, extra, subject)
    }

    /// Opens a record of the fleet with the current key, or with the
    /// previous one while it lasts (a replica not yet reloaded sealed it).
    pub(super) fn open_record(
        &self,
        record: &[u8],
        subject: &str,
        now: SystemTime,
    ) -> Result<(Challenge, Vec<u8>), StateError> {
        match self.current.open_record(record, subject, now) {
            Err(StateError::Invalid) => match &self.previous {
                Some((previous, until)) if unix_seconds(now) < *until => {
                    previous.open_record(record, subject, now)
                }
                _ => Err(StateError::Invalid),
            },
            opened => opened,
        }
    }

    /// Opens with the current key, or with the previous one while it lasts.
    pub(super) fn open(
        &self,
        state: &[u8],
        binding: &Binding<'_>,
        now: SystemTime,
    ) -> Result<(Challenge, StateId), StateError> {
        match self.current.open(state, binding, now) {
            Err(StateError::Invalid) => match &self.previous {
                Some((previous, until)) if unix_seconds(now) < *until => {
                    previous.open(state, binding, now)
                }
                _ => Err(StateError::Invalid),
            },
            opened => opened,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::state::Step;

    const OLD: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    const NEW: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

    fn challenge() -> Challenge {
        Challenge {
            expires_at: unix_seconds(SystemTime::now()) + 300,
            login_id: 1,
            step: Step::Menu {
                state_token: SecretString::from("00token".to_owned()),
            },
        }
    }

    #[test]
    fn the_previous_key_opens_what_it_sealed_for_a_while() {
        let binding = Binding {
            client: "nas",
            user_name: "alice",
        };
        let old = SecretString::from(OLD.to_owned());
        let new = SecretString::from(NEW.to_owned());
        let keys = StateKeys::new(Some(&old));
        assert!(!keys.differs_from(Some(&old)));
        assert!(keys.differs_from(Some(&new)));
        assert!(keys.differs_from(None));
        let (sealed_before, _) = keys.seal(&challenge(), &binding).expect("seals");

        let rotated = keys.rotated(Some(&new), 300);
        assert!(!rotated.differs_from(Some(&new)));
        let now = SystemTime::now();
        assert!(rotated.open(&sealed_before, &binding, now).is_ok());
        let (sealed_after, _) = rotated.seal(&challenge(), &binding).expect("seals");
        assert!(rotated.open(&sealed_after, &binding, now).is_ok());
        assert!(keys.open(&sealed_after, &binding, now).is_err());

        let later = now + std::time::Duration::from_secs(301);
        assert_eq!(
            rotated.open(&sealed_before, &binding, later).err(),
            Some(StateError::Invalid)
        );
    }
}
