//! The model's transition abstraction, computed on the conformance side.
//!
//! `synfin export` names every step of a trace with a transition key (model
//! `trace::transition_key`): `"<state before> <input> -> <state after>[ emit
//! <flags>...]"` for the endpoint that acts. The model's cover manifest
//! (`cover.json`) lists every key reachable in the model. [`key`] computes
//! the same abstraction from what an implementation did (its state before,
//! the input, its observation after), so an implementation step can be
//! checked for membership in the model's reachable set without linking the
//! model: the relation reaches conformance as data.

use crate::trace::{HostObs, Input};

/// The endpoint an input acts on (0 = A): the caller, the timer's or
/// crash's host, or the receiver of an arrival. `None` for loss, delay and
/// tick, which no endpoint takes.
pub fn acting_host(input: &Input) -> Option<usize> {
    match input.kind.as_str() {
        "deliver" | "duplicate" => input.segment.as_ref().map(|s| usize::from(s.from == "A")),
        "lose" | "delay" | "tick" => None,
        _ => input.host.as_deref().map(|h| usize::from(h == "B")),
    }
}

/// The transition key of a step: `before` is the acting host's state before
/// the input, `after` its observation after it (its `emitted` are its own
/// segments). `None` when no endpoint acts.
pub fn key(before: &str, input: &Input, after: &HostObs) -> Option<String> {
    acting_host(input)?;
    let what = match input.kind.as_str() {
        "deliver" | "duplicate" => {
            let s = input.segment.as_ref()?;
            let data = if s.len > 0 { "+data" } else { "" };
            format!("arrive {}{data}", s.flags)
        }
        k => k.to_string(),
    };
    let mut em: Vec<String> = after
        .emitted
        .iter()
        .map(|s| format!("{}{}", s.flags, if s.len > 0 { "+data" } else { "" }))
        .collect();
    em.sort();
    let emit = if em.is_empty() {
        String::new()
    } else {
        format!(" emit {}", em.join(" "))
    };
    Some(format!("{before} {what} -> {}{emit}", after.state))
}
