//! The replay engine: every target, one way.
//!
//! A replay plays one trace with a [`Target`](crate::target::Target) in one
//! [`Role`](crate::target::Role): the target plays one host, or both; the
//! harness plays any other by writing into the target exactly the segments
//! the trace delivers to the target's host, and owns the network (a lost or
//! delayed segment is one it does not deliver). After every step it
//! compares what the target can observe of each host it plays with the
//! model's observation, as the target's [`Policy`] says, and stops at the
//! first difference: a named [deviation](Deviation), or a divergence. A
//! target that cannot play an input ends the replay early, with its
//! reason.
//!
//! - [`Numbering`]: the trace's relative numbers against the target's
//!   absolute ones, the ISS set or learned;
//! - [`compare()`]: one host, field by field;
//! - [`Policy`]: strict, absorbing what the RFC leaves open
//!   ([`Absorption`]), or naming the target's known deviations
//!   ([`Deviation`]);
//! - [`replay()`]: one trace in one role, at one or more ISN bases, with a
//!   retry for a real-clock target: an [`Outcome`] and its [`Verdict`];
//! - [`run`] and [`run_parallel`]: a whole [`Suite`](crate::trace::Suite)
//!   as a [`Plan`] says, into a [`Summary`] (verdicts, coverage, speed);
//! - [`describe()`]: steps as lines of text.

mod compare;
mod describe;
mod engine;
mod numbering;
mod outcome;
mod policy;
mod runner;
mod summary;

pub use compare::{compare, rst_gains_ack, timer_conforms};
pub use describe::{describe, so_far};
pub use engine::{replay, stimulus};
pub use numbering::{Numbering, ISN_BASES};
pub use outcome::{Outcome, Verdict};
pub use policy::{pure_ack, Absorption, Deviation, Difference, Policy, Ruling};
pub use runner::{run, run_parallel, Bases, Plan, Worker};
pub use summary::Summary;
