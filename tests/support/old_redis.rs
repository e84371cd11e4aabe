//! A Redis older than a fleet needs, played on a free loopback port: it
//! answers `PING`, reports the version it is given in `INFO`, and refuses
//! `SET` with both `NX` and `GET` as Redis before 7.0 does (a syntax
//! error). Debian ships one Redis, so the tests cannot run an old one.
//! Every other command gets an empty answer or Redis's "unknown command"
//! error, which is all a replica that falls back needs.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};

/// The fake server; it stops with the test process.
pub struct OldRedis {
    pub port: u16,
}

impl OldRedis {
    /// Listens on a free loopback port, reporting `version`.
    pub fn start(version: &str) -> OldRedis {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the old Redis");
        let port = listener.local_addr().expect("its address").port();
        let version = version.to_owned();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let version = version.clone();
                std::thread::spawn(move || serve(stream, &version));
            }
        });
        OldRedis { port }
    }

    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }
}

/// Answers one connection's commands until it closes.
fn serve(stream: TcpStream, version: &str) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(command) = read_command(&mut reader) {
        let name = command
            .first()
            .map(|name| name.to_ascii_uppercase())
            .unwrap_or_default();
        let has = |word: &str| {
            command
                .iter()
                .skip(1)
                .any(|arg| arg.eq_ignore_ascii_case(word))
        };
        let answer = match name.as_str() {
            "PING" => "+PONG\r\n".to_owned(),
            "INFO" => {
                let info =
                    format!("# Server\r\nredis_version:{version}\r\nredis_mode:standalone\r\n");
                format!("${}\r\n{info}\r\n", info.len())
            }
            "SET" if has("NX") && has("GET") => "-ERR syntax error\r\n".to_owned(),
            "SET" | "CLIENT" | "SELECT" | "AUTH" => "+OK\r\n".to_owned(),
            "GET" => "$-1\r\n".to_owned(),
            "EXISTS" => ":0\r\n".to_owned(),
            _ => format!("-ERR unknown command '{name}'\r\n"),
        };
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// One command as a client sends it (an array of bulk strings); `None`
/// once the connection closes or sends something else.
fn read_command(reader: &mut BufReader<TcpStream>) -> Option<Vec<String>> {
    let count: usize = read_line(reader)?.strip_prefix('*')?.parse().ok()?;
    let mut command = Vec::with_capacity(count);
    for _ in 0..count {
        let len: usize = read_line(reader)?.strip_prefix('$')?.parse().ok()?;
        let mut bytes = vec![0; len + 2];
        std::io::Read::read_exact(reader, &mut bytes).ok()?;
        bytes.truncate(len);
        command.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    Some(command)
}

fn read_line(reader: &mut BufReader<TcpStream>) -> Option<String> {
    let mut line = String::new();
    if reader.read_line(&mut line).ok()? == 0 {
        return None;
    }
    Some(line.trim_end().to_owned())
}
