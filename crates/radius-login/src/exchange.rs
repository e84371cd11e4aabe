//! One request and its reply over UDP, as a NAS sends it: the request goes
//! out, and when no valid reply comes within the timeout the very same bytes
//! go out again (same Identifier, same Request Authenticator, so the server
//! answers the retransmit from its duplicate cache instead of asking Okta
//! twice), up to the number of retries.
//!
//! A reply counts only when it comes from the server, carries the request's
//! Identifier and passes the Response Authenticator and, when present, the
//! Message-Authenticator check with the shared secret. Anything else is
//! reported and ignored, as a NAS ignores it.

use radius_proto::packet::Packet;
use std::io::{self, Write};
use std::net::{SocketAddr, UdpSocket};
use std::time::{Duration, Instant};

/// A reply that passed every check.
pub(crate) struct Reply {
    pub(crate) packet: Packet,
    /// From the first send to the reply.
    pub(crate) elapsed: Duration,
}

/// Why a request got no usable reply.
#[derive(Debug)]
pub(crate) enum ExchangeError {
    /// Every try timed out.
    NoReply {
        tries: u32,
        waited: Duration,
    },
    Io(io::Error),
}

impl std::fmt::Display for ExchangeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ExchangeError::NoReply { tries, waited } => write!(
                f,
                "no valid reply after {tries} tries ({} s): check the server's address and port, that this host is one of its clients, and the shared secret (a server drops a request whose Message-Authenticator does not match, without a word)",
                waited.as_secs()
            ),
            ExchangeError::Io(error) => write!(f, "{error}"),
        }
    }
}

impl From<io::Error> for ExchangeError {
    fn from(error: io::Error) -> ExchangeError {
        ExchangeError::Io(error)
    }
}

/// A UDP socket talking to one RADIUS server with one shared secret.
pub(crate) struct Exchange {
    socket: UdpSocket,
    server: SocketAddr,
    timeout: Duration,
    retries: u32,
    next_identifier: u8,
}

impl Exchange {
    /// A socket of the server's address family, connected to it.
    pub(crate) fn connect(
        server: SocketAddr,
        timeout: Duration,
        retries: u32,
    ) -> io::Result<Exchange> {
        let local: SocketAddr = if server.is_ipv4() {
            (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
        } else {
            (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
        };
        let socket = UdpSocket::bind(local)?;
        socket.connect(server)?;
        Ok(Exchange {
            socket,
            server,
            timeout,
            retries,
            next_identifier: radius_proto::crypto::random_authenticator()[0],
        })
    }

    /// The server this exchange talks to.
    pub(crate) fn server(&self) -> SocketAddr {
        self.server
    }

    /// The Identifier for the next new request.
    pub(crate) fn identifier(&mut self) -> u8 {
        let identifier = self.next_identifier;
        self.next_identifier = self.next_identifier.wrapping_add(1);
        identifier
    }

    /// Sends an encoded request (`bytes`, carrying `authenticator`) and
    /// waits for its reply, retransmitting on timeout. Retransmits and
    /// ignored datagrams are told on `notes`.
    pub(crate) fn send(
        &self,
        bytes: &[u8],
        authenticator: &[u8; 16],
        secret: &[u8],
        notes: &mut dyn Write,
    ) -> Result<Reply, ExchangeError> {
        let identifier = bytes.get(1).copied().unwrap_or_default();
        let started = Instant::now();
        let tries = self.retries.saturating_add(1);
        let mut buffer = vec![0u8; 4096];
        for attempt in 1..=tries {
            if attempt > 1 {
                writeln!(
                    notes,
                    "no reply after {:.1} s; sending the same request again ({attempt} of {tries})",
                    self.timeout.as_secs_f64()
                )?;
            }
            self.socket.send(bytes)?;
            let until = Instant::now() + self.timeout;
            while let Some(left) = until
                .checked_duration_since(Instant::now())
                .filter(|left| !left.is_zero())
            {
                self.socket.set_read_timeout(Some(left))?;
                let len = match self.socket.recv(&mut buffer) {
                    Ok(len) => len,
                    Err(error)
                        if matches!(
                            error.kind(),
                            io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                        ) =>
                    {
                        break;
                    }
                    Err(error) if error.kind() == io::ErrorKind::ConnectionRefused => {
                        writeln!(
                            notes,
                            "{} refused the datagram (ICMP port unreachable): is a RADIUS server listening there?",
                            self.server
                        )?;
                        std::thread::sleep(left);
                        break;
                    }
                    Err(error) => return Err(error.into()),
                };
                let datagram = buffer.get(..len).unwrap_or_default();
                let packet = match Packet::decode(datagram) {
                    Ok(packet) => packet,
                    Err(error) => {
                        writeln!(
                            notes,
                            "ignored a datagram that is no RADIUS packet: {error}"
                        )?;
                        continue;
                    }
                };
                if packet.identifier() != identifier {
                    writeln!(
                        notes,
                        "ignored a {} for Identifier {} (this request is {identifier})",
                        packet.code(),
                        packet.identifier()
                    )?;
                    continue;
                }
                if !packet.verify_reply(authenticator, secret) {
                    writeln!(
                        notes,
                        "ignored a {} whose authenticator does not match: is the shared secret right?",
                        packet.code()
                    )?;
                    continue;
                }
                return Ok(Reply {
                    packet,
                    elapsed: started.elapsed(),
                });
            }
        }
        Err(ExchangeError::NoReply {
            tries,
            waited: started.elapsed(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::types;
    use radius_proto::packet::{Code, RequestBuilder, encode_reply};

    const SECRET: &[u8] = b"a-shared-secret";

    /// A server that drops the first `drop` requests it receives, then
    /// answers with Access-Accept signed with `secret`; returns every
    /// datagram it received.
    fn server(
        drop: usize,
        secret: &'static [u8],
    ) -> (SocketAddr, std::thread::JoinHandle<Vec<Vec<u8>>>) {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("bind");
        let addr = socket.local_addr().expect("addr");
        let handle = std::thread::spawn(move || {
            let mut seen = Vec::new();
            let mut buffer = [0u8; 4096];
            socket
                .set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            while let Ok((len, from)) = socket.recv_from(&mut buffer) {
                seen.push(buffer[..len].to_vec());
                if seen.len() > drop {
                    let request = Packet::decode(&buffer[..len]).expect("a request");
                    let reply =
                        encode_reply(Code::AccessAccept, &request, &[], secret).expect("reply");
                    socket.send_to(&reply, from).expect("send");
                    break;
                }
            }
            seen
        });
        (addr, handle)
    }

    fn request(exchange: &mut Exchange) -> (Vec<u8>, [u8; 16]) {
        RequestBuilder::new(Code::AccessRequest, exchange.identifier())
            .text(types::USER_NAME, "alice")
            .user_password(b"alice-password", SECRET)
            .expect("fits")
            .encode(SECRET)
            .expect("encodes")
    }

    #[test]
    fn a_lost_request_is_sent_again_byte_for_byte() {
        let (addr, server) = server(2, SECRET);
        let mut exchange = Exchange::connect(addr, Duration::from_millis(200), 3).expect("socket");
        let mut notes = Vec::new();
        let (bytes, authenticator) = request(&mut exchange);
        let reply = exchange
            .send(&bytes, &authenticator, SECRET, &mut notes)
            .expect("a reply");
        assert_eq!(reply.packet.code(), Code::AccessAccept);
        let seen = server.join().expect("server");
        assert_eq!(seen.len(), 3, "sent three times");
        assert!(
            seen.iter().all(|datagram| datagram == &seen[0]),
            "same bytes each time"
        );
        let notes = String::from_utf8(notes).expect("text");
        assert!(
            notes.contains("sending the same request again (3 of 4)"),
            "{notes}"
        );
    }

    #[test]
    fn a_reply_signed_with_another_secret_is_ignored() {
        let (addr, server) = server(0, b"another-secret");
        let mut exchange = Exchange::connect(addr, Duration::from_millis(200), 1).expect("socket");
        let mut notes = Vec::new();
        let (bytes, authenticator) = request(&mut exchange);
        let error = exchange
            .send(&bytes, &authenticator, SECRET, &mut notes)
            .err()
            .expect("no valid reply");
        assert!(
            matches!(error, ExchangeError::NoReply { tries: 2, .. }),
            "{error}"
        );
        let notes = String::from_utf8(notes).expect("text");
        assert!(notes.contains("is the shared secret right?"), "{notes}");
        let _ = server.join();
    }
}
