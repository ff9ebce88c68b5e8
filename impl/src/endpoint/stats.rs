//! [`EndpointStats`]: what an endpoint counts.

/// Counters, for tests and the benchmark.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EndpointStats {
    /// SYNs dropped because a listener's backlog or accept queue was full.
    pub syn_dropped: u64,
    /// RSTs sent for segments that matched nothing (§3.10.7.1) or hit a
    /// listener with an ACK (§3.10.7.2).
    pub resets_sent: u64,
    /// Connections compacted into the TIME-WAIT table.
    pub time_wait_entered: u64,
    /// Connections reopened from TIME-WAIT (MAY-2).
    pub time_wait_reopened: u64,
}
