//! `okta-radius login`: a RADIUS test client for administrators. It logs in
//! as a user at a NAS would: an Access-Request with the password (PAP) and a
//! Message-Authenticator, every Access-Challenge shown as a prompt and
//! answered with its State, until Access-Accept or Access-Reject; or one
//! Status-Server. radclient cannot answer a challenge, so without this no one
//! could try a second factor by hand.
//!
//! It is a client, apart from the server: it depends on the protocol crate
//! only, and nothing of the server depends on it.
//!
//! - `args`: the command line; `secrets`: the shared secret and the
//!   password, never from the command line;
//! - `request`: the packets as a NAS builds them; `exchange`: sending them
//!   over UDP with a NAS's timeouts and retransmits;
//! - `conversation`: the login loop; `prompt`: what a challenge asks and
//!   whether its answer may be echoed; `answers`: where answers come from;
//! - `report`: the transcript.

mod answers;
mod args;
mod conversation;
mod exchange;
mod prompt;
mod report;
mod request;
mod secrets;

pub use args::LoginArgs;
pub use conversation::Outcome;

use answers::Answers;
use conversation::Conversation;
use exchange::Exchange;
use radius_proto::dictionary::Dictionary;
use request::Nas;
use secrets::SecretSource;
use std::io::{self, Write};
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::process::ExitCode;

/// The RADIUS authentication port (RFC 2865).
const DEFAULT_PORT: u16 = 1812;
/// Exit status for a usage problem (as clap uses).
const EXIT_USAGE: u8 = 2;

/// Runs `okta-radius login` with the dictionaries the server would use.
pub fn run(args: LoginArgs, mut dictionary: Dictionary) -> ExitCode {
    match start(&args, &mut dictionary) {
        Ok(outcome) => ExitCode::from(outcome.exit_status()),
        Err(Failure::Usage(message)) => {
            eprintln!("okta-radius login: {message}");
            ExitCode::from(EXIT_USAGE)
        }
        Err(Failure::Io(error)) => {
            eprintln!("okta-radius login: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Why a run stopped before it could log in.
enum Failure {
    Usage(String),
    Io(io::Error),
}

impl From<io::Error> for Failure {
    fn from(error: io::Error) -> Failure {
        Failure::Io(error)
    }
}

fn start(args: &LoginArgs, dictionary: &mut Dictionary) -> Result<Outcome, Failure> {
    let server = resolve(&args.server).map_err(Failure::Usage)?;
    for path in &args.dictionary {
        dictionary
            .merge_file(path)
            .map_err(|error| Failure::Usage(format!("{}: {error}", path.display())))?;
    }
    let extra = args
        .attributes
        .iter()
        .map(|spec| request::extra_attribute(dictionary, spec))
        .collect::<Result<Vec<_>, _>>()
        .map_err(Failure::Usage)?;
    let nas = Nas {
        identifier: args.nas_identifier.clone(),
        extra,
    };
    let mut answers = Answers::new(&args.answer);
    let secret = SecretSource {
        what: "shared secret",
        file: args.secret_file.as_deref(),
        env: "RADIUS_SECRET",
        prompt: format!("Shared secret for {server}: "),
    }
    .read(&mut answers)
    .map_err(|error| Failure::Usage(error.to_string()))?;
    let mut exchange = Exchange::connect(server, args.timeout, args.retries)?;
    let mut out = io::stdout().lock();
    let mut notes = io::stderr();
    if args.status {
        let mut conversation = Conversation {
            exchange: &mut exchange,
            secret: secret.as_bytes(),
            dictionary,
            nas: &nas,
            out: &mut out,
            notes: &mut notes,
        };
        return Ok(conversation.status()?);
    }
    let user = match &args.user {
        Some(user) => zeroize::Zeroizing::new(user.clone()),
        None => answers
            .line("User name: ")?
            .filter(|user| !user.is_empty())
            .ok_or_else(|| Failure::Usage("no user name given".to_owned()))?,
    };
    let password = SecretSource {
        what: "password",
        file: args.password_file.as_deref(),
        env: "RADIUS_PASSWORD",
        prompt: format!("Password for {}: ", user.as_str()),
    }
    .read(&mut answers)
    .map_err(|error| Failure::Usage(error.to_string()))?;
    let mut conversation = Conversation {
        exchange: &mut exchange,
        secret: secret.as_bytes(),
        dictionary,
        nas: &nas,
        out: &mut out,
        notes: &mut notes,
    };
    let outcome = conversation.login(&user, &password, &mut answers)?;
    out.flush()?;
    Ok(outcome)
}

/// `host`, `host:port`, `192.0.2.1`, `[2001:db8::1]:1812` or `2001:db8::1`
/// as one address; port 1812 when none is given.
fn resolve(server: &str) -> Result<SocketAddr, String> {
    if let Ok(addr) = server.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Ok(ip) = server.trim_matches(['[', ']']).parse::<IpAddr>() {
        return Ok(SocketAddr::new(ip, DEFAULT_PORT));
    }
    let with_port = if server.contains(':') {
        server.to_owned()
    } else {
        format!("{server}:{DEFAULT_PORT}")
    };
    with_port
        .to_socket_addrs()
        .map_err(|error| format!("cannot resolve {server}: {error}"))?
        .next()
        .ok_or_else(|| format!("{server} has no address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn servers_resolve_with_the_radius_port_by_default() {
        let addr = |text: &str| resolve(text).expect(text);
        assert_eq!(addr("127.0.0.1"), "127.0.0.1:1812".parse().expect("addr"));
        assert_eq!(
            addr("127.0.0.1:11812"),
            "127.0.0.1:11812".parse().expect("addr")
        );
        assert_eq!(addr("::1"), "[::1]:1812".parse().expect("addr"));
        assert_eq!(addr("[::1]"), "[::1]:1812".parse().expect("addr"));
        assert_eq!(addr("localhost:1645").port(), 1645);
        assert_eq!(addr("localhost").port(), 1812);
    }
}
