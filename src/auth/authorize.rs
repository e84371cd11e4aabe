//! Closing a login Okta accepted: the client's policy decides, from the
//! user's Okta groups (fetched, then reused briefly, or taken from the ID
//! token's groups claim), whether this client may let them in and which
//! reply attributes go with the Access-Accept.

use super::context::{Context, Request};
use super::decision::Decision;
use super::failure::decide_timeout;
use super::messages;
use super::next::Approval;
use super::okta_call::{Purpose, ask};
use super::policy::{Authorization, CompiledPolicy, Subject};
use super::reason::Reason;
use super::rules::Rules;
use dashmap::DashMap;
use okta_client::OktaClient;
use okta_client::error::OktaError;
use radius_proto::attribute::Attribute;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Cached users past which the stale ones are swept.
const SWEEP_ABOVE: usize = 50_000;

/// A user's groups, fetched from Okta and reused briefly.
struct CachedGroups {
    fetched: Instant,
    groups: Arc<Vec<String>>,
}

/// Users' groups by Okta user id.
pub(super) struct GroupsCache {
    users: DashMap<String, CachedGroups>,
    ttl: Duration,
}

impl GroupsCache {
    pub(super) fn new(ttl: Duration) -> GroupsCache {
        GroupsCache {
            users: DashMap::new(),
            ttl,
        }
    }

    /// The user's groups, from the cache or from Okta.
    async fn of(&self, okta: &OktaClient, user_id: &str) -> Result<Arc<Vec<String>>, OktaError> {
        if let Some(cached) = self.users.get(user_id)
            && cached.fetched.elapsed() < self.ttl
        {
            return Ok(cached.groups.clone());
        }
        let reply = okta.users().groups(user_id).await?;
        let groups: Arc<Vec<String>> = Arc::new(
            reply
                .body
                .into_iter()
                .map(|group| group.profile.name)
                .collect(),
        );
        if self.users.len() > SWEEP_ABOVE {
            let ttl = self.ttl;
            self.users
                .retain(|_, cached| cached.fetched.elapsed() < ttl);
        }
        self.users.insert(
            user_id.to_owned(),
            CachedGroups {
                fetched: Instant::now(),
                groups: groups.clone(),
            },
        );
        Ok(groups)
    }
}

/// The policy of the request's client, when it names one that exists.
fn policy_of<'r>(rules: &'r Rules, request: &Request<'_>) -> Option<&'r CompiledPolicy> {
    let name = &request.client.policy.as_ref()?.name;
    rules.policies.get(name)
}

/// Whether authorising this request needs the user's groups from Okta.
pub(super) fn needs_groups(rules: &Rules, request: &Request<'_>) -> bool {
    policy_of(rules, request).is_some_and(CompiledPolicy::needs_groups)
}

/// Authorises without asking Okta (see [`needs_groups`]): with the groups
/// Okta's answer carried, if any.
pub(super) fn authorize(rules: &Rules, request: &Request<'_>, mut approval: Approval) -> Decision {
    let groups = approval.groups.take().unwrap_or_default();
    decide(rules, request, approval, &groups)
}

/// Authorises with the user's groups, from the cache or from Okta.
pub(super) async fn authorize_with_groups(
    context: &Context,
    cache: &GroupsCache,
    rules: Arc<Rules>,
    request: &Request<'_>,
    approval: Approval,
) -> Decision {
    let Some(user_id) = approval.user.id() else {
        tracing::warn!(user = %request.login, "Okta's answer names no user id; groups cannot be checked");
        return decide_timeout(request.client.on_okta_failure);
    };
    let groups = match ask(request, Purpose::Groups, cache.of(&context.okta, user_id)).await {
        Ok(groups) => groups,
        Err(failed) => {
            if let Some(error) = failed.error() {
                tracing::warn!(user = %request.login, %error, "cannot read the user's Okta groups");
            }
            return failed.decision;
        }
    };
    decide(&rules, request, approval, &groups)
}

/// Applies the client's policy (if any) to a user with these groups.
fn decide(rules: &Rules, request: &Request<'_>, approval: Approval, groups: &[String]) -> Decision {
    let Some(policy) = policy_of(rules, request) else {
        tracing::debug!("no policy for this client: Okta's approval is enough");
        return accepted(approval, Vec::new());
    };
    tracing::debug!(groups = ?groups, "the user's Okta groups");
    let subject = Subject {
        login: &request.login,
        user_name: request.user_name,
        user: &approval.user,
    };
    match policy.apply(&rules.dictionary, &subject, groups) {
        Authorization::Allowed(attributes) => accepted(approval, attributes),
        Authorization::NotInGroup => {
            Decision::reject(Reason::GroupRequired, messages::GROUP_REQUIRED)
        }
    }
}

/// The Access-Accept, with the policy's attributes and any password warning.
fn accepted(approval: Approval, attributes: Vec<Attribute>) -> Decision {
    let mut decision = Decision::accept(approval.reason);
    decision.attributes.extend(attributes);
    match approval.warning {
        Some(text) => decision.with_message(&text),
        None => decision,
    }
}
