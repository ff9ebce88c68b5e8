//! lwIP's named deviations (the adapter in `conformance/adapters/lwip/`),
//! and the `lwip` policy that carries them.

use crate::replay::{Absorption, Deviation, Policy};

/// How lwIP is compared: what RFC 9293 leaves open and cannot change a
/// later step is absorbed, and every other difference is one of
/// [`LWIP_DEVIATIONS`] or a divergence.
pub const LWIP: Policy = Policy {
    name: "lwip",
    absorbs: &[Absorption::TimeWaitLength, Absorption::RstCarriesAck],
    expectations: LWIP_DEVIATIONS,
};

/// lwIP's named deviations, in the order a difference is tried against
/// them.
pub const LWIP_DEVIATIONS: &[Deviation] = &[];
