//! The session table: who is connected through which NAS, from Start,
//! Interim-Update and Stop records, so that an event at Okta about a user
//! can be turned into a Disconnect-Request for each of that user's sessions.
//!
//! The table is behind [`SessionStore`], so a fleet can keep it in a shared
//! store; [`LocalSessions`] keeps it in this process. It is bounded
//! (`accounting.max_sessions`: when full, the session silent the longest
//! makes room) and forgets a session nobody reported on for
//! `accounting.session_silence_seconds` (its Stop was lost, or the NAS
//! died).

use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::pin::Pin;
use std::sync::Mutex;
use std::time::{Duration, SystemTime};

/// Acct-Status-Type (RFC 2866 §5.1).
const ACCT_STATUS_TYPE: u8 = 40;
/// Acct-Session-Id (RFC 2866 §5.5).
const ACCT_SESSION_ID: u8 = 44;
/// Framed-IP-Address (RFC 2865 §5.8).
const FRAMED_IP_ADDRESS: u8 = 8;

/// What a record says of its session (Acct-Status-Type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionEvent {
    Start,
    InterimUpdate,
    Stop,
    /// Accounting-On or -Off: the NAS restarted, none of its sessions is left.
    NasRestart,
}

impl SessionEvent {
    /// By the number on the wire.
    pub fn from_number(value: u32) -> Option<SessionEvent> {
        match value {
            1 => Some(SessionEvent::Start),
            2 => Some(SessionEvent::Stop),
            3 => Some(SessionEvent::InterimUpdate),
            7 | 8 => Some(SessionEvent::NasRestart),
            _ => None,
        }
    }

    /// By the dictionary's name for the value, as the accounting file has it.
    pub fn from_name(name: &str) -> Option<SessionEvent> {
        match name {
            "Start" => Some(SessionEvent::Start),
            "Stop" => Some(SessionEvent::Stop),
            "Interim-Update" | "Alive" => Some(SessionEvent::InterimUpdate),
            "Accounting-On" | "Accounting-Off" => Some(SessionEvent::NasRestart),
            _ => None,
        }
    }
}

/// The NAS that holds a session: the client it came from and how it names
/// itself, which a Disconnect-Request repeats (RFC 5176 §3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Nas {
    /// The client's name in the config.
    pub client: String,
    /// Where the accounting came from: where a Disconnect-Request goes.
    pub address: IpAddr,
    pub nas_ip_address: Option<Ipv4Addr>,
    pub nas_ipv6_address: Option<Ipv6Addr>,
    pub nas_identifier: Option<String>,
}

/// One session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub acct_session_id: String,
    pub nas: Nas,
    /// User-Name as the NAS sent it.
    pub user_name: String,
    /// The login Okta knows (User-Name through the `[users]` rules).
    pub login: String,
    pub framed_ip_address: Option<Ipv4Addr>,
    pub calling_station_id: Option<String>,
    pub started: SystemTime,
    pub updated: SystemTime,
}

/// One accounting record as the table reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUpdate {
    pub event: SessionEvent,
    pub session: Session,
}

impl SessionUpdate {
    /// From a received Accounting-Request; `None` when it says nothing of a
    /// session (no Acct-Status-Type; no Acct-Session-Id or User-Name for a
    /// session's own record).
    pub fn from_packet(
        packet: &Packet,
        client: &str,
        address: IpAddr,
        received: SystemTime,
        okta_login: impl Fn(&str) -> String,
    ) -> Option<SessionUpdate> {
        let event = SessionEvent::from_number(packet.integer(ACCT_STATUS_TYPE)?)?;
        let fixed = |typ| packet.first(typ);
        let nas = Nas {
            client: client.to_owned(),
            address,
            nas_ip_address: fixed(types::NAS_IP_ADDRESS)
                .and_then(|b| <[u8; 4]>::try_from(b).ok())
                .map(Ipv4Addr::from),
            nas_ipv6_address: fixed(types::NAS_IPV6_ADDRESS)
                .and_then(|b| <[u8; 16]>::try_from(b).ok())
                .map(Ipv6Addr::from),
            nas_identifier: packet.text(types::NAS_IDENTIFIER).map(str::to_owned),
        };
        let user_name = packet.text(types::USER_NAME).unwrap_or_default().to_owned();
        let acct_session_id = packet.text(ACCT_SESSION_ID).unwrap_or_default().to_owned();
        SessionUpdate::assemble(
            event,
            Session {
                login: okta_login(&user_name),
                acct_session_id,
                nas,
                user_name,
                framed_ip_address: fixed(FRAMED_IP_ADDRESS)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(Ipv4Addr::from),
                calling_station_id: packet.text(types::CALLING_STATION_ID).map(str::to_owned),
                started: received,
                updated: received,
            },
        )
    }

    /// From a line of the accounting file (see `record.rs`).
    pub fn from_record(
        record: &serde_json::Value,
        okta_login: impl Fn(&str) -> String,
    ) -> Option<SessionUpdate> {
        let attributes = &record["attributes"];
        let text = |name: &str| attributes[name].as_str().map(str::to_owned);
        let event = SessionEvent::from_name(attributes["Acct-Status-Type"].as_str()?)?;
        let time = okta_api::time::parse_timestamp(record["time"].as_str()?)?;
        let source: std::net::SocketAddr = record["source"].as_str()?.parse().ok()?;
        let user_name = text("User-Name").unwrap_or_default();
        SessionUpdate::assemble(
            event,
            Session {
                login: okta_login(&user_name),
                acct_session_id: text("Acct-Session-Id").unwrap_or_default(),
                nas: Nas {
                    client: record["client"].as_str()?.to_owned(),
                    address: source.ip(),
                    nas_ip_address: text("NAS-IP-Address").and_then(|t| t.parse().ok()),
                    nas_ipv6_address: text("NAS-IPv6-Address").and_then(|t| t.parse().ok()),
                    nas_identifier: text("NAS-Identifier"),
                },
                user_name,
                framed_ip_address: text("Framed-IP-Address").and_then(|t| t.parse().ok()),
                calling_station_id: text("Calling-Station-Id"),
                started: time,
                updated: time,
            },
        )
    }

    fn assemble(event: SessionEvent, session: Session) -> Option<SessionUpdate> {
        let names_a_session = !session.acct_session_id.is_empty() && !session.user_name.is_empty();
        (event == SessionEvent::NasRestart || names_a_session)
            .then_some(SessionUpdate { event, session })
    }
}

/// A boxed future, so that [`SessionStore`] can be a trait object.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// Where sessions are kept: this process, or a store a fleet shares.
pub trait SessionStore: Send + Sync {
    /// Applies one record received (or read back) at `update.session.updated`.
    fn apply(&self, update: SessionUpdate) -> StoreFuture<'_, ()>;

    /// The live sessions of an Okta login (case-insensitive), at `now`.
    fn sessions_of<'a>(&'a self, login: &'a str, now: SystemTime) -> StoreFuture<'a, Vec<Session>>;

    /// Forgets one session (after its NAS confirmed a disconnect).
    fn remove<'a>(&'a self, nas: &'a Nas, acct_session_id: &'a str) -> StoreFuture<'a, ()>;

    /// Forgets the sessions silent since before `now` minus the silence
    /// limit; returns how many were forgotten.
    fn expire(&self, now: SystemTime) -> StoreFuture<'_, usize>;

    /// Sessions held now.
    fn count(&self) -> StoreFuture<'_, usize>;
}

/// A session is known by the client and address of its NAS and its
/// Acct-Session-Id (unique per NAS, RFC 2866 §5.5): a Stop that names the
/// NAS differently from its Start (NAS-Identifier left out) still ends it.
type Key = (String, IpAddr, String);

fn key_of(nas: &Nas, acct_session_id: &str) -> Key {
    (nas.client.clone(), nas.address, acct_session_id.to_owned())
}

/// The table in this process.
pub struct LocalSessions {
    inner: Mutex<Table>,
    max_sessions: usize,
    silence: Duration,
}

#[derive(Default)]
struct Table {
    sessions: HashMap<Key, Session>,
    /// Keys by case-folded login.
    by_login: HashMap<String, HashSet<Key>>,
    /// Keys by last update, oldest first.
    by_age: BTreeSet<(SystemTime, Key)>,
}

impl LocalSessions {
    pub fn new(max_sessions: usize, silence: Duration) -> LocalSessions {
        LocalSessions {
            inner: Mutex::new(Table::default()),
            max_sessions: max_sessions.max(1),
            silence,
        }
    }

    fn table(&self) -> std::sync::MutexGuard<'_, Table> {
        match self.inner.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    fn apply_now(&self, update: SessionUpdate) {
        let mut table = self.table();
        let SessionUpdate { event, session } = update;
        match event {
            SessionEvent::NasRestart => {
                let gone: Vec<Key> = table
                    .sessions
                    .keys()
                    .filter(|(client, address, _)| {
                        *client == session.nas.client && *address == session.nas.address
                    })
                    .cloned()
                    .collect();
                for key in gone {
                    table.remove(&key);
                }
            }
            SessionEvent::Stop => {
                table.remove(&key_of(&session.nas, &session.acct_session_id));
            }
            SessionEvent::Start | SessionEvent::InterimUpdate => {
                let key = key_of(&session.nas, &session.acct_session_id);
                let started = table
                    .sessions
                    .get(&key)
                    .map_or(session.started, |known| known.started.min(session.started));
                // A late record (read back, or delayed) never makes a
                // session look younger than it is.
                if let Some(known) = table.sessions.get_mut(&key)
                    && known.updated > session.updated
                {
                    known.started = started;
                    return;
                }
                table.remove(&key);
                while table.sessions.len() >= self.max_sessions {
                    let Some((_, oldest)) = table.by_age.first().cloned() else {
                        break;
                    };
                    table.remove(&oldest);
                }
                let session = Session { started, ..session };
                table.insert(key, session);
            }
        }
    }

    fn sessions_now(&self, login: &str, now: SystemTime) -> Vec<Session> {
        let table = self.table();
        let Some(keys) = table.by_login.get(&login.to_lowercase()) else {
            return Vec::new();
        };
        let mut found: Vec<Session> = keys
            .iter()
            .filter_map(|key| table.sessions.get(key))
            .filter(|session| !self.silent(session, now))
            .cloned()
            .collect();
        found.sort_by(|a, b| (&a.nas, &a.acct_session_id).cmp(&(&b.nas, &b.acct_session_id)));
        found
    }

    fn silent(&self, session: &Session, now: SystemTime) -> bool {
        now.duration_since(session.updated)
            .is_ok_and(|since| since > self.silence)
    }

    fn expire_now(&self, now: SystemTime) -> usize {
        let Some(cutoff) = now.checked_sub(self.silence) else {
            return 0;
        };
        let mut table = self.table();
        let mut expired = 0;
        while let Some((updated, key)) = table.by_age.first().cloned() {
            if updated >= cutoff {
                break;
            }
            table.remove(&key);
            expired += 1;
        }
        expired
    }
}

impl Table {
    fn insert(&mut self, key: Key, session: Session) {
        self.by_login
            .entry(session.login.to_lowercase())
            .or_default()
            .insert(key.clone());
        self.by_age.insert((session.updated, key.clone()));
        self.sessions.insert(key, session);
    }

    fn remove(&mut self, key: &Key) {
        let Some(session) = self.sessions.remove(key) else {
            return;
        };
        self.by_age.remove(&(session.updated, key.clone()));
        let login = session.login.to_lowercase();
        if let Some(keys) = self.by_login.get_mut(&login) {
            keys.remove(key);
            if keys.is_empty() {
                self.by_login.remove(&login);
            }
        }
    }
}

impl SessionStore for LocalSessions {
    fn apply(&self, update: SessionUpdate) -> StoreFuture<'_, ()> {
        self.apply_now(update);
        Box::pin(std::future::ready(()))
    }

    fn sessions_of<'a>(&'a self, login: &'a str, now: SystemTime) -> StoreFuture<'a, Vec<Session>> {
        Box::pin(std::future::ready(self.sessions_now(login, now)))
    }

    fn remove<'a>(&'a self, nas: &'a Nas, acct_session_id: &'a str) -> StoreFuture<'a, ()> {
        self.table().remove(&key_of(nas, acct_session_id));
        Box::pin(std::future::ready(()))
    }

    fn expire(&self, now: SystemTime) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(self.expire_now(now)))
    }

    fn count(&self) -> StoreFuture<'_, usize> {
        Box::pin(std::future::ready(self.table().sessions.len()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn at(seconds: u64) -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_800_000_000 + seconds)
    }

    fn update(event: SessionEvent, id: &str, user: &str, seconds: u64) -> SessionUpdate {
        SessionUpdate {
            event,
            session: Session {
                acct_session_id: id.to_owned(),
                nas: Nas {
                    client: "vpn".to_owned(),
                    address: IpAddr::from([192, 0, 2, 10]),
                    nas_ip_address: Some(Ipv4Addr::new(192, 0, 2, 10)),
                    nas_ipv6_address: None,
                    nas_identifier: None,
                },
                user_name: user.to_owned(),
                login: format!("{user}@example.com"),
                framed_ip_address: None,
                calling_station_id: None,
                started: at(seconds),
                updated: at(seconds),
            },
        }
    }

    #[tokio::test]
    async fn start_interim_and_stop_follow_a_session() {
        let table = LocalSessions::new(10, Duration::from_secs(600));
        table
            .apply(update(SessionEvent::Start, "s1", "alice", 0))
            .await;
        table
            .apply(update(SessionEvent::InterimUpdate, "s1", "alice", 300))
            .await;
        let found = table.sessions_of("ALICE@example.com", at(301)).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].started, at(0));
        assert_eq!(found[0].updated, at(300));
        table
            .apply(update(SessionEvent::Stop, "s1", "alice", 400))
            .await;
        assert!(
            table
                .sessions_of("alice@example.com", at(401))
                .await
                .is_empty()
        );
        assert_eq!(table.count().await, 0);
    }

    #[tokio::test]
    async fn a_stop_naming_the_nas_differently_still_ends_the_session() {
        let table = LocalSessions::new(10, Duration::from_secs(600));
        let mut start = update(SessionEvent::Start, "s1", "alice", 0);
        start.session.nas.nas_identifier = Some("asa-1".to_owned());
        table.apply(start).await;
        table
            .apply(update(SessionEvent::Stop, "s1", "alice", 10))
            .await;
        assert_eq!(table.count().await, 0);
    }

    #[tokio::test]
    async fn a_silent_session_expires() {
        let table = LocalSessions::new(10, Duration::from_secs(600));
        table
            .apply(update(SessionEvent::Start, "s1", "alice", 0))
            .await;
        table
            .apply(update(SessionEvent::Start, "s2", "bob", 500))
            .await;
        assert!(
            table
                .sessions_of("alice@example.com", at(601))
                .await
                .is_empty()
        );
        assert_eq!(table.expire(at(601)).await, 1);
        assert_eq!(table.count().await, 1);
        assert_eq!(table.sessions_of("bob@example.com", at(601)).await.len(), 1);
    }

    #[tokio::test]
    async fn a_full_table_lets_the_longest_silent_go() {
        let table = LocalSessions::new(2, Duration::from_secs(600));
        table
            .apply(update(SessionEvent::Start, "s1", "alice", 0))
            .await;
        table
            .apply(update(SessionEvent::Start, "s2", "bob", 10))
            .await;
        table
            .apply(update(SessionEvent::InterimUpdate, "s1", "alice", 20))
            .await;
        table
            .apply(update(SessionEvent::Start, "s3", "carol", 30))
            .await;
        assert_eq!(table.count().await, 2);
        assert!(
            table
                .sessions_of("bob@example.com", at(31))
                .await
                .is_empty()
        );
        assert_eq!(
            table.sessions_of("alice@example.com", at(31)).await.len(),
            1
        );
    }

    #[tokio::test]
    async fn accounting_on_ends_every_session_of_the_nas() {
        let table = LocalSessions::new(10, Duration::from_secs(600));
        table
            .apply(update(SessionEvent::Start, "s1", "alice", 0))
            .await;
        table
            .apply(update(SessionEvent::Start, "s2", "alice", 1))
            .await;
        let mut restart = update(SessionEvent::NasRestart, "", "", 2);
        restart.session.login = String::new();
        table.apply(restart).await;
        assert_eq!(table.count().await, 0);
    }

    #[tokio::test]
    async fn a_late_record_does_not_rewind_a_session() {
        let table = LocalSessions::new(10, Duration::from_secs(600));
        table
            .apply(update(SessionEvent::InterimUpdate, "s1", "alice", 300))
            .await;
        table
            .apply(update(SessionEvent::Start, "s1", "alice", 0))
            .await;
        let found = table.sessions_of("alice@example.com", at(301)).await;
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].updated, at(300));
        assert_eq!(found[0].started, at(0));
    }
}
