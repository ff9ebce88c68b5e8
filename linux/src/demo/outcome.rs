//! What one exchange came to: its [`Outcome`] and the [`Check`]s it was
//! judged by.

use serde::Serialize;

use super::exchange::Exchange;
use crate::capture::SegmentRecord;

/// The result of one exchange.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Which exchange.
    pub exchange: Exchange,
    /// What happens in it.
    pub title: &'static str,
    /// What RFC 9293 says about it.
    pub rfc: &'static str,
    /// synfin-tcp's address.
    pub synfin: String,
    /// The kernel's address.
    pub kernel: String,
    /// Every check passed and nothing went wrong.
    pub passed: bool,
    /// What stopped the exchange early, if anything did.
    pub error: Option<String>,
    /// The judged properties.
    pub checks: Vec<Check>,
    /// The states synfin-tcp passed through, in order.
    pub synfin_states: Vec<String>,
    /// The states the kernel's socket passed through (sock_diag), in order.
    pub kernel_states: Vec<String>,
    /// The segments, with sequence numbers relative to each side's ISN.
    pub segments: Vec<SegmentRecord>,
    /// The two-column diagram.
    pub diagram: String,
    /// Wall-clock duration of the exchange, in microseconds.
    pub micros: u64,
}

/// One judged property of an exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Whether it holds.
    pub ok: bool,
    /// What was checked, and what was seen if it failed.
    pub what: String,
}
