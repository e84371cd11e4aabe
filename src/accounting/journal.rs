//! The accounting file: one thread appends the JSON lines of accounting
//! records, and a record counts as stored only once its line is written
//! (and, with `accounting.fsync`, on disk). Only then is the NAS answered,
//! so a record is never lost while the NAS believes it stored
//! (RFC 2866 §4.1).
//!
//! Records waiting while one batch is written go out together in the next
//! write, with one fsync for all of them, so fsync costs per batch rather
//! than per record. A write that fails (a full disk, a file removed from a
//! read-only mount) answers every record of its batch with an error, cuts
//! the file back to where the batch started so no half line is left, and
//! closes the file; the next batch opens it again, so the server recovers
//! by itself when the disk does. SIGHUP reopens the file (logrotate).

use crate::config::AccountingOutput;
use crate::telemetry::metrics as m;
use metrics::counter;
use std::fs::{File, OpenOptions};
use std::io::{Seek, SeekFrom, Write};
use std::time::{Duration, Instant};
use tokio::sync::{mpsc, oneshot};

/// Records waiting for the writer at most; past it a record is dropped
/// unanswered (the NAS sends it again).
const QUEUE: usize = 8_192;

/// Records written in one batch at most.
const BATCH: usize = 1_024;

/// How often a persisting write failure is logged again.
const ERROR_LOG_INTERVAL: Duration = Duration::from_secs(10);

/// Why a record was not stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    /// The writer has more records waiting than it holds.
    QueueFull,
    /// The file could not be opened or written (logged by the writer).
    WriteFailed,
}

enum Command {
    Append {
        line: Vec<u8>,
        stored: oneshot::Sender<bool>,
    },
    Reopen {
        output: AccountingOutput,
        fsync: bool,
        done: oneshot::Sender<Result<(), String>>,
    },
}

/// The handle on the writer thread; cheap to clone.
#[derive(Clone)]
pub struct Journal {
    commands: mpsc::Sender<Command>,
}

impl Journal {
    /// Opens `output` and starts the writer. Fails when the file cannot be
    /// opened for appending, so a server never starts unable to store.
    pub fn open(output: AccountingOutput, fsync: bool) -> std::io::Result<Journal> {
        let mut writer = Writer {
            output,
            fsync,
            file: None,
            failing_since: None,
            last_logged: None,
        };
        writer.ensure_open().map(|_| ())?;
        // Exported from the start, so a dashboard shows 0 rather than nothing.
        counter!(m::ACCOUNTING_WRITE_ERRORS).increment(0);
        counter!(m::ACCOUNTING_RECORDS, "result" => "written").increment(0);
        let (commands, receiver) = mpsc::channel(QUEUE);
        std::thread::Builder::new()
            .name("accounting-writer".to_owned())
            .spawn(move || writer.run(receiver))?;
        Ok(Journal { commands })
    }

    /// Appends one line (without its newline) and waits until it is stored.
    pub async fn append(&self, mut line: Vec<u8>) -> Result<(), NotStored> {
        line.push(b'\n');
        let (stored, answer) = oneshot::channel();
        self.commands
            .try_send(Command::Append { line, stored })
            .map_err(|_| NotStored::QueueFull)?;
        match answer.await {
            Ok(true) => Ok(()),
            _ => Err(NotStored::WriteFailed),
        }
    }

    /// Closes the file and opens `output` (the same path after logrotate
    /// moved the old file away, or a new one from a reloaded config).
    pub async fn reopen(&self, output: AccountingOutput, fsync: bool) -> Result<(), String> {
        let (done, answer) = oneshot::channel();
        self.commands
            .send(Command::Reopen {
                output,
                fsync,
                done,
            })
            .await
            .map_err(|_| "the accounting writer stopped".to_owned())?;
        answer
            .await
            .unwrap_or_else(|_| Err("the accounting writer stopped".to_owned()))
    }
}

/// Where the lines go, as the writer thread holds it.
enum Sink {
    File(File),
    Stdout,
}

struct Writer {
    output: AccountingOutput,
    fsync: bool,
    /// `None` after a failure, until the next batch opens it again.
    file: Option<Sink>,
    failing_since: Option<Instant>,
    last_logged: Option<Instant>,
}

impl Writer {
    fn run(mut self, mut receiver: mpsc::Receiver<Command>) {
        let mut batch: Vec<(Vec<u8>, oneshot::Sender<bool>)> = Vec::with_capacity(BATCH);
        while let Some(command) = receiver.blocking_recv() {
            let mut next = Some(command);
            while let Some(command) = next.take() {
                match command {
                    Command::Append { line, stored } => batch.push((line, stored)),
                    Command::Reopen {
                        output,
                        fsync,
                        done,
                    } => {
                        // Records that came before the reopen go to the old file.
                        self.write_batch(&mut batch);
                        let _ = done.send(self.reopen(output, fsync));
                    }
                }
                if batch.len() < BATCH {
                    next = receiver.try_recv().ok();
                }
            }
            self.write_batch(&mut batch);
        }
    }

    fn reopen(&mut self, output: AccountingOutput, fsync: bool) -> Result<(), String> {
        self.output = output;
        self.fsync = fsync;
        self.file = None;
        self.ensure_open().map(|_| ()).map_err(|e| e.to_string())
    }

    fn ensure_open(&mut self) -> std::io::Result<&mut Sink> {
        if self.file.is_none() {
            let sink = match &self.output {
                AccountingOutput::Stdout => Sink::Stdout,
                AccountingOutput::File(path) => Sink::File(
                    OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .map_err(|e| {
                            std::io::Error::new(
                                e.kind(),
                                format!("cannot open {} for appending: {e}", path.display()),
                            )
                        })?,
                ),
            };
            self.file = Some(sink);
        }
        match self.file.as_mut() {
            Some(sink) => Ok(sink),
            None => Err(std::io::Error::other("the accounting file is not open")),
        }
    }

    /// Writes every line of `batch` and answers each record.
    fn write_batch(&mut self, batch: &mut Vec<(Vec<u8>, oneshot::Sender<bool>)>) {
        if batch.is_empty() {
            return;
        }
        let mut bytes = Vec::with_capacity(batch.iter().map(|(line, _)| line.len()).sum());
        for (line, _) in batch.iter() {
            bytes.extend_from_slice(line);
        }
        let fsync = self.fsync;
        let result = self
            .ensure_open()
            .and_then(|sink| append(sink, &bytes, fsync));
        let stored = match result {
            Ok(()) => {
                if let Some(since) = self.failing_since.take() {
                    tracing::info!(
                        failing_for_s = since.elapsed().as_secs(),
                        "accounting records are written again"
                    );
                }
                counter!(m::ACCOUNTING_RECORDS, "result" => "written")
                    .increment(batch.len() as u64);
                true
            }
            Err(error) => {
                self.file = None;
                self.failing_since.get_or_insert_with(Instant::now);
                counter!(m::ACCOUNTING_RECORDS, "result" => "write_failed")
                    .increment(batch.len() as u64);
                counter!(m::ACCOUNTING_WRITE_ERRORS).increment(1);
                let now = Instant::now();
                if self
                    .last_logged
                    .is_none_or(|at| now.duration_since(at) >= ERROR_LOG_INTERVAL)
                {
                    self.last_logged = Some(now);
                    tracing::error!(
                        file = %self.describe_output(),
                        %error,
                        records = batch.len(),
                        "cannot store accounting records: they are not acknowledged, so the NAS sends them again"
                    );
                }
                false
            }
        };
        for (_, answer) in batch.drain(..) {
            let _ = answer.send(stored);
        }
    }

    fn describe_output(&self) -> String {
        match &self.output {
            AccountingOutput::Stdout => "standard output".to_owned(),
            AccountingOutput::File(path) => path.display().to_string(),
        }
    }
}

/// Appends `bytes` whole or not at all (as far as the file system lets).
fn append(sink: &mut Sink, bytes: &[u8], fsync: bool) -> std::io::Result<()> {
    match sink {
        Sink::Stdout => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
        Sink::File(file) => {
            let start = file.seek(SeekFrom::End(0)).ok();
            let written = file
                .write_all(bytes)
                .and_then(|()| if fsync { file.sync_data() } else { Ok(()) });
            if written.is_err()
                && let Some(start) = start
            {
                // No half line for the next record to follow.
                let _ = file.set_len(start);
            }
            written
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn lines_are_stored_and_survive_a_reopen() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("accounting.jsonl");
        let journal =
            Journal::open(AccountingOutput::File(path.clone()), true).expect("the file opens");
        let mut writes = Vec::new();
        for i in 0..50 {
            let journal = journal.clone();
            writes.push(tokio::spawn(async move {
                journal.append(format!("{{\"n\":{i}}}").into_bytes()).await
            }));
        }
        for write in writes {
            assert_eq!(write.await.ok(), Some(Ok(())));
        }
        let rotated = dir.path().join("accounting.jsonl.1");
        std::fs::rename(&path, &rotated).expect("rename");
        journal
            .reopen(AccountingOutput::File(path.clone()), false)
            .await
            .expect("reopens");
        assert_eq!(journal.append(b"{\"n\":50}".to_vec()).await, Ok(()));
        let old = std::fs::read_to_string(&rotated).expect("old file");
        assert_eq!(old.lines().count(), 50);
        let new = std::fs::read_to_string(&path).expect("new file");
        assert_eq!(new, "{\"n\":50}\n");
    }

    #[tokio::test]
    async fn a_full_disk_stores_nothing() {
        let full = std::path::Path::new("/dev/full");
        if !full.exists() {
            return;
        }
        let journal =
            Journal::open(AccountingOutput::File(full.to_path_buf()), false).expect("opens");
        assert_eq!(
            journal.append(b"{}".to_vec()).await,
            Err(NotStored::WriteFailed)
        );
    }

    #[test]
    fn a_file_that_cannot_be_opened_is_refused_at_start() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir
            .path()
            .join("missing-directory")
            .join("accounting.jsonl");
        let error = Journal::open(AccountingOutput::File(path), false)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(error.contains("cannot open"), "{error}");
    }
}
