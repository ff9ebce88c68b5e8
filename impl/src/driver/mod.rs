//! Drivers: what connects the sans-IO core to time and to a network.
//!
//! - [`capture`]: a log of one connection's real segments, drawn as a
//!   two-column diagram.
//! - [`netns`], [`diag`] (Linux): a private network namespace with a TUN
//!   device where the kernel is the peer, and the kernel's socket states.

pub mod capture;
#[cfg(target_os = "linux")]
pub mod diag;
#[cfg(target_os = "linux")]
pub mod netns;
#[cfg(target_os = "linux")]
pub mod tun;
