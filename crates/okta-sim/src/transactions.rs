//! Authentication transactions in progress, named by their stateToken.
//!
//! A transaction remembers the last state the org sent and whose login it is
//! (so factor calls, which carry only the stateToken, know the user), so that
//! posting only `{"stateToken": ...}` returns it (how a client recovers after
//! a network error), and expires like Okta's: each use pushes the expiry back,
//! and an expired, unknown or ended transaction is refused with `E0000011`.

use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use serde_json::Value;

use super::ids;
use okta_api::time::okta_timestamp;

/// What the org knows of a transaction besides its last answer.
#[derive(Debug, Clone)]
pub(crate) struct TxContext {
    /// The user's login.
    pub login: String,
    /// The client asked for `PASSWORD_WARN` (`warnBeforePasswordExpired`).
    pub warn_before_password_expired: bool,
}

struct Transaction {
    /// The last answer sent, stateToken included.
    state: Value,
    context: TxContext,
    expires: Instant,
}

/// The org's open transactions.
pub(crate) struct Transactions {
    open: Mutex<HashMap<String, Transaction>>,
    lifetime: Duration,
    /// Transactions kept at most; expired ones go first, then the oldest.
    capacity: usize,
}

impl Transactions {
    pub fn new(lifetime: Duration, capacity: usize) -> Transactions {
        Transactions {
            open: Mutex::new(HashMap::new()),
            lifetime,
            capacity: capacity.max(1),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<String, Transaction>> {
        self.open.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Opens a transaction in the state `answer` describes: adds a fresh
    /// `stateToken` and `expiresAt` to it, keeps it, and returns it.
    pub fn open(&self, mut answer: Value, context: TxContext) -> Value {
        let token = format!("00{}", ids::random_token(40));
        self.stamp(&mut answer, &token);
        let mut open = self.lock();
        let now = Instant::now();
        // Expired transactions are refused when used; they are swept only
        // when the org is full, so opening one stays cheap.
        if open.len() >= self.capacity {
            open.retain(|_, transaction| transaction.expires > now);
        }
        if open.len() >= self.capacity {
            let oldest = open
                .iter()
                .min_by_key(|(_, transaction)| transaction.expires)
                .map(|(token, _)| token.clone());
            if let Some(oldest) = oldest {
                open.remove(&oldest);
            }
        }
        open.insert(
            token,
            Transaction {
                state: answer.clone(),
                context,
                expires: now + self.lifetime,
            },
        );
        answer
    }

    /// The current state of a live transaction (its expiry pushed back), or
    /// `None` for an unknown or expired stateToken.
    pub fn current(&self, token: &str) -> Option<Value> {
        self.touch(token).map(|(state, _)| state)
    }

    /// The current state and context of a live transaction, its expiry pushed back.
    pub fn touch(&self, token: &str) -> Option<(Value, TxContext)> {
        let mut open = self.lock();
        let now = Instant::now();
        let transaction = open.get_mut(token)?;
        if transaction.expires <= now {
            open.remove(token);
            return None;
        }
        transaction.expires = now + self.lifetime;
        let mut state = transaction.state.clone();
        self.stamp(&mut state, token);
        transaction.state = state.clone();
        Some((state, transaction.context.clone()))
    }

    /// Moves a live transaction to the state `answer` describes and returns
    /// it stamped; `None` if the transaction ended meanwhile.
    pub fn advance(&self, token: &str, mut answer: Value) -> Option<Value> {
        let mut open = self.lock();
        let transaction = open.get_mut(token)?;
        if transaction.expires <= Instant::now() {
            open.remove(token);
            return None;
        }
        self.stamp(&mut answer, token);
        transaction.state = answer.clone();
        transaction.expires = Instant::now() + self.lifetime;
        Some(answer)
    }

    /// Ends a transaction (success or cancel); its stateToken is dead.
    pub fn end(&self, token: &str) -> Option<TxContext> {
        self.lock().remove(token).map(|t| t.context)
    }

    fn stamp(&self, answer: &mut Value, token: &str) {
        if let Value::Object(fields) = answer {
            fields.insert("stateToken".into(), Value::from(token));
            let expires_at = okta_timestamp(SystemTime::now() + self.lifetime);
            fields.insert("expiresAt".into(), Value::from(expires_at));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context() -> TxContext {
        TxContext {
            login: "a@example.com".into(),
            warn_before_password_expired: false,
        }
    }

    #[test]
    fn open_then_recover_then_expire() {
        let transactions = Transactions::new(Duration::from_secs(300), 10);
        let answer = transactions.open(serde_json::json!({"status": "MFA_REQUIRED"}), context());
        let token = answer["stateToken"].as_str().expect("token").to_owned();
        let again = transactions.current(&token).expect("live");
        assert_eq!(again["status"], "MFA_REQUIRED");
        assert_eq!(again["stateToken"], token.as_str());
        assert!(transactions.current("00unknown").is_none());

        let next = transactions
            .advance(&token, serde_json::json!({"status": "MFA_CHALLENGE"}))
            .expect("live");
        assert_eq!(next["stateToken"], token.as_str());
        let (state, found) = transactions.touch(&token).expect("live");
        assert_eq!(state["status"], "MFA_CHALLENGE");
        assert_eq!(found.login, "a@example.com");
        assert!(transactions.end(&token).is_some());
        assert!(transactions.current(&token).is_none());

        let short = Transactions::new(Duration::ZERO, 10);
        let answer = short.open(serde_json::json!({"status": "PASSWORD_EXPIRED"}), context());
        let token = answer["stateToken"].as_str().expect("token").to_owned();
        assert!(short.current(&token).is_none());
    }

    #[test]
    fn a_full_org_forgets_its_oldest_transaction() {
        let transactions = Transactions::new(Duration::from_secs(300), 2);
        let token = |answer: Value| answer["stateToken"].as_str().expect("token").to_owned();
        let first = token(transactions.open(serde_json::json!({}), context()));
        let second = token(transactions.open(serde_json::json!({}), context()));
        let third = token(transactions.open(serde_json::json!({}), context()));
        assert!(transactions.current(&first).is_none());
        assert!(transactions.current(&second).is_some());
        assert!(transactions.current(&third).is_some());
    }
}
