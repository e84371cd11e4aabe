//! The load generator over RADIUS/TLS and RADIUS/TCP: a few long-lived
//! connections, as a RadSec proxy keeps them, each driven by one task that
//! keeps its share of the window in flight (at most 256, one per
//! Identifier), writes the requests it starts together, cuts replies out of
//! the byte stream by their Length and matches them by Identifier in
//! whatever order they come. There are no retransmits over a stream.
//!
//! `--handshakes` measures connections instead: each unit of work opens a
//! connection, completes the mutual TLS handshake and has one Status-Server
//! answered, then closes.

use super::generator::{
    LoadSpec, Outstanding, Picker, Share, Tally, collect, expire, on_reply, start_work,
};
use super::report::Report;
use super::stream_client::{StreamTarget, probe};
use radius_proto::packet::{Code, MAX_PACKET_LEN, MIN_PACKET_LEN};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::time::Instant;

/// How often outstanding requests are checked for timeouts.
const SCAN_EVERY: Duration = Duration::from_millis(5);

/// Runs the load over `connections` connections to `target`.
pub(crate) async fn run(
    spec: LoadSpec,
    target: StreamTarget,
    connections: usize,
) -> std::io::Result<Report> {
    let connections = connections.max(1);
    // Every connection is open (handshake done) before the clock starts.
    let mut streams = Vec::with_capacity(connections);
    for _ in 0..connections {
        streams.push(target.connect().await?);
    }
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for (index, stream) in streams.into_iter().enumerate() {
        let share = Share::of(&spec, index, connections);
        let spec = spec.clone();
        tasks.spawn(async move { drive(spec, share, stream, index, connections, start).await });
    }
    collect(tasks, start).await
}

/// The loop of one connection: start work, write, read replies, expire.
async fn drive(
    spec: LoadSpec,
    share: Share,
    stream: Box<dyn super::stream_client::Stream>,
    index: usize,
    connections: usize,
    start: Instant,
) -> std::io::Result<Tally> {
    let mut tally = Tally::default();
    let mut slots: Vec<Option<Outstanding>> = (0..256).map(|_| None).collect();
    let mut free: Vec<u8> = (0..=255u8).rev().collect();
    let mut picker = Picker::new(&spec.mix, spec.users, index);
    let stride = u32::try_from(connections).unwrap_or(1);
    let stop_at = spec.duration.map(|d| start + d);
    let mut next_scan = start;
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut received: Vec<u8> = Vec::with_capacity(64 * 1024);
    let mut out: Vec<u8> = Vec::with_capacity(64 * 1024);
    tokio::time::sleep_until(start).await;

    loop {
        let now = Instant::now();
        let may_start = stop_at.is_none_or(|at| now < at)
            && share.count.is_none_or(|count| tally.started < count);
        if may_start {
            while 256 - free.len() < share.in_flight
                && share.count.is_none_or(|count| tally.started < count)
            {
                let Some(id) = free.pop() else { break };
                let work = picker.pick(stride);
                if let Some(bytes) = start_work(&spec, &mut slots, &mut tally, id, work, now) {
                    out.extend_from_slice(&bytes);
                }
            }
        }
        if now >= next_scan {
            next_scan = now + SCAN_EVERY;
            // Without retransmits this only expires what waited too long.
            for (_, bytes) in expire(&spec, &mut slots, &mut free, &mut tally, now) {
                out.extend_from_slice(&bytes);
            }
        }
        if !out.is_empty() {
            writer.write_all(&out).await?;
            writer.flush().await?;
            out.clear();
        }
        if !may_start && free.len() == 256 {
            return Ok(tally);
        }

        let mut wake = next_scan;
        if let Some(at) = stop_at.filter(|_| may_start) {
            wake = wake.min(at);
        }
        received.reserve(MAX_PACKET_LEN);
        tokio::select! {
            read = reader.read_buf(&mut received) => {
                if read? == 0 {
                    // The server closed the connection: what is outstanding is lost.
                    for slot in slots.iter_mut().filter_map(Option::take) {
                        tally.lose(slot.work.label());
                    }
                    return Ok(tally);
                }
                let at = Instant::now();
                let mut taken = 0;
                while let Some(length) = frame(&received[taken..])? {
                    let reply = &received[taken..taken + length];
                    if let Some(next) = on_reply(&spec, &mut slots, &mut free, &mut tally, reply, at) {
                        out.extend_from_slice(&next);
                    }
                    taken += length;
                }
                received.drain(..taken);
            }
            () = tokio::time::sleep_until(wake) => {}
        }
    }
}

/// The length of the whole packet at the front of `bytes`, if it is all there.
fn frame(bytes: &[u8]) -> std::io::Result<Option<usize>> {
    let &[_, _, high, low, ..] = bytes else {
        return Ok(None);
    };
    let length = usize::from(u16::from_be_bytes([high, low]));
    if !(MIN_PACKET_LEN..=MAX_PACKET_LEN).contains(&length) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("the server sent a packet with Length {length}"),
        ));
    }
    Ok((bytes.len() >= length).then_some(length))
}

/// `--handshakes`: `spec.in_flight` workers, each opening connections one
/// after the other until the run ends.
pub(crate) async fn handshakes(spec: LoadSpec, target: StreamTarget) -> std::io::Result<Report> {
    let workers = spec.in_flight.max(1);
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..workers {
        let share = Share::of(&spec, index, workers);
        let spec = spec.clone();
        let target = target.clone();
        tasks.spawn(async move {
            let mut tally = Tally::default();
            tokio::time::sleep_until(start).await;
            let stop_at = spec.duration.map(|d| start + d);
            while stop_at.is_none_or(|at| Instant::now() < at)
                && share.count.is_none_or(|count| tally.started < count)
            {
                tally.started += 1;
                tally.requests_sent += 1;
                let began = Instant::now();
                let attempt = async {
                    let mut stream = target.connect().await?;
                    probe(stream.as_mut(), &spec.secret).await?;
                    stream.shutdown().await
                };
                match tokio::time::timeout(spec.timeout, attempt).await {
                    Ok(Ok(())) => {
                        tally.count_reply(Code::AccessAccept);
                        tally.complete("handshake", Code::AccessAccept, began, Instant::now());
                    }
                    _ => tally.lose("handshake"),
                }
            }
            Ok(tally)
        });
    }
    collect(tasks, start).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_cut_by_their_length() {
        let mut bytes = vec![2, 1, 0, 20];
        bytes.resize(20, 0);
        bytes.extend([3, 2, 0, 30]);
        assert_eq!(frame(&bytes).ok().flatten(), Some(20));
        assert_eq!(frame(&bytes[20..]).ok().flatten(), None);
        assert!(frame(&[2, 1, 0x20, 0]).is_err());
    }
}
