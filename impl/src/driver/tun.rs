//! The Linux TUN driver: runs a synfin-tcp [`Endpoint`] on real time over a
//! TUN device, so that its peer is the kernel's TCP.
//!
//! [`TunIo`] moves segments: one `recv` on the device is one IPv4 packet
//! from the kernel, parsed with the crate's codec; one `send` is one packet
//! to it. [`Driver`] is the event loop: it feeds received segments to the
//! endpoint, transmits whatever the endpoint polls out, and sleeps in
//! `poll(2)` on the device until the next packet or the endpoint's
//! `poll_timeout`, whichever comes first.
//!
//! The kernel processes a TUN write in the writer's context: when `send`
//! returns, the kernel has acted on the segment (and its answer is usually
//! already queued). The driver calls its [`Observer`] after every segment in
//! either direction, which is how the demo samples the kernel's socket state
//! at exactly the right moments.

// The driver is where real time enters: it reads the monotonic clock and
// hands the core `now` (the core itself never reads a clock).
#![allow(clippy::disallowed_methods)]

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};

use super::capture::Direction;
use super::stack::Stack;
use crate::time::Instant;
use crate::wire::{Segment, WireError};

/// Largest packet read from the device: the TUN's MTU is 1500, but a
/// generous buffer costs nothing and never truncates.
const RECV_BUF: usize = 65536;

/// Counters of what crossed the device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoStats {
    /// Segments written to the device.
    pub sent: u64,
    /// TCP segments read from the device.
    pub received: u64,
    /// Packets read that were not IPv4 TCP, or did not parse.
    pub ignored: u64,
}

/// Segments over a TUN device, on a monotonic clock that starts at zero
/// when the `TunIo` is created.
pub struct TunIo {
    dev: tun_rs::SyncDevice,
    epoch: std::time::Instant,
    buf: Vec<u8>,
    out: Vec<u8>,
    /// What crossed the device so far.
    pub stats: IoStats,
    /// The last packet that did not parse, and why (for diagnostics).
    pub last_ignored: Option<WireError>,
}

impl std::fmt::Debug for TunIo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TunIo")
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl TunIo {
    /// Takes over a TUN device (`IFF_TUN | IFF_NO_PI`, up) and makes it
    /// non-blocking: waiting is done in `poll(2)`, with a deadline.
    pub fn new(dev: tun_rs::SyncDevice) -> io::Result<TunIo> {
        dev.set_nonblocking(true)?;
        Ok(TunIo {
            dev,
            epoch: std::time::Instant::now(),
            buf: vec![0; RECV_BUF],
            out: Vec::with_capacity(2048),
            stats: IoStats::default(),
            last_ignored: None,
        })
    }

    /// The current time, as the core counts it.
    pub fn now(&self) -> Instant {
        Instant::from_micros(self.epoch.elapsed().as_micros().min(u128::from(u64::MAX)) as u64)
    }

    /// Writes `seg` as one IPv4 packet.
    pub fn send(&mut self, seg: &Segment) -> io::Result<()> {
        self.out.clear();
        seg.emit_into(&mut self.out)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e))?;
        self.dev.send(&self.out)?;
        self.stats.sent += 1;
        Ok(())
    }

    /// Waits until a packet is readable or `deadline` passes (`None`: wait
    /// forever). Returns whether a packet is readable.
    pub fn wait_readable(&self, deadline: Option<Instant>) -> io::Result<bool> {
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(self.now());
                    // Round up: waking early would just spin.
                    let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
                    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [PollFd::new(self.dev.as_fd(), PollFlags::POLLIN)];
            match poll(&mut fds, timeout) {
                Ok(0) => {
                    if deadline.is_some_and(|d| self.now() >= d) {
                        return Ok(false);
                    }
                }
                Ok(_) => return Ok(true),
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Like [`wait_readable`](Self::wait_readable), also watching `other`
    /// (say, standard input). Returns (device readable, `other` readable).
    pub fn wait_readable_with(
        &self,
        other: std::os::fd::BorrowedFd<'_>,
        deadline: Option<Instant>,
    ) -> io::Result<(bool, bool)> {
        loop {
            let timeout = match deadline {
                None => PollTimeout::NONE,
                Some(d) => {
                    let left = d.saturating_duration_since(self.now());
                    let ms = left.as_micros().div_ceil(1000).min(i32::MAX as u128) as i32;
                    PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX)
                }
            };
            let mut fds = [
                PollFd::new(self.dev.as_fd(), PollFlags::POLLIN),
                PollFd::new(other, PollFlags::POLLIN),
            ];
            match poll(&mut fds, timeout) {
                Ok(0) => {
                    if deadline.is_some_and(|d| self.now() >= d) {
                        return Ok((false, false));
                    }
                }
                Ok(_) => {
                    let ready = |f: &PollFd<'_>| {
                        f.revents().is_some_and(|r| {
                            r.intersects(
                                PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR,
                            )
                        })
                    };
                    return Ok((ready(&fds[0]), ready(&fds[1])));
                }
                Err(nix::errno::Errno::EINTR) => {}
                Err(e) => return Err(e.into()),
            }
        }
    }

    /// Reads packets until one is a TCP segment, or until `deadline`.
    /// Non-TCP or malformed packets are counted and skipped.
    pub fn recv(&mut self, deadline: Option<Instant>) -> io::Result<Option<Segment>> {
        loop {
            // Read first and poll only when nothing is queued: the kernel
            // usually has its answer queued by the time we look, so this
            // saves a poll(2) per segment.
            let n = match self.dev.recv(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    if deadline.is_some_and(|d| self.now() >= d) || !self.wait_readable(deadline)? {
                        return Ok(None);
                    }
                    continue;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            match Segment::parse(&self.buf[..n]) {
                Ok(seg) => {
                    self.stats.received += 1;
                    return Ok(Some(seg));
                }
                Err(e) => {
                    self.stats.ignored += 1;
                    self.last_ignored = Some(e);
                }
            }
        }
    }

    /// Reads a segment if one is already queued, without waiting.
    pub fn try_recv(&mut self) -> io::Result<Option<Segment>> {
        self.recv(Some(Instant::ZERO))
    }

    /// A deadline `d` from now.
    pub fn after(&self, d: Duration) -> Instant {
        self.now() + d
    }
}

/// Sees every segment the [`Driver`] moves, right after the receiving side
/// acted on it: after the kernel processed a segment written to the device
/// (the write is synchronous), and after the stack handled a segment read
/// from it. The demo samples both sides' states here.
pub trait Observer<S: Stack> {
    /// `seg` crossed the device in direction `dir`.
    fn segment(&mut self, stack: &S, dir: Direction, seg: &Segment);
}

/// An observer that looks at nothing.
impl<S: Stack> Observer<S> for () {
    fn segment(&mut self, _stack: &S, _dir: Direction, _seg: &Segment) {}
}

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
