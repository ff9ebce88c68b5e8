//! Breadth-first searches of the system for the shortest path to a state
//! that violates a safety property or shows a scenario.
//!
//! Stateright 0.31 keeps evaluating a property after its first discovery
//! and overwrites the stored path with later ones, which are often longer,
//! so every path `synfin` prints or exports is found here instead: an exact
//! breadth-first search in the system's deterministic action order, so
//! every run finds the same path.
//!
//! ```
//! use synfin_model::{search, Config, Preset, Profile};
//!
//! let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
//! let path = search::shortest(&cfg, &["three-way-handshake"]).remove("three-way-handshake");
//! // connect, listen, SYN, SYN,ACK, ACK: five steps, six states.
//! assert_eq!(path.unwrap().len(), 6);
//! ```

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::config::Config;
use crate::properties;
use crate::system::{Action, Sys};

/// A path: each state with the action taken from it (none for the last).
pub type Path = Vec<(Sys, Option<Action>)>;

/// How much of the state space a search visited.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stats {
    /// Distinct states visited.
    pub unique: usize,
    /// States generated, with repeats.
    pub generated: usize,
    /// Breadth-first levels searched.
    pub depth: usize,
}

/// A state's 64-bit identity for the searches here and in `trace`'s cover
/// export: fixed hash keys, so every run searches the same way.
pub fn fingerprint(s: &Sys) -> u64 {
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

/// [`shortest`], with how much it searched.
pub fn shortest_with_stats(
    cfg: &Config,
    names: &[&'static str],
) -> (HashMap<&'static str, Path>, Stats) {
    let mut wanted: Vec<&properties::Prop> = names
        .iter()
        .filter_map(|n| properties::by_name(n))
        .collect();
    let mut found = HashMap::new();
    let init = Sys::initial(cfg);
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
                let hit = p.hit(&state);
                if hit {
                    found.insert(p.name, rebuild(cfg, &parent, fp));
                }
                !hit
            });
            if wanted.is_empty() {
                break;
            }
            actions.clear();
            state.actions(cfg, &mut actions);
            for (i, a) in actions.drain(..).enumerate() {
                let mut succ = state.clone();
                succ.step(cfg, a);
                generated += 1;
                let sfp = fingerprint(&succ);
                if let Entry::Vacant(e) = parent.entry(sfp) {
                    e.insert((fp, i as u32));
                    next.push(succ);
                }
            }
        }
        frontier = next;
    }
    let stats = Stats {
        unique: parent.len(),
        generated,
        depth,
    };
    (found, stats)
}

/// The world without duplication, delay or crash: budgets only restrict,
/// so a path of it is a path of `cfg` too (replayed there to make sure).
pub fn calm(cfg: &Config) -> Config {
    Config {
        dups: 0,
        delays: 0,
        crashes: 0,
        ..cfg.clone()
    }
}

/// An example path for each named scenario. The search runs first in the
/// [`calm`] world, which finds most scenarios in a fraction of a second
/// where a search of the full world can take a minute; what it misses is
/// searched in `cfg` itself. So an example is the shortest one that needs
/// none of those faults, or failing that the shortest one.
pub fn examples(cfg: &Config, names: &[&'static str]) -> HashMap<&'static str, Path> {
    let mut found = HashMap::new();
    let calm = calm(cfg);
    if calm != *cfg {
        for (name, path) in shortest(&calm, names) {
            let Some(prop) = properties::by_name(name) else {
                continue;
            };
            let actions: Vec<Action> = path.iter().filter_map(|(_, a)| *a).collect();
            if let Some(replayed) = replay(cfg, &actions) {
                let last = &replayed.last().expect("a path has a last state").0;
                if (prop.holds)(last) {
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

/// Apply `actions` from the initial state of `cfg`, each only if enabled
/// where it is taken; `None` if one is not.
pub fn replay(cfg: &Config, actions: &[Action]) -> Option<Path> {
    let mut state = Sys::initial(cfg);
    let mut path = Vec::new();
    let mut enabled = Vec::new();
    for &a in actions {
        enabled.clear();
        state.actions(cfg, &mut enabled);
        if !enabled.contains(&a) {
            return None;
        }
        let mut next = state.clone();
        next.step(cfg, a);
        path.push((state, Some(a)));
        state = next;
    }
    path.push((state, None));
    Some(path)
}

/// Replay the action indices that lead to `target` from the initial state.
fn rebuild(cfg: &Config, parent: &HashMap<u64, (u64, u32)>, target: u64) -> Path {
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
    by_indices(cfg, &indices)
}

/// The path that takes, at each state, the action of the given index in
/// the state's action order.
pub(crate) fn by_indices(cfg: &Config, indices: &[u32]) -> Path {
    let mut state = Sys::initial(cfg);
    let mut path = Vec::new();
    let mut actions = Vec::new();
    for &i in indices {
        actions.clear();
        state.actions(cfg, &mut actions);
        let a = actions[i as usize];
        let mut next = state.clone();
        next.step(cfg, a);
        path.push((state, Some(a)));
        state = next;
    }
    path.push((state, None));
    path
}
