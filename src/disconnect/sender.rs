//! Sending one Disconnect-Request and waiting for its answer: the same
//! bytes are sent again when nothing comes back, and a new request (new
//! Identifier and Event-Timestamp) after a NAK worth retrying, the wait
//! doubling each time (`disconnect.timeout_ms`, then twice, ...),
//! up to `disconnect.retries` times. Each request has a socket of its own,
//! so answers never cross and the Identifier needs no bookkeeping.

use super::request::{self, Answer};
use crate::accounting::Session;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::{Duration, Instant, SystemTime};
use tokio::net::UdpSocket;

/// How a Disconnect-Request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ack,
    /// The last answer was a NAK, with its Error-Cause.
    Nak(Option<u32>),
    /// No valid answer after every retry.
    NoAnswer,
    /// The request could not be built or sent.
    Failed,
}

impl Outcome {
    /// The `outcome` label of metrics and audit lines.
    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ack => "ack",
            Outcome::Nak(_) => "nak",
            Outcome::NoAnswer => "no_answer",
            Outcome::Failed => "failed",
        }
    }
}

/// How hard to try.
#[derive(Debug, Clone, Copy)]
pub struct Retries {
    pub first_wait: Duration,
    pub retries: u32,
}

/// The result of one disconnect: its outcome and how many requests it took.
#[derive(Debug, Clone, Copy)]
pub struct Sent {
    pub outcome: Outcome,
    pub attempts: u32,
}

/// Sends the Disconnect-Request for `session` to `nas` until it is
/// answered or the retries are spent.
pub async fn disconnect(
    session: &Session,
    nas: SocketAddr,
    secret: &[u8],
    retries: Retries,
) -> Sent {
    let failed = Sent {
        outcome: Outcome::Failed,
        attempts: 0,
    };
    let mut identifier = rand::random::<u8>();
    let Ok((mut bytes, mut authenticator)) =
        request::encode(session, identifier, SystemTime::now(), secret)
    else {
        return failed;
    };
    let local: SocketAddr = match nas.ip() {
        IpAddr::V4(_) => (Ipv4Addr::UNSPECIFIED, 0).into(),
        IpAddr::V6(_) => (Ipv6Addr::UNSPECIFIED, 0).into(),
    };
    let Ok(socket) = UdpSocket::bind(local).await else {
        return failed;
    };
    let mut wait = retries.first_wait;
    let mut last = Outcome::NoAnswer;
    let mut buffer = vec![0u8; 4096];
    for attempt in 1..=retries.retries.saturating_add(1) {
        if socket.send_to(&bytes, nas).await.is_err() {
            return Sent {
                outcome: Outcome::Failed,
                attempts: attempt,
            };
        }
        let until = Instant::now() + wait;
        let answer = loop {
            let left = until.saturating_duration_since(Instant::now());
            match tokio::time::timeout(left, socket.recv_from(&mut buffer)).await {
                Ok(Ok((len, from))) if from == nas => {
                    if let Some(answer) =
                        request::answer(&buffer[..len], identifier, &authenticator, secret)
                    {
                        break Some(answer);
                    }
                }
                // A datagram from elsewhere, or an ICMP error: keep waiting.
                Ok(_) => {}
                Err(_) => break None,
            }
        };
        match answer {
            Some(Answer::Ack) => {
                return Sent {
                    outcome: Outcome::Ack,
                    attempts: attempt,
                };
            }
            Some(Answer::Nak(cause)) => {
                last = Outcome::Nak(cause);
                if !request::worth_retrying(cause) {
                    return Sent {
                        outcome: last,
                        attempts: attempt,
                    };
                }
                // A NAS that refused for now gets the whole wait before
                // the next try, not an immediate resend; and the next try
                // is a new request (a copy would get the cached NAK).
                tokio::time::sleep_until(tokio::time::Instant::from_std(until)).await;
                identifier = identifier.wrapping_add(1);
                match request::encode(session, identifier, SystemTime::now(), secret) {
                    Ok((new_bytes, new_authenticator)) => {
                        bytes = new_bytes;
                        authenticator = new_authenticator;
                    }
                    Err(_) => return failed,
                }
            }
            None => {}
        }
        wait = wait.saturating_mul(2);
    }
    Sent {
        outcome: last,
        attempts: retries.retries.saturating_add(1),
    }
}
