//! Pinned facts about the variants, shared by `model.rs` (which proves with
//! stateright's own BFS that no counterexample is shorter) and
//! `ci_worlds.rs` (the test command of `scripts/model-mutants.sh`, so that a
//! mutant that changes a variant's counterexample is caught there too).

use synfin_model::search::Path;
use synfin_model::tcb::St;
use synfin_model::Variant;

/// Each variant's shortest counterexample, in steps, in its own preset
/// under rfc9293.
const VARIANT_STEPS: &[(Variant, usize)] = &[
    (Variant::TwoWayHandshake, 4),
    (Variant::NoTimeWait, 10),
    (Variant::ShortTimeWait, 23),
    (Variant::FixedIsn, 12),
    (Variant::NoSynRetransmit, 8),
    (Variant::NoSimultaneousOpen, 12),
    (Variant::TimeWaitOneMsl, 18),
    (Variant::UncheckedSynAck, 6),
];

/// The pinned length of `variant`'s counterexample.
pub fn variant_steps(variant: Variant) -> usize {
    VARIANT_STEPS
        .iter()
        .find(|(v, _)| *v == variant)
        .unwrap_or_else(|| panic!("{variant} has no pinned counterexample length"))
        .1
}

/// What a variant's counterexample must show beyond its length, or why
/// not. `no-simultaneous-open` is about MUST-10: its counterexample must
/// show the two SYNs crossing (both hosts in SYN-SENT), not just any
/// give-up. Dropping a SYN,ACK in SYN-SENT instead breaks the same
/// property in as many steps, so the length alone does not pin it.
pub fn shape_mismatch(variant: Variant, path: &Path) -> Option<&'static str> {
    let crossing = path
        .iter()
        .any(|(s, _)| s.hosts.iter().all(|h| h.state == St::SynSent));
    (variant == Variant::NoSimultaneousOpen && !crossing)
        .then_some("the counterexample shows no crossing SYNs")
}
