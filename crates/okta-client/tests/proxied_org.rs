//! An org reached through an outbound proxy: the one set in the
//! environment (`HTTPS_PROXY`) when `okta.proxy` is unset, and
//! `okta.proxy` when set. The org's name is not resolvable here; only a
//! proxy that tunnels `CONNECT org.example.test:443` to the test org can
//! make the calls succeed. One test in this file: the environment is the
//! process's, set before any thread starts.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use okta_client::{OktaClient, OktaSettings};
use secrecy::SecretString;
use support::{https_org, pki};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

const ORG_NAME: &str = "org.example.test";

/// A proxy that tunnels every `CONNECT` to `org`, whatever it names, and
/// records the targets it was asked for.
async fn tunnelling_proxy(org: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("a port");
    let address = listener.local_addr().expect("its address");
    let asked = Arc::new(Mutex::new(Vec::new()));
    let seen = asked.clone();
    tokio::spawn(async move {
        while let Ok((client, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut client = BufReader::new(client);
                let mut line = String::new();
                if client.read_line(&mut line).await.is_err() {
                    return;
                }
                let target = line
                    .strip_prefix("CONNECT ")
                    .and_then(|rest| rest.split_whitespace().next())
                    .unwrap_or("-")
                    .to_owned();
                // The rest of the request's head.
                loop {
                    let mut header = String::new();
                    match client.read_line(&mut header).await {
                        Ok(0) | Err(_) => return,
                        Ok(_) if header == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                seen.lock().expect("not poisoned").push(target);
                let Ok(mut upstream) = TcpStream::connect(org).await else {
                    return;
                };
                let mut client = client.into_inner();
                if client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .await
                    .is_err()
                {
                    return;
                }
                let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
            });
        }
    });
    (address, asked)
}

fn client(ca_file: &std::path::Path, proxy: Option<String>) -> OktaClient {
    let mut settings = OktaSettings::new(
        format!("https://{ORG_NAME}"),
        SecretString::from("00proxied-api-token"),
    );
    settings.ca_bundle = Some(ca_file.to_path_buf());
    settings.proxy = proxy;
    settings.request_timeout = Duration::from_secs(5);
    OktaClient::new(settings).expect("a client")
}

#[test]
fn calls_go_through_the_environment_s_proxy_or_the_configured_one() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (org, environment_proxy, configured_proxy) = runtime.block_on(async {
        let pki = pki(ORG_NAME);
        let (port, _) = https_org(&pki, &[b"h2", b"http/1.1"]).await;
        let org = SocketAddr::from(([127, 0, 0, 1], port));
        (
            pki,
            tunnelling_proxy(org).await,
            tunnelling_proxy(org).await,
        )
    });
    // SAFETY: no other thread exists yet that could read the environment
    // (the runtime is current-thread; its blocking pool starts on demand).
    unsafe {
        std::env::set_var("HTTPS_PROXY", format!("http://{}", environment_proxy.0));
        std::env::remove_var("NO_PROXY");
        std::env::remove_var("no_proxy");
    }
    runtime.block_on(async {
        let through_environment = client(&org.ca_file, None);
        let owner = through_environment
            .token_owner()
            .await
            .expect("the org answers through the environment's proxy");
        assert_eq!(owner.body.id(), "00u1admin");
        assert_eq!(
            environment_proxy.1.lock().expect("not poisoned").clone(),
            vec![format!("{ORG_NAME}:443")]
        );

        let configured = client(&org.ca_file, Some(format!("http://{}", configured_proxy.0)));
        configured
            .token_owner()
            .await
            .expect("the org answers through okta.proxy");
        assert_eq!(
            configured_proxy.1.lock().expect("not poisoned").clone(),
            vec![format!("{ORG_NAME}:443")]
        );
        assert_eq!(environment_proxy.1.lock().expect("not poisoned").len(), 1);
    });
}
