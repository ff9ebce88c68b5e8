//! The steps as JSON: for each step the action, both hosts' TCBs, the
//! segments in flight (with the diagram's numbers) and those it emitted.

use serde_json::{json, Value};

use super::{Trace, Tracked};
use crate::render;
use crate::tcb::Host;

fn seg(t: &Tracked) -> Value {
    let s = &t.seg;
    json!({
        "id": t.id,
        "sent_at_step": t.sent,
        "from": if s.from == 0 { "A" } else { "B" },
        "flags": format!("{:?}", s.ctl),
        "seq": s.seq,
        "ack": s.ack,
        "data": s.data,
        "late": s.late,
        "age": s.age,
        "incarnation": s.g_inc,
    })
}

fn host(h: &Host) -> Value {
    json!({
        "state": h.state.name(),
        "passive": h.passive,
        "iss": h.iss,
        "irs": h.irs,
        "snd_una": h.snd_una,
        "snd_nxt": h.snd_nxt,
        "rcv_nxt": h.rcv_nxt,
        "timer": h.timer,
        "retries": h.retries,
        "incarnation": h.inc,
    })
}

/// The trace as a JSON value: `{"steps": [...]}`.
pub fn render(trace: &Trace) -> Value {
    let steps: Vec<Value> = trace
        .rows
        .iter()
        .zip(&trace.path)
        .map(|(row, (state, _))| {
            json!({
                "step": row.step,
                "action": row.action.as_ref().map(render::action),
                "hosts": { "A": host(&state.hosts[0]), "B": host(&state.hosts[1]) },
                "net": row.flight.iter().map(seg).collect::<Vec<_>>(),
                "emitted": row.emitted.iter().map(|t| t.id).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "steps": steps })
}
