//! Rebuilding the session table at start from the accounting file's recent
//! lines, so a restart does not forget who is connected: the file's tail
//! (at most [`TAIL_BYTES`]) is read, and every record newer than the
//! silence limit is applied in order, Start to Stop, as if just received.

use super::sessions::{SessionStore, SessionUpdate};
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::time::{Duration, SystemTime};

/// How much of the file's end is read at most.
pub const TAIL_BYTES: u64 = 64 << 20;

/// What a rebuild found.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Rebuilt {
    /// Records applied.
    pub records: usize,
    /// Lines that were not a record of ours (cut, or written by hand).
    pub unreadable: usize,
}

/// Reads the tail of `path` into `store`. A missing file is an empty one.
pub async fn rebuild(
    store: &dyn SessionStore,
    path: &Path,
    silence: Duration,
    now: SystemTime,
    okta_login: impl Fn(&str) -> String,
) -> std::io::Result<Rebuilt> {
    let text = match read_tail(path, TAIL_BYTES) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Rebuilt::default()),
        Err(error) => return Err(error),
    };
    let cutoff = now.checked_sub(silence).unwrap_or(SystemTime::UNIX_EPOCH);
    let mut found = Rebuilt::default();
    for line in text.lines().filter(|line| !line.trim().is_empty()) {
        let Ok(record) = serde_json::from_str::<serde_json::Value>(line) else {
            found.unreadable += 1;
            continue;
        };
        let Some(update) = SessionUpdate::from_record(&record, &okta_login) else {
            continue;
        };
        if update.session.updated < cutoff {
            continue;
        }
        store.apply(update).await;
        found.records += 1;
    }
    Ok(found)
}

/// The last `limit` bytes of a regular file, from the first whole line on.
fn read_tail(path: &Path, limit: u64) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let metadata = file.metadata()?;
    if !metadata.is_file() {
        // A device or a pipe has no past to read back (and /dev/zero-like
        // devices would never end).
        return Ok(String::new());
    }
    let start = metadata.len().saturating_sub(limit);
    file.seek(SeekFrom::Start(start))?;
    let mut bytes = Vec::new();
    file.take(limit).read_to_end(&mut bytes)?;
    if start > 0 {
        // The first line is cut: skip to the next one.
        let next = bytes
            .iter()
            .position(|b| *b == b'\n')
            .map_or(bytes.len(), |at| at + 1);
        bytes.drain(..next);
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::accounting::sessions::LocalSessions;

    fn line(time: &str, status: &str, id: &str, user: &str) -> String {
        format!(
            r#"{{"time":"{time}","client":"vpn","source":"192.0.2.10:40000","attributes":{{"Acct-Status-Type":"{status}","Acct-Session-Id":"{id}","User-Name":"{user}","NAS-IP-Address":"192.0.2.10"}}}}"#
        )
    }

    #[tokio::test]
    async fn recent_sessions_come_back_and_ended_ones_do_not() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("accounting.jsonl");
        let lines = [
            line("2027-01-15T07:00:00.000Z", "Start", "old", "olga"),
            line("2027-01-15T09:00:00.000Z", "Start", "s1", "alice"),
            line("2027-01-15T09:01:00.000Z", "Start", "s2", "bob"),
            "{not json".to_owned(),
            line("2027-01-15T09:30:00.000Z", "Stop", "s2", "bob"),
            line("2027-01-15T09:40:00.000Z", "Interim-Update", "s1", "alice"),
        ];
        std::fs::write(&path, lines.join("\n") + "\n").expect("write");
        let now = okta_api::time::parse_timestamp("2027-01-15T10:00:00Z").expect("time");
        let store = LocalSessions::new(100, Duration::from_secs(7200));
        let found = rebuild(&store, &path, Duration::from_secs(7200), now, |user| {
            format!("{user}@example.com")
        })
        .await
        .expect("reads");
        assert_eq!(
            found,
            Rebuilt {
                records: 4,
                unreadable: 1
            }
        );
        assert_eq!(store.count().await, 1);
        let alice = store.sessions_of("alice@example.com", now).await;
        assert_eq!(alice.len(), 1);
        assert_eq!(alice[0].acct_session_id, "s1");
        assert!(store.sessions_of("olga@example.com", now).await.is_empty());
    }

    #[test]
    fn a_tail_starts_at_a_whole_line() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("accounting.jsonl");
        std::fs::write(&path, "first line\nsecond\nthird\n").expect("write");
        assert_eq!(read_tail(&path, 10).expect("reads"), "third\n");
        assert_eq!(
            read_tail(&path, 1000).expect("reads"),
            "first line\nsecond\nthird\n"
        );
    }
}
