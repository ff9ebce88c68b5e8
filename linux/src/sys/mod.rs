//! What the Linux machine provides, each behind one module:
//!
//! - [`caps`]: whether the process may create a namespace and a TUN device,
//!   checked before anything is attempted;
//! - [`netns`]: a private network namespace with the TUN device, where the
//!   kernel is the TCP peer, and the sysctls that make it a deterministic
//!   one;
//! - [`tun`]: the TUN device as a carrier of synfin-tcp segments, on a
//!   monotonic clock;
//! - [`socket`]: the kernel's own TCP sockets, non-blocking, for the
//!   application on the kernel's side;
//! - [`sock_diag`]: the kernel's socket states and timers, read with
//!   sock_diag netlink.

pub mod caps;
pub mod netns;
pub mod sock_diag;
pub mod socket;
pub mod tun;
