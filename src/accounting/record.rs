//! One accounting record as a line of the accounting file: when it was
//! received, from which client and address, and every attribute by its
//! dictionary name. A name that occurs more than once (Class, Cisco-AVPair)
//! holds a list of its values in order. Passwords never appear: values the
//! dictionary marks secret are masked, as in the debug log.
//!
//! ```json
//! {"time":"2026-11-30T06:30:00.123Z","client":"vpn-asa-1","source":"192.0.2.10:53211",
//!  "attributes":{"Acct-Status-Type":"Start","Acct-Session-Id":"4D2A0001","User-Name":"alice"}}
//! ```

use radius_proto::describe::record_attributes;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::Packet;
use serde_json::{Map, Value};
use std::net::SocketAddr;
use std::time::SystemTime;

/// The JSON line (without its newline) of one Accounting-Request.
pub fn json_line(
    dictionary: &Dictionary,
    client: &str,
    source: SocketAddr,
    received: SystemTime,
    packet: &Packet,
) -> Vec<u8> {
    let mut attributes = Map::new();
    for named in record_attributes(dictionary, packet) {
        match attributes.get_mut(&named.name) {
            None => {
                attributes.insert(named.name, Value::String(named.value));
            }
            Some(Value::Array(values)) => values.push(Value::String(named.value)),
            Some(first) => {
                let first = first.take();
                attributes.insert(
                    named.name,
                    Value::Array(vec![first, Value::String(named.value)]),
                );
            }
        }
    }
    let mut record = Map::new();
    record.insert(
        "time".to_owned(),
        Value::String(okta_api::time::okta_timestamp(received)),
    );
    record.insert("client".to_owned(), Value::String(client.to_owned()));
    record.insert("source".to_owned(), Value::String(source.to_string()));
    record.insert("attributes".to_owned(), Value::Object(attributes));
    // A map of strings always serialises.
    serde_json::to_vec(&Value::Object(record)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::{Attribute, types};
    use radius_proto::packet::{Code, RequestBuilder};
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn a_record_names_every_attribute() {
        let dictionary = Dictionary::builtin().expect("the built-in set loads");
        let (bytes, _) = RequestBuilder::new(Code::AccountingRequest, 7)
            .text(types::USER_NAME, "alice")
            .attribute(Attribute::integer(40, 1))
            .text(44, "4D2A0001")
            .attribute(Attribute::new(types::CLASS, b"one".to_vec()))
            .attribute(Attribute::new(types::CLASS, b"two".to_vec()))
            .encode(b"secret")
            .expect("encodes");
        let packet = Packet::decode(&bytes).expect("decodes");
        let line = json_line(
            &dictionary,
            "vpn",
            "192.0.2.10:1813".parse().expect("addr"),
            UNIX_EPOCH + Duration::from_millis(1_446_545_757_250),
            &packet,
        );
        let record: Value = serde_json::from_slice(&line).expect("JSON");
        assert_eq!(record["time"], "2015-11-03T10:15:57.250Z");
        assert_eq!(record["client"], "vpn");
        assert_eq!(record["source"], "192.0.2.10:1813");
        assert_eq!(record["attributes"]["User-Name"], "alice");
        assert_eq!(record["attributes"]["Acct-Status-Type"], "Start");
        assert_eq!(record["attributes"]["Acct-Session-Id"], "4D2A0001");
        assert_eq!(
            record["attributes"]["Class"],
            serde_json::json!(["0x6f6e65", "0x74776f"])
        );
        assert!(!line.contains(&b'\n'));
    }
}
