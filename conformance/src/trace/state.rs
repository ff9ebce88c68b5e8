//! The connection states of RFC 9293 §3.3.2, spelt as the RFC spells them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A connection state (RFC 9293 §3.3.2, Figure 5), `"SYN-SENT"` and so on
/// on the wire. CLOSED is "no TCB at all"; it is listed as a state the way
/// the RFC lists it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum State {
    /// No connection state at all.
    #[serde(rename = "CLOSED")]
    Closed,
    /// Waiting for a connection request from any remote TCP peer.
    #[serde(rename = "LISTEN")]
    Listen,
    /// Waiting for a matching connection request after having sent one.
    #[serde(rename = "SYN-SENT")]
    SynSent,
    /// Waiting for a confirming acknowledgment after having both received
    /// and sent a connection request.
    #[serde(rename = "SYN-RECEIVED")]
    SynReceived,
    /// An open connection: data can be delivered.
    #[serde(rename = "ESTABLISHED")]
    Established,
    /// Waiting for a termination request from the remote TCP peer, or an
    /// acknowledgment of the termination request previously sent.
    #[serde(rename = "FIN-WAIT-1")]
    FinWait1,
    /// Waiting for a termination request from the remote TCP peer.
    #[serde(rename = "FIN-WAIT-2")]
    FinWait2,
    /// Waiting for a termination request from the local user.
    #[serde(rename = "CLOSE-WAIT")]
    CloseWait,
    /// Waiting for a termination acknowledgment from the remote TCP peer.
    #[serde(rename = "CLOSING")]
    Closing,
    /// Waiting for an acknowledgment of the termination request previously
    /// sent to the remote TCP peer.
    #[serde(rename = "LAST-ACK")]
    LastAck,
    /// Waiting long enough to be sure the remote TCP peer received the
    /// acknowledgment of its termination request, and that no remaining
    /// segments of the connection can be mistaken for a new one's.
    #[serde(rename = "TIME-WAIT")]
    TimeWait,
}

impl State {
    /// Every state, in the order of RFC 9293 §3.3.2.
    pub const ALL: [State; 11] = [
        State::Closed,
        State::Listen,
        State::SynSent,
        State::SynReceived,
        State::Established,
        State::FinWait1,
        State::FinWait2,
        State::CloseWait,
        State::Closing,
        State::LastAck,
        State::TimeWait,
    ];

    /// The RFC's spelling, as on the wire.
    pub fn name(self) -> &'static str {
        match self {
            State::Closed => "CLOSED",
            State::Listen => "LISTEN",
            State::SynSent => "SYN-SENT",
            State::SynReceived => "SYN-RECEIVED",
            State::Established => "ESTABLISHED",
            State::FinWait1 => "FIN-WAIT-1",
            State::FinWait2 => "FIN-WAIT-2",
            State::CloseWait => "CLOSE-WAIT",
            State::Closing => "CLOSING",
            State::LastAck => "LAST-ACK",
            State::TimeWait => "TIME-WAIT",
        }
    }

    /// The state spelt `name`, if it is one of the RFC's.
    pub fn from_name(name: &str) -> Option<State> {
        State::ALL.into_iter().find(|s| s.name() == name)
    }

    /// Whether the host has a connection of its own here: an ISS, and
    /// sequence variables that mean something. Not in CLOSED (no TCB) nor
    /// in LISTEN (a TCB waiting, with no ISS or IRS yet).
    pub fn has_connection(self) -> bool {
        !matches!(self, State::Closed | State::Listen)
    }

    /// RFC 9293's synchronized states (§3.5.2: "ESTABLISHED, FIN-WAIT-1,
    /// FIN-WAIT-2, CLOSE-WAIT, CLOSING, LAST-ACK, TIME-WAIT"), where
    /// RFC 5961's challenge ACKs apply.
    pub fn is_synchronized(self) -> bool {
        matches!(
            self,
            State::Established
                | State::FinWait1
                | State::FinWait2
                | State::CloseWait
                | State::Closing
                | State::LastAck
                | State::TimeWait
        )
    }
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
