//! The Linux kernel's TCP as a conformance target (Linux only).
//!
//! # How a trace is played
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
//! - **The harness's host** is the trace itself: it writes into the device
//!   exactly the segments the trace delivers (or duplicates) to the
//!   kernel's host, with the trace's relative numbers made absolute (its
//!   own ISN base cycles through [`crate::replay::ISN_BASES`] by trace, so
//!   the kernel's arithmetic crosses 2^31 and 2^32). Its own calls,
//!   timeouts and arrivals need nothing: their effects are the trace's
//!   later segments. Nothing of it is compared.
//! - **The kernel's host** is driven through ordinary non-blocking sockets:
//!   `listen` binds a listener (closed once the connection is accepted:
//!   the model's host is one TCB, LISTEN is gone after a passive open);
//!   `connect` is a non-blocking `connect(2)` from a bound port; `send`
//!   writes one byte (TCP_NODELAY); `close` is `shutdown(SHUT_WR)`, the
//!   RFC's CLOSE ("no more to send", still able to RECEIVE; in SYN-SENT the
//!   kernel deletes the TCB); `abort` is `SO_LINGER {on, 0}` and
//!   `close(2)`. What it emits is read from the device, made relative to
//!   its ISN, learned from its first SYN or SYN,ACK of each incarnation
//!   (the trace's ISS for that host is mapped onto it). Its state and timer
//!   come from sock_diag ([`synfin_linux::sys::sock_diag`]); its events
//!   from the socket (accept, connect completion, `read` = 0, `SO_ERROR`),
//!   and `closed` when its TCB is gone without an error.
//! - **Comparison**: only the kernel's host, every field, with the timer
//!   rule of [`replay::compare`]. The first difference stops the replay and
//!   is either a named deviation ([`replay::KERNEL_DEVIATIONS`]) or an
//!   unclassified divergence. The `linux` comparison profile
//!   ([`replay::Profile`]) absorbs what the RFC leaves open and changes
//!   nothing later (the TIME-WAIT timer's length, an ABORT RST carrying
//!   ACK); the trace goes on and the replay lists what was absorbed.
//! - **The harness's host is not observable** through
//!   [`ConformanceTarget::observe`](crate::target::ConformanceTarget::observe):
//!   it returns a placeholder for it, and [`replay::replay_one`] compares
//!   the kernel's host only.
//! - **Real time**: the kernel usually acts on a TUN write or socket call
//!   before it returns; when nothing is queued yet the harness waits 2 ms
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
//! route). Timers that do not fit end the replay early with a mark, never
//! a pass:
//!
//! - TIME-WAIT (60 s in Linux, not configurable): at the model's TIME-WAIT
//!   timeout, `ended-early: time-wait`;
//! - any other kernel timer due later than the budget:
//!   `ended-early: long-timer`.
//!
//! [`syn`] checks the kernel's SYN retransmission schedule on its own, in
//! real time, against the RFC 6298 doubling the model uses.

pub mod replay;
pub mod report;
pub mod syn;
pub mod target;

pub use replay::{replay_all, Options, Outcome, Profile, Summary, Verdict, KERNEL_DEVIATIONS};
pub use target::{EndEarly, KernelTarget};
