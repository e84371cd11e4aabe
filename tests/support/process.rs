//! Driving the server process from outside, as a service manager does:
//! signals, the config file it re-reads, its exit status and its memory.

use super::{API_TOKEN, SECRET, STATE_KEY, TestServer, binary};
use std::path::PathBuf;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

impl TestServer {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The config file the server was started with (rewrite it, then SIGHUP).
    pub fn config_path(&self) -> PathBuf {
        self._dir.path().join("okta-radius.toml")
    }

    /// Sends a signal by name (`TERM`, `HUP`, `KILL`) with kill(1).
    pub fn signal(&self, name: &str) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{name}"))
            .arg(self.pid().to_string())
            .status()
            .expect("kill runs");
        assert!(status.success(), "kill -{name} failed");
    }

    /// Waits up to `wait` for the process to exit.
    pub async fn wait_exit(&mut self, wait: Duration) -> Option<ExitStatus> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            if start.elapsed() > wait {
                return None;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Resident memory of the server process in KiB (VmRSS in /proc).
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.pid()))
            .expect("/proc/<pid>/status is readable");
        status
            .lines()
            .find_map(|line| {
                let rest = line.strip_prefix("VmRSS:")?;
                rest.trim().trim_end_matches("kB").trim().parse().ok()
            })
            .expect("VmRSS is listed")
    }

    /// Log events (JSON) at info or above, other than audit lines and the
    /// start-up check of the Okta org (which runs beside the first requests
    /// and may log at any moment), from line `from` on.
    pub fn loud_events_since(&self, from: usize) -> Vec<serde_json::Value> {
        self.logs
            .lines()
            .iter()
            .skip(from)
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .filter(|e| e["target"] != "okta_radius::audit")
            .filter(|e| {
                !e["message"]
                    .as_str()
                    .is_some_and(|m| m.starts_with("Okta start-up check"))
            })
            .filter(|e| matches!(e["level"].as_str(), Some("INFO" | "WARN" | "ERROR")))
            .collect()
    }
}

/// A loopback port nothing listens on (bound, then released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Runs `okta-radius serve` with `config` (and `env`) for a server that is
/// expected to refuse to start: waits up to `wait` for it to exit, and
/// returns its exit status (`None` when it was still running, and was
/// killed) and what it wrote to standard error.
pub fn serve_until_exit(
    config: &str,
    env: &[(&str, &str)],
    wait: Duration,
) -> (Option<ExitStatus>, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("okta-radius.toml");
    std::fs::write(&path, config).expect("write config");
    let stderr_path = dir.path().join("stderr");
    let stderr = std::fs::File::create(&stderr_path).expect("stderr file");
    let mut command = Command::new(binary());
    command
        .arg("serve")
        .arg("--config")
        .arg(&path)
        .env("TEST_OKTA_API_TOKEN", API_TOKEN)
        .env("TEST_RADIUS_SECRET", SECRET)
        .env("TEST_STATE_KEY", STATE_KEY)
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(stderr);
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("the server starts");
    let start = Instant::now();
    let status = loop {
        if let Ok(Some(status)) = child.try_wait() {
            break Some(status);
        }
        if start.elapsed() > wait {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let text = std::fs::read_to_string(&stderr_path).unwrap_or_default();
    (status, text)
}
