//! synfin-model: an exhaustively checked stateright model of TCP connection
//! management (RFC 9293).
//!
//! Two hosts, A and B, share one 4-tuple for a bounded number of
//! incarnations. Each has an RFC 9293 TCB ([`tcb::Host`]); the network is a
//! multiset of segments that may be delivered in any order, lost or
//! duplicated under budgets, and that die once MSL ticks old. Time moves in
//! ticks while a timer runs. [`properties`] lists what is checked;
//! [`config::Variant`] lists the broken designs whose counterexamples show
//! why TCP is built the way it is.
//!
//! # Layers
//!
//! Bottom to top; a module uses only modules above it in this list
//! (`tests/layers.rs` holds the source to it):
//!
//! 1. The world: [`config`] (what to check), [`segment`], [`tcb`] (one
//!    host), [`system`] (both hosts and the network: the enabled actions
//!    and what each does; segment arrival is in `arrive`).
//! 2. What is checked: [`properties`], predicates on a [`Sys`].
//! 3. Finding paths: [`search`] (the shortest path to a property's
//!    counterexample or example), then [`textbook`] (the shortest path of
//!    a textbook figure's shape).
//! 4. Drawing a path it is given: [`render`] (actions and steps as text),
//!    then [`diagram`] (sequence diagrams).
//! 5. The stateright [`model`]: [`TcpModel`]; [`fast`], an exhaustive
//!    checker for any stateright model (it uses no module of this list);
//!    and [`cluster`], the same search spread over processes in timely
//!    dataflow (it uses only [`fast`]).
//! 6. Using it: [`check`] (exhaustive check and verdicts), [`explore`]
//!    (the Explorer) and [`trace`] (conformance traces).
//!
//! The `synfin` binary (`src/bin/synfin/`, a module per command) parses
//! arguments, calls these and prints.
#![warn(missing_docs)]

// 1. The world.
mod arrive;
pub mod config;
pub mod segment;
pub mod system;
pub mod tcb;
// 2. What is checked.
pub mod properties;
// 3. Finding paths.
pub mod search;
pub mod textbook;
// 4. Drawing a path.
pub mod diagram;
pub mod render;
// 5. The stateright model.
pub mod cluster;
pub mod fast;
pub mod model;
// 6. Using it.
pub mod check;
pub mod explore;
pub mod trace;

pub use config::{Config, Preset, Profile, Variant};
pub use model::TcpModel;
pub use system::{Action, Sys};
