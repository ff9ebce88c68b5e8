//! A TCP state as the kernel reports it.

use std::fmt;

/// A TCP state as the kernel reports it (`include/net/tcp_states.h`), named
/// as in RFC 9293.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KernelState {
    /// `TCP_ESTABLISHED`.
    Established,
    /// `TCP_SYN_SENT`.
    SynSent,
    /// `TCP_SYN_RECV`, or `TCP_NEW_SYN_RECV` (a request socket).
    SynReceived,
    /// `TCP_FIN_WAIT1`.
    FinWait1,
    /// `TCP_FIN_WAIT2` (a full socket or an orphaned mini-socket).
    FinWait2,
    /// `TCP_TIME_WAIT`.
    TimeWait,
    /// `TCP_CLOSE`.
    Closed,
    /// `TCP_CLOSE_WAIT`.
    CloseWait,
    /// `TCP_LAST_ACK`.
    LastAck,
    /// `TCP_LISTEN`.
    Listen,
    /// `TCP_CLOSING`.
    Closing,
}

impl KernelState {
    /// The state for the kernel's numeric code, if it is a known one.
    pub fn from_code(code: u8) -> Option<KernelState> {
        Some(match code {
            1 => KernelState::Established,
            2 => KernelState::SynSent,
            3 | 12 => KernelState::SynReceived,
            4 => KernelState::FinWait1,
            5 => KernelState::FinWait2,
            6 => KernelState::TimeWait,
            7 => KernelState::Closed,
            8 => KernelState::CloseWait,
            9 => KernelState::LastAck,
            10 => KernelState::Listen,
            11 => KernelState::Closing,
            _ => return None,
        })
    }

    /// The RFC 9293 name, e.g. `FIN-WAIT-1`.
    pub fn name(self) -> &'static str {
        match self {
            KernelState::Established => "ESTABLISHED",
            KernelState::SynSent => "SYN-SENT",
            KernelState::SynReceived => "SYN-RECEIVED",
            KernelState::FinWait1 => "FIN-WAIT-1",
            KernelState::FinWait2 => "FIN-WAIT-2",
            KernelState::TimeWait => "TIME-WAIT",
            KernelState::Closed => "CLOSED",
            KernelState::CloseWait => "CLOSE-WAIT",
            KernelState::LastAck => "LAST-ACK",
            KernelState::Listen => "LISTEN",
            KernelState::Closing => "CLOSING",
        }
    }
}

impl fmt::Display for KernelState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_sockets_are_syn_received() {
        assert_eq!(KernelState::from_code(12), Some(KernelState::SynReceived));
        assert_eq!(KernelState::from_code(0), None);
        assert_eq!(KernelState::from_code(11).unwrap().name(), "CLOSING");
    }
}
