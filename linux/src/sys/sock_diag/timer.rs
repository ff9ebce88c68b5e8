//! The timer the kernel says is running on a socket.

/// Which timer the kernel says is running (`idiag_timer`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimerKind {
    /// Retransmission (also SYN,ACK retransmission of a request socket).
    Retransmit,
    /// Keepalive, or the FIN-WAIT-2 timeout of a full socket.
    Keepalive,
    /// TIME-WAIT (or the orphaned FIN-WAIT-2 mini-socket's timeout).
    TimeWait,
    /// Zero-window probe.
    Probe,
}

impl TimerKind {
    /// The timer for the kernel's `idiag_timer` code; `None` for 0 (no
    /// timer) and unknown codes.
    pub fn from_code(code: u8) -> Option<TimerKind> {
        Some(match code {
            1 => TimerKind::Retransmit,
            2 => TimerKind::Keepalive,
            3 => TimerKind::TimeWait,
            4 => TimerKind::Probe,
            _ => return None,
        })
    }
}
