//! How a target says it cannot play an input.

use std::fmt;

/// Why a target cannot play an input. The replay ends early there with
/// this reason (`ended-early: ...`): a distinct outcome, never a pass and
/// never a failure, and nothing after it is judged.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Unsupported {
    /// The target's interface has no way to perform the input in this
    /// state (the socket API cannot CLOSE a connection still in the listen
    /// queue, nor queue data before ESTABLISHED, nor crash one TCB):
    /// `unplayable: <reason>`.
    Unplayable(String),
    /// The model's TIME-WAIT timer expires here; the target's lasts longer
    /// (Linux: 60 s, not configurable) and nobody waits for it:
    /// `time-wait`.
    TimeWait,
    /// The target's running timer is due later than it is willing to wait
    /// in real time: `long-timer: <reason>`.
    LongTimer(String),
}

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unsupported::Unplayable(why) => write!(f, "unplayable: {why}"),
            Unsupported::TimeWait => f.write_str("time-wait"),
            Unsupported::LongTimer(why) => write!(f, "long-timer: {why}"),
        }
    }
}
