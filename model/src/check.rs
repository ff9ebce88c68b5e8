//! `synfin check`: an exhaustive check for verdicts and state counts, by
//! the [`fast`] engine (the default) or stateright's DFS, then
//! [`crate::search`] for the shortest path to each discovery (stateright
//! 0.31 overwrites a discovery's path with later, longer ones, and the fast
//! engine keeps no paths).
//!
//! ```
//! use synfin_model::{check, Config, Preset, Profile};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let report = check::check(&cfg, 1);
//! assert!(report.ok());
//! assert_eq!(Some(report.unique_states), check::expected_states(&cfg));
//! ```

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use stateright::{Checker, Model};

use crate::cluster;
use crate::config::{Config, Preset, Profile};
use crate::fast::{self, memory, profile::DepthProfile, Stop};
use crate::model::TcpModel;
use crate::properties::{self, Expectation};
use crate::search::{self, Path};
use crate::segment::{Ctl, Seg};
use crate::system::{Action, Sys};
use crate::tcb::{End, Host, Parked, St};

/// The verdict on one property.
#[derive(Debug)]
pub struct Verdict {
    /// Property name.
    pub name: &'static str,
    /// Always or sometimes.
    pub expectation: Expectation,
    /// Safety: no counterexample. Scenario: an example was found.
    pub holds: bool,
    /// A safety property this profile is known to break ([`properties::Prop::fails_under`]):
    /// the claim is that it fails.
    pub expected_to_fail: bool,
    /// The shortest counterexample (safety) or example (scenario).
    pub path: Option<Path>,
}

/// What `synfin check` reports.
#[derive(Debug)]
pub struct Report {
    /// Distinct states visited.
    pub unique_states: usize,
    /// States generated, with repeats.
    pub states: usize,
    /// Longest path length explored.
    pub max_depth: usize,
    /// Wall time of the exhaustive check.
    pub seconds: f64,
    /// Wall time of the shortest-path searches.
    pub shortest_seconds: f64,
    /// One verdict per property checked in the world
    /// ([`properties::checked`]), in [`properties::ALL`] order. After a
    /// stop ([`Report::stopped`]) only what was found so far: no paths, and
    /// a property not yet discovered is not known to hold.
    pub verdicts: Vec<Verdict>,
    /// The engine that ran the exhaustive check.
    pub engine: Engine,
    /// Why the check stopped before visiting every state, if it did.
    pub stopped: Option<Stop>,
    /// New states per breadth-first level (fast engine only).
    pub levels: Vec<u64>,
    /// The process's peak resident memory, where `/proc` tells.
    pub peak_memory: Option<u64>,
    /// With [`Options::spill`]: the most bytes the queue held on disk at once.
    pub spilled_bytes: u64,
}

/// The exhaustive checker behind `synfin check`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Engine {
    /// [`crate::fast`]: breadth-first over a lock-free fingerprint table.
    #[default]
    Fast,
    /// stateright 0.31's own DFS checker.
    Stateright,
    /// [`crate::cluster`]: breadth-first in timely dataflow, over the
    /// threads of this process or of several ([`run_distributed`]).
    Timely,
}

impl Engine {
    /// Both, in the order `--help` lists them.
    pub const ALL: [Engine; 3] = [Engine::Fast, Engine::Stateright, Engine::Timely];

    /// The name `--engine` takes.
    pub fn name(self) -> &'static str {
        match self {
            Engine::Fast => "fast",
            Engine::Stateright => "stateright",
            Engine::Timely => "timely",
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        Engine::ALL
            .into_iter()
            .find(|e| e.name() == s)
            .ok_or_else(|| format!("unknown engine `{s}` (valid: fast, stateright, timely)"))
    }
}

/// How to run a check.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// Checker threads (at least 1).
    pub threads: usize,
    /// Which exhaustive checker.
    pub engine: Engine,
    /// Stop, with a report of how far it got, before resident memory
    /// passes this many bytes.
    pub max_memory: Option<u64>,
    /// Set to true (from a Ctrl-C handler, say) to stop the same way.
    pub stop: Option<Arc<AtomicBool>>,
    /// Read and write depth profiles in [`fast::profile::dir`], to
    /// estimate the state count of the next run of the same world.
    pub profiles: bool,
    /// Fast engine: keep the queue of states in unnamed files under this
    /// directory, not in memory ([`fast::spill`]).
    pub spill: Option<std::path::PathBuf>,
}

impl Verdict {
    /// The verdict is the one claimed: a safety property holds (or, where
    /// the profile is known to break it, fails) and a scenario is reached.
    pub fn as_claimed(&self) -> bool {
        self.holds != self.expected_to_fail
    }
}

impl Report {
    /// Every property meets its profile's claim: every safety property
    /// holds except the demonstrations expected to fail, which fail, and
    /// every scenario is reached.
    pub fn ok(&self) -> bool {
        self.stopped.is_none() && self.verdicts.iter().all(Verdict::as_claimed)
    }
}

/// Where a running check is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Progress {
    /// The exhaustive search, polled a few times a second.
    Exploring {
        /// Distinct states visited so far.
        states: usize,
        /// Longest path so far.
        depth: usize,
        /// Since the check started.
        elapsed: Duration,
        /// The estimated total of unique states, if there is one.
        estimate: Option<Estimate>,
        /// Resident memory of the process, where `/proc` tells.
        resident: Option<u64>,
    },
    /// The exhaustive search is over; breadth-first searches now look for
    /// the shortest path to each of this many discoveries.
    Paths(usize),
}

/// An estimate of a check's unique state count, and where it comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Unique states expected in all.
    pub total: usize,
    /// Where the number comes from.
    pub source: EstimateSource,
}

/// Where an [`Estimate`] comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EstimateSource {
    /// The count pinned for a preset ([`expected_states`]).
    Pinned,
    /// A previous run's depth profile, scaled by the levels done so far.
    Profile,
}

/// The key of `cfg`'s depth profile: the configuration and this version.
fn profile_key(cfg: &Config) -> String {
    format!("synfin-model {} {cfg:?}", env!("CARGO_PKG_VERSION"))
}

/// The unique state count of the standard design under a preset and a
/// profile with the preset's own budgets, as pinned by the tests and the
/// README; `None` for anything else (other budgets, a variant, or `deep`,
/// which nobody has counted on this code). A progress display divides by
/// it to estimate the time left.
pub fn expected_states(cfg: &Config) -> Option<usize> {
    if *cfg != Config::new(cfg.preset, cfg.profile, None) {
        return None;
    }
    match (cfg.preset, cfg.profile) {
        (Preset::Quick, Profile::Rfc9293) => Some(164_005),
        (Preset::Quick, Profile::Rfc793) => Some(159_837),
        (Preset::Default, Profile::Rfc9293) => Some(24_966_013),
        (Preset::Default, Profile::Rfc793) => Some(25_161_290),
        (Preset::Deep, _) => None,
        (Preset::OldDuplicates, Profile::Rfc9293) => Some(2_093_132),
        (Preset::OldDuplicates, Profile::Rfc793) => Some(2_058_006),
        (Preset::OffPath, Profile::Rfc9293) => Some(843_999),
        (Preset::OffPath, Profile::Rfc793) => Some(2_194_562),
        (Preset::Reincarnation, Profile::Rfc9293) => Some(10_558_677),
        (Preset::Reincarnation, Profile::Rfc793) => Some(10_318_735),
        (Preset::Applications, Profile::Rfc9293) => Some(186_621_089),
        (Preset::Applications, Profile::Rfc793) => Some(139_778_434),
    }
}

/// Check `cfg` exhaustively with the fast engine on `threads` threads.
pub fn check(cfg: &Config, threads: usize) -> Report {
    check_with_progress(cfg, threads, &mut |_| {})
}

/// [`check`], telling `progress` how far it got a few times a second.
pub fn check_with_progress(
    cfg: &Config,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    let opts = Options {
        threads,
        ..Options::default()
    };
    run(cfg, &opts, progress)
}

/// What the exhaustive part of a check found.
struct Explored {
    unique: usize,
    states: usize,
    depth: usize,
    discovered: Vec<&'static str>,
    stopped: Option<Stop>,
    levels: Vec<u64>,
    spilled: u64,
}

/// Check `cfg` as `opts` says, telling `progress` how far it got.
/// [`Engine::Timely`] runs on this process's threads alone.
pub fn run(cfg: &Config, opts: &Options, progress: &mut dyn FnMut(Progress)) -> Report {
    if let Some(variant) = cfg.variant {
        return check_variant(cfg, variant.breaks(), opts.engine);
    }
    let start = Instant::now();
    let key = profile_key(cfg);
    let dir = fast::profile::dir().filter(|_| opts.profiles);
    let previous = dir.as_deref().and_then(|d| DepthProfile::load(d, &key));
    let pinned = expected_states(cfg);
    let explored = match opts.engine {
        Engine::Fast => explore_fast(cfg, opts, previous.as_ref(), pinned, progress),
        Engine::Stateright => explore_stateright(cfg, opts, previous.as_ref(), pinned, progress),
        Engine::Timely => explore_timely(cfg, opts, None, previous.as_ref(), pinned, progress)
            .expect("timely on one process connects to nobody, and its workers do not fail")
            .expect("a single process is process 0"),
    };
    finish(cfg, opts, explored, start, progress)
}

/// Check `cfg` with [`Engine::Timely`] across the processes of `peers`
/// ([`crate::cluster`]), `opts.threads` workers in this one. Every process
/// runs this with the same `cfg` and `peers` (but its own
/// `peers.process`); process 0 gets the report, the others `None` once
/// their part is done.
pub fn run_distributed(
    cfg: &Config,
    opts: &Options,
    peers: &cluster::Peers,
    connect_timeout: Duration,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Report>, cluster::Error> {
    let start = Instant::now();
    let key = profile_key(cfg);
    let dir = fast::profile::dir().filter(|_| opts.profiles && peers.process == 0);
    let previous = dir.as_deref().and_then(|d| DepthProfile::load(d, &key));
    let pinned = expected_states(cfg);
    let link = Link {
        peers: peers.clone(),
        connect_timeout,
    };
    let Some(explored) =
        explore_timely(cfg, opts, Some(link), previous.as_ref(), pinned, progress)?
    else {
        return Ok(None);
    };
    Ok(Some(finish(cfg, opts, explored, start, progress)))
}

/// From what the exhaustive part found to the report: save the depth
/// profile, find the shortest path to each discovery, give the verdicts.
fn finish(
    cfg: &Config,
    opts: &Options,
    explored: Explored,
    start: Instant,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    let seconds = start.elapsed().as_secs_f64();
    let dir = fast::profile::dir().filter(|_| opts.profiles);
    if let (Some(dir), Engine::Fast | Engine::Timely, None) = (&dir, opts.engine, &explored.stopped)
    {
        let profile = DepthProfile {
            key: profile_key(cfg),
            levels: explored.levels.clone(),
            seconds,
        };
        // A profile is a convenience: a read-only cache is no error.
        let _ = profile.save(dir);
    }
    let discovered = &explored.discovered;
    // The exhaustive run only tallies; breadth-first searches then find the
    // shortest counterexample to each violated property and an example of
    // each scenario. Not after a stop: the user asked it to end.
    let t = Instant::now();
    let mut paths = std::collections::HashMap::new();
    if explored.stopped.is_none() {
        progress(Progress::Paths(discovered.len()));
        let (violated, reached): (Vec<_>, Vec<_>) = discovered.iter().copied().partition(|n| {
            properties::by_name(n).is_some_and(|p| p.expectation == Expectation::Always)
        });
        paths = search::shortest(cfg, &violated);
        paths.extend(search::examples(cfg, &reached));
    }
    let shortest_seconds = t.elapsed().as_secs_f64();
    let verdicts = properties::checked(cfg)
        .map(|p| {
            let found = discovered.contains(&p.name);
            Verdict {
                name: p.name,
                expectation: p.expectation,
                holds: found == (p.expectation == Expectation::Sometimes),
                expected_to_fail: p.expected_to_fail(cfg.profile),
                path: paths.remove(p.name),
            }
        })
        .collect();
    Report {
        unique_states: explored.unique,
        states: explored.states,
        max_depth: explored.depth,
        seconds,
        shortest_seconds,
        verdicts,
        engine: opts.engine,
        stopped: explored.stopped,
        levels: explored.levels,
        peak_memory: memory::peak_rss(),
        spilled_bytes: explored.spilled,
    }
}

/// `synfin check`'s fast path: a successor written over a scratch state,
/// reusing its network's allocation (most successors are states seen
/// already, and `next_state`'s clone would allocate and free one each
/// time). The destructuring makes a new field of [`Sys`] a compile error
/// here until it is copied.
impl fast::Successor for TcpModel {
    fn successor_into(&self, state: &Sys, action: Action, into: &mut Sys) -> bool {
        let Sys {
            hosts,
            net,
            losses,
            dups,
            delays,
            aborts,
            crashes,
            injections,
            broken,
        } = state;
        into.hosts.clone_from(hosts);
        into.net.clone_from(net);
        into.losses = *losses;
        into.dups = *dups;
        into.delays = *delays;
        into.aborts = *aborts;
        into.crashes = *crashes;
        into.injections = *injections;
        into.broken = *broken;
        into.step(&self.cfg, action);
        true
    }

    /// The bytes `Hash for Sys` writes: [`Sys::pack_head`], then each
    /// segment's `Seg::pack`.
    fn pack(&self, s: &Sys, out: &mut Vec<u8>) -> bool {
        out.extend_from_slice(&s.pack_head());
        for seg in &s.net {
            out.extend_from_slice(&seg.pack());
        }
        true
    }

    fn unpack(&self, b: &[u8], into: &mut Sys) -> usize {
        const H: usize = Host::PACKED;
        unpack_host(&b[..H], &mut into.hosts[0]);
        unpack_host(&b[H..2 * H], &mut into.hosts[1]);
        let h = &b[2 * H..2 * H + 8];
        into.losses = h[0];
        into.dups = h[1];
        into.delays = h[2];
        into.aborts = h[3];
        into.crashes = h[4];
        into.injections = h[5];
        into.broken = h[6];
        let n = usize::from(h[7]);
        let head = 2 * H + 8;
        into.net.clear();
        for p in b[head..head + Seg::PACKED * n].chunks_exact(Seg::PACKED) {
            into.net.push(Seg {
                from: p[0],
                seq: p[1],
                ack: p[2],
                ctl: Ctl(p[3]),
                data: p[4] != 0,
                late: p[5] != 0,
                age: p[6],
                g_inc: p[7],
                g_to: p[8],
                g_idx: p[9],
            });
        }
        head + Seg::PACKED * n
    }
}

/// Every [`End`], in declaration order (`end as u8` indexes it). The
/// exhaustive match in [`end_listed`] makes a new variant a compile error
/// here until it is listed.
const ENDS: [End; 10] = [
    End::None,
    End::Cancelled,
    End::Orderly,
    End::TimeWaitDone,
    End::Reset,
    End::StaleRejected,
    End::ConnectTimeout,
    End::TimedOut,
    End::Aborted,
    End::Crashed,
];

/// Whether `e` is in [`ENDS`]: no wildcard, so a new variant fails to compile.
#[allow(dead_code)]
fn end_listed(e: End) -> bool {
    match e {
        End::None
        | End::Cancelled
        | End::Orderly
        | End::TimeWaitDone
        | End::Reset
        | End::StaleRejected
        | End::ConnectTimeout
        | End::TimedOut
        | End::Aborted
        | End::Crashed => ENDS.contains(&e),
    }
}

/// The inverse of `Host::pack`. The struct literal makes a new field a
/// compile error here until it is unpacked.
fn unpack_host(p: &[u8], into: &mut Host) {
    *into = Host {
        state: St::ALL[usize::from(p[0])],
        passive: p[1] != 0,
        iss: p[2],
        irs: p[3],
        snd_una: p[4],
        snd_nxt: p[5],
        rcv_nxt: p[6],
        sent: p[7],
        retries: p[8],
        timer: (p[9] != 0).then_some(p[10]),
        isn_last: p[11],
        clock: p[12],
        used: p[13],
        opens_left: p[14],
        inc: p[15],
        peer_inc: p[16],
        met: [p[17], p[18], p[19], p[20]],
        delivered: p[21],
        eof: p[22] != 0,
        closed: p[23] != 0,
        read_after_close: p[24] != 0,
        reacked: p[25] != 0,
        tw_age: p[26],
        end: ENDS[usize::from(p[27])],
        crossed: p[28] != 0,
        syn_wait: p[29],
        syn_first: p[30],
        backed_off: p[31] != 0,
        rude: p[32] != 0,
        parked: Parked::unpack(&p[33..]),
    };
}

/// The tally's bits as property names.
fn tallied(bits: u32) -> Vec<&'static str> {
    properties::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, p)| p.name)
        .collect()
}

fn explore_fast(
    cfg: &Config,
    opts: &Options,
    previous: Option<&DepthProfile>,
    pinned: Option<usize>,
    progress: &mut dyn FnMut(Progress),
) -> Explored {
    let (model, tally) = TcpModel::tallying(cfg.clone());
    let fopts = fast::Options {
        threads: opts.threads,
        expected_states: previous.map(|p| p.total() as usize).or(pinned),
        max_memory: opts.max_memory,
        stop: opts.stop.clone(),
        delta: None,
        spill: opts.spill.clone(),
    };
    let out = fast::check(&model, &fopts, &mut |s| {
        let estimate = match (previous, pinned) {
            (Some(p), _) => Some(Estimate {
                total: p.estimate(&s.levels, s.states as u64) as usize,
                source: EstimateSource::Profile,
            }),
            (None, Some(n)) => Some(Estimate {
                total: n.max(s.states),
                source: EstimateSource::Pinned,
            }),
            (None, None) => None,
        };
        progress(Progress::Exploring {
            states: s.states,
            depth: s.depth,
            elapsed: s.elapsed,
            estimate,
            resident: s.resident,
        })
    })
    .expect("the model has only always and sometimes properties");
    Explored {
        unique: out.unique_states,
        states: out.states,
        depth: out.max_depth,
        discovered: tallied(tally.load(Ordering::Relaxed)),
        stopped: out.stopped,
        levels: out.levels,
        spilled: out.spilled_bytes,
    }
}

/// Where the other processes of a distributed check are.
struct Link {
    peers: cluster::Peers,
    connect_timeout: Duration,
}

/// The exhaustive part by [`crate::cluster`]: `None` on a process other
/// than 0, whose part is done.
fn explore_timely(
    cfg: &Config,
    opts: &Options,
    link: Option<Link>,
    previous: Option<&DepthProfile>,
    pinned: Option<usize>,
    progress: &mut dyn FnMut(Progress),
) -> Result<Option<Explored>, cluster::Error> {
    let expected = previous.map(|p| p.total() as usize).or(pinned);
    let source = if previous.is_some() {
        EstimateSource::Profile
    } else {
        EstimateSource::Pinned
    };
    let copts = cluster::Options {
        threads: opts.threads,
        expected_states: expected,
        max_memory: opts.max_memory,
        stop: opts.stop.clone(),
        connect_timeout: link
            .as_ref()
            .map_or(cluster::CONNECT_TIMEOUT, |l| l.connect_timeout),
        peers: link.map(|l| l.peers),
        key: fast::fingerprint::fingerprint(&profile_key(cfg)),
    };
    let out = cluster::check(TcpModel::new(cfg.clone()), &copts, &mut |s| {
        // States are spread evenly by fingerprint: this process's count
        // times the processes is the whole, give or take a fraction of 1%.
        let states = s.states * s.processes;
        progress(Progress::Exploring {
            states,
            depth: s.depth,
            elapsed: s.elapsed,
            estimate: expected.map(|n| Estimate {
                total: n.max(states),
                source,
            }),
            resident: s.resident,
        })
    })?;
    Ok(out.map(|out| Explored {
        unique: out.unique_states,
        states: out.states,
        depth: out.max_depth,
        discovered: out.discovered,
        stopped: out.stopped,
        levels: out.levels,
        spilled: 0,
    }))
}

fn explore_stateright(
    cfg: &Config,
    opts: &Options,
    previous: Option<&DepthProfile>,
    pinned: Option<usize>,
    progress: &mut dyn FnMut(Progress),
) -> Explored {
    let start = Instant::now();
    let (model, tally) = TcpModel::tallying(cfg.clone());
    let checker = model.checker().threads(opts.threads.max(1)).spawn_dfs();
    let expected = previous.map(|p| p.total() as usize).or(pinned);
    let source = if previous.is_some() {
        EstimateSource::Profile
    } else {
        EstimateSource::Pinned
    };
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(50));
        let states = checker.unique_state_count();
        let resident = memory::rss();
        let stopped = Stop::poll(opts.max_memory, resident, opts.stop.as_deref());
        if stopped.is_some() {
            // Stateright's checker cannot be stopped: its threads run on
            // until the process exits, which `synfin check` does next.
            return Explored {
                unique: states,
                states: checker.state_count(),
                depth: checker.max_depth(),
                discovered: tallied(tally.load(Ordering::Relaxed)),
                stopped,
                levels: Vec::new(),
                spilled: 0,
            };
        }
        progress(Progress::Exploring {
            states,
            depth: checker.max_depth(),
            elapsed: start.elapsed(),
            estimate: expected.map(|n| Estimate {
                total: n.max(states),
                source,
            }),
            resident,
        });
    }
    let checker = checker.join();
    Explored {
        unique: checker.unique_state_count(),
        states: checker.state_count(),
        depth: checker.max_depth(),
        discovered: tallied(tally.load(Ordering::Relaxed)),
        stopped: None,
        levels: Vec::new(),
        spilled: 0,
    }
}

/// A broken design is checked for the one property it exists to break: a
/// breadth-first search that stops at the shortest counterexample. The
/// other properties are not checked.
fn check_variant(cfg: &Config, breaks: &'static str, engine: Engine) -> Report {
    let start = Instant::now();
    let (mut paths, stats) = search::shortest_with_stats(cfg, &[breaks]);
    let seconds = start.elapsed().as_secs_f64();
    let verdicts = properties::ALL
        .iter()
        .filter(|p| p.name == breaks)
        .map(|p| Verdict {
            name: p.name,
            expectation: p.expectation,
            holds: !paths.contains_key(p.name),
            expected_to_fail: false,
            path: paths.remove(p.name),
        })
        .collect();
    Report {
        unique_states: stats.unique,
        states: stats.generated,
        max_depth: stats.depth,
        seconds,
        shortest_seconds: 0.0,
        verdicts,
        engine,
        stopped: None,
        levels: Vec::new(),
        peak_memory: memory::peak_rss(),
        spilled_bytes: 0,
    }
}
