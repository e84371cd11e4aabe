//! The RADIUS/TCP transport (RFC 6613): RADIUS over a plain TCP
//! connection, clients known by source address as over UDP. It carries
//! User-Password hidden by the shared secret alone, so it is meant for a
//! TLS-terminating proxy on this host, and the config keeps it on loopback
//! unless told otherwise.

use super::reply_sink::Transport;
use super::shared::Shared;
use super::stream::accept::{self, refused};
use super::stream::connection::{self, Accepted};
use std::sync::Arc;
use tokio::net::TcpListener;

/// The accept loop of one RADIUS/TCP listener (index `index` among all
/// listen addresses).
pub(super) async fn listen(shared: Arc<Shared>, index: u16, listener: TcpListener) {
    loop {
        let (stream, peer) = accept::next(&listener).await;
        let Some(place) = shared.capacity.try_open() else {
            refused(Transport::Tcp, "connection_limit", peer);
            continue;
        };
        let Some(client) = shared.clients.get().lookup_tcp(peer.ip()).cloned() else {
            refused(Transport::Tcp, "unknown_client", peer);
            continue;
        };
        let Some(claim) = shared
            .capacity
            .try_claim(&client.config.name, Transport::Tcp)
        else {
            refused(Transport::Tcp, "client_connection_limit", peer);
            continue;
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let _places = (place, claim);
            let (reader, writer) = stream.into_split();
            let accepted = Accepted {
                reader,
                writer,
                transport: Transport::Tcp,
                peer,
                listener: index,
                client,
            };
            let reidentify =
                move |table: &super::clients::ClientTable| table.lookup_tcp(peer.ip()).cloned();
            connection::serve(shared, accepted, reidentify).await;
        });
    }
}
