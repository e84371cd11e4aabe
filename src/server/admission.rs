//! The checks a datagram passes before any work is done for it, in the order
//! the protocol notes give: known client, sound framing, a request code this
//! port serves, and a valid Message-Authenticator. Anything that fails is
//! dropped without an answer and counted under its reason. A packet from a
//! stream connection passes the same checks after the first, its client
//! being the connection's.

use super::clients::{Client, ClientTable};
use radius_proto::attribute::types;
use radius_proto::packet::{Code, Packet};
use std::net::SocketAddr;
use std::sync::Arc;

/// Why a datagram was dropped. Each is a value of the `reason` metric label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropReason {
    UnknownClient,
    Malformed(&'static str),
    UnexpectedCode,
    MissingMessageAuthenticator,
    BadMessageAuthenticator,
    ProxyStateWithoutMessageAuthenticator,
    StatusServerRate,
    StatusServerReplay,
    Duplicate,
    Overload,
    /// An Accounting-Request whose Request Authenticator is not the digest
    /// its client's secret gives (RFC 2866 §3).
    BadRequestAuthenticator,
    /// An Accounting-Request that could not be stored, so is not answered.
    NotStored,
}

impl DropReason {
    pub fn label(self) -> &'static str {
        match self {
            DropReason::UnknownClient => "unknown_client",
            DropReason::Malformed(_) => "malformed",
            DropReason::UnexpectedCode => "unexpected_code",
            DropReason::MissingMessageAuthenticator => "missing_message_authenticator",
            DropReason::BadMessageAuthenticator => "bad_message_authenticator",
            DropReason::ProxyStateWithoutMessageAuthenticator => {
                "proxy_state_without_message_authenticator"
            }
            DropReason::StatusServerRate => "status_server_rate",
            DropReason::StatusServerReplay => "status_server_replay",
            DropReason::Duplicate => "duplicate",
            DropReason::Overload => "overload",
            DropReason::BadRequestAuthenticator => "bad_request_authenticator",
            DropReason::NotStored => "not_stored",
        }
    }
}

/// A datagram that failed a check: why, and its client when it was known.
pub struct Refused {
    pub reason: DropReason,
    pub client: Option<Arc<Client>>,
}

/// A datagram that passed every check.
pub struct Admitted {
    pub client: Arc<Client>,
    pub packet: Packet,
}

/// Runs the checks. Logs nothing above debug level: a flood of junk must not
/// fill the disk.
pub fn admit(
    clients: &ClientTable,
    datagram: &[u8],
    source: SocketAddr,
) -> Result<Admitted, Refused> {
    let client = known_client(clients, source)?;
    admit_from(client, datagram)
}

/// The client a datagram's source address belongs to.
fn known_client(clients: &ClientTable, source: SocketAddr) -> Result<Arc<Client>, Refused> {
    clients.lookup(source.ip()).cloned().ok_or(Refused {
        reason: DropReason::UnknownClient,
        client: None,
    })
}

/// The outcome of `client`'s checks, with the client either way.
fn judged(client: Arc<Client>, checked: Result<Packet, DropReason>) -> Result<Admitted, Refused> {
    match checked {
        Ok(packet) => Ok(Admitted { client, packet }),
        Err(reason) => Err(Refused {
            reason,
            client: Some(client),
        }),
    }
}

/// The checks of a datagram on an accounting port: a known client, sound
/// framing, an Accounting-Request whose Request Authenticator is the digest
/// of its client's secret (or a Status-Server with its
/// Message-Authenticator), and a valid Message-Authenticator when one is
/// present (RFC 2866 does not ask a NAS for one).
pub fn admit_accounting(
    clients: &ClientTable,
    datagram: &[u8],
    source: SocketAddr,
) -> Result<Admitted, Refused> {
    let client = known_client(clients, source)?;
    let checked = check_accounting(&client, datagram);
    judged(client, checked)
}

fn check_accounting(client: &Client, datagram: &[u8]) -> Result<Packet, DropReason> {
    let packet = Packet::decode(datagram).map_err(|e| DropReason::Malformed(e.reason()))?;
    let secret = client.config.secret_bytes();
    match packet.code() {
        Code::AccountingRequest => {
            if !packet.verify_request_digest(secret) {
                return Err(DropReason::BadRequestAuthenticator);
            }
        }
        Code::StatusServer => {
            if packet.message_authenticator_offset().is_none() {
                return Err(DropReason::MissingMessageAuthenticator);
            }
        }
        _ => return Err(DropReason::UnexpectedCode),
    }
    if packet.message_authenticator_offset().is_some()
        && !packet.verify_message_authenticator(secret)
    {
        return Err(DropReason::BadMessageAuthenticator);
    }
    Ok(packet)
}

/// The checks after the first, for a packet from a known `client`.
pub fn admit_from(client: Arc<Client>, datagram: &[u8]) -> Result<Admitted, Refused> {
    let checked = check(&client, datagram);
    judged(client, checked)
}

/// The checks of a packet on a stream connection of a known `client`: a
/// RADIUS/TLS or RADIUS/TCP connection carries every kind of request on
/// one port (RFC 6614 §2.1), so an Accounting-Request passes the accounting
/// port's checks when `accounting` is on, and is an unexpected code when
/// it is off.
pub fn admit_on_stream(
    client: Arc<Client>,
    packet: &[u8],
    accounting: bool,
) -> Result<Admitted, Refused> {
    let checked = if accounting && packet.first() == Some(&Code::AccountingRequest.as_u8()) {
        check_accounting(&client, packet)
    } else {
        check(&client, packet)
    };
    judged(client, checked)
}

fn check(client: &Client, datagram: &[u8]) -> Result<Packet, DropReason> {
    let packet = Packet::decode(datagram).map_err(|e| DropReason::Malformed(e.reason()))?;
    match packet.code() {
        Code::AccessRequest => {}
        Code::StatusServer => {
            // RFC 5997 §3: Status-Server always carries a Message-Authenticator.
            if packet.message_authenticator_offset().is_none() {
                return Err(DropReason::MissingMessageAuthenticator);
            }
        }
        _ => return Err(DropReason::UnexpectedCode),
    }
    let secret = client.config.secret_bytes();
    if packet.message_authenticator_offset().is_some() {
        if !packet.verify_message_authenticator(secret) {
            return Err(DropReason::BadMessageAuthenticator);
        }
    } else if client.config.require_message_authenticator {
        return Err(DropReason::MissingMessageAuthenticator);
    } else {
        if client.config.limit_proxy_state && packet.has(types::PROXY_STATE) {
            return Err(DropReason::ProxyStateWithoutMessageAuthenticator);
        }
        if client.may_warn() {
            tracing::warn!(
                client = %client.config.name,
                "this client sends Access-Requests without Message-Authenticator; they are accepted because require_message_authenticator is off"
            );
        }
    }
    Ok(packet)
}
