//! What a call is for, in the budget's terms: the class decides how much of
//! a short rate-limit bucket the call may still use. Its own file so that
//! the budget and the bucket state both read it without reading each other.

/// What a call is for, which decides how much of a short budget it may use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum CallClass {
    /// Primary authentication: a new login (password-bearing, never retried).
    Login,
    /// A step of a transaction under way: a factor, a code, cancel, skip.
    FactorStep,
    /// Asking whether a push was answered.
    Poll,
    /// User look-up, groups, factors, MFA-only verification.
    Management,
    /// The call that keeps the API token alive, and the credential probe.
    KeepAlive,
    /// Reading the System Log in the background: it gives way to logins.
    SystemLog,
}

impl CallClass {
    /// The label in metrics and logs.
    pub(crate) fn label(self) -> &'static str {
        match self {
            CallClass::Login => "login",
            CallClass::FactorStep => "factor_step",
            CallClass::Poll => "poll",
            CallClass::Management => "management",
            CallClass::KeepAlive => "keep_alive",
            CallClass::SystemLog => "system_log",
        }
    }

    /// Calls of this class are sent only while the bucket has more than this
    /// many left: polls stop at half, logins keep a tenth for transactions
    /// under way.
    pub(crate) fn floor(self, limit: u64) -> u64 {
        match self {
            CallClass::Poll | CallClass::SystemLog => limit / 2,
            CallClass::Login | CallClass::Management => (limit / 10).max(u64::from(limit > 1)),
            CallClass::FactorStep | CallClass::KeepAlive => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn polls_give_way_first() {
        assert_eq!(CallClass::Poll.floor(600), 300);
        assert_eq!(CallClass::Login.floor(600), 60);
        assert_eq!(CallClass::Login.floor(5), 1);
        assert_eq!(CallClass::FactorStep.floor(600), 0);
    }
}
