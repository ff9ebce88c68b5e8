//! Which paths to export: every path to a depth, seeded random walks, a
//! set that takes every reachable transition, and each scenario's example.

use std::collections::{BTreeSet, HashMap, HashSet};

use super::observe::transition_key;
use crate::config::Config;
use crate::properties::{self, Expectation};
use crate::search::{self, fingerprint};
use crate::system::{Action, Sys};

/// Every action sequence of exactly `depth` steps, or shorter where no
/// action is enabled (a plain DFS; the count grows exponentially).
pub fn depth_paths(cfg: &Config, depth: usize) -> Vec<Vec<Action>> {
    fn go(cfg: &Config, s: &Sys, path: &mut Vec<Action>, depth: usize, out: &mut Vec<Vec<Action>>) {
        let mut acts = Vec::new();
        s.actions(cfg, &mut acts);
        if path.len() == depth || acts.is_empty() {
            if !path.is_empty() {
                out.push(path.clone());
            }
            return;
        }
        for a in acts {
            let mut n = s.clone();
            n.step(cfg, a);
            path.push(a);
            go(cfg, &n, path, depth, out);
            path.pop();
        }
    }
    let mut out = Vec::new();
    go(cfg, &Sys::initial(cfg), &mut Vec::new(), depth, &mut out);
    out
}

/// Random walks of at most `max_len` steps from a seeded xorshift generator.
pub fn random_paths(cfg: &Config, n: usize, seed: u64, max_len: usize) -> Vec<Vec<Action>> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut out = Vec::new();
    for _ in 0..n {
        let mut s = Sys::initial(cfg);
        let mut path = Vec::new();
        let mut acts = Vec::new();
        while path.len() < max_len {
            acts.clear();
            s.actions(cfg, &mut acts);
            if acts.is_empty() {
                break;
            }
            let a = acts[(next() % acts.len() as u64) as usize];
            s.step(cfg, a);
            path.push(a);
        }
        out.push(path);
    }
    out
}

/// Breadth-first search of the whole reachable space: every transition key,
/// and a set of paths that together take every one of them (for each key in
/// order of decreasing depth not yet taken, the shortest path to it).
///
/// Lean, because `default` has ~32M states: a visited state is kept as its
/// 64-bit fingerprint (as stateright's checkers do) with its parent and the
/// index of the action from it; only the frontier holds whole states. Paths
/// are rebuilt by replaying action indices from the initial state.
pub fn cover_paths(cfg: &Config) -> (Vec<Vec<Action>>, BTreeSet<String>, usize) {
    let init = Sys::initial(cfg);
    let mut index: HashMap<u64, u32> = HashMap::new();
    // parent node, index of the action taken from it (u16::MAX for the root)
    let mut nodes: Vec<(u32, u16)> = vec![(u32::MAX, u16::MAX)];
    index.insert(fingerprint(&init), 0);
    // key -> (node, action index from it, depth of the key's transition)
    let mut witness: HashMap<String, (u32, u16, u32)> = HashMap::new();
    let mut frontier: Vec<(u32, Sys)> = vec![(0, init)];
    let mut depth = 0u32;
    let mut acts = Vec::new();
    while !frontier.is_empty() {
        depth += 1;
        let mut next = Vec::new();
        for (i, s) in frontier {
            acts.clear();
            s.actions(cfg, &mut acts);
            for (ai, &a) in acts.iter().enumerate() {
                let mut n = s.clone();
                n.step(cfg, a);
                if let Some(k) = transition_key(&s, a, &n) {
                    witness.entry(k).or_insert((i, ai as u16, depth));
                }
                if let std::collections::hash_map::Entry::Vacant(e) = index.entry(fingerprint(&n)) {
                    let j = nodes.len() as u32;
                    e.insert(j);
                    nodes.push((i, ai as u16));
                    next.push((j, n));
                }
            }
        }
        frontier = next;
    }
    drop(index);
    let indices_to = |mut i: u32| {
        let mut p = Vec::new();
        loop {
            let (parent, ai) = nodes[i as usize];
            if ai == u16::MAX {
                break;
            }
            p.push(ai);
            i = parent;
        }
        p.reverse();
        p
    };
    let keys: BTreeSet<String> = witness.keys().cloned().collect();
    let mut order: Vec<_> = witness.iter().collect();
    order.sort_by(|x, y| y.1 .2.cmp(&x.1 .2).then(x.0.cmp(y.0)));
    let mut taken: HashSet<String> = HashSet::new();
    let mut paths = Vec::new();
    for (k, &(i, ai, _)) in order {
        if taken.contains(k) {
            continue;
        }
        let mut p = indices_to(i);
        p.push(ai);
        let mut s = Sys::initial(cfg);
        let mut path = Vec::with_capacity(p.len());
        for ai in p {
            acts.clear();
            s.actions(cfg, &mut acts);
            let a = acts[ai as usize];
            let before = s.clone();
            s.step(cfg, a);
            if let Some(k) = transition_key(&before, a, &s) {
                taken.insert(k);
            }
            path.push(a);
        }
        paths.push(path);
    }
    (paths, keys, nodes.len())
}

/// An example path of every scenario (a `sometimes` property) checked in
/// `cfg`'s world ([`properties::checked`]), in
/// `synfin list` order: the path `synfin show` draws
/// ([`search::examples`]); `Err` names the scenarios no reachable
/// state shows.
pub fn scenario_paths(cfg: &Config) -> Result<Vec<(&'static str, Vec<Action>)>, Vec<&'static str>> {
    let names: Vec<&'static str> = properties::checked(cfg)
        .filter(|p| p.expectation == Expectation::Sometimes)
        .map(|p| p.name)
        .collect();
    let mut found = search::examples(cfg, &names);
    let missing: Vec<&'static str> = names
        .iter()
        .copied()
        .filter(|n| !found.contains_key(n))
        .collect();
    if !missing.is_empty() {
        return Err(missing);
    }
    Ok(names
        .into_iter()
        .map(|n| {
            let path = found.remove(n).expect("found");
            (n, path.into_iter().filter_map(|(_, a)| a).collect())
        })
        .collect())
}
