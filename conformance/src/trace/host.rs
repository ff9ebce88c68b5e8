//! The two hosts of a trace.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One of the model's two hosts, `"A"` or `"B"` on the wire. A connects;
/// B listens (and may also connect, for a simultaneous open).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum HostId {
    /// Host A.
    A,
    /// Host B.
    B,
}

impl HostId {
    /// Both hosts, A first.
    pub const BOTH: [HostId; 2] = [HostId::A, HostId::B];

    /// The other host.
    pub fn peer(self) -> HostId {
        match self {
            HostId::A => HostId::B,
            HostId::B => HostId::A,
        }
    }

    /// 0 for A, 1 for B: an index into per-host arrays.
    pub fn index(self) -> usize {
        match self {
            HostId::A => 0,
            HostId::B => 1,
        }
    }

    /// `"A"` or `"B"`.
    pub fn name(self) -> &'static str {
        match self {
            HostId::A => "A",
            HostId::B => "B",
        }
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
