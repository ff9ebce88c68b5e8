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

use crate::trace::{Input, Observation, State};

/// The transition key of a step: `before` is the acting host's state before
/// the input, `after` its observation after it (its `emitted` are its own
/// segments). `None` when no endpoint acts (loss, delay, tick; see
/// [`Input::acting_host`]).
pub fn key(before: State, input: &Input, after: &Observation) -> Option<String> {
    input.acting_host()?;
    let data = |len: u8| if len > 0 { "+data" } else { "" };
    let what = match input.arrival() {
        Some(s) => format!("arrive {}{}", s.flags, data(s.len)),
        None => input.kind().to_string(),
    };
    let mut em: Vec<String> = after
        .emitted
        .iter()
        .map(|s| format!("{}{}", s.flags, data(s.len)))
        .collect();
    em.sort();
    let emit = if em.is_empty() {
        String::new()
    } else {
        format!(" emit {}", em.join(" "))
    };
    Some(format!("{before} {what} -> {}{emit}", after.state))
}
