//! Where following the System Log resumes after a restart: the `next` link
//! Okta gave last (with the event types it filters on), and the ids of the
//! events handled lately, so that an event seen twice (a restart between
//! handling it and saving the link, a cursor started over) ends sessions
//! once. Written to a temporary file and renamed over the old one, so a
//! crash leaves the previous cursor, never half of one.

use serde::{Deserialize, Serialize};
use std::collections::{HashSet, VecDeque};
use std::path::{Path, PathBuf};

/// Event ids remembered at most.
const SEEN: usize = 2_000;

/// The cursor as kept on disk.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Okta's `next` link; `None` before the first poll.
    pub next: Option<String>,
    /// The event types the link filters on.
    pub event_types: Vec<String>,
    /// Ids of handled events, oldest first.
    pub seen: VecDeque<String>,
    #[serde(skip)]
    seen_set: HashSet<String>,
}

impl Cursor {
    /// A cursor for `event_types` with nothing read yet.
    pub fn new(event_types: Vec<String>) -> Cursor {
        Cursor {
            event_types,
            ..Cursor::default()
        }
    }

    /// Reads `path`; a missing file is a fresh cursor, and so is one kept
    /// for other event types (its link would filter on the old ones), with
    /// the ids it saw kept.
    pub fn load(path: &Path, event_types: &[String]) -> std::io::Result<Cursor> {
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Cursor::new(event_types.to_vec()));
            }
            Err(error) => return Err(error),
        };
        let mut cursor: Cursor = serde_json::from_str(&text).map_err(|error| {
            std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!("{} is not a cursor file: {error}", path.display()),
            )
        })?;
        cursor.seen_set = cursor.seen.iter().cloned().collect();
        if cursor.event_types != event_types {
            cursor.next = None;
            cursor.event_types = event_types.to_vec();
        }
        Ok(cursor)
    }

    /// Writes the cursor to `path` whole.
    pub fn save(&self, path: &Path) -> std::io::Result<()> {
        let text = serde_json::to_vec_pretty(self).map_err(std::io::Error::other)?;
        let temporary = temporary_beside(path);
        std::fs::write(&temporary, text)?;
        std::fs::rename(&temporary, path)
    }

    /// Records an event id; false when it was seen already.
    pub fn first_sight(&mut self, id: &str) -> bool {
        if self.seen_set.contains(id) {
            return false;
        }
        self.seen.push_back(id.to_owned());
        self.seen_set.insert(id.to_owned());
        while self.seen.len() > SEEN {
            if let Some(oldest) = self.seen.pop_front() {
                self.seen_set.remove(&oldest);
            }
        }
        true
    }
}

fn temporary_beside(path: &Path) -> PathBuf {
    let mut name = path
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".tmp");
    path.with_file_name(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cursor_survives_a_restart_with_what_it_saw() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("cursor.json");
        let types = vec!["user.lifecycle.deactivate".to_owned()];
        let mut cursor = Cursor::load(&path, &types).expect("fresh");
        assert!(cursor.first_sight("e1"));
        assert!(!cursor.first_sight("e1"));
        cursor.next = Some("https://example.okta.com/api/v1/logs?after=1".to_owned());
        cursor.save(&path).expect("saves");
        let mut again = Cursor::load(&path, &types).expect("loads");
        assert_eq!(again.next, cursor.next);
        assert!(!again.first_sight("e1"));
        // Other event types start the link over, and keep what was seen.
        let other = vec!["user.lifecycle.suspend".to_owned()];
        let mut moved = Cursor::load(&path, &other).expect("loads");
        assert_eq!(moved.next, None);
        assert!(!moved.first_sight("e1"));
    }
}
