//! The endpoint: every connection of one host, sans-IO.
//!
//! An [`Endpoint`] owns [`Connection`]s and does what a single TCB cannot:
//!
//! - **demultiplexing** by 4-tuple (local address and port, remote address
//!   and port);
//! - **listeners** (passive OPEN on an address or `0.0.0.0`) with a bounded
//!   SYN-RECEIVED backlog and a bounded accept queue, both
//!   [`Config::backlog`]: a SYN beyond the bound is dropped, so a SYN flood
//!   never grows memory without bound;
//! - the **RST** of RFC 9293 §3.10.7.1 for a segment that matches no
//!   connection, no TIME-WAIT entry and no listener;
//! - a compact **TIME-WAIT table**: a connection that enters TIME-WAIT (with
//!   nothing left for the application to read) is replaced by a
//!   [`TIME_WAIT_ENTRY_BYTES`]-byte record. A segment for it rebuilds the
//!   TCB with [`Connection::from_time_wait`], so the same §3.10.7 code
//!   answers it (re-ACK of a retransmitted FIN and 2·MSL restart, RFC 5961
//!   challenges, RFC 1337);
//! - **MAY-2** (RFC 9293 §3.6.1), behind [`Config::time_wait_reopen`]: a SYN
//!   above the old incarnation's numbers ([`Connection::may_reopen`])
//!   reopens a 4-tuple in TIME-WAIT through a listener. If the new
//!   handshake fails (the SYN was an old duplicate) the TIME-WAIT entry is
//!   put back, as MAY-2's second condition asks;
//! - **ephemeral ports** for active OPENs: the next port, round-robin, of the
//!   configured range that no connection, TIME-WAIT entry or listener uses
//!   towards that remote socket, or [`Error::NoEphemeralPort`].
//!
//! # Sans-IO contract
//!
//! As for [`Connection`]: every input ([`Endpoint::handle_segment`],
//! [`Endpoint::handle_timeout`], the user calls) takes `now`, which never
//! goes backwards. After each input, pull [`Endpoint::poll_transmit`] until
//! `None`, then [`Endpoint::poll_timeout`], then [`Endpoint::poll_event`]
//! until `None`. Events carry the [`ConnHandle`] of their connection.
//!
//! # Handles
//!
//! A [`ConnHandle`] names one connection for its whole life. Once the
//! connection has been compacted into TIME-WAIT, user calls on the handle
//! return [`Error::ConnectionDoesNotExist`] (the application has closed it
//! already), but its terminal [`Event::Closed`] still arrives with the
//! handle when 2·MSL ends. A connection that ended with unread data keeps
//! its slot until [`Endpoint::recv`] has drained it.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};

use crate::conn::{
    listen_verdict, reset_for, Config, Connection, Error, Event, ListenVerdict, State,
};
use crate::isn::{IsnSource, Rfc6528Isn};
use crate::seq::SeqNum;
use crate::time::Instant;
use crate::wire::Segment;

/// Names one connection of an [`Endpoint`]. Handles are never reused: a
/// slot that is freed and taken again gets a new generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnHandle {
    index: u32,
    generation: u32,
}

/// A 4-tuple, packed: 12 bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Quad {
    local_ip: u32,
    remote_ip: u32,
    local_port: u16,
    remote_port: u16,
}

impl std::hash::Hash for Quad {
    /// Two writes instead of four: the tables hash on every segment.
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        state.write_u64(u64::from(self.local_ip) << 32 | u64::from(self.remote_ip));
        state.write_u32(u32::from(self.local_port) << 16 | u32::from(self.remote_port));
    }
}

impl Quad {
    fn new(local: SocketAddrV4, remote: SocketAddrV4) -> Quad {
        Quad {
            local_ip: u32::from(*local.ip()),
            remote_ip: u32::from(*remote.ip()),
            local_port: local.port(),
            remote_port: remote.port(),
        }
    }

    fn local(self) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(self.local_ip), self.local_port)
    }

    fn remote(self) -> SocketAddrV4 {
        SocketAddrV4::new(Ipv4Addr::from(self.remote_ip), self.remote_port)
    }
}

/// What is left of a connection in TIME-WAIT: enough to rebuild its TCB
/// with [`Connection::from_time_wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TimeWait {
    snd_nxt: u32,
    rcv_nxt: u32,
    /// When 2·MSL ends.
    expiry: Instant,
    /// RFC 5961 §7 rate limit: start of the interval in µs, `u64::MAX` for
    /// none.
    challenge_since: u64,
    challenge_count: u32,
    /// The handle the application knew, for the final [`Event::Closed`].
    handle: ConnHandle,
}

impl TimeWait {
    fn of(conn: &Connection, handle: ConnHandle, now: Instant) -> TimeWait {
        let (snd_nxt, rcv_nxt, expiry) = conn.time_wait_parts();
        let (since, count) = conn.challenge_state();
        TimeWait {
            snd_nxt: snd_nxt.0,
            rcv_nxt: rcv_nxt.0,
            expiry: expiry.unwrap_or(now),
            challenge_since: since.map_or(u64::MAX, Instant::as_micros),
            challenge_count: count,
            handle,
        }
    }

    fn to_connection(self, config: Config, quad: Quad) -> Connection {
        let since =
            (self.challenge_since != u64::MAX).then(|| Instant::from_micros(self.challenge_since));
        Connection::from_time_wait(
            config,
            quad.local(),
            quad.remote(),
            SeqNum(self.snd_nxt),
            SeqNum(self.rcv_nxt),
            self.expiry,
            (since, self.challenge_count),
        )
    }
}

/// Bytes of one TIME-WAIT table element: the packed 4-tuple and the record
/// (the hash table adds one control byte per bucket).
pub const TIME_WAIT_ENTRY_BYTES: usize = size_of::<(Quad, TimeWait)>();

// The target, checked at compile time.
const _: () = assert!(TIME_WAIT_ENTRY_BYTES <= 64);

/// Bytes of one connection slot (the inline [`Connection`] and the
/// endpoint's bookkeeping), without the connection's queues.
pub const SLOT_BYTES: usize = size_of::<Slot>();

/// One entry of the connection table.
#[derive(Debug)]
struct Slot {
    generation: u32,
    /// The 4-tuple it was created for (a child reset back to LISTEN no
    /// longer knows its remote socket).
    quad: Quad,
    /// `None`: the slot is free.
    conn: Option<Connection>,
    /// The listener that created it (its key), if passive.
    parent: Option<SocketAddrV4>,
    /// Counted in the parent's SYN-RECEIVED backlog.
    half_open: bool,
    /// In the parent's accept queue, not accepted yet.
    pending_accept: bool,
    /// The expiry last pushed to the timer heap.
    timer: Option<Instant>,
    /// MAY-2: the TIME-WAIT entry this connection replaced, restored if
    /// the new handshake fails.
    reopened: Option<(Quad, TimeWait)>,
}

/// A passive OPEN.
#[derive(Debug, Default)]
struct Listener {
    /// Children in SYN-RECEIVED.
    half_open: usize,
    /// Children that reached ESTABLISHED, waiting for [`Endpoint::accept`].
    accept_queue: VecDeque<ConnHandle>,
}

/// The listeners, by local socket. A host has few, and looking one up is
/// on the path of every SYN and every `accept`: a linear scan beats
/// hashing, and the application, not the network, decides how many.
#[derive(Debug, Default)]
struct Listeners(Vec<(SocketAddrV4, Listener)>);

impl Listeners {
    fn get(&self, k: &SocketAddrV4) -> Option<&Listener> {
        self.0.iter().find(|(a, _)| a == k).map(|(_, l)| l)
    }
    fn get_mut(&mut self, k: &SocketAddrV4) -> Option<&mut Listener> {
        self.0.iter_mut().find(|(a, _)| a == k).map(|(_, l)| l)
    }
    fn contains_key(&self, k: &SocketAddrV4) -> bool {
        self.0.iter().any(|(a, _)| a == k)
    }
    fn insert(&mut self, k: SocketAddrV4, l: Listener) {
        self.0.push((k, l));
    }
    fn remove(&mut self, k: &SocketAddrV4) -> Option<Listener> {
        let i = self.0.iter().position(|(a, _)| a == k)?;
        Some(self.0.swap_remove(i).1)
    }
    fn len(&self) -> usize {
        self.0.len()
    }
    fn capacity(&self) -> usize {
        self.0.capacity()
    }
    fn values(&self) -> impl Iterator<Item = &Listener> {
        self.0.iter().map(|(_, l)| l)
    }
}

/// What the timer heap can wake up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum TimerKey {
    Conn(u32, u32),
    TimeWait(Quad),
}

/// Counters, for tests and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// SYNs dropped because a listener's backlog or accept queue was full.
    pub syn_dropped: u64,
    /// RSTs sent for segments that matched nothing (§3.10.7.1) or hit a
    /// listener with an ACK (§3.10.7.2).
    pub resets_sent: u64,
    /// Connections compacted into the TIME-WAIT table.
    pub time_wait_entered: u64,
    /// Connections reopened from TIME-WAIT (MAY-2).
    pub time_wait_reopened: u64,
}

/// A keyed hasher for the tables, so that remote peers cannot choose
/// 4-tuples that collide (the key comes from the caller, like the ISN
/// secret: no global randomness).
///
/// It is the folded 64×64→128-bit multiply of foldhash (hashbrown's
/// default hasher) with a secret seed, rather than SipHash: the tables are
/// hashed several times per segment, and SipHash-1-3 was about a tenth of
/// the benchmark's instructions. Like foldhash it resists collision
/// flooding by a peer who does not know the key, without being a
/// cryptographic PRF (the ISN, which must be one, uses SipHash-2-4).
#[derive(Clone, Copy, Debug)]
struct Keyed([u64; 2]);

impl Keyed {
    fn new(key: [u8; 16]) -> Keyed {
        let (a, b) = key.split_at(8);
        let word = |s: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            u64::from_le_bytes(w)
        };
        // [seed, multiplier]: the multiplier is odd whatever the key, so
        // no input bit is lost.
        Keyed([word(a), (word(b) ^ 0x243F_6A88_85A3_08D3) | 1])
    }
}

/// `x · y` as a 128-bit product, its two halves xored.
const fn folded_multiply(x: u64, y: u64) -> u64 {
    let p = (x as u128) * (y as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The hasher [`Keyed`] builds.
#[derive(Clone, Copy, Debug)]
struct FoldHasher {
    acc: u64,
    key: u64,
}

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.acc = folded_multiply(self.acc ^ x, self.key);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn finish(&self) -> u64 {
        folded_multiply(self.acc, self.key.rotate_left(17) | 1)
    }
}

impl BuildHasher for Keyed {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher {
            acc: self.0[0],
            key: self.0[1],
        }
    }
}

/// Every connection, listener and TIME-WAIT entry of one host.
///
/// See the [module documentation](self) for the call order.
pub struct Endpoint {
    config: Config,
    isn: Box<dyn IsnSource>,
    slots: Vec<Slot>,
    free: Vec<u32>,
    live: usize,
    conns: HashMap<Quad, u32, Keyed>,
    listeners: Listeners,
    time_wait: HashMap<Quad, TimeWait, Keyed>,
    timers: BinaryHeap<Reverse<(Instant, TimerKey)>>,
    /// What `poll_timeout` last found, until the next input or user call
    /// (`None`: not known).
    next_timeout: Option<Option<Instant>>,
    outbox: VecDeque<Segment>,
    events: VecDeque<(ConnHandle, Event)>,
    /// Where the search for a free ephemeral port starts (an offset into
    /// the range).
    port_cursor: u32,
    stats: EndpointStats,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("connections", &self.live)
            .field("listeners", &self.listeners.len())
            .field("time_wait", &self.time_wait.len())
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// An endpoint with RFC 6528 ISNs keyed by `secret`, and its hash
    /// tables keyed by a value derived from `secret`. Draw `secret` from
    /// the OS once per boot in a real driver; fix it in tests.
    pub fn new(config: Config, secret: [u8; 16]) -> Endpoint {
        let mut table_key = secret;
        table_key.reverse();
        for b in &mut table_key {
            *b ^= 0x5C;
        }
        Endpoint::with_isn(config, Box::new(Rfc6528Isn::new(secret)), table_key)
    }

    /// An endpoint with the ISN source `isn` (e.g. [`crate::isn::FixedIsn`]
    /// in tests) and hash tables keyed by `table_key`.
    pub fn with_isn(config: Config, isn: Box<dyn IsnSource>, table_key: [u8; 16]) -> Endpoint {
        let k = Keyed::new(table_key);
        Endpoint {
            config,
            isn,
            slots: Vec::new(),
            free: Vec::new(),
            live: 0,
            conns: HashMap::with_hasher(k),
            listeners: Listeners::default(),
            time_wait: HashMap::with_hasher(k),
            timers: BinaryHeap::new(),
            next_timeout: None,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
            port_cursor: 0,
            stats: EndpointStats::default(),
        }
    }

    // ------------------------------------------------------------------
    // Getters.

    /// The configuration every connection of this endpoint runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Counters.
    pub fn stats(&self) -> EndpointStats {
        self.stats
    }

    /// The connection behind `h`, while it has a full TCB.
    pub fn connection(&self, h: ConnHandle) -> Option<&Connection> {
        self.slots
            .get(h.index as usize)
            .filter(|s| s.generation == h.generation)
            .and_then(|s| s.conn.as_ref())
    }

    /// The state of the connection behind `h`: `None` once it was
    /// compacted into TIME-WAIT or freed.
    pub fn state(&self, h: ConnHandle) -> Option<State> {
        self.connection(h).map(Connection::state)
    }

    /// The state of the connection between `local` and `remote`, TIME-WAIT
    /// entries included; `None` (CLOSED) if there is none.
    pub fn state_of(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<State> {
        let quad = Quad::new(local, remote);
        if let Some(&i) = self.conns.get(&quad) {
            return self.slots[i as usize].conn.as_ref().map(Connection::state);
        }
        self.time_wait
            .contains_key(&quad)
            .then_some(State::TimeWait)
    }

    /// Connections with a full TCB (not counting TIME-WAIT entries).
    pub fn connection_count(&self) -> usize {
        self.live
    }

    /// Entries in the TIME-WAIT table.
    pub fn time_wait_count(&self) -> usize {
        self.time_wait.len()
    }

    /// Connections of the listener on `local` in SYN-RECEIVED.
    pub fn half_open(&self, local: SocketAddrV4) -> usize {
        self.listeners.get(&local).map_or(0, |l| l.half_open)
    }

    /// Heap bytes the endpoint holds: its tables (by their allocated
    /// capacity) and every connection's queues. An estimate in that the
    /// hash tables are counted as `capacity · 8/7` buckets of one element
    /// plus one control byte, as hashbrown lays them out.
    pub fn heap_bytes(&self) -> usize {
        fn table<T>(cap: usize) -> usize {
            if cap == 0 {
                0
            } else {
                let buckets = (cap * 8 / 7).next_power_of_two();
                buckets * (size_of::<T>() + 1)
            }
        }
        let conns: usize = self
            .slots
            .iter()
            .filter_map(|s| s.conn.as_ref())
            .map(Connection::heap_bytes)
            .sum();
        let queued: usize = self.outbox.iter().map(|s| s.payload.capacity()).sum();
        let accept: usize = self
            .listeners
            .values()
            .map(|l| l.accept_queue.capacity() * size_of::<ConnHandle>())
            .sum();
        self.slots.capacity() * size_of::<Slot>()
            + conns
            + self.free.capacity() * size_of::<u32>()
            + table::<(Quad, u32)>(self.conns.capacity())
            + self.listeners.capacity() * size_of::<(SocketAddrV4, Listener)>()
            + accept
            + table::<(Quad, TimeWait)>(self.time_wait.capacity())
            + self.timers.capacity() * size_of::<Reverse<(Instant, TimerKey)>>()
            + self.outbox.capacity() * size_of::<Segment>()
            + queued
            + self.events.capacity() * size_of::<(ConnHandle, Event)>()
    }

    // ------------------------------------------------------------------
    // Outputs.

    /// The next segment to put on the wire.
    pub fn poll_transmit(&mut self) -> Option<Segment> {
        self.outbox.pop_front()
    }

    /// The next event for the application, with its connection.
    pub fn poll_event(&mut self) -> Option<(ConnHandle, Event)> {
        self.events.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&mut self) -> Option<Instant> {
        if let Some(cached) = self.next_timeout {
            return cached;
        }
        let mut next = None;
        while let Some(&Reverse((t, key))) = self.timers.peek() {
            if self.timer_is_live(t, key) {
                next = Some(t);
                break;
            }
            self.timers.pop();
        }
        self.next_timeout = Some(next);
        next
    }

    /// Whether a heap entry is still the current expiry of its owner.
    fn timer_is_live(&self, t: Instant, key: TimerKey) -> bool {
        match key {
            TimerKey::Conn(i, g) => self
                .slots
                .get(i as usize)
                .is_some_and(|s| s.generation == g && s.conn.is_some() && s.timer == Some(t)),
            TimerKey::TimeWait(q) => self.time_wait.get(&q).is_some_and(|e| e.expiry == t),
        }
    }

    fn push_timer(&mut self, t: Instant, key: TimerKey) {
        self.timers.push(Reverse((t, key)));
        // Stale entries (timers moved or stopped) are dropped lazily; keep
        // the heap within a constant factor of the live timers.
        if self.timers.len() > 64 + 2 * (self.live + self.time_wait.len()) {
            let heap = std::mem::take(&mut self.timers);
            self.timers = heap
                .into_iter()
                .filter(|&Reverse((t, k))| self.timer_is_live(t, k))
                .collect();
        }
    }

    // ------------------------------------------------------------------
    // Inputs.

    /// Services every connection timer and TIME-WAIT expiry due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.next_timeout = None;
        while let Some(&Reverse((t, key))) = self.timers.peek() {
            if t > now {
                break;
            }
            self.timers.pop();
            if !self.timer_is_live(t, key) {
                continue;
            }
            match key {
                TimerKey::Conn(i, _) => {
                    let slot = &mut self.slots[i as usize];
                    slot.timer = None;
                    if let Some(conn) = slot.conn.as_mut() {
                        conn.handle_timeout(now);
                    }
                    self.after(i, now);
                }
                TimerKey::TimeWait(q) => {
                    // §3.10.8: "If the time-wait timeout expires on a
                    // connection, delete the TCB, enter the CLOSED state".
                    if let Some(e) = self.time_wait.remove(&q) {
                        self.events.push_back((e.handle, Event::Closed));
                    }
                }
            }
        }
    }

    /// A segment arrived from the network. It goes to the connection of
    /// its 4-tuple, else to its TIME-WAIT entry, else to a listener on its
    /// destination (exact address first, then `0.0.0.0`), else it is
    /// answered per §3.10.7.1.
    pub fn handle_segment(&mut self, now: Instant, seg: &Segment) {
        self.next_timeout = None;
        let quad = Quad::new(seg.dst, seg.src);
        if let Some(&i) = self.conns.get(&quad) {
            if let Some(conn) = self.slots[i as usize].conn.as_mut() {
                conn.handle_segment(now, seg, &mut *self.isn);
            }
            self.after(i, now);
            return;
        }
        if let Some(&entry) = self.time_wait.get(&quad) {
            self.time_wait_segment(now, quad, entry, seg);
            return;
        }
        if let Some(key) = self.listener_for(seg.dst) {
            self.listen_segment(now, key, seg, None);
            return;
        }
        // §3.10.7.1: "If the state is CLOSED (i.e., TCB does not exist)
        // then all data in the incoming segment is discarded. An incoming
        // segment containing a RST is discarded. An incoming segment not
        // containing a RST causes a RST to be sent in response."
        if let Some(rst) = reset_for(seg) {
            self.stats.resets_sent += 1;
            self.outbox.push_back(rst);
        }
    }

    /// The listener `dst` reaches: on its exact address, else on
    /// `0.0.0.0` and its port.
    fn listener_for(&self, dst: SocketAddrV4) -> Option<SocketAddrV4> {
        if self.listeners.contains_key(&dst) {
            return Some(dst);
        }
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, dst.port());
        self.listeners.contains_key(&any).then_some(any)
    }

    /// §3.10.7.2 at the listener `key`. A SYN takes a backlog slot if one
    /// is free and is dropped otherwise (no RST: the peer retries, as with
    /// a lost SYN). `reopened` is the TIME-WAIT entry a MAY-2 SYN replaces.
    fn listen_segment(
        &mut self,
        now: Instant,
        key: SocketAddrV4,
        seg: &Segment,
        reopened: Option<(Quad, TimeWait)>,
    ) {
        match listen_verdict(seg) {
            ListenVerdict::Ignore => {}
            ListenVerdict::Reset(rst) => {
                self.stats.resets_sent += 1;
                self.outbox.push_back(rst);
            }
            ListenVerdict::Syn => {
                let backlog = self.config.backlog;
                let full = self
                    .listeners
                    .get(&key)
                    .is_none_or(|l| l.half_open >= backlog || l.accept_queue.len() >= backlog);
                let conn = if full {
                    None
                } else {
                    Connection::accept(self.config, now, key, seg, &mut *self.isn)
                };
                let Some(conn) = conn else {
                    self.stats.syn_dropped += u64::from(full);
                    if let Some((q, e)) = reopened {
                        self.restore_time_wait(q, e, now);
                    }
                    return;
                };
                let i = self.alloc(conn);
                let quad = self.slots[i as usize].quad;
                let slot = &mut self.slots[i as usize];
                slot.parent = Some(key);
                slot.half_open = true;
                slot.reopened = reopened;
                if let Some(l) = self.listeners.get_mut(&key) {
                    l.half_open += 1;
                }
                self.conns.insert(quad, i);
                self.after(i, now);
            }
        }
    }

    /// A segment for a 4-tuple in TIME-WAIT: MAY-2 reopening, else the
    /// rebuilt TCB processes it and the entry is updated (2·MSL restart,
    /// challenge-ACK counter) or removed (an RST accepted with RFC 1337
    /// off).
    fn time_wait_segment(&mut self, now: Instant, quad: Quad, entry: TimeWait, seg: &Segment) {
        let mut conn = entry.to_connection(self.config, quad);
        if conn.may_reopen(seg) {
            if let Some(key) = self.listener_for(seg.dst) {
                self.time_wait.remove(&quad);
                self.stats.time_wait_reopened += 1;
                self.listen_segment(now, key, seg, Some((quad, entry)));
                return;
            }
        }
        conn.handle_segment(now, seg, &mut *self.isn);
        while let Some(s) = conn.poll_transmit() {
            self.outbox.push_back(s);
        }
        while let Some(ev) = conn.poll_event() {
            self.events.push_back((entry.handle, ev));
        }
        if conn.state() == State::TimeWait {
            let updated = TimeWait::of(&conn, entry.handle, now);
            self.time_wait.insert(quad, updated);
            if updated.expiry != entry.expiry {
                self.push_timer(updated.expiry, TimerKey::TimeWait(quad));
            }
        } else {
            self.time_wait.remove(&quad);
        }
    }

    /// Puts back a TIME-WAIT entry that a MAY-2 SYN had replaced, or ends
    /// it if its 2·MSL has passed meanwhile.
    fn restore_time_wait(&mut self, quad: Quad, entry: TimeWait, now: Instant) {
        if entry.expiry <= now || self.conns.contains_key(&quad) {
            self.events.push_back((entry.handle, Event::Closed));
        } else {
            self.time_wait.insert(quad, entry);
            self.push_timer(entry.expiry, TimerKey::TimeWait(quad));
        }
    }

    // ------------------------------------------------------------------
    // User calls.

    /// Active OPEN from `local` to `remote` (RFC 9293 §3.10.1). Port 0 in
    /// `local` picks an ephemeral port.
    ///
    /// # Errors
    ///
    /// - [`Error::ConnectionIllegal`]: `local`'s address, or `remote`, is
    ///   unspecified;
    /// - [`Error::ConnectionAlreadyExists`]: the 4-tuple is in use or in
    ///   TIME-WAIT;
    /// - [`Error::NoEphemeralPort`]: port 0 was asked for and every port
    ///   of the range is taken towards `remote`.
    pub fn connect(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<ConnHandle, Error> {
        self.next_timeout = None;
        if local.ip().is_unspecified() || remote.ip().is_unspecified() || remote.port() == 0 {
            return Err(Error::ConnectionIllegal);
        }
        let local = if local.port() == 0 {
            SocketAddrV4::new(*local.ip(), self.ephemeral_port(*local.ip(), remote)?)
        } else {
            let quad = Quad::new(local, remote);
            if self.conns.contains_key(&quad) || self.time_wait.contains_key(&quad) {
                return Err(Error::ConnectionAlreadyExists);
            }
            local
        };
        let conn = Connection::connect(self.config, now, local, remote, &mut *self.isn)?;
        let i = self.alloc(conn);
        self.conns.insert(Quad::new(local, remote), i);
        self.after(i, now);
        Ok(self.handle(i))
    }

    /// The first free port of the ephemeral range towards `remote`,
    /// searching round-robin from after the last one handed out. A port is
    /// taken if a connection or a TIME-WAIT entry uses it with `remote`,
    /// or a listener uses it at all.
    fn ephemeral_port(&mut self, ip: Ipv4Addr, remote: SocketAddrV4) -> Result<u16, Error> {
        let min = u32::from(self.config.ephemeral_port_min);
        let max = u32::from(self.config.ephemeral_port_max);
        if min == 0 || max < min {
            return Err(Error::NoEphemeralPort);
        }
        let n = max - min + 1;
        for k in 0..n {
            let offset = (self.port_cursor + k) % n;
            let port = (min + offset) as u16;
            let local = SocketAddrV4::new(ip, port);
            let quad = Quad::new(local, remote);
            if self.conns.contains_key(&quad)
                || self.time_wait.contains_key(&quad)
                || self.listener_for(local).is_some()
            {
                continue;
            }
            self.port_cursor = (offset + 1) % n;
            return Ok(port);
        }
        Err(Error::NoEphemeralPort)
    }

    /// Passive OPEN on `local` (its address may be `0.0.0.0`).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionAlreadyExists`] if `local` already listens.
    pub fn listen(&mut self, local: SocketAddrV4) -> Result<(), Error> {
        self.next_timeout = None;
        if local.port() == 0 {
            return Err(Error::ConnectionIllegal);
        }
        if self.listeners.contains_key(&local) {
            return Err(Error::ConnectionAlreadyExists);
        }
        self.listeners.insert(local, Listener::default());
        Ok(())
    }

    /// CLOSE of a listener (RFC 9293 §3.10.4, LISTEN: delete the TCB).
    /// Its connections live on; those not accepted yet are no longer
    /// offered by [`accept`](Self::accept).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionDoesNotExist`] if `local` does not listen.
    pub fn close_listener(&mut self, local: SocketAddrV4) -> Result<(), Error> {
        self.next_timeout = None;
        let l = self
            .listeners
            .remove(&local)
            .ok_or(Error::ConnectionDoesNotExist)?;
        for h in l.accept_queue {
            if let Some(s) = self.slot_mut(h) {
                s.pending_accept = false;
            }
        }
        for s in &mut self.slots {
            if s.parent == Some(local) {
                s.parent = None;
                s.half_open = false;
            }
        }
        Ok(())
    }

    /// The next connection the listener on `local` has established, if
    /// any. Until it is accepted, a connection holds a place in the
    /// listener's accept queue (bounded by [`Config::backlog`]).
    pub fn accept(&mut self, local: SocketAddrV4) -> Option<ConnHandle> {
        self.next_timeout = None;
        let l = self.listeners.get_mut(&local)?;
        let h = l.accept_queue.pop_front()?;
        if let Some(s) = self.slot_mut(h) {
            s.pending_accept = false;
        }
        Some(h)
    }

    /// SEND (RFC 9293 §3.10.2) on `h`; see [`Connection::send`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::send`]; [`Error::ConnectionDoesNotExist`] for
    /// a handle without a TCB.
    pub fn send(&mut self, now: Instant, h: ConnHandle, data: &[u8]) -> Result<usize, Error> {
        self.next_timeout = None;
        let r = self.conn_mut(h)?.send(now, data);
        self.after(h.index, now);
        r
    }

    /// RECEIVE (RFC 9293 §3.10.3) on `h`; see [`Connection::recv`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::recv`]; [`Error::ConnectionDoesNotExist`] for
    /// a handle without a TCB.
    pub fn recv(&mut self, now: Instant, h: ConnHandle, buf: &mut [u8]) -> Result<usize, Error> {
        self.next_timeout = None;
        let r = self.conn_mut(h)?.recv(now, buf);
        self.after(h.index, now);
        r
    }

    /// CLOSE (RFC 9293 §3.10.4) on `h`; see [`Connection::close`].
    ///
    /// # Errors
    ///
    /// Those of [`Connection::close`]; [`Error::ConnectionDoesNotExist`]
    /// for a handle without a TCB.
    pub fn close(&mut self, now: Instant, h: ConnHandle) -> Result<(), Error> {
        self.next_timeout = None;
        let r = self.conn_mut(h)?.close(now);
        self.after(h.index, now);
        r
    }

    /// ABORT (RFC 9293 §3.10.5) on `h`; see [`Connection::abort`].
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionDoesNotExist`] for a handle without a TCB.
    pub fn abort(&mut self, now: Instant, h: ConnHandle) -> Result<(), Error> {
        self.next_timeout = None;
        let r = self.conn_mut(h)?.abort(now);
        self.after(h.index, now);
        r
    }

    // ------------------------------------------------------------------
    // Slots.

    fn handle(&self, i: u32) -> ConnHandle {
        ConnHandle {
            index: i,
            generation: self.slots[i as usize].generation,
        }
    }

    fn slot_mut(&mut self, h: ConnHandle) -> Option<&mut Slot> {
        self.slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation && s.conn.is_some())
    }

    fn conn_mut(&mut self, h: ConnHandle) -> Result<&mut Connection, Error> {
        self.slot_mut(h)
            .and_then(|s| s.conn.as_mut())
            .ok_or(Error::ConnectionDoesNotExist)
    }

    fn alloc(&mut self, conn: Connection) -> u32 {
        self.live += 1;
        let slot = Slot {
            generation: 0,
            quad: Quad::new(conn.local(), conn.remote()),
            conn: Some(conn),
            parent: None,
            half_open: false,
            pending_accept: false,
            timer: None,
            reopened: None,
        };
        if let Some(i) = self.free.pop() {
            let s = &mut self.slots[i as usize];
            *s = Slot {
                generation: s.generation,
                ..slot
            };
            i
        } else {
            self.slots.push(slot);
            (self.slots.len() - 1) as u32
        }
    }

    /// Frees slot `i`: the handle dies, the 4-tuple is forgotten.
    fn free_slot(&mut self, i: u32, quad: Quad) {
        if let Some(j) = self.conns.remove(&quad) {
            if j != i {
                self.conns.insert(quad, j);
            }
        }
        let h = self.handle(i);
        let s = &mut self.slots[i as usize];
        if s.pending_accept {
            if let Some(l) = s.parent.and_then(|p| self.listeners.get_mut(&p)) {
                l.accept_queue.retain(|&x| x != h);
            }
        }
        let s = &mut self.slots[i as usize];
        s.conn = None;
        s.parent = None;
        s.half_open = false;
        s.pending_accept = false;
        s.timer = None;
        s.reopened = None;
        s.generation = s.generation.wrapping_add(1);
        self.live -= 1;
        self.free.push(i);
    }

    /// After any input or user call on slot `i`: collects its segments and
    /// events, keeps the listener's backlog and accept queue, moves it to
    /// TIME-WAIT or frees it, and reschedules its timer.
    fn after(&mut self, i: u32, now: Instant) {
        let h = self.handle(i);
        let slot = &mut self.slots[i as usize];
        let Some(conn) = slot.conn.as_mut() else {
            return;
        };
        while let Some(s) = conn.poll_transmit() {
            self.outbox.push_back(s);
        }
        while let Some(ev) = conn.poll_event() {
            self.events.push_back((h, ev));
        }
        let state = conn.state();
        let quad = slot.quad;
        let unread = conn.recv_queue_len();

        if slot.half_open && state != State::SynReceived {
            // The handshake is over, one way or the other.
            slot.half_open = false;
            let established = !matches!(state, State::Listen | State::Closed);
            let reopened = slot.reopened.take();
            if established {
                slot.pending_accept = true;
            }
            if let Some(l) = slot.parent.and_then(|p| self.listeners.get_mut(&p)) {
                l.half_open -= 1;
                if established {
                    l.accept_queue.push_back(h);
                }
            } else {
                self.slots[i as usize].pending_accept = false;
            }
            if let Some((q, e)) = reopened {
                if established {
                    // The new incarnation took over the 4-tuple.
                    self.events.push_back((e.handle, Event::Closed));
                } else {
                    // MAY-2 (2): an old duplicate; back to TIME-WAIT.
                    self.free_slot(i, quad);
                    self.restore_time_wait(q, e, now);
                    return;
                }
            }
        }

        match state {
            // A passive child reset back to LISTEN (Figure 5 note 1): the
            // listener itself lives on in the endpoint.
            State::Listen => self.free_slot(i, quad),
            State::Closed => {
                // The TCB is deleted: the 4-tuple is free again. The slot
                // stays while the application has data to read.
                if self.conns.get(&quad) == Some(&i) {
                    self.conns.remove(&quad);
                }
                self.slots[i as usize].timer = None;
                if unread == 0 {
                    self.free_slot(i, quad);
                }
            }
            State::TimeWait if unread == 0 => {
                let tw = match self.slots[i as usize].conn.as_ref() {
                    Some(c) => TimeWait::of(c, h, now),
                    None => return,
                };
                self.free_slot(i, quad);
                self.stats.time_wait_entered += 1;
                self.time_wait.insert(quad, tw);
                self.push_timer(tw.expiry, TimerKey::TimeWait(quad));
            }
            _ => {
                let slot = &mut self.slots[i as usize];
                let t = slot.conn.as_ref().and_then(Connection::poll_timeout);
                if t != slot.timer {
                    slot.timer = t;
                    if let Some(t) = t {
                        self.push_timer(t, TimerKey::Conn(i, h.generation));
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The table hash spreads the 4-tuples an attacker or a busy client
    /// produces (one remote, consecutive ports or addresses) over buckets
    /// as a random function would: of 65536 tuples, about 63 % land in
    /// distinct low-16-bit buckets, and the top 7 bits (hashbrown's
    /// control byte) take all 128 values.
    #[test]
    fn table_hash_spreads_sequential_tuples() {
        use std::collections::HashSet;
        use std::hash::BuildHasher;
        let k = Keyed::new([0; 16]);
        for vary in [0, 1] {
            let mut low = HashSet::new();
            let mut top = HashSet::new();
            for i in 0..65536u32 {
                let q = Quad {
                    local_ip: 0x0A00_0001,
                    remote_ip: if vary == 0 {
                        0x0A00_0002
                    } else {
                        0x0B00_0000 + i
                    },
                    local_port: 80,
                    remote_port: if vary == 0 { i as u16 } else { 443 },
                };
                let h = k.hash_one(q);
                low.insert(h & 0xFFFF);
                top.insert(h >> 57);
            }
            assert!(low.len() > 39_000, "{} distinct low buckets", low.len());
            assert_eq!(top.len(), 128);
        }
    }

    #[test]
    fn time_wait_entry_is_compact() {
        assert_eq!(size_of::<Quad>(), 12);
    }
}
