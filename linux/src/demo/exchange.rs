//! The catalogue of exchanges `synfin-tcp demo` runs: names, titles, the
//! RFC 9293 sections each is judged against, and their addresses.

use std::net::SocketAddrV4;

use serde::Serialize;

use crate::sys::netns;

/// The five exchanges, in the order `demo` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exchange {
    /// synfin-tcp connects to a kernel listener, data both ways, synfin-tcp
    /// closes first (synfin-tcp ends in TIME-WAIT).
    ActiveClose,
    /// The kernel closes first; synfin-tcp sends in CLOSE-WAIT (half
    /// close), then passes through LAST-ACK.
    PassiveClose,
    /// The kernel connects to a synfin-tcp listener.
    KernelConnects,
    /// Both connect at once: four segments, no client and no server.
    SimultaneousOpen,
    /// Both close at once: CLOSING on both sides.
    SimultaneousClose,
}

impl Exchange {
    /// All five, in order.
    pub const ALL: [Exchange; 5] = [
        Exchange::ActiveClose,
        Exchange::PassiveClose,
        Exchange::KernelConnects,
        Exchange::SimultaneousOpen,
        Exchange::SimultaneousClose,
    ];

    /// The short name used in output and test names.
    pub fn name(self) -> &'static str {
        match self {
            Exchange::ActiveClose => "active-close",
            Exchange::PassiveClose => "passive-close",
            Exchange::KernelConnects => "kernel-connects",
            Exchange::SimultaneousOpen => "simultaneous-open",
            Exchange::SimultaneousClose => "simultaneous-close",
        }
    }

    /// One line saying what happens.
    pub fn title(self) -> &'static str {
        match self {
            Exchange::ActiveClose => {
                "synfin-tcp connects to a kernel listener, sends and receives data, closes first"
            }
            Exchange::PassiveClose => {
                "the kernel closes first; synfin-tcp sends in CLOSE-WAIT, then closes (LAST-ACK)"
            }
            Exchange::KernelConnects => {
                "the kernel connects to a synfin-tcp listener, data both ways, the kernel closes first"
            }
            Exchange::SimultaneousOpen => {
                "simultaneous open: both SYNs cross, four segments open the connection"
            }
            Exchange::SimultaneousClose => {
                "simultaneous close: both FINs cross, both sides go through CLOSING"
            }
        }
    }

    /// The RFC 9293 sections the verdict checks.
    pub fn rfc(self) -> &'static str {
        match self {
            Exchange::ActiveClose => "RFC 9293 §3.5 (Figure 6), §3.6 case 1, §3.4",
            Exchange::PassiveClose => "RFC 9293 §3.6 case 2, §3.10.4 (CLOSE in CLOSE-WAIT)",
            Exchange::KernelConnects => "RFC 9293 §3.5 (Figure 6), §3.6 case 2",
            Exchange::SimultaneousOpen => "RFC 9293 §3.5 (Figure 7)",
            Exchange::SimultaneousClose => "RFC 9293 §3.6 case 3 (Figure 13)",
        }
    }

    /// Ports: each exchange uses its own pair, so diagrams are easy to tell
    /// apart (every exchange has a namespace of its own anyway).
    pub(super) fn addrs(self) -> (SocketAddrV4, SocketAddrV4) {
        let i = Exchange::ALL.iter().position(|e| *e == self).unwrap_or(0) as u16;
        (
            SocketAddrV4::new(netns::LOCAL_IP, 40001 + i),
            SocketAddrV4::new(netns::KERNEL_IP, 7001 + i),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exchanges_have_distinct_names_and_ports() {
        let mut names: Vec<_> = Exchange::ALL.iter().map(|e| e.name()).collect();
        names.dedup();
        assert_eq!(names.len(), 5);
        let mut ports: Vec<_> = Exchange::ALL.iter().map(|e| e.addrs().0.port()).collect();
        ports.dedup();
        assert_eq!(ports.len(), 5);
    }
}
