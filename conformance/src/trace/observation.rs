//! One host as the model has it after a step.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::event::Event;
use super::segment::Segment;
use super::state::State;

/// A host after a step: what the harness compares with a target's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Observation {
    /// The connection state.
    pub state: State,
    /// ISS relative to the host's ISN base; `None` in CLOSED and LISTEN.
    pub iss: Option<i64>,
    /// Whole ticks until the host's running timer expires, if one runs.
    pub timer: Option<u8>,
    /// Segments the host emitted in the step, sorted.
    pub emitted: Vec<Segment>,
    /// Bytes delivered to the application in this incarnation.
    pub delivered: u8,
    /// The peer's FIN reached the application in this incarnation.
    pub eof: bool,
    /// Application events in the step, in order.
    pub events: Vec<Event>,
    /// The TCB's sequence variables, where the model records them: absent
    /// in traces written before it did, and where the host has no TCB
    /// whose variables mean anything (CLOSED, LISTEN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcb: Option<TcbVars>,
}

impl Observation {
    /// A host with no TCB and nothing happening: where every host starts.
    pub fn closed() -> Observation {
        Observation {
            state: State::Closed,
            iss: None,
            timer: None,
            emitted: Vec::new(),
            delivered: 0,
            eof: false,
            events: Vec::new(),
            tcb: None,
        }
    }
}

/// A host's TCB variables, each relative to where it starts (SND.* to the
/// host's ISS, RCV.NXT to its IRS); a field is absent in a state where it
/// has no meaning (see the trace format in the book).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TcbVars {
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

impl fmt::Display for TcbVars {
    /// `snd_una=0 snd_nxt=1 rcv_nxt=- retries=0` (`-`: absent).
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
