//! `okta-radius bench --server-drops`: the datagrams the kernel dropped
//! because the server's socket buffer was full, a sign that the server, not
//! the network, could not keep up.

/// Kernel receive drops of the UDP sockets bound to `port` on this machine,
/// summed over IPv4 and IPv6 (the last column of /proc/net/udp).
pub(crate) fn udp_drops(port: u16) -> Option<u64> {
    let wanted = format!(":{port:04X}");
    let mut total = None;
    for table in ["/proc/net/udp", "/proc/net/udp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.get(1).is_some_and(|local| local.ends_with(&wanted))
                && let Some(drops) = fields.last().and_then(|d| d.parse::<u64>().ok())
            {
                total = Some(total.unwrap_or(0) + drops);
            }
        }
    }
    total
}
