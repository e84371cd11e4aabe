//! `okta-radius demo` as a child process on free loopback ports, for tests
//! that use it as a person would: with radclient or `okta-radius login`,
//! the shared secret `testing123` and the demo users.

use super::{Logs, binary};
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};

/// The demo's shared secret.
pub const DEMO_SECRET: &str = "testing123";

/// A running demo. Killed when dropped.
pub struct Demo {
    child: Child,
    pub radius: SocketAddr,
    pub metrics: SocketAddr,
    pub logs: Logs,
}

impl Drop for Demo {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Demo {
    /// Starts the demo on free loopback ports and waits until it listens.
    pub async fn start() -> Demo {
        // Port 0 for both: the log says which ports were bound.
        let mut child = Command::new(binary())
            .args([
                "demo",
                "--listen",
                "127.0.0.1:0",
                "--metrics",
                "127.0.0.1:0",
            ])
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let logs = Logs::default();
        let stderr = child.stderr.take().expect("stderr is piped");
        let sink = logs.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(mut lines) = sink.0.lock() {
                    lines.push(line);
                }
            }
        });
        let radius = logs
            .wait_field("RADIUS authentication listener ready", "listen")
            .await
            .parse()
            .expect("addr");
        let metrics = logs
            .wait_field("serving /metrics and /health", "listen")
            .await
            .parse()
            .expect("addr");
        Demo {
            child,
            radius,
            metrics,
            logs,
        }
    }
}
