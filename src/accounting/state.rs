//! What the accounting port shares with the rest of the service: the file
//! records are stored in, the session table they feed, and the `[users]`
//! rules that turn a record's User-Name into the Okta login an event at
//! Okta will name (replaced on a reload, like the conversation's).

use super::journal::Journal;
use super::sessions::{SessionStore, SessionUpdate};
use crate::config::UserNameRules;
use crate::live::Live;
use std::sync::Arc;

/// The accounting side of a running server.
pub struct Accounting {
    pub journal: Journal,
    pub sessions: Arc<dyn SessionStore>,
    users: Live<UserNameRules>,
}

impl Accounting {
    pub fn new(
        journal: Journal,
        sessions: Arc<dyn SessionStore>,
        users: UserNameRules,
    ) -> Accounting {
        Accounting {
            journal,
            sessions,
            users: Live::new(users),
        }
    }

    /// The Okta login for a User-Name, by the `[users]` rules in force.
    pub fn okta_login(&self, user_name: &str) -> String {
        self.users.get().okta_login(user_name)
    }

    /// Puts reloaded `[users]` rules in force for later records.
    pub fn replace_users(&self, users: UserNameRules) {
        self.users.set(users);
    }

    /// Feeds one stored record to the session table.
    pub async fn track(&self, update: SessionUpdate) {
        self.sessions.apply(update).await;
    }
}
