//! Fuzzes the reading of what a user typed at the NAS: the inline
//! `password,factor` split, menu answers, and one-time-code recognition.
//! The split must give back pieces of the text it was given.
#![no_main]

use libfuzzer_sys::fuzz_target;
use okta_radius::auth::typed::{InlineFactor, is_code, is_resend, menu_answer, split_inline};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let delimiter = match selector % 4 {
        0 => ",",
        1 => "|",
        2 => "",
        _ => "::",
    };
    if let Some((password, factor)) = split_inline(text, delimiter) {
        assert!(!password.is_empty());
        assert!(text.starts_with(password));
        if let InlineFactor::Code(code) = &factor {
            assert!(is_code(code));
            assert!(text.contains(code.as_str()));
        }
    }
    let _ = menu_answer(text);
    let _ = is_code(text);
    let _ = is_resend(text);
});
