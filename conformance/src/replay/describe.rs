//! Steps as lines of text, for reports.

use std::fmt::Write as _;

use crate::trace::{HostId, Step};

/// One line per step: the input and what the model expects of each host,
/// e.g. `  2. [t=0] deliver A→B <SYN seq=0> | A SYN-SENT | B SYN-RECEIVED
/// sends B→A <SYN,ACK seq=0 ack=1>`.
pub fn describe(i: usize, s: &Step) -> String {
    let mut line = format!("{i:>3}. [t={}] {}", s.tick, s.input);
    for h in HostId::BOTH {
        let o = s.host(h);
        let _ = write!(line, " | {h} {}", o.state);
        for e in &o.emitted {
            let _ = write!(line, " sends {e}");
        }
        for e in &o.events {
            let _ = write!(line, " ({e})");
        }
    }
    line
}

/// The first `n` steps, one numbered line each.
pub fn so_far(steps: &[Step], n: usize) -> String {
    steps[..n.min(steps.len())]
        .iter()
        .enumerate()
        .map(|(j, s)| describe(j + 1, s) + "\n")
        .collect()
}
