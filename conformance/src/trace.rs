//! The `synfin-trace/1` format as conformance reads it (see
//! `TRACE-FORMAT.md`). These types are written independently of the model's
//! writer: the two crates share the format, not code.

use std::fmt;
use std::path::Path;

use serde::{Deserialize, Serialize};

/// The only trace version this reader accepts.
pub const FORMAT: &str = "synfin-trace/1";
/// The cover manifest's version.
pub const COVER_FORMAT: &str = "synfin-cover/1";

/// A trace: the model configuration and the steps.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Trace {
    /// `synfin-trace/1`.
    pub format: String,
    /// `depth`, `cover` or `random`.
    pub origin: String,
    /// Model configuration and timing constants.
    pub config: TraceConfig,
    /// The steps.
    pub steps: Vec<Step>,
}

/// Model configuration.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TraceConfig {
    /// Preset name.
    pub preset: String,
    /// `rfc9293` or `rfc793`.
    pub profile: String,
    /// Seconds per tick.
    pub tick_seconds: u64,
    /// Initial RTO in ticks.
    pub rto: u8,
    /// MSL in ticks.
    pub msl: u8,
    /// TIME-WAIT in ticks.
    pub time_wait: u8,
    /// Retransmissions before giving up.
    pub retries: u8,
    /// Receive window in sequence numbers.
    pub window: u8,
    /// Challenge-ACK rate limit (`null`: none).
    pub challenge_ack_limit: Option<u32>,
    /// The model's absolute ISN bases of A and B (where a literal-zero
    /// RST,ACK lies relative to its sender: `-model_isn_bases[sender]`).
    pub model_isn_bases: [i64; 2],
}

/// One step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Step {
    /// Ticks elapsed before the step.
    pub tick: u32,
    /// The input.
    pub input: Input,
    /// The model transition key, if an endpoint acts.
    pub key: Option<String>,
    /// Host A after the step.
    #[serde(rename = "A")]
    pub a: HostObs,
    /// Host B after the step.
    #[serde(rename = "B")]
    pub b: HostObs,
}

impl Step {
    /// The observation of host `h` (0 = A).
    pub fn host(&self, h: usize) -> &HostObs {
        if h == 0 {
            &self.a
        } else {
            &self.b
        }
    }
}

/// One input.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// Input kind.
    pub kind: String,
    /// `A` or `B` for application calls, timeouts, crashes.
    #[serde(default)]
    pub host: Option<String>,
    /// The segment of a network input.
    #[serde(default)]
    pub segment: Option<TSeg>,
}

/// A segment with relative numbers.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[serde(deny_unknown_fields)]
pub struct TSeg {
    /// `A` or `B`.
    pub from: String,
    /// Flags, in the order SYN, ACK, FIN, RST.
    pub flags: String,
    /// SEQ relative to the sender's ISN base; `null` = literal zero of a RST,ACK.
    pub seq: Option<i64>,
    /// ACK relative to the receiver's ISN base (0 without ACK).
    pub ack: i64,
    /// Payload octets.
    pub len: u8,
}

impl fmt::Display for TSeg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let to = if self.from == "A" { "B" } else { "A" };
        write!(f, "{}→{} <{}", self.from, to, self.flags)?;
        match self.seq {
            Some(s) => write!(f, " seq={s}")?,
            None => write!(f, " seq=0(abs)")?,
        }
        if self.flags.contains("ACK") {
            write!(f, " ack={}", self.ack)?;
        }
        if self.len > 0 {
            write!(f, " +{} byte", self.len)?;
        }
        write!(f, ">")
    }
}

/// One endpoint after a step.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HostObs {
    /// RFC 9293 state name.
    pub state: String,
    /// ISS relative to the ISN base.
    pub iss: Option<i64>,
    /// Whole ticks until the timer expires.
    pub timer: Option<u8>,
    /// Segments emitted in the step, sorted.
    pub emitted: Vec<TSeg>,
    /// Bytes delivered in this incarnation.
    pub delivered: u8,
    /// End of stream reached the application.
    pub eof: bool,
    /// Application events in the step.
    pub events: Vec<String>,
    /// The TCB's sequence variables, where the model records them (absent
    /// in traces written before they were, and where the host has no TCB
    /// whose variables mean anything: CLOSED, LISTEN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcb: Option<TcbObs>,
}

/// A host's TCB variables, each relative to where it starts (SND.* to the
/// host's ISS, RCV.NXT to its IRS); a field is absent in a state where it
/// has no meaning (see `TRACE-FORMAT.md`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct TcbObs {
    /// SND.UNA − ISS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snd_una: Option<i64>,
    /// SND.NXT − ISS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snd_nxt: Option<i64>,
    /// RCV.NXT − IRS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rcv_nxt: Option<i64>,
    /// Retransmission timeouts of the oldest unacknowledged segment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u8>,
}

impl fmt::Display for TcbObs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = |x: Option<i64>| x.map_or("-".to_string(), |x| x.to_string());
        write!(
            f,
            "snd_una={} snd_nxt={} rcv_nxt={} retries={}",
            v(self.snd_una),
            v(self.snd_nxt),
            v(self.rcv_nxt),
            v(self.retries.map(i64::from))
        )
    }
}

/// The cover manifest written by `synfin export --cover transitions`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Cover {
    /// `synfin-cover/1`.
    pub format: String,
    /// The configuration explored.
    pub config: TraceConfig,
    /// Reachable states.
    pub states: usize,
    /// Every reachable transition key.
    pub keys: Vec<String>,
    /// The budgets of the world explored (absent in manifests written
    /// before `synfin export` recorded them).
    #[serde(default)]
    pub budgets: Option<Budgets>,
}

/// What a schedule may do in the world a cover manifest explored.
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
    /// Segments (SYN, FIN or data) the network may hold past a tick.
    pub delays: u8,
    /// ABORT calls (A's application, in ESTABLISHED).
    pub aborts: u8,
    /// Host crashes.
    pub crashes: u8,
    /// ISN clock numbers per tick.
    pub isn_rate: u8,
    /// Ticks after which the ISN clock saturates.
    pub clock_cap: u8,
}

/// Bad input: which file, which field, what is wrong.
#[derive(Debug)]
pub struct BadInput(pub String);

impl fmt::Display for BadInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn check_format(path: &Path, v: &serde_json::Value, want: &str) -> Result<(), BadInput> {
    match v.get("format") {
        None => Err(BadInput(format!(
            "{}: field `format` is missing (expected \"{want}\")",
            path.display()
        ))),
        Some(serde_json::Value::String(s)) if s == want => Ok(()),
        Some(other) => Err(BadInput(format!(
            "{}: field `format` is {other}, this reader understands only \"{want}\"",
            path.display()
        ))),
    }
}

/// Parse a trace, checking the version first.
pub fn parse_trace(path: &Path, text: &str) -> Result<Trace, BadInput> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| BadInput(format!("{}: not JSON: {e}", path.display())))?;
    check_format(path, &v, FORMAT)?;
    let t: Trace = serde_json::from_value(v)
        .map_err(|e| BadInput(format!("{}: bad field: {e}", path.display())))?;
    for (i, s) in t.steps.iter().enumerate() {
        let n = i + 1;
        let need_host = matches!(
            s.input.kind.as_str(),
            "listen" | "connect" | "send" | "close" | "abort" | "timeout" | "crash"
        );
        let need_seg = matches!(
            s.input.kind.as_str(),
            "deliver" | "lose" | "duplicate" | "delay"
        );
        if !need_host && !need_seg && s.input.kind != "tick" {
            return Err(BadInput(format!(
                "{}: steps[{n}].input.kind: unknown kind `{}`",
                path.display(),
                s.input.kind
            )));
        }
        if need_host && !matches!(s.input.host.as_deref(), Some("A" | "B")) {
            return Err(BadInput(format!(
                "{}: steps[{n}].input.host: must be \"A\" or \"B\" for `{}`",
                path.display(),
                s.input.kind
            )));
        }
        if need_seg {
            match &s.input.segment {
                Some(seg) if seg.from == "A" || seg.from == "B" => {}
                _ => {
                    return Err(BadInput(format!(
                        "{}: steps[{n}].input.segment: missing, or `from` is not \"A\"/\"B\"",
                        path.display()
                    )))
                }
            }
        }
    }
    if !matches!(t.config.profile.as_str(), "rfc9293" | "rfc793") {
        return Err(BadInput(format!(
            "{}: config.profile: unknown profile `{}`",
            path.display(),
            t.config.profile
        )));
    }
    if t.config.tick_seconds == 0 {
        return Err(BadInput(format!(
            "{}: config.tick_seconds: must be positive",
            path.display()
        )));
    }
    Ok(t)
}

/// Parse a cover manifest.
pub fn parse_cover(path: &Path, text: &str) -> Result<Cover, BadInput> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| BadInput(format!("{}: not JSON: {e}", path.display())))?;
    check_format(path, &v, COVER_FORMAT)?;
    serde_json::from_value(v).map_err(|e| BadInput(format!("{}: bad field: {e}", path.display())))
}
