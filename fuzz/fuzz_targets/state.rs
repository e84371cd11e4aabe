//! Fuzzes opening a State: arbitrary bytes as received from a NAS, and
//! arbitrary plaintext sealed under the server's key (so the decoder behind
//! the AEAD is reached too, as it would be with a leaked key). Neither may
//! panic; a forged State never opens.
#![no_main]

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use libfuzzer_sys::fuzz_target;
use okta_radius::auth::state::{Binding, StateKey};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const KEY: [u8; 32] = [7; 32];

fuzz_target!(|data: &[u8]| {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let key = StateKey::from_bytes(&KEY);
    let binding = Binding {
        client: "vpn",
        user_name: "alice",
    };
    let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
    if mode % 2 == 0 {
        // Raw bytes: without the key they can never open.
        assert!(key.open(rest, &binding, now).is_err());
        return;
    }
    // Sealed plaintext, framed as the server frames it (see src/auth/state.rs).
    let nonce = [3u8; 24];
    let mut aad = b"okta-radius state v1\0".to_vec();
    aad.extend_from_slice(b"vpn\0alice");
    let cipher = XChaCha20Poly1305::new(&KEY.into());
    let Ok(ciphertext) = cipher.encrypt(
        &XNonce::from(nonce),
        Payload {
            msg: rest,
            aad: &aad,
        },
    ) else {
        return;
    };
    let mut state = vec![1u8];
    state.extend_from_slice(&nonce);
    state.extend_from_slice(&ciphertext);
    let _ = key.open(&state, &binding, now);
    let _ = key.open(&state, &binding, SystemTime::now());
});
