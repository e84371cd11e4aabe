//! Fuzzes the FreeRADIUS dictionary parser on text held in memory: any text
//! must load or fail with an error, never panic or loop. When it loads, every
//! attribute's name must resolve back to a definition.
#![no_main]

use libfuzzer_sys::fuzz_target;
use radius_proto::dictionary::Dictionary;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Ok(dictionary) = Dictionary::from_text(&text) {
        for attribute in dictionary.attributes() {
            assert!(dictionary.attribute_by_name(&attribute.name).is_some());
            let _ = dictionary.format_value(attribute, data);
        }
    }
});
