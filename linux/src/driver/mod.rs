//! Running a sans-IO TCP stack on real time over the TUN device, so that its
//! peer is the kernel's TCP.
//!
//! - [`Stack`]: what the driver needs from a TCP stack (the sans-IO inputs
//!   and outputs, and the user calls an application makes);
//! - [`EndpointStack`]: synfin-tcp's endpoint behind that trait;
//! - [`Driver`]: the event loop. It feeds received segments to the stack,
//!   transmits whatever the stack polls out, and sleeps in `poll(2)` on the
//!   device until the next packet or the stack's `poll_timeout`, whichever
//!   comes first;
//! - [`Observer`]: called after every segment in either direction, which is
//!   how the demo samples the kernel's socket state at exactly the right
//!   moments.

mod endpoint;
mod observer;
mod stack;

use std::io;
use std::time::Duration;

use synfin_tcp::time::Instant;
use synfin_tcp::wire::Segment;

use crate::sys::tun::TunIo;

pub use endpoint::EndpointStack;
pub use observer::{Direction, Observer};
pub use stack::{Received, Stack};

/// The event loop of a [`Stack`] over a TUN device.
///
/// Each [`step`](Self::step): transmit everything the stack has to send,
/// then sleep in `poll(2)` until a packet arrives, the stack's
/// `poll_timeout` passes or the caller's deadline comes, and feed the stack
/// whichever happened. The caller owns the wire: segments are only sent in
/// [`flush`](Self::flush), so an application can make several calls (say,
/// CLOSE on both sides) before anything crosses, and force segments to
/// cross each other.
pub struct Driver<S: Stack> {
    /// The device.
    pub io: TunIo,
    /// The stack it drives.
    pub stack: S,
}

impl<S: Stack> std::fmt::Debug for Driver<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("io", &self.io)
            .finish_non_exhaustive()
    }
}

/// How [`Driver::run_until`] ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunOutcome {
    /// The condition became true.
    Done,
    /// The deadline passed first.
    TimedOut,
}

impl<S: Stack> Driver<S> {
    /// Drives `stack` over `io`.
    pub fn new(io: TunIo, stack: S) -> Driver<S> {
        Driver { io, stack }
    }

    /// The current time.
    pub fn now(&self) -> Instant {
        self.io.now()
    }

    /// Sends everything the stack has queued; returns how many segments.
    pub fn flush(&mut self, obs: &mut impl Observer<S>) -> io::Result<usize> {
        let mut n = 0;
        loop {
            let now = self.io.now();
            let Some(seg) = self.stack.poll_transmit(now) else {
                return Ok(n);
            };
            self.io.send(&seg)?;
            n += 1;
            obs.segment(&self.stack, Direction::ToKernel, &seg);
        }
    }

    /// Feeds the stack one segment as if it had come from the device (and
    /// tells the observer).
    pub fn deliver(&mut self, seg: Segment, obs: &mut impl Observer<S>) {
        let now = self.io.now();
        self.stack.handle_segment(now, seg.clone());
        obs.segment(&self.stack, Direction::FromKernel, &seg);
    }

    /// One turn of the loop: flush, then wait for a packet, the stack's
    /// timer or `deadline`, and handle what came. Returns whether anything
    /// happened (a segment or a timer) before `deadline`.
    pub fn step(
        &mut self,
        deadline: Option<Instant>,
        obs: &mut impl Observer<S>,
    ) -> io::Result<bool> {
        self.flush(obs)?;
        let timer = self.stack.poll_timeout();
        let wake = match (timer, deadline) {
            (Some(t), Some(d)) => Some(t.min(d)),
            (t, d) => t.or(d),
        };
        if let Some(seg) = self.io.recv(wake)? {
            self.deliver(seg, obs);
            // The kernel answers in the writer's context: drain what else
            // is queued before sending again, so replies keep their order.
            while let Some(seg) = self.io.try_recv()? {
                self.deliver(seg, obs);
            }
        } else if timer.is_some_and(|t| self.io.now() >= t) {
            let now = self.io.now();
            self.stack.handle_timeout(now);
        } else {
            self.flush(obs)?;
            return Ok(false);
        }
        self.flush(obs)?;
        Ok(true)
    }

    /// Runs the loop until `done(stack, now)` holds or `deadline` passes.
    /// `done` is checked before the first step and after each one; it may
    /// make user calls on the stack at `now` (time never goes backwards).
    pub fn run_until(
        &mut self,
        deadline: Instant,
        obs: &mut impl Observer<S>,
        mut done: impl FnMut(&mut S, Instant) -> bool,
    ) -> io::Result<RunOutcome> {
        loop {
            self.flush(obs)?;
            let now = self.io.now();
            if done(&mut self.stack, now) {
                return Ok(RunOutcome::Done);
            }
            if self.io.now() >= deadline {
                return Ok(RunOutcome::TimedOut);
            }
            self.step(Some(deadline), obs)?;
        }
    }

    /// Runs the loop for `d`: handles whatever arrives and every timer, for
    /// a quiet period or to let retransmissions happen.
    pub fn run_for(&mut self, d: Duration, obs: &mut impl Observer<S>) -> io::Result<()> {
        let deadline = self.io.after(d);
        self.run_until(deadline, obs, |_, _| false).map(|_| ())
    }
}
