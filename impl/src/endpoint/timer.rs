//! The endpoint's timers: one heap of expiries for every connection and
//! TIME-WAIT entry, [`TimerKey`] naming the owner of each, stale entries
//! dropped lazily.

use std::cmp::Reverse;

use super::quad::Quad;
use super::Endpoint;
use crate::conn::Event;
use crate::time::Instant;

/// What the timer heap can wake up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum TimerKey {
    Conn(u32, u32),
    TimeWait(Quad),
}

impl Endpoint {
    /// When [`handle_timeout`](Self::handle_timeout) must next be called:
    /// the earliest deadline of every connection and TIME-WAIT entry. Takes
    /// `&self`, as [`Connection::poll_timeout`](crate::conn::Connection::poll_timeout)
    /// does.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let &Reverse((t, key)) = self.timers.peek()?;
        if self.timer_is_live(t, key) {
            return Some(t);
        }
        // Every input ends with `settle_timers`, so the top is live; should
        // one ever not, the answer is still right, found by a scan.
        debug_assert!(false, "a stale timer on top of the heap");
        self.timers
            .iter()
            .filter(|&&Reverse((t, k))| self.timer_is_live(t, k))
            .map(|&Reverse((t, _))| t)
            .min()
    }

    /// Drops the stale entries (timers moved or stopped) from the top of
    /// the heap, so that its top is the next live deadline. Every input and
    /// user call that can move a timer ends with it.
    pub(super) fn settle_timers(&mut self) {
        while let Some(&Reverse((t, key))) = self.timers.peek() {
            if self.timer_is_live(t, key) {
                break;
            }
            self.timers.pop();
        }
    }

    /// Lets time pass up to `target`, servicing each deadline at its own
    /// instant: while [`poll_timeout`](Self::poll_timeout) is at or before
    /// `target`, [`handle_timeout`](Self::handle_timeout) is called at
    /// exactly that deadline. Segments and events stay queued for
    /// [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event); to see each deadline's output at
    /// its own instant, call [`handle_next_timeout`](Self::handle_next_timeout)
    /// in a loop instead.
    ///
    /// `now` must not go backwards: call it with the `now` of the next
    /// input before giving that input.
    pub fn advance_to(&mut self, target: Instant) {
        while self.handle_next_timeout(target).is_some() {}
    }

    /// Services the earliest deadline if it is at or before `until`, at
    /// exactly that deadline, and returns it; `None` (and nothing done) if
    /// nothing is due by `until`. One step of
    /// [`advance_to`](Self::advance_to).
    pub fn handle_next_timeout(&mut self, until: Instant) -> Option<Instant> {
        let deadline = self.poll_timeout().filter(|&d| d <= until)?;
        self.handle_timeout(deadline);
        Some(deadline)
    }

    /// Whether a heap entry is still the current expiry of its owner.
    pub(super) fn timer_is_live(&self, t: Instant, key: TimerKey) -> bool {
        match key {
            TimerKey::Conn(i, g) => self
                .slots
                .get(i as usize)
                .is_some_and(|s| s.generation == g && s.conn.is_some() && s.timer == Some(t)),
            TimerKey::TimeWait(q) => self.time_wait.get(&q).is_some_and(|e| e.expiry == t),
        }
    }

    pub(super) fn push_timer(&mut self, t: Instant, key: TimerKey) {
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

    /// Services every connection timer and TIME-WAIT expiry due at `now`.
    /// One due earlier is serviced late, at `now`; to service each at its
    /// own deadline, use [`advance_to`](Self::advance_to).
    pub fn handle_timeout(&mut self, now: Instant) {
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
        self.settle_timers();
    }
}
