//! Read-only views for an outsider (a harness, an embedder): a connection
//! or a passive child by 4-tuple, a 4-tuple in TIME-WAIT, the listeners.

use std::net::SocketAddrV4;
use std::time::Duration;

use super::handle::ConnHandle;
use super::quad::Quad;
use super::slot::Slot;
use super::Endpoint;
use crate::conn::State;
use crate::seq::SeqNum;
use crate::time::Instant;

/// Where a passive child stands before [`Endpoint::accept`] returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ChildStage {
    /// In SYN-RECEIVED, counted in the listener's backlog
    /// ([`Endpoint::half_open`]).
    Backlog,
    /// Past the handshake (ESTABLISHED, or beyond it if the peer already
    /// closed), waiting in the listener's accept queue
    /// ([`Endpoint::accept_queue_len`]).
    AcceptQueue,
}

/// A passive child that [`Endpoint::accept`] has not returned yet.
///
/// Its handle answers [`Endpoint::state`], [`Endpoint::connection`] and
/// the user calls already; `accept` only hands it to the application.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Child {
    /// The child's connection.
    pub handle: ConnHandle,
    /// The key of the listener that took its SYN (as passed to
    /// [`Endpoint::listen`], so possibly `0.0.0.0` and a port).
    pub listener: SocketAddrV4,
    /// Its local socket (the SYN's destination).
    pub local: SocketAddrV4,
    /// Its foreign socket (the SYN's source).
    pub remote: SocketAddrV4,
    /// Backlog or accept queue.
    pub stage: ChildStage,
}

/// A 4-tuple in TIME-WAIT (RFC 9293 §3.4.2): what the endpoint keeps of
/// it, whether compacted into the TIME-WAIT table or still a full TCB
/// (one with data left to read).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct TimeWaitInfo {
    /// The handle the connection had; its [`Event::Closed`] comes with it
    /// when 2·MSL ends.
    ///
    /// [`Event::Closed`]: crate::conn::Event::Closed
    pub handle: ConnHandle,
    /// Whether it was compacted into the TIME-WAIT table (the handle then
    /// no longer answers [`Endpoint::state`] or user calls).
    pub compact: bool,
    /// When 2·MSL ends (it restarts if the peer's FIN is retransmitted).
    pub expiry: Instant,
    /// SND.NXT: one past our FIN.
    pub snd_nxt: SeqNum,
    /// RCV.NXT: one past the peer's FIN.
    pub rcv_nxt: SeqNum,
}

impl TimeWaitInfo {
    /// How long TIME-WAIT lasts from `now` (zero once `expiry` has come).
    pub fn time_left(&self, now: Instant) -> Duration {
        self.expiry.saturating_duration_since(now)
    }
}

impl Endpoint {
    /// The connection with a TCB on the 4-tuple `local`–`remote`, however
    /// it was opened: an active OPEN, or a passive child of a listener
    /// from the moment its SYN arrived (in the backlog or the accept
    /// queue, before [`accept`](Self::accept) returns it, as after).
    /// `None` if there is none, and for a 4-tuple compacted into TIME-WAIT
    /// (see [`time_wait`](Self::time_wait)).
    pub fn lookup(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<ConnHandle> {
        let &i = self.conns.get(&Quad::new(local, remote))?;
        self.slots[i as usize]
            .conn
            .is_some()
            .then(|| self.handle(i))
    }

    /// The passive child on the 4-tuple `local`–`remote` that
    /// [`accept`](Self::accept) has not returned yet: its handle, its
    /// listener and whether it is still in SYN-RECEIVED or waits in the
    /// accept queue. `None` if there is no such child (no connection on
    /// that 4-tuple, an active one, or a child already accepted, or whose
    /// listener was closed).
    pub fn child(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<Child> {
        let &i = self.conns.get(&Quad::new(local, remote))?;
        self.child_at(i)
    }

    /// Every child of the listener on `listener` (the key given to
    /// [`listen`](Self::listen)) that [`accept`](Self::accept) has not
    /// returned yet: those in the accept queue first, in the order `accept`
    /// will return them, then those in SYN-RECEIVED. A scan of the
    /// connection table.
    pub fn children(&self, listener: SocketAddrV4) -> Vec<Child> {
        let Some(l) = self.listeners.get(&listener) else {
            return Vec::new();
        };
        let queued = l.accept_queue.iter().filter_map(|h| self.child_at(h.index));
        let half_open = (0..self.slots.len() as u32)
            .filter(|&i| {
                let s = &self.slots[i as usize];
                s.conn.is_some() && s.half_open && s.parent == Some(listener)
            })
            .filter_map(|i| self.child_at(i));
        queued.chain(half_open).collect()
    }

    /// The child in slot `i`, if it is one not yet accepted.
    fn child_at(&self, i: u32) -> Option<Child> {
        let s: &Slot = self.slots.get(i as usize)?;
        s.conn.as_ref()?;
        let listener = s.parent?;
        let stage = if s.half_open {
            ChildStage::Backlog
        } else if s.pending_accept {
            ChildStage::AcceptQueue
        } else {
            return None;
        };
        Some(Child {
            handle: self.handle(i),
            listener,
            local: s.quad.local(),
            remote: s.quad.remote(),
            stage,
        })
    }

    /// The 4-tuple `local`–`remote` in TIME-WAIT: the handle it had, when
    /// 2·MSL ends, and its last sequence numbers. Answers for an entry of
    /// the compact TIME-WAIT table (whose handle no longer answers
    /// [`state`](Self::state)) and for a connection still in TIME-WAIT
    /// with a full TCB because data is left to read. `None` if the 4-tuple
    /// is not in TIME-WAIT.
    pub fn time_wait(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<TimeWaitInfo> {
        let quad = Quad::new(local, remote);
        if let Some(e) = self.time_wait.get(&quad) {
            let (snd_nxt, rcv_nxt) = e.numbers();
            return Some(TimeWaitInfo {
                handle: e.handle,
                compact: true,
                expiry: e.expiry,
                snd_nxt,
                rcv_nxt,
            });
        }
        let &i = self.conns.get(&quad)?;
        let c = self.slots[i as usize].conn.as_ref()?;
        if c.state() != State::TimeWait {
            return None;
        }
        let (snd_nxt, rcv_nxt, expiry) = c.time_wait_parts();
        Some(TimeWaitInfo {
            handle: self.handle(i),
            compact: false,
            expiry: expiry?,
            snd_nxt,
            rcv_nxt,
        })
    }

    /// Whether a SYN to `local` would reach a listener: one opened on
    /// `local` itself, or on `0.0.0.0` and `local`'s port (RFC 9293
    /// §3.10.1 passive OPEN, the endpoint's demultiplexing order).
    pub fn is_listening(&self, local: SocketAddrV4) -> bool {
        self.listener_for(local).is_some()
    }

    /// The local sockets of every listener (as given to
    /// [`listen`](Self::listen) and not closed), in no particular order.
    pub fn listeners(&self) -> impl Iterator<Item = SocketAddrV4> + '_ {
        self.listeners.keys()
    }

    /// Connections of the listener on `local` waiting in its accept queue.
    pub fn accept_queue_len(&self, local: SocketAddrV4) -> usize {
        self.listeners
            .get(&local)
            .map_or(0, |l| l.accept_queue.len())
    }
}
