//! What the RADIUS/TLS and RADIUS/TCP tests share: certificates made for
//! the test (a CA, the server's certificate, NAS certificates, one from
//! another CA, an expired one), a server config that listens for TLS and
//! TCP, a NAS that speaks RADIUS over a TLS or TCP connection (Rust, for
//! what radsecproxy cannot show), and radsecproxy itself, started on free
//! loopback ports with a config in a temporary directory and stopped when
//! dropped.

use super::process::free_port;
use super::{SECRET, TestServer};
use radius_proto::attribute::{Attribute, types};
use radius_proto::packet::{Packet, RequestBuilder};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose, SanType,
};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

/// The identity the test NAS's certificate carries, and the config names.
pub const NAS_DNS: &str = "radsec.campus.test";

/// A certificate authority made for one test.
pub struct TestCa {
    issuer: Issuer<'static, KeyPair>,
    pem: String,
}

impl TestCa {
    pub fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::CrlSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let key = KeyPair::generate().expect("a CA key");
        let certificate = params.self_signed(&key).expect("the CA certificate");
        TestCa {
            pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// Issues a certificate; returns (certificate PEM, key PEM).
    pub fn issue(&self, spec: &Leaf) -> (String, String) {
        let mut params = CertificateParams::default();
        params.distinguished_name.push(DnType::CommonName, &spec.cn);
        params.subject_alt_names = spec.sans.clone();
        params.extended_key_usages = vec![spec.purpose.clone()];
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        let now = unix_now();
        let (from, until) = spec.valid;
        params.not_before = rcgen::date_time_ymd(1970, 1, 1)
            + Duration::from_secs(now.saturating_add(from).max(0) as u64);
        params.not_after = rcgen::date_time_ymd(1970, 1, 1)
            + Duration::from_secs(now.saturating_add(until).max(0) as u64);
        let key = KeyPair::generate().expect("a key");
        let certificate = params
            .signed_by(&key, &self.issuer)
            .expect("the certificate");
        (certificate.pem(), key.serialize_pem())
    }
}

/// What to put in a certificate.
pub struct Leaf {
    pub cn: String,
    pub sans: Vec<SanType>,
    pub purpose: ExtendedKeyUsagePurpose,
    /// Valid from..until, in seconds relative to now.
    pub valid: (i64, i64),
}

const DAY: i64 = 86_400;

impl Leaf {
    /// The server's certificate: for 127.0.0.1 and localhost.
    pub fn server() -> Leaf {
        Leaf {
            cn: "okta-radius.test".into(),
            sans: vec![
                SanType::IpAddress([127, 0, 0, 1].into()),
                SanType::DnsName("localhost".try_into().expect("a DNS name")),
            ],
            purpose: ExtendedKeyUsagePurpose::ServerAuth,
            valid: (-DAY, 365 * DAY),
        }
    }

    /// A NAS's certificate with `dns` as its subjectAltName.
    pub fn nas(dns: &str) -> Leaf {
        Leaf {
            cn: "campus-proxy".into(),
            sans: vec![SanType::DnsName(dns.try_into().expect("a DNS name"))],
            purpose: ExtendedKeyUsagePurpose::ClientAuth,
            valid: (-DAY, 365 * DAY),
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// The files of one test's certificates.
pub struct Pki {
    pub dir: tempfile::TempDir,
    pub ca: TestCa,
}

impl Pki {
    /// A CA, the server's certificate (`server.pem`, `server.key`) and the
    /// NAS's (`nas.pem`, `nas.key`, identity [`NAS_DNS`]).
    pub fn new() -> Pki {
        let pki = Pki {
            dir: tempfile::tempdir().expect("tempdir"),
            ca: TestCa::new("okta-radius test CA"),
        };
        pki.write("ca.pem", &pki.ca.pem);
        pki.issue("server", &Leaf::server());
        pki.issue("nas", &Leaf::nas(NAS_DNS));
        pki
    }

    /// Issues `name.pem` and `name.key` from the test CA.
    pub fn issue(&self, name: &str, leaf: &Leaf) {
        let (certificate, key) = self.ca.issue(leaf);
        self.write(&format!("{name}.pem"), &certificate);
        self.write(&format!("{name}.key"), &key);
    }

    pub fn write(&self, name: &str, text: &str) {
        let path = self.path(name);
        std::fs::write(&path, text).expect("write a PEM file");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let _ = std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600));
        }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A test server config with a RADIUS/TLS listener for the NAS of `pki`
/// and a RADIUS/TCP listener for a proxy on loopback, beside the usual UDP
/// client. `extra` goes at the end (more `[[clients]]`, say).
pub fn tls_config(org_url: &str, pki: &Pki, extra: &str) -> String {
    let base = super::config_for(org_url);
    let base = base.replace(
        "listen = [\"127.0.0.1:0\"]\nreject_delay_ms = 0\n",
        "listen = [\"127.0.0.1:0\"]\ntls_listen = [\"127.0.0.1:0\"]\ntcp_listen = [\"127.0.0.1:0\"]\nreject_delay_ms = 0\n",
    );
    format!(
        r#"{base}
[tls]
certificate_file = "{server_pem}"
private_key_file = "{server_key}"

[[clients]]
name = "campus"
address = "127.0.0.0/8"
transport = "tls"
tls_ca_file = "{ca}"
tls_identity = "dns:{NAS_DNS}"
deadline_ms = 2000

[[clients]]
name = "tls-terminator"
address = "127.0.0.1"
transport = "tcp"
secret_env = "TEST_RADIUS_SECRET"
deadline_ms = 2000
{extra}
"#,
        server_pem = pki.path("server.pem").display(),
        server_key = pki.path("server.key").display(),
        ca = pki.path("ca.pem").display(),
    )
}

impl TestServer {
    /// The RADIUS/TLS listener's address.
    pub async fn tls_addr(&self) -> SocketAddr {
        self.logs
            .wait_field("RADIUS/TLS listener ready", "listen")
            .await
            .parse()
            .expect("addr")
    }

    /// The RADIUS/TCP listener's address.
    pub async fn tcp_addr(&self) -> SocketAddr {
        self.logs
            .wait_field("RADIUS/TCP listener ready", "listen")
            .await
            .parse()
            .expect("addr")
    }
}

/// A client TLS configuration presenting `name.pem` / `name.key` of `pki`
/// (or no certificate) and trusting the test CA.
pub fn client_tls(pki: &Pki, certificate: Option<&str>) -> Arc<rustls::ClientConfig> {
    client_tls_from(&pki.path("ca.pem"), certificate.map(|name| pki.path(name)))
}

/// [`client_tls`] from file paths: `certificate` is the path without its
/// `.pem` / `.key` extension.
pub fn client_tls_from(ca: &Path, certificate: Option<PathBuf>) -> Arc<rustls::ClientConfig> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    for certificate in CertificateDer::pem_file_iter(ca).expect("the CA file") {
        roots
            .add(certificate.expect("a CA certificate"))
            .expect("a usable CA");
    }
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("TLS versions")
        .with_root_certificates(roots);
    let config = match certificate {
        Some(path) => {
            let chain: Vec<CertificateDer<'static>> =
                CertificateDer::pem_file_iter(path.with_extension("pem"))
                    .expect("the certificate file")
                    .map(|c| c.expect("a certificate"))
                    .collect();
            let key = PrivateKeyDer::from_pem_file(path.with_extension("key")).expect("the key");
            builder
                .with_client_auth_cert(chain, key)
                .expect("a usable client certificate")
        }
        None => builder.with_no_client_auth(),
    };
    Arc::new(config)
}

/// A NAS on a RADIUS/TLS or RADIUS/TCP connection.
pub struct StreamNas<S> {
    pub stream: S,
    pub secret: Vec<u8>,
    next_id: u8,
}

/// Connects over TLS and proves the connection with a Status-Server
/// probe: with TLS 1.3 the client's certificate is judged after the client
/// considers the handshake done, so a refusal shows on the first read.
/// `Err` carries the handshake's or the read's error.
pub async fn connect_tls(
    server: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<StreamNas<TlsStream<TcpStream>>> {
    let mut nas = handshake_tls(server, config).await?;
    let probe = nas.status_server();
    nas.send(&probe).await?;
    match tokio::time::timeout(Duration::from_secs(5), nas.read_packet()).await {
        Ok(Ok(_)) => Ok(nas),
        Ok(Err(error)) => Err(error),
        Err(_) => Err(std::io::ErrorKind::TimedOut.into()),
    }
}

/// Connects over TLS and stops after the client's side of the handshake.
pub async fn handshake_tls(
    server: SocketAddr,
    config: Arc<rustls::ClientConfig>,
) -> std::io::Result<StreamNas<TlsStream<TcpStream>>> {
    let tcp = TcpStream::connect(server).await?;
    let name = ServerName::IpAddress(server.ip().into());
    let stream = TlsConnector::from(config).connect(name, tcp).await?;
    Ok(StreamNas {
        stream,
        secret: b"radsec".to_vec(),
        next_id: 0,
    })
}

/// Connects over plain TCP.
pub async fn connect_tcp(server: SocketAddr) -> StreamNas<TcpStream> {
    let stream = TcpStream::connect(server).await.expect("connect");
    StreamNas {
        stream,
        secret: SECRET.as_bytes().to_vec(),
        next_id: 0,
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> StreamNas<S> {
    pub fn next_identifier(&mut self) -> u8 {
        self.next_id = self.next_id.wrapping_add(1);
        self.next_id
    }

    /// An Access-Request as a NAS sends it, with MA first.
    pub fn login_request(&mut self, user: &str, password: &str) -> RequestBuilder {
        let id = self.next_identifier();
        RequestBuilder::new(radius_proto::packet::Code::AccessRequest, id)
            .text(types::USER_NAME, user)
            .user_password(password.as_bytes(), &self.secret)
            .expect("password fits")
            .text(types::NAS_IDENTIFIER, "test-radsec")
    }

    /// The answer to an Access-Challenge.
    pub fn answer(&mut self, user: &str, typed: &str, state: &[u8]) -> RequestBuilder {
        let id = self.next_identifier();
        RequestBuilder::new(radius_proto::packet::Code::AccessRequest, id)
            .text(types::USER_NAME, user)
            .user_password(typed.as_bytes(), &self.secret)
            .expect("answer fits")
            .text(types::NAS_IDENTIFIER, "test-radsec")
            .attribute(Attribute::new(types::STATE, state.to_vec()))
    }

    /// A Status-Server probe, as a NAS keeps its connection with.
    pub fn status_server(&mut self) -> Vec<u8> {
        let id = self.next_identifier();
        RequestBuilder::new(radius_proto::packet::Code::StatusServer, id)
            .encode(&self.secret)
            .expect("encodes")
            .0
    }

    pub async fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.stream.write_all(bytes).await?;
        self.stream.flush().await
    }

    /// Reads one packet as the stream frames it.
    pub async fn read_packet(&mut self) -> std::io::Result<Vec<u8>> {
        let mut header = [0u8; 4];
        self.stream.read_exact(&mut header).await?;
        let length = usize::from(u16::from_be_bytes([header[2], header[3]]));
        if length < 20 {
            return Err(std::io::ErrorKind::InvalidData.into());
        }
        let mut packet = header.to_vec();
        packet.resize(length, 0);
        self.stream.read_exact(&mut packet[4..]).await?;
        Ok(packet)
    }

    /// Sends a request and waits (5 s at most) for its reply, checked for
    /// authenticity.
    pub async fn exchange(&mut self, request: &RequestBuilder) -> Option<Packet> {
        let (bytes, authenticator) = request.encode(&self.secret).expect("encodes");
        self.send(&bytes).await.ok()?;
        let reply = tokio::time::timeout(Duration::from_secs(5), self.read_packet())
            .await
            .ok()?
            .ok()?;
        let packet = Packet::decode(&reply).expect("the reply decodes");
        assert!(
            packet.verify_reply(&authenticator, &self.secret),
            "the reply is authentic"
        );
        Some(packet)
    }

    /// Whether the server closed the connection within `wait`.
    pub async fn closed_within(&mut self, wait: Duration) -> bool {
        let mut byte = [0u8; 1];
        matches!(
            tokio::time::timeout(wait, self.stream.read(&mut byte)).await,
            Ok(Ok(0) | Err(_))
        )
    }
}

/// radsecproxy in front of okta-radius: NAS devices (radclient) send UDP to
/// it, and it forwards their Access- and Accounting-Requests over RADIUS/TLS
/// (or RADIUS/TCP). Stopped when dropped.
pub struct Radsecproxy {
    child: Child,
    /// Where radclient sends.
    pub udp: SocketAddr,
    /// The shared secret between radclient and radsecproxy.
    pub secret: &'static str,
    _dir: tempfile::TempDir,
}

impl Drop for Radsecproxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How radsecproxy reaches okta-radius.
pub enum Upstream<'a> {
    Tls { server: SocketAddr, pki: &'a Pki },
    Tcp { server: SocketAddr },
}

impl Radsecproxy {
    pub fn start(upstream: Upstream<'_>) -> Radsecproxy {
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let udp: SocketAddr = ([127, 0, 0, 1], port).into();
        let secret = "radclient-to-radsecproxy-secret";
        let server = match upstream {
            Upstream::Tls { server, pki } => format!(
                "tls default {{\n    CACertificateFile {ca}\n    CertificateFile {cert}\n    CertificateKeyFile {key}\n}}\nserver okta-radius {{\n    host {host}\n    port {port}\n    type tls\n    secret radsec\n}}\n",
                ca = pki.path("ca.pem").display(),
                cert = pki.path("nas.pem").display(),
                key = pki.path("nas.key").display(),
                host = server.ip(),
                port = server.port(),
            ),
            Upstream::Tcp { server } => format!(
                "server okta-radius {{\n    host {host}\n    port {port}\n    type tcp\n    secret {SECRET}\n}}\n",
                host = server.ip(),
                port = server.port(),
            ),
        };
        let config = format!(
            "ListenUDP 127.0.0.1:{port}\nLogLevel 3\nPidFile {pid}\nclient nas {{\n    host 127.0.0.1\n    type udp\n    secret {secret}\n}}\n{server}realm * {{\n    server okta-radius\n    accountingServer okta-radius\n}}\n",
            pid = dir.path().join("radsecproxy.pid").display(),
        );
        let path = dir.path().join("radsecproxy.conf");
        std::fs::write(&path, config).expect("write the radsecproxy config");
        // In the foreground (-f) it logs to standard error.
        let log = std::fs::File::create(dir.path().join("radsecproxy.log")).expect("log file");
        // Debian installs it in /usr/sbin, which a user's PATH may lack.
        let program = if Path::new("/usr/sbin/radsecproxy").exists() {
            "/usr/sbin/radsecproxy"
        } else {
            "radsecproxy"
        };
        let child = Command::new(program)
            .arg("-f")
            .arg("-c")
            .arg(&path)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("radsecproxy is installed (apt-get install radsecproxy)");
        let proxy = Radsecproxy {
            child,
            udp,
            secret,
            _dir: dir,
        };
        proxy.wait_listening();
        proxy
    }

    /// What radsecproxy logged, for a failing test's message.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self._dir.path().join("radsecproxy.log")).unwrap_or_default()
    }

    fn wait_listening(&self) {
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(10) {
            if self.log().contains("listening for udp") {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        panic!("radsecproxy did not start:\n{}", self.log());
    }
}
