//! The login conversation: the one place where RADIUS and Okta meet.
//!
//! [`Authenticator`] takes a checked Access-Request from the server and
//! returns a [`Decision`]. It sets the request's deadline once, for every
//! Okta call the request makes, and hands the request to the `driver`,
//! which runs the conversation as a state machine: each step (the password
//! in `login`, the factor menu in `mfa`, codes in `code`, pushes in
//! `push_factor`; with Direct Authentication the password in
//! `direct_login`, the menu in `direct_mfa`, codes in `direct_code`,
//! pushes in `direct_push`; MFA-only clients in `mfa_only`, answers to a
//! challenge in `challenge`) returns what happens `next`, and the driver
//! alone acts on it, sealing challenges (`sealing`), waiting for pushes and
//! applying the policy (`authorize`). Nothing here touches a socket, and
//! the Okta client never sees a RADIUS packet.

mod access_request;
mod authorize;
mod challenge;
mod code;
mod context;
mod decision;
mod direct_code;
mod direct_login;
mod direct_mfa;
mod direct_push;
mod driver;
mod factors;
pub(crate) mod failure;
mod fleet_push;
mod identity;
mod links;
mod login;
mod messages;
mod mfa;
mod mfa_only;
mod next;
mod okta_call;
mod password_gate;
mod policy;
mod push;
mod push_factor;
mod push_fatigue;
mod reason;
mod rules;
mod sealing;
pub mod state;
mod state_keys;
mod state_wire;
mod step;
mod throttle;
pub mod typed;
mod user_limits;
mod username;

pub use access_request::RequestProblem;
pub use decision::{Decision, Verdict};
pub use policy::CompiledPolicy;
pub use reason::Reason;
pub(crate) use rules::{Rules, compile_policies};
pub use user_limits::{SourceLimits, UserLimits};

use crate::cluster::Cluster;
use crate::config::{ClientConfig, Config};
use crate::live::Live;
use authorize::GroupsCache;
use context::{Context, Request};
use driver::Driver;
use identity::Identities;
use okta_client::OktaClient;
use push::Pushes;
use radius_proto::packet::Packet;
use sealing::States;
use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicU32;
use throttle::FailureThrottle;
use tokio::time::Instant;

/// Where the end user's IP address is read from.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedFor {
    /// The attribute type (a standard attribute, e.g. Calling-Station-Id 31).
    pub(crate) attribute: u8,
    /// Whether the attribute holds an address in binary (ipaddr, ipv6addr)
    /// rather than as text.
    pub(crate) binary: bool,
}

/// Decides Access-Requests by asking Okta.
pub struct Authenticator {
    /// What every step may consult: the Okta client and the shared tables.
    context: Context,
    /// The State keys in force and the States already answered.
    states: States,
    groups: GroupsCache,
    /// What a config reload may replace.
    rules: Live<Rules>,
    forwarded_for: Option<ForwardedFor>,
    /// The fleet this server shares its state with, if any.
    cluster: Cluster,
}

impl Authenticator {
    pub(crate) fn new(
        okta: OktaClient,
        config: &Config,
        dictionary: Arc<radius_proto::dictionary::Dictionary>,
        forwarded_for: Option<ForwardedFor>,
        policies: HashMap<String, CompiledPolicy>,
        cluster: Cluster,
    ) -> Authenticator {
        let state_keys = Arc::new(Live::new(state_keys::StateKeys::new(
            config.state_key.as_ref(),
        )));
        Authenticator {
            context: Context {
                okta,
                pushes: Pushes::new(config.push_limits.clone(), cluster.clone()),
                throttle: FailureThrottle::new(config.abuse.clone(), cluster.clone()),
                identities: Identities::new(cluster.clone()),
                api: config.okta.api,
                cluster: cluster.clone(),
                state_keys: state_keys.clone(),
            },
            states: States::new(state_keys, cluster.clone()),
            groups: GroupsCache::new(config.okta.groups_cache),
            rules: Live::new(Rules {
                users: config.users.clone(),
                dictionary,
                policies,
            }),
            forwarded_for,
            cluster,
        }
    }

    /// The fleet this server is part of (for the server's duplicate cache).
    pub(crate) fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    /// Replaces the user-name rules and policies (a config reload). Logins
    /// in flight finish with the rules they started with.
    pub(crate) fn replace_rules(&self, rules: Rules) {
        self.rules.set(rules);
    }

    /// Applies what a config reload changes in the conversation's own
    /// settings: the push-fatigue limits, the password-spraying throttles,
    /// and a rotated `[state]` key (the key in force until now keeps opening
    /// the challenges it sealed for the longest challenge lifetime). Returns
    /// whether the State key was rotated.
    pub(crate) fn reload_limits_and_keys(&self, config: &Config) -> bool {
        self.context
            .pushes
            .replace_limits(config.push_limits.clone());
        self.context.throttle.replace_limits(config.abuse.clone());
        self.states.rotate(config)
    }

    /// Pushes whose outcome is not known yet (for metrics and tests).
    pub(crate) fn pending_pushes(&self) -> usize {
        self.context.pushes.waiting_count()
    }

    /// Cancels at Okta every push still pending (the server is stopping
    /// now); returns how many transactions were cancelled.
    pub(crate) async fn cancel_pending_pushes(&self) -> usize {
        self.context.pushes.cancel_unfinished().await
    }

    /// Decides one Access-Request (already checked for source, framing and
    /// Message-Authenticator) that arrived at `arrived`.
    ///
    /// The request's deadline (arrival + the client's `deadline`) is set
    /// here, once: every Okta call the request makes draws on the rate-limit
    /// budget only up to it, and each step's calls end by it.
    pub(crate) fn access_request<'a>(
        &'a self,
        client: &'a ClientConfig,
        packet: &'a Packet,
        arrived: Instant,
    ) -> impl Future<Output = Decision> + Send + 'a {
        let deadline = arrived + client.deadline;
        okta_client::budget::with_deadline(deadline, self.decide(client, packet, arrived, deadline))
    }

    async fn decide(
        &self,
        client: &ClientConfig,
        packet: &Packet,
        arrived: Instant,
        deadline: Instant,
    ) -> Decision {
        let user_name = match access_request::user_name(packet) {
            Ok(name) => name,
            Err(problem) => {
                return Decision::reject(Reason::Request(problem), problem.reply_message());
            }
        };
        let request = Request {
            client,
            packet,
            login: username::normalize(user_name, &self.rules.get().users),
            user_name,
            forwarded_for: self.forwarded_for(packet),
            arrived,
            deadline,
            // Never 0, which stands for "no id" in old States.
            login_id: AtomicU32::new(rand::random::<u32>().max(1)),
        };
        let driver = Driver {
            context: &self.context,
            states: &self.states,
            groups: &self.groups,
            rules: &self.rules,
        };
        let (mut decision, okta_wait) =
            okta_client::waiting::measured(driver.converse(&request)).await;
        decision.okta_wait = okta_wait;
        decision
            .with_login_id(request.login_id())
            .with_login(request.login)
    }

    /// The fleet's failure counts a new password login in `packet` would be
    /// checked against, and the oldest failure time that counts: for the
    /// request's claim to read them ahead in its round trip. `None` for a
    /// challenge answer, EAP or a request without a password, and without
    /// a fleet or throttles.
    pub(crate) fn counts_to_read_ahead(
        &self,
        packet: &Packet,
    ) -> Option<crate::cluster::prefetch::ReadAhead> {
        use radius_proto::attribute::types;
        if packet.has(types::STATE)
            || packet.has(types::EAP_MESSAGE)
            || !packet.has(types::USER_PASSWORD)
        {
            return None;
        }
        let user_name = access_request::user_name(packet).ok()?;
        let login = username::normalize(user_name, &self.rules.get().users);
        self.context.throttle.counts_to_read_ahead(
            self.context.identities.keys(&login).as_slice(),
            throttle::source_of(packet),
        )
    }

    /// What the per-user limits hold for a login as typed at a NAS (in a
    /// fleet, the fleet's failed-password counts).
    pub async fn user_limits(&self, typed: &str) -> UserLimits {
        let login = username::normalize(typed, &self.rules.get().users);
        user_limits::report(&self.context, &login).await
    }

    /// Clears the per-user limits of a login as typed at a NAS; returns
    /// what they held.
    pub async fn clear_user_limits(&self, typed: &str) -> UserLimits {
        let login = username::normalize(typed, &self.rules.get().users);
        user_limits::clear(&self.context, &login).await
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
