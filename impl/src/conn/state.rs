//! The connection states of RFC 9293 §3.3.2 (Figure 5).

use std::fmt;

/// One of the eleven states of RFC 9293 §3.3.2.
///
/// `Display` prints the RFC's names (`SYN-SENT`, `TIME-WAIT`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum State {
    /// No connection state at all (the TCB does not exist).
    Closed,
    /// Waiting for a connection request from any remote TCP peer and port.
    Listen,
    /// Waiting for a matching connection request after having sent one.
    SynSent,
    /// Waiting for a confirming ACK after having both received and sent a
    /// connection request.
    SynReceived,
    /// An open connection: data can flow both ways.
    Established,
    /// Waiting for a FIN from the peer, or for the ACK of our FIN.
    FinWait1,
    /// Waiting for a FIN from the peer.
    FinWait2,
    /// Waiting for the local user to CLOSE.
    CloseWait,
    /// Waiting for the ACK of our FIN after a simultaneous close.
    Closing,
    /// Waiting for the ACK of our FIN, the peer having closed first.
    LastAck,
    /// Waiting 2·MSL so the peer surely received the ACK of its FIN and old
    /// duplicates have died.
    TimeWait,
}

impl State {
    /// All eleven states, in RFC order.
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

    /// The RFC name of the state, e.g. `"SYN-RECEIVED"`.
    pub const fn rfc_name(self) -> &'static str {
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
}

impl fmt::Display for State {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.rfc_name())
    }
}

/// How the TCB was opened, which decides where an RST takes SYN-RECEIVED
/// (RFC 9293 §3.10.7.4, MUST-11; Figure 5 note 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Origin {
    /// Passive OPEN (LISTEN): an RST in SYN-RECEIVED returns to LISTEN.
    Passive,
    /// Active OPEN (SYN-SENT, then perhaps SYN-RECEIVED by simultaneous
    /// open): an RST in SYN-RECEIVED means "connection refused".
    Active,
}
