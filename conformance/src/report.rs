//! A replay's summary as `synfin-conform replay` prints it, for any
//! target: text for a person, one JSON object for a script.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::replay::{Bases, Outcome, Summary, Verdict, ISN_BASES};
use crate::target::Role;

/// Untaken transitions are listed one per line up to this many; beyond,
/// only counted unless every line is asked for.
const UNTAKEN_SHOWN: usize = 20;

/// The summary as text. `target` names the target (`synfin-tcp`,
/// `kernel`); `all` prints every replay that stopped, not only the first
/// divergence, and every untaken transition.
pub fn text(target: &str, sum: &Summary, all: bool) -> String {
    let mut out = String::new();
    let shown = if all { usize::MAX } else { 1 };
    for o in sum.diverged().take(shown) {
        let _ = writeln!(out, "{o}");
    }
    if all {
        for o in &sum.outcomes {
            if matches!(o.verdict, Verdict::Deviation(_) | Verdict::EndedEarly(_)) {
                let _ = writeln!(out, "{o}");
            }
        }
    }
    // One example (the first) per verdict, so each has evidence.
    let mut first: BTreeMap<String, &Outcome> = BTreeMap::new();
    for o in &sum.outcomes {
        first.entry(o.verdict.to_string()).or_insert(o);
    }
    let _ = writeln!(out, "{target} replays by verdict:");
    for (v, n) in sum.by_verdict() {
        let o = first[&v];
        let mut line = format!("  {n:>5}  {v}");
        if let Verdict::Deviation(name) = o.verdict {
            if let Some(d) = sum.policy.expectation(name) {
                let _ = write!(line, " ({})", d.ruling.described());
            }
        }
        if o.verdict != Verdict::Agreed {
            let _ = write!(
                line,
                "; e.g. {} (playing {}) step {}",
                o.file.display(),
                o.role,
                o.at.unwrap_or(0)
            );
        }
        let _ = writeln!(out, "{line}");
    }
    for (a, n) in absorbed(sum) {
        let _ = writeln!(
            out,
            "  absorbed by the {} policy: {a} in {n} replays",
            sum.policy.name
        );
    }
    let (agreed, traces) = sum.traces_agreed();
    let _ = writeln!(
        out,
        "{traces} traces, {} replays ({target} playing {}; {}), {} steps; {agreed} traces agreed \
         in every role; {} diverged; {:.2} s, {:.0} steps/s",
        sum.outcomes.len(),
        roles(sum),
        bases(sum.bases),
        sum.steps(),
        sum.diverged().count(),
        sum.seconds,
        sum.steps_per_second()
    );
    for o in sum.retried() {
        if let Some((step, diffs)) = &o.retried {
            let _ = writeln!(
                out,
                "  retried: {} (playing {}) diverged at step {step} ({}), then {} on retry",
                o.file.display(),
                o.role,
                diffs.join("; "),
                o.verdict
            );
        }
    }
    if !sum.waited().is_zero() {
        let _ = writeln!(
            out,
            "{:.1} s waiting for the target's timers over all workers; one worker, not counting \
             those waits: {:.0} steps/s",
            sum.waited().as_secs_f64(),
            sum.steps_per_busy_second()
        );
    }
    let (hit, reachable) = sum.coverage();
    if reachable == 0 {
        let _ = writeln!(
            out,
            "(no cover.json among the paths: coverage not measured)"
        );
        return out;
    }
    let _ = writeln!(
        out,
        "coverage: {hit} of the {reachable} reachable transitions ({:.1}%, cover.json) taken in \
         agreeing steps by a host {target} played",
        100.0 * sum.coverage_fraction()
    );
    let untaken = sum.untaken();
    if untaken.is_empty() {
        return out;
    }
    if all || untaken.len() <= UNTAKEN_SHOWN {
        let _ = writeln!(out, "untaken transitions:");
        for k in untaken {
            let _ = writeln!(out, "  {k}");
        }
    } else {
        let _ = writeln!(
            out,
            "{} transitions untaken (--all lists them)",
            untaken.len()
        );
    }
    out
}

/// The summary as one JSON object: what was replayed, the verdicts, every
/// replay that did not agree, coverage and speed. `load_seconds` is the
/// time spent reading the traces.
pub fn json(target: &str, sum: &Summary, load_seconds: f64) -> serde_json::Value {
    let (agreed, traces) = sum.traces_agreed();
    let (hit, reachable) = sum.coverage();
    let outcome = |o: &Outcome| {
        serde_json::json!({
            "file": o.file.display().to_string(),
            "profile": o.profile,
            "role": o.role.to_string(),
            "isn_base": o.isn_base,
            "verdict": o.verdict.to_string(),
            "step": o.at,
            "of": o.of,
            "diffs": o.diffs,
            "absorbed": o.absorbed.iter().map(|a| a.name()).collect::<Vec<_>>(),
            "retried_after": o.retried.as_ref().map(|(step, diffs)| serde_json::json!({
                "step": step, "diffs": diffs})),
        })
    };
    serde_json::json!({
        "target": target,
        "policy": sum.policy.name,
        "traces": traces,
        "traces_agreed": agreed,
        "replays": sum.outcomes.len(),
        "steps": sum.steps(),
        "isn_bases": match sum.bases {
            Bases::Every => "every",
            Bases::Cycle => "one per trace",
        },
        "verdicts": sum.by_verdict(),
        "diverged": sum.diverged().map(outcome).collect::<Vec<_>>(),
        "deviations": sum.deviations().count(),
        "retried": sum.retried().map(outcome).collect::<Vec<_>>(),
        "stopped": sum.outcomes.iter()
            .filter(|o| o.verdict != Verdict::Agreed)
            .map(outcome)
            .collect::<Vec<_>>(),
        "absorbed": absorbed(sum),
        "coverage": {
            "reachable": reachable,
            "taken": hit,
            "fraction": sum.coverage_fraction(),
            "untaken": sum.untaken(),
            "reachable_keys": sum.reachable,
        },
        "expectations": sum.policy.expectations.iter().map(|d| serde_json::json!({
            "class": d.name, "what": d.what,
            "rfc_allows": d.ruling.allowed(),
            "ruling": d.ruling.to_string(),
            "requirement": d.ruling.requirement(),
        })).collect::<Vec<_>>(),
        "seconds": load_seconds + sum.seconds,
        "replay_seconds": sum.seconds,
        "waited_seconds": sum.waited().as_secs_f64(),
        "steps_per_second": sum.steps_per_second(),
        "steps_per_busy_second_per_worker": sum.steps_per_busy_second(),
    })
}

/// Replays in which the policy absorbed each difference.
fn absorbed(sum: &Summary) -> BTreeMap<&'static str, usize> {
    let mut m = BTreeMap::new();
    for o in &sum.outcomes {
        for a in &o.absorbed {
            *m.entry(a.name()).or_insert(0) += 1;
        }
    }
    m
}

/// `A and B together`, or `A, then B`.
fn roles(sum: &Summary) -> String {
    let mut roles: Vec<Role> = sum.outcomes.iter().map(|o| o.role).collect();
    roles.sort();
    roles.dedup();
    match roles.as_slice() {
        [Role::Both] => "A and B together".to_string(),
        r => r
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(", then "),
    }
}

/// The ISN bases, as said in the headline.
fn bases(b: Bases) -> String {
    let all = ISN_BASES
        .iter()
        .map(|b| b.to_string())
        .collect::<Vec<_>>()
        .join(", ");
    match b {
        Bases::Every => format!("each at ISN bases {all}"),
        Bases::Cycle => format!("one ISN base each, in turn {all}"),
    }
}
