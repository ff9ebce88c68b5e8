//! A segment arriving at the endpoint: to its connection, its TIME-WAIT
//! entry (MAY-2 included) or a listener, else answered with a RST.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::quad::Quad;
use super::time_wait::TimeWait;
use super::timer::TimerKey;
use super::Endpoint;
use crate::conn::{listen_verdict, reset_for, Connection, Event, ListenVerdict, State};
use crate::time::Instant;
use crate::wire::Segment;

impl Endpoint {
    /// A segment arrived from the network. It goes to the connection of
    /// its 4-tuple, else to its TIME-WAIT entry, else to a listener on its
    /// destination (exact address first, then `0.0.0.0`), else it is
    /// answered per §3.10.7.1.
    pub fn handle_segment(&mut self, now: Instant, seg: &Segment) {
        self.segment_arrives(now, seg);
        self.settle_timers();
    }

    /// [`handle_segment`](Self::handle_segment), before the timer heap is
    /// settled.
    fn segment_arrives(&mut self, now: Instant, seg: &Segment) {
        let quad = Quad::new(seg.dst, seg.src);
        if let Some(&i) = self.conns.get(&quad) {
            if let Some(conn) = self.slots[i as usize].conn.as_mut() {
                conn.handle_segment(now, seg);
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
    pub(super) fn listener_for(&self, dst: SocketAddrV4) -> Option<SocketAddrV4> {
        if self.listeners.contains_key(&dst) {
            return Some(dst);
        }
        let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, dst.port());
        self.listeners.contains_key(&any).then_some(any)
    }

    /// §3.10.7.2 at the listener `key`. A SYN takes a backlog slot if one
    /// is free and is dropped otherwise (no RST: the peer retries, as with
    /// a lost SYN). `reopened` is the TIME-WAIT entry a MAY-2 SYN replaces.
    pub(super) fn listen_segment(
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
    pub(super) fn time_wait_segment(
        &mut self,
        now: Instant,
        quad: Quad,
        entry: TimeWait,
        seg: &Segment,
    ) {
        let mut conn = entry.to_connection(self.config, quad);
        if conn.may_reopen(seg) {
            if let Some(key) = self.listener_for(seg.dst) {
                self.time_wait.remove(&quad);
                self.stats.time_wait_reopened += 1;
                self.listen_segment(now, key, seg, Some((quad, entry)));
                return;
            }
        }
        conn.handle_segment(now, seg);
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
    pub(super) fn restore_time_wait(&mut self, quad: Quad, entry: TimeWait, now: Instant) {
        if entry.expiry <= now || self.conns.contains_key(&quad) {
            self.events.push_back((entry.handle, Event::Closed));
        } else {
            self.time_wait.insert(quad, entry);
            self.push_timer(entry.expiry, TimerKey::TimeWait(quad));
        }
    }
}
