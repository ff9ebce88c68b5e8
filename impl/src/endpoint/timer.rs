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
}
