//! The login conversation: the one place where RADIUS and Okta meet.
//!
//! It takes a checked Access-Request from the server and returns a
//! [`Decision`]: a new login goes through [`login`] (password, then a second
//! factor chosen in [`mfa`]); an answer to an Access-Challenge, recognised by
//! its sealed [`state`], goes through [`challenge`]; clients where Okta does
//! not check the password go through [`direct`]. Authorisation from groups
//! ([`policy`]) closes every successful path. Nothing here touches a socket,
//! and the Okta client never sees a RADIUS packet.

pub mod access_request;
pub mod challenge;
pub mod deadline;
pub mod decision;
pub mod direct;
pub mod factors;
pub mod failure;
pub mod identity;
pub mod login;
pub mod messages;
pub mod mfa;
pub mod policy;
pub mod push;
pub mod reason;
pub mod state;
pub mod state_keys;
pub mod throttle;
pub mod typed;
pub mod username;

use crate::config::{ClientConfig, Config, ConfigErrors, ConfigProblem, UserNameRules};
use crate::live::Live;
use dashmap::DashMap;
pub use decision::{Decision, PushHold, Verdict};
use okta_client::client::OktaClient;
use policy::{Authorization, CompiledPolicy, Subject};
use push::Pushes;
use radius_proto::attribute::types;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::Packet;
pub use reason::Reason;
use secrecy::SecretString;
use state::StateId;
use state_keys::StateKeys;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::{Duration, Instant as StdInstant};
use tokio::time::Instant;

/// Where the end user's IP address is read from.
#[derive(Debug, Clone, Copy)]
pub struct ForwardedFor {
    /// The attribute type (a standard attribute, e.g. Calling-Station-Id 31).
    pub attribute: u8,
    /// Whether the attribute holds an address in binary (ipaddr, ipv6addr)
    /// rather than as text.
    pub binary: bool,
}

/// One Access-Request as the conversation sees it.
pub struct Request<'a> {
    pub client: &'a ClientConfig,
    /// User-Name as typed at the NAS (what States are bound to).
    pub user_name: String,
    /// The Okta login it maps to.
    pub login: String,
    pub forwarded_for: Option<IpAddr>,
    /// When the request arrived.
    pub arrived: Instant,
    /// When an ordinary answer is due (arrival + the client's deadline).
    pub deadline: Instant,
}

/// A user's groups, fetched from Okta and reused briefly.
struct CachedGroups {
    fetched: StdInstant,
    groups: Arc<Vec<String>>,
}

/// Decides Access-Requests by asking Okta.
pub struct Authenticator {
    okta: OktaClient,
    /// What a config reload may replace.
    rules: Live<Rules>,
    forwarded_for: Option<ForwardedFor>,
    /// The keys sealing and opening States; a reload may rotate them.
    state_keys: Live<StateKeys>,
    /// States already answered, until they expire (single use).
    used_states: DashMap<StateId, u64>,
    pushes: Arc<Pushes>,
    groups: DashMap<String, CachedGroups>,
    groups_ttl: Duration,
    /// Failed-password counts, consulted before Okta is asked.
    throttle: throttle::FailureThrottle,
    /// Who each login is, for the per-user limits.
    identities: identity::Identities,
}

/// The parts of the conversation's settings a config reload replaces
/// together: user-name rules, and the policies with the dictionary they were
/// compiled against.
pub struct Rules {
    pub users: UserNameRules,
    pub dictionary: Arc<Dictionary>,
    pub policies: HashMap<String, CompiledPolicy>,
}

/// Compiles every policy, reporting problems by key.
pub fn compile_policies(
    config: &Config,
    dictionary: &Dictionary,
) -> Result<HashMap<String, CompiledPolicy>, ConfigErrors> {
    let mut compiled = HashMap::new();
    let mut problems = Vec::new();
    for policy in &config.policies {
        match CompiledPolicy::compile(policy, dictionary) {
            Ok(done) => {
                compiled.insert(policy.name.clone(), done);
            }
            Err(errors) => problems.extend(
                errors
                    .into_iter()
                    .map(|(key, message)| ConfigProblem { key, message }),
            ),
        }
    }
    if problems.is_empty() {
        Ok(compiled)
    } else {
        Err(ConfigErrors(problems))
    }
}

impl Authenticator {
    pub fn new(
        okta: OktaClient,
        config: &Config,
        dictionary: Arc<Dictionary>,
        forwarded_for: Option<ForwardedFor>,
        policies: HashMap<String, CompiledPolicy>,
    ) -> Authenticator {
        Authenticator {
            okta,
            rules: Live::new(Rules {
                users: config.users.clone(),
                dictionary,
                policies,
            }),
            forwarded_for,
            state_keys: Live::new(StateKeys::new(config.state_key.as_ref())),
            used_states: DashMap::new(),
            pushes: Arc::new(Pushes::new(config.push_limits.clone())),
            groups: DashMap::new(),
            groups_ttl: config.okta.groups_cache,
            throttle: throttle::FailureThrottle::new(config.abuse.clone()),
            identities: identity::Identities::new(),
        }
    }

    /// Replaces the user-name rules and policies (a config reload). Logins
    /// in flight finish with the rules they started with.
    pub fn replace_rules(&self, rules: Rules) {
        self.rules.set(rules);
    }

    /// Applies what a config reload changes in the conversation's own
    /// settings: the push-fatigue limits, the password-spraying throttles,
    /// and a rotated `[state]` key (the key in force until now keeps opening
    /// the challenges it sealed for the longest challenge lifetime). Returns
    /// whether the State key was rotated.
    pub fn reload_limits_and_keys(&self, config: &Config) -> bool {
        self.pushes.replace_limits(config.push_limits.clone());
        self.throttle.replace_limits(config.abuse.clone());
        let keys = self.state_keys.get();
        if !keys.differs_from(config.state_key.as_ref()) {
            return false;
        }
        let lifetime = config
            .clients
            .iter()
            .map(|client| client.mfa.challenge_lifetime)
            .max()
            .unwrap_or(Duration::from_secs(300));
        self.state_keys
            .set(keys.rotated(config.state_key.as_ref(), lifetime.as_secs()));
        true
    }

    /// Pushes whose outcome is not known yet (for metrics and tests).
    pub fn pending_pushes(&self) -> usize {
        self.pushes.waiting_count()
    }

    /// Cancels at Okta every push still pending (the server is stopping
    /// now); returns how many transactions were cancelled.
    pub async fn cancel_pending_pushes(&self) -> usize {
        self.pushes.cancel_unfinished().await
    }

    /// Decides one Access-Request (already checked for source, framing and
    /// Message-Authenticator) before `deadline`.
    pub async fn access_request(
        &self,
        client: &ClientConfig,
        packet: &Packet,
        arrived: Instant,
    ) -> Decision {
        let deadline = arrived + client.deadline;
        let user_name = match access_request::user_name(packet) {
            Ok(name) => name,
            Err(problem) => {
                return Decision::reject(Reason::Request(problem), problem.reply_message());
            }
        };
        let request = Request {
            client,
            login: username::normalize(&user_name, &self.rules.get().users),
            user_name,
            forwarded_for: self.forwarded_for(packet),
            arrived,
            deadline,
        };
        let decision = match packet.first(types::STATE) {
            Some(state) => {
                let state = state.to_vec();
                Box::pin(challenge::answer(self, &request, packet, &state)).await
            }
            None => Box::pin(login::start(self, &request, packet)).await,
        };
        // A push was sent (or joined): wait for it here, where nothing of
        // the steps that led to it is held any more.
        let decision = match decision.push.clone() {
            Some(PushHold(watch)) => {
                let mode = request.client.mfa.push_mode;
                Box::pin(mfa::answer_push(self, &request, &watch, mode, true))
                    .await
                    .with_okta_request_id(decision.okta_request_id)
            }
            None => decision,
        };
        let login = request.login.clone();
        match decision.login {
            Some(_) => decision,
            None => decision.with_login(login),
        }
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

    /// Marks a State as answered; false when it already was.
    fn use_state(&self, id: StateId, expires_at: u64) -> bool {
        let now = state::unix_seconds(std::time::SystemTime::now());
        if self.used_states.len() > 10_000 {
            self.used_states.retain(|_, expiry| *expiry > now);
        }
        self.used_states.insert(id, expires_at).is_none()
    }

    /// Seals a challenge for this request; `None` when it cannot be sealed.
    fn seal(&self, request: &Request<'_>, step: state::Step) -> Option<Vec<u8>> {
        let lifetime = request.client.mfa.challenge_lifetime;
        let challenge = state::Challenge {
            expires_at: state::unix_seconds(std::time::SystemTime::now()) + lifetime.as_secs(),
            step,
        };
        let binding = state::Binding {
            client: &request.client.name,
            user_name: &request.user_name,
        };
        match self.state_keys.get().seal(&challenge, &binding) {
            Ok((bytes, _)) => Some(bytes),
            Err(error) => {
                tracing::error!(user = %request.login, %error, "cannot seal the State of a challenge");
                None
            }
        }
    }

    /// An Access-Challenge carrying `step` in its State.
    fn challenge(
        &self,
        request: &Request<'_>,
        reason: Reason,
        prompt: &str,
        step: state::Step,
    ) -> Decision {
        match self.seal(request, step) {
            Some(state) => Decision::challenge(reason, prompt, state),
            None => Decision::reject(Reason::StateTooLong, messages::NOT_ALLOWED),
        }
    }

    /// Cancels an Okta transaction that will not be finished, so nothing can
    /// complete it later. Failures are only logged: the login ends anyway.
    async fn cancel(&self, state_token: &SecretString) {
        if let Err(error) = Box::pin(self.okta.cancel(state_token)).await {
            tracing::debug!(%error, "cancelling an Okta transaction failed");
        }
    }

    /// The user's groups, from the cache or from Okta.
    async fn groups_of(
        &self,
        user_id: &str,
    ) -> Result<Arc<Vec<String>>, okta_client::error::OktaError> {
        if let Some(cached) = self.groups.get(user_id)
            && cached.fetched.elapsed() < self.groups_ttl
        {
            return Ok(cached.groups.clone());
        }
        let reply = self.okta.user_groups(user_id).await?;
        let groups: Arc<Vec<String>> = Arc::new(
            reply
                .body
                .into_iter()
                .map(|group| group.profile.name)
                .collect(),
        );
        if self.groups.len() > 50_000 {
            let ttl = self.groups_ttl;
            self.groups
                .retain(|_, cached| cached.fetched.elapsed() < ttl);
        }
        self.groups.insert(
            user_id.to_owned(),
            CachedGroups {
                fetched: StdInstant::now(),
                groups: groups.clone(),
            },
        );
        Ok(groups)
    }

    /// Closes a successful login: applies the client's policy and accepts,
    /// or rejects when the user's groups do not allow this client.
    async fn authorize(
        &self,
        request: &Request<'_>,
        reason: Reason,
        user_id: Option<&str>,
        profile: &HashMap<String, String>,
    ) -> Decision {
        let rules = self.rules.get();
        let Some(policy) = request
            .client
            .policy
            .as_ref()
            .and_then(|p| rules.policies.get(&p.name))
        else {
            return Decision::accept(reason);
        };
        let groups = if policy.needs_groups() {
            let Some(user_id) = user_id else {
                tracing::warn!(user = %request.login, "Okta's answer names no user id; groups cannot be checked");
                return failure::decide_timeout(request.client.on_okta_failure);
            };
            match deadline::within(
                request
                    .deadline
                    .max(Instant::now() + Duration::from_secs(2)),
                self.groups_of(user_id),
            )
            .await
            {
                Ok(Ok(groups)) => groups,
                Ok(Err(error)) => {
                    tracing::warn!(user = %request.login, %error, "cannot read the user's Okta groups");
                    return failure::decide_failure(&error, request.client.on_okta_failure);
                }
                Err(_) => return failure::decide_timeout(request.client.on_okta_failure),
            }
        } else {
            Arc::new(Vec::new())
        };
        let subject = Subject {
            login: &request.login,
            user_name: &request.user_name,
            profile,
        };
        match policy.apply(&rules.dictionary, &subject, &groups) {
            Authorization::Allowed(attributes) => {
                let mut decision = Decision::accept(reason);
                decision.attributes.extend(attributes);
                decision
            }
            Authorization::NotInGroup => {
                Decision::reject(Reason::GroupRequired, messages::GROUP_REQUIRED)
            }
        }
    }
}
