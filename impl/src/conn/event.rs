//! What the application learns from a connection.

/// An event for the application, pulled with `poll_event`.
///
/// A connection reports exactly one terminal event (`Reset`, `Refused`,
/// `TimedOut` or `Closed`) when its TCB is deleted, and nothing after it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Event {
    /// The connection reached ESTABLISHED (from SYN-SENT or SYN-RECEIVED).
    Connected,
    /// Received data became readable with RECEIVE (`recv`). Reported when the
    /// receive buffer goes from empty to non-empty.
    Data,
    /// The peer's FIN arrived: it will send nothing more ("connection
    /// closing", RFC 9293 §3.10.7.4 eighth step). Sending may go on.
    PeerClosed,
    /// The connection was reset by the peer ("connection reset").
    Reset,
    /// The peer refused the connection: an RST answered our SYN
    /// ("connection refused", RFC 9293 §3.10.7.3 and §3.10.7.4).
    Refused,
    /// A retransmission limit was reached (SYN retries or data retries,
    /// RFC 9293 §3.8.3 R2): the connection was given up.
    TimedOut,
    /// The TCB was deleted without error: after TIME-WAIT (its 2·MSL, or an
    /// RST with RFC 1337 off), LAST-ACK, a CLOSE in LISTEN or SYN-SENT, or
    /// an ABORT.
    Closed,
}

impl Event {
    /// Whether this event ends the connection (the TCB is gone).
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            Event::Reset | Event::Refused | Event::TimedOut | Event::Closed
        )
    }
}
