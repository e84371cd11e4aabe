//! The command line of `okta-radius login`: where the server is, who logs
//! in, where the secrets come from, the answers for a script, and how
//! patiently to wait. No secret can be given as an argument: a process list
//! or a shell history would show it.

use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

/// `okta-radius login`.
#[derive(Args, Debug, Clone)]
#[command(after_help = AFTER_HELP)]
pub struct LoginArgs {
    /// The RADIUS server: HOST or HOST:PORT (port 1812 when not given).
    #[arg(value_name = "SERVER")]
    pub server: String,

    /// The user name to log in as (asked for when not given).
    #[arg(value_name = "USER")]
    pub user: Option<String>,

    /// Read the shared secret from this file (one trailing newline is
    /// ignored). Without it: $RADIUS_SECRET, else it is asked for.
    #[arg(long, value_name = "FILE")]
    pub secret_file: Option<PathBuf>,

    /// Read the user's password from this file (one trailing newline is
    /// ignored). Without it: $RADIUS_PASSWORD, else it is asked for.
    #[arg(long, value_name = "FILE")]
    pub password_file: Option<PathBuf>,

    /// The answer to the next Access-Challenge (a menu number, a code,
    /// `push`, or "" to press Enter); repeat it for each challenge, in
    /// order. Once they are used up, answers are read from the terminal.
    #[arg(long, value_name = "TEXT")]
    pub answer: Vec<String>,

    /// Send a Status-Server instead of logging in (RFC 5997): is the server
    /// up, and does it know this client and its secret?
    #[arg(long, conflicts_with_all = ["user", "password_file", "answer"])]
    pub status: bool,

    /// Seconds to wait for a reply before sending the request again.
    #[arg(long, value_name = "SECONDS", default_value = "10", value_parser = seconds)]
    pub timeout: Duration,

    /// How many times to send a request again when no reply comes (the same
    /// bytes, so the server recognises the retransmit).
    #[arg(long, value_name = "N", default_value_t = 3)]
    pub retries: u32,

    /// NAS-Identifier sent with every request.
    #[arg(long, value_name = "NAME", default_value = "okta-radius-login")]
    pub nas_identifier: String,

    /// An extra attribute for every request, by dictionary name, e.g.
    /// `Calling-Station-Id=192.0.2.7`; repeat for more.
    #[arg(long = "attribute", value_name = "NAME=VALUE")]
    pub attributes: Vec<String>,

    /// An extra dictionary file (FreeRADIUS format) for the names of vendor
    /// attributes the shipped set lacks; repeat for more.
    #[arg(long, value_name = "FILE")]
    pub dictionary: Vec<PathBuf>,
}

/// The longest wait for one reply that `--timeout` accepts.
const MAX_TIMEOUT: Duration = Duration::from_secs(3600);

/// `--timeout`: a number of seconds above 0, fractions allowed.
fn seconds(text: &str) -> Result<Duration, String> {
    let wait = text
        .parse::<f64>()
        .ok()
        .and_then(|seconds| Duration::try_from_secs_f64(seconds).ok())
        .ok_or_else(|| format!("`{text}` is not a number of seconds"))?;
    if wait.is_zero() || wait > MAX_TIMEOUT {
        return Err(format!(
            "the timeout must be above 0 and at most {} seconds",
            MAX_TIMEOUT.as_secs()
        ));
    }
    Ok(wait)
}

const AFTER_HELP: &str = "\
The shared secret and the password never go on the command line: each comes \
from its file option, from the environment ($RADIUS_SECRET, $RADIUS_PASSWORD) \
or from a prompt that does not echo. A challenge that asks for a code, a \
password or an answer is read without echo too.

Exit status: 0 Access-Accept (or a Status-Server answered), 1 Access-Reject, \
2 a usage error, 3 no valid reply after every retry, 4 a challenge was left \
unanswered (no --answer left and no input).

Examples:
  okta-radius login 127.0.0.1 alice
  RADIUS_SECRET=testing123 RADIUS_PASSWORD=dave-password \\
    okta-radius login 127.0.0.1:1812 dave --answer 123456
  okta-radius login --status --secret-file /etc/okta-radius/secrets/radius-secret-vpn vpn.example.com";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeouts_are_positive_seconds() {
        assert_eq!(seconds("10"), Ok(Duration::from_secs(10)));
        assert_eq!(seconds("0.25"), Ok(Duration::from_millis(250)));
        for bad in ["0", "-1", "ten", "NaN", "7200"] {
            assert!(seconds(bad).is_err(), "{bad}");
        }
    }
}
