//! Fuzzes everything the server does with the bytes of one datagram before
//! Okta is asked: the framing walk, Message-Authenticator verification,
//! revealing User-Password, decoding Vendor-Specific sub-attributes, naming
//! every attribute through the shipped dictionaries (which formats each
//! value by its type), and encoding each kind
//! of reply, which must decode again and verify.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_proto::attribute::{Attribute, decode_vendor_specific, types};
use radius_proto::crypto::reveal_user_password;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::{Code, Packet, encode_reply};
use radius_proto::describe;
use std::sync::OnceLock;

/// The secret of the test vectors in the protocol notes, so seeds verify.
const SECRET: &[u8] = b"xyzzy5461";

fn dictionary() -> &'static Dictionary {
    static DICTIONARY: OnceLock<Dictionary> = OnceLock::new();
    DICTIONARY.get_or_init(|| Dictionary::builtin().unwrap_or_default())
}

fuzz_target!(|data: &[u8]| {
    let Ok(packet) = Packet::decode(data) else {
        return;
    };
    let _ = packet.verify_message_authenticator(SECRET);
    for (typ, value) in packet.attributes() {
        match typ {
            types::USER_PASSWORD => {
                if let Ok(password) = reveal_user_password(value, SECRET, packet.authenticator()) {
                    let _ = std::str::from_utf8(&password);
                }
            }
            types::VENDOR_SPECIFIC => {
                let _ = decode_vendor_specific(value);
            }
            _ => {}
        }
    }
    let _ = packet.text(types::USER_NAME);
    let _ = packet.integer(types::NAS_PORT);
    let _ = describe::describe(dictionary(), &packet);

    let echoed = packet
        .text(types::USER_NAME)
        .map(|name| format!("Hello {name}"))
        .unwrap_or_default();
    let mut attributes = Attribute::reply_messages(&echoed);
    attributes.push(Attribute::new(types::STATE, packet.authenticator().to_vec()));
    for code in [Code::AccessAccept, Code::AccessReject, Code::AccessChallenge] {
        if let Ok(reply) = encode_reply(code, &packet, &attributes, SECRET) {
            assert!(reply.len() <= 4096, "a reply longer than RFC 2865 allows");
            let decoded = Packet::decode(&reply).expect("an encoded reply decodes");
            assert!(
                decoded.verify_reply(packet.authenticator(), SECRET),
                "an encoded reply verifies"
            );
            let sent: Vec<&[u8]> = packet.all(types::PROXY_STATE).collect();
            let echoed: Vec<&[u8]> = decoded.all(types::PROXY_STATE).collect();
            assert_eq!(sent, echoed, "Proxy-State is copied in order");
        }
    }
});
