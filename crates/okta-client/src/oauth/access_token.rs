//! What the token endpoint hands out and what a management request carries:
//! the access token (kept as a secret, with the time to refresh it) and the
//! `Authorization` + `DPoP` headers built from it.
//!
//! None of these types print their token or proof.

use std::time::{Duration, Instant};

use reqwest::RequestBuilder;
use reqwest::header::{AUTHORIZATION, HeaderMap, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::dpop::DpopProof;
use okta_api::oauth::TokenType;

/// An access token from the token endpoint.
pub struct AccessToken {
    pub(crate) secret: SecretString,
    pub(crate) token_type: TokenType,
    pub(crate) scope: String,
    pub(crate) expires_at: Instant,
    pub(crate) refresh_at: Instant,
}

impl std::fmt::Debug for AccessToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessToken")
            .field("token", &"[REDACTED]")
            .field("token_type", &self.token_type)
            .field("scope", &self.scope)
            .field(
                "expires_in",
                &self.expires_at.saturating_duration_since(Instant::now()),
            )
            .finish()
    }
}

impl AccessToken {
    /// A token received at `received`, valid `expires_in`, to be replaced
    /// `refresh_margin` before it runs out (at once if it lives shorter).
    pub(crate) fn new(
        secret: SecretString,
        token_type: TokenType,
        scope: String,
        received: Instant,
        expires_in: Duration,
        refresh_margin: Duration,
    ) -> AccessToken {
        AccessToken {
            secret,
            token_type,
            scope,
            expires_at: received + expires_in,
            refresh_at: received + expires_in.saturating_sub(refresh_margin),
        }
    }

    pub fn token_type(&self) -> TokenType {
        self.token_type
    }

    /// The scopes granted (space-separated, as the server wrote them).
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// Whether it is time to get a new one.
    pub(crate) fn needs_refresh(&self, now: Instant) -> bool {
        now >= self.refresh_at
    }

    /// The token itself, for building a request header only.
    pub fn expose(&self) -> &str {
        self.secret.expose_secret()
    }
}

/// The headers that authorize one management API request: `Authorization`
/// and, for a DPoP-bound token, a `DPoP` proof made for that method and URL.
/// Both values are marked sensitive, so HTTP-level debug output hides them.
pub struct AuthorizationHeaders {
    pub(crate) token_type: TokenType,
    pub(crate) authorization: HeaderValue,
    pub(crate) dpop: Option<HeaderValue>,
}

impl std::fmt::Debug for AuthorizationHeaders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AuthorizationHeaders")
            .field("scheme", &self.token_type.scheme())
            .field("dpop_proof", &self.dpop.is_some())
            .finish()
    }
}

impl AuthorizationHeaders {
    /// Builds the headers; `None` if the token cannot be a header value.
    pub(crate) fn new(
        token: &AccessToken,
        proof: Option<DpopProof>,
    ) -> Option<AuthorizationHeaders> {
        let mut authorization =
            HeaderValue::from_str(&format!("{} {}", token.token_type.scheme(), token.expose()))
                .ok()?;
        authorization.set_sensitive(true);
        let dpop = match proof {
            Some(proof) => {
                let mut value = HeaderValue::from_str(proof.expose()).ok()?;
                value.set_sensitive(true);
                Some(value)
            }
            None => None,
        };
        Some(AuthorizationHeaders {
            token_type: token.token_type,
            authorization,
            dpop,
        })
    }

    /// The `Authorization` header value (`DPoP <token>` or `Bearer <token>`).
    pub fn authorization(&self) -> &HeaderValue {
        &self.authorization
    }

    /// The `DPoP` header value, for a DPoP-bound token.
    pub fn dpop(&self) -> Option<&HeaderValue> {
        self.dpop.as_ref()
    }

    /// Puts both headers on a request.
    pub fn apply(self, request: RequestBuilder) -> RequestBuilder {
        let request = request.header(AUTHORIZATION, self.authorization);
        match self.dpop {
            Some(proof) => request.header("DPoP", proof),
            None => request,
        }
    }

    /// Puts both headers among a request's `headers`.
    pub fn put_on(self, headers: &mut HeaderMap) {
        headers.insert(AUTHORIZATION, self.authorization);
        if let Some(proof) = self.dpop {
            headers.insert("dpop", proof);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refreshes_a_margin_before_expiry() {
        let now = Instant::now();
        let token = AccessToken::new(
            SecretString::from("t0k3n"),
            TokenType::DPoP,
            "okta.users.read".into(),
            now,
            Duration::from_secs(3600),
            Duration::from_secs(300),
        );
        assert!(!token.needs_refresh(now + Duration::from_secs(3299)));
        assert!(token.needs_refresh(now + Duration::from_secs(3300)));
        let short = AccessToken::new(
            SecretString::from("t0k3n"),
            TokenType::Bearer,
            String::new(),
            now,
            Duration::from_secs(60),
            Duration::from_secs(300),
        );
        assert!(short.needs_refresh(now));
        assert!(!format!("{token:?}").contains("t0k3n"));
        let headers = AuthorizationHeaders::new(&token, None).unwrap();
        assert_eq!(headers.authorization().to_str().unwrap(), "DPoP t0k3n");
        assert!(headers.authorization().is_sensitive());
        assert!(!format!("{headers:?}").contains("t0k3n"));
        assert_eq!(TokenType::parse("bearer"), Some(TokenType::Bearer));
        assert_eq!(TokenType::parse("mac"), None);
    }
}
