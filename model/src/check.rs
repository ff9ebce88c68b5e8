//! `synfin check`: stateright's DFS on all cores for verdicts and state
//! counts, then [`crate::search`] for the shortest path to each discovery
//! (stateright 0.31 overwrites a discovery's path with later, longer ones).
//!
//! ```
//! use synfin_model::{check, Config, Preset, Profile};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let report = check::check(&cfg, 1);
//! assert!(report.ok());
//! assert_eq!(Some(report.unique_states), check::expected_states(&cfg));
//! ```

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use stateright::{Checker, Model};

use crate::config::{Config, Preset, Profile};
use crate::model::TcpModel;
use crate::properties::{self, Expectation};
use crate::search::{self, Path};

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
    /// One verdict per property, in [`properties::ALL`] order.
    pub verdicts: Vec<Verdict>,
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
        self.verdicts.iter().all(Verdict::as_claimed)
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
    },
    /// The exhaustive search is over; breadth-first searches now look for
    /// the shortest path to each of this many discoveries.
    Paths(usize),
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
        (Preset::Quick, Profile::Rfc9293) => Some(164_023),
        (Preset::Quick, Profile::Rfc793) => Some(159_855),
        (Preset::Default, Profile::Rfc9293) => Some(25_035_127),
        (Preset::Default, Profile::Rfc793) => Some(25_151_906),
        (Preset::Deep, _) => None,
        (Preset::OldDuplicates, Profile::Rfc9293) => Some(2_092_127),
        (Preset::OldDuplicates, Profile::Rfc793) => Some(2_057_621),
        (Preset::OffPath, Profile::Rfc9293) => Some(843_887),
        (Preset::OffPath, Profile::Rfc793) => Some(2_193_854),
        (Preset::Reincarnation, _) => None,
    }
}

/// Check `cfg` exhaustively with DFS on `threads` threads.
pub fn check(cfg: &Config, threads: usize) -> Report {
    check_with_progress(cfg, threads, &mut |_| {})
}

/// [`check`], telling `progress` how far it got a few times a second.
pub fn check_with_progress(
    cfg: &Config,
    threads: usize,
    progress: &mut dyn FnMut(Progress),
) -> Report {
    if let Some(variant) = cfg.variant {
        return check_variant(cfg, variant.breaks());
    }
    let start = Instant::now();
    let (model, tally) = TcpModel::tallying(cfg.clone());
    let checker = model.checker().threads(threads).spawn_dfs();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(50));
        progress(Progress::Exploring {
            states: checker.unique_state_count(),
            depth: checker.max_depth(),
            elapsed: start.elapsed(),
        });
    }
    let checker = checker.join();
    let seconds = start.elapsed().as_secs_f64();
    let bits = tally.load(Ordering::Relaxed);
    let discovered: Vec<&'static str> = properties::ALL
        .iter()
        .enumerate()
        .filter(|(i, _)| bits & (1 << i) != 0)
        .map(|(_, p)| p.name)
        .collect();
    // The exhaustive run only tallies; breadth-first searches then find the
    // shortest counterexample to each violated property and an example of
    // each scenario.
    progress(Progress::Paths(discovered.len()));
    let t = Instant::now();
    let (violated, reached): (Vec<_>, Vec<_>) = discovered.iter().copied().partition(|n| {
        properties::by_name(n).is_some_and(|p| p.expectation == Expectation::Always)
    });
    let mut paths = search::shortest(cfg, &violated);
    paths.extend(search::examples(cfg, &reached));
    let shortest_seconds = t.elapsed().as_secs_f64();
    let verdicts = properties::ALL
        .iter()
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
        unique_states: checker.unique_state_count(),
        states: checker.state_count(),
        max_depth: checker.max_depth(),
        seconds,
        shortest_seconds,
        verdicts,
    }
}

/// A broken design is checked for the one property it exists to break: a
/// breadth-first search that stops at the shortest counterexample. The
/// other properties are not checked.
fn check_variant(cfg: &Config, breaks: &'static str) -> Report {
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
    }
}
