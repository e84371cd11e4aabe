//! The transcript a person reads: each packet sent and received with its
//! code, Identifier, peer and every attribute by dictionary name (secrets
//! and the State masked), in the layout radclient users know.

use radius_proto::attribute::types;
use radius_proto::describe::named_attributes;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::Packet;
use std::io::{self, Write};
use std::net::SocketAddr;
use std::time::Duration;

/// Prints a request about to be sent.
pub(crate) fn sent(
    out: &mut dyn Write,
    dictionary: &Dictionary,
    packet: &Packet,
    to: SocketAddr,
) -> io::Result<()> {
    writeln!(
        out,
        "Sent {} Id {} to {to}",
        packet.code(),
        packet.identifier()
    )?;
    attributes(out, dictionary, packet, false)
}

/// Prints a reply that passed its checks.
pub(crate) fn received(
    out: &mut dyn Write,
    dictionary: &Dictionary,
    packet: &Packet,
    from: SocketAddr,
    after: Duration,
) -> io::Result<()> {
    writeln!(
        out,
        "Received {} Id {} from {from} after {} ms",
        packet.code(),
        packet.identifier(),
        after.as_millis()
    )?;
    attributes(out, dictionary, packet, true)
}

/// One line per attribute. In a reply the Message-Authenticator was
/// checked, so it shows as verified.
fn attributes(
    out: &mut dyn Write,
    dictionary: &Dictionary,
    packet: &Packet,
    reply: bool,
) -> io::Result<()> {
    let ma_offset = packet.message_authenticator_offset();
    for named in named_attributes(dictionary, packet) {
        if reply && ma_offset.is_some() && named.name == "Message-Authenticator" {
            writeln!(out, "\tMessage-Authenticator = <verified>")?;
            continue;
        }
        writeln!(out, "\t{named}")?;
    }
    Ok(())
}

/// The Reply-Message texts of a packet, joined.
pub(crate) fn reply_message(packet: &Packet) -> Option<String> {
    let raw: Vec<u8> = packet
        .all(types::REPLY_MESSAGE)
        .flat_map(<[u8]>::iter)
        .copied()
        .collect();
    if raw.is_empty() {
        return None;
    }
    let text: String = String::from_utf8_lossy(&raw)
        .chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect();
    Some(text)
}
