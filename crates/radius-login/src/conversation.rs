//! The login as a user at a NAS lives it: the password goes out in an
//! Access-Request; an Access-Challenge shows its text as a prompt, and the
//! answer goes back with the challenge's State; until the server accepts or
//! rejects. Status-Server is the one-packet variant that asks only whether
//! the server is there.

use crate::answers::Answers;
use crate::exchange::{Exchange, ExchangeError};
use crate::prompt;
use crate::report;
use crate::request::Nas;
use radius_proto::attribute::types;
use radius_proto::dictionary::Dictionary;
use radius_proto::packet::{Code, Packet, RequestBuilder};
use std::io::{self, Write};

/// How many challenges one login answers at most, so that a server that
/// challenges forever does not keep the tool running forever.
const MAX_CHALLENGES: usize = 20;

/// How a run ended; each has its exit status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Access-Accept (for Status-Server: any valid answer).
    Accepted,
    Rejected,
    /// No valid reply, or a reply of a code that makes no sense here.
    NoReply,
    /// A challenge came and nothing was left to answer it with.
    Unanswered,
}

impl Outcome {
    /// The process exit status, as `--help` documents it.
    pub fn exit_status(self) -> u8 {
        match self {
            Outcome::Accepted => 0,
            Outcome::Rejected => 1,
            Outcome::NoReply => 3,
            Outcome::Unanswered => 4,
        }
    }
}

/// One run's connection and what it prints to.
pub(crate) struct Conversation<'a> {
    pub(crate) exchange: &'a mut Exchange,
    pub(crate) secret: &'a [u8],
    pub(crate) dictionary: &'a Dictionary,
    pub(crate) nas: &'a Nas,
    /// The transcript (standard output).
    pub(crate) out: &'a mut dyn Write,
    /// Notes and prompts (standard error).
    pub(crate) notes: &'a mut dyn Write,
}

impl Conversation<'_> {
    /// Logs `user` in with `password`, answering challenges from `answers`.
    pub(crate) fn login(
        &mut self,
        user: &str,
        password: &str,
        answers: &mut Answers,
    ) -> io::Result<Outcome> {
        let mut typed = zeroize::Zeroizing::new(password.to_owned());
        let mut state: Option<Vec<u8>> = None;
        for _ in 0..=MAX_CHALLENGES {
            let identifier = self.exchange.identifier();
            let request = match self.nas.access_request(
                identifier,
                user,
                &typed,
                state.as_deref(),
                self.secret,
            ) {
                Ok(request) => request,
                Err(error) => {
                    writeln!(self.notes, "okta-radius login: {error}")?;
                    return Ok(Outcome::Unanswered);
                }
            };
            let Some(reply) = self.round_trip(&request)? else {
                return Ok(Outcome::NoReply);
            };
            match reply.code() {
                Code::AccessAccept => {
                    writeln!(self.out, "Access-Accept: {user} is logged in")?;
                    if let Some(message) = report::reply_message(&reply) {
                        writeln!(self.out, "{message}")?;
                    }
                    return Ok(Outcome::Accepted);
                }
                Code::AccessReject => {
                    let reason = report::reply_message(&reply)
                        .unwrap_or_else(|| "(no Reply-Message)".to_owned());
                    writeln!(self.out, "Access-Reject: {reason}")?;
                    return Ok(Outcome::Rejected);
                }
                Code::AccessChallenge => {
                    let asked = prompt::of_challenge(&reply);
                    state = reply.first(types::STATE).map(<[u8]>::to_vec);
                    if state.is_none() {
                        writeln!(
                            self.notes,
                            "note: the Access-Challenge carries no State; the answer goes back without one"
                        )?;
                    }
                    match answers.challenge(&asked.text, asked.echo)? {
                        Some(answer) => typed = answer,
                        None => {
                            writeln!(
                                self.notes,
                                "okta-radius login: the server asked for an answer and none is left (add --answer)"
                            )?;
                            return Ok(Outcome::Unanswered);
                        }
                    }
                }
                other => {
                    writeln!(
                        self.notes,
                        "okta-radius login: the server answered an Access-Request with {other}"
                    )?;
                    return Ok(Outcome::NoReply);
                }
            }
        }
        writeln!(
            self.notes,
            "okta-radius login: more than {MAX_CHALLENGES} challenges in one login; giving up"
        )?;
        Ok(Outcome::Unanswered)
    }

    /// Sends a Status-Server and reports the answer.
    pub(crate) fn status(&mut self) -> io::Result<Outcome> {
        let identifier = self.exchange.identifier();
        let request = self.nas.status_server(identifier);
        let Some(reply) = self.round_trip(&request)? else {
            return Ok(Outcome::NoReply);
        };
        writeln!(
            self.out,
            "{} answered Status-Server with {}",
            self.exchange.server(),
            reply.code()
        )?;
        Ok(Outcome::Accepted)
    }

    /// Sends `request`, prints it and its reply; `None` when no valid reply
    /// came (said on the notes).
    fn round_trip(&mut self, request: &RequestBuilder) -> io::Result<Option<Packet>> {
        let (bytes, authenticator) = match request.encode(self.secret) {
            Ok(encoded) => encoded,
            Err(error) => {
                writeln!(
                    self.notes,
                    "okta-radius login: the request cannot be encoded: {error}"
                )?;
                return Ok(None);
            }
        };
        if let Ok(sent) = Packet::decode(&bytes) {
            report::sent(self.out, self.dictionary, &sent, self.exchange.server())?;
        }
        self.out.flush()?;
        match self
            .exchange
            .send(&bytes, &authenticator, self.secret, self.notes)
        {
            Ok(reply) => {
                report::received(
                    self.out,
                    self.dictionary,
                    &reply.packet,
                    self.exchange.server(),
                    reply.elapsed,
                )?;
                if reply.packet.message_authenticator_offset().is_none() {
                    writeln!(
                        self.notes,
                        "warning: the reply carries no Message-Authenticator; a NAS protected against BlastRADIUS (CVE-2024-3596) would refuse it"
                    )?;
                }
                self.out.flush()?;
                Ok(Some(reply.packet))
            }
            Err(ExchangeError::Io(error)) => Err(error),
            Err(error) => {
                writeln!(self.notes, "okta-radius login: {error}")?;
                Ok(None)
            }
        }
    }
}
