//! The `net.*` sysctls written in every namespace synfin-linux sets up.

use std::io;

use super::error::NetnsError;

/// One `net.*` sysctl written in the namespace.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Sysctl {
    /// Path below `/proc/sys/net/`, e.g. `ipv4/tcp_sack`.
    pub key: &'static str,
    /// The value written.
    pub value: &'static str,
    /// Whether a kernel that lacks this knob is acceptable (newer knobs).
    pub optional: bool,
}

const fn required(key: &'static str, value: &'static str) -> Sysctl {
    Sysctl {
        key,
        value,
        optional: false,
    }
}

const fn optional(key: &'static str, value: &'static str) -> Sysctl {
    Sysctl {
        key,
        value,
        optional: true,
    }
}

/// The sysctls that make the kernel a deterministic peer: no TCP options
/// beyond MSS (no timestamps, SACK, window scaling or ECN), so its segments
/// carry only what synfin-tcp and the model know; no SYN cookies, Fast Open
/// or cached metrics, so every connection starts alike; and the timers and
/// rate limits pinned as the comments below say.
///
/// They are all per-namespace. `disable_ipv6` must be written before the TUN
/// exists (otherwise the device gets a link-local address and sends router
/// solicitations), so it comes first.
pub const SYSCTLS: &[Sysctl] = &[
    required("ipv6/conf/default/disable_ipv6", "1"),
    required("ipv4/tcp_timestamps", "0"),
    required("ipv4/tcp_sack", "0"),
    required("ipv4/tcp_window_scaling", "0"),
    required("ipv4/tcp_ecn", "0"),
    required("ipv4/tcp_syncookies", "0"),
    required("ipv4/tcp_fastopen", "0"),
    required("ipv4/tcp_no_metrics_save", "1"),
    // RFC 5961 challenge ACKs must not be rate limited away.
    required("ipv4/tcp_invalid_ratelimit", "0"),
    // Classic RFC 6298 doubling of the SYN timeout (kernels since 6.4).
    optional("ipv4/tcp_syn_linear_timeouts", "0"),
    // On a TUN the RTT is about zero, so the kernel's RTO is this floor; at
    // the default 200 ms a harness that pauses to print or to look at socket
    // states would provoke retransmissions nobody asked for. One second.
    optional("ipv4/tcp_rto_min_us", "1000000"),
    // A fresh namespace may inherit bbr, which paces.
    optional("ipv4/tcp_congestion_control", "reno"),
    required("ipv4/tcp_autocorking", "0"),
];

/// Writes [`SYSCTLS`] in the calling thread's network namespace
/// (`/proc/sys/net` follows the calling thread). Returns the optional keys
/// this kernel lacks.
pub(super) fn write_all() -> Result<Vec<&'static str>, NetnsError> {
    let mut missing = Vec::new();
    for s in SYSCTLS {
        let path = format!("/proc/sys/net/{}", s.key);
        match std::fs::write(&path, s.value) {
            Ok(()) => {}
            Err(e) if s.optional && e.kind() == io::ErrorKind::NotFound => missing.push(s.key),
            // e.g. "reno" not available as a congestion control.
            Err(_) if s.optional => missing.push(s.key),
            Err(error) => return Err(NetnsError::Sysctl { key: s.key, error }),
        }
    }
    Ok(missing)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disable_ipv6_is_written_before_anything_else() {
        assert_eq!(SYSCTLS[0].key, "ipv6/conf/default/disable_ipv6");
    }
}
