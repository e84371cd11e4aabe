//! 802.1X logins: EAP in RADIUS (RFC 3579), answered with EAP-TTLS (RFC
//! 5281) with PAP or EAP-GTC inside its TLS tunnel, or PEAP with EAP-GTC
//! inside ([`peap`]).
//!
//! An EAP login takes several Access-Request/Access-Challenge rounds: the
//! peer's Identity, the TLS handshake (cut into fragments), then the inner
//! login. The rounds of one login share a State that names its
//! conversation in this process ([`conversations`]); the TLS connection
//! runs in memory ([`tunnel`]); the inner User-Name and password
//! ([`ttls`], or what the user typed at an EAP-GTC prompt, [`inner_eap`])
//! become an
//! Access-Request ([`inner_request`]) that the
//! conversation of `crate::auth` decides as it would a PAP login, and its
//! decision comes back with EAP-Success and the MPPE keys ([`answers`]),
//! or EAP-Failure.

mod answers;
mod conversations;
#[doc(hidden)]
pub mod fuzzing;
mod inner_eap;
mod inner_request;
mod peap;
mod ttls;
mod tunnel;

use crate::auth::{Authenticator, Decision, Reason, Verdict};
use crate::config::{ClientConfig, EapConfig, EapMethod};
use crate::live::Live;
use conversations::{Conversation, Conversations, Inner};
use radius_proto::attribute::types;
use radius_proto::eap::{EapCode, EapPacket, joined_eap_message, methods};
use radius_proto::packet::Packet;
use rustls::ServerConfig;
use rustls::server::NoServerSessionStorage;
use rustls::sign::{CertifiedKey, SingleCertAndKey};
use secrecy::SecretString;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::time::Instant;
use tunnel::{Tunnel, TunnelError, TunnelStep};

/// More rounds than any login needs (a handshake with a long chain in
/// small fragments takes about a dozen).
const MAX_ROUNDS: u32 = 64;

/// RADIUS attribute Framed-MTU (RFC 2865 §5.12): the NAS's link MTU.
const FRAMED_MTU: u8 = 12;

/// What a Framed-MTU leaves for TLS bytes once EAP and the frame headers
/// are taken off.
const FRAME_OVERHEAD: usize = 14;

/// How often abandoned conversations are looked for.
const SWEEP_EVERY: Duration = Duration::from_secs(1);

/// The EAP server of a running okta-radius.
pub(crate) struct EapServer {
    conversations: Arc<Conversations>,
    tls: Live<Arc<ServerConfig>>,
    methods: Vec<EapMethod>,
    fragment_size: usize,
}

impl EapServer {
    /// The server for `[eap]`, with its certificate loaded. Starts the
    /// task that releases abandoned conversations (it ends with the server).
    pub(crate) fn new(
        config: &EapConfig,
        certificate: Arc<CertifiedKey>,
    ) -> Result<EapServer, rustls::Error> {
        let server = EapServer::without_sweeper(config, certificate)?;
        let weak: Weak<Conversations> = Arc::downgrade(&server.conversations);
        tokio::spawn(async move {
            let mut every = tokio::time::interval(SWEEP_EVERY);
            loop {
                every.tick().await;
                let Some(conversations) = weak.upgrade() else {
                    return;
                };
                let left = conversations.sweep();
                metrics::gauge!(crate::telemetry::metrics::EAP_CONVERSATIONS).set(left as f64);
            }
        });
        Ok(server)
    }

    /// The server without the task that releases abandoned conversations
    /// (so without a runtime); its table stays bounded by
    /// `max_conversations`.
    fn without_sweeper(
        config: &EapConfig,
        certificate: Arc<CertifiedKey>,
    ) -> Result<EapServer, rustls::Error> {
        Ok(EapServer {
            conversations: Arc::new(Conversations::new(
                config.conversation_timeout,
                config.max_conversations,
            )),
            tls: Live::new(tls_config(certificate)?),
            methods: config.methods.clone(),
            fragment_size: config.fragment_size,
        })
    }

    /// Takes a reloaded certificate for new conversations.
    pub(crate) fn replace_certificate(&self, certificate: Arc<CertifiedKey>) {
        match tls_config(certificate) {
            Ok(config) => self.tls.set(config),
            Err(error) => {
                tracing::error!(%error, "the reloaded [eap] certificate cannot be used; the running one stays");
            }
        }
    }

    /// Decides one Access-Request carrying EAP-Message from a client that
    /// answers EAP.
    pub(crate) async fn access_request(
        &self,
        authenticator: &Authenticator,
        client: &ClientConfig,
        packet: &Packet,
        arrived: Instant,
    ) -> Decision {
        let (conversation, plaintext, identifier) = match self.outer_round(&client.name, packet) {
            Outer::Answered(decision) => return decision,
            Outer::Inner {
                conversation,
                plaintext,
                identifier,
            } => (*conversation, plaintext, identifier),
        };
        // The login's outcome, decided by the inner login's conversation,
        // under the login's id.
        let login_id = conversation.login_id;
        let round = Round {
            authenticator,
            client,
            packet,
            arrived,
            identifier,
        };
        let mut decision = if conversation.method == methods::PEAP {
            self.peap_round(&round, conversation, plaintext).await
        } else {
            self.ttls_round(&round, conversation, plaintext).await
        };
        decision.login_id = Some(login_id);
        decision
    }

    /// Everything of a round that the server answers on its own: the
    /// EAP-Message read, a new conversation begun, the method negotiated,
    /// the TLS tunnel's fragments and handshake. What is left is the
    /// plaintext the peer sent inside the tunnel, for the inner login.
    fn outer_round(&self, client: &str, packet: &Packet) -> Outer {
        let Some(bytes) = joined_eap_message(packet) else {
            return Outer::Answered(Decision::silence(Reason::EapMalformed));
        };
        // RFC 3579 §3.3: EAP-Message without Message-Authenticator is discarded.
        if packet.message_authenticator_offset().is_none() {
            return Outer::Answered(Decision::silence(Reason::EapMalformed));
        }
        let eap = match EapPacket::decode(&bytes) {
            Ok(eap) if eap.code == EapCode::Response => eap,
            Ok(_) => return Outer::Answered(Decision::silence(Reason::EapMalformed)),
            Err(error) => {
                tracing::debug!(client, %error, "malformed EAP-Message");
                return Outer::Answered(Decision::silence(Reason::EapMalformed));
            }
        };
        let Some(state) = packet.first(types::STATE) else {
            // Never 0, as the logins of `crate::auth`.
            let login_id = rand::random::<u32>().max(1);
            let mut decision = self.begin(client, packet, &eap, login_id);
            decision.login_id = Some(login_id);
            return Outer::Answered(decision);
        };
        match self.conversations.take(state) {
            Some(conversation) if conversation.client == client => {
                // Every round of the login under the login's id.
                let login_id = conversation.login_id;
                match self.go_on(client, eap, conversation) {
                    Outer::Answered(mut decision) => {
                        decision.login_id = Some(login_id);
                        Outer::Answered(decision)
                    }
                    inner => inner,
                }
            }
            _ => {
                // Expired, or begun on another replica: a prompt reject lets
                // the NAS start over instead of waiting out its timeout.
                tracing::info!(
                    client,
                    "EAP round for a conversation this server does not hold (expired, or started on another server); rejected so the NAS starts over"
                );
                Outer::Answered(answers::failure(
                    eap.identifier,
                    Reason::EapUnknownConversation,
                    None,
                ))
            }
        }
    }

    /// A new conversation: the peer's Identity, answered with the first
    /// method's Start.
    fn begin(&self, client: &str, packet: &Packet, eap: &EapPacket, login_id: u32) -> Decision {
        if eap.method != Some(methods::IDENTITY) {
            return answers::failure(eap.identifier, Reason::EapMalformed, None);
        }
        let outer_identity: String = String::from_utf8_lossy(&eap.data)
            .chars()
            .filter(|c| !c.is_control())
            .take(128)
            .collect();
        let fragment_size = match packet.integer(FRAMED_MTU) {
            Some(mtu) => usize::try_from(mtu)
                .unwrap_or(usize::MAX)
                .saturating_sub(FRAME_OVERHEAD)
                .clamp(64, self.fragment_size),
            None => self.fragment_size,
        };
        let Some(method) = self.methods.first().copied() else {
            return answers::failure(eap.identifier, Reason::EapMethodRefused, None);
        };
        let conversation = Conversation {
            client: client.to_owned(),
            outer_identity,
            login_id,
            identifier: eap.identifier,
            method: method_type(method),
            tunnel: None,
            rounds: 1,
            fragment_size,
            version: 0,
            inner: Inner::Handshake,
        };
        self.start_method(conversation)
    }

    /// Sends the Start of the conversation's method.
    fn start_method(&self, mut conversation: Conversation) -> Decision {
        // PEAP offers its highest version and follows the peer down; TTLS is v0.
        let peap = conversation.method == methods::PEAP;
        let version = if peap { peap::HIGHEST_VERSION } else { 0 };
        conversation.version = version;
        conversation.inner = Inner::Handshake;
        let tunnel = Tunnel::new(
            self.tls.get().as_ref().clone(),
            version,
            peap,
            conversation.fragment_size,
        );
        let tunnel = match tunnel {
            Ok(tunnel) => tunnel,
            Err(error) => {
                tracing::error!(%error, "cannot start a TLS tunnel");
                return answers::failure(
                    conversation.identifier,
                    Reason::EapTlsFailed,
                    Some(conversation.outer_identity),
                );
            }
        };
        let start = tunnel.start();
        conversation.tunnel = Some(tunnel);
        self.ask(conversation, start)
    }

    /// Sends the next Request of the conversation's method and keeps the
    /// conversation for the answer.
    fn ask(&self, mut conversation: Conversation, data: Vec<u8>) -> Decision {
        conversation.identifier = conversation.identifier.wrapping_add(1);
        let request = EapPacket::request(conversation.identifier, conversation.method, data);
        let login = conversation.outer_identity.clone();
        let identifier = conversation.identifier;
        match self.conversations.put(conversation) {
            Ok(state) => answers::challenge(&request, &state, login),
            Err(conversations::Full) => {
                tracing::warn!(
                    "EAP conversations in flight reached eap.max_conversations; a new login is refused"
                );
                answers::failure(identifier, Reason::EapOverloaded, Some(login))
            }
        }
    }

    /// One more round of a conversation in progress.
    fn go_on(&self, client: &str, eap: EapPacket, mut conversation: Conversation) -> Outer {
        let login = Some(conversation.outer_identity.clone());
        conversation.rounds += 1;
        if conversation.rounds > MAX_ROUNDS {
            return Outer::Answered(answers::failure(
                eap.identifier,
                Reason::EapTooManyRounds,
                login,
            ));
        }
        if eap.identifier != conversation.identifier {
            tracing::debug!(client, "EAP Response with the wrong Identifier");
            return Outer::Answered(answers::failure(
                eap.identifier,
                Reason::EapWrongIdentifier,
                login,
            ));
        }
        if eap.method == Some(methods::NAK) {
            return Outer::Answered(self.after_nak(client, &eap, conversation));
        }
        if eap.method != Some(conversation.method) {
            return Outer::Answered(answers::failure(
                eap.identifier,
                Reason::EapMalformed,
                login,
            ));
        }
        let Some(tunnel) = conversation.tunnel.as_mut() else {
            return Outer::Answered(answers::failure(
                eap.identifier,
                Reason::EapMalformed,
                login,
            ));
        };
        let received = tunnel.receive(&eap.data);
        conversation.version = tunnel.version();
        let plaintext = match received {
            Ok(TunnelStep::Send(data)) => return Outer::Answered(self.ask(conversation, data)),
            Ok(TunnelStep::Plaintext(plaintext)) => plaintext,
            Err(TunnelError::AfterAlert) => {
                return Outer::Answered(answers::failure(
                    eap.identifier,
                    Reason::EapTlsFailed,
                    login,
                ));
            }
            Err(error) => {
                let alert = match error {
                    TunnelError::Tls(_) => tunnel.alert(),
                    _ => None,
                };
                log_tunnel_failed(client, &conversation, &error, alert.is_some());
                return Outer::Answered(match alert {
                    // The alert first; the peer's answer gets the EAP-Failure.
                    Some(alert) => self.ask(conversation, alert),
                    None => answers::failure(eap.identifier, reason_of(&error), login),
                });
            }
        };
        Outer::Inner {
            conversation: Box::new(conversation),
            plaintext,
            identifier: eap.identifier,
        }
    }

    /// The peer refused the method offered: the next configured method it
    /// asked for, or EAP-Failure with a log line naming what it wanted.
    fn after_nak(&self, client: &str, eap: &EapPacket, mut conversation: Conversation) -> Decision {
        let desired = eap.nak_desired();
        let next = self
            .methods
            .iter()
            .map(|method| method_type(*method))
            .find(|method| *method != conversation.method && desired.contains(method));
        if let Some(method) = next
            && conversation.rounds == 2
        {
            conversation.method = method;
            return self.start_method(conversation);
        }
        let asked: Vec<&str> = desired.iter().map(|m| methods::name(*m)).collect();
        tracing::info!(
            client,
            identity = %conversation.outer_identity,
            offered = methods::name(conversation.method),
            asked_for = %asked.join(","),
            "the supplicant refused the EAP methods offered and asked for one this server does not run"
        );
        answers::failure(
            eap.identifier,
            Reason::EapMethodRefused,
            Some(conversation.outer_identity),
        )
    }

    /// EAP-TTLS: the inner PAP login, decided by the conversation.
    async fn ttls_round(
        &self,
        round: &Round<'_>,
        mut conversation: Conversation,
        plaintext: Vec<u8>,
    ) -> Decision {
        let login = Some(conversation.outer_identity.clone());
        if plaintext.is_empty() {
            // The handshake is over but the peer said nothing yet.
            return self.ask(conversation, vec![0]);
        }
        let inner = match ttls::inner_login(&plaintext) {
            Ok(ttls::InnerLogin::Pap(inner)) => inner,
            Ok(ttls::InnerLogin::Eap(answer)) => {
                return self.inner_eap_round(round, conversation, answer).await;
            }
            Err(problem) => {
                tracing::info!(
                    client = %round.client.name,
                    identity = %conversation.outer_identity,
                    problem = problem.label(),
                    "EAP-TTLS tunnel without a PAP or EAP-GTC login (set the supplicant's inner method to PAP or EAP-GTC)"
                );
                return answers::failure(round.identifier, Reason::EapInnerMalformed, login);
            }
        };
        let Some(tunnel) = conversation.tunnel.take() else {
            return answers::failure(round.identifier, Reason::EapMalformed, login);
        };
        let msk = match ttls::master_session_key(&tunnel) {
            Ok(msk) => msk,
            Err(error) => {
                tracing::error!(%error, "cannot derive the EAP-TTLS keys");
                return answers::failure(round.identifier, Reason::EapTlsFailed, login);
            }
        };
        // The conversation is over whatever Okta says: its tunnel is
        // dropped here, before the wait.
        drop((tunnel, conversation));
        let decision = match round.decide(&inner.user_name, &inner.password, None).await {
            Ok(decision) => decision,
            Err(reject) => return reject,
        };
        let secret = round.client.secret_bytes();
        match decision.verdict {
            Verdict::Accept => {
                answers::success(decision, round.identifier, &msk, round.packet, secret)
            }
            Verdict::Reject => answers::with_failure(decision, round.identifier),
            Verdict::Challenge => answers::inner_challenge(decision, round.identifier),
            Verdict::Silence => decision,
        }
    }
}

/// Where a round stands once the server has done its own part.
enum Outer {
    /// The server answers the round itself.
    Answered(Decision),
    /// The peer spoke inside the tunnel: the inner login decides.
    Inner {
        conversation: Box<Conversation>,
        plaintext: Vec<u8>,
        /// The Identifier of the peer's EAP Response.
        identifier: u8,
    },
}

/// What one round's inner login needs of the outer request.
struct Round<'a> {
    authenticator: &'a Authenticator,
    client: &'a ClientConfig,
    packet: &'a Packet,
    arrived: Instant,
    /// The Identifier of the peer's EAP Response.
    identifier: u8,
}

impl Round<'_> {
    /// Runs the inner login (or the answer to its challenge) through the
    /// conversation, as the Access-Request a PAP NAS would have sent.
    async fn decide(
        &self,
        user_name: &str,
        typed: &SecretString,
        challenge: Option<Vec<u8>>,
    ) -> Result<Decision, Decision> {
        let secret = self.client.secret_bytes();
        let Ok(request) =
            inner_request::inner_request(self.packet, user_name, typed, challenge, secret)
        else {
            return Err(answers::failure(
                self.identifier,
                Reason::EapInnerMalformed,
                None,
            ));
        };
        Ok(self
            .authenticator
            .access_request(self.client, &request, self.arrived)
            .await)
    }
}

/// The reason an EAP-Failure for a failed tunnel is recorded under.
fn reason_of(error: &TunnelError) -> Reason {
    match error {
        TunnelError::TooLarge => Reason::EapTooLarge,
        TunnelError::Malformed(_) => Reason::EapMalformed,
        TunnelError::Tls(_) | TunnelError::AfterAlert => Reason::EapTlsFailed,
    }
}

/// The log line of a failed tunnel: why, and whether the peer is sent the
/// TLS alert before its EAP-Failure.
fn log_tunnel_failed(
    client: &str,
    conversation: &Conversation,
    error: &TunnelError,
    alert_sent: bool,
) {
    tracing::info!(
        client,
        identity = %conversation.outer_identity,
        method = methods::name(conversation.method),
        %error,
        alert_sent,
        "EAP tunnel failed"
    );
}

/// The EAP Type of a method.
fn method_type(method: EapMethod) -> u8 {
    match method {
        EapMethod::Ttls => methods::TTLS,
        EapMethod::Peap => methods::PEAP,
    }
}

/// The TLS settings of every tunnel: TLS 1.2 and 1.3, no client
/// certificate, and no resumption (a resumed session would skip Okta).
fn tls_config(certificate: Arc<CertifiedKey>) -> Result<Arc<ServerConfig>, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])?
        .with_no_client_auth()
        .with_cert_resolver(Arc::new(SingleCertAndKey::from(certificate)));
    config.session_storage = Arc::new(NoServerSessionStorage {});
    config.send_tls13_tickets = 0;
    Ok(Arc::new(config))
}
