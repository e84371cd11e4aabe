//! TLS inside EAP: a rustls server connection fed and drained through
//! memory, and the L/M/S framing of the TLS-based methods around it
//! (RFC 5281 §9.2.2): the peer's fragments are reassembled up to a cap and
//! acknowledged, ours are cut to the conversation's fragment size and sent
//! one per round as the peer acknowledges them.
//!
//! When the handshake or a record fails, the alert rustls wrote is sent to
//! the peer in one more Request before the EAP-Failure (RFC 5216 §2.1.3,
//! which RFC 5281 and PEAP follow), so the supplicant can log why.
//!
//! Nothing here knows what runs inside the tunnel; the method reads the
//! plaintext the peer sent once the handshake is over.

use radius_proto::eap_tls::{TlsFrame, encode_tls_frame, flags};
use rustls::{ProtocolVersion, ServerConfig, ServerConnection};
use std::io::{Read, Write};
use std::sync::Arc;

/// The most bytes one TLS message from the peer may add up to, however
/// many fragments it comes in.
pub(super) const MAX_MESSAGE_LEN: usize = 64 * 1024;

/// What the tunnel asks the method to do with the peer's frame.
pub(super) enum TunnelStep {
    /// Send this Type-Data in the next Request (a fragment, or an
    /// acknowledgement of the peer's fragment).
    Send(Vec<u8>),
    /// The handshake is over and this is what the peer sent inside the
    /// tunnel (empty when the peer sent only an acknowledgement).
    Plaintext(Vec<u8>),
}

/// Why a tunnel ends in EAP-Failure.
#[derive(Debug)]
pub(super) enum TunnelError {
    /// Type-Data that is not a TLS-method frame, or a frame out of turn.
    Malformed(&'static str),
    /// The peer's message passed [`MAX_MESSAGE_LEN`].
    TooLarge,
    /// The TLS handshake or a record failed.
    Tls(rustls::Error),
    /// The peer answered the alert sent after [`TunnelError::Tls`]: the
    /// conversation ends now.
    AfterAlert,
}

impl std::fmt::Display for TunnelError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TunnelError::Malformed(what) => write!(f, "malformed: {what}"),
            TunnelError::TooLarge => write!(f, "a TLS message past {MAX_MESSAGE_LEN} bytes"),
            TunnelError::Tls(error) => write!(f, "TLS: {error}"),
            TunnelError::AfterAlert => write!(f, "the peer answered our TLS alert"),
        }
    }
}

impl From<rustls::Error> for TunnelError {
    fn from(error: rustls::Error) -> TunnelError {
        TunnelError::Tls(error)
    }
}

/// One TLS tunnel in progress.
pub(super) struct Tunnel {
    tls: ServerConnection,
    /// The method's version bits, echoed in every frame.
    version: u8,
    /// Whether the peer's first frame may lower the version (PEAP).
    negotiating: bool,
    fragment_size: usize,
    /// The peer's fragments of the message being reassembled.
    incoming: Vec<u8>,
    /// TLS bytes for the peer, and how many have been sent.
    outgoing: Vec<u8>,
    sent: usize,
    /// TLS failed and the peer was sent the alert.
    alerted: bool,
}

impl Tunnel {
    pub(super) fn new(
        config: Arc<ServerConfig>,
        version: u8,
        negotiates: bool,
        fragment_size: usize,
    ) -> Result<Tunnel, TunnelError> {
        Ok(Tunnel {
            tls: ServerConnection::new(config)?,
            version,
            negotiating: negotiates,
            fragment_size,
            incoming: Vec::new(),
            outgoing: Vec::new(),
            sent: 0,
            alerted: false,
        })
    }

    /// The Type-Data of the first Request: Start, with the version.
    pub(super) fn start(&self) -> Vec<u8> {
        encode_tls_frame(flags::START | self.version, None, &[])
    }

    /// Takes the Type-Data of the peer's Response.
    pub(super) fn receive(&mut self, data: &[u8]) -> Result<TunnelStep, TunnelError> {
        if self.alerted {
            // RFC 5216 §2.1.3: the peer acknowledges the alert; whatever it
            // sent, nothing follows but EAP-Failure.
            return Err(TunnelError::AfterAlert);
        }
        let frame =
            TlsFrame::decode(data).map_err(|_| TunnelError::Malformed("frame cut short"))?;
        if self.negotiating {
            self.version = self.version.min(frame.version());
            self.negotiating = false;
        }
        if self.sent < self.outgoing.len() {
            // We are in the middle of sending: only an acknowledgement fits.
            if !frame.is_ack() {
                return Err(TunnelError::Malformed(
                    "data while our fragments were pending",
                ));
            }
            return Ok(TunnelStep::Send(self.next_fragment()));
        }
        if frame
            .total_len
            .is_some_and(|total| total as usize > MAX_MESSAGE_LEN)
            || self.incoming.len() + frame.fragment.len() > MAX_MESSAGE_LEN
        {
            return Err(TunnelError::TooLarge);
        }
        self.incoming.extend_from_slice(frame.fragment);
        if frame.more_fragments() {
            return Ok(TunnelStep::Send(encode_tls_frame(self.version, None, &[])));
        }
        let message = std::mem::take(&mut self.incoming);
        if !message.is_empty() {
            self.feed(&message)?;
        }
        if !self.tls.is_handshaking() {
            let plaintext = self.plaintext()?;
            if !plaintext.is_empty() || self.outgoing.is_empty() {
                return Ok(TunnelStep::Plaintext(plaintext));
            }
        }
        Ok(TunnelStep::Send(self.next_fragment()))
    }

    /// Encrypts `plaintext` for the peer and returns the first frame of it.
    pub(super) fn send(&mut self, plaintext: &[u8]) -> Result<Vec<u8>, TunnelError> {
        self.tls
            .writer()
            .write_all(plaintext)
            .map_err(|_| TunnelError::Malformed("the tunnel refused data"))?;
        self.drain_output()?;
        Ok(self.next_fragment())
    }

    /// After [`TunnelError::Tls`]: the frame carrying the alert rustls
    /// wrote about it, if it wrote one (it writes none when the peer's own
    /// alert ended the connection). The peer's next Response ends the
    /// conversation with [`TunnelError::AfterAlert`].
    pub(super) fn alert(&mut self) -> Option<Vec<u8>> {
        if self.alerted || self.outgoing.is_empty() {
            return None;
        }
        self.alerted = true;
        self.sent = 0;
        Some(self.next_fragment())
    }

    /// The method's version: the one offered, or the lower one the peer
    /// answered Start with.
    pub(super) fn version(&self) -> u8 {
        self.version
    }

    /// The negotiated TLS version, once the handshake is over.
    pub(super) fn is_tls13(&self) -> bool {
        self.tls.protocol_version() == Some(ProtocolVersion::TLSv1_3)
    }

    /// `length` bytes of keying material from the TLS exporter (RFC 5705,
    /// RFC 8446 §7.5).
    pub(super) fn export<const N: usize>(
        &self,
        label: &[u8],
        context: Option<&[u8]>,
    ) -> Result<[u8; N], TunnelError> {
        Ok(self.tls.export_keying_material([0u8; N], label, context)?)
    }

    /// Hands a whole TLS message to rustls and collects its answer.
    fn feed(&mut self, mut message: &[u8]) -> Result<(), TunnelError> {
        while !message.is_empty() {
            let read = self
                .tls
                .read_tls(&mut message)
                .map_err(|_| TunnelError::Malformed("TLS records rustls would not buffer"))?;
            if let Err(error) = self.tls.process_new_packets() {
                // Keep the alert rustls queued, for [`Tunnel::alert`]; what
                // was pending before it is dropped.
                self.outgoing.clear();
                self.sent = 0;
                while self.tls.wants_write() {
                    if self.tls.write_tls(&mut self.outgoing).is_err() {
                        break;
                    }
                }
                return Err(error.into());
            }
            if read == 0 {
                break;
            }
        }
        self.drain_output()
    }

    fn drain_output(&mut self) -> Result<(), TunnelError> {
        if self.sent >= self.outgoing.len() {
            self.outgoing.clear();
            self.sent = 0;
        }
        while self.tls.wants_write() {
            self.tls
                .write_tls(&mut self.outgoing)
                .map_err(|_| TunnelError::Malformed("TLS output"))?;
        }
        Ok(())
    }

    /// Everything the peer sent inside the tunnel so far.
    fn plaintext(&mut self) -> Result<Vec<u8>, TunnelError> {
        let mut out = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match self.tls.reader().read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    if out.len() + n > MAX_MESSAGE_LEN {
                        return Err(TunnelError::TooLarge);
                    }
                    out.extend_from_slice(&buffer[..n]);
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(_) => return Err(TunnelError::Malformed("the peer closed the tunnel")),
            }
        }
        Ok(out)
    }

    /// The next frame of what we have to send: the L flag and the total
    /// on the first of several, M on all but the last. With nothing left,
    /// an empty frame (the peer's turn to speak).
    fn next_fragment(&mut self) -> Vec<u8> {
        let total = self.outgoing.len();
        let start = self.sent;
        let end = (start + self.fragment_size).min(total);
        let more = end < total;
        let length = (start == 0 && more).then_some(total as u32);
        let frame_flags = self.version | if more { flags::MORE_FRAGMENTS } else { 0 };
        let frame = encode_tls_frame(frame_flags, length, &self.outgoing[start..end]);
        self.sent = end;
        if !more {
            self.outgoing.clear();
            self.sent = 0;
        }
        frame
    }
}
