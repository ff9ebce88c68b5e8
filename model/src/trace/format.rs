//! The `synfin-trace/1` format: the types a trace and a cover manifest
//! serialize from, and how the model's segments, configuration and budgets
//! are written in them. Sequence numbers are relative to each host's ISN
//! base (A counts from 0, B from 100 in the model), so a replayer can map
//! them onto any base. The book's trace-format chapter
//! (`docs/src/conformance/trace-format.md`) documents the format;
//! `synfin-conformance` reads it with its own types (the two crates share
//! the format, not code), so a change here is a change of format.

use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::segment::{Ctl, Seg};
use crate::system::{name, A, B};

/// The format tag every trace carries.
pub const FORMAT: &str = "synfin-trace/1";
/// The format tag of the cover manifest.
pub const COVER_FORMAT: &str = "synfin-cover/1";

/// A whole trace.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Trace {
    /// Always [`FORMAT`].
    pub format: String,
    /// How the trace was made: `depth`, `cover`, `random`, `scenario`.
    pub origin: String,
    /// The model configuration.
    pub config: TraceConfig,
    /// The steps, in order.
    pub steps: Vec<Step>,
}

/// The model configuration a trace was exported under.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TraceConfig {
    /// `quick`, `default` or `deep`.
    pub preset: String,
    /// `rfc9293` or `rfc793`.
    pub profile: String,
    /// Seconds of implementation time per model tick.
    pub tick_seconds: u64,
    /// Initial retransmission timeout, in ticks (doubled per retry).
    pub rto: u8,
    /// Maximum segment lifetime, in ticks.
    pub msl: u8,
    /// TIME-WAIT length, in ticks (2·MSL).
    pub time_wait: u8,
    /// Retransmissions (SYN, data, FIN) before a connection gives up.
    pub retries: u8,
    /// Receive window, in sequence numbers.
    pub window: u8,
    /// RFC 5961 challenge ACKs are not rate-limited in the model.
    pub challenge_ack_limit: Option<u32>,
    /// The model's absolute ISN bases of A and B: a `seq: null` RST,ACK
    /// (the literal `<SEQ=0>`) lies at `-model_isn_bases[sender]` relative
    /// to its sender, which is where a replayer delivers it.
    pub model_isn_bases: [i64; 2],
}

/// One step: an input and the observations after it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Step {
    /// Ticks elapsed before this step.
    pub tick: u32,
    /// What happens.
    pub input: Input,
    /// The model transition this step takes (see [`super::transition_key`]), if
    /// an endpoint acts.
    pub key: Option<String>,
    /// Host A after the step.
    #[serde(rename = "A")]
    pub a: HostObs,
    /// Host B after the step.
    #[serde(rename = "B")]
    pub b: HostObs,
}

/// One input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Input {
    /// `listen`, `connect`, `send`, `close`, `abort`, `deliver`, `lose`,
    /// `duplicate`, `delay`, `timeout`, `tick`, `crash`.
    pub kind: String,
    /// The host for application calls, timeouts and crashes.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub host: Option<String>,
    /// The segment for network inputs.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub segment: Option<TSeg>,
}

/// A segment, numbers relative to the ISN bases.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct TSeg {
    /// Sender: `A` or `B`.
    pub from: String,
    /// Control bits in the order SYN, ACK, FIN, RST, comma-separated.
    pub flags: String,
    /// SEG.SEQ relative to the sender's ISN base; `null` for the literal
    /// `<SEQ=0>` of a `<CTL=RST,ACK>` answering a segment without ACK.
    pub seq: Option<i64>,
    /// SEG.ACK relative to the receiver's ISN base (0 without ACK).
    pub ack: i64,
    /// Payload octets.
    pub len: u8,
}

/// What one endpoint looks like after a step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct HostObs {
    /// RFC 9293 state name.
    pub state: String,
    /// ISS relative to the host's ISN base (`null` in CLOSED and LISTEN).
    pub iss: Option<i64>,
    /// Whole ticks until the host's running timer expires, if one runs.
    pub timer: Option<u8>,
    /// Segments the host emitted during the step (sorted).
    pub emitted: Vec<TSeg>,
    /// Bytes delivered to the application in this incarnation.
    pub delivered: u8,
    /// The peer's FIN reached the application.
    pub eof: bool,
    /// Application events during the step: `connected`, `peer-closed`,
    /// `reset`, `refused`, `timed-out`, `closed`.
    pub events: Vec<String>,
    /// The TCB's sequence variables, where the host has a TCB whose
    /// variables mean something (see [`super::tcb_obs`]); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tcb: Option<TcbObs>,
}

/// A host's TCB variables (RFC 9293 §3.3.1), each relative to where it
/// starts: SND.UNA and SND.NXT to the host's ISS, RCV.NXT to its IRS. A
/// field is `None` (omitted) in a state where the RFC gives it no meaning.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TcbObs {
    /// SND.UNA − ISS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snd_una: Option<i64>,
    /// SND.NXT − ISS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub snd_nxt: Option<i64>,
    /// RCV.NXT − IRS.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub rcv_nxt: Option<i64>,
    /// Retransmission timeouts of the oldest unacknowledged segment so far
    /// (0 until its first one; cleared when SND.UNA advances).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub retries: Option<u8>,
}

/// The cover manifest: every transition key reachable in the model.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cover {
    /// Always [`COVER_FORMAT`].
    pub format: String,
    /// The configuration explored.
    pub config: TraceConfig,
    /// Reachable states explored.
    pub states: usize,
    /// Every reachable transition key, sorted.
    pub keys: Vec<String>,
    /// The budgets of the world explored: what a schedule may do and still
    /// be a model schedule (conformance's refinement oracle reads them).
    pub budgets: Budgets,
}

/// The application and network budgets of a configuration (see
/// [`Config`]): not in the trace's `config`, which is what a replayer
/// configures, but in the cover manifest, which says which world its keys
/// were explored in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Budgets {
    /// OPENs per host (incarnations).
    pub opens: u8,
    /// Whether B may also actively open (A only connects; B listens).
    pub b_connects: bool,
    /// Data bytes each host may send per incarnation, A and B.
    pub bytes: [u8; 2],
    /// Segments the network may lose.
    pub losses: u8,
    /// Segments the network may duplicate.
    pub dups: u8,
    /// Segments of any kind (bare ACK and RST too) the network may hold past a tick.
    pub delays: u8,
    /// ABORT calls (A's application, in ESTABLISHED, unless `abort_anywhere`).
    pub aborts: u8,
    /// Either host may ABORT, in any state with a TCB (written only when true).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub abort_anywhere: bool,
    /// Host crashes.
    pub crashes: u8,
    /// The ISN clock advances this many numbers per tick.
    pub isn_rate: u8,
    /// The ISN clock saturates after this many ticks.
    pub clock_cap: u8,
}

/// The budgets block of a cover manifest.
pub fn budgets(cfg: &Config) -> Budgets {
    Budgets {
        opens: cfg.opens,
        b_connects: cfg.b_connects,
        bytes: cfg.bytes,
        losses: cfg.losses,
        dups: cfg.dups,
        delays: cfg.delays,
        aborts: cfg.aborts,
        abort_anywhere: cfg.abort_anywhere,
        crashes: cfg.crashes,
        isn_rate: cfg.isn_rate,
        clock_cap: cfg.clock_cap,
    }
}

pub(super) fn base(h: usize) -> i64 {
    if h == A {
        0
    } else {
        100
    }
}

pub(super) fn flags(ctl: Ctl) -> String {
    let mut v = Vec::new();
    for (bit, n) in [
        (Ctl::SYN, "SYN"),
        (Ctl::ACK, "ACK"),
        (Ctl::FIN, "FIN"),
        (Ctl::RST, "RST"),
    ] {
        if ctl.has(bit) {
            v.push(n);
        }
    }
    v.join(",")
}

/// A model segment in trace terms.
pub fn tseg(s: &Seg) -> TSeg {
    let from = s.from as usize;
    let seq = if s.ctl == Ctl::RST | Ctl::ACK && s.seq == 0 {
        None
    } else {
        Some(i64::from(s.seq) - base(from))
    };
    let ack = if s.ctl.has(Ctl::ACK) {
        i64::from(s.ack) - base(1 - from)
    } else {
        0
    };
    TSeg {
        from: name(from).to_string(),
        flags: flags(s.ctl),
        seq,
        ack,
        len: u8::from(s.data),
    }
}

/// The trace's configuration block.
pub fn trace_config(cfg: &Config) -> TraceConfig {
    TraceConfig {
        preset: cfg.preset.name().to_string(),
        profile: cfg.profile.name().to_string(),
        tick_seconds: 1,
        rto: cfg.rto,
        msl: cfg.msl,
        time_wait: cfg.time_wait(),
        retries: cfg.retries,
        window: cfg.window,
        challenge_ack_limit: None,
        model_isn_bases: [base(A), base(B)],
    }
}
