//! A fast exhaustive checker for any stateright [`Model`]: the engine of
//! `synfin check` (`--engine fast`, the default).
//!
//! Stateright's own checkers keep a `DashSet` of fingerprints and, for
//! every state waiting to be expanded, the path of action indices that led
//! to it; `perf` put 44% of a `default` check in the visited set and 21%
//! in cloning states and paths. This one keeps what an exhaustive verdict
//! needs and nothing more:
//!
//! - the visited set is one table of 64-bit fingerprints, open addressing
//!   with lock-free inserts ([`visited`]), sized from a previous run's
//!   depth profile ([`profile`]) or grown by 1.75× when full;
//! - the search goes breadth-first, one level at a time, over blocks of
//!   states that threads take from a shared queue ([`search`]); a state is
//!   dropped as soon as it is expanded, and no path is kept. A model that
//!   can pack its states ([`Successor::pack`]) has them queued packed:
//!   `Sys` takes 98 bytes plus 10 per segment in flight, and no allocation;
//! - successors are written over scratch states ([`Successor::successor_into`]);
//!   those of a group of states are fingerprinted and their slots
//!   prefetched before the first is looked up, so their cache misses
//!   overlap; and a per-thread cache of the fingerprints looked up last
//!   answers the half of all successors that a sibling state reached a
//!   moment ago without a trip to the table;
//! - a counterexample is found afterwards, as `check.rs` already did for
//!   stateright: [`crate::search`] runs a breadth-first search for the
//!   shortest path to each discovery, in the model's own action order.
//!
//! Packed states are queued as differences from the state before them in
//! their block ([`delta`]): siblings differ in a few bytes, so the queue
//! takes about a fifth of the memory, for 5 to 30% more time (on
//! `default`, 0.39 to 0.44 GB at peak instead of 0.64 to 0.92 GB).
//!
//! With [`Options::spill`] the packed blocks of the level being found go
//! to an unnamed file instead ([`spill`]) and come back, in order, when it
//! is expanded: resident memory is then the visited set and the blocks in
//! the threads' hands. A failed write or read stops the search
//! ([`Stop::Spill`]).
//!
//! For measuring what each of these buys, `SYNFIN_NO_PACK=1` queues
//! states unpacked, `SYNFIN_DELTA=0` packed but whole, and
//! `SYNFIN_NO_RECENT=1` turns the per-thread cache off; they are read once
//! per check, and the results are the same either way.
//!
//! The model stays the one definition: the engine calls only
//! `init_states`, `actions`, `next_state` (or [`Successor::successor_into`],
//! its allocation-free twin), `within_boundary` and `properties`. Safety (`always`) and reachability (`sometimes`)
//! properties are supported; `eventually` properties are refused
//! ([`Unsupported`]), as they need paths. Like stateright's checkers it
//! stops early once every property has a discovery.
//!
//! What it reports matches stateright's DFS where both are defined: the
//! unique state count, the states generated (with repeats) and which
//! properties have discoveries. Its `max_depth` is the number of
//! breadth-first levels, the length in states of the longest shortest path
//! from an initial state, which is the same on every run; stateright's DFS
//! reports the longest path its threads happened to take. An initial state
//! listed twice is expanded once (stateright's DFS expands each copy and
//! counts their successors twice).
//!
//! Fingerprints are 64 bits, so two distinct states could share one (see
//! [`fingerprint`] for the odds: 2.8 · 10⁻⁵ for 32 million states); the
//! state counts the tests pin would show it.
//!
//! It stops cleanly, at the next state, when the caller sets
//! [`Options::stop`] (Ctrl-C in `synfin check`) or when memory would pass
//! [`Options::max_memory`]: before growing the visited set it checks that
//! the larger table fits, and a monitor reads the resident size every 50
//! ms. Either way [`Outcome::stopped`] says why, and the counts say how far
//! it got.
//!
//! ```
//! use synfin_model::{fast, Config, Preset, Profile, TcpModel};
//!
//! let model = TcpModel::new(Config::new(Preset::Quick, Profile::Rfc9293, None));
//! let out = fast::check(&model, &fast::Options::threads(2), &mut |_| {}).unwrap();
//! assert_eq!(out.unique_states, 164_005);
//! assert!(out.stopped.is_none());
//! assert!(out.discovered.contains(&"three-way-handshake"));
//! ```
//!
//! [`Model`]: stateright::Model

pub mod delta;
pub mod fingerprint;
pub mod memory;
pub mod profile;
pub mod search;
pub mod spill;
pub mod visited;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

pub use search::check;

use stateright::Model;

/// How the engine makes a successor: any stateright [`Model`] can say
/// `impl Successor for MyModel {}` and get [`Model::next_state`]; a model
/// that can write a successor into a state it is handed (reusing its heap
/// memory, where `next_state` must allocate a fresh clone) overrides
/// [`Successor::successor_into`]. The engine keeps a few such scratch
/// states per thread, so a successor that turns out to be visited already
/// costs no allocation.
pub trait Successor: Model {
    /// Make `into` the state `action` leads to from `state`; false where
    /// `next_state` would give `None` (then `into` may hold anything).
    /// `into` holds some earlier state of the model on entry.
    fn successor_into(
        &self,
        state: &Self::State,
        action: Self::Action,
        into: &mut Self::State,
    ) -> bool {
        match self.next_state(state, action) {
            Some(next) => {
                *into = next;
                true
            }
            None => false,
        }
    }

    /// Append a compact encoding of `state` to `out` and return true; or
    /// return false, the default, and the engine queues states as they
    /// are. States waiting for the next level are most of the engine's
    /// memory after the visited set, and a packed one is a fraction of a
    /// state with heap-allocated parts.
    fn pack(&self, state: &Self::State, out: &mut Vec<u8>) -> bool {
        let _ = (state, out);
        false
    }

    /// Read the state [`Successor::pack`] wrote at the start of `bytes`
    /// into `into` (which holds some earlier state); return the bytes read.
    /// Called only where `pack` returns true.
    fn unpack(&self, bytes: &[u8], into: &mut Self::State) -> usize {
        let _ = (bytes, into);
        unreachable!("unpack is called only for a model whose pack returns true")
    }
}

/// How to run a check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Worker threads (at least 1).
    pub threads: usize,
    /// The state count to size the visited set for, if known (a previous
    /// run's profile, or a pinned count); it still grows if there are more.
    pub expected_states: Option<usize>,
    /// Stop before resident memory passes this many bytes.
    pub max_memory: Option<u64>,
    /// Set to true (from a signal handler, say) to stop cleanly.
    pub stop: Option<Arc<AtomicBool>>,
    /// Whether packed states are queued as differences from the one before
    /// ([`delta`]): about a fifth of the queue's memory, for 5 to 30% more time.
    /// `None`: as the environment's `SYNFIN_DELTA` says (`0` or `1`), else
    /// yes.
    pub delta: Option<bool>,
    /// Keep the packed states waiting for the next level in unnamed files
    /// under this directory instead of in memory ([`spill`]).
    pub spill: Option<PathBuf>,
}

impl Options {
    /// `threads` threads, nothing else set.
    pub fn threads(threads: usize) -> Options {
        Options {
            threads,
            ..Options::default()
        }
    }
}

/// Why a check stopped before it had visited every state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// [`Options::stop`] was set.
    Interrupted,
    /// Going on would pass [`Options::max_memory`].
    MemoryLimit {
        /// The limit, in bytes.
        limit: u64,
        /// Resident bytes when it stopped.
        resident: u64,
        /// What it would have needed: resident plus a larger visited set.
        wanted: u64,
    },
    /// Reading or writing [`Options::spill`]'s files failed (the message).
    Spill(String),
}

impl Stop {
    /// What a poll of a running check finds, in every engine: resident
    /// memory past `max_memory`, or else the caller's stop flag (Ctrl-C).
    pub fn poll(
        max_memory: Option<u64>,
        resident: Option<u64>,
        flag: Option<&AtomicBool>,
    ) -> Option<Stop> {
        match (max_memory, resident) {
            (Some(limit), Some(rss)) if rss > limit => Some(Stop::MemoryLimit {
                limit,
                resident: rss,
                wanted: rss,
            }),
            _ if flag.is_some_and(|f| f.load(Ordering::Relaxed)) => Some(Stop::Interrupted),
            _ => None,
        }
    }
}

/// A model the engine cannot check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unsupported(pub String);

impl std::fmt::Display for Unsupported {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a running check is: passed to the caller every 50 ms.
#[derive(Clone, Debug)]
pub struct Status {
    /// Distinct states visited so far.
    pub states: usize,
    /// The level being searched for (1 is the initial states).
    pub depth: usize,
    /// New states in each completed level.
    pub levels: Vec<u64>,
    /// Since the check started.
    pub elapsed: Duration,
    /// Resident memory of the process, where `/proc` tells.
    pub resident: Option<u64>,
}

/// What a check found.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Distinct states visited.
    pub unique_states: usize,
    /// States generated, with repeats (as stateright's `state_count`).
    pub states: usize,
    /// Breadth-first levels with states: the longest shortest path, in states.
    pub max_depth: usize,
    /// New states in each completed level (the depth profile).
    pub levels: Vec<u64>,
    /// Names of the properties with a discovery: a safety property
    /// violated, or a scenario shown, in the model's property order.
    pub discovered: Vec<&'static str>,
    /// Every reachable state was visited (not stopped, and not finished
    /// early because every property had a discovery).
    pub exhaustive: bool,
    /// Why it stopped early, if it did.
    pub stopped: Option<Stop>,
    /// Bytes of the visited set at the end.
    pub table_bytes: u64,
    /// With [`Options::spill`]: the most bytes its files held at once.
    pub spilled_bytes: u64,
    /// Wall time.
    pub seconds: f64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poll_finds_the_memory_limit_first_then_the_stop_flag() {
        let (set, unset) = (AtomicBool::new(true), AtomicBool::new(false));
        let over = Stop::MemoryLimit {
            limit: 10,
            resident: 11,
            wanted: 11,
        };
        assert_eq!(Stop::poll(Some(10), Some(11), Some(&set)), Some(over));
        assert_eq!(
            Stop::poll(Some(10), Some(10), Some(&set)),
            Some(Stop::Interrupted)
        );
        assert_eq!(Stop::poll(Some(10), Some(10), Some(&unset)), None);
        // No limit, or no reading of resident memory: only the flag counts.
        assert_eq!(Stop::poll(None, Some(u64::MAX), None), None);
        assert_eq!(Stop::poll(Some(1), None, None), None);
    }
}
