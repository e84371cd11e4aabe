//! The org's API tokens, as Okta keeps them: every `/api/v1` call must carry
//! `Authorization: SSWS <token>` with a registered token that has been used
//! within the last 30 days, was not revoked, and whose creating admin is
//! still active; otherwise it is refused with HTTP 401 `E0000011` "Invalid
//! token provided". Every accepted call is a use and moves the 30 days.
//!
//! Management calls may carry an OAuth access token instead
//! (`Authorization: DPoP ...` or `Bearer ...`); those are checked by the
//! org's authorization server ([`super::oauth`]). The check on each call is
//! a middleware ([`super::middleware`]). Test hooks move a token's last use
//! back in time, revoke it, deactivate its creator and restore it.

use std::sync::{Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

/// Okta expires a token this long after its last use.
const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// The registered tokens and their shared life cycle.
pub(crate) struct ApiTokens {
    tokens: Vec<SecretString>,
    state: Mutex<TokenState>,
}

#[derive(Debug, Clone, Copy)]
struct TokenState {
    last_use: SystemTime,
    revoked: bool,
    creator_active: bool,
}

impl ApiTokens {
    pub fn new(tokens: Vec<SecretString>) -> ApiTokens {
        ApiTokens {
            tokens,
            state: Mutex::new(TokenState {
                last_use: SystemTime::now(),
                revoked: false,
                creator_active: true,
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, TokenState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether `presented` is a live token; a live token's use is recorded.
    pub fn accept(&self, presented: &str) -> bool {
        let known = self
            .tokens
            .iter()
            .any(|token| bool::from(token.expose_secret().as_bytes().ct_eq(presented.as_bytes())));
        if !known {
            return false;
        }
        let mut state = self.lock();
        let now = SystemTime::now();
        let alive = !state.revoked && state.creator_active && now < state.last_use + TOKEN_LIFETIME;
        if alive {
            state.last_use = now;
        }
        alive
    }

    /// Moves the last use `days` back, as if the token had been idle.
    pub fn age(&self, days: u64) {
        let mut state = self.lock();
        state.last_use -= Duration::from_secs(days * 24 * 3600);
    }

    pub fn revoke(&self) {
        self.lock().revoked = true;
    }

    pub fn deactivate_creator(&self) {
        self.lock().creator_active = false;
    }

    /// A working token again, used now.
    pub fn restore(&self) {
        *self.lock() = TokenState {
            last_use: SystemTime::now(),
            revoked: false,
            creator_active: true,
        };
    }

    pub fn last_use(&self) -> SystemTime {
        self.lock().last_use
    }

    /// When the token expires unless used again.
    pub fn expires_at(&self) -> SystemTime {
        self.lock().last_use + TOKEN_LIFETIME
    }
}
