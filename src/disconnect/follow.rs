//! Following Okta: the System Log is polled every
//! `disconnect.poll_interval_seconds` for the event types some client
//! disconnects on, from the cursor kept on disk; each event seen for the
//! first time is matched against the session table, and each session of
//! the user it names (started before the event, on a client that chose
//! that event) gets a Disconnect-Request on its own task. A session whose
//! NAS confirmed (ACK, or a NAK saying it is not there) leaves the table.
//! Events pushed by Okta Event Hooks (`hook.rs`) join the same path.

use super::cursor::Cursor;
use super::request;
use super::sender::{self, Outcome, Retries};
use crate::accounting::{Accounting, Session};
use crate::config::{ClientConfig, Config, DisconnectConfig, DisconnectOn};
use crate::live::Live;
use crate::telemetry::logging::AUDIT_TARGET;
use crate::telemetry::metrics as m;
use metrics::counter;
use okta_api::system_log::{LogEvent, event_types};
use okta_client::{LogCursor, OktaClient, PAGE_LIMIT};
use rustls::sign::CertifiedKey;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// Pages read at most per poll, so a backlog is worked off over several
/// polls rather than in one burst on the rate limit.
const PAGES_PER_POLL: usize = 10;

/// Event Hook deliveries waiting for the follower at most; past it Okta
/// gets a 503 and polling finds the events.
const PUSHED_BATCHES: usize = 64;

/// Disconnect-Requests in flight at most (each holds a socket): a mass
/// deactivation waits its turn rather than running out of descriptors.
const MOST_IN_FLIGHT: usize = 256;

/// How much later than the event a session may have started and still be
/// ended by it: the bridge's and Okta's clocks differ a little.
const CLOCK_SKEW: Duration = Duration::from_secs(5);

/// The System Log event type of each choice of `disconnect_on`.
pub fn event_type(on: DisconnectOn) -> &'static str {
    match on {
        DisconnectOn::Deactivate => event_types::USER_DEACTIVATE,
        DisconnectOn::Suspend => event_types::USER_SUSPEND,
        DisconnectOn::SessionClear => event_types::USER_SESSION_CLEAR,
        DisconnectOn::PasswordReset => event_types::USER_RESET_PASSWORD,
        DisconnectOn::GroupRemoval => event_types::GROUP_MEMBERSHIP_REMOVE,
    }
}

fn choice_of(event_type_name: &str) -> Option<DisconnectOn> {
    DisconnectOn::ALL
        .into_iter()
        .find(|on| event_type(*on) == event_type_name)
}

/// The clients by name, replaced on a reload.
type Clients = Live<HashMap<String, Arc<ClientConfig>>>;

fn clients_by_name(config: &Config) -> HashMap<String, Arc<ClientConfig>> {
    config
        .clients
        .iter()
        .map(|client| (client.name.clone(), client.clone()))
        .collect()
}

/// A handle on the running follower, for reloads.
pub struct Follower {
    clients: Arc<Clients>,
}

impl Follower {
    /// Puts reloaded clients (`coa_port`, `coa_secret`, `disconnect_on`)
    /// in force for the next disconnects.
    pub fn replace_clients(&self, config: &Config) {
        self.clients.set(clients_by_name(config));
    }
}

/// Starts following the System Log. `None` when `[disconnect]` is off or
/// no client disconnects on anything; an error when the cursor file cannot
/// be read.
pub async fn start(
    config: &Config,
    okta: OktaClient,
    accounting: Arc<Accounting>,
    certificate: Option<Arc<CertifiedKey>>,
) -> std::io::Result<Option<Follower>> {
    if !config.disconnect.enabled {
        return Ok(None);
    }
    let mut wanted: Vec<String> = config
        .clients
        .iter()
        .flat_map(|client| client.disconnect_on.iter().copied())
        .map(|on| event_type(on).to_owned())
        .collect();
    wanted.sort();
    wanted.dedup();
    if wanted.is_empty() {
        tracing::warn!(
            "disconnect.enabled is on but every client has disconnect_on = []: the System Log is not followed"
        );
        return Ok(None);
    }
    let cursor_file = &config.disconnect.cursor_file;
    let cursor = Cursor::load(cursor_file, &wanted)
        .and_then(|cursor| {
            // Written at once, so a file the service cannot write stops the
            // start rather than every poll.
            cursor.save(cursor_file)?;
            Ok(cursor)
        })
        .map_err(|error| {
            std::io::Error::new(
                error.kind(),
                format!(
                    "disconnect.cursor_file: {}: {error}; create its directory and let the service write there",
                    cursor_file.display()
                ),
            )
        })?;
    for outcome in [
        Outcome::Ack,
        Outcome::Nak(None),
        Outcome::NoAnswer,
        Outcome::Failed,
    ] {
        // Exported from the start, so a dashboard shows 0 rather than nothing.
        counter!(m::DISCONNECTS, "outcome" => outcome.label()).increment(0);
    }
    let (push, pushed) = tokio::sync::mpsc::channel(PUSHED_BATCHES);
    if let Some(hook) = &config.disconnect.event_hook {
        let Some(certificate) = certificate else {
            return Err(std::io::Error::other(
                "disconnect.event_hook_listen: Event Hooks are served over HTTPS with the [tls] certificate, which is not loaded",
            ));
        };
        let bound = super::hook::start(hook.listen, certificate, hook.secret.clone(), push).await?;
        tracing::info!(listen = %bound, path = super::hook::PATH, "Okta Event Hook listener ready");
    }
    let clients = Arc::new(Live::new(clients_by_name(config)));
    let poller = Poller {
        okta,
        accounting,
        clients: clients.clone(),
        settings: config.disconnect.clone(),
        since: SystemTime::now()
            .checked_sub(config.disconnect.poll_interval)
            .unwrap_or(SystemTime::UNIX_EPOCH),
        cursor,
        failing_since: None,
        in_flight: Arc::new(tokio::sync::Semaphore::new(MOST_IN_FLIGHT)),
        pushed,
    };
    tracing::info!(
        event_types = %wanted.join(" "),
        every_s = config.disconnect.poll_interval.as_secs(),
        "following the Okta System Log to end sessions"
    );
    tokio::spawn(poller.run());
    Ok(Some(Follower { clients }))
}

struct Poller {
    okta: OktaClient,
    accounting: Arc<Accounting>,
    clients: Arc<Clients>,
    settings: DisconnectConfig,
    /// Where the first poll ever starts.
    since: SystemTime,
    cursor: Cursor,
    /// When polls started failing, while they fail.
    failing_since: Option<std::time::Instant>,
    in_flight: Arc<tokio::sync::Semaphore>,
    /// Events pushed by Okta Event Hooks.
    pushed: tokio::sync::mpsc::Receiver<Vec<LogEvent>>,
}

impl Poller {
    async fn run(mut self) {
        let mut tick = tokio::time::interval(self.settings.poll_interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = tick.tick() => self.poll().await,
                Some(events) = self.pushed.recv() => {
                    for event in &self.handle(events, None) {
                        self.on_event(event).await;
                    }
                }
            }
        }
    }

    async fn poll(&mut self) {
        for _ in 0..PAGES_PER_POLL {
            let from = match &self.cursor.next {
                Some(next) => LogCursor::Next(next.clone()),
                None => LogCursor::Since {
                    since: self.since,
                    event_types: self.cursor.event_types.clone(),
                },
            };
            let page = match self.okta.system_log().poll(&from).await {
                Ok(reply) => reply.body,
                Err(error) => {
                    counter!(m::SYSTEM_LOG_POLLS, "result" => "error").increment(1);
                    // Said once when it starts failing, not at every poll.
                    if self.failing_since.is_none() {
                        self.failing_since = Some(std::time::Instant::now());
                        tracing::warn!(%error, "cannot read the Okta System Log: no session is ended until it can; trying again at every poll");
                    } else {
                        tracing::debug!(%error, "cannot read the Okta System Log");
                    }
                    return;
                }
            };
            if let Some(since) = self.failing_since.take() {
                tracing::info!(
                    failing_for_s = since.elapsed().as_secs(),
                    "the Okta System Log is readable again"
                );
            }
            counter!(m::SYSTEM_LOG_POLLS, "result" => "ok").increment(1);
            let count = page.events.len();
            let new = self.handle(page.events, page.next);
            for event in &new {
                self.on_event(event).await;
            }
            if count < PAGE_LIMIT {
                return;
            }
        }
    }

    /// Marks the events of a page (polled, or pushed by an Event Hook) as
    /// handled and saves the cursor, with the polled page's `next` link,
    /// before any Disconnect-Request leaves: a restart never reads an event
    /// back as new and ends its sessions a second time, and an event that
    /// comes both pushed and polled is handled once. Returns the events
    /// seen for the first time.
    fn handle(&mut self, events: Vec<LogEvent>, next: Option<String>) -> Vec<LogEvent> {
        let new: Vec<LogEvent> = events
            .into_iter()
            .filter(|event| {
                let first = self.cursor.first_sight(&event.uuid);
                if !first {
                    tracing::debug!(okta_event = %event.uuid, "System Log event seen before");
                }
                first
            })
            .collect();
        if let Some(next) = next {
            self.cursor.next = Some(next);
        }
        if let Err(error) = self.cursor.save(&self.settings.cursor_file) {
            tracing::error!(
                %error,
                file = %self.settings.cursor_file.display(),
                "cannot save the System Log cursor: after a restart these events would be read again"
            );
        }
        new
    }

    /// Ends the sessions an event (seen for the first time) names.
    async fn on_event(&self, event: &LogEvent) {
        let Some(on) = choice_of(&event.event_type) else {
            return;
        };
        let now = SystemTime::now();
        let published = okta_api::time::parse_timestamp(&event.published).unwrap_or(now);
        let groups: Vec<String> = event.group_names().map(str::to_lowercase).collect();
        let clients = self.clients.get();
        for login in event.user_logins() {
            let sessions = self.accounting.sessions.sessions_of(login, now).await;
            let mut ended = 0;
            for session in sessions {
                if session.started > published + CLOCK_SKEW {
                    continue;
                }
                let Some(client) = clients.get(&session.nas.client) else {
                    continue;
                };
                if !client.disconnect_on.contains(&on) {
                    continue;
                }
                if on == DisconnectOn::GroupRemoval && !requires_one_of(client, &groups) {
                    continue;
                }
                ended += 1;
                let job = Disconnect {
                    session,
                    client: client.clone(),
                    event_type: event.event_type.clone(),
                    event_id: event.uuid.clone(),
                    retries: Retries {
                        first_wait: self.settings.timeout,
                        retries: self.settings.retries,
                    },
                };
                let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
                    return;
                };
                let accounting = self.accounting.clone();
                tokio::spawn(async move {
                    job.run(accounting).await;
                    drop(permit);
                });
            }
            tracing::info!(
                okta_event = %event.uuid,
                event_type = %event.event_type,
                user = login,
                sessions = ended,
                "Okta event"
            );
        }
    }
}

/// Whether the client's policy requires one of these (case-folded) groups.
fn requires_one_of(client: &ClientConfig, groups: &[String]) -> bool {
    client.policy.as_ref().is_some_and(|policy| {
        policy
            .require_groups
            .iter()
            .any(|required| groups.contains(&required.to_lowercase()))
    })
}

/// One session to end.
struct Disconnect {
    session: Session,
    client: Arc<ClientConfig>,
    event_type: String,
    event_id: String,
    retries: Retries,
}

impl Disconnect {
    async fn run(self, accounting: Arc<Accounting>) {
        let nas = SocketAddr::new(self.session.nas.address, self.client.coa_port);
        let sent = sender::disconnect(
            &self.session,
            nas,
            self.client.coa_secret_bytes(),
            self.retries,
        )
        .await;
        let error_cause = match sent.outcome {
            Outcome::Nak(Some(cause)) => format!("{cause} {}", request::error_cause_name(cause)),
            _ => String::new(),
        };
        counter!(m::DISCONNECTS, "outcome" => sent.outcome.label()).increment(1);
        tracing::info!(
            target: AUDIT_TARGET,
            client = %self.client.name,
            nas = %nas,
            user = %self.session.login,
            user_name = %self.session.user_name,
            acct_session_id = %self.session.acct_session_id,
            event_type = %self.event_type,
            okta_event = %self.event_id,
            outcome = sent.outcome.label(),
            error_cause,
            attempts = sent.attempts,
            "disconnect"
        );
        if matches!(sent.outcome, Outcome::Ack | Outcome::Nak(Some(503))) {
            accounting
                .sessions
                .remove(&self.session.nas, &self.session.acct_session_id)
                .await;
        }
    }
}
