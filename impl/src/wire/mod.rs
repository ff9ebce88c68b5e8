//! Segments on the wire.
//!
//! Two levels, as in smoltcp: bytes (an IPv4 packet carrying TCP, parsed and
//! built with etherparse) and the semantic [`Segment`] value the core reads
//! and writes. A `Segment` can hold any combination of flags, including
//! SYN+FIN and SYN+RST, because conformance tests must be able to inject them;
//! whether a combination makes sense is the core's business, not the codec's.

mod codec;
mod segment;

pub use codec::{WireError, MAX_PAYLOAD, TTL};
pub use segment::{Flags, Segment};
