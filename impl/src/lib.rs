//! synfin-tcp: a sans-IO TCP connection core that follows RFC 9293.
//!
//! The crate is layered like smoltcp and quinn-proto:
//!
//! - [`wire`]: IPv4 + TCP segments to and from bytes (etherparse does the
//!   headers and checksums); the semantic [`wire::Segment`] can hold any flag
//!   combination.
//! - [`seq`]: [`seq::SeqNum`], wrapping 32-bit sequence arithmetic.
//! - [`time`]: [`time::Instant`], a constructible point in virtual or real time.
//! - [`conn`]: [`conn::Connection`], one TCB and RFC 9293 §3.10 event
//!   processing, sans-IO.
//! - [`endpoint`]: [`endpoint::Endpoint`], the connections of one host:
//!   demultiplexing, listeners with a bounded backlog, RSTs for segments
//!   that match nothing, a compact TIME-WAIT table, ephemeral ports.
//! - [`sim`]: two endpoints over a virtual-time network that loses,
//!   duplicates, reorders and delays segments, from a seed.
//!
//! The core never reads a clock, performs I/O or draws global randomness:
//! every input takes `now`, outputs are pulled. What runs it on real time
//! over a real network (a Linux TUN device, with the kernel's TCP as the
//! peer) is the `synfin-linux` crate.
#![forbid(unsafe_code)]
// No clock, sleep or global randomness anywhere in the library (see
// impl/clippy.toml), and no exceptions.
#![deny(clippy::disallowed_methods, clippy::disallowed_types)]
#![warn(missing_docs)]

pub mod conn;
pub mod endpoint;
pub mod isn;
pub mod seq;
pub mod sim;
pub mod time;
pub mod wire;
