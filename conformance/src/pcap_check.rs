//! `synfin-conform pcap check FILE`: how much of one TCP connection in a
//! capture the model can explain.
//!
//! The capture's segments are read (pcap or pcapng, Ethernet, raw IP,
//! Linux cooked or BSD loopback framing), one connection is chosen, and its
//! segments are abstracted as the model abstracts them:
//!
//! - **hosts**: A is the side that sent the first segment, B the other;
//! - **numbers**: each side's sequence numbers relative to its SYN, and an
//!   ACK relative to the other side's SYN;
//! - **data**: the model's segments carry at most one data unit, so every
//!   distinct byte range a side sends is one unit, and a number is the
//!   count of SYN, units and FIN before it. A range that overlaps another
//!   one only in part, or an ACK inside a range, cannot be abstracted;
//! - **time** is ignored: only the order of the segments is kept.
//!
//! The explainer then replays the capture against the model
//! (synfin-model's public [`Sys`] and its transition function, nothing
//! private): the capture is taken to be on the path, so each segment is
//! one the model's sender emitted and the network delivered (or duplicated)
//! in the capture's order. Between two captured segments any number of
//! steps the capture cannot see may happen, up to [`SILENT_DEPTH`]: user
//! calls, ticks, timer expiries, losses. The set of model states consistent
//! with the prefix is kept (breadth first, at most [`MAX_FRONTIER`]); the
//! longest prefix with a non-empty set is what the model explains. For the
//! first segment it cannot explain, the report names the RFC 9293 §3.10.7
//! step by which the model's sender handled the last segment it received
//! (the rule that decided what it would answer), and what the model's
//! sender could send instead.

use std::collections::HashSet;
use std::fmt::Write as _;
use std::net::SocketAddrV4;
use std::path::Path;

use etherparse::{NetSlice, SlicedPacket, TransportSlice};
use pcap_file::pcap::PcapReader;
use pcap_file::pcapng::{Block, PcapNgReader};
use pcap_file::DataLink;
use synfin_model::search::fingerprint;
use synfin_model::segment::{Ctl, Seg};
use synfin_model::system::{Action, A, B};
use synfin_model::tcb::{Host, St};
use synfin_model::{Config, Profile, Sys};

/// Steps the capture cannot see that may come between two segments.
pub const SILENT_DEPTH: usize = 5;
/// The most model states kept at once.
pub const MAX_FRONTIER: usize = 20_000;
/// The most data units a side may send (the model's numbers are a byte).
pub const MAX_UNITS: usize = 8;

/// Exit status: every segment is explained.
pub const EXIT_EXPLAINED: u8 = 0;
/// Exit status: a segment is not.
pub const EXIT_UNEXPLAINED: u8 = 1;
/// Exit status: an unreadable file, no TCP, several connections and none
/// chosen, bad usage.
pub const EXIT_ERROR: u8 = 2;

/// One TCP segment of the capture.
#[derive(Clone, Debug)]
pub struct Packet {
    /// 1-based packet number in the file.
    pub number: usize,
    /// Sender.
    pub src: SocketAddrV4,
    /// Receiver.
    pub dst: SocketAddrV4,
    /// SYN, ACK, FIN, RST as [`Ctl`] bits.
    pub ctl: u8,
    /// SEG.SEQ.
    pub seq: u32,
    /// SEG.ACK.
    pub ack: u32,
    /// Payload octets.
    pub len: u32,
}

/// The TCP segments over IPv4 in a pcap or pcapng file, in order.
pub fn read(path: &Path) -> Result<Vec<Packet>, String> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| format!("{file}: {e}"))?;
    let mut out = Vec::new();
    let mut push = |number: usize, link: DataLink, data: &[u8]| {
        if let Some(p) = tcp(number, link, data) {
            out.push(p);
        }
    };
    let magic = bytes.get(..4).unwrap_or_default();
    if magic == [0x0a, 0x0d, 0x0d, 0x0a] {
        let mut r =
            PcapNgReader::new(&bytes[..]).map_err(|e| format!("{file}: not pcapng: {e}"))?;
        let mut number = 0;
        let mut links: Vec<DataLink> = Vec::new();
        while let Some(b) = r.next_block() {
            let b = b.map_err(|e| format!("{file}: corrupt pcapng after packet {number}: {e}"))?;
            match b {
                Block::SectionHeader(_) => links.clear(),
                Block::InterfaceDescription(i) => links.push(i.linktype),
                Block::EnhancedPacket(p) => {
                    number += 1;
                    let link = usize::try_from(p.interface_id)
                        .ok()
                        .and_then(|i| links.get(i).copied())
                        .ok_or_else(|| format!("{file}: packet {number} names no interface"))?;
                    push(number, link, &p.data);
                }
                Block::SimplePacket(p) => {
                    number += 1;
                    let link = links.first().copied().unwrap_or(DataLink::RAW);
                    push(number, link, &p.data);
                }
                _ => {}
            }
        }
    } else {
        let mut r = PcapReader::new(&bytes[..])
            .map_err(|e| format!("{file}: neither pcap nor pcapng: {e}"))?;
        let link = r.header().datalink;
        let mut number = 0;
        while let Some(p) = r.next_packet() {
            let p = p.map_err(|e| format!("{file}: corrupt pcap after packet {number}: {e}"))?;
            number += 1;
            push(number, link, &p.data);
        }
    }
    Ok(out)
}

/// The TCP segment in one captured frame, if it is TCP over IPv4.
fn tcp(number: usize, link: DataLink, data: &[u8]) -> Option<Packet> {
    let sliced = match link {
        DataLink::ETHERNET => SlicedPacket::from_ethernet(data),
        DataLink::LINUX_SLL => SlicedPacket::from_linux_sll(data),
        DataLink::NULL | DataLink::LOOP => SlicedPacket::from_ip(data.get(4..)?),
        _ => SlicedPacket::from_ip(data),
    }
    .ok()?;
    let (Some(NetSlice::Ipv4(ip)), Some(TransportSlice::Tcp(t))) = (sliced.net, sliced.transport)
    else {
        return None;
    };
    let h = ip.header();
    let bit = |on: bool, c: Ctl| if on { c.0 } else { 0 };
    Some(Packet {
        number,
        src: SocketAddrV4::new(h.source_addr(), t.source_port()),
        dst: SocketAddrV4::new(h.destination_addr(), t.destination_port()),
        ctl: bit(t.syn(), Ctl::SYN)
            | bit(t.ack(), Ctl::ACK)
            | bit(t.fin(), Ctl::FIN)
            | bit(t.rst(), Ctl::RST),
        seq: t.sequence_number(),
        ack: t.acknowledgment_number(),
        len: u32::try_from(t.payload().len()).unwrap_or(u32::MAX),
    })
}

/// A connection: its two ends, in the order first seen.
pub type Conn = (SocketAddrV4, SocketAddrV4);

/// The connections in `packets`, first seen first, with their packets.
pub fn connections(packets: &[Packet]) -> Vec<(Conn, Vec<Packet>)> {
    let mut order: Vec<(Conn, Vec<Packet>)> = Vec::new();
    for p in packets {
        match order
            .iter_mut()
            .find(|(c, _)| *c == (p.src, p.dst) || *c == (p.dst, p.src))
        {
            Some((_, v)) => v.push(p.clone()),
            None => order.push(((p.src, p.dst), vec![p.clone()])),
        }
    }
    order
}

/// A captured segment in the model's abstraction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Abstract {
    /// 0 for A, 1 for B.
    pub from: usize,
    /// Control bits.
    pub ctl: u8,
    /// SEG.SEQ relative to the sender's ISN, in units; `None` before the
    /// sender's SYN was seen (only an RST may say that).
    pub seq: Option<u32>,
    /// SEG.ACK relative to the receiver's ISN, in units (with ACK).
    pub ack: Option<u32>,
    /// Carries data.
    pub data: bool,
}

impl std::fmt::Display for Abstract {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}>{} {}",
            side(self.from),
            side(1 - self.from),
            flags(self.ctl)
        )?;
        if let Some(s) = self.seq {
            write!(f, " seq={s}")?;
        }
        if let Some(a) = self.ack {
            write!(f, " ack={a}")?;
        }
        if self.data {
            write!(f, " +data")?;
        }
        Ok(())
    }
}

fn side(h: usize) -> char {
    if h == A {
        'A'
    } else {
        'B'
    }
}

fn flags(c: u8) -> String {
    let names = [
        (Ctl::SYN, "SYN"),
        (Ctl::ACK, "ACK"),
        (Ctl::FIN, "FIN"),
        (Ctl::RST, "RST"),
    ];
    let v: Vec<&str> = names
        .iter()
        .filter(|(b, _)| c & b.0 != 0)
        .map(|(_, n)| *n)
        .collect();
    if v.is_empty() {
        "none".into()
    } else {
        v.join(",")
    }
}

/// One side's sequence space: its ISN and the byte ranges of its data.
#[derive(Default)]
struct Space {
    isn: Option<u32>,
    /// Distinct ranges `[start, end)`, relative to the ISN, sorted.
    units: Vec<(u32, u32)>,
}

impl Space {
    /// A relative byte number in units: the SYN is 0, then one per data
    /// range, then the FIN; `None` inside a range or past the FIN.
    fn unit(&self, rel: u32) -> Option<u32> {
        if rel == 0 {
            return Some(0);
        }
        let n = u32::try_from(self.units.len()).unwrap_or(u32::MAX);
        let end = self.units.iter().map(|r| r.1).max().unwrap_or(1);
        if rel > end {
            return (rel == end.wrapping_add(1)).then_some(n.saturating_add(2));
        }
        let mut k = 0;
        for &(s, e) in &self.units {
            if e <= rel {
                k += 1;
            } else if s < rel {
                return None;
            }
        }
        Some(1 + k)
    }
}

/// The capture's segments of one connection, abstracted; `Err` names the
/// first one that cannot be (its index and why).
pub fn abstract_all(conn: &Conn, packets: &[Packet]) -> (Vec<Abstract>, Option<(usize, String)>) {
    let mut spaces = [Space::default(), Space::default()];
    let from = |p: &Packet| usize::from((p.src, p.dst) != *conn);
    // ISNs first, then every side's data ranges.
    for p in packets {
        let h = from(p);
        if p.ctl & Ctl::SYN.0 != 0 && spaces[h].isn.is_none() {
            spaces[h].isn = Some(p.seq);
        }
    }
    let mut bad = None;
    for (i, p) in packets.iter().enumerate() {
        let h = from(p);
        let Some(isn) = spaces[h].isn else { continue };
        if p.len == 0 {
            continue;
        }
        let syn = u32::from(p.ctl & Ctl::SYN.0 != 0);
        let s = p.seq.wrapping_sub(isn).wrapping_add(syn);
        let r = (s, s.wrapping_add(p.len));
        let sp = &mut spaces[h];
        if sp.units.contains(&r) {
            continue;
        }
        if sp.units.iter().any(|&(a, b)| a < r.1 && r.0 < b) {
            bad.get_or_insert((i, "its data overlaps another segment's only in part: the model's one-unit segments cannot say it".to_string()));
            continue;
        }
        sp.units.push(r);
        sp.units.sort_unstable();
    }
    let mut out = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if bad.as_ref().is_some_and(|b| b.0 == i) {
            break;
        }
        let h = from(p);
        let rel = |space: &Space, n: u32| space.isn.map(|isn| n.wrapping_sub(isn));
        let seq = match rel(&spaces[h], p.seq) {
            Some(r) => match spaces[h].unit(r) {
                Some(u) => Some(u),
                None => return (out, Some((i, "its sequence number falls inside another segment's data".into()))),
            },
            None if p.ctl & Ctl::RST.0 != 0 => None,
            None => {
                return (
                    out,
                    Some((i, format!("{} has sent no SYN: its numbers cannot be made relative (the capture starts after the handshake?)", side(h)))),
                )
            }
        };
        let ack = if p.ctl & Ctl::ACK.0 != 0 {
            match rel(&spaces[1 - h], p.ack) {
                Some(r) => match spaces[1 - h].unit(r) {
                    Some(u) => Some(u),
                    None => return (
                        out,
                        Some((
                            i,
                            "it acknowledges part of a segment: the model acknowledges whole units"
                                .into(),
                        )),
                    ),
                },
                None => {
                    return (
                        out,
                        Some((
                            i,
                            format!("it acknowledges {} before its SYN was seen", side(1 - h)),
                        )),
                    )
                }
            }
        } else {
            None
        };
        if spaces[h].units.len() > MAX_UNITS || spaces[1 - h].units.len() > MAX_UNITS {
            return (out, Some((i, format!("more than {MAX_UNITS} data segments from one side: past the model's byte-sized numbers"))));
        }
        out.push(Abstract {
            from: h,
            ctl: p.ctl,
            seq,
            ack,
            data: p.len > 0,
        });
    }
    (out, bad)
}

/// A model segment in the capture's abstraction, from state `s`.
fn abstract_model(s: &Sys, m: &Seg) -> Abstract {
    let h = usize::from(m.from);
    let seq = m.seq.wrapping_sub(s.hosts[h].iss);
    let ack = m.ack.wrapping_sub(s.hosts[1 - h].iss);
    Abstract {
        from: h,
        ctl: m.ctl.0,
        seq: Some(u32::from(seq)),
        ack: (m.ctl.0 & Ctl::ACK.0 != 0).then_some(u32::from(ack)),
        data: m.data,
    }
}

fn matches(c: &Abstract, m: &Abstract) -> bool {
    c.from == m.from
        && c.ctl == m.ctl
        && c.data == m.data
        && c.ack == m.ack
        && (c.seq.is_none() || c.seq == m.seq)
}

/// What a host did with the last segment it received: its TCB before,
/// the segment, what it sent in answer.
type Arrival = (Host, Seg, Vec<Seg>);

/// A model state consistent with a prefix of the capture.
#[derive(Clone)]
struct Node {
    sys: Sys,
    /// Captured segments accounted for.
    matched: usize,
    /// Each host's last arrival.
    last: [Option<Arrival>; 2],
    /// The model steps so far.
    path: Vec<Action>,
}

/// The model's configuration for a capture: `base`, with as many data
/// units per side as the capture has, and B able to connect.
pub fn config_for(base: Config, segs: &[Abstract]) -> Config {
    let mut c = base;
    for h in [A, B] {
        let units = segs
            .iter()
            .filter(|s| s.from == h && s.data)
            .filter_map(|s| s.seq)
            .collect::<HashSet<_>>();
        c.bytes[h] = c.bytes[h].max(u8::try_from(units.len()).unwrap_or(u8::MAX));
    }
    c.b_connects = true;
    c
}

/// What the explainer found.
pub struct Explanation {
    /// Segments explained (a prefix).
    pub explained: usize,
    /// The model steps that explain it (one consistent path).
    pub path: Vec<Action>,
    /// For the first segment not explained: why.
    pub why: Option<String>,
}

/// A segment's identity in the network, without its age.
fn ident(m: &Seg) -> (u8, u8, u8, u8, bool) {
    (m.from, m.seq, m.ack, m.ctl.0, m.data)
}

/// The segments `after` has in flight that `before` had not (a multiset
/// difference, ages ignored).
fn emitted(before: &Sys, after: &Sys) -> Vec<Seg> {
    let mut old: Vec<_> = before.net.iter().map(ident).collect();
    let mut out = Vec::new();
    for m in &after.net {
        match old.iter().position(|o| *o == ident(m)) {
            Some(i) => {
                old.swap_remove(i);
            }
            None => out.push(*m),
        }
    }
    out
}

/// Whether the segments one step emitted are the capture's next ones, in
/// any order (a step's segments leave together).
fn emits_next(s: &Sys, em: &[Seg], next: &[Abstract]) -> bool {
    if em.len() > next.len() {
        return false;
    }
    let mut want: Vec<&Abstract> = next[..em.len()].iter().collect();
    for m in em {
        let a = abstract_model(s, m);
        match want.iter().position(|c| matches(c, &a)) {
            Some(i) => {
                want.swap_remove(i);
            }
            None => return false,
        }
    }
    true
}

/// Explains `segs` with the model under `cfg`: the capture is taken to see
/// every segment either host sends, in the order sent.
pub fn explain(cfg: &Config, segs: &[Abstract]) -> Explanation {
    let mut frontier = vec![Node {
        sys: Sys::initial(cfg),
        matched: 0,
        last: [None, None],
        path: Vec::new(),
    }];
    let mut best = frontier[0].clone();
    while let Some(k) = frontier.iter().map(|n| n.matched).min() {
        if k >= segs.len() {
            break;
        }
        let (here, later): (Vec<Node>, Vec<Node>) =
            frontier.into_iter().partition(|n| n.matched == k);
        let advanced = advance(cfg, &here, segs);
        let mut next = later;
        let mut fps: HashSet<(u64, usize)> = next
            .iter()
            .map(|n| (fingerprint(&n.sys), n.matched))
            .collect();
        for n in advanced {
            if next.len() < MAX_FRONTIER && fps.insert((fingerprint(&n.sys), n.matched)) {
                next.push(n);
            }
        }
        if next.is_empty() {
            return Explanation {
                explained: k,
                path: here[0].path.clone(),
                why: Some(diagnose(cfg, &here, segs, k)),
            };
        }
        if let Some(n) = next.iter().max_by_key(|n| n.matched) {
            if n.matched > best.matched {
                best = n.clone();
            }
        }
        frontier = next;
    }
    Explanation {
        explained: segs.len(),
        path: best.path,
        why: None,
    }
}

/// Every state reached from `here` (all at the same prefix) by up to
/// [`SILENT_DEPTH`] steps that send nothing, then one that sends the
/// capture's next segments.
fn advance(cfg: &Config, here: &[Node], segs: &[Abstract]) -> Vec<Node> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut layer: Vec<Node> = here.to_vec();
    let mut acts = Vec::new();
    for depth in 0..=SILENT_DEPTH {
        let mut next = Vec::new();
        for n in &layer {
            if !seen.insert(fingerprint(&n.sys)) {
                continue;
            }
            acts.clear();
            n.sys.actions(cfg, &mut acts);
            for &a in &acts {
                let mut s = n.sys.clone();
                s.step(cfg, a);
                let em = emitted(&n.sys, &s);
                let mut last = n.last.clone();
                if let Action::Deliver(m) | Action::Duplicate(m) = a {
                    let to = 1 - usize::from(m.from);
                    let answer = em
                        .iter()
                        .filter(|e| usize::from(e.from) == to)
                        .copied()
                        .collect();
                    last[to] = Some((n.sys.hosts[to].clone(), m, answer));
                }
                let mut path = n.path.clone();
                path.push(a);
                if em.is_empty() {
                    if depth < SILENT_DEPTH {
                        next.push(Node {
                            sys: s,
                            matched: n.matched,
                            last,
                            path,
                        });
                    }
                } else if emits_next(&s, &em, &segs[n.matched..]) {
                    out.push(Node {
                        sys: s,
                        matched: n.matched + em.len(),
                        last,
                        path,
                    });
                }
            }
        }
        if next.is_empty() || seen.len() > MAX_FRONTIER {
            break;
        }
        layer = next;
    }
    out
}

/// Why `segs[k]` cannot follow any state of `here`.
fn diagnose(cfg: &Config, here: &[Node], segs: &[Abstract], k: usize) -> String {
    let seg = &segs[k];
    let x = seg.from;
    let n = &here[0];
    let mut w = String::new();
    let _ = write!(
        w,
        "the model's {} is in {}",
        side(x),
        n.sys.hosts[x].state.name()
    );
    // The rule by which the sender took the last captured segment it was
    // sent: its arrival may be one of the unseen steps still to come.
    let prev = segs[..k].iter().rposition(|p| p.from != x);
    if let Some((before, m, answer, at)) = prev.and_then(|j| arrival_of(cfg, here, &segs[j])) {
        let em: Vec<String> = answer
            .iter()
            .map(|e| abstract_model(&at, e).to_string())
            .collect();
        let _ = write!(
            w,
            "; the model's {} takes {}'s last segment, {}, in {} by RFC 9293 {}, and answers {}",
            side(x),
            side(1 - x),
            abstract_model(&at, &m),
            before.state.name(),
            rule(cfg, &before, &m),
            if em.is_empty() {
                "nothing".to_string()
            } else {
                em.join(" and ")
            }
        );
    } else if let Some((before, m, answer)) = &n.last[x] {
        let em: Vec<String> = answer
            .iter()
            .map(|e| abstract_model(&n.sys, e).to_string())
            .collect();
        let _ = write!(
            w,
            "; it took the last segment it received, {}, in {} by RFC 9293 {}, and answered {}",
            abstract_model(&n.sys, m),
            before.state.name(),
            rule(cfg, before, m),
            if em.is_empty() {
                "nothing".to_string()
            } else {
                em.join(" and ")
            }
        );
    }
    let h = &n.sys.hosts[x];
    if h.retries > 0 {
        let _ = write!(
            w,
            "; it has retransmitted {} times, the model's limit being {}",
            h.retries, cfg.retries
        );
    }
    // What the sender could send next, after unseen steps.
    let mut could: Vec<String> = Vec::new();
    let mut layer = vec![n.sys.clone()];
    let mut seen = HashSet::new();
    let mut acts = Vec::new();
    for _ in 0..=SILENT_DEPTH {
        let mut next = Vec::new();
        for s in &layer {
            if !seen.insert(fingerprint(s)) {
                continue;
            }
            acts.clear();
            s.actions(cfg, &mut acts);
            for &a in &acts {
                let mut t = s.clone();
                t.step(cfg, a);
                let em = emitted(s, &t);
                if em.is_empty() {
                    next.push(t);
                    continue;
                }
                for e in em.iter().filter(|e| usize::from(e.from) == x) {
                    let d = abstract_model(&t, e).to_string();
                    if !could.contains(&d) {
                        could.push(d);
                    }
                }
            }
        }
        if seen.len() > 5_000 {
            break;
        }
        layer = next;
    }
    could.sort();
    let _ = write!(
        w,
        "; after up to {SILENT_DEPTH} unseen steps it could send: {}",
        if could.is_empty() {
            "nothing".to_string()
        } else {
            could.join(", ")
        }
    );
    w
}

/// The delivery of `seg` to its receiver from a state of `here`, after
/// unseen steps: the receiver's TCB before, the model segment, what it
/// answered, and the state after. An arrival in order (nothing the sender
/// sent earlier still in flight) is preferred.
fn arrival_of(cfg: &Config, here: &[Node], seg: &Abstract) -> Option<(Host, Seg, Vec<Seg>, Sys)> {
    arrival(cfg, here, seg, true).or_else(|| arrival(cfg, here, seg, false))
}

fn arrival(
    cfg: &Config,
    here: &[Node],
    seg: &Abstract,
    in_order: bool,
) -> Option<(Host, Seg, Vec<Seg>, Sys)> {
    let to = 1 - seg.from;
    let mut layer: Vec<Sys> = here.iter().map(|n| n.sys.clone()).collect();
    let mut seen = HashSet::new();
    let mut acts = Vec::new();
    for _ in 0..=SILENT_DEPTH {
        let mut next = Vec::new();
        for s in &layer {
            if !seen.insert(fingerprint(s)) {
                continue;
            }
            acts.clear();
            s.actions(cfg, &mut acts);
            for &a in &acts {
                let mut t = s.clone();
                t.step(cfg, a);
                let em = emitted(s, &t);
                if let Action::Deliver(m) = a {
                    let alone = s.net.iter().filter(|o| o.from == m.from).count() == 1;
                    if matches(seg, &abstract_model(s, &m)) && (alone || !in_order) {
                        let answer = em
                            .iter()
                            .filter(|e| usize::from(e.from) == to)
                            .copied()
                            .collect();
                        return Some((s.hosts[to].clone(), m, answer, t));
                    }
                }
                if em.is_empty() {
                    next.push(t);
                }
            }
        }
        if seen.len() > 5_000 {
            break;
        }
        layer = next;
    }
    None
}

/// `a < b` in sequence space (the model's numbers are a byte).
fn lt(a: u8, b: u8) -> bool {
    (a.wrapping_sub(b) as i8) < 0
}

fn le(a: u8, b: u8) -> bool {
    a == b || lt(a, b)
}

/// The RFC 9293 §3.10.7 step that decides what `host` does with `seg`.
pub fn rule(cfg: &Config, host: &Host, seg: &Seg) -> &'static str {
    let has = |c: Ctl| seg.ctl.has(c);
    match host.state {
        St::Closed => {
            if has(Ctl::RST) {
                "§3.10.7.1 (CLOSED: an RST is dropped)"
            } else {
                "§3.10.7.1 (CLOSED: anything but an RST is answered with an RST)"
            }
        }
        St::Listen => {
            if has(Ctl::RST) {
                "§3.10.7.2, first (LISTEN: an RST is ignored)"
            } else if has(Ctl::ACK) {
                "§3.10.7.2, second (LISTEN: an ACK is answered with <SEQ=SEG.ACK><CTL=RST>)"
            } else if has(Ctl::SYN) {
                "§3.10.7.2, third (LISTEN: a SYN is answered with a SYN,ACK)"
            } else {
                "§3.10.7.2, fourth (LISTEN: anything else is dropped)"
            }
        }
        St::SynSent => {
            let ack_ok = le(host.iss.wrapping_add(1), seg.ack) && le(seg.ack, host.snd_nxt);
            if has(Ctl::ACK) && !ack_ok {
                "§3.10.7.3, first (SYN-SENT: an unacceptable ACK is answered with an RST, unless it is one)"
            } else if has(Ctl::RST) {
                "§3.10.7.3, second (SYN-SENT: an RST with an acceptable ACK resets the connection)"
            } else if has(Ctl::SYN) && has(Ctl::ACK) {
                "§3.10.7.3, fourth (SYN-SENT: a SYN,ACK that acknowledges the SYN completes the handshake)"
            } else if has(Ctl::SYN) {
                "§3.10.7.3, fourth (SYN-SENT: a SYN is a simultaneous open, answered with a SYN,ACK)"
            } else {
                "§3.10.7.3, fifth (SYN-SENT: neither SYN nor RST: dropped)"
            }
        }
        _ => {
            let wnd = cfg.window;
            let len = seg.len();
            let in_wnd = |n: u8| le(host.rcv_nxt, n) && lt(n, host.rcv_nxt.wrapping_add(wnd));
            let acceptable = if len == 0 {
                in_wnd(seg.seq)
            } else {
                in_wnd(seg.seq) || in_wnd(seg.seq.wrapping_add(len - 1))
            };
            let rfc793 = cfg.profile == Profile::Rfc793;
            if !acceptable {
                "§3.10.7.4, first (sequence number: not acceptable, acknowledged unless an RST, and dropped)"
            } else if has(Ctl::RST) {
                if seg.seq == host.rcv_nxt || rfc793 {
                    "§3.10.7.4, second (RST in the window: the connection is reset)"
                } else {
                    "§3.10.7.4, second (RST in the window but not at RCV.NXT: a challenge ACK, RFC 5961 §3.2)"
                }
            } else if has(Ctl::SYN) {
                if rfc793 {
                    "§3.10.7.4, fourth (SYN in the window: the connection is reset, RFC 793)"
                } else {
                    "§3.10.7.4, fourth (SYN in a synchronized state: a challenge ACK, RFC 5961 §4.2)"
                }
            } else if !has(Ctl::ACK) {
                "§3.10.7.4, fifth (no ACK bit: dropped)"
            } else if host.state == St::SynReceived
                && !(le(host.snd_una, seg.ack) && le(seg.ack, host.snd_nxt))
            {
                "§3.10.7.4, fifth (SYN-RECEIVED: an unacceptable ACK is answered with an RST)"
            } else if lt(host.snd_nxt, seg.ack) {
                "§3.10.7.4, fifth (an ACK of something not yet sent: acknowledged and dropped)"
            } else if seg.data {
                "§3.10.7.4, seventh (segment text: taken and acknowledged)"
            } else if has(Ctl::FIN) {
                "§3.10.7.4, eighth (FIN: acknowledged, the state advances)"
            } else {
                "§3.10.7.4, fifth (ACK: SND.UNA advances, nothing to answer)"
            }
        }
    }
}

/// The report `pcap check` prints, and its exit status. `connection` is
/// `None`, a 1-based index, or `A:P-B:P`.
pub fn check(path: &Path, connection: Option<&str>, base: Config) -> Result<(String, u8), String> {
    let file = path.display().to_string();
    let packets = read(path)?;
    let conns = connections(&packets);
    if conns.is_empty() {
        return Err(format!("{file}: no TCP segment over IPv4 in the capture"));
    }
    let list = || {
        let mut s = String::new();
        for (i, ((a, b), v)) in conns.iter().enumerate() {
            let _ = write!(s, "\n  {}: {a} <-> {b}, {} segments", i + 1, v.len());
        }
        s
    };
    let chosen = match connection {
        None if conns.len() == 1 => 0,
        None => {
            return Err(format!(
            "{file}: {} TCP connections; choose one with --connection N or --connection A:P-B:P:{}",
            conns.len(),
            list()
        ))
        }
        Some(c) => {
            let by_index = c
                .parse::<usize>()
                .ok()
                .filter(|&i| i >= 1 && i <= conns.len());
            let by_ends = c.split_once('-').and_then(|(x, y)| {
                let (x, y): (SocketAddrV4, SocketAddrV4) = (x.parse().ok()?, y.parse().ok()?);
                conns
                    .iter()
                    .position(|(k, _)| *k == (x, y) || *k == (y, x))
                    .map(|i| i + 1)
            });
            match by_index.or(by_ends) {
                Some(i) => i - 1,
                None => {
                    return Err(format!(
                        "{file}: no connection `{c}` in the capture:{}",
                        list()
                    ))
                }
            }
        }
    };
    let (conn, pkts) = &conns[chosen];
    let (segs, unabstractable) = abstract_all(conn, pkts);
    let cfg = config_for(base, &segs);
    let ex = explain(&cfg, &segs);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{file}: connection {} <-> {}, {} segments (A = {}, the first sender); model: preset {}, profile {}",
        conn.0,
        conn.1,
        pkts.len(),
        conn.0,
        cfg.preset,
        cfg.profile
    );
    for (i, s) in segs.iter().enumerate().take(ex.explained) {
        let _ = writeln!(
            out,
            "  {:>3}. packet {:>4}  {s}  explained",
            i + 1,
            pkts[i].number
        );
    }
    let total = pkts.len();
    let (n, why) = match (ex.why, unabstractable) {
        (Some(w), _) => (ex.explained, Some(w)),
        (None, Some((i, w))) => (i, Some(format!("it cannot be abstracted: {w}"))),
        (None, None) => (ex.explained, None),
    };
    let _ = writeln!(
        out,
        "explained {n} of {total} segments: the model explains the first {n} ({} model steps)",
        ex.path.len()
    );
    match why {
        None => Ok((out, EXIT_EXPLAINED)),
        Some(w) => {
            let what = segs
                .get(n)
                .map_or_else(|| "(not abstracted)".to_string(), ToString::to_string);
            let _ = writeln!(
                out,
                "segment {} (packet {}, {what}) is not explained: {w}",
                n + 1,
                pkts[n].number
            );
            Ok((out, EXIT_UNEXPLAINED))
        }
    }
}
