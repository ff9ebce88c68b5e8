//! A log of the segments one connection really exchanged with the kernel,
//! with the application calls between them and each side's state after every
//! step, drawn as a two-column diagram (synfin-tcp left, kernel right).
//!
//! Sequence numbers are shown relative to each side's initial sequence
//! number, learned from its SYN (as packetdrill does), so the diagram reads
//! the same whatever ISNs were chosen.
//!
//! [`Capture`] holds the log; `record.rs` turns it into the `--json`
//! [`SegmentRecord`]s and `diagram.rs` into the text diagram.

mod diagram;
mod record;

use std::net::SocketAddrV4;

use serde::Serialize;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

use crate::driver::Direction;

pub use record::SegmentRecord;

/// Which side made an application call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// synfin-tcp's application.
    Synfin,
    /// The application holding the kernel socket.
    Kernel,
}

/// What happened at one step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum What {
    /// A segment on the wire.
    Segment(Direction, Segment),
    /// An application call (`connect()`, `close()`, ...).
    Call(Side, String),
}

/// One step with each side's state right after it (`None`: not observed,
/// or no socket for this connection).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Microseconds since the capture started.
    pub at_micros: u64,
    /// The step.
    pub what: What,
    /// synfin-tcp's state after the step.
    pub synfin_state: Option<String>,
    /// The kernel's state after the step.
    pub kernel_state: Option<String>,
}

/// The captured exchange of one connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Capture {
    /// synfin-tcp's address and port.
    pub synfin: SocketAddrV4,
    /// The kernel's address and port.
    pub kernel: SocketAddrV4,
    /// The steps in order.
    pub entries: Vec<Entry>,
}

impl Capture {
    /// An empty capture of the connection between `synfin` and `kernel`.
    pub fn new(synfin: SocketAddrV4, kernel: SocketAddrV4) -> Capture {
        Capture {
            synfin,
            kernel,
            entries: Vec::new(),
        }
    }

    /// Whether `seg` belongs to this connection, in either direction.
    pub fn matches(&self, seg: &Segment) -> bool {
        (seg.src == self.synfin && seg.dst == self.kernel)
            || (seg.src == self.kernel && seg.dst == self.synfin)
    }

    /// The segments in order, with their direction.
    pub fn segments(&self) -> impl Iterator<Item = (Direction, &Segment)> {
        self.entries.iter().filter_map(|e| match &e.what {
            What::Segment(d, s) => Some((*d, s)),
            What::Call(..) => None,
        })
    }

    /// The ISN of the side sending in direction `dir`: the sequence number
    /// of its first SYN, else of its first segment.
    pub fn isn(&self, dir: Direction) -> Option<SeqNum> {
        let mut first = None;
        for (d, s) in self.segments() {
            if d != dir {
                continue;
            }
            if s.flags.contains(Flags::SYN) {
                return Some(s.seq);
            }
            first.get_or_insert(s.seq);
        }
        first
    }

    /// `seg`'s (relative seq, relative ack if ACK is set).
    pub fn relative(&self, dir: Direction, seg: &Segment) -> (u32, Option<u32>) {
        let other = match dir {
            Direction::ToKernel => Direction::FromKernel,
            Direction::FromKernel => Direction::ToKernel,
        };
        let own = self.isn(dir).unwrap_or(seg.seq);
        let seq = seg.seq.since(own);
        let ack = seg.flags.contains(Flags::ACK).then(|| {
            // The acknowledged side's ISN; without it (never saw it send),
            // show the raw number.
            self.isn(other).map_or(seg.ack.0, |isn| seg.ack.since(isn))
        });
        (seq, ack)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seg(src: &str, dst: &str, seq: u32, ack: u32, flags: Flags, data: &[u8]) -> Segment {
        Segment {
            src: src.parse().unwrap(),
            dst: dst.parse().unwrap(),
            seq: SeqNum(seq),
            ack: SeqNum(ack),
            flags,
            window: 64240,
            mss: flags.contains(Flags::SYN).then_some(1460),
            payload: data.to_vec(),
        }
    }

    fn handshake() -> Capture {
        let (a, b) = ("10.0.0.2:40000", "10.0.0.1:7000");
        let mut c = Capture::new(a.parse().unwrap(), b.parse().unwrap());
        let mut push = |t, what, l: &str, k: Option<&str>| {
            c.entries.push(Entry {
                at_micros: t,
                what,
                synfin_state: Some(l.to_string()),
                kernel_state: k.map(str::to_string),
            })
        };
        push(
            0,
            What::Call(Side::Synfin, "connect()".into()),
            "SYN-SENT",
            None,
        );
        push(
            10,
            What::Segment(Direction::ToKernel, seg(a, b, u32::MAX, 0, Flags::SYN, b"")),
            "SYN-SENT",
            Some("SYN-RECEIVED"),
        );
        push(
            20,
            What::Segment(
                Direction::FromKernel,
                seg(b, a, 5000, 0, Flags::SYN | Flags::ACK, b""),
            ),
            "ESTABLISHED",
            Some("SYN-RECEIVED"),
        );
        push(
            1500,
            What::Segment(
                Direction::ToKernel,
                seg(a, b, 0, 5001, Flags::ACK | Flags::PSH, b"hello"),
            ),
            "ESTABLISHED",
            Some("ESTABLISHED"),
        );
        c
    }

    #[test]
    fn numbers_are_relative_to_each_sides_isn_across_the_wrap() {
        let c = handshake();
        let r = c.records();
        assert_eq!(r.len(), 3);
        assert_eq!((r[0].flags.as_str(), r[0].seq, r[0].ack), ("S", 0, None));
        assert_eq!(
            (r[1].flags.as_str(), r[1].seq, r[1].ack),
            ("S.", 0, Some(1))
        );
        assert_eq!((r[2].seq, r[2].ack, r[2].len), (1, Some(1), 5));
    }

    #[test]
    fn diagram_has_arrows_labels_and_state_changes() {
        let d = handshake().diagram();
        let lines: Vec<&str> = d.lines().collect();
        assert_eq!(lines.len(), 5, "{d}");
        assert!(lines[0].contains("synfin-tcp 10.0.0.2:40000"), "{d}");
        assert!(lines[0].contains("kernel 10.0.0.1:7000"), "{d}");
        assert!(lines[1].contains("connect()") && lines[1].contains("SYN-SENT"));
        assert!(lines[2].contains("──[S] seq=0 len=0 mss=1460"), "{d}");
        assert!(lines[2].trim_end().ends_with("▶ SYN-RECEIVED"), "{d}");
        assert!(lines[3].contains("◀") && lines[3].contains("[S.] seq=0 ack=1 len=0"));
        assert!(lines[3].contains("ESTABLISHED"));
        // The kernel's state did not change on line 3: not repeated.
        assert!(!lines[3].contains("SYN-RECEIVED"), "{d}");
        assert!(lines[4].contains("1.500") && lines[4].ends_with("ESTABLISHED"));
    }
}
