//! [`Slot`]: one entry of the endpoint's connection table, and how slots
//! are taken, freed and kept in step with their connection after every
//! input.

use std::mem::size_of;
use std::net::SocketAddrV4;

use super::handle::ConnHandle;
use super::quad::Quad;
use super::time_wait::TimeWait;
use super::timer::TimerKey;
use super::Endpoint;
use crate::conn::{Connection, Error, Event, State};
use crate::time::Instant;

/// Bytes of one connection slot (the inline [`Connection`] and the
/// endpoint's bookkeeping), without the connection's queues.
pub const SLOT_BYTES: usize = size_of::<Slot>();

/// One entry of the connection table.
#[derive(Debug)]
pub(super) struct Slot {
    pub(super) generation: u32,
    /// The 4-tuple it was created for (a child reset back to LISTEN no
    /// longer knows its remote socket).
    pub(super) quad: Quad,
    /// `None`: the slot is free.
    pub(super) conn: Option<Connection>,
    /// The listener that created it (its key), if passive.
    pub(super) parent: Option<SocketAddrV4>,
    /// Counted in the parent's SYN-RECEIVED backlog.
    pub(super) half_open: bool,
    /// In the parent's accept queue, not accepted yet.
    pub(super) pending_accept: bool,
    /// The expiry last pushed to the timer heap.
    pub(super) timer: Option<Instant>,
    /// MAY-2: the TIME-WAIT entry this connection replaced, restored if
    /// the new handshake fails.
    pub(super) reopened: Option<(Quad, TimeWait)>,
}

impl Endpoint {
    pub(super) fn handle(&self, i: u32) -> ConnHandle {
        ConnHandle {
            index: i,
            generation: self.slots[i as usize].generation,
        }
    }

    pub(super) fn slot_mut(&mut self, h: ConnHandle) -> Option<&mut Slot> {
        self.slots
            .get_mut(h.index as usize)
            .filter(|s| s.generation == h.generation && s.conn.is_some())
    }

    pub(super) fn conn_mut(&mut self, h: ConnHandle) -> Result<&mut Connection, Error> {
        self.slot_mut(h)
            .and_then(|s| s.conn.as_mut())
            .ok_or(Error::ConnectionDoesNotExist)
    }

    pub(super) fn alloc(&mut self, conn: Connection) -> u32 {
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
    pub(super) fn free_slot(&mut self, i: u32, quad: Quad) {
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
    pub(super) fn after(&mut self, i: u32, now: Instant) {
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
