//! Naming a packet's attributes through the dictionary, for a person
//! reading a debug log or a test client's transcript, with every value that
//! could be a secret masked.

use crate::attribute::{decode_vendor_specific, types};
use crate::dictionary::{AttributeDef, Dictionary, Encryption};
use crate::packet::Packet;
use crate::value::DataType;

/// What a masked value shows.
pub const HIDDEN: &str = "<hidden>";

/// One attribute as a person reads it: its dictionary name and its value
/// formatted by type (`"text"`, `Administrative-User`, `192.0.2.1`), or
/// [`HIDDEN`] for a value that could be a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedAttribute {
    pub name: String,
    pub value: String,
}

impl std::fmt::Display for NamedAttribute {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} = {}", self.name, self.value)
    }
}

/// Attributes whose values are never shown, whatever the dictionary says.
fn always_masked(typ: u8) -> bool {
    matches!(
        typ,
        types::USER_PASSWORD | types::CHAP_PASSWORD | types::STATE | types::MESSAGE_AUTHENTICATOR
    )
}

/// A value formatted by its type; text in double quotes, as FreeRADIUS
/// prints it, so that a comma or a space inside it reads as part of it.
fn shown(dictionary: &Dictionary, def: &AttributeDef, bytes: &[u8]) -> String {
    let text = dictionary.format_value(def, bytes);
    if matches!(def.data_type, DataType::String) {
        format!("\"{text}\"")
    } else {
        text
    }
}

/// Whether the dictionary marks an attribute as secret (encrypted on the
/// wire, or flagged `secret`).
fn secret(def: &AttributeDef) -> bool {
    def.encrypt != Encryption::None || def.secret
}

/// Every attribute of `packet`, in order, by name; each sub-attribute of a
/// Vendor-Specific counts as one.
pub fn named_attributes(dictionary: &Dictionary, packet: &Packet) -> Vec<NamedAttribute> {
    let mut out = Vec::new();
    for (typ, value) in packet.attributes() {
        if typ == types::VENDOR_SPECIFIC
            && let Ok(subs) = decode_vendor_specific(value)
        {
            for sub in subs {
                let named = match dictionary.attribute(sub.vendor_id, u32::from(sub.vendor_type)) {
                    Some(def) if secret(def) => NamedAttribute {
                        name: def.name.clone(),
                        value: HIDDEN.to_owned(),
                    },
                    Some(def) => NamedAttribute {
                        name: def.name.clone(),
                        value: shown(dictionary, def, &sub.value),
                    },
                    None => NamedAttribute {
                        name: format!("Vendor-{}-Attr-{}", sub.vendor_id, sub.vendor_type),
                        value: format!("<{} bytes>", sub.value.len()),
                    },
                };
                out.push(named);
            }
            continue;
        }
        let named = match dictionary.attribute(0, u32::from(typ)) {
            Some(def) if always_masked(typ) || secret(def) => NamedAttribute {
                name: def.name.clone(),
                value: HIDDEN.to_owned(),
            },
            Some(def) => NamedAttribute {
                name: def.name.clone(),
                value: shown(dictionary, def, value),
            },
            None if always_masked(typ) => NamedAttribute {
                name: format!("Attr-{typ}"),
                value: HIDDEN.to_owned(),
            },
            None => NamedAttribute {
                name: format!("Attr-{typ}"),
                value: format!("<{} bytes>", value.len()),
            },
        };
        out.push(named);
    }
    out
}

/// Every attribute of `packet` by name with its value as a record keeps it
/// (the accounting file): text as it is when it is UTF-8, numbers by their
/// `VALUE` name, anything unknown or not text as `0x` and hex; secrets
/// masked as in [`named_attributes`].
pub fn record_attributes(dictionary: &Dictionary, packet: &Packet) -> Vec<NamedAttribute> {
    let plain = |def: &AttributeDef, bytes: &[u8]| {
        if matches!(def.data_type, DataType::String) {
            match std::str::from_utf8(bytes) {
                Ok(text) => text.to_owned(),
                Err(_) => format!("0x{}", hex::encode(bytes)),
            }
        } else {
            dictionary.format_value(def, bytes)
        }
    };
    let mut out = Vec::new();
    for (typ, value) in packet.attributes() {
        if typ == types::VENDOR_SPECIFIC
            && let Ok(subs) = decode_vendor_specific(value)
        {
            for sub in subs {
                out.push(
                    match dictionary.attribute(sub.vendor_id, u32::from(sub.vendor_type)) {
                        Some(def) if secret(def) => NamedAttribute {
                            name: def.name.clone(),
                            value: HIDDEN.to_owned(),
                        },
                        Some(def) => NamedAttribute {
                            name: def.name.clone(),
                            value: plain(def, &sub.value),
                        },
                        None => NamedAttribute {
                            name: format!("Vendor-{}-Attr-{}", sub.vendor_id, sub.vendor_type),
                            value: format!("0x{}", hex::encode(&sub.value)),
                        },
                    },
                );
            }
            continue;
        }
        out.push(match dictionary.attribute(0, u32::from(typ)) {
            Some(def) if always_masked(typ) || secret(def) => NamedAttribute {
                name: def.name.clone(),
                value: HIDDEN.to_owned(),
            },
            Some(def) => NamedAttribute {
                name: def.name.clone(),
                value: plain(def, value),
            },
            None if always_masked(typ) => NamedAttribute {
                name: format!("Attr-{typ}"),
                value: HIDDEN.to_owned(),
            },
            None => NamedAttribute {
                name: format!("Attr-{typ}"),
                value: format!("0x{}", hex::encode(value)),
            },
        });
    }
    out
}

/// `User-Name = "alice", NAS-Identifier = "vpn", User-Password = <hidden>`.
pub fn describe(dictionary: &Dictionary, packet: &Packet) -> String {
    named_attributes(dictionary, packet)
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attribute::Attribute;
    use crate::packet::{Code, RequestBuilder};

    #[test]
    fn a_record_keeps_text_as_it_is() {
        let dictionary = Dictionary::builtin().expect("the built-in set loads");
        let (bytes, _) = RequestBuilder::new(Code::AccountingRequest, 1)
            .text(types::USER_NAME, "O'Brien \"ob\"")
            .attribute(Attribute::integer(40, 1))
            .attribute(Attribute::new(8, vec![192, 0, 2, 7]))
            .attribute(Attribute::new(230, vec![1, 2]))
            .encode(b"secret")
            .expect("encodes");
        let packet = Packet::decode(&bytes).expect("decodes");
        let shown: Vec<String> = record_attributes(&dictionary, &packet)
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(
            shown,
            [
                "User-Name = O'Brien \"ob\"",
                "Acct-Status-Type = Start",
                "Framed-IP-Address = 192.0.2.7",
                "Attr-230 = 0x0102",
            ]
        );
    }

    #[test]
    fn names_each_attribute_and_masks_secrets() {
        let dictionary = Dictionary::builtin().expect("the built-in set loads");
        let (bytes, _) = RequestBuilder::new(Code::AccessRequest, 1)
            .text(types::USER_NAME, "alice")
            .user_password(b"alice-password", b"secret")
            .expect("fits")
            .attribute(Attribute::integer(types::SERVICE_TYPE, 6))
            .attribute(Attribute::new(types::STATE, vec![1, 2, 3]))
            .encode(b"secret")
            .expect("encodes");
        let packet = Packet::decode(&bytes).expect("decodes");
        let named = named_attributes(&dictionary, &packet);
        let shown: Vec<String> = named.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            [
                "Message-Authenticator = <hidden>",
                "User-Name = \"alice\"",
                "User-Password = <hidden>",
                "Service-Type = Administrative-User",
                "State = <hidden>",
            ]
        );
        assert_eq!(describe(&dictionary, &packet), shown.join(", "));
    }
}
