//! The load generator's engine: several UDP sockets (one source port each,
//! so the 256 identifiers of one port never limit how much is in flight),
//! each driven by one task that starts work at a rate (open loop: Poisson
//! arrivals, see [`super::pacer`]) or
//! keeps N units in flight (closed loop), matches replies to requests by
//! identifier and checks their authenticity, retransmits unanswered requests
//! like a NAS when asked to (to the same server, or to the next of a list
//! of servers, as a NAS failing over does), and counts everything for the
//! [`Report`].
//!
//! Starting work, matching a reply and expiring what waited too long are
//! kept apart from the socket (they return the bytes to send), so the
//! stream transports' driver uses them too.

use super::flows::{self, Next, Work};
use super::mix::WorkKind;
use super::pacer::{Arrivals, Pacer};
use super::report::{Latencies, Report};
use super::users::Flow;
use radius_proto::crypto::AUTHENTICATOR_LEN;
use radius_proto::packet::{Code, Packet};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::net::UdpSocket;
use tokio::time::Instant;

/// How often outstanding requests are checked for retransmits and timeouts.
const SCAN_EVERY: Duration = Duration::from_millis(5);
/// Receive buffer asked of the kernel for each generator socket.
const SOCKET_BUFFER: usize = 4 << 20;

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub(crate) struct LoadSpec {
    pub server: SocketAddr,
    pub secret: Vec<u8>,
    /// Units of work started per second (open loop); `None`: closed loop.
    pub rate: Option<f64>,
    /// Closed loop: units kept in flight. Open loop: unused.
    pub in_flight: usize,
    /// Stop starting work after this long...
    pub duration: Option<Duration>,
    /// ...or after this many units (whichever comes first).
    pub count: Option<u64>,
    pub sockets: usize,
    /// How long one step waits for its reply, retransmits included.
    pub timeout: Duration,
    /// Resend an unanswered request after this long, at most `retries` times.
    pub retransmit: Option<Duration>,
    pub retries: u32,
    /// Servers a retransmit goes to in turn after `server` (a NAS failing
    /// over); empty: every retransmit goes to `server`.
    pub failover: Vec<SocketAddr>,
    /// Weighted kinds of work: Status-Server, or logins of a flow.
    pub mix: Vec<(WorkKind, u32)>,
    /// Distinct users per flow, used round robin.
    pub users: u32,
}

/// One request waiting for its reply.
pub(crate) struct Outstanding {
    pub work: Work,
    /// When the unit of work started (its latency runs from here).
    started: Instant,
    /// When this step's request was first sent, and last sent.
    step_sent: Instant,
    last_sent: Instant,
    retries_left: u32,
    authenticator: [u8; AUTHENTICATOR_LEN],
    bytes: Vec<u8>,
    answered: bool,
}

/// What one socket's (or connection's) task counted.
#[derive(Default)]
pub(crate) struct Tally {
    pub started: u64,
    completed: u64,
    pub requests_sent: u64,
    retransmits: u64,
    replies: BTreeMap<&'static str, u64>,
    outcomes: BTreeMap<(&'static str, &'static str), u64>,
    pub timeouts: u64,
    unmatched: u64,
    identifier_exhausted: u64,
    latencies: Latencies,
    last_completion: Option<Instant>,
}

/// Picks the next unit of work: weighted round robin over the mix, users
/// round robin per flow.
pub(crate) struct Picker {
    slots: Vec<WorkKind>,
    next: usize,
    next_user: [u32; 3],
    users: u32,
    /// Accounting sessions started by this picker; the high bits are its
    /// offset, so sessions of different sockets never share an id.
    next_session: u64,
}

impl Picker {
    pub fn new(mix: &[(WorkKind, u32)], users: u32, offset: usize) -> Picker {
        let mut slots = Vec::new();
        for &(kind, weight) in mix {
            slots.extend(std::iter::repeat_n(kind, weight as usize));
        }
        if slots.is_empty() {
            slots.push(WorkKind::Status);
        }
        Picker {
            slots,
            next: 0,
            // Sockets start at different users, so they do not log in the
            // same user at the same moment.
            next_user: [offset as u32; 3],
            users: users.max(1),
            next_session: (offset as u64) << 40,
        }
    }

    pub fn pick(&mut self, stride: u32) -> Work {
        let kind = self.slots[self.next % self.slots.len()];
        self.next = self.next.wrapping_add(1);
        match kind {
            WorkKind::Status => Work::Status,
            WorkKind::Login(flow) => {
                let index = Flow::ALL.iter().position(|f| *f == flow).unwrap_or(0);
                let user = self.next_user[index] % self.users;
                self.next_user[index] = self.next_user[index].wrapping_add(stride);
                Work::Login { flow, user }
            }
            WorkKind::Accounting => {
                self.next_session = self.next_session.wrapping_add(1);
                Work::Accounting {
                    user: (self.next_session as u32) % self.users,
                    session: self.next_session,
                }
            }
        }
    }
}

/// Runs the load and returns what was measured.
pub(crate) async fn run(spec: LoadSpec) -> std::io::Result<Report> {
    let sockets = spec.sockets.max(1);
    let start = Instant::now() + Duration::from_millis(20);
    let mut tasks = tokio::task::JoinSet::new();
    for index in 0..sockets {
        let socket = bind_like(spec.server, spec.failover.is_empty())?;
        let share = Share::of(&spec, index, sockets);
        let spec = spec.clone();
        tasks.spawn(async move { drive(spec, share, socket, index, sockets, start).await });
    }
    collect(tasks, start).await
}

/// Adds up what each task counted.
pub(crate) async fn collect(
    mut tasks: tokio::task::JoinSet<std::io::Result<Tally>>,
    start: Instant,
) -> std::io::Result<Report> {
    let mut report = Report::default();
    let mut latencies = Latencies::default();
    let mut last = start;
    while let Some(joined) = tasks.join_next().await {
        let tally = joined.map_err(std::io::Error::other)??;
        report.started += tally.started;
        report.completed += tally.completed;
        report.requests_sent += tally.requests_sent;
        report.retransmits += tally.retransmits;
        report.timeouts += tally.timeouts;
        report.unmatched_replies += tally.unmatched;
        report.identifier_exhausted += tally.identifier_exhausted;
        for (code, n) in tally.replies {
            *report.replies.entry(code).or_default() += n;
        }
        for ((work, code), n) in tally.outcomes {
            *report.outcomes.entry(format!("{work} {code}")).or_default() += n;
        }
        if let Some(at) = tally.last_completion {
            last = last.max(at);
        }
        latencies.merge(tally.latencies);
    }
    report.elapsed = last.saturating_duration_since(start);
    report.latency = latencies.summary();
    Ok(report)
}

/// One socket's (or connection's) part of the load.
pub(crate) struct Share {
    pub rate: Option<f64>,
    pub in_flight: usize,
    pub count: Option<u64>,
}

impl Share {
    pub fn of(spec: &LoadSpec, index: usize, sockets: usize) -> Share {
        let split = |total: u64| {
            total / sockets as u64 + u64::from((index as u64) < total % sockets as u64)
        };
        Share {
            rate: spec.rate.map(|rate| rate / sockets as f64),
            in_flight: split(spec.in_flight as u64).min(256) as usize,
            count: spec.count.map(split),
        }
    }
}

/// A socket of the server's address family with a large receive buffer,
/// connected to it unless replies come from several servers.
fn bind_like(server: SocketAddr, connect: bool) -> std::io::Result<UdpSocket> {
    let local: SocketAddr = if server.is_ipv4() {
        (std::net::Ipv4Addr::UNSPECIFIED, 0).into()
    } else {
        (std::net::Ipv6Addr::UNSPECIFIED, 0).into()
    };
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(server),
        socket2::Type::DGRAM,
        Some(socket2::Protocol::UDP),
    )?;
    // A smaller buffer than asked is not an error: the kernel caps it.
    let _ = socket.set_recv_buffer_size(SOCKET_BUFFER);
    let _ = socket.set_send_buffer_size(SOCKET_BUFFER);
    socket.set_nonblocking(true)?;
    socket.bind(&local.into())?;
    if connect {
        socket.connect(&server.into())?;
    }
    UdpSocket::from_std(socket.into())
}

/// The loop of one socket: start work, read replies, retransmit, expire.
async fn drive(
    spec: LoadSpec,
    share: Share,
    socket: UdpSocket,
    index: usize,
    sockets: usize,
    start: Instant,
) -> std::io::Result<Tally> {
    let mut tally = Tally::default();
    let mut slots: Vec<Option<Outstanding>> = (0..256).map(|_| None).collect();
    let mut free: Vec<u8> = (0..=255u8).rev().collect();
    let mut picker = Picker::new(&spec.mix, spec.users, index);
    let stride = u32::try_from(sockets).unwrap_or(1);
    let arrivals = share.rate.filter(|rate| *rate > 0.0).map(Arrivals::at_rate);
    // Closed loop waits only for the next scan: tokio's timer does.
    let mut pacer = match arrivals {
        Some(_) => Some(Pacer::new()?),
        None => None,
    };
    let stop_at = spec.duration.map(|d| start + d);
    let mut next_start = start;
    let mut next_scan = start;
    let mut buffer = vec![0u8; 4096];
    tokio::time::sleep_until(start).await;

    loop {
        let now = Instant::now();
        let may_start = stop_at.is_none_or(|at| now < at)
            && share.count.is_none_or(|count| tally.started < count);

        if may_start {
            match &arrivals {
                Some(arrivals) => {
                    while next_start <= now && share.count.is_none_or(|count| tally.started < count)
                    {
                        next_start += arrivals.next_gap();
                        match free.pop() {
                            Some(id) => {
                                let work = picker.pick(stride);
                                launch(&spec, &socket, &mut slots, &mut tally, id, work, now).await;
                            }
                            None => tally.identifier_exhausted += 1,
                        }
                    }
                }
                None => {
                    while 256 - free.len() < share.in_flight
                        && share.count.is_none_or(|count| tally.started < count)
                    {
                        let Some(id) = free.pop() else { break };
                        let work = picker.pick(stride);
                        launch(&spec, &socket, &mut slots, &mut tally, id, work, now).await;
                    }
                }
            }
        }

        if now >= next_scan {
            next_scan = now + SCAN_EVERY;
            scan(&spec, &socket, &mut slots, &mut free, &mut tally, now).await;
        }

        if !may_start && free.len() == 256 {
            return Ok(tally);
        }

        // Read every reply already queued, then wait for the next event.
        loop {
            match socket.try_recv(&mut buffer) {
                Ok(len) => {
                    let received = Instant::now();
                    on_datagram(
                        &spec,
                        &socket,
                        &mut slots,
                        &mut free,
                        &mut tally,
                        &buffer[..len],
                        received,
                    )
                    .await;
                }
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => break,
                // ICMP "port unreachable" from an earlier send: the server is
                // not there (yet); the request will time out.
                Err(error)
                    if matches!(
                        error.kind(),
                        std::io::ErrorKind::ConnectionRefused | std::io::ErrorKind::Interrupted
                    ) => {}
                Err(error) => return Err(error),
            }
        }
        let refill_closed = arrivals.is_none() && may_start && 256 - free.len() < share.in_flight;
        if refill_closed {
            continue;
        }
        let mut wake = next_scan;
        if may_start && arrivals.is_some() {
            wake = wake.min(next_start);
        }
        if let Some(at) = stop_at.filter(|_| may_start) {
            wake = wake.min(at);
        }
        match &mut pacer {
            Some(pacer) => tokio::select! {
                _ = socket.readable() => {}
                woke = pacer.sleep_until(wake) => woke?,
            },
            None => tokio::select! {
                _ = socket.readable() => {}
                _ = tokio::time::sleep_until(wake) => {}
            },
        }
    }
}

/// Starts a unit of work on identifier `id` over UDP.
async fn launch(
    spec: &LoadSpec,
    socket: &UdpSocket,
    slots: &mut [Option<Outstanding>],
    tally: &mut Tally,
    id: u8,
    work: Work,
    now: Instant,
) {
    if let Some(bytes) = start_work(spec, slots, tally, id, work, now) {
        send(spec, socket, &bytes, 0).await;
    }
}

/// Registers a unit of work on identifier `id` and returns its first
/// request, to be sent by the caller (counted as sent).
pub(crate) fn start_work(
    spec: &LoadSpec,
    slots: &mut [Option<Outstanding>],
    tally: &mut Tally,
    id: u8,
    work: Work,
    now: Instant,
) -> Option<Vec<u8>> {
    tally.started += 1;
    let encoded = flows::first_request(work, id, &spec.secret)
        .and_then(|builder| builder.encode(&spec.secret));
    let Ok((bytes, authenticator)) = encoded else {
        // Cannot happen with the generator's own users; count it as lost.
        tally.timeouts += 1;
        return None;
    };
    tally.requests_sent += 1;
    slots[usize::from(id)] = Some(Outstanding {
        work,
        started: now,
        step_sent: now,
        last_sent: now,
        retries_left: spec.retries,
        authenticator,
        bytes: bytes.clone(),
        answered: false,
    });
    Some(bytes)
}

/// Sends the `resend`th retransmit of a request (0: its first sending).
async fn send(spec: &LoadSpec, socket: &UdpSocket, bytes: &[u8], resend: u32) {
    // A full send buffer loses the request; it then times out like a drop
    // on the network would.
    if spec.failover.is_empty() {
        let _ = socket.send(bytes).await;
        return;
    }
    let turn = resend as usize % (spec.failover.len() + 1);
    let server = match turn {
        0 => spec.server,
        n => spec.failover[n - 1],
    };
    let _ = socket.send_to(bytes, server).await;
}

/// Retransmits what is due and expires what waited too long.
async fn scan(
    spec: &LoadSpec,
    socket: &UdpSocket,
    slots: &mut [Option<Outstanding>],
    free: &mut Vec<u8>,
    tally: &mut Tally,
    now: Instant,
) {
    for (resend, bytes) in expire(spec, slots, free, tally, now) {
        send(spec, socket, &bytes, resend).await;
    }
}

/// Expires what waited too long and returns the retransmits that are due,
/// each with its number (1 for a request's first retransmit).
pub(crate) fn expire(
    spec: &LoadSpec,
    slots: &mut [Option<Outstanding>],
    free: &mut Vec<u8>,
    tally: &mut Tally,
    now: Instant,
) -> Vec<(u32, Vec<u8>)> {
    let mut resend = Vec::new();
    for (id, slot) in slots.iter_mut().enumerate() {
        let Some(outstanding) = slot else { continue };
        if now.saturating_duration_since(outstanding.step_sent) >= spec.timeout {
            tally.timeouts += 1;
            *tally
                .outcomes
                .entry((outstanding.work.label(), "timeout"))
                .or_default() += 1;
            *slot = None;
            free.push(id as u8);
            continue;
        }
        if let Some(every) = spec.retransmit
            && outstanding.retries_left > 0
            && now.saturating_duration_since(outstanding.last_sent) >= every
        {
            outstanding.retries_left -= 1;
            outstanding.last_sent = now;
            tally.retransmits += 1;
            resend.push((
                spec.retries - outstanding.retries_left,
                outstanding.bytes.clone(),
            ));
        }
    }
    resend
}

/// Matches a datagram to its request and moves the work on.
async fn on_datagram(
    spec: &LoadSpec,
    socket: &UdpSocket,
    slots: &mut [Option<Outstanding>],
    free: &mut Vec<u8>,
    tally: &mut Tally,
    datagram: &[u8],
    received: Instant,
) {
    if let Some(next) = on_reply(spec, slots, free, tally, datagram, received) {
        send(spec, socket, &next, 0).await;
    }
}

/// Matches a reply to its request and moves the work on; returns the next
/// request of the work (the answer to a challenge), counted as sent.
pub(crate) fn on_reply(
    spec: &LoadSpec,
    slots: &mut [Option<Outstanding>],
    free: &mut Vec<u8>,
    tally: &mut Tally,
    datagram: &[u8],
    received: Instant,
) -> Option<Vec<u8>> {
    let Ok(reply) = Packet::decode(datagram) else {
        tally.unmatched += 1;
        return None;
    };
    let id = reply.identifier();
    let slot = &mut slots[usize::from(id)];
    let authentic = slot
        .as_ref()
        .is_some_and(|o| reply.verify_reply(&o.authenticator, &spec.secret));
    if !authentic {
        tally.unmatched += 1;
        return None;
    }
    tally.count_reply(reply.code());
    let outstanding = slot.as_mut()?;
    match flows::on_reply(&reply, outstanding.answered) {
        Next::Done(code) => {
            finish(tally, outstanding, code, received);
            *slot = None;
            free.push(id);
            None
        }
        Next::Answer { state } => {
            let encoded = flows::answer_request(outstanding.work, id, &spec.secret, &state)
                .and_then(|builder| builder.encode(&spec.secret));
            match encoded {
                Ok((bytes, authenticator)) => {
                    tally.requests_sent += 1;
                    outstanding.answered = true;
                    outstanding.authenticator = authenticator;
                    outstanding.bytes = bytes.clone();
                    outstanding.step_sent = received;
                    outstanding.last_sent = received;
                    outstanding.retries_left = spec.retries;
                    Some(bytes)
                }
                Err(_) => {
                    finish(tally, outstanding, Code::AccessChallenge, received);
                    *slot = None;
                    free.push(id);
                    None
                }
            }
        }
    }
}

fn finish(tally: &mut Tally, outstanding: &Outstanding, code: Code, at: Instant) {
    tally.complete(outstanding.work.label(), code, outstanding.started, at);
}

impl Tally {
    /// Counts a unit of work of kind `label` that started at `started` and
    /// ended with a reply of `code` at `at`.
    pub(crate) fn complete(
        &mut self,
        label: &'static str,
        code: Code,
        started: Instant,
        at: Instant,
    ) {
        self.completed += 1;
        self.latencies.record(at.saturating_duration_since(started));
        *self.outcomes.entry((label, code.name())).or_default() += 1;
        self.last_completion = Some(at);
    }

    /// Counts a reply received.
    pub(crate) fn count_reply(&mut self, code: Code) {
        *self.replies.entry(code.name()).or_default() += 1;
    }

    /// Counts a unit of work of kind `label` that got no answer.
    pub(crate) fn lose(&mut self, label: &'static str) {
        self.timeouts += 1;
        *self.outcomes.entry((label, "timeout")).or_default() += 1;
    }
}
