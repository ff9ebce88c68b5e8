//! Every path of the model's `quick` preset up to a fixed depth, exported in
//! process and replayed against synfin-tcp at every ISN base, under both
//! profiles. Exhaustive to that depth, so it reaches interleavings the
//! transition cover and the random walks leave out.
//!
//! The model is a dev-dependency here only: the traces still pass through
//! their JSON form and the conformance parser, as a file written by
//! `synfin export --depth` would.

use std::path::PathBuf;

use synfin_conformance::replay::{run, Plan, Policy};
use synfin_conformance::target::SynfinTcp;
use synfin_conformance::trace::{parse_trace, Suite};
use synfin_model::{trace, Config, Preset, Profile};

/// Depth 8: 26,750 traces per profile, 10 s for both profiles in a debug
/// build on 2 cores; depth 9 (about 100,000 traces, 36 s) cost CI more
/// than its 20 minutes allowed. `SYNFIN_DEPTH=9` runs it.
const DEPTH: usize = 8;

#[test]
fn every_quick_path_to_depth_conforms_under_both_profiles() {
    let depth = std::env::var("SYNFIN_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(DEPTH);
    for profile in [Profile::Rfc9293, Profile::Rfc793] {
        let start = std::time::Instant::now();
        let cfg = Config::new(Preset::Quick, profile, None);
        let paths = trace::depth_paths(&cfg, depth);
        let (mut traces, mut steps, mut taken) = (0, 0, std::collections::BTreeSet::new());
        // In chunks, so memory stays flat however deep the export goes.
        for (c, chunk) in paths.chunks(4096).enumerate() {
            let mut suite = Suite::default();
            for (i, path) in chunk.iter().enumerate() {
                let t = trace::record(&cfg, &format!("depth {depth}"), path);
                let text = serde_json::to_string(&t).expect("a trace serialises");
                let file = PathBuf::from(format!("depth-{depth}-{}/{c}-{i}.json", profile.name()));
                let parsed = parse_trace(&file, &text).expect("the model writes valid traces");
                suite.traces.push((file, parsed));
            }
            let plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
            let sum = run(&mut SynfinTcp::default(), &suite, &plan);
            let stopped: Vec<_> = sum.outcomes.iter().filter(|o| o.at.is_some()).collect();
            if let Some(d) = stopped.first() {
                panic!("{} replays stopped; first:\n{d}", stopped.len());
            }
            assert_eq!(sum.by_verdict().get("agreed"), Some(&suite.traces.len()));
            traces += sum.traces();
            steps += sum.steps();
            taken.extend(sum.taken().into_iter().cloned());
        }
        eprintln!(
            "{}: depth {depth}: {traces} traces, {steps} steps (3 ISN bases), {} transition keys \
             taken, {:.1} s",
            profile.name(),
            taken.len(),
            start.elapsed().as_secs_f64()
        );
        assert!(traces > 1000, "depth {depth} gave only {traces} traces");
    }
}
