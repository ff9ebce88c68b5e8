//! The contract between the harness and a TCP under test.
//!
//! A [`Target`] is a TCP the harness can drive one input at a time and
//! look at after each one. The harness (the replay engine in
//! [`crate::replay`]) owns the trace, the network and the numbering: it
//! decides which segment arrives, is lost, duplicated or delayed; it turns
//! the trace's relative sequence numbers into the absolute ones a target
//! sees on its wire and back; it learns a target's ISS from its first SYN
//! when the target cannot be told one. A target only does what a TCP's
//! user and its network interface do, and reports what it can see.
//!
//! - [`Target`]: the trait, five methods;
//! - [`Capabilities`]: what a target can do (set its ISS, play both hosts,
//!   show its TCB, run on a virtual clock), which the engine adapts to;
//! - [`Role`]: the hosts a target plays in one replay;
//! - [`Stimulus`]: one input (a user call, an arriving [`WireSegment`], a
//!   timer expiring, a tick, a crash);
//! - [`Report`]: what a target shows of a host after a step;
//! - [`Unsupported`]: how a target says it cannot play an input; the replay
//!   then ends early with that reason, never as a failure;
//! - [`SynfinTcp`]: synfin-tcp as an in-memory pair, the reference target;
//! - [`Smoltcp`]: smoltcp's TCP socket playing one host on virtual time,
//!   with its own comparison policy ([`smoltcp::SMOLTCP`]).
//! - [`exec`]: any TCP in any language behind a pipe (`synfin-exec/1`).
//!
//! The book's chapter *Writing a target* (`docs/src/conformance/targets.md`)
//! says the same for an implementer of another stack.

mod capabilities;
pub mod exec;
mod report;
mod role;
pub mod smoltcp;
mod stimulus;
mod synfin_tcp;
mod unsupported;
mod wire_segment;

use std::time::Duration;

pub use capabilities::{Capabilities, Clock, IssControl};
pub use report::Report;
pub use role::Role;
pub use smoltcp::Smoltcp;
pub use stimulus::Stimulus;
pub use synfin_tcp::SynfinTcp;
pub use unsupported::Unsupported;
pub use wire_segment::WireSegment;

use crate::trace::{HostId, TraceConfig};

/// A TCP under test, driven one input at a time by the replay engine.
///
/// One replay goes: [`start`](Target::start); then for every step of the
/// trace, [`set_next_iss`](Target::set_next_iss) (only if the target
/// [sets its ISS](IssControl::Settable)), at most one
/// [`input`](Target::input), and one [`observe`](Target::observe) per host
/// the target plays. The engine compares each report with the model's
/// observation and stops at the first difference, or at the first input the
/// target declines with [`Unsupported`].
///
/// Sequence numbers are absolute (what is on the target's wire). The
/// harness maps them to and from the trace's relative numbers; a target
/// never sees the model's numbering.
pub trait Target {
    /// What this target can do. The engine reads it once per replay and
    /// adapts: it sets the ISS or learns it, plays one host or both,
    /// compares the TCB variables or not, rounds timers for a virtual or a
    /// real clock.
    fn capabilities(&self) -> Capabilities;

    /// Starts afresh for one replay of a trace exported under `config`,
    /// playing the hosts of `role`: each of them CLOSED, with no TCB,
    /// nothing queued, and (on a virtual clock) time 0. The target
    /// configures itself from `config` where it can: the initial RTO and
    /// its floor (`rto` ticks of `tick_seconds`), MSL (`msl` ticks), the
    /// retry limit (`retries`), the receive window (`window`), no
    /// challenge-ACK rate limit, and RFC 5961 behaviour if `profile` is
    /// `rfc9293`. Segments sent from here on belong to this replay only
    /// (use a fresh 4-tuple if an earlier replay may linger).
    ///
    /// `Err` ends the replay before its first step (as `ended-early`).
    fn start(&mut self, config: &TraceConfig, role: Role) -> Result<(), Unsupported>;

    /// The ISS, absolute, that the next active OPEN on `host`, or the next
    /// SYN arriving while it listens, must choose. Called before every
    /// step at which the model's host has an ISS, and only for a target
    /// whose [`Capabilities::iss`] is [`IssControl::Settable`]; a target
    /// that cannot set its ISS keeps the default, which does nothing, and
    /// the engine learns the ISS from its first SYN or SYN,ACK instead.
    fn set_next_iss(&mut self, host: HostId, iss: u32) {
        let _ = (host, iss);
    }

    /// One input: a user call, a segment arriving, a timer expiring, a
    /// crash (each to one host the target plays), or a tick (to all). The
    /// engine calls it only for inputs that reach a host the target plays:
    /// the other host's calls, timers and arrivals are the harness's own
    /// business, and lost or delayed segments arrive nowhere.
    ///
    /// `Err(Unsupported)` when the target has no way to perform the input
    /// in its present state (its API has no such call there, its timer is
    /// longer than it is willing to wait): the replay ends early with the
    /// reason, and nothing after it is judged.
    fn input(&mut self, stimulus: &Stimulus) -> Result<(), Unsupported>;

    /// Host `host` as it is now, with what it emitted and told its
    /// application since the last `observe` of it (see [`Report`]). Called
    /// once per step for every host the target plays, after the input.
    fn observe(&mut self, host: HostId) -> Report;

    /// Real time the target spent waiting for its own timers since it was
    /// made; reported apart from the harness's own speed. A virtual-clock
    /// target keeps the default, zero.
    fn waited(&self) -> Duration {
        Duration::ZERO
    }
}
