//! The accounting port (RFC 2866): Accounting-Requests are admitted (known
//! client, the Request Authenticator its secret gives), go through the
//! duplicate cache like any request, and are written to the accounting
//! file; the Accounting-Response leaves only once the record is stored. A
//! record that cannot be stored gets no answer and no cache entry, so the
//! NAS's retransmit gets a fresh try. A stored record then updates the
//! session table. Status-Server here is answered with an
//! Accounting-Response (RFC 5997 §4). A RADIUS/TLS or RADIUS/TCP connection
//! hands its Accounting-Requests to the same path ([`on_accounting`]).

use super::admission::{Admitted, DropReason, admit_accounting};
use super::duplicates::{RequestKey, Seen};
use super::pipeline::{answer_status_server, dropped, send};
use super::reply_sink::{DatagramReplies, ReplySink};
use super::shared::{PENDING_MARGIN, Shared};
use super::udp::is_transient;
use crate::accounting::{Accounting, NotStored, SessionUpdate, record};
use crate::telemetry::metrics as m;
use metrics::counter;
use radius_proto::packet::{Code, encode_reply};
use std::sync::Arc;
use std::time::{Instant, SystemTime};
use tokio::net::UdpSocket;

/// The largest datagram RFC 2865 allows.
const RECEIVE_BUFFER: usize = 4096;

/// The receive loop of one accounting socket; `index` is its listener
/// number in the duplicate cache.
pub(super) async fn listen(
    shared: Arc<Shared>,
    state: Arc<Accounting>,
    index: u16,
    socket: Arc<UdpSocket>,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, source) = match socket.recv_from(&mut buffer).await {
            Ok(received) => received,
            Err(error) if is_transient(&error) => continue,
            Err(error) => return Err(error),
        };
        counter!(m::PACKETS_RECEIVED, "transport" => "udp").increment(1);
        let received_at = Instant::now();
        let received_wall = SystemTime::now();
        match admit_accounting(&shared.clients.get(), &buffer[..len], source) {
            Ok(admitted) => {
                let sink = DatagramReplies::new(socket.clone(), source);
                let arrival = Arrival {
                    index,
                    at: received_at,
                    wall: received_wall,
                };
                on_accounting(&shared, &state, &sink, admitted, arrival).await;
            }
            Err(refused) => dropped(refused.reason, source, refused.client.as_deref()),
        }
    }
}

/// Where and when a request arrived: its listener (the duplicate cache's)
/// and the time, monotonic and of the wall clock.
pub(in crate::server) struct Arrival {
    pub index: u16,
    pub at: Instant,
    pub wall: SystemTime,
}

/// Records an admitted Accounting-Request and answers it once stored, over
/// whatever carried it: the accounting port, or a RADIUS/TLS or RADIUS/TCP
/// connection (whose in-flight slot it holds until answered).
pub(in crate::server) async fn on_accounting<S: ReplySink>(
    shared: &Arc<Shared>,
    state: &Arc<Accounting>,
    sink: &S,
    admitted: Admitted,
    arrival: Arrival,
) {
    let Admitted { client, packet } = admitted;
    let source = sink.peer();
    if packet.code() == Code::StatusServer {
        answer_status_server(sink, &client, &packet, Code::AccountingResponse).await;
        return;
    }
    let key = RequestKey {
        listener: arrival.index,
        source,
        identifier: packet.identifier(),
    };
    let authenticator = *packet.authenticator();
    let pending_for = client.config.deadline + PENDING_MARGIN;
    match shared
        .duplicates
        .begin(key, authenticator, arrival.at, pending_for)
    {
        Seen::New => {}
        Seen::InProgress => {
            counter!(m::DUPLICATES, "kind" => "in_progress").increment(1);
            dropped(DropReason::Duplicate, source, Some(&client));
            return;
        }
        Seen::Answered(reply) => {
            counter!(m::DUPLICATES, "kind" => "resent").increment(1);
            if let Some(reply) = reply {
                send(sink, &reply, Code::AccountingResponse).await;
            }
            return;
        }
        Seen::Full => {
            dropped(DropReason::Overload, source, Some(&client));
            return;
        }
    }
    // Held until answered, so a stopping server drains accounting too.
    let Ok(permit) = shared.in_flight.clone().try_acquire_owned() else {
        shared.duplicates.forget(key, authenticator);
        dropped(DropReason::Overload, source, Some(&client));
        return;
    };
    let line = record::json_line(
        &shared.dictionary,
        &client.config.name,
        source,
        arrival.wall,
        &packet,
    );
    let received = arrival.wall;
    let shared = shared.clone();
    let state = state.clone();
    let sink = sink.clone();
    let slot = sink.slot();
    tokio::spawn(async move {
        let _permit = permit;
        let _slot = slot;
        match state.journal.append(line).await {
            Ok(()) => {}
            Err(why) => {
                shared.duplicates.forget(key, authenticator);
                if why == NotStored::QueueFull {
                    counter!(m::ACCOUNTING_RECORDS, "result" => "queue_full").increment(1);
                }
                dropped(DropReason::NotStored, source, Some(&client));
                return;
            }
        }
        let reply = match encode_reply(
            Code::AccountingResponse,
            &packet,
            &[],
            client.config.secret_bytes(),
        ) {
            Ok(reply) => Arc::<[u8]>::from(reply),
            Err(error) => {
                // A reply with no attributes of its own and the request's
                // Proxy-States always fits; this is a safety net.
                tracing::debug!(%source, %error, "cannot encode an Accounting-Response");
                shared
                    .duplicates
                    .finish(key, authenticator, None, Instant::now());
                return;
            }
        };
        shared
            .duplicates
            .finish(key, authenticator, Some(reply.clone()), Instant::now());
        send(&sink, &reply, Code::AccountingResponse).await;
        // The NAS is answered first: the session table (perhaps a store
        // shared by a fleet) never delays the acknowledgement.
        let update = SessionUpdate::from_packet(
            &packet,
            &client.config.name,
            source.ip(),
            received,
            |user_name| state.okta_login(user_name),
        );
        if let Some(update) = update {
            state.track(update).await;
        }
    });
}
