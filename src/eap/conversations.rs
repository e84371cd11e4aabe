//! The EAP conversations in flight in this process, by the State of their
//! last Access-Challenge.
//!
//! A conversation holds a TLS connection, which cannot be sealed into the
//! State as a PAP challenge is: it lives here, in the process that started
//! it. The table is bounded (new conversations are refused past
//! `max_conversations`) and each entry expires `conversation_timeout`
//! after its last round, so a supplicant that walks away costs memory only
//! until then. A request works on a conversation it has taken out of the
//! table, and puts it back with a new State when it asks the peer for more.

use super::tunnel::Tunnel;
use crate::auth::Decision;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Length of the State that names a conversation.
pub(super) const STATE_LEN: usize = 16;

pub(super) type StateKey = [u8; STATE_LEN];

/// Where a conversation stands.
pub(super) struct Conversation {
    /// The client it belongs to: a State is answered only from there.
    pub(super) client: String,
    /// The identity the peer gave in the clear (often anonymous).
    pub(super) outer_identity: String,
    /// The login's id in the audit log, the same in every round of it.
    pub(super) login_id: u32,
    /// The Identifier of our last EAP-Request: the Response must carry it.
    pub(super) identifier: u8,
    /// The EAP method being run.
    pub(super) method: u8,
    /// The TLS tunnel, once the method is started.
    pub(super) tunnel: Option<Tunnel>,
    /// Access-Requests this conversation has taken so far.
    pub(super) rounds: u32,
    /// The most TLS bytes in one of our frames.
    pub(super) fragment_size: usize,
    /// The method's version (PEAP: 0 or 1, as the peer chose).
    pub(super) version: u8,
    /// Where the login inside the tunnel stands.
    pub(super) inner: Inner,
}

/// Where the login inside a PEAP tunnel stands.
pub(super) enum Inner {
    /// The TLS handshake is not over yet.
    Handshake,
    /// The inner Identity was asked for.
    Identity,
    /// A GTC prompt is shown: the answer goes to Okta as the password, or
    /// as the answer to the challenge whose State is kept here.
    Gtc {
        user_name: String,
        challenge: Option<Vec<u8>>,
    },
    /// Okta said yes and the peer was told; its acknowledgement ends the
    /// login with this accept and the keys.
    Accepted {
        decision: Box<Decision>,
        msk: Box<[u8; 64]>,
    },
}

struct Entry {
    conversation: Conversation,
    expires: Instant,
}

/// The table.
pub(super) struct Conversations {
    entries: Mutex<HashMap<StateKey, Entry>>,
    timeout: Duration,
    max: usize,
}

/// Why a conversation could not be stored.
pub(super) struct Full;

impl Conversations {
    pub(super) fn new(timeout: Duration, max: usize) -> Conversations {
        Conversations {
            entries: Mutex::new(HashMap::new()),
            timeout,
            max,
        }
    }

    /// Takes the conversation `state` names, if it is alive.
    pub(super) fn take(&self, state: &[u8]) -> Option<Conversation> {
        let key: StateKey = state.try_into().ok()?;
        let mut entries = self.lock();
        let entry = entries.remove(&key)?;
        (entry.expires > Instant::now()).then_some(entry.conversation)
    }

    /// Stores `conversation` under a fresh State, which is returned.
    /// Expired conversations are released first; a table still full
    /// refuses it.
    pub(super) fn put(&self, conversation: Conversation) -> Result<StateKey, Full> {
        let now = Instant::now();
        let mut entries = self.lock();
        if entries.len() >= self.max {
            entries.retain(|_, entry| entry.expires > now);
            if entries.len() >= self.max {
                return Err(Full);
            }
        }
        let state: StateKey = rand::random();
        entries.insert(
            state,
            Entry {
                conversation,
                expires: now + self.timeout,
            },
        );
        Ok(state)
    }

    /// Releases every conversation past its timeout; returns how many
    /// are left.
    pub(super) fn sweep(&self) -> usize {
        let now = Instant::now();
        let mut entries = self.lock();
        entries.retain(|_, entry| entry.expires > now);
        entries.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<StateKey, Entry>> {
        // A panic while the lock was held left the map itself whole.
        self.entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn conversation(client: &str) -> Conversation {
        Conversation {
            client: client.to_owned(),
            outer_identity: "anonymous".to_owned(),
            login_id: 1,
            identifier: 1,
            method: 21,
            tunnel: None,
            rounds: 1,
            fragment_size: 1000,
            version: 0,
            inner: Inner::Handshake,
        }
    }

    #[test]
    fn a_state_opens_its_conversation_once() {
        let table = Conversations::new(Duration::from_secs(60), 10);
        let state = table.put(conversation("ap")).ok().expect("room");
        assert_eq!(table.take(&state).expect("alive").client, "ap");
        assert!(table.take(&state).is_none());
        assert!(table.take(b"short").is_none());
    }

    #[test]
    fn the_table_is_bounded_and_expired_entries_make_room() {
        let table = Conversations::new(Duration::from_millis(30), 2);
        assert!(table.put(conversation("a")).is_ok());
        assert!(table.put(conversation("b")).is_ok());
        assert!(table.put(conversation("c")).is_err());
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(table.sweep(), 0);
        assert!(table.put(conversation("d")).is_ok());
    }

    #[test]
    fn an_expired_state_is_unknown() {
        let table = Conversations::new(Duration::from_millis(10), 2);
        let state = table.put(conversation("a")).ok().expect("room");
        std::thread::sleep(Duration::from_millis(30));
        assert!(table.take(&state).is_none());
    }
}
