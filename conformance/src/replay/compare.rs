//! One host after one step: the model's observation against a target's.

use serde::Serialize;

use super::policy::{Absorption, Policy};
use crate::trace::{Flags, HostId, Observation, Segment, State};

/// Compares host `h` after a step, field by field, as `policy` says;
/// appends each difference to `out` as `<host>.<field>: expected ...,
/// actual ...`, and each absorbed one (once per replay) to `absorbed`.
/// `peer` is the model's state of the other host after the step; `tcb`
/// whether the target observes its TCB variables (they are compared only
/// then, and only where the trace records them).
///
/// The timer is the one field not always compared exactly: see
/// [`timer_conforms`].
#[allow(clippy::too_many_arguments)]
pub fn compare(
    h: HostId,
    exp: &Observation,
    act: &Observation,
    peer: State,
    policy: &Policy,
    tcb: bool,
    out: &mut Vec<String>,
    absorbed: &mut Vec<Absorption>,
) {
    fn differs<T: PartialEq + Serialize>(
        h: HostId,
        field: &str,
        e: &T,
        a: &T,
        out: &mut Vec<String>,
    ) {
        if e != a {
            out.push(line(h, field, e, a));
        }
    }
    let mut absorb = |a: Absorption| {
        if !absorbed.contains(&a) {
            absorbed.push(a);
        }
    };
    differs(h, "state", &exp.state, &act.state, out);
    differs(h, "iss", &exp.iss, &act.iss, out);
    let time_wait_both = exp.state == State::TimeWait && act.state == State::TimeWait;
    if policy.absorbs(Absorption::TimeWaitLength) && time_wait_both && exp.timer.is_some() {
        if act.timer.is_some() && act.timer != exp.timer {
            absorb(Absorption::TimeWaitLength);
        } else {
            differs(h, "timer", &exp.timer, &act.timer, out);
        }
    } else if !timer_conforms(exp, act) {
        out.push(line(h, "timer", &exp.timer, &act.timer));
    }
    if exp.emitted != act.emitted {
        // RFC 9293 §3.10.7.4: in every state but SYN-SENT the RST bit is
        // checked before the ACK field.
        if policy.absorbs(Absorption::RstCarriesAck)
            && peer != State::SynSent
            && rst_gains_ack(exp, act)
        {
            absorb(Absorption::RstCarriesAck);
        } else {
            out.push(format!(
                "{h}.emitted: expected {}, actual {}",
                segments(&exp.emitted),
                segments(&act.emitted)
            ));
        }
    }
    differs(h, "delivered", &exp.delivered, &act.delivered, out);
    differs(h, "eof", &exp.eof, &act.eof, out);
    differs(h, "events", &exp.events, &act.events, out);
    if let (true, Some(e)) = (tcb, &exp.tcb) {
        if act.tcb.as_ref() != Some(e) {
            let a = act
                .tcb
                .as_ref()
                .map_or("none".to_string(), |t| t.to_string());
            out.push(format!("{h}.tcb: expected {e}, actual {a}"));
        }
    }
}

/// Does the target's timer conform to the model's? The model's RTO is a
/// constant; RFC 6298 computes it from RTT samples and keeps a backed-off
/// RTO until a new sample (Karn), with the model's RTO as its floor; and a
/// real-clock target's deadline can only lag the model's, since ticks are
/// not slept through. So a retransmission timer conforms when it runs when
/// the model's does and is due no sooner (whether it fires *when* the
/// model says is checked at the `timeout` step). TIME-WAIT and the quiet
/// time after a reboot (the only timers in TIME-WAIT and CLOSED) must
/// match to the tick.
pub fn timer_conforms(exp: &Observation, act: &Observation) -> bool {
    match (exp.timer, act.timer) {
        (Some(e), Some(a)) if !matches!(exp.state, State::TimeWait | State::Closed) => a >= e,
        (e, a) => e == a,
    }
}

/// Whether the only difference in what was sent is that the target's RST
/// carries an ACK where the model's does not (see
/// [`Absorption::RstCarriesAck`]).
pub fn rst_gains_ack(exp: &Observation, act: &Observation) -> bool {
    exp.emitted.len() == act.emitted.len()
        && exp.emitted.iter().zip(&act.emitted).all(|(e, a)| {
            e == a
                || (e.flags == Flags::RST
                    && a.flags == Flags::ACK | Flags::RST
                    && e.seq == a.seq
                    && e.len == a.len)
        })
}

/// `A.iss: expected 0, actual null`: values as the trace spells them.
fn line<T: Serialize>(h: HostId, field: &str, e: &T, a: &T) -> String {
    let show = |v: &T| serde_json::to_string(v).unwrap_or_default();
    format!("{h}.{field}: expected {}, actual {}", show(e), show(a))
}

/// `nothing`, or the segments comma-separated.
fn segments(v: &[Segment]) -> String {
    if v.is_empty() {
        return "nothing".to_string();
    }
    v.iter()
        .map(|s| s.to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
