//! synfin-linux: synfin-tcp against the Linux kernel's TCP.
//!
//! synfin-tcp is sans-IO: it never reads a clock or touches a network.
//! This crate is where it meets both, on Linux, in layers that only ever
//! use the one below:
//!
//! - [`sys`]: what the machine provides. The capability check, a private
//!   network namespace with the sysctls that make the kernel a
//!   deterministic peer, the TUN device as a carrier of segments, the
//!   kernel's own sockets, and sock_diag for the kernel's socket states.
//! - [`driver`]: a sans-IO [`driver::Stack`] run on real time over the TUN
//!   device ([`driver::Driver`]), and synfin-tcp's endpoint behind that
//!   trait ([`driver::EndpointStack`]).
//! - The tools built on it: [`capture`] (one connection's segments as a
//!   two-column diagram), [`demo`] (five exchanges with the kernel, judged
//!   against RFC 9293), [`bench`](mod@bench) (kernel exchanges per second) and
//!   [`interactive`] (`connect` and `listen` for a person), which the
//!   `synfin-tcp` binary runs.
//!
//! Everything that creates a device or a socket does it inside a network
//! namespace of its own, never in the host's.
#![cfg(target_os = "linux")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod bench;
pub mod capture;
pub mod demo;
pub mod driver;
pub mod interactive;
pub mod sys;
