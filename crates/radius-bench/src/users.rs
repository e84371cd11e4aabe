//! The benchmark population: how the load generator and the benchmark's
//! simulated Okta org agree on logins, passwords and factors without sharing
//! a file.
//!
//! User `i` of a flow is `<flow>-<i>@bench.example` with the password
//! `<flow>-<i>-password`; TOTP users share one authenticator-app secret, so
//! the generator computes their codes with [`okta_sim::totp::code`].
//! These are throw-away benchmark credentials, never real ones.

use okta_sim::{SimFactor, SimPushResponse, SimUser};
use std::time::Duration;

/// The Okta domain of every benchmark login.
const DOMAIN: &str = "bench.example";

/// The base32 secret of every TOTP user's authenticator app.
pub(crate) const TOTP_SECRET: &str = "JBSWY3DPEHPK3PXP";

/// What a simulated user has to do to log in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum Flow {
    /// Password only: one Access-Request, one Okta `/authn` call.
    Password,
    /// Password, then an Okta Verify push approved on the phone after the
    /// org's push delay; the server holds the request (push mode `wait`).
    Push,
    /// Password, then an Access-Challenge answered with the TOTP code.
    Totp,
}

impl Flow {
    pub const ALL: [Flow; 3] = [Flow::Password, Flow::Push, Flow::Totp];

    /// The name used in logins, reports and `--mix`.
    pub fn name(self) -> &'static str {
        match self {
            Flow::Password => "password",
            Flow::Push => "push",
            Flow::Totp => "totp",
        }
    }

    fn prefix(self) -> &'static str {
        match self {
            Flow::Password => "pw",
            Flow::Push => "push",
            Flow::Totp => "totp",
        }
    }
}

/// The Okta login of user `index` of `flow`.
pub fn login(flow: Flow, index: u32) -> String {
    format!("{}-{index}@{DOMAIN}", flow.prefix())
}

/// The password of user `index` of `flow`.
pub(crate) fn password(flow: Flow, index: u32) -> String {
    format!("{}-{index}-password", flow.prefix())
}

/// Every benchmark user: `per_flow` users of each flow; push users' phones
/// approve `push_delay` after the push is sent.
pub fn population(per_flow: u32, push_delay: Duration) -> Vec<SimUser> {
    let mut users = Vec::with_capacity(per_flow as usize * Flow::ALL.len());
    for flow in Flow::ALL {
        for index in 0..per_flow {
            let user = SimUser::new(&login(flow, index), &password(flow, index))
                .with_groups(&["vpn-users"]);
            let user = match flow {
                Flow::Password => user,
                Flow::Push => {
                    let mut factor = SimFactor::push(SimPushResponse::Approve);
                    factor.push_delay = Some(push_delay);
                    user.with_factor(factor)
                }
                Flow::Totp => user.with_factor(SimFactor::totp(TOTP_SECRET)),
            };
            users.push(user);
        }
    }
    users
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logins_and_passwords_follow_the_convention() {
        assert_eq!(login(Flow::Push, 7), "push-7@bench.example");
        assert_eq!(password(Flow::Totp, 0), "totp-0-password");
        let users = population(2, Duration::from_secs(1));
        assert_eq!(users.len(), 6);
        assert!(users.iter().any(|u| u.login == "pw-1@bench.example"));
    }
}
