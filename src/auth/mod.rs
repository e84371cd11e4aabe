//! The login conversation: the one place where RADIUS and Okta meet.
//!
//! It takes a checked Access-Request from the server, asks Okta within the
//! request's deadline, and returns a [`Decision`] that the server encodes.
//! It never touches sockets, and the Okta client never sees a RADIUS packet.

pub mod access_request;
pub mod decision;
pub mod primary;
pub mod username;

use crate::config::{ClientConfig, UserNameRules};
use crate::okta::client::{OktaClient, PrimaryAuthn};
use crate::radius::packet::Packet;
pub use decision::{Decision, Verdict};
use std::net::IpAddr;
use tokio::time::Instant;

/// Decides Access-Requests by asking Okta.
pub struct Authenticator {
    okta: OktaClient,
    users: UserNameRules,
    /// The request attribute whose value is sent as `X-Forwarded-For`.
    forwarded_for: Option<ForwardedFor>,
}

/// Where the end user's IP address is read from.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedFor {
    /// The attribute type (a standard attribute, e.g. Calling-Station-Id 31).
    pub attribute: u8,
    /// Whether the attribute holds an address in binary (ipaddr, ipv6addr)
    /// rather than as text.
    pub binary: bool,
}

impl Authenticator {
    pub fn new(
        okta: OktaClient,
        users: UserNameRules,
        forwarded_for: Option<ForwardedFor>,
    ) -> Self {
        Authenticator {
            okta,
            users,
            forwarded_for,
        }
    }

    /// Decides one Access-Request (already checked for source, framing and
    /// Message-Authenticator) before `deadline`.
    pub async fn access_request(
        &self,
        client: &ClientConfig,
        packet: &Packet,
        deadline: Instant,
    ) -> Decision {
        let login = match access_request::read_pap_login(packet, client.secret_bytes()) {
            Ok(login) => login,
            Err(problem) => {
                let decision = Decision::reject(problem.reason(), problem.reply_message());
                return match access_request::user_name(packet) {
                    Ok(name) => decision.with_login(username::normalize(&name, &self.users)),
                    Err(_) => decision,
                };
            }
        };
        let okta_login = username::normalize(&login.user_name, &self.users);
        let request = PrimaryAuthn {
            username: &okta_login,
            password: &login.password,
            forwarded_for: self.forwarded_for(packet),
        };
        let decision =
            match tokio::time::timeout_at(deadline, self.okta.primary_authn(&request)).await {
                Ok(Ok(reply)) => primary::decide(reply),
                Ok(Err(error)) => {
                    if error.code() != Some("E0000004") {
                        tracing::warn!(
                            client = %client.name,
                            user = %okta_login,
                            error = %error,
                            "Okta could not decide the login"
                        );
                    }
                    primary::decide_failure(&error, client.on_okta_failure)
                }
                Err(_) => primary::decide_timeout(client.on_okta_failure),
            };
        decision.with_login(okta_login)
    }

    /// The end user's IP address from the configured attribute, when it is one.
    fn forwarded_for(&self, packet: &Packet) -> Option<IpAddr> {
        let source = self.forwarded_for?;
        let value = packet.first(source.attribute)?;
        if source.binary {
            return match value.len() {
                4 => <[u8; 4]>::try_from(value).ok().map(IpAddr::from),
                16 => <[u8; 16]>::try_from(value).ok().map(IpAddr::from),
                _ => None,
            };
        }
        std::str::from_utf8(value).ok()?.trim().parse().ok()
    }
}
