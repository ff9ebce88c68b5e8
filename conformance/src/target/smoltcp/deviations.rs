//! smoltcp's named deviations: each way smoltcp differs from the model,
//! judged against the RFC text, with how a replay recognises it; and the
//! `smoltcp` comparison policy that carries them.

use crate::replay::{Absorption, Deviation, Policy};

/// How smoltcp is compared: what RFC 9293 leaves open and cannot change a
/// later step is absorbed (the TIME-WAIT timer's length, an ABORT RST
/// carrying ACK), and every other difference is one of
/// [`SMOLTCP_DEVIATIONS`] or a divergence.
pub const SMOLTCP: Policy = Policy {
    name: "smoltcp",
    absorbs: &[Absorption::TimeWaitLength, Absorption::RstCarriesAck],
    expectations: SMOLTCP_DEVIATIONS,
};

/// The named deviations of smoltcp, in the order a difference is tried
/// against them.
pub const SMOLTCP_DEVIATIONS: &[Deviation] = &[];
