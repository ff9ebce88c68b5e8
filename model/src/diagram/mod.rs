//! Sequence diagrams of a path: two lifelines, A on the left and B on the
//! right, the way textbooks draw TCP.
//!
//! [`Trace::new`] turns a path into rows, one per step, and numbers every
//! segment `[k]` by the step that emitted it: a segment is emitted by the
//! action after which it first appears in the network, and a delivery,
//! loss or delay is matched to the oldest in-flight copy equal to it.
//! Sequence and acknowledgment numbers are the model's absolute numbers:
//! host A's ISN clock starts at 0 and B's at 100, so they read as relative
//! numbers for the first incarnation and show how far the clock moved for
//! the next.
//!
//! Four renderings: [`text`] (at most [`text::WIDTH`] columns), [`svg`]
//! (also the Explorer's diagram), [`mermaid`] (`sequenceDiagram`) and
//! [`json`]; and a capture, [`pcapng`] (binary, for Wireshark: see
//! [`render_pcapng`]).

pub mod json;
pub mod mermaid;
pub mod pcapng;
pub mod svg;
pub mod text;

use std::fmt;
use std::str::FromStr;

use crate::segment::Seg;
use crate::system::{Action, Sys};
use crate::tcb::St;

/// A segment with the number the diagram gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tracked {
    /// `[id]` in diagrams: segments are numbered in order of emission, from 1.
    pub id: usize,
    /// The step (row) that emitted it; 0 for none.
    pub sent: usize,
    /// The segment as it is now.
    pub seg: Seg,
}

/// What one step did, as the diagram draws it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The initial state.
    Start,
    /// An application call or timer on one host: `listen`, `timer expires`.
    Local {
        /// The host.
        host: usize,
        /// What happened.
        what: String,
    },
    /// A segment arrives; `dup` when a duplicate copy stays in flight.
    Deliver {
        /// The segment.
        seg: Tracked,
        /// The network duplicated it: this copy arrives, another stays.
        dup: bool,
        /// It belongs to an earlier incarnation of its sender.
        old: bool,
    },
    /// The network loses a segment.
    Lose(Tracked),
    /// The network holds a segment past the tick.
    Delay(Tracked),
    /// A tick of the clock.
    Tick,
}

/// One row of the diagram: the event, the hosts' states after it when they
/// changed, segments emitted and segments that died of old age.
#[derive(Clone, Debug)]
pub struct Row {
    /// Step number: 0 is the initial state.
    pub step: usize,
    /// The action taken to reach this row (none for the initial state).
    pub action: Option<Action>,
    /// What happened.
    pub event: Event,
    /// The new state of A and B, when it changed (always set on row 0).
    pub states: [Option<St>; 2],
    /// Segments this step put on the wire.
    pub emitted: Vec<Tracked>,
    /// Segments that reached MSL age and died at this tick.
    pub expired: Vec<Tracked>,
    /// Segments in flight after the step.
    pub flight: Vec<Tracked>,
}

/// A path prepared for drawing.
#[derive(Clone, Debug)]
pub struct Trace {
    /// One row per state of the path.
    pub rows: Vec<Row>,
    /// The path itself (for the json rendering).
    pub path: Vec<(Sys, Option<Action>)>,
    /// The step at which a property breaks and the property's name, to be
    /// marked (the svg rendering draws a band there); `None` by default.
    pub violation: Option<(usize, &'static str)>,
}

/// Output formats of `synfin show` and `synfin explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Two-lifeline text diagram.
    Text,
    /// SVG sequence diagram.
    Svg,
    /// Mermaid `sequenceDiagram`.
    Mermaid,
    /// The steps as JSON.
    Json,
}

impl Format {
    /// Every format.
    pub const ALL: [Format; 4] = [Format::Text, Format::Svg, Format::Mermaid, Format::Json];

    /// Its command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Format::Text => "text",
            Format::Svg => "svg",
            Format::Mermaid => "mermaid",
            Format::Json => "json",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Format, String> {
        Format::ALL
            .into_iter()
            .find(|f| f.name() == s)
            .ok_or_else(|| format!("unknown format `{s}`; valid: text, svg, mermaid, json"))
    }
}

/// Render `path` in `format`.
pub fn render(path: &[(Sys, Option<Action>)], format: Format) -> String {
    render_marked(path, format, None)
}

/// Render `path` in `format` with `violation` (step, property name) marked
/// where the format can show it: the svg rendering draws a band at that step
/// naming the property; text, mermaid and json are as from [`render`].
pub fn render_marked(
    path: &[(Sys, Option<Action>)],
    format: Format,
    violation: Option<(usize, &'static str)>,
) -> String {
    let mut trace = Trace::new(path);
    trace.violation = violation;
    match format {
        Format::Text => text::render(&trace),
        Format::Svg => svg::render(&trace),
        Format::Mermaid => mermaid::render(&trace),
        Format::Json => serde_json::to_string_pretty(&json::render(&trace)).expect("json") + "\n",
    }
}

/// `path` as a pcapng capture (see [`pcapng`]): one IPv4/TCP packet per
/// segment sent, each commented with its step and transition; `violation`
/// (step, property name) is named in the comments of that step's packets
/// and in the section's comment, which starts with `about`.
pub fn render_pcapng(
    path: &[(Sys, Option<Action>)],
    violation: Option<(usize, &'static str)>,
    about: &str,
) -> Vec<u8> {
    let mut trace = Trace::new(path);
    trace.violation = violation;
    pcapng::render(&trace, about)
}

fn take(flight: &mut Vec<Tracked>, seg: &Seg) -> Option<Tracked> {
    let i = flight.iter().position(|t| t.seg == *seg)?;
    Some(flight.remove(i))
}

impl Trace {
    /// Number the segments of `path` and work out what each step did.
    pub fn new(path: &[(Sys, Option<Action>)]) -> Trace {
        let mut rows = Vec::with_capacity(path.len());
        let mut flight: Vec<Tracked> = Vec::new();
        let mut next_id = 1;
        for (i, (state, _)) in path.iter().enumerate() {
            let action = if i == 0 { None } else { path[i - 1].1 };
            let prev = if i == 0 { None } else { Some(&path[i - 1].0) };
            let mut expired = Vec::new();
            let event = match action {
                None => Event::Start,
                Some(a) => match a {
                    Action::Deliver(s) | Action::Duplicate(s) => {
                        let t = if matches!(a, Action::Deliver(_)) {
                            take(&mut flight, &s)
                        } else {
                            flight.iter().find(|t| t.seg == s).copied()
                        };
                        let t = t.unwrap_or(Tracked {
                            id: 0,
                            sent: 0,
                            seg: s,
                        });
                        let sender = prev.map_or(0, |p| p.hosts[s.from as usize].inc);
                        Event::Deliver {
                            seg: t,
                            dup: matches!(a, Action::Duplicate(_)),
                            old: s.g_inc < sender,
                        }
                    }
                    Action::Inject(s) => Event::Deliver {
                        seg: Tracked {
                            id: 0,
                            sent: 0,
                            seg: s,
                        },
                        dup: false,
                        old: false,
                    },
                    Action::Lose(s) => Event::Lose(take(&mut flight, &s).unwrap_or(Tracked {
                        id: 0,
                        sent: 0,
                        seg: s,
                    })),
                    Action::Delay(s) => {
                        let mut t = take(&mut flight, &s).unwrap_or(Tracked {
                            id: 0,
                            sent: 0,
                            seg: s,
                        });
                        t.seg.late = true;
                        flight.push(t);
                        Event::Delay(t)
                    }
                    Action::Tick => {
                        for t in &mut flight {
                            t.seg.age += 1;
                        }
                        Event::Tick
                    }
                    Action::Listen(h) => local(h, "listen"),
                    Action::Connect(h) => local(h, "connect"),
                    Action::Send(h) => local(h, "send 1 byte"),
                    Action::Close(h) => local(h, "close"),
                    Action::Abort(h) => local(h, "abort"),
                    Action::Timeout(h) => {
                        let what = match prev.map(|p| &p.hosts[h]) {
                            Some(host) if host.state == St::TimeWait => "2MSL timer expires",
                            Some(host) if host.state == St::Closed => "quiet time over",
                            _ => "timer expires",
                        };
                        local(h, what)
                    }
                    Action::Crash(h) => local(h, "crash and reboot"),
                },
            };
            // Reconcile with the network after the step: what is left over
            // died of age; what is new was emitted by this step.
            let mut rest = std::mem::take(&mut flight);
            let mut emitted = Vec::new();
            for seg in &state.net {
                match take(&mut rest, seg) {
                    Some(t) => flight.push(t),
                    None => {
                        let t = Tracked {
                            id: next_id,
                            sent: i,
                            seg: *seg,
                        };
                        next_id += 1;
                        emitted.push(t);
                        flight.push(t);
                    }
                }
            }
            if matches!(action, Some(Action::Tick)) {
                expired = rest;
            }
            let states = [0, 1].map(|h| {
                let now = state.hosts[h].state;
                match prev {
                    Some(p) if p.hosts[h].state == now => None,
                    _ => Some(now),
                }
            });
            rows.push(Row {
                step: i,
                action,
                event,
                states,
                emitted,
                expired,
                flight: flight.clone(),
            });
        }
        Trace {
            rows,
            path: path.to_vec(),
            violation: None,
        }
    }
}

fn local(host: usize, what: &str) -> Event {
    Event::Local {
        host,
        what: what.to_string(),
    }
}

/// A segment's label: `[3] SYN,ACK seq=100 ack=1`.
pub fn label(t: &Tracked) -> String {
    format!("[{}] {}", t.id, t.seg.label())
}

/// The marks after a delivered segment's label: ` (dup)`, ` (late)`,
/// ` (old)`, ` (forged)`.
pub fn marks(t: &Tracked, dup: bool, old: bool) -> String {
    let mut s = String::new();
    if t.seg.g_inc == crate::segment::Seg::FORGED {
        s += " (forged)";
    }
    if dup {
        s += " (dup)";
    }
    if t.seg.late {
        s += " (late)";
    }
    if old {
        s += " (old)";
    }
    s
}

/// Parse a scenario name (a `sometimes` property); the error lists them all.
pub fn scenario(name: &str) -> Result<&'static str, String> {
    let all: Vec<&'static str> = crate::properties::ALL
        .iter()
        .filter(|p| p.expectation == crate::properties::Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
    all.iter()
        .copied()
        .find(|n| *n == name)
        .ok_or_else(|| format!("unknown scenario `{name}`; valid: {}", all.join(", ")))
}

/// What the standard design does differently from `v`, in one paragraph.
pub fn standard_design(v: crate::Variant) -> &'static str {
    use crate::Variant::*;
    match v {
        TwoWayHandshake => {
            "The standard design keeps the server in SYN-RECEIVED until an ACK of its own ISN \
             arrives. A stale or unanswered SYN gets a SYN,ACK that no client acknowledges, so \
             the server never counts as connected to a peer that did not ask; with three \
             segments the client's RST sends it back to LISTEN."
        }
        NoTimeWait => {
            "The standard design keeps the active closer in TIME-WAIT for 2·MSL after its last \
             ACK. Until the peer has that ACK, whatever the peer still sends (a retransmitted \
             FIN, a late ACK) finds a TCB that acknowledges or ignores it. Without TIME-WAIT it \
             finds nothing, is answered by a RST, and the peer is reset instead of closing in \
             order."
        }
        ShortTimeWait => {
            "TIME-WAIT lasts 2·MSL in the standard design: long enough for every segment of the \
             old incarnation to die before the 4-tuple is used again, so a delayed old segment \
             cannot be taken for part of the new connection."
        }
        FixedIsn => {
            "The standard design draws each ISS from a clock that keeps advancing (RFC 9293 \
             §3.4.1), so a new incarnation's numbers start beyond those of the old one and a \
             delayed old segment falls outside the new connection's window."
        }
        NoSynRetransmit => {
            "The standard design retransmits an unanswered SYN, doubling the timeout each time, \
             before it gives up after its retry limit (R2): each copy is another chance, so one \
             lost SYN only delays the connection. Here the timer runs out just the same, but \
             with nothing sent again a single loss ends the connection before it began."
        }
        NoSimultaneousOpen => {
            "RFC 9293 (MUST-10) moves SYN-SENT to SYN-RECEIVED on a SYN and answers with a \
             SYN,ACK, so two crossing active OPENs become one connection in four segments. \
             Here each drops the other's SYN, every retransmission too, and on a network that \
             lost nothing both give up."
        }
        TimeWaitOneMsl => {
            "The standard design stays in TIME-WAIT for 2·MSL. The peer may retransmit its FIN \
             until it hears the last ACK, and each copy may live for MSL; TIME-WAIT must \
             outlast the last of them, so that it is acknowledged rather than answered by a \
             RST from a CLOSED endpoint, which would reset the peer's orderly close."
        }
        UncheckedSynAck => {
            "In the standard design SYN-SENT first checks the ACK of a SYN,ACK: unless it \
             acknowledges this connection's SYN (ISS < SEG.ACK =< SND.NXT), the segment answers \
             some older SYN, and the host sends a RST and drops it (RFC 9293 §3.10.7.3; the \
             recovery from an old duplicate SYN of its Figure 8). The peer then gives up the old attempt and answers the new \
             SYN. Here A takes the SYN,ACK of its cancelled SYN as the answer to its new one, \
             and is ESTABLISHED with a peer that has never seen the SYN it counts as \
             acknowledged."
        }
    }
}

/// `synfin explain`: `path`, a counterexample for `v` found as `how` says
/// (e.g. "shortest counterexample, preset default"), with which property
/// broke, where, and what the standard design does instead.
pub fn explain(
    v: crate::Variant,
    profile: crate::Profile,
    path: &[(Sys, Option<Action>)],
    how: &str,
    format: Format,
) -> String {
    let prop = v.breaks();
    let diagram = render_marked(path, format, Some((path.len() - 1, prop)));
    if format != Format::Text {
        return diagram;
    }
    let statement = crate::properties::by_name(prop).map_or("", |p| p.statement);
    let w = text::WIDTH - 4;
    let mut out = wrap(&format!("variant {v}: {}", v.about()), w);
    out += &wrap(&format!("breaks {prop}: {statement}"), w);
    out.push('\n');
    out += &diagram;
    out.push('\n');
    let step = path.len() - 1;
    out += &wrap(
        &format!("{prop} is violated at step {step} ({how}, profile {profile})."),
        w,
    );
    out.push('\n');
    out += &wrap(standard_design(v), w);
    out
}

/// Wrap `s` at `width` columns.
pub fn wrap(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut line = String::new();
    for w in s.split_whitespace() {
        if !line.is_empty() && line.chars().count() + 1 + w.chars().count() > width {
            out += &line;
            out.push('\n');
            line.clear();
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line += w;
    }
    if !line.is_empty() {
        out += &line;
        out.push('\n');
    }
    out
}
