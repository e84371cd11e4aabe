//! `[eap]`: 802.1X logins (Wi-Fi, wired ports) through EAP methods that
//! carry the password inside TLS, so Okta still gets it in clear: the
//! server certificate the supplicants check, the methods offered in order,
//! the size of the TLS fragments, and the bounds on conversations in flight.
//!
//! A client answers EAP only when its own `eap = true`; the others keep
//! the reject that tells the operator to use PAP.

use super::problem::Problems;
use serde::Deserialize;
use std::path::PathBuf;
use std::time::Duration;

/// `[eap]` as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct EapSection {
    pub certificate_file: Option<PathBuf>,
    pub private_key_file: Option<PathBuf>,
    pub methods: Vec<String>,
    pub fragment_size: usize,
    pub conversation_timeout_seconds: u64,
    pub max_conversations: usize,
}

impl Default for EapSection {
    fn default() -> Self {
        EapSection {
            certificate_file: None,
            private_key_file: None,
            methods: vec!["ttls".to_owned(), "peap".to_owned()],
            fragment_size: 1_020,
            conversation_timeout_seconds: 60,
            max_conversations: 4_096,
        }
    }
}

/// An EAP method the server runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EapMethod {
    /// EAP-TTLS v0 (RFC 5281) with PAP or EAP-GTC inside.
    Ttls,
    /// PEAP (v0, or v1 when the peer asks) with EAP-GTC inside.
    Peap,
}

impl EapMethod {
    pub fn label(self) -> &'static str {
        match self {
            EapMethod::Ttls => "ttls",
            EapMethod::Peap => "peap",
        }
    }
}

/// The validated `[eap]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EapConfig {
    pub certificate_file: PathBuf,
    pub private_key_file: PathBuf,
    /// Offered in this order: the first to a new peer, the others to a
    /// peer that asks for them with a Nak.
    pub methods: Vec<EapMethod>,
    /// The most TLS bytes in one EAP packet (a smaller Framed-MTU wins).
    pub fragment_size: usize,
    /// A conversation with no answer for this long is forgotten.
    pub conversation_timeout: Duration,
    /// Conversations in flight at once; past it, new ones are refused.
    pub max_conversations: usize,
}

/// Checks `[eap]` when it is present.
pub(super) fn validate(section: &EapSection, problems: &mut Problems) -> Option<EapConfig> {
    let certificate_file = section.certificate_file.clone();
    if certificate_file.is_none() {
        problems.add(
            "eap.certificate_file",
            "name the PEM file with the server's certificate chain that supplicants check (its CA goes on every client device)",
        );
    }
    let private_key_file = section.private_key_file.clone();
    if private_key_file.is_none() {
        problems.add(
            "eap.private_key_file",
            "name the PEM file with the private key of eap.certificate_file",
        );
    }
    let mut methods = Vec::new();
    for name in &section.methods {
        let method = match name.as_str() {
            "ttls" => EapMethod::Ttls,
            "peap" => EapMethod::Peap,
            other => {
                problems.add(
                    "eap.methods",
                    format!("`{other}` is not a method this server runs: use \"ttls\" or \"peap\""),
                );
                continue;
            }
        };
        if !methods.contains(&method) {
            methods.push(method);
        }
    }
    if section.methods.is_empty() {
        problems.add("eap.methods", "offer at least one method, e.g. [\"ttls\"]");
    }
    if !(256..=4_000).contains(&section.fragment_size) {
        problems.add(
            "eap.fragment_size",
            "must be 256 to 4000 bytes; 1020 fits every access point's RADIUS packets",
        );
    }
    if !(5..=600).contains(&section.conversation_timeout_seconds) {
        problems.add(
            "eap.conversation_timeout_seconds",
            "must be 5 to 600 seconds; 60 leaves a user time to type a code",
        );
    }
    if section.max_conversations == 0 {
        problems.add(
            "eap.max_conversations",
            "must be at least 1 (4096 is the default)",
        );
    }
    Some(EapConfig {
        certificate_file: certificate_file?,
        private_key_file: private_key_file?,
        methods,
        fragment_size: section.fragment_size,
        conversation_timeout: Duration::from_secs(section.conversation_timeout_seconds),
        max_conversations: section.max_conversations,
    })
}
