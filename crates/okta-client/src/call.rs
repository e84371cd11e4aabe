//! What the client needs to know about a call besides its URL and body:
//! who makes it (which credential), its budget class, whether it carries a
//! stateToken (then 401 `E0000011` means an expired transaction, not a dead
//! API token), whether it carries a secret that must never be sent twice
//! (a password or a one-time code: a 429 is not retried), whether an OAuth
//! error answer is an answer to read (Direct Authentication says what comes
//! next that way), and the endpoint label used in metrics and logs.

use reqwest::Method;

use super::budget::CallClass;

/// Who a call is made for, which decides its `Authorization` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Caller {
    /// An authentication transaction, as a trusted application: always the
    /// `SSWS` token (whether `/authn` takes an OAuth token is unverified).
    TrustedApp,
    /// A management call of the service account (users, groups, factors):
    /// the OAuth service app when configured, else the `SSWS` token.
    ServiceAccount,
    /// A call that checks the API token itself (`/users/me`): always `SSWS`.
    ApiToken,
    /// A call of the OIDC app (Direct Authentication, its key set): the
    /// call carries its own client authentication, or none; never the API
    /// token or the service app's token.
    OidcApp,
}

/// How one call is made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallKind {
    pub(crate) caller: Caller,
    pub(crate) class: CallClass,
    /// The body names a stateToken.
    pub(crate) state_token: bool,
    /// The body holds a password, a code or an answer: never resent.
    pub(crate) secret: bool,
    /// The credential probe: sent even while the API token is marked invalid.
    pub(crate) probe: bool,
    /// An OAuth error answer (400, 401, 403 with `{"error": ...}`) is an
    /// answer for the caller to read, not a failure.
    pub(crate) oauth_answers: bool,
}

impl CallKind {
    pub(crate) const fn new(caller: Caller, class: CallClass) -> CallKind {
        CallKind {
            caller,
            class,
            state_token: false,
            secret: false,
            probe: false,
            oauth_answers: false,
        }
    }

    /// A call of the OIDC app whose OAuth error answers are read.
    pub(crate) const fn oidc_app(class: CallClass) -> CallKind {
        CallKind {
            oauth_answers: true,
            ..CallKind::new(Caller::OidcApp, class)
        }
    }

    /// A call inside an authentication transaction.
    pub(crate) const fn in_transaction(class: CallClass) -> CallKind {
        CallKind {
            state_token: true,
            ..CallKind::new(Caller::TrustedApp, class)
        }
    }

    pub(crate) const fn secret_bearing(self, secret: bool) -> CallKind {
        CallKind { secret, ..self }
    }

    pub(crate) const fn probing(self) -> CallKind {
        CallKind {
            probe: true,
            ..self
        }
    }

    /// Whether a 429 may be retried: polls, keep-alive and management reads,
    /// never a call carrying a password or a code.
    pub(crate) fn retryable(&self, method: &Method) -> bool {
        !self.secret
            && match self.class {
                CallClass::Poll | CallClass::KeepAlive | CallClass::SystemLog => true,
                CallClass::Management => *method == Method::GET || *method == Method::DELETE,
                CallClass::Login | CallClass::FactorStep => false,
            }
    }
}

/// The endpoint label of a request, for metrics and log lines (a small
/// fixed set: never a user id or a login).
pub(crate) fn endpoint_label(method: &Method, path: &str) -> &'static str {
    // On the stack: every call is labelled. No Okta path has more than 8
    // segments; a longer one is "other".
    let mut segments = [""; 10];
    let mut count = 0;
    for segment in path.trim_matches('/').split('/') {
        let Some(slot) = segments.get_mut(count) else {
            return "other";
        };
        *slot = segment;
        count += 1;
    }
    match &segments[..count] {
        ["api", "v1", "authn"] => "authn",
        ["api", "v1", "authn", "factors", _, "verify"] => "authn_verify",
        ["api", "v1", "authn", "factors", _, "verify", "resend"] => "authn_resend",
        ["api", "v1", "authn", "cancel"] => "authn_cancel",
        ["api", "v1", "authn", "skip"] => "authn_skip",
        ["api", "v1", "authn", ..] => "authn_other",
        ["api", "v1", "users", "me"] => "users_me",
        ["api", "v1", "users"] => "user_search",
        ["api", "v1", "users", _] if *method == Method::GET => "user",
        ["api", "v1", "users", _, "groups"] => "user_groups",
        ["api", "v1", "users", _, "factors"] => "user_factors",
        ["api", "v1", "users", _, "factors", _, "verify"] => "user_factor_verify",
        ["api", "v1", "users", _, "factors", _, "transactions", ..] => "user_factor_poll",
        ["api", "v1", "logs"] => "logs",
        ["oauth2", .., "token"] => "oauth_token",
        ["oauth2", .., "challenge"] => "oauth_challenge",
        ["oauth2", .., "keys"] => "oauth_keys",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_never_carry_ids() {
        assert_eq!(endpoint_label(&Method::POST, "/api/v1/authn"), "authn");
        assert_eq!(
            endpoint_label(&Method::GET, "/api/v1/users/alice%40example.com"),
            "user"
        );
        assert_eq!(
            endpoint_label(&Method::GET, "/api/v1/users/00u1/groups"),
            "user_groups"
        );
        assert_eq!(
            endpoint_label(&Method::POST, "/api/v1/authn/factors/f/verify"),
            "authn_verify"
        );
        assert_eq!(endpoint_label(&Method::GET, "/api/v1/users/me"), "users_me");
    }

    #[test]
    fn passwords_and_codes_are_never_resent() {
        let login = CallKind::new(Caller::TrustedApp, CallClass::Login).secret_bearing(true);
        assert!(!login.retryable(&Method::POST));
        let code = CallKind::in_transaction(CallClass::FactorStep).secret_bearing(true);
        assert!(!code.retryable(&Method::POST));
        let poll = CallKind::in_transaction(CallClass::Poll);
        assert!(poll.retryable(&Method::POST));
        let read = CallKind::new(Caller::ServiceAccount, CallClass::Management);
        assert!(read.retryable(&Method::GET));
        assert!(!read.retryable(&Method::POST));
    }
}
