//! Naming a packet's attributes through the dictionary, for a person
//! reading a debug log, with every value that could be a secret masked.

use crate::attribute::{decode_vendor_specific, types};
use crate::dictionary::{Dictionary, Encryption};
use crate::packet::Packet;
use std::fmt::Write;

/// Attributes whose values are never shown, whatever the dictionary says.
fn always_masked(typ: u8) -> bool {
    matches!(
        typ,
        types::USER_PASSWORD | types::CHAP_PASSWORD | types::STATE | types::MESSAGE_AUTHENTICATOR
    )
}

/// `User-Name = "alice", NAS-Identifier = "vpn", User-Password = <hidden>`.
pub fn describe(dictionary: &Dictionary, packet: &Packet) -> String {
    let mut out = String::new();
    for (typ, value) in packet.attributes() {
        if !out.is_empty() {
            out.push_str(", ");
        }
        if typ == types::VENDOR_SPECIFIC
            && let Ok(subs) = decode_vendor_specific(value)
        {
            for (i, sub) in subs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match dictionary.attribute(sub.vendor_id, u32::from(sub.vendor_type)) {
                    Some(def) if def.encrypt != Encryption::None || def.secret => {
                        let _ = write!(out, "{} = <hidden>", def.name);
                    }
                    Some(def) => {
                        let _ = write!(
                            out,
                            "{} = {}",
                            def.name,
                            dictionary.format_value(def, &sub.value)
                        );
                    }
                    None => {
                        let _ = write!(
                            out,
                            "Vendor-{}-Attr-{} = <{} bytes>",
                            sub.vendor_id,
                            sub.vendor_type,
                            sub.value.len()
                        );
                    }
                }
            }
            continue;
        }
        match dictionary.attribute(0, u32::from(typ)) {
            Some(def) if always_masked(typ) || def.encrypt != Encryption::None || def.secret => {
                let _ = write!(out, "{} = <hidden>", def.name);
            }
            Some(def) => {
                let _ = write!(
                    out,
                    "{} = {}",
                    def.name,
                    dictionary.format_value(def, value)
                );
            }
            None if always_masked(typ) => {
                let _ = write!(out, "Attr-{typ} = <hidden>");
            }
            None => {
                let _ = write!(out, "Attr-{typ} = <{} bytes>", value.len());
            }
        }
    }
    out
}
