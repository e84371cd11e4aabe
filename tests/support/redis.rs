//! Debian's `redis-server` for the fleet tests: on a free loopback port,
//! persistence off, in a temporary directory, stopped when dropped (never a
//! system Redis). It can be killed and started again on the same port, as
//! an operator's Redis restarts; it can speak TLS only, be a replica of
//! another, or be a Sentinel watching another (and failing it over to its
//! replica within a few seconds of its death).

use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or stopped) `redis-server` of one test.
pub struct RedisServer {
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
    /// The command line after `redis-server`.
    args: Vec<String>,
}

impl RedisServer {
    /// Starts `redis-server` on a free loopback port and waits until it answers.
    pub fn start() -> RedisServer {
        let port = super::process::free_port();
        RedisServer::start_with(port, |_| vec!["--port".into(), port.to_string()])
    }

    /// Starts `redis-server` speaking only TLS on a free loopback port, with
    /// the certificate and key given (PEM files), not asking for a client's.
    pub fn start_tls(certificate: &Path, key: &Path, ca: &Path) -> RedisServer {
        let port = super::process::free_port();
        let path = |p: &Path| p.display().to_string();
        RedisServer::start_with(port, |_| {
            vec![
                "--port".into(),
                "0".into(),
                "--tls-port".into(),
                port.to_string(),
                "--tls-cert-file".into(),
                path(certificate),
                "--tls-key-file".into(),
                path(key),
                "--tls-ca-cert-file".into(),
                path(ca),
                "--tls-auth-clients".into(),
                "no".into(),
            ]
        })
    }

    /// Starts `redis-server` on a free loopback port as a replica of
    /// `master`, and waits until the master counts it as online.
    pub fn replica_of(master: &RedisServer) -> RedisServer {
        let port = super::process::free_port();
        let master_port = master.port;
        let replica = RedisServer::start_with(port, |_| {
            vec![
                "--port".into(),
                port.to_string(),
                "--replicaof".into(),
                "127.0.0.1".into(),
                master_port.to_string(),
            ]
        });
        let start = Instant::now();
        while !master
            .cli(&["INFO", "replication"])
            .contains("state=online")
        {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "the replica never came online"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        replica
    }

    /// Whether this server is a master now (`ROLE`).
    pub fn is_master(&self) -> bool {
        self.cli(&["ROLE"]).lines().next() == Some("master")
    }

    /// Starts a Sentinel on a free loopback port that monitors `master`
    /// under `name`, alone (quorum 1), calling it down after half a second
    /// without an answer.
    pub fn sentinel(master: &RedisServer, name: &str) -> RedisServer {
        let port = super::process::free_port();
        let master_port = master.port;
        let name = name.to_owned();
        RedisServer::start_with(port, move |dir| {
            let config = dir.join("sentinel.conf");
            std::fs::write(
                &config,
                format!(
                    "port {port}\nbind 127.0.0.1\nsentinel monitor {name} 127.0.0.1 {master_port} 1\n\
                     sentinel down-after-milliseconds {name} 500\n\
                     sentinel failover-timeout {name} 5000\n"
                ),
            )
            .expect("write the sentinel config");
            vec![config.display().to_string(), "--sentinel".into()]
        })
    }

    fn start_with(port: u16, args: impl FnOnce(&Path) -> Vec<String>) -> RedisServer {
        let dir = tempfile::tempdir().expect("tempdir");
        let args = args(dir.path());
        let mut server = RedisServer {
            port,
            child: None,
            dir,
            args,
        };
        server.restart();
        server
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (as a crash would), keeping its port for a restart.
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server without ending it (`SIGSTOP`), as a Redis that
    /// hangs: connections stay open and nothing is answered.
    pub fn pause(&self) {
        self.signal(nix::sys::signal::Signal::SIGSTOP);
    }

    /// Lets a [`RedisServer::pause`]d server go on (`SIGCONT`).
    pub fn resume(&self) {
        self.signal(nix::sys::signal::Signal::SIGCONT);
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        let child = self.child.as_ref().expect("redis-server is running");
        let pid = i32::try_from(child.id()).expect("a pid");
        nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), signal)
            .expect("signal redis-server");
    }

    /// Starts the server again on its port (empty: persistence is off).
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args(&self.args)
            .args(["--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(self.dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (apt-get install redis-server)");
        self.child = Some(child);
        let start = Instant::now();
        while TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "redis-server did not listen on {}",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Runs `redis-cli` against this server and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let output = Command::new("redis-cli")
            .arg("-p")
            .arg(self.port.to_string())
            .args(args)
            .output()
            .expect("redis-cli is installed with redis-server");
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}
