//! The Linux kernel's TCP as a conformance target (Linux only).
//!
//! # How a trace is played
//!
//! The kernel goes through the same replay engine as every target
//! ([`crate::replay`]); what is its own is here: [`KernelTarget`], the
//! [`Target`](crate::target::Target) that drives it, its named
//! expectations ([`KERNEL_DEVIATIONS`]) and comparison policy ([`LINUX`]),
//! a runner that gives each worker a private namespace, and a check of its
//! SYN retransmission schedule.
//!
//! Each replay runs in a private network namespace (one per worker, made by
//! [`synfin_linux::sys::netns`]) with a TUN device: the kernel is
//! `10.0.0.1`, the harness `10.0.0.2` behind the device, on a fresh pair
//! of ports per replay. The kernel plays one model host, the harness the
//! other:
//!
//! - **Which host.** Every trace is replayed twice, the kernel once as A and
//!   once as B: which role the kernel can play is not known in advance (a
//!   trace may open actively on one side, passively or simultaneously on
//!   the other), and both are worth checking.
//! - **The harness's host** is the trace itself: the engine hands the
//!   kernel target exactly the segments the trace delivers (or duplicates)
//!   to the kernel's host, numbers made absolute (its ISN base cycles
//!   through [`crate::replay::ISN_BASES`] by trace, so the kernel's
//!   arithmetic crosses 2^31 and 2^32), and the target writes them into
//!   the device. The harness host's own calls, timeouts and arrivals need
//!   nothing: their effects are the trace's later segments.
//! - **The kernel's host** is driven through ordinary non-blocking sockets:
//!   `listen` binds a listener (closed once the connection is accepted:
//!   the model's host is one TCB, LISTEN is gone after a passive open);
//!   `connect` is a non-blocking `connect(2)` from a bound port; `send`
//!   writes one byte (TCP_NODELAY); `close` is `shutdown(SHUT_WR)`, the
//!   RFC's CLOSE ("no more to send", still able to RECEIVE; in SYN-SENT the
//!   kernel deletes the TCB); `abort` is `SO_LINGER {on, 0}` and
//!   `close(2)`. What it emits is read from the device; the engine learns
//!   its ISN from its first SYN or SYN,ACK of each connection
//!   ([`IssControl::Learned`](crate::target::IssControl::Learned)). Its
//!   state and timer come from sock_diag
//!   ([`synfin_linux::sys::sock_diag`]); its events from the socket
//!   (accept, connect completion, `read` = 0, `SO_ERROR`), and `closed`
//!   when its TCB is gone without an error.
//! - **Comparison**: the kernel's host, every field but the TCB variables,
//!   which it cannot show. The [`LINUX`] policy absorbs what the RFC leaves
//!   open and changes nothing later (the TIME-WAIT timer's length, an ABORT
//!   RST carrying ACK); the trace goes on and the replay lists what was
//!   absorbed. Any other difference stops the replay: a named deviation
//!   ([`KERNEL_DEVIATIONS`]) or an unclassified divergence.
//! - **Real time**: the kernel usually acts on a TUN write or socket call
//!   before it returns; when nothing is queued yet the target waits 2 ms
//!   for an answer, and a replay that diverges unclassified is retried once
//!   (listed as retried if the retry agrees).
//!
//! # Timers
//!
//! The kernel's timers run in real time; the trace's `tick`s are not slept
//! through (a trace would take its length in seconds). A `timeout` of the
//! kernel's host waits for the kernel's own timer: what sock_diag says is
//! left, plus timer-wheel slack, within a budget (5 s by default). The
//! sysctls make the kernel's schedule the model's where Linux allows it:
//! `tcp_syn_linear_timeouts=0` (RFC 6298 doubling), retry limits
//! (`tcp_syn_retries`, `tcp_synack_retries`, `tcp_retries2`) from the
//! trace, the RTO floor (`tcp_rto_min_us`) at the trace's RTO, no tail loss
//! probes (`tcp_early_retrans=0`), and no delayed ACKs (`quickack` on the
//! route). Timers that do not fit end the replay early
//! ([`Unsupported`](crate::target::Unsupported)), never a pass:
//!
//! - TIME-WAIT (60 s in Linux, not configurable): at the model's TIME-WAIT
//!   timeout, `ended-early: time-wait`;
//! - any other kernel timer due later than the budget:
//!   `ended-early: long-timer`.
//!
//! [`syn`] checks the kernel's SYN retransmission schedule on its own, in
//! real time, against the RFC 6298 doubling the model uses.

pub mod deviations;
pub mod report;
pub mod runner;
pub mod setup;
pub mod syn;
pub mod target;

pub use deviations::{KERNEL_DEVIATIONS, LINUX, STRICT_LINUX};
pub use runner::{replay_all, KernelSummary, Options};
pub use setup::SetupError;
pub use target::KernelTarget;
