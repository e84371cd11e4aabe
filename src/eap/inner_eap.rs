//! The login inside a tunnel when it is EAP: PEAP's, and EAP-TTLS's when
//! the supplicant runs EAP-GTC inside. The Identity first, then EAP-GTC
//! prompts: the password, then whatever Okta's conversation asks, each
//! answer sent back with the challenge's State; then, for PEAP, the result
//! inside the tunnel and the peer's acknowledgement.

use super::conversations::{Conversation, Inner};
use super::{EapServer, Round, answers, peap, ttls};
use crate::auth::{Decision, Reason, Verdict};
use radius_proto::eap::{EapPacket, methods};
use secrecy::SecretString;

impl EapServer {
    /// PEAP: the inner Identity, then EAP-GTC prompts until Okta decides,
    /// then the result inside the tunnel and its acknowledgement.
    pub(super) async fn peap_round(
        &self,
        round: &Round<'_>,
        conversation: Conversation,
        plaintext: Vec<u8>,
    ) -> Decision {
        let answer = peap::unwrap(conversation.version, &plaintext, round.identifier);
        self.inner_eap_round(round, conversation, answer).await
    }

    /// The inner EAP conversation of PEAP, or of EAP-TTLS with EAP inside:
    /// the Identity, then EAP-GTC prompts until Okta decides. `answer` is
    /// the peer's inner packet, if it sent one.
    pub(super) async fn inner_eap_round(
        &self,
        round: &Round<'_>,
        mut conversation: Conversation,
        answer: Option<EapPacket>,
    ) -> Decision {
        let login = Some(conversation.outer_identity.clone());
        let version = conversation.version;
        let peap = conversation.method == methods::PEAP;
        let next_id = conversation.identifier.wrapping_add(1);
        let inner = std::mem::replace(&mut conversation.inner, Inner::Handshake);
        // Inside TTLS the peer starts with its Identity unasked.
        let starts_with_identity = answer
            .as_ref()
            .is_some_and(|a| a.method == Some(methods::IDENTITY));
        let inner = match inner {
            Inner::Handshake if starts_with_identity => Inner::Identity,
            other => other,
        };
        match inner {
            Inner::Handshake => {
                conversation.inner = Inner::Identity;
                self.send_inner(
                    conversation,
                    &peap::identity_request(next_id),
                    round.identifier,
                )
            }
            Inner::Identity => {
                let user_name = answer
                    .filter(|a| a.method == Some(methods::IDENTITY))
                    .and_then(|a| String::from_utf8(a.data).ok())
                    .map(|name| name.trim_end_matches('\0').to_owned())
                    .filter(|name| !name.is_empty());
                let Some(user_name) = user_name else {
                    return answers::failure(round.identifier, Reason::EapInnerMalformed, login);
                };
                conversation.inner = Inner::Gtc {
                    user_name,
                    challenge: None,
                };
                self.send_inner(
                    conversation,
                    &peap::gtc_request(next_id, "Password"),
                    round.identifier,
                )
            }
            Inner::Gtc {
                user_name,
                challenge,
            } => {
                let typed = answer
                    .filter(|a| a.method == Some(methods::GTC))
                    .and_then(|a| String::from_utf8(a.data).ok());
                let Some(typed) = typed else {
                    tracing::info!(
                        client = %round.client.name,
                        identity = %conversation.outer_identity,
                        "PEAP tunnel without an EAP-GTC answer (set the supplicant's inner method to GTC)"
                    );
                    return answers::failure(round.identifier, Reason::EapInnerMalformed, login);
                };
                let typed = SecretString::from(typed);
                let decision = match round.decide(&user_name, &typed, challenge).await {
                    Ok(decision) => decision,
                    Err(reject) => return reject,
                };
                match decision.verdict {
                    Verdict::Accept => {
                        let Some(tunnel) = conversation.tunnel.as_ref() else {
                            return answers::failure(round.identifier, Reason::EapMalformed, login);
                        };
                        if !peap {
                            // TTLS ends with the outer EAP-Success alone.
                            return match ttls::master_session_key(tunnel) {
                                Ok(msk) => answers::success(
                                    decision,
                                    round.identifier,
                                    &msk,
                                    round.packet,
                                    round.client.secret_bytes(),
                                ),
                                Err(error) => {
                                    tracing::error!(%error, "cannot derive the EAP-TTLS keys");
                                    answers::failure(round.identifier, Reason::EapTlsFailed, login)
                                }
                            };
                        }
                        let msk = match peap::master_session_key(tunnel) {
                            Ok(msk) => msk,
                            Err(error) => {
                                tracing::error!(%error, "cannot derive the PEAP keys");
                                return answers::failure(
                                    round.identifier,
                                    Reason::EapTlsFailed,
                                    login,
                                );
                            }
                        };
                        conversation.inner = Inner::Accepted {
                            decision: Box::new(decision),
                            msk: Box::new(msk),
                        };
                        self.send_inner(
                            conversation,
                            &peap::result(version, next_id, true),
                            round.identifier,
                        )
                    }
                    Verdict::Challenge => {
                        let (prompt, state) = answers::prompt_and_state(&decision);
                        conversation.inner = Inner::Gtc {
                            user_name,
                            challenge: Some(state),
                        };
                        let mut asked = self.send_inner(
                            conversation,
                            &peap::gtc_request(next_id, &prompt),
                            round.identifier,
                        );
                        asked.reason = decision.reason;
                        asked
                    }
                    Verdict::Reject => answers::with_failure(decision, round.identifier),
                    Verdict::Silence => decision,
                }
            }
            Inner::Accepted { decision, msk } => {
                if !peap::confirms_success(version, answer.as_ref()) {
                    return answers::failure(round.identifier, Reason::EapInnerMalformed, login);
                }
                let secret = round.client.secret_bytes();
                answers::success(*decision, round.identifier, &msk, round.packet, secret)
            }
        }
    }

    /// Sends `inner` through the conversation's tunnel in the next Request.
    fn send_inner(
        &self,
        mut conversation: Conversation,
        inner: &EapPacket,
        identifier: u8,
    ) -> Decision {
        let version = conversation.version;
        let Some(tunnel) = conversation.tunnel.as_mut() else {
            return answers::failure(identifier, Reason::EapMalformed, None);
        };
        let plaintext = if conversation.method == methods::PEAP {
            peap::wrap(version, inner)
        } else {
            ttls::wrap_eap(inner)
        };
        match tunnel.send(&plaintext) {
            Ok(data) => self.ask(conversation, data),
            Err(error) => {
                tracing::error!(%error, "cannot send into the tunnel");
                answers::failure(
                    identifier,
                    Reason::EapTlsFailed,
                    Some(conversation.outer_identity),
                )
            }
        }
    }
}
