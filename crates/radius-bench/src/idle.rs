//! `--idle-connections N`: what an idle RADIUS/TLS or RADIUS/TCP connection
//! costs the server. Opens N connections (each proven with one
//! Status-Server answered, so the server has finished its side of the
//! handshake), reads the server's resident memory before and after from
//! /proc (`--server-pid`, a server on this machine), then closes them.

use super::stream_client::{Stream, StreamTarget, probe};
use serde_json::{Value, json};
use std::time::Duration;

/// Connections opened at once while filling up.
const OPENING_AT_ONCE: usize = 32;

/// Opens `count` idle connections and measures the server's memory.
pub(crate) async fn run(
    target: StreamTarget,
    count: usize,
    server_pid: u32,
    secret: &[u8],
) -> anyhow::Result<Value> {
    // One connection first, so that what the first one sets up in the
    // server is not counted as the cost of each.
    let mut held = vec![open(&target, secret).await?];
    tokio::time::sleep(Duration::from_millis(200)).await;
    let before = rss_kib(server_pid)?;
    let mut opening = tokio::task::JoinSet::new();
    let mut pending = count.saturating_sub(1);
    let mut failed = 0usize;
    while pending > 0 || !opening.is_empty() {
        while pending > 0 && opening.len() < OPENING_AT_ONCE {
            pending -= 1;
            let target = target.clone();
            let secret = secret.to_vec();
            opening.spawn(async move { open(&target, &secret).await });
        }
        match opening.join_next().await {
            Some(Ok(Ok(stream))) => held.push(stream),
            Some(_) => failed += 1,
            None => {}
        }
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(server_pid)?;
    let added = held.len().saturating_sub(1).max(1);
    let per_connection = after.saturating_sub(before) as f64 / added as f64;
    let report = json!({
        "idle_connections": held.len(),
        "failed": failed,
        "server_rss_kib_before": before,
        "server_rss_kib_after": after,
        "kib_per_connection": per_connection,
    });
    drop(held);
    Ok(report)
}

async fn open(target: &StreamTarget, secret: &[u8]) -> std::io::Result<Box<dyn Stream>> {
    let mut stream = target.connect().await?;
    probe(stream.as_mut(), secret).await?;
    Ok(stream)
}

/// VmRSS of a process, in KiB.
fn rss_kib(pid: u32) -> anyhow::Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| anyhow::anyhow!("--server-pid {pid}: {e}"))?;
    status
        .lines()
        .find_map(|line| {
            let rest = line.strip_prefix("VmRSS:")?;
            rest.trim().trim_end_matches("kB").trim().parse().ok()
        })
        .ok_or_else(|| anyhow::anyhow!("--server-pid {pid}: no VmRSS in /proc/{pid}/status"))
}
