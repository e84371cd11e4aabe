//! Property tests, on stable, for the entry points the fuzz targets cover
//! that had none: what users type (`split_inline`, `menu_answer`, `is_code`)
//! and opening a State from arbitrary bytes. (The codec and the dictionary
//! parser have theirs next to their code.)

use okta_radius::auth::state::{Binding, Challenge, StateKey, Step};
use okta_radius::auth::typed::{InlineFactor, is_code, menu_answer, split_inline};
use proptest::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use std::time::{Duration, UNIX_EPOCH};

fn binding() -> Binding<'static> {
    Binding {
        client: "vpn",
        user_name: "alice",
    }
}

proptest! {
    #[test]
    fn split_inline_returns_pieces_of_what_was_typed(
        typed in "\\PC{0,80}",
        delimiter in prop_oneof![Just(","), Just("|"), Just(""), Just("::")],
    ) {
        if let Some((password, factor)) = split_inline(&typed, delimiter) {
            prop_assert!(!password.is_empty());
            prop_assert!(typed.starts_with(password));
            prop_assert!(typed[password.len()..].starts_with(delimiter));
            if let InlineFactor::Code(code) = factor {
                prop_assert!(is_code(&code));
                prop_assert!(typed.ends_with(code.as_str()) || typed.trim_end().ends_with(code.as_str()));
            }
        }
    }

    #[test]
    fn a_password_followed_by_a_code_splits_there(
        password in "[a-zA-Z0-9,!]{1,40}",
        code in "[0-9]{6,8}",
    ) {
        let typed = format!("{password},{code}");
        let (left, factor) = split_inline(&typed, ",").expect("splits");
        prop_assert_eq!(left, password.as_str());
        prop_assert_eq!(factor, InlineFactor::Code(code));
    }

    #[test]
    fn menu_answers_and_codes_never_panic(typed in "\\PC{0,200}") {
        let _ = menu_answer(&typed);
        let _ = is_code(&typed);
    }

    #[test]
    fn arbitrary_bytes_never_open_as_a_state(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let key = StateKey::from_bytes(&[9; 32]);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        prop_assert!(key.open(&bytes, &binding(), now).is_err());
    }

    #[test]
    fn a_sealed_state_opens_once_intact_and_never_when_altered(
        token in "[A-Za-z0-9]{42,120}",
        flip in any::<prop::sample::Index>(),
    ) {
        let key = StateKey::from_bytes(&[9; 32]);
        let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let challenge = Challenge {
            expires_at: 1_700_000_300,
            login_id: 1,
            step: Step::Menu { state_token: SecretString::from(token.clone()) },
        };
        let (sealed, id) = key.seal(&challenge, &binding()).expect("seals");
        let (opened, opened_id) = key.open(&sealed, &binding(), now).expect("opens");
        match opened.step {
            Step::Menu { state_token } => prop_assert_eq!(state_token.expose_secret(), token.as_str()),
            _ => prop_assert!(false, "the step changed"),
        }
        prop_assert_eq!(opened_id, id);
        let mut altered = sealed.clone();
        let at = flip.index(altered.len());
        altered[at] ^= 0x01;
        prop_assert!(key.open(&altered, &binding(), now).is_err());
        let other = Binding { client: "vpn", user_name: "mallory" };
        prop_assert!(key.open(&sealed, &other, now).is_err());
    }
}
