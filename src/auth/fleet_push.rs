//! One pending push per user across a fleet, for the authentication API in
//! `push_mode = "wait"`: the replica that sends a push announces it in
//! Redis, and publishes its outcome there when its waiting request learns
//! it; a second login of the same user at another replica (its password
//! checked by Okta) then waits for that outcome instead of pushing the
//! phone again, and ends its own transaction once the outcome is known.
//!
//! What is published is the outcome and, for an approval, the user Okta
//! named (id, login and the profile fields the authentication API shows):
//! never a stateToken or a session token. While Redis does not answer, the
//! second login keeps its own transaction and sends its own push (within
//! the push-fatigue limits), as a server on its own would.

use super::identity::UserKey;
use super::push::PushStatus;
use crate::cluster::Fleet;
use okta_api::authn::AuthnResponse;
use serde_json::{Value, json};
use std::time::Duration;
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
    Rejected,
    TimedOut,
}

/// Announces a push just sent to `user`, pending for at most `timeout`.
pub(super) async fn announce(fleet: &Fleet, user: &UserKey, timeout: Duration) {
    let key = fleet.keys().per_user("push-pending", user.as_str());
    let ms = u64::try_from(timeout.as_millis())
        .unwrap_or(u64::MAX)
        .max(1);
    fleet
        .run("push_announce", |mut connection| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(json!({"s": "waiting"}).to_string())
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut connection)
                .await
        })
        .await;
}

/// Publishes the outcome of `user`'s push (final statuses only).
pub(super) async fn publish(fleet: &Fleet, user: &UserKey, status: &PushStatus) {
    let value = match status {
        PushStatus::Approved(body) => {
            let Some(named) = body.user() else {
                return;
            };
            let profile = &named.profile;
            json!({
                "s": "approved",
                "user": {
                    "id": named.id,
                    "profile": {
                        "login": profile.login,
                        "firstName": profile.first_name,
                        "lastName": profile.last_name,
                        "locale": profile.locale,
                        "timeZone": profile.time_zone,
                    }
                }
            })
        }
        PushStatus::Rejected => json!({"s": "rejected"}),
        PushStatus::TimedOut => json!({"s": "timeout"}),
        _ => return,
    };
    let key = fleet.keys().per_user("push-pending", user.as_str());
    let ms = u64::try_from(OUTCOME_KEPT.as_millis()).unwrap_or(u64::MAX);
    fleet
        .run("push_publish", |mut connection| async move {
            redis::cmd("SET")
                .arg(key)
                .arg(value.to_string())
                .arg("PX")
                .arg(ms)
                .query_async::<()>(&mut connection)
                .await
        })
        .await;
}

/// Whether another replica has a push pending for `user` now.
pub(super) async fn pending_elsewhere(fleet: &Fleet, user: &UserKey) -> bool {
    matches!(read(fleet, user).await, Some(Some(Read::Waiting)))
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
            Some(Some(Read::Waiting)) => {}
            Some(None) | None => return Waited::Alone,
        }
        if Instant::now() + POLL_EVERY > until {
            return Waited::StillPending;
        }
        tokio::time::sleep(POLL_EVERY).await;
    }
}

enum Read {
    Waiting,
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
        "waiting" => Some(Read::Waiting),
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
        assert_eq!(answer.user().map(|user| user.id.as_str()), Some("00u1"));
        assert!(answer.session_token.is_none() && answer.state_token.is_none());
        assert!(matches!(parse(r#"{"s":"waiting"}"#), Some(Read::Waiting)));
        assert!(matches!(
            parse(r#"{"s":"rejected"}"#),
            Some(Read::Done(Outcome::Rejected))
        ));
        assert!(parse("not json").is_none());
        assert!(parse(r#"{"s":"approved"}"#).is_none());
    }
}
