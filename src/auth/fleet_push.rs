//! One pending push per user across a fleet: the replica that sends a
//! push announces it in Redis, and publishes its outcome there once a poll
//! learns it; a second login of the same user at another replica (its
//! password checked by Okta) then joins that push instead of pushing the
//! phone again, and ends its own transaction.
//!
//! In `push_mode = "wait"` the second login waits for the published
//! outcome. In `push_mode = "challenge"` it gets what a second login at
//! the sending replica gets: the push's challenge, whose State continues
//! the first login's transaction (so the announcement carries that
//! transaction's resume step, sealed with the `[state]` key); whichever
//! replica receives an Enter polls that transaction, and an Enter that
//! comes after another replica learnt the outcome reads it from Redis,
//! filed under a digest of the transaction's token.
//!
//! What is published in clear is the outcome and, for an approval, the
//! user Okta named (id, login and the profile fields the authentication
//! API shows): never a stateToken, an `mfa_token` or a session token.
//! While Redis does not answer, the second login keeps its own transaction
//! and sends its own push (within the push-fatigue limits), as a server on
//! its own would.

use super::identity::UserKey;
use super::push::{PushStatus, PushWatch};
use super::state::{Challenge, Step, unix_seconds};
use super::state_keys::StateKeys;
use crate::cluster::Fleet;
use okta_api::authn::AuthnResponse;
use okta_client::{Grant, VerifiedIdentity};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::time::Instant;

/// How often a joined login looks for the outcome.
const POLL_EVERY: Duration = Duration::from_millis(200);
/// How long an outcome stays readable after it is known.
const OUTCOME_KEPT: Duration = Duration::from_secs(30);

/// What a second login learns of the push pending at another replica.
#[derive(Debug)]
pub(super) enum Outcome {
    /// Approved: the transaction's answer as the other replica's waiter
    /// saw it, without its tokens.
    Approved(Box<AuthnResponse>),
    /// Approved with Direct Authentication: who the checked ID token named
    /// (its tokens are not kept).
    Authenticated(Box<VerifiedIdentity>),
    Rejected,
    TimedOut,
}

impl Outcome {
    /// The status of a push with this outcome.
    pub(super) fn status(&self) -> PushStatus {
        match self {
            Outcome::Approved(answer) => PushStatus::Approved(Arc::new((**answer).clone())),
            Outcome::Authenticated(identity) => {
                PushStatus::Direct(Arc::new(Grant::Authenticated((**identity).clone())))
            }
            Outcome::Rejected => PushStatus::Rejected,
            Outcome::TimedOut => PushStatus::TimedOut,
        }
    }
}

/// Announces a push just sent to `user`, pending for at most `timeout`;
/// `joinable` is the push's resume step sealed by [`seal_join`], for a
/// challenge-mode login at another replica to continue.
pub(super) async fn announce(
    fleet: &Fleet,
    user: &UserKey,
    timeout: Duration,
    joinable: Option<Vec<u8>>,
) {
    let key = fleet.keys().per_user("push-pending", user.as_str());
    let ms = u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    let record = match joinable {
        Some(sealed) => json!({"s": "waiting", "r": hex::encode(sealed)}),
        None => json!({"s": "waiting"}),
    };
    fleet
        .run("push_announce", |mut connection| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(record.to_string())
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut connection)
                .await
        })
        .await;
}

/// What a challenge-mode login at another replica needs to join a push:
/// the step that continues its transaction (stateToken or `mfa_token` and
/// `oob_code` included) and the number to show, sealed with the `[state]`
/// key for `user` until the push is given up.
pub(super) fn seal_join(
    keys: &StateKeys,
    watch: &PushWatch,
    number: Option<&str>,
    timeout: Duration,
) -> Option<Vec<u8>> {
    let challenge = Challenge {
        expires_at: unix_seconds(SystemTime::now()) + timeout.as_secs().max(1),
        login_id: 0,
        step: watch.resume_step(),
    };
    let subject = join_subject(watch.user());
    match keys.seal_record(&challenge, number.unwrap_or("").as_bytes(), &subject) {
        Ok(sealed) => Some(sealed),
        Err(error) => {
            tracing::warn!(%error, "cannot seal a pending push for the fleet");
            None
        }
    }
}

fn join_subject(user: &UserKey) -> String {
    format!("push-pending\0{}", user.as_str())
}

/// A push pending at another replica that a challenge-mode login joins.
pub(super) struct Joined {
    /// Where the first login's transaction continues (its State's step).
    pub(super) step: Step,
    /// The number to tap, with number matching.
    pub(super) number: Option<String>,
}

/// The push another replica has pending for `user` now, when it can be
/// joined (announced in challenge mode, sealed with a key this server
/// holds, its outcome not known yet); `None` also when Redis does not
/// answer.
pub(super) async fn joinable(fleet: &Fleet, keys: &StateKeys, user: &UserKey) -> Option<Joined> {
    let Some(Some(Read::Waiting(Some(sealed)))) = read(fleet, user).await else {
        return None;
    };
    let record = hex::decode(sealed).ok()?;
    let (challenge, number) = keys
        .open_record(&record, &join_subject(user), SystemTime::now())
        .ok()?;
    // The announcement stays until the push is given up, and the replica
    // whose poll learnt the outcome may know the user by another key: a
    // push whose outcome is out is over, and never joined.
    let transaction = match &challenge.step {
        Step::Push { state_token, .. } => state_token,
        Step::DirectPush { oob_code, .. } => oob_code,
        _ => return None,
    };
    if outcome_of(fleet, transaction).await.is_some() {
        return None;
    }
    let number = String::from_utf8(number).ok().filter(|n| !n.is_empty());
    Some(Joined {
        step: challenge.step,
        number,
    })
}

/// Publishes the outcome of `watch`'s push (final statuses only): for the
/// user's record (what a joined login in wait mode waits for) and under
/// its transaction, kept for `keep` (at least half a minute) for an Enter
/// that reaches another replica later.
pub(super) async fn publish(fleet: &Fleet, watch: &PushWatch, status: &PushStatus, keep: Duration) {
    let Some(value) = published(status) else {
        return;
    };
    let value = value.to_string();
    let user_key = fleet.keys().per_user("push-pending", watch.user().as_str());
    let transaction_key = fleet
        .keys()
        .push_outcome(watch.transaction().expose_secret().as_bytes());
    let user_ms = u64::try_from(OUTCOME_KEPT.as_millis()).unwrap_or(u64::MAX);
    let transaction_ms = u64::try_from(keep.max(OUTCOME_KEPT).as_millis()).unwrap_or(u64::MAX);
    fleet
        .run("push_publish", |mut connection| async move {
            redis::pipe()
                .cmd("SET")
                .arg(user_key)
                .arg(&value)
                .arg("PX")
                .arg(user_ms)
                .ignore()
                .cmd("SET")
                .arg(transaction_key)
                .arg(&value)
                .arg("PX")
                .arg(transaction_ms)
                .ignore()
                .query_async::<()>(&mut connection)
                .await
        })
        .await;
}

/// The record of a final status, or `None` for one the fleet does not share.
fn published(status: &PushStatus) -> Option<Value> {
    Some(match status {
        PushStatus::Approved(body) => {
            let named = body.user()?;
            let profile: serde_json::Map<String, Value> = named
                .profile_fields()
                .map(|(name, value)| (name.to_owned(), Value::from(value)))
                .collect();
            json!({
                "s": "approved",
                "user": {"id": named.id(), "profile": profile}
            })
        }
        PushStatus::Direct(grant) => {
            let Grant::Authenticated(identity) = &**grant else {
                return None;
            };
            json!({
                "s": "authenticated",
                "identity": {
                    "sub": identity.subject,
                    "login": identity.login,
                    "given_name": identity.given_name,
                    "family_name": identity.family_name,
                    "email": identity.email,
                    "groups": identity.groups,
                }
            })
        }
        PushStatus::Rejected => json!({"s": "rejected"}),
        PushStatus::TimedOut => json!({"s": "timeout"}),
        _ => return None,
    })
}

/// Whether a push's status is its approval.
pub(super) fn is_approval(status: &PushStatus) -> bool {
    match status {
        PushStatus::Approved(_) => true,
        PushStatus::Direct(grant) => matches!(**grant, Grant::Authenticated(_)),
        _ => false,
    }
}

/// The outcome another replica published for the push of `transaction`
/// (a stateToken or an `oob_code`), if it is known; `None` also when Redis
/// does not answer.
pub(super) async fn outcome_of(fleet: &Fleet, transaction: &SecretString) -> Option<Outcome> {
    let key = fleet
        .keys()
        .push_outcome(transaction.expose_secret().as_bytes());
    let text: Option<String> = fleet
        .run("push_outcome", |mut connection| async move {
            redis::cmd("GET")
                .arg(key)
                .query_async(&mut connection)
                .await
        })
        .await?;
    match parse(&text?)? {
        Read::Done(outcome) => Some(outcome),
        Read::Waiting(_) => None,
    }
}

/// Waits (until `until`) for another replica to publish the outcome of the
/// push of `transaction`: its transaction ended under this replica's poll,
/// so another replica's poll took its answer.
pub(super) async fn wait_outcome_of(
    fleet: &Fleet,
    transaction: &SecretString,
    until: Instant,
) -> Option<Outcome> {
    loop {
        if let Some(outcome) = outcome_of(fleet, transaction).await {
            return Some(outcome);
        }
        if Instant::now() + POLL_EVERY > until {
            return None;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

/// Whether another replica has a push pending for `user` now.
pub(super) async fn pending_elsewhere(fleet: &Fleet, user: &UserKey) -> bool {
    matches!(read(fleet, user).await, Some(Some(Read::Waiting(_))))
}

/// Whether another replica has a push pending for `user` now that a
/// login in wait mode can wait for: one sent in wait mode, whose sender
/// waits for its outcome and publishes it for the user. (One sent in
/// challenge mode is polled by whichever replica gets an Enter, which
/// may know the user by another key: a wait-mode login sends its own.)
pub(super) async fn waitable_elsewhere(fleet: &Fleet, user: &UserKey) -> bool {
    matches!(read(fleet, user).await, Some(Some(Read::Waiting(None))))
}

/// What waiting for another replica's push came to.
#[derive(Debug)]
pub(super) enum Waited {
    Known(Outcome),
    /// Still pending when this login's hold ran out.
    StillPending,
    /// The record is gone without an outcome (that replica stopped), or
    /// Redis stopped answering: this login goes on by itself.
    Alone,
}

/// Waits (until `until`) for the outcome of the push pending for `user`.
pub(super) async fn wait_outcome(fleet: &Fleet, user: &UserKey, until: Instant) -> Waited {
    loop {
        match read(fleet, user).await {
            Some(Some(Read::Done(outcome))) => return Waited::Known(outcome),
            Some(Some(Read::Waiting(_))) => {}
            Some(None) | None => return Waited::Alone,
        }
        if Instant::now() + POLL_EVERY > until {
            return Waited::StillPending;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

enum Read {
    /// Pending; with its sealed resume step when it was sent in challenge mode.
    Waiting(Option<String>),
    Done(Outcome),
}

/// The record of `user`'s push: `None` when Redis does not answer,
/// `Some(None)` when there is none (or it is unreadable).
async fn read(fleet: &Fleet, user: &UserKey) -> Option<Option<Read>> {
    let key = fleet.keys().per_user("push-pending", user.as_str());
    let text: Option<String> = fleet
        .run("push_pending", |mut connection| async move {
            redis::cmd("GET")
                .arg(key)
                .query_async(&mut connection)
                .await
        })
        .await?;
    Some(text.as_deref().and_then(parse))
}

fn parse(text: &str) -> Option<Read> {
    let value: Value = serde_json::from_str(text).ok()?;
    match value.get("s")?.as_str()? {
        "waiting" => Some(Read::Waiting(
            value.get("r").and_then(Value::as_str).map(str::to_owned),
        )),
        "rejected" => Some(Read::Done(Outcome::Rejected)),
        "timeout" => Some(Read::Done(Outcome::TimedOut)),
        "approved" => {
            let answer = json!({
                "status": "SUCCESS",
                "_embedded": {"user": value.get("user")?},
            });
            serde_json::from_value(answer)
                .ok()
                .map(|answer| Read::Done(Outcome::Approved(Box::new(answer))))
        }
        "authenticated" => {
            let identity = value.get("identity")?;
            let text = |name: &str| {
                identity
                    .get(name)
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let groups = match identity.get("groups") {
                Some(Value::Array(groups)) => Some(
                    groups
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_owned)
                        .collect(),
                ),
                _ => None,
            };
            Some(Read::Done(Outcome::Authenticated(Box::new(
                VerifiedIdentity {
                    subject: text("sub").filter(|sub| !sub.is_empty())?,
                    login: text("login"),
                    given_name: text("given_name"),
                    family_name: text("family_name"),
                    email: text("email"),
                    groups,
                },
            ))))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_approval_reads_back_as_a_success_naming_the_user_without_tokens() {
        let stored = json!({
            "s": "approved",
            "user": {"id": "00u1", "profile": {"login": "pat@example.com", "firstName": "Pat", "lastName": null, "locale": null, "timeZone": null}}
        })
        .to_string();
        let Some(Read::Done(Outcome::Approved(answer))) = parse(&stored) else {
            panic!("an approval");
        };
        assert_eq!(answer.user().map(|user| user.id()), Some("00u1"));
        assert!(answer.state_token.is_none());
        assert!(matches!(
            parse(r#"{"s":"waiting"}"#),
            Some(Read::Waiting(None))
        ));
        assert!(matches!(
            parse(r#"{"s":"waiting","r":"00ff"}"#),
            Some(Read::Waiting(Some(sealed))) if sealed == "00ff"
        ));
        assert!(matches!(
            parse(r#"{"s":"rejected"}"#),
            Some(Read::Done(Outcome::Rejected))
        ));
        let identity = VerifiedIdentity {
            subject: "00u2".to_owned(),
            login: Some("pat@example.com".to_owned()),
            given_name: None,
            family_name: None,
            email: None,
            groups: Some(vec!["vpn-users".to_owned()]),
        };
        let status = PushStatus::Direct(Arc::new(Grant::Authenticated(identity.clone())));
        assert!(is_approval(&status));
        let stored = published(&status).expect("published").to_string();
        let Some(Read::Done(Outcome::Authenticated(read))) = parse(&stored) else {
            panic!("an approval with Direct Authentication");
        };
        assert_eq!(*read, identity);
        assert!(parse(r#"{"s":"authenticated","identity":{"sub":""}}"#).is_none());
        assert!(parse("not json").is_none());
        assert!(parse(r#"{"s":"approved"}"#).is_none());
    }
}
