//! The trace's relative sequence numbers against a target's absolute ones.

use std::time::Duration;

use crate::target::{Clock, Report, WireSegment};
use crate::trace::{Flags, HostId, Observation, Segment};

/// Every trace replays at these ISN bases (a virtual-clock target at each,
/// a real-clock target at one, cycling from trace to trace), so sequence
/// arithmetic crosses 2^31 and the 2^32 wrap.
pub const ISN_BASES: [u32; 3] = [0, 1 << 31, u32::MAX - 2];

/// How one replay maps the trace's numbers, relative to each host's ISN
/// base, onto a target's absolute ones (`absolute = base + relative mod
/// 2^32`), and back.
///
/// Every base starts at the replay's ISN base. A host whose ISS the target
/// chooses itself ([`IssControl::Learned`](crate::target::IssControl))
/// moves its base when it sends a SYN (or SYN,ACK): to where that SYN's
/// number puts the model's ISS for the connection, so the model's numbers
/// line up with the target's from then on.
#[derive(Clone, Debug)]
pub struct Numbering {
    base: [u32; 2],
    /// The model's absolute ISN bases: where a literal `<SEQ=0>` lies.
    model_bases: [i64; 2],
    /// Whether the host's ISS is learned from its SYN.
    learns: [bool; 2],
    /// The model's ISS (relative) for the host's current connection, the
    /// last one the trace recorded.
    model_iss: [Option<i64>; 2],
    /// The ISS (relative) learned from the host's SYN, for the connection
    /// it has now.
    learned_iss: [Option<i64>; 2],
}

impl Numbering {
    /// Both hosts at `isn_base`; `learns[h]` when host h's ISS is learned.
    pub fn new(isn_base: u32, model_bases: [i64; 2], learns: [bool; 2]) -> Numbering {
        Numbering {
            base: [isn_base; 2],
            model_bases,
            learns,
            model_iss: [None; 2],
            learned_iss: [None; 2],
        }
    }

    /// The trace's ISS for `h` at this step (relative), where it has one.
    pub fn model_iss(&mut self, h: HostId, iss: i64) {
        self.model_iss[h.index()] = Some(iss);
    }

    /// `h` opens a new connection: its learned ISS is the old one's no more.
    pub fn new_connection(&mut self, h: HostId) {
        self.learned_iss[h.index()] = None;
    }

    /// `rel` in `h`'s space, absolute.
    pub fn absolute(&self, h: HostId, rel: i64) -> u32 {
        (i64::from(self.base[h.index()]) + rel).rem_euclid(1 << 32) as u32
    }

    /// `abs` in `h`'s space, relative (within ±2^31 of the base).
    pub fn relative(&self, h: HostId, abs: u32) -> i64 {
        i64::from(abs.wrapping_sub(self.base[h.index()]) as i32)
    }

    /// The trace's segment as it goes on the wire. The literal `<SEQ=0>`
    /// lies where it lies in the model's numbers, `-model_isn_bases[from]`.
    pub fn to_wire(&self, seg: &Segment) -> WireSegment {
        let from = seg.from;
        WireSegment {
            flags: seg.flags,
            seq: self.absolute(from, seg.seq.unwrap_or(-self.model_bases[from.index()])),
            ack: if seg.flags.contains(Flags::ACK) {
                self.absolute(from.peer(), seg.ack)
            } else {
                0
            },
            len: seg.len,
        }
    }

    /// A segment `from` sent, in the trace's terms. An RST,ACK with
    /// SEQ = 0 is the literal `<SEQ=0>` of RFC 9293 §3.10.7.1.
    pub fn from_wire(&self, from: HostId, seg: &WireSegment) -> Segment {
        let literal_zero = seg.flags == Flags::RST | Flags::ACK && seg.seq == 0;
        Segment {
            from,
            flags: seg.flags,
            seq: (!literal_zero).then(|| self.relative(from, seg.seq)),
            ack: if seg.flags.contains(Flags::ACK) {
                self.relative(from.peer(), seg.ack)
            } else {
                0
            },
            len: seg.len,
        }
    }

    /// Learns `h`'s ISS from a SYN it sent: its base moves so that the SYN
    /// carries the model's ISS.
    fn learn(&mut self, h: HostId, syn: &WireSegment) {
        let iss = self.model_iss[h.index()].unwrap_or(0);
        self.base[h.index()] = syn.seq.wrapping_sub(iss as u32);
        self.learned_iss[h.index()] = Some(iss);
    }

    /// A target's report on `h` in the trace's terms: relative numbers,
    /// emitted segments sorted as the model sorts them, the timer in whole
    /// ticks (rounded up on a virtual clock, to the nearest on a real one;
    /// see [`Clock`]).
    pub fn observation(
        &mut self,
        h: HostId,
        report: Report,
        clock: Clock,
        tick: Duration,
    ) -> Observation {
        let learns = self.learns[h.index()];
        if learns {
            for s in report
                .emitted
                .iter()
                .filter(|s| s.flags.contains(Flags::SYN))
            {
                self.learn(h, s);
            }
        }
        let mut emitted: Vec<Segment> = report
            .emitted
            .iter()
            .map(|s| self.from_wire(h, s))
            .collect();
        emitted.sort();
        let open = report.state.has_connection();
        let iss = if !open {
            self.learned_iss[h.index()] = None;
            None
        } else if learns {
            self.learned_iss[h.index()]
        } else {
            report.iss.map(|i| self.relative(h, i))
        };
        Observation {
            state: report.state,
            iss,
            timer: report.timer.map(|d| ticks(d, tick, clock)),
            emitted,
            delivered: report.delivered,
            eof: report.eof,
            events: report.events,
            tcb: report.tcb,
        }
    }
}

/// `d` in whole ticks, at most 255.
fn ticks(d: Duration, tick: Duration, clock: Clock) -> u8 {
    let n = match clock {
        Clock::Virtual => d.as_micros().div_ceil(tick.as_micros().max(1)),
        Clock::Real => {
            let tick_ms = tick.as_millis().max(1);
            (d.as_millis() + tick_ms / 2) / tick_ms
        }
    };
    n.min(255) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::State;

    fn report(state: State, emitted: Vec<WireSegment>) -> Report {
        Report {
            state,
            iss: None,
            timer: None,
            emitted,
            delivered: 0,
            eof: false,
            events: Vec::new(),
            tcb: None,
        }
    }

    #[test]
    fn numbers_wrap_around_the_base() {
        let n = Numbering::new(u32::MAX - 2, [0, 100], [false; 2]);
        assert_eq!(n.absolute(HostId::A, 5), 2);
        assert_eq!(n.relative(HostId::A, 2), 5);
        assert_eq!(n.relative(HostId::B, u32::MAX - 3), -1);
    }

    #[test]
    fn a_learned_iss_moves_the_base_to_the_models_iss() {
        let mut n = Numbering::new(0, [0, 100], [true, false]);
        n.model_iss(HostId::A, 7);
        let syn = WireSegment {
            flags: Flags::SYN,
            seq: 1_000_000,
            ack: 0,
            len: 0,
        };
        let o = n.observation(
            HostId::A,
            report(State::SynSent, vec![syn]),
            Clock::Real,
            Duration::from_secs(1),
        );
        assert_eq!((o.iss, o.emitted[0].seq), (Some(7), Some(7)));
        // The peer's ACK of that SYN is ISS + 1 in A's space.
        let ack = Segment {
            from: HostId::B,
            flags: Flags::SYN | Flags::ACK,
            seq: Some(0),
            ack: 8,
            len: 0,
        };
        assert_eq!(n.to_wire(&ack).ack, 1_000_001);
        // Back in CLOSED the learned ISS is forgotten.
        let o = n.observation(
            HostId::A,
            report(State::Closed, vec![]),
            Clock::Real,
            Duration::from_secs(1),
        );
        assert_eq!(o.iss, None);
    }

    #[test]
    fn the_literal_zero_of_an_rst_ack_has_no_relative_number() {
        let n = Numbering::new(1 << 31, [0, 100], [false; 2]);
        let rst = WireSegment {
            flags: Flags::RST | Flags::ACK,
            seq: 0,
            ack: (1 << 31) + 101,
            len: 0,
        };
        let s = n.from_wire(HostId::A, &rst);
        assert_eq!((s.seq, s.ack), (None, 101));
        // Delivered, it lies at -model_isn_bases[from] from the base.
        assert_eq!(n.to_wire(&s).seq, (1 << 31) - 0);
        let from_b = Segment {
            from: HostId::B,
            ..s
        };
        assert_eq!(n.to_wire(&from_b).seq, (1 << 31) - 100);
    }

    #[test]
    fn timers_round_up_on_a_virtual_clock_and_to_the_nearest_on_a_real_one() {
        let tick = Duration::from_secs(1);
        assert_eq!(ticks(Duration::from_millis(1500), tick, Clock::Virtual), 2);
        assert_eq!(ticks(Duration::from_millis(1002), tick, Clock::Virtual), 2);
        assert_eq!(ticks(Duration::from_millis(1002), tick, Clock::Real), 1);
        assert_eq!(ticks(Duration::from_millis(2998), tick, Clock::Real), 3);
        assert_eq!(ticks(Duration::from_secs(600), tick, Clock::Real), 255);
    }
}
