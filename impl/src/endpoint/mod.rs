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
//! [`Error::NoEphemeralPort`]: crate::conn::Error::NoEphemeralPort
//! [`Error::ConnectionDoesNotExist`]: crate::conn::Error::ConnectionDoesNotExist
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
//! already) and [`Endpoint::state`] answers `None`, but its terminal
//! [`Event::Closed`] still arrives with the handle when 2·MSL ends. A
//! connection that ended with unread data keeps its slot until
//! [`Endpoint::recv`] has drained it.
//!
//! # Looking inside from outside
//!
//! A harness or an embedder can see what the endpoint holds without
//! changing it (every getter takes `&self`):
//!
//! - [`Endpoint::lookup`]: the handle of the connection on a 4-tuple,
//!   passive children included before `accept` returns them;
//!   [`Endpoint::child`] and [`Endpoint::children`]: a listener's children
//!   that `accept` has not returned yet, in its SYN-RECEIVED backlog or
//!   its accept queue ([`ChildStage`]);
//! - [`Endpoint::time_wait`]: a 4-tuple in TIME-WAIT, compacted or not,
//!   with the handle it had and when 2·MSL ends ([`TimeWaitInfo`]). The
//!   compact table is keyed by 4-tuple only (a handle-to-entry index would
//!   cost every entry), so ask by 4-tuple; [`Endpoint::state_of`] does too;
//! - [`Endpoint::is_listening`], [`Endpoint::listeners`],
//!   [`Endpoint::half_open`], [`Endpoint::accept_queue_len`];
//! - [`Endpoint::poll_timeout`], and [`Endpoint::advance_to`] to let time
//!   pass firing each deadline at its own instant.

mod arrive;
mod handle;
mod hasher;
mod listener;
mod lookup;
mod quad;
mod slot;
mod stats;
mod time_wait;
mod timer;
mod user;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::mem::size_of;
use std::net::SocketAddrV4;

use crate::conn::{Config, Connection, Event, State};
use crate::isn::{IsnSource, Rfc6528Isn};
use crate::time::Instant;
use crate::wire::Segment;

pub use handle::ConnHandle;
pub use lookup::{Child, ChildStage, TimeWaitInfo};
pub use slot::SLOT_BYTES;
pub use stats::EndpointStats;
pub use time_wait::TIME_WAIT_ENTRY_BYTES;

use hasher::Keyed;
use listener::{Listener, Listeners};
use quad::Quad;
use slot::Slot;
use time_wait::TimeWait;
use timer::TimerKey;

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
    /// Every deadline, as a min-heap. Entries go stale when a timer moves
    /// or stops and are dropped lazily, but never left on top: every input
    /// ends with `settle_timers`, so `poll_timeout` can peek.
    timers: BinaryHeap<Reverse<(Instant, TimerKey)>>,
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
    /// in tests) and hash tables keyed by `table_key`. The endpoint owns its
    /// source and asks it only where an ISS is selected: an active OPEN
    /// ([`connect`](Self::connect)), a SYN taken by a listener, and a MAY-2
    /// reopening from TIME-WAIT. A harness that must choose each ISS can
    /// pass a source that reads a value it shares (an `Rc<Cell<SeqNum>>`,
    /// say).
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
    /// compacted into TIME-WAIT or freed. A compacted connection is still
    /// seen by its 4-tuple: [`time_wait`](Self::time_wait),
    /// [`state_of`](Self::state_of).
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
}
