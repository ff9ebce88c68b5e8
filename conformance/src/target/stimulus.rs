//! One input to a target.

use super::wire_segment::WireSegment;
use crate::trace::{Call, HostId};

/// One input to a target, for one host it plays (a tick is for all).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stimulus {
    /// The host's application makes a user call (RFC 9293 §3.10): passive
    /// OPEN (`listen`), active OPEN (`connect`, to the harness's or the
    /// other host's address), SEND of one byte, CLOSE ("no more to send";
    /// the application can still receive), ABORT.
    Call(HostId, Call),
    /// A segment arrives at the host, absolute numbers; the target builds
    /// the packet around it (addresses, ports, a window it accepts) and
    /// hands it to its stack. `len` payload bytes, each `b'x'`.
    Arrive(HostId, WireSegment),
    /// The host's running timer (retransmission, TIME-WAIT, the quiet time
    /// after a crash) expires. A virtual-clock target moves the host's
    /// clock on to its own deadline if that is later than its clock: the
    /// model's RTO is a constant, a real one may have backed off further
    /// (RFC 6298), and a host's clock is its own. A real-clock target
    /// waits for its timer.
    Timeout(HostId),
    /// One tick of `tick_seconds` passes for every host (no timer is due
    /// in the model at its start). A real-clock target may ignore it: the
    /// engine then accepts a timer that lags the model's.
    Tick,
    /// The host crashes and reboots: its TCB is lost, and for MSL it sends
    /// nothing and drops every arrival (RFC 9293 §3.4.3's quiet time),
    /// until its `Timeout`.
    Crash(HostId),
}

impl Stimulus {
    /// The host it is for (`None` for a tick).
    pub fn host(&self) -> Option<HostId> {
        match *self {
            Stimulus::Call(h, _)
            | Stimulus::Arrive(h, _)
            | Stimulus::Timeout(h)
            | Stimulus::Crash(h) => Some(h),
            Stimulus::Tick => None,
        }
    }
}
