//! The fast engine and stateright's own checker agree: the same unique
//! and generated state counts and the same discoveries, on the model of
//! this crate and on a small model of its own; and the fast engine stops
//! cleanly when asked to.
//!
//! `quick` is compared here under both profiles; `default` (32 and 35
//! million states, about a minute per engine) is compared in release mode
//! by `.ci/run`, and by the ignored test below
//! (`cargo test --release -p synfin-model --test engines -- --ignored`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use stateright::{Checker, Model, Property};
use synfin_model::check::{self, Engine};
use synfin_model::fast::{self, Stop};
use synfin_model::{Config, Preset, Profile, TcpModel};

/// Both engines on `cfg`'s tallying model: counts and discoveries.
fn agree(cfg: &Config, threads: usize) {
    let (model, tally) = TcpModel::tallying(cfg.clone());
    let sr = model.clone().checker().threads(threads).spawn_dfs().join();
    let sr_bits = tally.swap(0, Ordering::Relaxed);
    let out = fast::check(&model, &fast::Options::threads(threads), &mut |_| {}).unwrap();
    let fast_bits = tally.load(Ordering::Relaxed);
    let name = format!("{} {}", cfg.preset, cfg.profile);
    assert_eq!(out.unique_states, sr.unique_state_count(), "{name}: unique");
    assert_eq!(out.states, sr.state_count(), "{name}: generated");
    assert_eq!(fast_bits, sr_bits, "{name}: properties discovered");
    assert!(out.exhaustive && out.stopped.is_none(), "{name}");
    assert_eq!(
        out.levels.iter().sum::<u64>() as usize,
        out.unique_states,
        "{name}: the depth profile covers every state"
    );
    assert_eq!(out.max_depth, out.levels.len());
    assert_eq!(
        Some(out.unique_states),
        check::expected_states(cfg),
        "{name}"
    );
}

/// Whole reports, as `synfin check` prints them: every verdict and the
/// length of every shortest path.
fn same_reports(cfg: &Config) {
    let reports: Vec<check::Report> = Engine::ALL
        .iter()
        .map(|&engine| {
            let opts = check::Options {
                threads: 2,
                engine,
                ..check::Options::default()
            };
            check::run(cfg, &opts, &mut |_| {})
        })
        .collect();
    let [f, others @ ..] = &reports[..] else {
        unreachable!()
    };
    assert_eq!(f.engine, Engine::Fast);
    for s in others {
        let e = s.engine;
        assert_eq!(f.unique_states, s.unique_states, "{e}");
        assert_eq!(f.states, s.states, "{e}");
        assert_eq!(f.verdicts.len(), s.verdicts.len(), "{e}");
        for (a, b) in f.verdicts.iter().zip(&s.verdicts) {
            assert_eq!(a.name, b.name);
            assert_eq!(a.holds, b.holds, "{e}: {}", a.name);
            assert_eq!(
                a.path.as_ref().map(Vec::len),
                b.path.as_ref().map(Vec::len),
                "{e}: {}",
                a.name
            );
        }
        assert_eq!(f.ok(), s.ok(), "{e}");
    }
    // Both breadth-first engines see the same levels.
    assert_eq!(f.levels, reports[2].levels);
}

#[test]
fn engines_agree_on_quick_under_both_profiles() {
    for profile in [Profile::Rfc9293, Profile::Rfc793] {
        let cfg = Config::new(Preset::Quick, profile, None);
        agree(&cfg, 1);
        agree(&cfg, 2);
        same_reports(&cfg);
    }
}

/// Where the profile makes a safety property fail, both engines find it.
#[test]
fn engines_agree_on_a_violation() {
    let cfg = Config::new(Preset::OldDuplicates, Profile::Rfc793, None);
    agree(&cfg, 2);
    same_reports(&cfg);
}

#[test]
#[ignore = "a minute per engine and profile: run in release"]
fn engines_agree_on_default_under_both_profiles() {
    for profile in [Profile::Rfc9293, Profile::Rfc793] {
        agree(&Config::new(Preset::Default, profile, None), 2);
    }
}

/// A model that is not this crate's: pairs (x, y) with x, y < 200,
/// stepping x+1, y+1 or swapping; with every kind of property the fast
/// engine takes.
struct Grid;

impl Model for Grid {
    type State = (u16, u16);
    type Action = u8;
    fn init_states(&self) -> Vec<(u16, u16)> {
        // No initial state twice: stateright's DFS expands each copy
        // (counting its successors twice), the fast engine one.
        vec![(0, 0), (1, 0)]
    }
    fn actions(&self, _: &(u16, u16), actions: &mut Vec<u8>) {
        actions.extend([0, 1, 2]);
    }
    fn next_state(&self, &(x, y): &(u16, u16), a: u8) -> Option<(u16, u16)> {
        match a {
            0 if x < 199 => Some((x + 1, y)),
            1 if y < 199 => Some((x, y + 1)),
            2 => Some((y, x)),
            _ => None,
        }
    }
    fn within_boundary(&self, &(x, y): &(u16, u16)) -> bool {
        x + y != 250
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![
            Property::always("sum below 200", |_, s: &(u16, u16)| s.0 + s.1 < 200),
            Property::always("never 500", |_, s: &(u16, u16)| s.0 + s.1 != 500),
            Property::sometimes("corner", |_, s: &(u16, u16)| *s == (199, 0)),
            Property::sometimes("beyond", |_, s: &(u16, u16)| s.0 > 300),
        ]
    }
}

impl fast::Successor for Grid {}

#[test]
fn engines_agree_on_a_model_of_their_own() {
    for threads in [1, 2] {
        let sr = Grid.checker().threads(threads).spawn_dfs().join();
        let out = fast::check(&Grid, &fast::Options::threads(threads), &mut |_| {}).unwrap();
        assert_eq!(out.unique_states, sr.unique_state_count());
        assert_eq!(out.states, sr.state_count());
        let mut sr_found: Vec<&str> = sr.discoveries().into_keys().collect();
        sr_found.sort_unstable();
        let mut found = out.discovered.clone();
        found.sort_unstable();
        assert_eq!(found, sr_found);
        assert_eq!(found, ["corner", "sum below 200"]);
    }
}

struct Eventually;

impl Model for Eventually {
    type State = u8;
    type Action = u8;
    fn init_states(&self) -> Vec<u8> {
        vec![0]
    }
    fn actions(&self, _: &u8, _: &mut Vec<u8>) {}
    fn next_state(&self, _: &u8, _: u8) -> Option<u8> {
        None
    }
    fn properties(&self) -> Vec<Property<Self>> {
        vec![Property::eventually("done", |_, s: &u8| *s == 1)]
    }
}

impl fast::Successor for Eventually {}

#[test]
fn eventually_properties_are_refused_with_a_reason() {
    let err = fast::check(&Eventually, &fast::Options::threads(1), &mut |_| {}).unwrap_err();
    assert!(
        err.to_string().contains("`done` is an eventually property"),
        "{err}"
    );
}

/// A stop requested before the start ends the search at once, and says so.
#[test]
fn a_stop_ends_the_search_and_reports_how_far_it_got() {
    let model = TcpModel::new(Config::new(Preset::Quick, Profile::Rfc9293, None));
    let opts = fast::Options {
        threads: 2,
        stop: Some(Arc::new(AtomicBool::new(true))),
        ..fast::Options::default()
    };
    let out = fast::check(&model, &opts, &mut |_| {}).unwrap();
    assert_eq!(out.stopped, Some(Stop::Interrupted));
    assert!(!out.exhaustive);
    assert!(out.unique_states >= 1 && out.unique_states < 164_005);
}

/// A memory limit the visited set cannot grow within stops the search
/// before it grows, and the report says it is not complete.
#[test]
fn a_memory_limit_stops_the_search_instead_of_growing_past_it() {
    let cfg = Config::new(Preset::OldDuplicates, Profile::Rfc9293, None);
    let opts = check::Options {
        threads: 2,
        max_memory: Some(10 << 20),
        ..check::Options::default()
    };
    let report = check::run(&cfg, &opts, &mut |_| {});
    let Some(Stop::MemoryLimit { limit, .. }) = report.stopped else {
        panic!("not stopped at the limit: {:?}", report.stopped);
    };
    assert_eq!(limit, 10 << 20);
    assert!(report.unique_states < 2_093_132);
    assert!(!report.ok());
    assert!(report.verdicts.iter().all(|v| v.path.is_none()));
}

/// A fast check of `old-duplicates` under rfc793 on two threads, with
/// `opts`' other settings: what it found (unique and generated states,
/// levels, discoveries) and the bytes it spilled to disk.
fn old_duplicates_with(opts: fast::Options) -> ((usize, usize, Vec<u64>, u32), u64) {
    let (model, tally) =
        TcpModel::tallying(Config::new(Preset::OldDuplicates, Profile::Rfc793, None));
    let opts = fast::Options { threads: 2, ..opts };
    let out = fast::check(&model, &opts, &mut |_| {}).unwrap();
    assert!(out.exhaustive && out.stopped.is_none());
    let found = (
        out.unique_states,
        out.states,
        out.levels,
        tally.load(Ordering::Relaxed),
    );
    (found, out.spilled_bytes)
}

/// Queued as differences (the default) or packed whole, a check
/// finds the same states, levels and discoveries.
#[test]
fn states_queued_as_differences_give_the_same_check() {
    let [(whole, _), (deltas, _)] = [false, true].map(|delta| {
        old_duplicates_with(fast::Options {
            delta: Some(delta),
            ..fast::Options::default()
        })
    });
    assert_eq!(deltas, whole);
    assert_eq!(deltas.0, 2_058_006);
}

/// With its queue spilled to disk or kept in memory, a check finds the
/// same states, levels and discoveries; only the spilled run writes.
#[test]
fn a_queue_spilled_to_disk_gives_the_same_check() {
    let (in_memory, kept) = old_duplicates_with(fast::Options::default());
    let (on_disk, spilled) = old_duplicates_with(fast::Options {
        spill: Some(std::env::temp_dir()),
        ..fast::Options::default()
    });
    assert_eq!(in_memory, on_disk);
    assert_eq!(in_memory.0, 2_058_006);
    assert_eq!(kept, 0, "kept in memory");
    assert!(spilled > 0, "spilled");
}

/// The fast engine queues `Sys` packed: unpacking gives back the state
/// packed, for every state of `old-duplicates` within 12 steps (late
/// segments, delays, every budget in use).
#[test]
fn packed_states_unpack_to_themselves() {
    use fast::Successor;
    use std::collections::HashSet;
    let model = TcpModel::new(Config::new(Preset::OldDuplicates, Profile::Rfc793, None));
    let mut level = model.init_states();
    let mut seen = HashSet::new();
    let mut scratch = level[0].clone();
    let mut actions = Vec::new();
    let (mut bytes, mut checked) = (Vec::new(), 0);
    for _ in 0..12 {
        let mut next = Vec::new();
        for s in &level {
            bytes.clear();
            assert!(model.pack(s, &mut bytes));
            assert_eq!(model.unpack(&bytes, &mut scratch), bytes.len());
            assert_eq!(&scratch, s);
            checked += 1;
            model.actions(s, &mut actions);
            for a in actions.drain(..) {
                let t = model.next_state(s, a).unwrap();
                if seen.insert(fast::fingerprint::fingerprint(&t)) {
                    next.push(t);
                }
            }
        }
        level = next;
    }
    assert!(checked > 10_000, "{checked}");
}

/// [`Grid`], except that the step from (3, 0) panics: a bug in a model.
struct Panicking;

impl Model for Panicking {
    type State = (u16, u16);
    type Action = u8;
    fn init_states(&self) -> Vec<(u16, u16)> {
        Grid.init_states()
    }
    fn actions(&self, s: &(u16, u16), actions: &mut Vec<u8>) {
        Grid.actions(s, actions)
    }
    fn next_state(&self, s: &(u16, u16), a: u8) -> Option<(u16, u16)> {
        assert_ne!(*s, (3, 0), "a bug in the model");
        Grid.next_state(s, a)
    }
}

impl fast::Successor for Panicking {}

/// A panic in a worker ends the check with that panic: it used to leave
/// the search waiting for ever for a thread that was gone.
#[test]
fn a_model_that_panics_makes_the_check_panic_not_hang() {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(|| {
            fast::check(&Panicking, &fast::Options::threads(2), &mut |_| {})
        });
        let _ = tx.send(result.is_err());
    });
    let panicked = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("the check returned or panicked within a minute");
    assert!(panicked, "the model's panic reached the caller");
}
