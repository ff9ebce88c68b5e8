//! A segment as a trace records it: numbers relative to the ISN bases.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::flags::Flags;
use super::host::HostId;

/// A segment with relative numbers: SEQ counts from the sender's ISN base,
/// ACK from the receiver's (see the trace format in the book). Fields sort
/// in wire order, the order the model sorts a step's `emitted` in.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Segment {
    /// The sender.
    pub from: HostId,
    /// The control bits.
    pub flags: Flags,
    /// SEG.SEQ relative to the sender's ISN base; `None` (`null`) for the
    /// literal `<SEQ=0>` of a `<CTL=RST,ACK>` answering a segment without
    /// ACK (RFC 9293 §3.10.7.1), which lies nowhere in the sender's space.
    pub seq: Option<i64>,
    /// SEG.ACK relative to the receiver's ISN base; 0 without ACK.
    pub ack: i64,
    /// Payload octets.
    pub len: u8,
}

impl Segment {
    /// The receiver.
    pub fn to(&self) -> HostId {
        self.from.peer()
    }

    /// Whether it occupies sequence space (SYN, FIN or data): only such a
    /// segment is retransmitted.
    pub fn occupies_sequence_space(&self) -> bool {
        self.len > 0 || self.flags.contains(Flags::SYN) || self.flags.contains(Flags::FIN)
    }
}

impl fmt::Display for Segment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}→{} <{}", self.from, self.to(), self.flags)?;
        match self.seq {
            Some(s) => write!(f, " seq={s}")?,
            None => write!(f, " seq=0(abs)")?,
        }
        if self.flags.contains(Flags::ACK) {
            write!(f, " ack={}", self.ack)?;
        }
        if self.len > 0 {
            write!(f, " +{} byte", self.len)?;
        }
        write!(f, ">")
    }
}
