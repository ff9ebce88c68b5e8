//! The TUN device as a carrier of synfin-tcp segments, on a monotonic clock.
//!
//! One `recv` on the device is one IPv4 packet from the kernel, parsed with
//! synfin-tcp's codec; one `send` is one packet to it. The kernel processes
//! a TUN write in the writer's context: when [`TunIo::send`] returns, the
//! kernel has acted on the segment (and its answer is usually already
//! queued).
//!
//! This is where real time enters: [`TunIo::now`] reads the monotonic clock
//! and hands synfin-tcp its `now` (the core itself never reads a clock).

use std::io;
use std::os::fd::AsFd;
use std::time::Duration;

use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Segment, WireError};

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
