//! The client's own connections to an org over HTTPS: the certificate is
//! checked against `okta.ca_bundle`, HTTP/2 is used when the org offers it
//! in the TLS handshake and HTTP/1.1 otherwise, a kept-alive connection
//! carries call after call, and a connection the org closed while it sat
//! idle costs the call nothing.

mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use http::Version;
use okta_api::authn::AuthnStatus;
use okta_client::error::OktaError;
use okta_client::{OktaClient, OktaSettings, PrimaryAuthn};
use secrecy::SecretString;
use support::{ADMIN, https_org, pki};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

fn client(port: u16, ca_file: Option<&std::path::Path>) -> OktaClient {
    let mut settings = OktaSettings::new(
        format!("https://localhost:{port}"),
        SecretString::from("00tls-api-token"),
    );
    settings.ca_bundle = ca_file.map(std::path::Path::to_path_buf);
    settings.request_timeout = Duration::from_secs(5);
    OktaClient::new(settings).expect("a client")
}

#[tokio::test]
async fn an_org_offering_http2_carries_every_call_on_one_connection() {
    let pki = pki("localhost");
    let (port, seen) = https_org(&pki, &[b"h2", b"http/1.1"]).await;
    let okta = client(port, Some(&pki.ca_file));
    // A login and a management call at once, before any connection exists
    // (each bucket lets its first call through alone; two buckets, two calls).
    let password = SecretString::from("correct horse");
    let login = PrimaryAuthn {
        username: "pat@example.com",
        password: &password,
        forwarded_for: None,
    };
    let authn = okta.authn();
    let (reply, owner) = tokio::join!(authn.primary(&login), okta.token_owner());
    let reply = reply.expect("the org answers over HTTPS");
    assert_eq!(reply.body.status, AuthnStatus::Success);
    assert_eq!(reply.request_id.as_deref(), Some("req-tls"));
    assert_eq!(owner.expect("the org answers").body.id(), "00u1admin");
    for _ in 0..7 {
        let reply = okta.authn().primary(&login).await.expect("another login");
        assert_eq!(reply.body.status, AuthnStatus::Success);
    }
    let versions = seen.versions.lock().expect("not poisoned").clone();
    assert_eq!(versions.len(), 9);
    assert!(
        versions.iter().all(|version| *version == Version::HTTP_2),
        "{versions:?}"
    );
    assert_eq!(
        seen.connections.load(Ordering::SeqCst),
        1,
        "one shared connection"
    );
}

#[tokio::test]
async fn an_org_offering_only_http1_keeps_its_connection_alive_between_calls() {
    let pki = pki("localhost");
    let (port, seen) = https_org(&pki, &[b"http/1.1"]).await;
    let okta = client(port, Some(&pki.ca_file));
    for _ in 0..5 {
        let reply = okta
            .token_owner()
            .await
            .expect("the org answers over HTTPS");
        assert_eq!(reply.body.id(), "00u1admin");
    }
    let versions = seen.versions.lock().expect("not poisoned").clone();
    assert_eq!(versions, vec![Version::HTTP_11; 5]);
    assert_eq!(seen.connections.load(Ordering::SeqCst), 1, "kept alive");
}

#[tokio::test]
async fn a_certificate_outside_the_trusted_roots_is_refused() {
    let pki = pki("localhost");
    let (port, seen) = https_org(&pki, &[b"h2", b"http/1.1"]).await;
    // The system's roots only: the test CA is unknown.
    let okta = client(port, None);
    let error = okta.token_owner().await.expect_err("an unknown CA");
    assert!(matches!(error, OktaError::Connect(_)), "{error:?}");
    assert!(error.to_string().contains("TLS"), "{error}");
    assert!(seen.versions.lock().expect("not poisoned").is_empty());
}

#[tokio::test]
async fn a_connection_the_org_closed_while_idle_costs_the_call_nothing() {
    // An org behind a load balancer that closes each connection after one
    // answer, without saying so in the answer.
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let port = listener.local_addr().expect("its address").port();
    let connections = Arc::new(AtomicUsize::new(0));
    let counted = connections.clone();
    tokio::spawn(async move {
        while let Ok((mut tcp, _)) = listener.accept().await {
            counted.fetch_add(1, Ordering::SeqCst);
            tokio::spawn(async move {
                let mut request = Vec::new();
                let mut buffer = [0u8; 4096];
                while !request.windows(4).any(|end| end == b"\r\n\r\n") {
                    match tcp.read(&mut buffer).await {
                        Ok(0) | Err(_) => return,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                let answer = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{ADMIN}",
                    ADMIN.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
                // Closed a moment later, while the client keeps it idle.
                tokio::time::sleep(Duration::from_millis(20)).await;
            });
        }
    });
    let mut settings = OktaSettings::new(
        format!("http://127.0.0.1:{port}"),
        SecretString::from("00plain-api-token"),
    );
    settings.request_timeout = Duration::from_secs(5);
    let okta = OktaClient::new(settings).expect("a client");
    for call in 0..5 {
        let reply = okta
            .token_owner()
            .await
            .unwrap_or_else(|error| panic!("call {call}: {error}"));
        assert_eq!(reply.body.id(), "00u1admin");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        connections.load(Ordering::SeqCst),
        5,
        "one connection per answer"
    );
}
