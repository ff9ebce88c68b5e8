//! What TIME-WAIT and RTO backoff cost, measured in the simulator on
//! virtual time (issue 13, item 7). Prints the book's tables as Markdown:
//!
//! ```sh
//! cargo run --release -p synfin-tcp --example costs
//! ```
//!
//! Every figure comes from virtual time and seeded randomness, so the output
//! is the same on every machine and every run: `scripts/book-figures.sh`
//! writes it to `docs/src/generated/costs.md`, and its `--check` fails if
//! the committed copy is stale. The tests at the end (`cargo test -p
//! synfin-tcp --example costs`) pin the relationships the book states.
//!
//! Five measurements:
//!
//! 1. [`port_exhaustion`]: a client opens short connections to one server
//!    socket as fast as it may, closing first, so each of its ports sits in
//!    TIME-WAIT for 2·MSL. The sustained rate against `ports / 2·MSL`.
//! 2. [`server_closes_first`]: the server closes first and holds TIME-WAIT;
//!    a client that comes back on a port still in TIME-WAIT at the server,
//!    with and without MAY-2 (RFC 9293 §3.6.1) at the server.
//! 3. [`outage`]: one connection attempt while the path drops everything
//!    for a while, with the RTO doubling (RFC 6298 (5.5)) and constant.
//! 4. [`crowd`]: many clients that start connecting during an outage:
//!    the SYNs they put into the dead path and the load they offer when it
//!    heals.
//! 5. [`random_loss`]: many attempts under sustained random loss, both
//!    backoffs.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{Backoff, Config, Error, Event};
use synfin_tcp::endpoint::{ConnHandle, Endpoint, TIME_WAIT_ENTRY_BYTES};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::sim::{Faults, Rng, Sim};
use synfin_tcp::time::Instant;

const CLIENT_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
const REQUEST: [u8; 100] = [0x51; 100];
const RESPONSE: [u8; 100] = [0x52; 100];
/// The first ephemeral port (Linux's `ip_local_port_range` starts here).
const PORT_BASE: u16 = 32768;
/// One-way delay of every link: a 20 ms round trip.
const ONE_WAY: Duration = Duration::from_millis(10);

/// A lossless link with a fixed one-way delay.
fn link(one_way: Duration) -> Faults {
    Faults {
        delay_min: one_way,
        delay_max: one_way,
        ..Faults::NONE
    }
}

fn secs(d: Duration) -> f64 {
    d.as_secs_f64()
}

fn since(t: Instant, t0: Instant) -> Duration {
    t.saturating_duration_since(t0)
}

// ---------------------------------------------------------------------------
// A workload of short connections.

/// Which side closes first, and so holds TIME-WAIT.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Closer {
    Client,
    Server,
}

/// Short connections from one client host to one server socket: the client
/// opens one every `gap` (while it has a free port), sends a 100-byte
/// request, the server answers 100 bytes, and `closer` closes first.
#[derive(Clone, Copy, Debug)]
struct Workload {
    /// The size of the client's ephemeral port range.
    ports: u32,
    /// MSL on both hosts (TIME-WAIT lasts twice this).
    msl: Duration,
    closer: Closer,
    /// Between two active OPENs: the offered load is one per `gap`.
    gap: Duration,
    /// MAY-2 at the server ([`Config::time_wait_reopen`]).
    may2: bool,
    /// Both hosts on [`Config::rfc793`] (an RST ends TIME-WAIT) instead of
    /// [`Config::rfc9293`] (RFC 1337: it does not).
    rfc793: bool,
}

impl Workload {
    fn config(&self) -> Config {
        let mut c = if self.rfc793 {
            Config::rfc793()
        } else {
            Config::rfc9293()
        };
        c.msl = self.msl;
        c.ephemeral_port_min = PORT_BASE;
        c.ephemeral_port_max = PORT_BASE + u16::try_from(self.ports - 1).expect("port range");
        c.time_wait_reopen = self.may2;
        c
    }
}

/// One client connection.
struct Conn {
    opened: Instant,
    received: usize,
}

/// What happened, each with its virtual time.
#[derive(Default)]
struct Tally {
    /// Every active OPEN that got a port.
    opened: Vec<Instant>,
    /// Every connection that reached ESTABLISHED: when, and how long after
    /// its OPEN.
    connected: Vec<(Instant, Duration)>,
    /// Every exchange the client saw complete (the whole response read).
    completed: Vec<Instant>,
    /// Every attempt given up after its SYN retries.
    timed_out: Vec<Instant>,
    /// Connections reset or refused.
    reset: u64,
    /// Active OPENs that found no free port.
    no_port: u64,
    /// The first connection: from OPEN to the end of its TIME-WAIT at the
    /// client (when the client closed first).
    first_life: Option<Duration>,
    /// The largest TIME-WAIT table either host had.
    client_time_wait_peak: usize,
    server_time_wait_peak: usize,
    /// Connections the server accepted from a client port it had served
    /// before, and those of them whose ISS was not above the previous
    /// incarnation's last sequence number.
    reincarnations: u64,
    iss_not_above: u64,
}

/// The simulator, both applications and the tally.
struct Driver {
    w: Workload,
    sim: Sim,
    conns: HashMap<ConnHandle, Conn>,
    server_got: HashMap<ConnHandle, usize>,
    /// Per client port, one past the last sequence number the server used
    /// on its latest connection from that port (when the server closes
    /// first).
    server_last_seq: HashMap<u16, SeqNum>,
    /// When the client next opens; `None` while it waits for a port.
    next_open: Option<Instant>,
    first: Option<ConnHandle>,
    tally: Tally,
}

impl Driver {
    fn new(w: Workload) -> Driver {
        let c = w.config();
        let mut sim = Sim::new(
            Endpoint::new(c, [1; 16]),
            Endpoint::new(c, [2; 16]),
            link(ONE_WAY),
            Rng::new(1),
        );
        sim.b.listen(SERVER).expect("listen");
        Driver {
            w,
            sim,
            conns: HashMap::new(),
            server_got: HashMap::new(),
            server_last_seq: HashMap::new(),
            next_open: Some(Instant::ZERO),
            first: None,
            tally: Tally::default(),
        }
    }

    fn client(&mut self) {
        let now = self.sim.now();
        let ep = &mut self.sim.a;
        let mut buf = [0u8; 512];
        while let Some((h, ev)) = ep.poll_event() {
            match ev {
                Event::Connected => {
                    if let Some(c) = self.conns.get(&h) {
                        self.tally.connected.push((now, since(now, c.opened)));
                    }
                    let _ = ep.send(now, h, &REQUEST);
                }
                Event::Data => {
                    let Some(c) = self.conns.get_mut(&h) else {
                        continue;
                    };
                    while let Ok(n @ 1..) = ep.recv(now, h, &mut buf) {
                        c.received += n;
                    }
                    if c.received == RESPONSE.len() {
                        self.tally.completed.push(now);
                        if self.w.closer == Closer::Client {
                            let _ = ep.close(now, h);
                        }
                    }
                }
                Event::PeerClosed => {
                    if self.w.closer == Closer::Server {
                        let _ = ep.close(now, h);
                    }
                }
                e => {
                    debug_assert!(e.is_terminal());
                    match e {
                        Event::TimedOut => self.tally.timed_out.push(now),
                        Event::Reset | Event::Refused => self.tally.reset += 1,
                        _ => {}
                    }
                    if let Some(c) = self.conns.remove(&h) {
                        if self.first == Some(h) {
                            self.tally.first_life = Some(since(now, c.opened));
                        }
                    }
                    // A port may have become free.
                    if self.next_open.is_none() {
                        self.next_open = Some(now);
                    }
                }
            }
        }
        while let Some(t) = self.next_open.filter(|&t| t <= now) {
            match ep.connect(now, SocketAddrV4::new(CLIENT_IP, 0), SERVER) {
                Ok(h) => {
                    self.first.get_or_insert(h);
                    self.conns.insert(
                        h,
                        Conn {
                            opened: now,
                            received: 0,
                        },
                    );
                    self.tally.opened.push(now);
                    self.next_open = Some(t + self.w.gap);
                }
                Err(Error::NoEphemeralPort) => {
                    self.tally.no_port += 1;
                    self.next_open = None;
                }
                Err(e) => panic!("active OPEN: {e:?}"),
            }
        }
        self.tally.client_time_wait_peak =
            self.tally.client_time_wait_peak.max(ep.time_wait_count());
    }

    fn server(&mut self) {
        let now = self.sim.now();
        let ep = &mut self.sim.b;
        let mut buf = [0u8; 512];
        while let Some(h) = ep.accept(SERVER) {
            // MAY-2's first condition: a new incarnation's ISS above every
            // sequence number the server used on the one before.
            let Some(c) = ep.connection(h) else { continue };
            if let Some(old) = self.server_last_seq.get(&c.remote().port()) {
                self.tally.reincarnations += 1;
                if !c.iss().gt(*old) {
                    self.tally.iss_not_above += 1;
                }
            }
        }
        while let Some((h, ev)) = ep.poll_event() {
            match ev {
                Event::Data => {
                    let got = self.server_got.entry(h).or_default();
                    while let Ok(n @ 1..) = ep.recv(now, h, &mut buf) {
                        *got += n;
                    }
                    if *got == REQUEST.len() {
                        let _ = ep.send(now, h, &RESPONSE);
                        if self.w.closer == Closer::Server {
                            let _ = ep.close(now, h);
                            if let Some(c) = ep.connection(h) {
                                // SND.NXT is one past the FIN: the last number
                                // this incarnation uses.
                                self.server_last_seq.insert(c.remote().port(), c.snd_nxt());
                            }
                        }
                    }
                }
                Event::PeerClosed if self.w.closer == Closer::Client => {
                    let _ = ep.close(now, h);
                }
                e if e.is_terminal() => {
                    self.server_got.remove(&h);
                }
                _ => {}
            }
        }
        self.tally.server_time_wait_peak =
            self.tally.server_time_wait_peak.max(ep.time_wait_count());
    }

    /// Runs both applications and the network until `stop` holds or
    /// virtual time would pass `until`.
    fn run(&mut self, until: Instant, stop: impl Fn(&Tally) -> bool) {
        loop {
            self.client();
            self.server();
            if stop(&self.tally) {
                return;
            }
            self.sim.flush();
            let due = self.sim.next_due();
            let Some(t) = due.into_iter().chain(self.next_open).min() else {
                return;
            };
            if t > until {
                return;
            }
            if due == Some(t) {
                self.sim.step();
            } else {
                self.sim.advance_to(t);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// 1. Ephemeral-port exhaustion.

/// One row of the port-exhaustion table.
#[derive(Clone, Copy, Debug)]
pub struct PortRow {
    pub ports: u32,
    pub msl: Duration,
    /// `ports / 2·MSL`, connections per second.
    pub ceiling: f64,
    /// From the first active OPEN to the end of its TIME-WAIT: how long a
    /// port stays taken.
    pub port_held: Duration,
    /// `ports / port_held`.
    pub predicted: f64,
    /// Measured: connections opened per second, over whole cycles of the
    /// port range.
    pub measured: f64,
    /// The client's TIME-WAIT table at its largest.
    pub time_wait_peak: usize,
}

/// The client opens a connection every millisecond (1,000 a second
/// offered, above every ceiling measured) and closes first. It runs until it has gone through its port range
/// `cycles` times and opened one more; the sustained rate is `cycles ·
/// ports` connections over the time from the first OPEN to that last one.
pub fn port_exhaustion(ports: u32, msl: Duration, cycles: u32) -> PortRow {
    let w = Workload {
        ports,
        msl,
        closer: Closer::Client,
        gap: Duration::from_millis(1),
        may2: false,
        rfc793: false,
    };
    let mut d = Driver::new(w);
    let want = (cycles * ports + 1) as usize;
    d.run(Instant::from_secs(1_000_000), |t| t.opened.len() >= want);
    // Let the first connection's TIME-WAIT end if it has not yet (only
    // when `cycles` is 0).
    d.run(Instant::from_secs(1_000_000), |t| t.first_life.is_some());
    let t = &d.tally;
    assert!(t.opened.len() >= want, "the run stalled");
    assert_eq!(t.timed_out.len() as u64 + t.reset, 0, "a clean link");
    // Only the ports limit the rate: the server's backlog never overflowed.
    assert_eq!(d.sim.b.stats().syn_dropped, 0, "the server kept up");
    let span = since(t.opened[want - 1], t.opened[0]);
    let port_held = t.first_life.expect("the first connection ended");
    PortRow {
        ports,
        msl,
        ceiling: f64::from(ports) / secs(2 * msl),
        port_held,
        predicted: f64::from(ports) / secs(port_held),
        measured: f64::from(cycles * ports) / secs(span),
        time_wait_peak: t.client_time_wait_peak,
    }
}

// ---------------------------------------------------------------------------
// 2. The server closes first.

/// One row of the server-closes-first table.
#[derive(Clone, Copy, Debug)]
pub struct ServerRow {
    pub ports: u32,
    pub msl: Duration,
    pub may2: bool,
    pub rfc793: bool,
    /// Exchanges completed per second over the measuring window.
    pub completed_per_s: f64,
    /// Of the connections established in the window: the mean and the
    /// longest time from OPEN to ESTABLISHED.
    pub connect_mean: Duration,
    pub connect_max: Duration,
    /// SYNs the client sent per active OPEN in the window.
    pub syns_per_open: f64,
    /// Attempts given up (SYN retries exhausted) in the window.
    pub timed_out: usize,
    /// The server's TIME-WAIT table at its largest.
    pub server_time_wait_peak: usize,
    /// 4-tuples the server reopened from TIME-WAIT (MAY-2) in the window.
    pub reopened: u64,
    /// Over the whole run: connections the server accepted on a 4-tuple it
    /// had used before, and those whose ISS was not above the previous
    /// incarnation's last sequence number (MAY-2's first condition).
    pub reincarnations: u64,
    pub iss_not_above: u64,
}

/// The client offers 100 connections a second from `ports` ports; the
/// server closes first. Measured over `[warm, warm + window)`.
pub fn server_closes_first(
    ports: u32,
    msl: Duration,
    may2: bool,
    rfc793: bool,
    warm: Duration,
    window: Duration,
) -> ServerRow {
    let w = Workload {
        ports,
        msl,
        closer: Closer::Server,
        gap: Duration::from_millis(10),
        may2,
        rfc793,
    };
    let mut d = Driver::new(w);
    let t0 = Instant::ZERO + warm;
    let t1 = t0 + window;
    d.run(t0, |_| false);
    let syns0 = d.sim.stats().syns_by[0];
    let reopened0 = d.sim.b.stats().time_wait_reopened;
    d.run(t1, |_| false);
    let syns = d.sim.stats().syns_by[0] - syns0;
    let t = &d.tally;
    let inside = |x: &Instant| *x >= t0 && *x < t1;
    let connected: Vec<Duration> = t
        .connected
        .iter()
        .filter(|(at, _)| inside(at))
        .map(|&(_, took)| took)
        .collect();
    let opened = t.opened.iter().filter(|x| inside(x)).count();
    let total: Duration = connected.iter().sum();
    ServerRow {
        ports,
        msl,
        may2,
        rfc793,
        completed_per_s: t.completed.iter().filter(|x| inside(x)).count() as f64 / secs(window),
        connect_mean: total / u32::try_from(connected.len().max(1)).unwrap_or(u32::MAX),
        connect_max: connected.iter().copied().max().unwrap_or_default(),
        syns_per_open: syns as f64 / opened.max(1) as f64,
        timed_out: t.timed_out.iter().filter(|x| inside(x)).count(),
        server_time_wait_peak: t.server_time_wait_peak,
        reopened: d.sim.b.stats().time_wait_reopened - reopened0,
        reincarnations: t.reincarnations,
        iss_not_above: t.iss_not_above,
    }
}

// ---------------------------------------------------------------------------
// 3 and 4. SYN retransmission under loss.

/// The SYN retry budget that gives up when the default (7 retries, RTO
/// doubling from 1 s to the 60 s cap) does, at 183 s, under `backoff`
/// with a 1 s RTO: the same patience, so that only the spacing differs.
pub fn syn_retries_for(backoff: Backoff) -> u32 {
    match backoff {
        Backoff::Doubling => Config::rfc9293().syn_retries,
        Backoff::Constant => 182,
    }
}

/// One connection attempt.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Attempt {
    /// SYNs the client sent (the first and every retransmission).
    pub syns: u64,
    /// When it reached ESTABLISHED, if it did.
    pub connected: Option<Instant>,
    /// When it gave up, if it did.
    pub gave_up: Option<Instant>,
    /// If it was still trying when the path healed: the SYNs it had sent
    /// into the dead path, and its RTO then (the interval to its next SYN).
    pub at_heal: Option<(u64, Duration)>,
}

/// One active OPEN at time 0 with `backoff`, over a path that behaves as
/// `dead` until `heal` and as `alive` after (a segment sent at `heal` or
/// later is under `alive`). Runs until the client is ESTABLISHED or gives
/// up.
fn attempt(backoff: Backoff, dead: Faults, heal: Instant, alive: Faults, seed: u64) -> Attempt {
    let mut c = Config::rfc9293();
    c.backoff = backoff;
    c.syn_retries = syn_retries_for(backoff);
    let mut sim = Sim::new(
        Endpoint::new(c, [1; 16]),
        Endpoint::new(c, [2; 16]),
        dead,
        Rng::new(seed),
    );
    sim.b.listen(SERVER).expect("listen");
    let h = sim
        .a
        .connect(Instant::ZERO, SocketAddrV4::new(CLIENT_IP, 0), SERVER)
        .expect("connect");
    let mut healed = false;
    let mut at_heal = None;
    loop {
        let now = sim.now();
        while let Some((eh, ev)) = sim.a.poll_event() {
            if eh != h {
                continue;
            }
            let syns = sim.stats().syns_by[0];
            match ev {
                Event::Connected => {
                    return Attempt {
                        syns,
                        connected: Some(now),
                        gave_up: None,
                        at_heal,
                    }
                }
                e if e.is_terminal() => {
                    return Attempt {
                        syns,
                        connected: None,
                        gave_up: Some(now),
                        at_heal,
                    }
                }
                _ => {}
            }
        }
        while sim.b.accept(SERVER).is_some() {}
        while sim.b.poll_event().is_some() {}
        sim.flush();
        let due = sim
            .next_due()
            .expect("a SYN-SENT client always has a timer");
        if !healed && due >= heal {
            healed = true;
            let rto = sim.a.connection(h).map(|c| c.rto());
            at_heal = rto.map(|rto| (sim.stats().syns_by[0], rto));
            sim.set_faults(alive);
            continue;
        }
        sim.step();
    }
}

/// One row of the outage table: the same attempt under both backoffs.
#[derive(Clone, Copy, Debug)]
pub struct OutageRow {
    pub outage: Duration,
    pub doubling: Attempt,
    pub constant: Attempt,
}

/// The path drops every segment from 0 to `outage`, then is clean (20 ms
/// round trip); the client opens at 0.
pub fn outage(outage: Duration) -> OutageRow {
    let dead = Faults {
        loss: 1.0,
        ..link(ONE_WAY)
    };
    let heal = Instant::ZERO + outage;
    let run = |b| attempt(b, dead, heal, link(ONE_WAY), 1);
    OutageRow {
        outage,
        doubling: run(Backoff::Doubling),
        constant: run(Backoff::Constant),
    }
}

/// Many clients behind one outage, under one backoff.
#[derive(Clone, Copy, Debug)]
pub struct CrowdStats {
    /// SYNs all the clients sent into the dead path.
    pub syns_into_outage: u64,
    /// The SYNs per second the clients offer at the moment the path heals:
    /// the sum over the clients still trying of 1 / RTO.
    pub rate_at_heal: f64,
    /// Mean time from healing to ESTABLISHED.
    pub wait_mean: Duration,
    /// Clients that gave up before the path healed.
    pub gave_up: u32,
}

/// One row of the crowd table.
#[derive(Clone, Copy, Debug)]
pub struct CrowdRow {
    pub clients: u32,
    pub outage: Duration,
    pub doubling: CrowdStats,
    pub constant: CrowdStats,
}

/// `clients` clients start connecting at instants spread evenly over an
/// outage of `outage` (client `i` of `n` at `i · outage / n`); the path
/// heals at its end. Each client is simulated on its own: the dead path
/// loses everything whatever the load, and the question is the load.
pub fn crowd(clients: u32, outage: Duration) -> CrowdRow {
    let dead = Faults {
        loss: 1.0,
        ..link(ONE_WAY)
    };
    let stats = |b| {
        let mut s = CrowdStats {
            syns_into_outage: 0,
            rate_at_heal: 0.0,
            wait_mean: Duration::ZERO,
            gave_up: 0,
        };
        let mut waited = Duration::ZERO;
        let mut connected = 0u32;
        for i in 0..clients {
            // A client that started at `i · outage / clients` sees the path
            // heal that much sooner.
            let heal = Instant::ZERO + (outage - outage * i / clients);
            let a = attempt(b, dead, heal, link(ONE_WAY), 1);
            match a.at_heal {
                Some((syns, rto)) => {
                    s.syns_into_outage += syns;
                    s.rate_at_heal += 1.0 / secs(rto);
                }
                None => {
                    s.syns_into_outage += a.syns;
                    s.gave_up += 1;
                }
            }
            if let Some(t) = a.connected {
                connected += 1;
                waited += since(t, heal);
            }
        }
        s.wait_mean = waited / connected.max(1);
        s
    };
    CrowdRow {
        clients,
        outage,
        doubling: stats(Backoff::Doubling),
        constant: stats(Backoff::Constant),
    }
}

/// Many attempts under one backoff.
#[derive(Clone, Copy, Debug)]
pub struct LossStats {
    pub attempts: u32,
    pub connected: u32,
    /// Mean SYNs per attempt (connected or not).
    pub syns_mean: f64,
    /// Mean time to ESTABLISHED, of those that got there.
    pub connect_mean: Duration,
}

/// One row of the random-loss table.
#[derive(Clone, Copy, Debug)]
pub struct LossRow {
    pub loss: f64,
    pub doubling: LossStats,
    pub constant: LossStats,
}

/// `attempts` independent attempts (seeds 1, 2, …) over a path that loses
/// each segment, either way, with probability `loss`, for as long as they
/// last.
pub fn random_loss(loss: f64, attempts: u32) -> LossRow {
    let lossy = Faults {
        loss,
        ..link(ONE_WAY)
    };
    let stats = |b| {
        let mut connected = 0;
        let mut syns = 0;
        let mut took = Duration::ZERO;
        for seed in 1..=attempts {
            let a = attempt(
                b,
                lossy,
                Instant::from_secs(1_000_000),
                lossy,
                u64::from(seed),
            );
            syns += a.syns;
            if let Some(t) = a.connected {
                connected += 1;
                took += since(t, Instant::ZERO);
            }
        }
        LossStats {
            attempts,
            connected,
            syns_mean: syns as f64 / f64::from(attempts),
            connect_mean: took / connected.max(1),
        }
    };
    LossRow {
        loss,
        doubling: stats(Backoff::Doubling),
        constant: stats(Backoff::Constant),
    }
}

// ---------------------------------------------------------------------------
// Printing.

fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn dur(d: Duration) -> String {
    let s = secs(d);
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 10.0 {
        format!("{s:.2} s")
    } else {
        format!("{s:.1} s")
    }
}

fn attempt_cells(a: &Attempt, heal: Duration) -> String {
    match (a.connected, a.gave_up) {
        (Some(t), _) => format!("{} | {}", a.syns, dur(since(t, Instant::ZERO + heal))),
        (None, Some(t)) => format!("{} | gave up at {}", a.syns, dur(since(t, Instant::ZERO))),
        (None, None) => format!("{} | –", a.syns),
    }
}

fn print_ports(out: &mut String, rows: &[PortRow]) {
    writeln!(
        out,
        "| port range | MSL | 2·MSL | ceiling `range / 2·MSL` | port held (OPEN to end of TIME-WAIT) | `range / held` | measured | measured / ceiling | TIME-WAIT entries at the client (memory) |"
    )
    .unwrap();
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in rows {
        writeln!(
            out,
            "| {} | {} s | {} s | {:.2}/s | {:.3} s | {:.2}/s | {:.2}/s | {:.4} | {} ({} KiB) |",
            thousands(u64::from(r.ports)),
            r.msl.as_secs(),
            2 * r.msl.as_secs(),
            r.ceiling,
            secs(r.port_held),
            r.predicted,
            r.measured,
            r.measured / r.ceiling,
            thousands(r.time_wait_peak as u64),
            r.time_wait_peak * TIME_WAIT_ENTRY_BYTES / 1024,
        )
        .unwrap();
    }
}

fn print_server(out: &mut String, rows: &[ServerRow]) {
    writeln!(
        out,
        "| port range | MSL | server | completed/s | connect time, mean | connect time, max | SYNs per OPEN | timed out | server TIME-WAIT peak (memory) | reopened by MAY-2 | new ISS above the old incarnation's (whole run) |"
    )
    .unwrap();
    writeln!(
        out,
        "|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    .unwrap();
    for r in rows {
        let server = match (r.rfc793, r.may2) {
            (true, _) => "rfc793 (an RST ends TIME-WAIT)",
            (false, false) => "rfc9293, MAY-2 off (the default)",
            (false, true) => "rfc9293, MAY-2 on",
        };
        writeln!(
            out,
            "| {} | {} s | {} | {:.1} | {} | {} | {:.2} | {} | {} ({} KiB) | {} | {} of {} |",
            thousands(u64::from(r.ports)),
            r.msl.as_secs(),
            server,
            r.completed_per_s,
            dur(r.connect_mean),
            dur(r.connect_max),
            r.syns_per_open,
            thousands(r.timed_out as u64),
            thousands(r.server_time_wait_peak as u64),
            r.server_time_wait_peak * TIME_WAIT_ENTRY_BYTES / 1024,
            thousands(r.reopened),
            thousands(r.reincarnations - r.iss_not_above),
            thousands(r.reincarnations),
        )
        .unwrap();
    }
}

fn print_outage(out: &mut String, rows: &[OutageRow]) {
    writeln!(
        out,
        "| outage | doubling: SYNs | doubling: ESTABLISHED after the path heals | constant: SYNs | constant: ESTABLISHED after the path heals |"
    )
    .unwrap();
    writeln!(out, "|---:|---:|---:|---:|---:|").unwrap();
    for r in rows {
        writeln!(
            out,
            "| {} | {} | {} |",
            dur(r.outage),
            attempt_cells(&r.doubling, r.outage),
            attempt_cells(&r.constant, r.outage),
        )
        .unwrap();
    }
}

fn print_crowd(out: &mut String, rows: &[CrowdRow]) {
    writeln!(
        out,
        "| clients, outage | doubling: SYNs into the outage | doubling: SYNs/s offered as it heals | doubling: mean wait after | constant: SYNs into the outage | constant: SYNs/s offered as it heals | constant: mean wait after |"
    )
    .unwrap();
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in rows {
        let cells = |s: &CrowdStats| {
            let gave_up = if s.gave_up > 0 {
                format!(" ({} gave up)", thousands(u64::from(s.gave_up)))
            } else {
                String::new()
            };
            format!(
                "{}{gave_up} | {} | {}",
                thousands(s.syns_into_outage),
                thousands(s.rate_at_heal.round() as u64),
                dur(s.wait_mean),
            )
        };
        writeln!(
            out,
            "| {}, {} | {} | {} |",
            thousands(u64::from(r.clients)),
            dur(r.outage),
            cells(&r.doubling),
            cells(&r.constant)
        )
        .unwrap();
    }
}

fn print_loss(out: &mut String, rows: &[LossRow]) {
    writeln!(
        out,
        "| loss each way | doubling: connected | doubling: SYNs per attempt | doubling: mean time to connect | constant: connected | constant: SYNs per attempt | constant: mean time to connect |"
    )
    .unwrap();
    writeln!(out, "|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    for r in rows {
        let cells = |s: &LossStats| {
            format!(
                "{:.1}% | {:.2} | {}",
                100.0 * f64::from(s.connected) / f64::from(s.attempts),
                s.syns_mean,
                dur(s.connect_mean),
            )
        };
        writeln!(
            out,
            "| {:.0}% | {} | {} |",
            r.loss * 100.0,
            cells(&r.doubling),
            cells(&r.constant)
        )
        .unwrap();
    }
}

/// Starts the table `name`: mdBook's `{{#include costs.md:NAME}}` takes
/// what lies between the two anchors.
fn begin(out: &mut String, name: &str) {
    writeln!(out, "<!-- ANCHOR: {name} -->").unwrap();
}

fn end(out: &mut String, name: &str) {
    writeln!(out, "<!-- ANCHOR_END: {name} -->\n").unwrap();
}

fn main() {
    let mut out = String::new();
    writeln!(
        out,
        "<!-- written by `cargo run --release -p synfin-tcp --example costs` \
         (scripts/book-figures.sh); do not edit -->\n"
    )
    .unwrap();

    begin(&mut out, "ports");
    let mut rows = Vec::new();
    for ports in [1_000, 16_384, 28_232] {
        for msl in [30, 60, 120] {
            rows.push(port_exhaustion(ports, Duration::from_secs(msl), 2));
        }
    }
    print_ports(&mut out, &rows);
    end(&mut out, "ports");

    begin(&mut out, "server");
    let warm = Duration::from_secs(480);
    let window = Duration::from_secs(960);
    let mut rows = Vec::new();
    for (ports, msl, may2, rfc793) in [
        (28_232, 30, false, false),
        (1_000, 30, false, false),
        (1_000, 30, false, true),
        (1_000, 30, true, false),
        (1_000, 120, false, false),
        (1_000, 120, true, false),
    ] {
        let msl = Duration::from_secs(msl);
        rows.push(server_closes_first(ports, msl, may2, rfc793, warm, window));
    }
    print_server(&mut out, &rows);
    end(&mut out, "server");

    begin(&mut out, "outage");
    let rows: Vec<OutageRow> = [
        500, 2_000, 5_000, 10_000, 30_000, 60_000, 100_000, 150_000, 200_000,
    ]
    .map(|ms| outage(Duration::from_millis(ms)))
    .into_iter()
    .collect();
    print_outage(&mut out, &rows);
    end(&mut out, "outage");

    begin(&mut out, "crowd");
    let rows: Vec<CrowdRow> = [10, 60, 120]
        .map(|s| crowd(1_000, Duration::from_secs(s)))
        .into_iter()
        .collect();
    print_crowd(&mut out, &rows);
    end(&mut out, "crowd");

    begin(&mut out, "loss");
    let rows: Vec<LossRow> = [0.1, 0.3, 0.5, 0.7, 0.9]
        .map(|p| random_loss(p, 1_000))
        .into_iter()
        .collect();
    print_loss(&mut out, &rows);
    end(&mut out, "loss");

    println!("{}", out.trim_end());
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The client closing first is held to `range / (port held)`, where a
    /// port is held from its OPEN to the end of its TIME-WAIT: 2·MSL plus
    /// the connection's own life. For a small range and short MSL the
    /// difference from `range / 2·MSL` shows.
    #[test]
    fn port_exhaustion_meets_range_over_two_msl() {
        let r = port_exhaustion(100, Duration::from_secs(2), 3);
        // The port is held 2·MSL and the connection's life: three round
        // trips of 20 ms (handshake, request and response, the two FINs).
        assert_eq!(r.port_held, Duration::from_millis(4_060), "{r:?}");
        assert!((r.measured / r.predicted - 1.0).abs() < 1e-3, "{r:?}");
        // Below the ceiling by the connection's life over 2·MSL (1.5%).
        let gap = 1.0 - r.measured / r.ceiling;
        assert!((0.01..0.02).contains(&gap), "{r:?}");
        // Every port of the range in TIME-WAIT at once.
        assert_eq!(r.time_wait_peak, 100);
    }

    /// The rate scales with the range and inversely with MSL.
    #[test]
    fn port_exhaustion_scales_with_range_and_msl() {
        let base = port_exhaustion(50, Duration::from_secs(5), 2);
        let wide = port_exhaustion(100, Duration::from_secs(5), 2);
        let long = port_exhaustion(50, Duration::from_secs(10), 2);
        let ratio = wide.measured / base.measured;
        assert!((ratio - 2.0).abs() < 0.01, "{ratio}");
        let ratio = base.measured / long.measured;
        assert!((ratio - 2.0).abs() < 0.02, "{ratio}");
    }

    /// A client port that comes back while the server holds it in
    /// TIME-WAIT: without MAY-2 the attempt stalls (its SYNs draw challenge
    /// ACKs and its RSTs are ignored until TIME-WAIT ends), with MAY-2 it
    /// reopens at once.
    #[test]
    fn server_time_wait_stalls_reused_ports_without_may2() {
        let warm = Duration::from_secs(20);
        let window = Duration::from_secs(40);
        let msl = Duration::from_secs(5);
        // 50 ports at 100 OPENs a second: a port returns after 0.5 s, well
        // inside the server's 10 s TIME-WAIT.
        let off = server_closes_first(50, msl, false, false, warm, window);
        let on = server_closes_first(50, msl, true, false, warm, window);
        // MAY-2: the offered 100/s, one SYN each, one round trip to connect.
        assert!((on.completed_per_s - 100.0).abs() < 1.0, "{on:?}");
        assert!((on.syns_per_open - 1.0).abs() < 1e-9, "{on:?}");
        assert_eq!(on.connect_max, Duration::from_millis(20), "{on:?}");
        assert!(on.reopened > 0);
        // Every reopening met MAY-2's first condition, by the ISN clock.
        assert!(on.reincarnations >= on.reopened, "{on:?}");
        assert_eq!(on.iss_not_above, 0, "{on:?}");
        // Without: each attempt waits out the server's TIME-WAIT, so the
        // range allows only about 50 per (2·MSL + the SYN that follows).
        assert_eq!(off.reopened, 0);
        assert!(off.completed_per_s < 10.0, "{off:?}");
        assert!(off.syns_per_open > 3.0, "{off:?}");
        assert!(off.connect_mean > Duration::from_secs(5), "{off:?}");
        assert_eq!(
            off.timed_out, 0,
            "10 s of TIME-WAIT is within the SYN retries"
        );
    }

    /// Over a 60 s outage, doubling sends 7 SYNs where a constant 1 s RTO
    /// sends 61; the price is the wait after the path heals (up to the
    /// current interval, here 3 s instead of under 1 s).
    #[test]
    fn doubling_sends_fewer_syns_through_an_outage() {
        let r = outage(Duration::from_secs(60));
        assert_eq!(r.doubling.syns, 7, "{r:?}");
        assert_eq!(r.constant.syns, 61, "{r:?}");
        let after = |a: &Attempt| since(a.connected.expect("connected"), Instant::from_secs(60));
        // Doubling's next SYN after 60 s is at 63 s; constant's at 60 s.
        assert_eq!(after(&r.doubling), Duration::from_millis(3_020));
        assert_eq!(after(&r.constant), Duration::from_millis(20));
        // Past the 183 s budget both give up, having sent 8 and 183.
        let r = outage(Duration::from_secs(200));
        assert_eq!((r.doubling.syns, r.constant.syns), (8, 183), "{r:?}");
        assert_eq!(r.doubling.gave_up, Some(Instant::from_secs(183)));
        assert_eq!(r.constant.gave_up, Some(Instant::from_secs(183)));
    }

    /// Clients arriving through a 60 s outage: doubling puts a fraction of
    /// the SYNs into the dead path and offers a fraction of the load when
    /// it heals, against a constant RTO's one SYN per client per second.
    #[test]
    fn doubling_quiets_a_crowd_behind_an_outage() {
        let r = crowd(60, Duration::from_secs(60));
        // Constant: the client that started i seconds into the outage has
        // sent 60 - i SYNs by its end (its SYN at the very end goes through),
        // and each offers one SYN a second.
        assert_eq!(r.constant.syns_into_outage, (1..=60).sum::<u64>(), "{r:?}");
        assert!((r.constant.rate_at_heal - 60.0).abs() < 1e-9, "{r:?}");
        assert!(
            r.doubling.syns_into_outage * 5 < r.constant.syns_into_outage,
            "{r:?}"
        );
        assert!(
            r.doubling.rate_at_heal * 5.0 < r.constant.rate_at_heal,
            "{r:?}"
        );
        assert!(r.doubling.wait_mean > r.constant.wait_mean, "{r:?}");
        assert_eq!(r.doubling.gave_up + r.constant.gave_up, 0);
    }

    /// Under sustained random loss, doubling costs fewer SYNs per attempt
    /// and more time.
    #[test]
    fn doubling_sends_fewer_syns_under_random_loss() {
        let r = random_loss(0.5, 50);
        assert!(r.doubling.syns_mean < r.constant.syns_mean, "{r:?}");
        assert!(r.doubling.connect_mean > r.constant.connect_mean, "{r:?}");
        assert_eq!(r.constant.connected, 50);
    }
}
