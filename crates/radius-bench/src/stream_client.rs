//! How the load generator reaches a server over RADIUS/TLS or RADIUS/TCP:
//! the TLS client configuration from files (the CA that issued the
//! server's certificate, the generator's own certificate and key, as a
//! RadSec NAS or proxy has them), opening one connection, and the one
//! Status-Server exchange that proves a connection was accepted.

use super::flows::{self, Work};
use anyhow::Context;
use radius_proto::packet::{MAX_PACKET_LEN, MIN_PACKET_LEN, Packet};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;

/// A connection of either stream transport.
pub(crate) trait Stream: AsyncRead + AsyncWrite + Send + Unpin {}

impl<T: AsyncRead + AsyncWrite + Send + Unpin> Stream for T {}

/// Where to connect, and with which TLS settings (`None`: RADIUS/TCP).
#[derive(Clone)]
pub(crate) struct StreamTarget {
    pub server: SocketAddr,
    tls: Option<(Arc<rustls::ClientConfig>, ServerName<'static>)>,
}

impl StreamTarget {
    pub fn tcp(server: SocketAddr) -> StreamTarget {
        StreamTarget { server, tls: None }
    }

    /// RADIUS/TLS: trusts `ca` for the server's certificate, which must
    /// name `server_name` (default: the server's IP address), and presents
    /// `certificate` with `key`.
    pub fn tls(
        server: SocketAddr,
        ca: &Path,
        certificate: &Path,
        key: &Path,
        server_name: Option<&str>,
    ) -> anyhow::Result<StreamTarget> {
        let mut roots = rustls::RootCertStore::empty();
        for certificate in CertificateDer::pem_file_iter(ca)
            .with_context(|| format!("--tls-ca {}", ca.display()))?
        {
            roots
                .add(certificate.with_context(|| format!("--tls-ca {}", ca.display()))?)
                .with_context(|| format!("--tls-ca {}", ca.display()))?;
        }
        let chain = CertificateDer::pem_file_iter(certificate)
            .and_then(Iterator::collect::<Result<Vec<_>, _>>)
            .with_context(|| format!("--tls-cert {}", certificate.display()))?;
        let key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("--tls-key {}", key.display()))?;
        let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
        let config = rustls::ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()?
            .with_root_certificates(roots)
            .with_client_auth_cert(chain, key)
            .context("the client certificate and key")?;
        let name = match server_name {
            Some(name) => ServerName::try_from(name.to_owned())
                .with_context(|| format!("--tls-server-name {name}"))?,
            None => ServerName::IpAddress(server.ip().into()),
        };
        Ok(StreamTarget {
            server,
            tls: Some((Arc::new(config), name)),
        })
    }

    /// Opens one connection (and completes the TLS handshake).
    pub async fn connect(&self) -> std::io::Result<Box<dyn Stream>> {
        let tcp = TcpStream::connect(self.server).await?;
        tcp.set_nodelay(true)?;
        match &self.tls {
            None => Ok(Box::new(tcp)),
            Some((config, name)) => {
                let connector = tokio_rustls::TlsConnector::from(config.clone());
                Ok(Box::new(connector.connect(name.clone(), tcp).await?))
            }
        }
    }
}

/// Sends one Status-Server on `stream` and reads its authentic answer.
pub(crate) async fn probe(stream: &mut dyn Stream, secret: &[u8]) -> std::io::Result<()> {
    let invalid =
        |what: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, what.to_owned());
    let (request, authenticator) = flows::first_request(Work::Status, 1, secret)
        .and_then(|builder| builder.encode(secret))
        .map_err(|_| invalid("cannot encode a Status-Server"))?;
    stream.write_all(&request).await?;
    stream.flush().await?;
    let mut header = [0u8; 4];
    stream.read_exact(&mut header).await?;
    let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
    if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&length) {
        return Err(invalid("a reply with a bad Length"));
    }
    let mut reply = header.to_vec();
    reply.resize(length, 0);
    stream.read_exact(&mut reply[4..]).await?;
    let reply = Packet::decode(&reply).map_err(|_| invalid("an undecodable reply"))?;
    if reply.verify_reply(&authenticator, secret) {
        Ok(())
    } else {
        Err(invalid("a reply that is not authentic"))
    }
}
