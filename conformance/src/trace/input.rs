//! What happens at a step: a user call, the network, a timer, a tick or a
//! crash.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::host::HostId;
use super::segment::Segment;

/// A step's input, `{"kind": "...", ...}` on the wire: the kind names the
/// variant, and a call, timeout or crash carries its `host`, a network
/// input its `segment`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase", deny_unknown_fields)]
pub enum Input {
    /// The application calls passive OPEN (RFC 9293 §3.10.1).
    Listen {
        /// The caller.
        host: HostId,
    },
    /// The application calls active OPEN.
    Connect {
        /// The caller.
        host: HostId,
    },
    /// The application calls SEND with one byte (§3.10.2).
    Send {
        /// The caller.
        host: HostId,
    },
    /// The application calls CLOSE (§3.10.4): nothing more to send.
    Close {
        /// The caller.
        host: HostId,
    },
    /// The application calls ABORT (§3.10.5).
    Abort {
        /// The caller.
        host: HostId,
    },
    /// The network delivers one copy of the segment to its receiver.
    Deliver {
        /// The segment.
        segment: Segment,
    },
    /// One copy arrives now; another stays in flight.
    Duplicate {
        /// The segment.
        segment: Segment,
    },
    /// The network loses one copy: nothing arrives.
    Lose {
        /// The segment.
        segment: Segment,
    },
    /// The network holds the segment past the end of the tick: nothing
    /// arrives now.
    Delay {
        /// The segment.
        segment: Segment,
    },
    /// The host's one running timer expires.
    Timeout {
        /// Whose timer.
        host: HostId,
    },
    /// One tick passes; no timer is due at its start.
    Tick,
    /// The host loses its TCB and keeps quiet for MSL.
    Crash {
        /// The host.
        host: HostId,
    },
}

/// A user call of RFC 9293 §3.10, as a trace has them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Call {
    /// Passive OPEN.
    Listen,
    /// Active OPEN.
    Connect,
    /// SEND of one byte.
    Send,
    /// CLOSE.
    Close,
    /// ABORT.
    Abort,
}

impl Call {
    /// The input kind's spelling: `listen`, `connect`, `send`, `close`,
    /// `abort`.
    pub fn name(self) -> &'static str {
        match self {
            Call::Listen => "listen",
            Call::Connect => "connect",
            Call::Send => "send",
            Call::Close => "close",
            Call::Abort => "abort",
        }
    }
}

impl fmt::Display for Call {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl Input {
    /// The input kind, as on the wire.
    pub fn kind(&self) -> &'static str {
        match self {
            Input::Listen { .. } => "listen",
            Input::Connect { .. } => "connect",
            Input::Send { .. } => "send",
            Input::Close { .. } => "close",
            Input::Abort { .. } => "abort",
            Input::Deliver { .. } => "deliver",
            Input::Duplicate { .. } => "duplicate",
            Input::Lose { .. } => "lose",
            Input::Delay { .. } => "delay",
            Input::Timeout { .. } => "timeout",
            Input::Tick => "tick",
            Input::Crash { .. } => "crash",
        }
    }

    /// The user call and its caller, if this is one.
    pub fn call(&self) -> Option<(HostId, Call)> {
        match *self {
            Input::Listen { host } => Some((host, Call::Listen)),
            Input::Connect { host } => Some((host, Call::Connect)),
            Input::Send { host } => Some((host, Call::Send)),
            Input::Close { host } => Some((host, Call::Close)),
            Input::Abort { host } => Some((host, Call::Abort)),
            _ => None,
        }
    }

    /// The input's `host` field: the caller, the timer's or the crash's
    /// host.
    pub fn host(&self) -> Option<HostId> {
        match *self {
            Input::Timeout { host } | Input::Crash { host } => Some(host),
            _ => self.call().map(|(h, _)| h),
        }
    }

    /// The input's `segment` field, for network inputs.
    pub fn segment(&self) -> Option<&Segment> {
        match self {
            Input::Deliver { segment }
            | Input::Duplicate { segment }
            | Input::Lose { segment }
            | Input::Delay { segment } => Some(segment),
            _ => None,
        }
    }

    /// The segment that arrives now, if one does (`deliver`, `duplicate`).
    pub fn arrival(&self) -> Option<&Segment> {
        match self {
            Input::Deliver { segment } | Input::Duplicate { segment } => Some(segment),
            _ => None,
        }
    }

    /// The endpoint the input acts on: the caller, the timer's or crash's
    /// host, or the receiver of an arrival. `None` for loss, delay and
    /// tick, which no endpoint takes.
    pub fn acting_host(&self) -> Option<HostId> {
        match self.arrival() {
            Some(s) => Some(s.to()),
            None => self.host(),
        }
    }
}

impl fmt::Display for Input {
    /// `A: connect`, `deliver A→B <SYN seq=0>`, `tick`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.host(), self.segment()) {
            (Some(h), _) => write!(f, "{h}: {}", self.kind()),
            (None, Some(s)) => write!(f, "{} {s}", self.kind()),
            _ => f.write_str(self.kind()),
        }
    }
}
