//! A path as a pcapng capture for Wireshark: real IPv4/TCP packets with
//! valid checksums, one per segment put on the wire, each with a packet
//! comment naming the step and the transition that sent it.
//!
//! # What is captured
//!
//! The capture is taken where segments enter the network: one packet for
//! every segment a step emits, at that step, and one more for every copy
//! the network makes when it duplicates a segment (at the step of the
//! duplication). A segment's fate is in its comment: where it arrives, is
//! lost, held past a tick, duplicated, dies of old age, or that it is still
//! in flight when the path ends. So a lost segment is in the capture (it
//! was sent) and says `lost at step N`.
//!
//! # Addresses and numbers
//!
//! A is `10.0.0.1:40000` and B is `10.0.0.2:80` (constants [`ADDR`] and
//! [`PORT`]). The model's sequence numbers count from each host's ISN base
//! (A's is 0, B's 100, read from the path's first state); on the wire a
//! number is [`WIRE_BASE`] of its host plus the model's number less the
//! model's base, so A's first ISS is 1000000000 and B's 2000000000 (the
//! literal `<SEQ=0>` of a RST,ACK answering a segment without ACK stays
//! 0). The
//! window is 65535, the TTL 64; a data segment carries the one byte `x`.
//!
//! # Time
//!
//! A packet's timestamp is [`EPOCH`] plus one second per tick of the
//! model's clock before its step, plus one millisecond per step number and
//! one microsecond per earlier packet of the same step, so Wireshark shows
//! the packets in path order and `frame.time_relative` reads as ticks.
//!
//! Written with `pcap-file` (its pcapng writer: section header, one
//! interface, enhanced packet blocks with `opt_comment`) and `etherparse`
//! (headers and checksums); the timestamp resolution is nanoseconds
//! (`if_tsresol` 9), the unit `pcap-file` 2 writes.

use std::borrow::Cow;
use std::time::Duration;

use etherparse::{PacketBuilder, TcpHeader};
use pcap_file::pcapng::blocks::enhanced_packet::{EnhancedPacketBlock, EnhancedPacketOption};
use pcap_file::pcapng::blocks::interface_description::{
    InterfaceDescriptionBlock, InterfaceDescriptionOption,
};
use pcap_file::pcapng::blocks::section_header::{SectionHeaderBlock, SectionHeaderOption};
use pcap_file::pcapng::PcapNgWriter;
use pcap_file::{DataLink, Endianness};

use super::{label, Event, Trace, Tracked};
use crate::segment::Ctl;
use crate::system::{name, Action};
use crate::tcb::St;

/// IPv4 addresses of A and B.
pub const ADDR: [[u8; 4]; 2] = [[10, 0, 0, 1], [10, 0, 0, 2]];
/// TCP ports of A and B.
pub const PORT: [u16; 2] = [40000, 80];
/// Where each host's numbers start on the wire: the model's ISN base of A
/// and of B becomes this.
pub const WIRE_BASE: [u32; 2] = [1_000_000_000, 2_000_000_000];
/// The time of step 0: 2026-01-01T00:00:00Z, in seconds since 1970.
pub const EPOCH: u64 = 1_767_225_600;
/// The advertised window of every segment.
const WINDOW: u16 = 65535;

/// One packet of the capture, before it is encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Packet {
    /// The step that put it on the wire.
    pub step: usize,
    /// Since [`EPOCH`].
    pub time: Duration,
    /// The sending host (0 = A, 1 = B).
    pub from: usize,
    /// The IPv4/TCP bytes.
    pub bytes: Vec<u8>,
    /// The packet comment.
    pub comment: String,
}

/// `trace` as a pcapng file; `about`, if not empty, is the section's
/// comment (what was drawn, and how it was found).
pub fn render(trace: &Trace, about: &str) -> Vec<u8> {
    let mut section = SectionHeaderBlock {
        endianness: Endianness::Little,
        ..SectionHeaderBlock::default()
    };
    let mut head = about.to_string();
    if let Some((step, prop)) = trace.violation {
        if !head.is_empty() {
            head += "; ";
        }
        head += &format!("{prop} is violated at step {step}");
    }
    if !head.is_empty() {
        section
            .options
            .push(SectionHeaderOption::Comment(head.into()));
    }
    section
        .options
        .push(SectionHeaderOption::UserApplication(Cow::Borrowed(
            concat!("synfin ", env!("CARGO_PKG_VERSION")),
        )));
    let mut w = PcapNgWriter::with_section_header(Vec::new(), section).expect("in memory");
    let mut idb = InterfaceDescriptionBlock::new(DataLink::RAW, 0xFFFF);
    idb.options = vec![
        InterfaceDescriptionOption::IfName("synfin".into()),
        InterfaceDescriptionOption::IfDescription(
            "the model's network: every segment as it is sent, A = 10.0.0.1:40000, \
             B = 10.0.0.2:80"
                .into(),
        ),
        InterfaceDescriptionOption::IfTsResol(9),
    ];
    w.write_pcapng_block(idb).expect("in memory");
    for p in packets(trace) {
        let epb = EnhancedPacketBlock {
            interface_id: 0,
            timestamp: Duration::from_secs(EPOCH) + p.time,
            original_len: p.bytes.len() as u32,
            data: Cow::Owned(p.bytes),
            options: vec![EnhancedPacketOption::Comment(p.comment.into())],
        };
        w.write_pcapng_block(epb).expect("in memory");
    }
    w.into_inner()
}

/// The packets of `trace`, in order: what [`render`] writes.
pub fn packets(trace: &Trace) -> Vec<Packet> {
    let model_base = trace.path.first().map_or([0, 100], |(s, _)| {
        [s.hosts[0].isn_last, s.hosts[1].isn_last]
    });
    let fates = fates(trace);
    let mut out = Vec::new();
    let mut states = [St::Closed; 2];
    let mut tick = 0u64;
    for row in &trace.rows {
        if matches!(row.action, Some(Action::Tick)) {
            tick += 1;
        }
        let before = states;
        for (h, s) in row.states.iter().enumerate() {
            if let Some(s) = s {
                states[h] = *s;
            }
        }
        let mut sent: Vec<(Tracked, String)> = Vec::new();
        if let Event::Deliver { seg, dup: true, .. } = &row.event {
            let to = name(1 - seg.seg.from as usize);
            sent.push((
                *seg,
                format!(
                    "step {}: the network duplicates {}: one copy arrives at {to} now, \
                     this one stays in flight{}",
                    row.step,
                    label(seg),
                    fate(&fates, seg.id, row.step + 1, trace.violation)
                ),
            ));
        }
        for t in &row.emitted {
            let h = t.seg.from as usize;
            let change = if before[h] == states[h] {
                format!("{} stays {}", name(h), states[h])
            } else {
                format!("{} {} -> {}", name(h), before[h], states[h])
            };
            let cause = cause(trace, row.step);
            let mut c = format!(
                "step {}: {cause}; {change}, emits {}{}",
                row.step,
                label(t),
                fate(&fates, t.id, row.step, trace.violation)
            );
            if let Some((step, prop)) = trace.violation {
                if step == row.step {
                    c += &format!("; {prop} is violated here");
                }
            }
            sent.push((*t, c));
        }
        for (k, (t, comment)) in sent.into_iter().enumerate() {
            let time = Duration::from_secs(tick)
                + Duration::from_millis(row.step as u64)
                + Duration::from_micros(k as u64);
            out.push(Packet {
                step: row.step,
                time,
                from: t.seg.from as usize,
                bytes: encode(&t, model_base),
                comment,
            });
        }
    }
    out
}

/// What happened at `step` that made its host send: `A connect`, `[1] SYN
/// seq=0 arrives at B`.
fn cause(trace: &Trace, step: usize) -> String {
    let row = &trace.rows[step];
    match &row.event {
        Event::Start => "start".to_string(),
        Event::Local { host, what } => format!("{} {what}", name(*host)),
        Event::Deliver { seg, dup, old } => format!(
            "{} arrives at {}{}",
            label(seg),
            name(1 - seg.seg.from as usize),
            super::marks(seg, *dup, *old)
        ),
        Event::Lose(t) => format!("the network loses {}", label(t)),
        Event::Delay(t) => format!("the network holds {} past the tick", label(t)),
        Event::Tick => "a tick".to_string(),
    }
}

/// Every segment's later events by its number: (step, what).
fn fates(trace: &Trace) -> Vec<(usize, usize, &'static str)> {
    let mut out = Vec::new();
    for row in &trace.rows {
        match &row.event {
            Event::Deliver { seg, dup, .. } => {
                if *dup {
                    out.push((seg.id, row.step, "duplicated"));
                }
                out.push((seg.id, row.step, "arrives"));
            }
            Event::Lose(t) => out.push((t.id, row.step, "lost")),
            Event::Delay(t) => out.push((t.id, row.step, "held past the tick")),
            _ => {}
        }
        for t in &row.expired {
            out.push((t.id, row.step, "dies of age"));
        }
    }
    out
}

/// ` (then: arrives at step 4)`: what became of segment `id` from `step`
/// on, and whether it arrived where `violation` breaks a property.
fn fate(
    fates: &[(usize, usize, &'static str)],
    id: usize,
    step: usize,
    violation: Option<(usize, &'static str)>,
) -> String {
    let later: Vec<String> = fates
        .iter()
        .filter(|(i, s, _)| *i == id && *s >= step)
        .map(|(_, s, what)| match violation {
            Some((v, prop)) if v == *s && *what == "arrives" => {
                format!("{what} at step {s}, where {prop} is violated")
            }
            _ => format!("{what} at step {s}"),
        })
        .collect();
    if later.is_empty() {
        " (then: still in flight at the end)".to_string()
    } else {
        format!(" (then: {})", later.join(", "))
    }
}

/// The segment as IPv4/TCP bytes, numbers moved onto [`WIRE_BASE`].
fn encode(t: &Tracked, model_base: [u8; 2]) -> Vec<u8> {
    let s = &t.seg;
    let from = s.from as usize;
    let to = 1 - from;
    let wire = |h: usize, n: u8| {
        (i64::from(WIRE_BASE[h]) + i64::from(n) - i64::from(model_base[h])).rem_euclid(1 << 32)
            as u32
    };
    // A RST,ACK answering a segment without ACK carries the literal
    // <SEQ=0> (RFC 9293 §3.10.7.1): zero on the wire too.
    let seq = if s.ctl == Ctl::RST | Ctl::ACK && s.seq == 0 {
        0
    } else {
        wire(from, s.seq)
    };
    let mut tcp = TcpHeader::new(PORT[from], PORT[to], seq, WINDOW);
    tcp.syn = s.ctl.has(Ctl::SYN);
    tcp.fin = s.ctl.has(Ctl::FIN);
    tcp.rst = s.ctl.has(Ctl::RST);
    if s.ctl.has(Ctl::ACK) {
        tcp.ack = true;
        tcp.acknowledgment_number = wire(to, s.ack);
    }
    let payload: &[u8] = if s.data { b"x" } else { b"" };
    tcp.psh = s.data;
    let mut bytes = Vec::new();
    PacketBuilder::ipv4(ADDR[from], ADDR[to], 64)
        .tcp_header(tcp)
        .write(&mut bytes, payload)
        .expect("a TCP segment of at most one byte fits");
    bytes
}
