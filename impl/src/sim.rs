//! A virtual-time simulator: two [`Endpoint`]s over a faulty network.
//!
//! Like quinn-proto's test `Pair`: [`Sim::step`] delivers every segment and
//! fires every timer due at the current instant, then jumps virtual time to
//! the next thing due; [`Sim::drive`] steps until nothing is in flight and
//! no timer is armed, calling the application after every step. The
//! network loses, duplicates, reorders and delays segments according to
//! [`Faults`], drawing from a seeded [`Rng`] that the caller passes in, so
//! every run is reproducible from its seed.
//!
//! Segments from [`Side::A`] go to [`Side::B`] and back, whatever their
//! addresses say (a point-to-point link). With [`Sim::through_wire`] on,
//! every segment is emitted to IPv4 bytes and parsed back, so the codec
//! is in the loop.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::net::SocketAddrV4;
use std::time::Duration;

use crate::conn::{Error, Event, State};
use crate::endpoint::{ConnHandle, Endpoint};
use crate::time::Instant;
use crate::wire::{Flags, Segment};

/// xorshift64* (Vigna, 2016): a small, seedable PRNG. Not cryptographic;
/// it only has to make fault schedules reproducible.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator from `seed` (any value, zero included).
    pub fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that nearby seeds diverge at once.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A value in `0..n` (0 if `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }

    /// `true` with probability `p` (0 ≤ p ≤ 1).
    pub fn chance(&mut self, p: f64) -> bool {
        p > 0.0 && (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64) < p
    }

    /// A duration uniformly in `[lo, hi]`, to the microsecond.
    pub fn duration(&mut self, lo: Duration, hi: Duration) -> Duration {
        let lo_us = lo.as_micros() as u64;
        let hi_us = (hi.as_micros() as u64).max(lo_us);
        if hi_us == lo_us {
            return lo;
        }
        Duration::from_micros(lo_us + self.below(hi_us - lo_us + 1))
    }
}

/// What the network does to each segment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Faults {
    /// Probability that a segment is lost.
    pub loss: f64,
    /// Probability that a delivered segment is delivered twice (the copy
    /// gets its own delay).
    pub duplicate: f64,
    /// Probability that a segment is held back by an extra delay of up to
    /// `reorder_delay`, letting later segments overtake it.
    pub reorder: f64,
    /// The most extra delay of a reordered segment.
    pub reorder_delay: Duration,
    /// The least one-way delay.
    pub delay_min: Duration,
    /// The most one-way delay (uniform between the two).
    pub delay_max: Duration,
}

impl Faults {
    /// A perfect link with a fixed 1 ms delay.
    pub const NONE: Faults = Faults {
        loss: 0.0,
        duplicate: 0.0,
        reorder: 0.0,
        reorder_delay: Duration::ZERO,
        delay_min: Duration::from_millis(1),
        delay_max: Duration::from_millis(1),
    };
}

impl Default for Faults {
    fn default() -> Self {
        Faults::NONE
    }
}

/// One of the two endpoints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Side {
    /// The first endpoint (by convention the client).
    A,
    /// The second endpoint (by convention the server).
    B,
}

impl Side {
    /// The other side.
    pub fn peer(self) -> Side {
        match self {
            Side::A => Side::B,
            Side::B => Side::A,
        }
    }
}

/// What the network did, for tests.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NetStats {
    /// Segments the endpoints sent.
    pub sent: u64,
    /// Of `sent`, those from each side, indexed by `Side as usize` (A
    /// first).
    pub sent_by: [u64; 2],
    /// Of `sent_by`, those with SYN set (SYN and SYN,ACK, first
    /// transmissions and retransmissions alike).
    pub syns_by: [u64; 2],
    /// Segments lost.
    pub lost: u64,
    /// Extra copies made.
    pub duplicated: u64,
    /// Segments held back for reordering.
    pub reordered: u64,
    /// Segments delivered (copies included).
    pub delivered: u64,
    /// Segments dropped because the bytes did not parse (only with
    /// `through_wire`; never expected).
    pub unparsable: u64,
}

/// A segment in flight. Ordered by delivery time, then by send order, so
/// that equal times deliver in a deterministic order.
#[derive(Debug)]
struct InFlight {
    at: Instant,
    order: u64,
    to: Side,
    seg: Segment,
}

impl PartialEq for InFlight {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.order) == (other.at, other.order)
    }
}
impl Eq for InFlight {}
impl PartialOrd for InFlight {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for InFlight {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.at, self.order).cmp(&(other.at, other.order))
    }
}

/// Why [`Sim::drive`] stopped without reaching idle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stuck {
    /// The step budget ran out.
    Steps(u64),
    /// Virtual time passed the deadline.
    Deadline(Instant),
}

/// Two endpoints, a network between them, and virtual time.
pub struct Sim {
    /// Endpoint A.
    pub a: Endpoint,
    /// Endpoint B.
    pub b: Endpoint,
    /// Whether segments go through [`Segment::emit`] and
    /// [`Segment::parse`] on their way.
    pub through_wire: bool,
    now: Instant,
    rng: Rng,
    faults: Faults,
    net: BinaryHeap<Reverse<InFlight>>,
    order: u64,
    stats: NetStats,
}

impl std::fmt::Debug for Sim {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sim")
            .field("now", &self.now)
            .field("in_flight", &self.net.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Sim {
    /// Two endpoints over a network with `faults`, drawing from `rng`,
    /// starting at time zero.
    pub fn new(a: Endpoint, b: Endpoint, faults: Faults, rng: Rng) -> Sim {
        Sim {
            a,
            b,
            through_wire: false,
            now: Instant::ZERO,
            rng,
            faults,
            net: BinaryHeap::new(),
            order: 0,
            stats: NetStats::default(),
        }
    }

    /// The current virtual time.
    pub fn now(&self) -> Instant {
        self.now
    }

    /// What the network did so far.
    pub fn stats(&self) -> NetStats {
        self.stats
    }

    /// Segments in flight.
    pub fn in_flight(&self) -> usize {
        self.net.len()
    }

    /// Changes the faults from now on.
    pub fn set_faults(&mut self, faults: Faults) {
        self.faults = faults;
    }

    /// One endpoint.
    pub fn endpoint(&mut self, side: Side) -> &mut Endpoint {
        match side {
            Side::A => &mut self.a,
            Side::B => &mut self.b,
        }
    }

    /// Moves what both endpoints want to send onto the network, applying
    /// the faults.
    pub fn flush(&mut self) {
        for from in [Side::A, Side::B] {
            while let Some(seg) = self.endpoint(from).poll_transmit() {
                self.stats.sent += 1;
                self.stats.sent_by[from as usize] += 1;
                if seg.flags.contains(Flags::SYN) {
                    self.stats.syns_by[from as usize] += 1;
                }
                self.schedule(from.peer(), seg);
            }
        }
    }

    fn schedule(&mut self, to: Side, seg: Segment) {
        let mut seg = Some(seg);
        let f = self.faults;
        if self.rng.chance(f.loss) {
            self.stats.lost += 1;
            return;
        }
        let copies = if self.rng.chance(f.duplicate) {
            self.stats.duplicated += 1;
            2
        } else {
            1
        };
        for copy in 0..copies {
            let mut delay = self.rng.duration(f.delay_min, f.delay_max);
            if self.rng.chance(f.reorder) {
                self.stats.reordered += 1;
                delay += self.rng.duration(Duration::ZERO, f.reorder_delay);
            }
            self.order += 1;
            let seg = if copy + 1 == copies {
                seg.take()
            } else {
                seg.clone()
            };
            let Some(seg) = seg else { break };
            self.net.push(Reverse(InFlight {
                at: self.now + delay,
                order: self.order,
                to,
                seg,
            }));
        }
    }

    /// When something is next due: a delivery or a timer of either side.
    pub fn next_due(&mut self) -> Option<Instant> {
        let net = self.net.peek().map(|Reverse(f)| f.at);
        [net, self.a.poll_timeout(), self.b.poll_timeout()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Flushes, jumps to the next instant something is due, and delivers
    /// every segment and fires every timer due then. Returns `false` (and
    /// does nothing) when the simulation is idle.
    pub fn step(&mut self) -> bool {
        self.flush();
        let Some(t) = self.next_due() else {
            return false;
        };
        self.now = self.now.max(t);
        let now = self.now;
        while self.net.peek().is_some_and(|Reverse(f)| f.at <= now) {
            let Some(Reverse(f)) = self.net.pop() else {
                break;
            };
            let seg = if self.through_wire {
                match Segment::parse(&f.seg.emit()) {
                    Ok(s) => s,
                    Err(_) => {
                        self.stats.unparsable += 1;
                        continue;
                    }
                }
            } else {
                f.seg
            };
            self.stats.delivered += 1;
            self.endpoint(f.to).handle_segment(now, &seg);
        }
        for side in [Side::A, Side::B] {
            let ep = self.endpoint(side);
            if ep.poll_timeout().is_some_and(|t| t <= now) {
                ep.handle_timeout(now);
            }
        }
        self.flush();
        true
    }

    /// Steps through everything due up to `t`, then sets the clock to `t`
    /// (if it is later than now): lets virtual time pass without jumping
    /// beyond `t`.
    pub fn advance_to(&mut self, t: Instant) {
        self.flush();
        while self.next_due().is_some_and(|d| d <= t) {
            self.step();
        }
        self.now = self.now.max(t);
    }

    /// Steps until idle, calling `app` for each side after every step (and
    /// once before the first), so the application can read, send and
    /// close. Fails after `max_steps` steps or once virtual time passes
    /// `deadline`.
    ///
    /// # Errors
    ///
    /// [`Stuck`] if the simulation does not go idle in time.
    pub fn drive(
        &mut self,
        max_steps: u64,
        deadline: Instant,
        mut app: impl FnMut(Side, &mut Endpoint, Instant),
    ) -> Result<u64, Stuck> {
        let mut steps = 0;
        loop {
            let now = self.now;
            app(Side::A, &mut self.a, now);
            app(Side::B, &mut self.b, now);
            if steps >= max_steps {
                return Err(Stuck::Steps(steps));
            }
            if self.now > deadline {
                return Err(Stuck::Deadline(self.now));
            }
            if !self.step() {
                return Ok(steps);
            }
            steps += 1;
        }
    }
}

/// What a [`Script`] opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// Active OPEN from `local` (port 0: ephemeral) to `remote`.
    Client {
        /// Local socket.
        local: SocketAddrV4,
        /// Remote socket.
        remote: SocketAddrV4,
    },
    /// Passive OPEN on `local`; takes the first connection accepted.
    Server {
        /// Listening socket.
        local: SocketAddrV4,
    },
}

/// A scripted application for one side of a [`Sim`], for tests and the
/// benchmark: opens one connection, sends `data`, reads everything, and
/// closes once its data is queued, either at once (`close_first`) or after
/// the peer's FIN.
#[derive(Clone, Debug)]
pub struct Script {
    /// What to open.
    pub role: Role,
    /// The bytes to send.
    pub data: Vec<u8>,
    /// Close as soon as all data is queued, without waiting for the peer's
    /// FIN.
    pub close_first: bool,
    /// The connection, once open or accepted.
    pub handle: Option<ConnHandle>,
    /// Bytes of `data` SEND has taken.
    pub sent: usize,
    /// Everything RECEIVE returned, in order.
    pub received: Vec<u8>,
    /// Every event of the connection, in order.
    pub events: Vec<Event>,
    /// The error of the active OPEN, if it failed.
    pub open_error: Option<Error>,
    started: bool,
    peer_closed: bool,
    closed: bool,
}

impl Script {
    /// A script for `role` that sends `data`.
    pub fn new(role: Role, data: Vec<u8>, close_first: bool) -> Script {
        Script {
            role,
            data,
            close_first,
            handle: None,
            sent: 0,
            received: Vec::new(),
            events: Vec::new(),
            open_error: None,
            started: false,
            peer_closed: false,
            closed: false,
        }
    }

    /// The connection's terminal event, if it ended.
    pub fn terminal(&self) -> Option<Event> {
        self.events.iter().copied().find(|e| e.is_terminal())
    }

    /// Whether CLOSE was called.
    pub fn closed(&self) -> bool {
        self.closed
    }

    /// Acts on `ep` at `now`: opens, accepts, takes events, reads, sends
    /// and closes as far as it can.
    pub fn run(&mut self, ep: &mut Endpoint, now: Instant) {
        if !self.started {
            self.started = true;
            match self.role {
                Role::Client { local, remote } => match ep.connect(now, local, remote) {
                    Ok(h) => self.handle = Some(h),
                    Err(e) => self.open_error = Some(e),
                },
                Role::Server { local } => {
                    let _ = ep.listen(local);
                }
            }
        }
        if let (None, Role::Server { local }) = (self.handle, self.role) {
            self.handle = ep.accept(local);
        }
        while let Some((h, ev)) = ep.poll_event() {
            if Some(h) == self.handle {
                self.events.push(ev);
                if ev == Event::PeerClosed {
                    self.peer_closed = true;
                }
            }
        }
        let Some(h) = self.handle else { return };
        let mut buf = [0u8; 4096];
        while let Ok(n @ 1..) = ep.recv(now, h, &mut buf) {
            self.received.extend_from_slice(&buf[..n]);
        }
        if self.sent < self.data.len() {
            if let Ok(n) = ep.send(now, h, &self.data[self.sent..]) {
                self.sent += n;
            }
        }
        let established = ep
            .state(h)
            .is_some_and(|s| !matches!(s, State::SynSent | State::SynReceived | State::Listen));
        if !self.closed
            && established
            && self.sent == self.data.len()
            && (self.close_first || self.peer_closed)
        {
            self.closed = true;
            let _ = ep.close(now, h);
        }
    }
}
