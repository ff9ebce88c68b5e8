//! The hosts a target plays in one replay.

use std::fmt;

use crate::trace::HostId;

/// The hosts a target plays in one replay; the harness plays the others
/// from the trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// One host; the harness plays its peer by writing exactly the
    /// segments the trace delivers to this host.
    Host(HostId),
    /// Both hosts: the target talks to itself, the harness carrying (and
    /// losing, duplicating, delaying) the segments as the trace says.
    Both,
}

impl Role {
    /// The hosts played, A first.
    pub fn hosts(self) -> &'static [HostId] {
        match self {
            Role::Host(HostId::A) => &[HostId::A],
            Role::Host(HostId::B) => &[HostId::B],
            Role::Both => &HostId::BOTH,
        }
    }

    /// Whether the target plays `h`.
    pub fn plays(self, h: HostId) -> bool {
        match self {
            Role::Host(x) => x == h,
            Role::Both => true,
        }
    }
}

impl fmt::Display for Role {
    /// `A`, `B`, or `A and B`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Role::Host(h) => write!(f, "{h}"),
            Role::Both => f.write_str("A and B"),
        }
    }
}
