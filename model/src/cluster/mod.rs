//! The exhaustive check spread over processes, on one machine or many:
//! `synfin check --engine timely`.
//!
//! The search is a reachability computation in [timely dataflow], an
//! existing distributed engine: its workers are threads of processes that
//! find each other from a list of addresses, exchange data over TCP and
//! agree, by timely's progress tracking, on when a round is over. The
//! dataflow is one operator in a loop whose timestamp is the breadth-first
//! level:
//!
//! ```text
//!   initial states ──► [exchange by fingerprint] ──► Expand ──┐
//!                              ▲                              │ successors, level + 1
//!                              └──────────────────────────────┘
//! ```
//!
//! Every state travels packed ([`Successor::pack`]) with its 64-bit
//! fingerprint, and the fingerprint says which worker owns it. Each worker
//! keeps the visited set of the states it owns ([`crate::fast::visited::Table`]): a
//! state that arrives is looked up at once, and a new one is stashed
//! under its level. Once timely's frontier says no more states of level
//! `t` can arrive anywhere, the worker expands its stash of level `t`: it
//! evaluates the properties on each state and sends each successor, at
//! level `t + 1`, to its owner. A worker skips a successor it sent a
//! moment ago (a small cache of recent fingerprints), since its owner has
//! it already. So the levels are exactly the breadth-first levels of the
//! single-process [`crate::fast`] engine, and the unique states, the
//! states generated and the properties discovered are the same.
//!
//! When the loop runs dry, each worker sends a [`Summary`] (its counts per
//! level, states generated, properties discovered, and why it stopped, if
//! it did) to worker 0, which merges them into one [`Outcome`]: the sums,
//! and the union of the properties discovered. Only the process that hosts
//! worker 0 (process 0) gets the outcome; counterexamples are then found
//! there by the breadth-first search `synfin check` always uses.
//!
//! Unlike [`crate::fast`], it does not stop once every property has a
//! discovery: the counts are those of the whole state space.
//!
//! Ctrl-C ([`Options::stop`]) or memory about to pass [`Options::max_memory`]
//! stops this process's workers from expanding more states; the others
//! drain what is in flight, and the outcome says [`Outcome::stopped`].
//!
//! [timely dataflow]: https://docs.rs/timely

pub mod connect;
pub mod worker;

use std::hash::Hash;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stateright::Expectation;
use timely::communication::allocator::zero_copy::initialize::initialize_networking_from_sockets;
use timely::communication::allocator::ProcessBuilder;
use timely::communication::{AllocatorBuilder, Hooks};
use timely::CommunicationConfig;

use crate::fast::{memory, Outcome, Stop, Successor, Unsupported};
use worker::{search, Shared, Summary};

/// States a worker expands before it lets timely move data along: it
/// keeps the successors in flight to a few batches' worth.
pub const EXPAND_AT_ONCE: usize = 2048;
/// How often the caller hears where the check is, and this process's
/// memory and stop flag are looked at.
pub const POLL: Duration = Duration::from_millis(50);
/// How long to wait for every process to connect, by default.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(60);

/// The processes of a run: this one's index and every process's address
/// (`host:port`), the same list in the same order on every process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Peers {
    /// This process: an index into `addresses`.
    pub process: usize,
    /// Where each process listens.
    pub addresses: Vec<String>,
}

impl Peers {
    /// Read a hostfile: one `host:port` per line, process 0 first; blank
    /// lines and lines starting with `#` are skipped.
    pub fn from_hostfile(text: &str, process: usize) -> Result<Peers, String> {
        let addresses: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_string)
            .collect();
        if addresses.is_empty() {
            return Err("the hostfile lists no address".to_string());
        }
        if let Some(bad) = addresses.iter().find(|a| !a.contains(':')) {
            return Err(format!("`{bad}` is not host:port"));
        }
        if process >= addresses.len() {
            return Err(format!(
                "process {process} is not in the hostfile, which lists {} (0 to {})",
                addresses.len(),
                addresses.len() - 1
            ));
        }
        Ok(Peers { process, addresses })
    }
}

/// How to run a check.
#[derive(Clone, Debug)]
pub struct Options {
    /// Worker threads in this process (at least 1).
    pub threads: usize,
    /// The other processes, if any; `None` runs every worker here.
    pub peers: Option<Peers>,
    /// The state count of the whole run, if known: each worker sizes its
    /// visited set for its share.
    pub expected_states: Option<usize>,
    /// Stop before this process's resident memory passes this many bytes.
    pub max_memory: Option<u64>,
    /// Set to true (from a signal handler, say) to stop cleanly.
    pub stop: Option<Arc<AtomicBool>>,
    /// Give up if the processes have not all connected by then.
    pub connect_timeout: Duration,
    /// What every process must agree on to join the run: a fingerprint of
    /// the world and the program's version ([`connect`] refuses a process
    /// whose key differs).
    pub key: u64,
}

impl Options {
    /// `threads` workers in this one process.
    pub fn threads(threads: usize) -> Options {
        Options {
            threads,
            peers: None,
            expected_states: None,
            max_memory: None,
            stop: None,
            connect_timeout: CONNECT_TIMEOUT,
            key: 0,
        }
    }
}

/// Where this process's part of the check is, every [`POLL`].
#[derive(Clone, Debug)]
pub struct Status {
    /// States this process's workers own so far.
    pub states: usize,
    /// Processes in the run: states are spread evenly by fingerprint, so
    /// `states * processes` estimates the whole.
    pub processes: usize,
    /// The deepest level a worker here has reached (1 is the initial states).
    pub depth: usize,
    /// Since the check started.
    pub elapsed: Duration,
    /// Resident memory of this process.
    pub resident: Option<u64>,
}

/// Why a distributed check gave no outcome.
#[derive(Debug)]
pub enum Error {
    /// The model cannot be checked this way.
    Unsupported(Unsupported),
    /// timely could not set up: a bad address, or a port in use.
    Setup(String),
    /// Not every process connected within [`Options::connect_timeout`]:
    /// who is missing.
    Unreachable(String),
    /// A worker failed, here or (as a lost connection) in another process.
    Failed(String),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::Unsupported(u) => write!(f, "{u}"),
            Error::Setup(e) => write!(f, "could not start: {e}"),
            Error::Unreachable(who) => f.write_str(who),
            Error::Failed(e) => write!(f, "the run failed: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Check `model` exhaustively across the processes of `opts` (see the
/// [module doc](self)), telling `progress` how far this process got.
/// Returns the merged outcome on process 0 and `None` on the others.
pub fn check<M>(
    model: M,
    opts: &Options,
    progress: &mut dyn FnMut(&Status),
) -> Result<Option<Outcome>, Error>
where
    M: Successor + Send + Sync + 'static,
    M::State: Hash + Clone + Send,
{
    if model
        .properties()
        .iter()
        .any(|p| p.expectation == Expectation::Eventually)
    {
        return Err(Error::Unsupported(Unsupported(
            "an `eventually` property needs paths, which this engine does not keep".into(),
        )));
    }
    let init = model.init_states();
    if !init.first().is_some_and(|s| model.pack(s, &mut Vec::new())) {
        return Err(Error::Unsupported(Unsupported(
            "the model does not pack its states (Successor::pack), so they cannot travel".into(),
        )));
    }
    let threads = opts.threads.max(1);
    let processes = opts.peers.as_ref().map_or(1, |p| p.addresses.len());
    let shared = Arc::new(Shared::default());
    let per_worker = opts.expected_states.map(|n| n / (threads * processes) + 1);
    let names: Vec<&'static str> = model.properties().iter().map(|p| p.name).collect();
    let model = Arc::new(model);
    let start = Instant::now();
    let work = {
        let shared = shared.clone();
        let max_memory = opts.max_memory;
        move |worker: &mut timely::worker::Worker| {
            search(worker, &model, &shared, per_worker, max_memory)
        }
    };
    let guards = match &opts.peers {
        None => {
            let communication = if threads == 1 {
                CommunicationConfig::Thread
            } else {
                CommunicationConfig::Process(threads)
            };
            let config = timely::Config {
                communication,
                worker: timely::WorkerConfig::default(),
            };
            timely::execute(config, work)
        }
        Some(peers) => {
            let sockets = connect::connect(peers, opts.key, opts.connect_timeout)?;
            let hooks = Hooks::default();
            let local = ProcessBuilder::new_typed_vector(
                threads,
                hooks.refill.clone(),
                hooks.spill.clone(),
            );
            let (builders, guard) =
                initialize_networking_from_sockets(local, sockets, peers.process, threads, hooks)
                    .map_err(|e| Error::Setup(e.to_string()))?;
            timely::execute::execute_from(
                builders.into_iter().map(AllocatorBuilder::Tcp).collect(),
                Box::new(guard),
                timely::WorkerConfig::default(),
                work,
            )
        }
    }
    .map_err(Error::Setup)?;
    // The workers run on threads of their own; this one reports progress
    // and watches memory and the stop flag until they are done.
    let run = std::thread::spawn(move || {
        let mut merged = None;
        for result in guards.join() {
            match result {
                Ok(Some(summary)) => merged = Some(summary),
                Ok(None) => {}
                Err(e) => return Err(Error::Failed(e)),
            }
        }
        Ok(merged)
    });
    while !run.is_finished() {
        std::thread::sleep(POLL);
        let resident = memory::rss();
        if let Some(why) = Stop::poll(opts.max_memory, resident, opts.stop.as_deref()) {
            shared.halt.set(why);
        }
        progress(&Status {
            states: shared.unique.load(Ordering::Relaxed),
            processes,
            depth: shared.depth.load(Ordering::Relaxed),
            elapsed: start.elapsed(),
            resident,
        });
    }
    let merged: Option<Summary> = run.join().map_err(|_| {
        Error::Failed("a worker, or a connection to another process, failed".into())
    })??;
    let panicked = shared.halt.panicked();
    if let Some(message) = panicked.or_else(|| merged.as_ref()?.panicked.clone()) {
        return Err(Error::Failed(format!("the model panicked: {message}")));
    }
    Ok(merged.map(|s| {
        let unique = s.levels.iter().sum::<u64>() as usize;
        let stopped = s.stop();
        Outcome {
            unique_states: unique,
            states: s.generated as usize,
            max_depth: s.levels.iter().rposition(|&n| n > 0).map_or(0, |i| i + 1),
            levels: s.levels.clone(),
            discovered: names
                .iter()
                .enumerate()
                .filter(|(i, _)| s.discovered & (1 << i) != 0)
                .map(|(_, n)| *n)
                .collect(),
            exhaustive: stopped.is_none(),
            stopped,
            table_bytes: s.table_bytes,
            spilled_bytes: 0,
            seconds: start.elapsed().as_secs_f64(),
        }
    }))
}
