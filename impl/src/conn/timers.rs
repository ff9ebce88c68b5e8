//! The named timers of one connection (RFC 9293 §3.10.8), as a table.

use crate::time::Instant;

/// A connection timer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timer {
    /// RFC 6298 retransmission timer; also the zero-window probe.
    Retransmit = 0,
    /// TIME-WAIT's 2·MSL timer (RFC 9293 §3.4.2, MUST-13).
    TimeWait = 1,
}

impl Timer {
    /// Every timer, in the order `handle_timeout` services them.
    pub const VALUES: [Timer; 2] = [Timer::Retransmit, Timer::TimeWait];
}

/// When each timer expires, if it is armed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct TimerTable([Option<Instant>; 2]);

impl TimerTable {
    /// Arms `timer` to expire at `at`.
    pub fn set(&mut self, timer: Timer, at: Instant) {
        self.0[timer as usize] = Some(at);
    }

    /// When `timer` expires, if armed.
    pub fn get(&self, timer: Timer) -> Option<Instant> {
        self.0[timer as usize]
    }

    /// Disarms `timer`.
    pub fn stop(&mut self, timer: Timer) {
        self.0[timer as usize] = None;
    }

    /// Disarms every timer.
    pub fn stop_all(&mut self) {
        self.0 = [None; 2];
    }

    /// The earliest armed expiry.
    pub fn next_timeout(&self) -> Option<Instant> {
        self.0.iter().flatten().min().copied()
    }

    /// Whether `timer` is armed and due at `now`.
    pub fn is_expired(&self, timer: Timer, now: Instant) -> bool {
        self.get(timer).is_some_and(|t| t <= now)
    }
}
