//! Drivers: what connects the sans-IO core to time and to a network.
//!
//! - [`capture`]: a log of one connection's real segments, drawn as a
//!   two-column diagram.
//! - [`stack`]: what a driver needs from a TCP stack.
//! - [`netns`], [`diag`], [`tun`], [`kernel`] (Linux): a private network
//!   namespace with a TUN device where the kernel is the peer, the kernel's
//!   socket states, the event loop over the TUN, and the kernel's sockets.
//! - [`caps`]: what the machine must provide for that, checked up front.
//! - [`demo`]: the five exchanges of `synfin-tcp demo`, judged against
//!   RFC 9293.

#[cfg(target_os = "linux")]
pub mod caps;
pub mod capture;
#[cfg(target_os = "linux")]
pub mod demo;
#[cfg(target_os = "linux")]
pub mod diag;
#[cfg(target_os = "linux")]
pub mod endpoint;
#[cfg(target_os = "linux")]
pub mod interactive;
#[cfg(target_os = "linux")]
pub mod kernel;
#[cfg(target_os = "linux")]
pub mod netns;
pub mod stack;
#[cfg(target_os = "linux")]
pub mod tun;
