//! The EAP server's own rounds, opened to the fuzz target
//! (`fuzz/fuzz_targets/eap_conversation.rs`) and to nothing else: the
//! target drives one conversation with arbitrary Responses through the
//! same code a NAS reaches, up to where the login inside the tunnel would
//! go to Okta, and the content of the tunnel through the readers of the
//! inner login.
//!
//! Nothing here stands in for Okta: a round whose peer spoke inside the
//! tunnel ends as [`OuterAnswer::InnerLogin`], unanswered.

use super::{EapServer, Outer, peap, ttls};
use crate::auth::{Decision, Verdict};
use crate::config::EapConfig;
use radius_proto::attribute::types;
use radius_proto::packet::Packet;
use rustls::sign::CertifiedKey;
use std::sync::Arc;

/// An EAP server with no sweeper task and no Okta behind it.
pub struct OuterRounds {
    server: EapServer,
}

/// How the server answered one Access-Request.
#[derive(Debug)]
pub enum OuterAnswer {
    /// Dropped.
    Silence,
    /// Access-Challenge: the EAP-Message joined, and the State.
    Challenge { eap: Vec<u8>, state: Vec<u8> },
    /// Access-Reject: the EAP-Message joined.
    Reject { eap: Vec<u8> },
    /// Access-Accept: never without Okta, so a finding.
    Accept { eap: Vec<u8> },
    /// The peer spoke inside the tunnel: the inner login would decide.
    InnerLogin,
}

impl OuterRounds {
    pub fn new(
        config: &EapConfig,
        certificate: Arc<CertifiedKey>,
    ) -> Result<OuterRounds, rustls::Error> {
        Ok(OuterRounds {
            server: EapServer::without_sweeper(config, certificate)?,
        })
    }

    /// Answers an Access-Request from the client named `client`.
    pub fn answer(&self, client: &str, packet: &Packet) -> OuterAnswer {
        match self.server.outer_round(client, packet) {
            Outer::Inner { .. } => OuterAnswer::InnerLogin,
            Outer::Answered(decision) => answer_of(&decision),
        }
    }
}

fn answer_of(decision: &Decision) -> OuterAnswer {
    let eap: Vec<u8> = decision
        .attributes
        .iter()
        .filter(|attribute| attribute.typ == types::EAP_MESSAGE)
        .flat_map(|attribute| attribute.value.iter().copied())
        .collect();
    match decision.verdict {
        Verdict::Silence => OuterAnswer::Silence,
        Verdict::Reject => OuterAnswer::Reject { eap },
        Verdict::Accept => OuterAnswer::Accept { eap },
        Verdict::Challenge => OuterAnswer::Challenge {
            eap,
            state: decision
                .attributes
                .iter()
                .find(|attribute| attribute.typ == types::STATE)
                .map(|attribute| attribute.value.clone())
                .unwrap_or_default(),
        },
    }
}

/// Reads `plaintext` as the peer's content of a tunnel: the EAP-TTLS
/// inner login (PAP or EAP), and the PEAP inner packet of `version` with
/// the acknowledgement of a result.
pub fn read_inner(version: u8, plaintext: &[u8], identifier: u8) {
    let _ = ttls::inner_login(plaintext);
    let packet = peap::unwrap(version, plaintext, identifier);
    let _ = peap::confirms_success(version, packet.as_ref());
}
