//! smoltcp 0.14 against the committed suite: every replay agrees, stops at
//! one of smoltcp's named deviations, or ends early with a reason; none
//! diverges unclassified. The counts are pinned, so a change in smoltcp
//! (a new version fixing or adding a deviation) or in the adapter shows up
//! here and in the book chapter `docs/src/conformance/smoltcp.md`, which
//! quotes them.

use std::path::PathBuf;

use synfin_conformance::replay::{self, Plan};
use synfin_conformance::target::smoltcp::{SMOLTCP, SMOLTCP_DEVIATIONS};
use synfin_conformance::target::Smoltcp;
use synfin_conformance::trace::Suite;

fn committed_suite() -> Suite {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/traces"));
    Suite::load(&[dir]).expect("the committed suite loads")
}

#[test]
fn the_committed_suite_replays_with_pinned_verdicts_and_nothing_unclassified() {
    let suite = committed_suite();
    let mut target = Smoltcp::default();
    let plan = Plan::for_target(Smoltcp::CAPABILITIES, SMOLTCP);
    let sum = replay::run(&mut target, &suite, &plan);

    let unclassified: Vec<String> = sum.diverged().map(|o| o.to_string()).collect();
    assert!(unclassified.is_empty(), "{}", unclassified.join("\n"));

    let verdicts: Vec<(String, usize)> = sum.by_verdict().into_iter().collect();
    let expected: Vec<(String, usize)> = [
        ("agreed", 1303),
        ("deviation: ack-checked-before-sequence", 25),
        ("deviation: close-in-syn-received-holds-fin", 401),
        ("deviation: close-in-syn-sent-sends-rst", 356),
        ("deviation: last-ack-acks-duplicate-ack", 8),
        ("deviation: no-retry-limit", 56),
        ("deviation: no-rfc5961-rst-check", 12),
        ("deviation: out-of-order-fin-not-acked", 20),
        ("deviation: retransmit-collapses-data-fin", 32),
        ("deviation: segment-without-ack-dropped", 59),
        ("deviation: simultaneous-open-synack-acked", 16),
        ("deviation: syn-sent-ignores-bad-ack-with-fin", 4),
    ]
    .into_iter()
    .map(|(v, n)| (v.to_string(), n))
    .collect();
    assert_eq!(verdicts, expected);

    assert_eq!(sum.traces(), 1146);
    assert_eq!(sum.outcomes.len(), 2292, "each trace once as A, once as B");
    assert_eq!(sum.steps(), 36059);
    assert_eq!(sum.traces_agreed(), (301, 1146));
    assert_eq!(sum.coverage(), (79, 142));
}

#[test]
fn every_deviation_the_suite_reaches_is_one_the_policy_names() {
    let suite = committed_suite();
    let mut target = Smoltcp::default();
    let plan = Plan::for_target(Smoltcp::CAPABILITIES, SMOLTCP);
    let sum = replay::run(&mut target, &suite, &plan);
    let (mut allowed, mut deviating) = (0, 0);
    for o in sum.deviations() {
        let replay::Verdict::Deviation(name) = o.verdict else {
            unreachable!()
        };
        let d = SMOLTCP
            .expectation(name)
            .unwrap_or_else(|| panic!("{name} is not in the policy"));
        // Evidence: the replay stopped at a step, with what differed there.
        assert!(o.at.is_some() && !o.diffs.is_empty(), "{o}");
        if d.ruling.allowed() {
            allowed += 1;
        } else {
            deviating += 1;
        }
    }
    // The book's table splits them so: choices the RFC leaves open, and
    // true deviations.
    assert_eq!((allowed, deviating), (60, 929));
    // Two deviations are found only by fresh exports (the committed suite
    // has few rfc9293 random walks): they are named all the same.
    let reached: Vec<&str> = sum
        .deviations()
        .filter_map(|o| match o.verdict {
            replay::Verdict::Deviation(n) => Some(n),
            _ => None,
        })
        .collect();
    let unreached: Vec<&str> = SMOLTCP_DEVIATIONS
        .iter()
        .map(|d| d.name)
        .filter(|n| !reached.contains(n))
        .collect();
    assert_eq!(
        unreached,
        [
            "time-wait-rst",
            "acks-of-unacceptable-segments-rate-limited"
        ]
    );
}
