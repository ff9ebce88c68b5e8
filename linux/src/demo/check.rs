//! The judging: what every exchange must show (no RST, SYN and FIN each
//! consuming one sequence number), and the state and segment checks the
//! scripts ask for.

use synfin_tcp::wire::{Flags, Segment};

use super::harness::Harness;
use crate::capture::Side;
use crate::driver::{Direction, Stack};

impl<S: Stack> Harness<S> {
    /// Checks that run on every exchange: no RST, and the sequence
    /// accounting of SYN and FIN as far as the capture shows it.
    pub(super) fn common_checks(&mut self) {
        let segs = self.segments();
        let rsts: Vec<String> = segs
            .iter()
            .filter(|(_, s)| s.flags.contains(Flags::RST))
            .map(|(d, s)| self.rec.capture.label(*d, s))
            .collect();
        self.check(
            rsts.is_empty(),
            if rsts.is_empty() {
                "no RST on the wire".to_string()
            } else {
                format!("no RST on the wire: saw {}", rsts.join(", "))
            },
        );
        for dir in [Direction::ToKernel, Direction::FromKernel] {
            let who = side_name(dir);
            let (other_dir, other) = match dir {
                Direction::ToKernel => (Direction::FromKernel, "the kernel"),
                Direction::FromKernel => (Direction::ToKernel, "synfin-tcp"),
            };
            let sent: Vec<&Segment> = segs
                .iter()
                .filter(|(d, _)| *d == dir)
                .map(|(_, s)| s)
                .collect();
            // A SYN carries no data; a SYN,ACK acknowledges the other
            // side's ISN + 1 and carries the sender's own ISN.
            let syns: Vec<&&Segment> = sent
                .iter()
                .filter(|s| s.flags.contains(Flags::SYN))
                .collect();
            if !syns.is_empty() {
                let empty = syns.iter().all(|s| s.payload.is_empty());
                self.check(empty, format!("{who}'s SYN carried no data"));
            }
            if let Some(sa) = syns.iter().find(|s| s.flags.contains(Flags::ACK)) {
                let (seq, ack) = self.rec.capture.relative(dir, sa);
                self.check(
                    seq == 0 && ack == Some(1),
                    format!(
                        "{who}'s SYN,ACK carried its own ISN and acknowledged {other}'s ISN + 1 \
                         (seq {seq}, ack {})",
                        ack.map_or("-".to_string(), |a| a.to_string())
                    ),
                );
            }
            // SYN consumes one number: the first octet after it is ISN+1.
            if let Some(first_after) = sent.iter().find(|s| !s.flags.contains(Flags::SYN)) {
                let (rel, _) = self.rec.capture.relative(dir, first_after);
                self.check(
                    rel == 1,
                    format!(
                        "{who}'s SYN consumed one sequence number: its next segment has seq {rel} (want 1)"
                    ),
                );
            }
            // FIN consumes one number: the peer acknowledges FIN's seq + 1.
            if let Some(fin) = sent.iter().find(|s| s.flags.contains(Flags::FIN)) {
                let fin_end = fin.seq.add(fin.payload.len() as u32 + 1);
                let acked = segs.iter().any(|(d, s)| {
                    *d == other_dir && s.flags.contains(Flags::ACK) && s.ack == fin_end
                });
                let (rel, _) = self.rec.capture.relative(dir, fin);
                let rel_end = rel + fin.payload.len() as u32 + 1;
                self.check(
                    acked,
                    format!("{who}'s FIN (seq {rel}) consumed one number: {other} acknowledged {rel_end}"),
                );
            }
        }
    }

    /// Checks that `who`'s states include `expected` in this order.
    pub(super) fn check_states(&mut self, side: Side, expected: &[&str]) {
        let (who, seen) = match side {
            Side::Synfin => ("synfin-tcp", &self.rec.synfin_states),
            Side::Kernel => ("the kernel", &self.rec.kernel_states),
        };
        let ok = passes_through(seen, expected);
        let what = if ok {
            format!("{who} passed through {}", expected.join(" → "))
        } else {
            format!(
                "{who} passed through {} (saw {})",
                expected.join(" → "),
                seen.join(" → ")
            )
        };
        self.check(ok, what);
    }

    /// Checks the flags of the first segments, in order.
    pub(super) fn check_opening(&mut self, what: &str, expected: &[(Direction, Flags)]) {
        let segs = self.segments();
        let seen: Vec<(Direction, Flags)> = segs
            .iter()
            .take(expected.len())
            .map(|(d, s)| (*d, s.flags.without(Flags::PSH)))
            .collect();
        let ok = seen == expected;
        let show = |v: &[(Direction, Flags)]| {
            v.iter()
                .map(|(d, f)| format!("{}[{f}]", arrow(*d)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let msg = if ok {
            format!("{what}: {}", show(expected))
        } else {
            format!("{what}: want {}, saw {}", show(expected), show(&seen))
        };
        self.check(ok, msg);
    }
}

fn side_name(dir: Direction) -> &'static str {
    match dir {
        Direction::ToKernel => "synfin-tcp",
        Direction::FromKernel => "the kernel",
    }
}

fn arrow(dir: Direction) -> &'static str {
    match dir {
        Direction::ToKernel => "→",
        Direction::FromKernel => "←",
    }
}

/// Whether `seen` contains `expected` as a subsequence.
pub fn passes_through(seen: &[String], expected: &[&str]) -> bool {
    let mut it = seen.iter();
    expected.iter().all(|e| it.any(|s| s == e))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passes_through_is_an_ordered_subsequence() {
        let seen = v(&["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT"]);
        assert!(passes_through(&seen, &["SYN-SENT", "TIME-WAIT"]));
        assert!(passes_through(&seen, &[]));
        assert!(!passes_through(&seen, &["TIME-WAIT", "SYN-SENT"]));
        assert!(!passes_through(&seen, &["FIN-WAIT-2"]));
    }
}
