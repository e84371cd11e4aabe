//! The org's API tokens, as Okta keeps them: every `/api/v1` call must carry
//! `Authorization: SSWS <token>` with a registered token that has been used
//! within the last 30 days, was not revoked, and whose creating admin is
//! still active; otherwise it is refused with HTTP 401 `E0000011` "Invalid
//! token provided". Every accepted call is a use and moves the 30 days.
//!
//! Management calls may carry an OAuth access token instead
//! (`Authorization: DPoP ...` or `Bearer ...`); those are checked by the
//! org's authorization server ([`super::oauth`]). Test hooks move a token's
//! last use back in time, revoke it, deactivate its creator and restore it.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, SystemTime};

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use super::SimOrg;
use super::responses;
use okta_api::error::codes;

/// Okta expires a token this long after its last use.
pub const TOKEN_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

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
    fn accept(&self, presented: &str) -> bool {
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

/// Middleware: refuses calls without a live API token or a valid OAuth token.
pub(super) async fn require(
    State(org): State<Arc<SimOrg>>,
    request: Request,
    next: Next,
) -> Response {
    let authorization = request
        .headers()
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("");
    let scheme = authorization.split(' ').next().unwrap_or("");
    if scheme.eq_ignore_ascii_case("dpop") || scheme.eq_ignore_ascii_case("bearer") {
        return match org.oauth.check_resource_request(
            request.method(),
            request.uri(),
            request.headers(),
        ) {
            Ok(_) => next.run(request).await,
            Err(rejection) => rejection.into_response(),
        };
    }
    let presented = authorization.strip_prefix("SSWS ").map(str::trim);
    if presented.is_some_and(|presented| org.api_tokens.accept(presented)) {
        next.run(request).await
    } else {
        responses::okta_error(
            StatusCode::UNAUTHORIZED,
            codes::INVALID_TOKEN,
            "Invalid token provided",
        )
    }
}
