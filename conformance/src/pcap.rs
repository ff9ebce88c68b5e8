//! A replay as a pcapng capture for Wireshark (`synfin-conform replay
//! --pcap DIR`): the expected stream (the trace's segments) and the
//! observed stream (what was on the wire with the target in it) as two
//! interfaces, one IPv4/TCP packet per segment emitted, each with a packet
//! comment naming the step and the transition, and the step where the
//! replay stopped marked `DIVERGENCE at step N: ...` (or `DEVIATION name
//! at step N: ...`).
//!
//! # The two streams
//!
//! - Interface 0, `expected`: every segment the trace has either host emit,
//!   steps 1 to the one where the replay stopped (to the end for a replay
//!   that agreed), at the step that emits it.
//! - Interface 1, `observed`: the same up to the step before the stop (those
//!   steps agreed: up to what the target's policy absorbs, the target
//!   emitted what the trace has), then at the stop what the target reported
//!   for each host it plays, and the trace's segments for a host the
//!   harness plays.
//!
//! A is `10.0.0.1` and B `10.0.0.2:80` in both; A's port is 40000 in the
//! expected stream and 40001 in the observed one, so Wireshark analyses
//! them as two TCP conversations (`tcp.stream` 0 and 1) and does not take
//! one for retransmissions of the other. Sequence numbers are the trace's
//! relative numbers on the replay's ISN base, as [`Numbering`] puts them on
//! the wire (a target that chose its own ISS is shown on the base, as the
//! engine compared it). A step's packets are timestamped at 2026-01-01
//! 00:00:00 UTC plus its tick times the trace's tick length, plus one
//! millisecond per step number and one microsecond per earlier packet of
//! the step; both streams share the timeline, each step's expected packets
//! before its observed ones.
//!
//! The packets are built by `etherparse` (headers and checksums) and
//! written by `pcap-file` 2 (pcapng, `opt_comment` on every enhanced
//! packet block, nanosecond `if_tsresol`). This module is the conformance
//! crate's own: the model writes its captures (`synfin show --format
//! pcapng`) with code of its own.

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};

use crate::replay::{Numbering, Outcome, Verdict};
use crate::target::Role;
use crate::trace::{Flags, HostId, Observation, Segment, Trace};

/// IPv4 addresses of A and B.
pub const ADDR: [[u8; 4]; 2] = [[10, 0, 0, 1], [10, 0, 0, 2]];
/// A's port in the expected stream (interface 0) and the observed one
/// (interface 1); B's is [`B_PORT`] in both.
pub const A_PORT: [u16; 2] = [40000, 40001];
/// B's port.
pub const B_PORT: u16 = 80;
/// The time of tick 0: 2026-01-01T00:00:00Z, in seconds since 1970.
pub const EPOCH: u64 = 1_767_225_600;
/// The advertised window of every packet.
const WINDOW: u16 = 65535;

/// Whether `outcome` gets a capture: one that did not agree (diverged, or
/// stopped at a named deviation), or with `all` every replay that did not
/// end early.
pub fn wanted(outcome: &Outcome, all: bool) -> bool {
    match outcome.verdict {
        Verdict::Diverged | Verdict::Deviation(_) => true,
        Verdict::Agreed => all,
        Verdict::EndedEarly(_) => false,
    }
}

/// `<trace-stem>-<role>.pcapng` (`A`, `B` or `both`), or with the profile
/// (`<stem>-<profile>-<role>`) and then a number if that is in `taken`.
pub fn file_name(outcome: &Outcome, taken: &BTreeSet<String>) -> String {
    let stem = outcome
        .file
        .file_stem()
        .map_or("trace".into(), |s| s.to_string_lossy());
    let role = match outcome.role {
        Role::Host(h) => h.to_string(),
        Role::Both => "both".to_string(),
    };
    let mut name = format!("{stem}-{role}.pcapng");
    if taken.contains(&name) {
        name = format!("{stem}-{}-{role}.pcapng", outcome.profile);
    }
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{stem}-{}-{role}-{n}.pcapng", outcome.profile);
        n += 1;
    }
    name
}

/// Writes a capture for each outcome [`wanted`] into `dir`, `trace_of`
/// finding each one's trace; returns the files written.
pub fn write_all<'a>(
    dir: &Path,
    target: &str,
    outcomes: &[Outcome],
    all: bool,
    trace_of: impl Fn(&Path) -> Option<&'a Trace>,
) -> Result<Vec<PathBuf>, String> {
    let mut taken = BTreeSet::new();
    let mut written = Vec::new();
    for o in outcomes.iter().filter(|o| wanted(o, all)) {
        let Some(trace) = trace_of(&o.file) else {
            continue;
        };
        let name = file_name(o, &taken);
        let path = dir.join(&name);
        std::fs::write(&path, render(trace, o, target))
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        taken.insert(name);
        written.push(path);
    }
    Ok(written)
}

/// One packet before it is encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// 0 expected, 1 observed.
    pub interface: u32,
    /// The step (1-based) that emitted it.
    pub step: usize,
    /// Since [`EPOCH`].
    pub time: Duration,
    /// The segment as the trace numbers it.
    pub segment: Segment,
    /// The packet comment.
    pub comment: String,
}

/// The capture of `outcome`, a replay of `trace` against `target`.
pub fn render(trace: &Trace, outcome: &Outcome, target: &str) -> Vec<u8> {
    let mut about = format!(
        "{} replayed against {target} playing {} ({}, ISN base {}): {}",
        outcome.file.display(),
        outcome.role,
        outcome.profile,
        outcome.isn_base,
        outcome.verdict
    );
    if let Some(at) = outcome.at {
        about += &format!(
            " at step {at} of {}: {}",
            outcome.of,
            outcome.diffs.join("; ")
        );
    }
    let section = SectionHeaderBlock {
        endianness: Endianness::Little,
        options: vec![
            SectionHeaderOption::Comment(about.into()),
            SectionHeaderOption::UserApplication(Cow::Borrowed(concat!(
                "synfin-conform ",
                env!("CARGO_PKG_VERSION")
            ))),
        ],
        ..SectionHeaderBlock::default()
    };
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section).expect("in memory");
    let played = match outcome.role {
        Role::Both => "A and B".to_string(),
        Role::Host(h) => format!("{h}, the harness {}", h.peer()),
    };
    for (name, description) in [
        (
            "expected",
            "the trace's segments, as the model expects them; A = 10.0.0.1:40000, B = 10.0.0.2:80"
                .to_string(),
        ),
        (
            "observed",
            format!(
                "on the wire with {target} playing {played}: agreed steps as the trace has \
                 them, the step that stopped the replay as the target reported it; \
                 A = 10.0.0.1:40001, B = 10.0.0.2:80"
            ),
        ),
    ] {
        let mut idb = InterfaceDescriptionBlock::new(DataLink::RAW, 0xFFFF);
        idb.options = vec![
            InterfaceDescriptionOption::IfName(name.into()),
            InterfaceDescriptionOption::IfDescription(description.into()),
            InterfaceDescriptionOption::IfTsResol(9),
        ];
        w.write_pcapng_block(idb).expect("in memory");
    }
    let numbers = Numbering::new(outcome.isn_base, trace.config.model_isn_bases, [false; 2]);
    for p in packets(trace, outcome) {
        let bytes = encode(&numbers, &p.segment, p.interface as usize);
        let epb = EnhancedPacketBlock {
            interface_id: p.interface,
            timestamp: Duration::from_secs(EPOCH) + p.time,
            original_len: bytes.len() as u32,
            data: Cow::Owned(bytes),
            options: vec![EnhancedPacketOption::Comment(p.comment.into())],
        };
        w.write_pcapng_block(epb).expect("in memory");
    }
    w.into_inner()
}

/// The packets of both streams, in file order: what [`render`] writes.
pub fn packets(trace: &Trace, outcome: &Outcome) -> Vec<Packet> {
    let last = outcome
        .at
        .unwrap_or(trace.steps.len())
        .min(trace.steps.len());
    let mark = outcome.at.map(|at| {
        let head = match &outcome.verdict {
            Verdict::Deviation(name) => format!("DEVIATION {name} at step {at}"),
            _ => format!("DIVERGENCE at step {at}"),
        };
        format!("{head}: {}", outcome.diffs.join("; "))
    });
    let closed = Observation::closed();
    let tick = trace.config.tick_seconds;
    let mut out: Vec<Packet> = Vec::new();
    for (i, step) in trace.steps[..last].iter().enumerate() {
        let n = i + 1;
        let stop = outcome.at == Some(n);
        let before = |h: HostId| {
            if i == 0 {
                &closed
            } else {
                trace.steps[i - 1].host(h)
            }
        };
        let time = |k: usize| {
            Duration::from_secs(u64::from(step.tick) * tick)
                + Duration::from_millis(n as u64)
                + Duration::from_micros(k as u64)
        };
        let seen = |h: HostId| -> &Observation {
            if stop && outcome.role.plays(h) {
                outcome
                    .observed
                    .iter()
                    .find(|(x, _)| *x == h)
                    .map_or(step.host(h), |(_, o)| o)
            } else {
                step.host(h)
            }
        };
        let mut k = 0;
        for interface in [0u32, 1] {
            for h in HostId::BOTH {
                let after = if interface == 0 {
                    step.host(h)
                } else {
                    seen(h)
                };
                for s in &after.emitted {
                    let change = if before(h).state == after.state {
                        format!("{h} stays {}", after.state)
                    } else {
                        format!("{h} {} -> {}", before(h).state, after.state)
                    };
                    let mut comment =
                        format!("step {n}: {}; {change}, emits {}", step.input, label(s));
                    if let (true, Some(m)) = (stop, &mark) {
                        comment += &format!("; {m}");
                    }
                    out.push(Packet {
                        interface,
                        step: n,
                        time: time(k),
                        segment: s.clone(),
                        comment,
                    });
                    k += 1;
                }
            }
        }
    }
    // A stop where the observed stream has no packet: the mark goes on the
    // observed stream's last packet before it.
    if let (Some(at), Some(m)) = (outcome.at, &mark) {
        let marked = out.iter().any(|p| p.interface == 1 && p.step == at);
        if !marked {
            if let Some(p) = out.iter_mut().rev().find(|p| p.interface == 1) {
                p.comment += &format!("; no packet at step {at}, after this one: {m}");
            }
        }
    }
    out
}

/// `SYN,ACK seq=100 ack=1 +1`: a segment without its direction.
fn label(s: &Segment) -> String {
    let mut l = s.flags.to_string();
    match s.seq {
        Some(n) => l += &format!(" seq={n}"),
        None => l += " seq=0(abs)",
    }
    if s.flags.contains(Flags::ACK) {
        l += &format!(" ack={}", s.ack);
    }
    if s.len > 0 {
        l += &format!(" +{}", s.len);
    }
    l
}

/// The segment as IPv4/TCP bytes on interface `interface`'s ports.
fn encode(numbers: &Numbering, s: &Segment, interface: usize) -> Vec<u8> {
    let wire = numbers.to_wire(s);
    let port = |h: HostId| match h {
        HostId::A => A_PORT[interface],
        HostId::B => B_PORT,
    };
    let (from, to) = (s.from, s.to());
    let mut tcp = TcpHeader::new(port(from), port(to), wire.seq, WINDOW);
    tcp.syn = wire.flags.contains(Flags::SYN);
    tcp.fin = wire.flags.contains(Flags::FIN);
    tcp.rst = wire.flags.contains(Flags::RST);
    if wire.flags.contains(Flags::ACK) {
        tcp.ack = true;
        tcp.acknowledgment_number = wire.ack;
    }
    let payload = vec![b'x'; usize::from(wire.len)];
    tcp.psh = !payload.is_empty();
    let mut bytes = Vec::new();
    PacketBuilder::ipv4(ADDR[from.index()], ADDR[to.index()], 64)
        .tcp_header(tcp)
        .write(&mut bytes, &payload)
        .expect("a TCP segment of a few bytes fits");
    bytes
}
