//! The CI worlds' verdicts in one quick test: the test command of
//! `scripts/model-mutants.sh`, which runs cargo-mutants over the model's
//! segment arrival and system transitions (`arrive.rs`, `system.rs`) to
//! measure which of their lines some property bears.
//!
//! It checks what CI checks, minus `default` (about 20 s a run): the
//! presets quick, off-path, old-duplicates and reincarnation, the three
//! application worlds (see `application_worlds`) and a crash world (see
//! `crash_worlds`), under rfc9293 and rfc793, are exhaustively as claimed
//! (every safety property holds, but rfc793's two demonstrations fail, and
//! every scenario is reached), and each variant still has a counterexample
//! in its own world (the two that shorten TIME-WAIT, to
//! `time-wait-lasts-2msl` as well), of the length `model.rs` pins and
//! proves shortest (and, for `no-simultaneous-open`, with the SYNs
//! crossing). The exhaustive runs only tally, as `synfin check` does, and
//! skip its search for the shortest paths: the verdicts do not depend on
//! them.
//!
//! The pinned state counts are compared too, but last: a mutant that
//! changes a count and no verdict fails with `killed by count only`, so
//! the script can tell kills by a property from kills by a pinned number.
//! A world that grows past four times its pinned count is stopped and
//! fails with `killed by bound` (a state space the mutant made huge, or
//! infinite, is no verdict either). A panic anywhere, in a checker thread
//! too (an overflow, a division by zero, an `unreachable!` the mutant
//! reached), ends the process at once, printed to stderr past the test
//! harness's capture, rather than after the other checker threads finish
//! their level.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use synfin_model::properties::{self, Expectation};
use synfin_model::{check, fast, search};
use synfin_model::{Config, Preset, Profile, TcpModel, Variant};

#[test]
fn ci_worlds_are_as_claimed_and_every_variant_is_caught() {
    std::panic::set_hook(Box::new(|info| {
        let _ = writeln!(std::io::stderr(), "{info}");
        std::process::exit(101);
    }));
    let mut counts = Vec::new();
    // Cheapest first, so most kills come early.
    let mut worlds = Vec::new();
    for preset in [
        Preset::Quick,
        Preset::OffPath,
        Preset::OldDuplicates,
        Preset::Reincarnation,
    ] {
        for profile in [Profile::Rfc9293, Profile::Rfc793] {
            let cfg = Config::new(preset, profile, None);
            let pinned = check::expected_states(&cfg).expect("a CI world has a pinned count");
            worlds.push((preset.to_string(), cfg, pinned));
        }
    }
    worlds.extend(application_worlds());
    worlds.extend(crash_worlds());
    for (world, cfg, pinned) in worlds {
        let profile = cfg.profile;
        // A scenario the world's options rule out must not be reached either.
        let applies: Vec<bool> = properties::ALL.iter().map(|p| p.applies(&cfg)).collect();
        let (model, tally) = TcpModel::tallying(cfg);
        let stop = Arc::new(AtomicBool::new(false));
        let opts = fast::Options {
            stop: Some(stop.clone()),
            expected_states: Some(pinned),
            ..fast::Options::threads(2)
        };
        let out = fast::check(&model, &opts, &mut |s| {
            if s.states > 4 * pinned {
                stop.store(true, Ordering::Relaxed);
            }
        })
        .expect("the tallying model has one always property");
        assert!(
            out.stopped.is_none(),
            "killed by bound: {world}, {profile} passed {} states (pinned {pinned})",
            4 * pinned
        );
        let bits = tally.load(Ordering::Relaxed);
        for (i, p) in properties::ALL.iter().enumerate() {
            let discovered = bits & (1 << i) != 0;
            let claimed = applies[i]
                && (p.expectation == Expectation::Sometimes || p.expected_to_fail(profile));
            assert_eq!(
                discovered,
                claimed,
                "killed by verdict: {world}, {profile}: {} {}",
                p.name,
                if discovered {
                    "discovered"
                } else {
                    "not discovered"
                }
            );
        }
        if out.unique_states != pinned {
            counts.push(format!(
                "{world}, {profile}: {} states, pinned {pinned}",
                out.unique_states
            ));
        }
    }
    for &variant in Variant::ALL {
        let cfg = Config::new(variant.preset(), Profile::Rfc9293, Some(variant));
        let paths = search::shortest(&cfg, &[variant.breaks()]);
        let path = paths.get(variant.breaks()).unwrap_or_else(|| {
            panic!(
                "killed by verdict: variant {variant} no longer breaks {}",
                variant.breaks()
            )
        });
        // The counterexample is the one the book draws: its length and,
        // where the length alone does not pin it, its shape.
        assert_eq!(
            path.len() - 1,
            common::variant_steps(variant),
            "killed by verdict: variant {variant}'s counterexample changed length"
        );
        if let Some(why) = common::shape_mismatch(variant, path) {
            panic!("killed by verdict: variant {variant}: {why}");
        }
    }
    // The variants that shorten TIME-WAIT are held to what the short wait
    // costs, not to the timer itself; the monitor of the timer is checked
    // here, so that a monitor that no longer fires is a kill too.
    for variant in [Variant::ShortTimeWait, Variant::TimeWaitOneMsl] {
        let cfg = Config::new(variant.preset(), Profile::Rfc9293, Some(variant));
        let timer = "time-wait-lasts-2msl";
        assert!(
            search::shortest(&cfg, &[timer]).contains_key(timer),
            "killed by verdict: variant {variant} no longer breaks {timer}"
        );
    }
    assert!(
        counts.is_empty(),
        "killed by count only: {}",
        counts.join("; ")
    );
}

/// The whole application interface (both hosts send, either may ABORT
/// anywhere) in three worlds that fit CI's time, each `quick` with one of
/// its widenings and `quick`'s whole network: `--abort-anywhere` (either
/// host may ABORT in any state with a TCB), `--bytes-a 2` (a byte can
/// overtake another) and `--bytes-b 1` (data both ways, so B's byte rides
/// on its ACKs). All three at once are the `applications` preset
/// (186,621,089 states under rfc9293, five minutes): checked outside CI.
fn application_worlds() -> Vec<(String, Config, usize)> {
    type Widen = fn(&mut Config);
    let mut out = Vec::new();
    for (profile, pinned) in [
        (Profile::Rfc9293, [1_162_994, 1_256_728, 1_681_512]),
        (Profile::Rfc793, [868_278, 1_190_407, 1_667_609]),
    ] {
        let widen: [(&str, Widen); 3] = [
            ("quick --abort-anywhere", |c| c.abort_anywhere = true),
            ("quick --bytes-a 2", |c| c.bytes[0] = 2),
            ("quick --bytes-b 1", |c| c.bytes[1] = 1),
        ];
        for ((world, widen), pinned) in widen.into_iter().zip(pinned) {
            let mut cfg = Config::new(Preset::Quick, profile, None);
            widen(&mut cfg);
            out.push((world.to_string(), cfg, pinned));
        }
    }
    out
}

/// A host may crash: `quick --crashes 1`, the one crash world that fits CI
/// (`deep` has one too, at 123 million states). It makes crashes bear
/// load: a crash must be offered only to a host with a TCB, must spend its
/// budget, and must excuse the RST that ends the peer's half-open connection
/// (RFC 9293 Figure 10: the rebooted host answers the peer's segment with a
/// RST), or a verdict or the pinned count changes.
fn crash_worlds() -> Vec<(String, Config, usize)> {
    [(Profile::Rfc9293, 330_107), (Profile::Rfc793, 319_400)]
        .into_iter()
        .map(|(profile, pinned)| {
            let mut cfg = Config::new(Preset::Quick, profile, None);
            cfg.crashes = 1;
            ("quick --crashes 1".to_string(), cfg, pinned)
        })
        .collect()
}
