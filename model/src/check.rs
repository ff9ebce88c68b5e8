//! Running the checker: stateright's DFS on all cores for verdicts and state
//! counts, then an exact breadth-first search for the shortest path to each
//! discovery (stateright 0.31 overwrites discoveries with longer paths; see
//! stateright-notes.md §1.6).

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{IsTerminal, Write};
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use stateright::{Checker, Model};

use crate::properties::{self, Expectation};
use crate::system::{Action, Sys};
use crate::{Config, TcpModel};

/// A path: each state with the action taken from it (none for the last).
pub type Path = Vec<(Sys, Option<Action>)>;

/// The verdict on one property.
#[derive(Debug)]
pub struct Verdict {
    /// Property name.
    pub name: &'static str,
    /// Always or sometimes.
    pub expectation: Expectation,
    /// Safety: no counterexample. Scenario: an example was found.
    pub holds: bool,
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

impl Report {
    /// Every safety property holds and every scenario is reached.
    pub fn ok(&self) -> bool {
        self.verdicts.iter().all(|v| v.holds)
    }
}

/// Check `cfg` exhaustively with DFS on `threads` threads. With `progress`,
/// print states, states/s and depth to stderr once a second when stderr is
/// a terminal.
pub fn check(cfg: &Config, threads: usize, progress: bool) -> Report {
    if let Some(variant) = cfg.variant {
        return check_variant(cfg, variant.breaks());
    }
    let start = Instant::now();
    let (model, tally) = TcpModel::tallying(cfg.clone());
    let checker = model.checker().threads(threads).spawn_dfs();
    let tty = progress && std::io::stderr().is_terminal();
    while !checker.is_done() {
        std::thread::sleep(Duration::from_millis(if tty { 1000 } else { 50 }));
        if tty {
            let secs = start.elapsed().as_secs_f64();
            let n = checker.unique_state_count();
            eprint!(
                "\r  {n} states, {:.0} states/s, depth {}   ",
                n as f64 / secs,
                checker.max_depth()
            );
            let _ = std::io::stderr().flush();
        }
    }
    if tty {
        eprintln!();
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
    if tty {
        eprintln!("  paths for {} properties...", discovered.len());
    }
    let t = Instant::now();
    let (violated, reached): (Vec<_>, Vec<_>) = discovered.iter().copied().partition(|n| {
        properties::by_name(n).is_some_and(|p| p.expectation == Expectation::Always)
    });
    let mut paths = shortest(cfg, &violated);
    paths.extend(examples(cfg, &reached));
    let shortest_seconds = t.elapsed().as_secs_f64();
    let verdicts = properties::ALL
        .iter()
        .map(|p| {
            let found = discovered.contains(&p.name);
            Verdict {
                name: p.name,
                expectation: p.expectation,
                holds: found == (p.expectation == Expectation::Sometimes),
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
    let (mut paths, stats) = shortest_with_stats(cfg, &[breaks]);
    let seconds = start.elapsed().as_secs_f64();
    let verdicts = properties::ALL
        .iter()
        .filter(|p| p.name == breaks)
        .map(|p| Verdict {
            name: p.name,
            expectation: p.expectation,
            holds: !paths.contains_key(p.name),
            path: paths.remove(p.name),
        })
        .collect();
    Report {
        unique_states: stats.0,
        states: stats.1,
        max_depth: stats.2,
        seconds,
        shortest_seconds: 0.0,
        verdicts,
    }
}

/// A state's 64-bit identity for the searches here and in `trace`'s cover
/// export: fixed hash keys, so every run searches the same way.
pub(crate) fn fingerprint(s: &Sys) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}

/// For each named property, the shortest path to a state that violates it
/// (safety) or shows it (scenario), by breadth-first search in the model's
/// deterministic action order. Properties with no such state are absent.
pub fn shortest(cfg: &Config, names: &[&'static str]) -> HashMap<&'static str, Path> {
    shortest_with_stats(cfg, names).0
}

/// [`shortest`], with (unique states, states generated, depth reached).
pub fn shortest_with_stats(
    cfg: &Config,
    names: &[&'static str],
) -> (HashMap<&'static str, Path>, (usize, usize, usize)) {
    let model = TcpModel::new(cfg.clone());
    let mut wanted: Vec<&properties::Prop> = names
        .iter()
        .filter_map(|n| properties::by_name(n))
        .collect();
    let mut found = HashMap::new();
    let init = model.init_states().remove(0);
    // fingerprint -> (parent fingerprint, action index from the parent)
    let mut parent: HashMap<u64, (u64, u32)> = HashMap::new();
    let root = fingerprint(&init);
    parent.insert(root, (root, u32::MAX));
    let mut frontier = vec![init];
    let mut actions = Vec::new();
    let (mut generated, mut depth) = (1, 0);
    while !wanted.is_empty() && !frontier.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for state in frontier {
            let fp = fingerprint(&state);
            wanted.retain(|p| {
                let hit = (p.holds)(&model, &state) != (p.expectation == Expectation::Always);
                if hit {
                    found.insert(p.name, rebuild(&model, &parent, fp));
                }
                !hit
            });
            if wanted.is_empty() {
                break;
            }
            actions.clear();
            model.actions(&state, &mut actions);
            for (i, a) in actions.drain(..).enumerate() {
                let Some(succ) = model.next_state(&state, a) else {
                    continue;
                };
                generated += 1;
                let sfp = fingerprint(&succ);
                if let std::collections::hash_map::Entry::Vacant(e) = parent.entry(sfp) {
                    e.insert((fp, i as u32));
                    next.push(succ);
                }
            }
        }
        frontier = next;
    }
    (found, (parent.len(), generated, depth))
}

/// An example path for each named scenario. The search runs first in the
/// world without duplication, delay or crash (budgets only restrict, so its
/// paths are paths of `cfg` too, replayed there to make sure), which finds
/// most scenarios in a fraction of a second where a search of the full world
/// can take a minute; what it misses is searched in `cfg` itself. So an
/// example is the shortest one that needs none of those faults, or failing
/// that the shortest one.
pub fn examples(cfg: &Config, names: &[&'static str]) -> HashMap<&'static str, Path> {
    let mut found = HashMap::new();
    let calm = Config {
        dups: 0,
        delays: 0,
        crashes: 0,
        ..cfg.clone()
    };
    if calm != *cfg {
        let model = TcpModel::new(cfg.clone());
        for (name, path) in shortest(&calm, names) {
            let Some(prop) = properties::by_name(name) else {
                continue;
            };
            let actions: Vec<Action> = path.iter().filter_map(|(_, a)| *a).collect();
            if let Some(replayed) = replay(&model, &actions) {
                let last = &replayed.last().expect("a path has a last state").0;
                if (prop.holds)(&model, last) {
                    found.insert(name, replayed);
                }
            }
        }
    }
    let rest: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| !found.contains_key(n))
        .collect();
    if !rest.is_empty() {
        found.extend(shortest(cfg, &rest));
    }
    found
}

/// Apply `actions` from the initial state, each only if enabled there.
fn replay(model: &TcpModel, actions: &[Action]) -> Option<Path> {
    let mut state = model.init_states().remove(0);
    let mut path = Vec::new();
    let mut enabled = Vec::new();
    for &a in actions {
        enabled.clear();
        model.actions(&state, &mut enabled);
        if !enabled.contains(&a) {
            return None;
        }
        let next = model.next_state(&state, a)?;
        path.push((state, Some(a)));
        state = next;
    }
    path.push((state, None));
    Some(path)
}

/// Replay the action indices that lead to `target` from the initial state.
fn rebuild(model: &TcpModel, parent: &HashMap<u64, (u64, u32)>, target: u64) -> Path {
    let mut indices = Vec::new();
    let mut fp = target;
    while let Some(&(p, i)) = parent.get(&fp) {
        if i == u32::MAX {
            break;
        }
        indices.push(i);
        fp = p;
    }
    indices.reverse();
    let mut state = model.init_states().remove(0);
    let mut path = Vec::new();
    let mut actions = Vec::new();
    for i in indices {
        actions.clear();
        model.actions(&state, &mut actions);
        let a = actions[i as usize];
        let next = model
            .next_state(&state, a)
            .expect("recorded action is enabled");
        path.push((state, Some(a)));
        state = next;
    }
    path.push((state, None));
    path
}
