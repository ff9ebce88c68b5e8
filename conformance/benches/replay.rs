//! Trace steps replayed per second against synfin-tcp, over the committed
//! suite (`conformance/traces/`, both profiles, every ISN base). JSON loading
//! is excluded; each round is one full `run` of the replay engine, divergence checks and
//! coverage bookkeeping included. Target: at least 1M steps/s.
//!
//! `cargo bench -p synfin-conformance --bench replay` (release). A plain
//! harness (no criterion): it prints one line per round and a summary.

use std::path::Path;
use std::time::{Duration, Instant};

use synfin_conformance::replay::{run, Plan, Policy};
use synfin_conformance::target::SynfinTcp;
use synfin_conformance::trace::Suite;

fn main() {
    let suite = Path::new(env!("CARGO_MANIFEST_DIR")).join("traces");
    let loaded = Suite::load(std::slice::from_ref(&suite)).expect("suite loads");
    let plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
    let mut target = SynfinTcp::default();
    // Warm-up, and the suite must conform for the figure to mean anything.
    let sum = run(&mut target, &loaded, &plan);
    if let Some(o) = sum.outcomes.iter().find(|o| o.at.is_some()) {
        panic!("the suite does not conform: {o}");
    }
    let mut rates = Vec::new();
    let (mut steps, mut spent) = (0usize, Duration::ZERO);
    while spent < Duration::from_secs(3) || rates.len() < 5 {
        let t = Instant::now();
        let s = run(&mut target, &loaded, &plan);
        let dt = t.elapsed();
        steps += s.steps();
        spent += dt;
        rates.push(s.steps() as f64 / dt.as_secs_f64());
    }
    rates.sort_by(|a, b| a.total_cmp(b));
    let median = rates[rates.len() / 2];
    println!(
        "replay {}: {} traces, {} steps per round (3 ISN bases), {} rounds in {:.2} s",
        suite.display(),
        sum.traces(),
        sum.steps(),
        rates.len(),
        spent.as_secs_f64()
    );
    println!(
        "steps/s: {:.2}M overall, median {:.2}M, best {:.2}M, worst {:.2}M (target 1M)",
        steps as f64 / spent.as_secs_f64() / 1e6,
        median / 1e6,
        rates[rates.len() - 1] / 1e6,
        rates[0] / 1e6
    );
}
