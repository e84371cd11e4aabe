//! What an Access-Challenge asks the user: its Reply-Message text, made safe
//! to print, and whether the answer may be echoed.
//!
//! The Prompt attribute (RFC 2869 §5.10) says so when the server sends it.
//! Otherwise the text decides, as a person reading it would: a numbered menu
//! or "press Enter" is echoed; a prompt that mentions a code, a passcode, a
//! password, a PIN, a token or an answer is read without echo; anything else
//! is echoed.

use radius_proto::attribute::types;
use radius_proto::packet::Packet;

/// The Prompt attribute's values (RFC 2869 §5.10).
const PROMPT_NO_ECHO: u32 = 0;
const PROMPT_ECHO: u32 = 1;

/// Words that mark a prompt for something secret.
const SECRET_WORDS: &[&str] = &[
    "code", "codes", "passcode", "password", "pin", "otp", "token", "answer", "yubikey",
];

/// What the challenge asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChallengePrompt {
    /// The Reply-Message text (every instance, in order), printable.
    pub(crate) text: String,
    /// Whether the answer may be shown as it is typed.
    pub(crate) echo: bool,
}

/// What `challenge` asks.
pub(crate) fn of_challenge(challenge: &Packet) -> ChallengePrompt {
    let raw: Vec<u8> = challenge
        .all(types::REPLY_MESSAGE)
        .flat_map(<[u8]>::iter)
        .copied()
        .collect();
    let text = printable(&String::from_utf8_lossy(&raw));
    let echo = match challenge.integer(types::PROMPT) {
        Some(PROMPT_NO_ECHO) => false,
        Some(PROMPT_ECHO) => true,
        _ => echo_for(&text),
    };
    let text = if text.is_empty() {
        "(the server asks for an answer without saying what)".to_owned()
    } else {
        text
    };
    ChallengePrompt { text, echo }
}

/// Whether a prompt's answer may be echoed, judged by its words.
fn echo_for(text: &str) -> bool {
    if text.trim().is_empty() {
        return false;
    }
    let lower = text.to_lowercase();
    let menu = lower.lines().any(is_menu_line);
    if menu || lower.contains("press enter") {
        return true;
    }
    !lower
        .split(|c: char| !c.is_alphanumeric())
        .any(|word| SECRET_WORDS.contains(&word))
}

/// `1 - Okta Verify push`, `2. SMS`, `3) Email`.
fn is_menu_line(line: &str) -> bool {
    let line = line.trim_start();
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && line[digits..]
            .trim_start()
            .starts_with(['-', '.', ')', ':'])
}

/// The text with every control character but line breaks and tabs shown as
/// an escape, so that a server cannot drive the terminal.
fn printable(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim_end().chars() {
        match c {
            '\n' | '\t' => out.push(c),
            '\r' => {}
            c if c.is_control() => out.push_str(&c.escape_unicode().to_string()),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use radius_proto::attribute::Attribute;
    use radius_proto::packet::{Code, RequestBuilder};

    fn challenge(attributes: Vec<Attribute>) -> Packet {
        let mut builder = RequestBuilder::new(Code::AccessChallenge, 7);
        for attribute in attributes {
            builder = builder.attribute(attribute);
        }
        let (bytes, _) = builder.encode(b"secret").expect("encodes");
        Packet::decode(&bytes).expect("decodes")
    }

    fn asks(text: &str) -> ChallengePrompt {
        of_challenge(&challenge(Attribute::reply_messages(text)))
    }

    #[test]
    fn codes_passwords_and_answers_are_not_echoed() {
        for text in [
            "Enter the code from your authenticator app:",
            "Wrong code. Try again:",
            "Enter the code sent to +1 XXX-XXX-0199 (type resend for a new one):",
            "Answer your security question: What is your favorite color?",
            "Touch your YubiKey to enter its code:",
            "Enter PASSCODE:",
            "Enter your new PIN",
        ] {
            assert!(!asks(text).echo, "{text}");
        }
    }

    #[test]
    fn menus_and_press_enter_are_echoed() {
        for text in [
            "Choose a second factor (type its number):\n1 - Okta Verify push\n2 - Google code\n3 - SMS to +1 XXX-XXX-0142",
            "Tap 42 in Okta Verify, then press Enter.",
            "Approve the Okta Verify push on your phone, then press Enter.",
            "Which VLAN?",
        ] {
            assert!(asks(text).echo, "{text}");
        }
    }

    #[test]
    fn the_prompt_attribute_decides_when_present() {
        let mut attributes = Attribute::reply_messages("Choose:\n1 - push");
        attributes.push(Attribute::integer(types::PROMPT, PROMPT_NO_ECHO));
        assert!(!of_challenge(&challenge(attributes)).echo);
        let mut attributes = Attribute::reply_messages("Enter the code:");
        attributes.push(Attribute::integer(types::PROMPT, PROMPT_ECHO));
        assert!(of_challenge(&challenge(attributes)).echo);
    }

    #[test]
    fn long_texts_are_joined_and_control_characters_escaped() {
        let long = format!("{}\u{1b}[2J end", "x".repeat(300));
        let prompt = asks(&long);
        assert!(prompt.text.starts_with(&"x".repeat(300)), "{}", prompt.text);
        assert!(prompt.text.ends_with("\\u{1b}[2J end"), "{}", prompt.text);
        assert!(!prompt.text.contains('\u{1b}'));
    }

    #[test]
    fn a_challenge_without_text_still_prompts_and_hides() {
        let prompt = of_challenge(&challenge(Vec::new()));
        assert!(!prompt.echo);
        assert!(prompt.text.contains("without saying what"));
    }
}
