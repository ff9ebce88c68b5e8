//! `synfin-conform replay --target kernel`: checks what the machine must
//! provide, runs the replay, prints the per-verdict summary (text or JSON)
//! and chooses the exit status.

use std::collections::BTreeMap;
use std::process::ExitCode;

use synfin_tcp::driver::caps;

use super::replay::{replay_all, Allowance, Options, Summary, Verdict, KERNEL_DEVIATIONS};
use crate::replay::Loaded;

/// What the kernel target lacks on this machine, as one message, or `None`.
pub fn missing_capabilities() -> Option<String> {
    let missing = caps::missing(&caps::probe());
    if missing.is_empty() {
        return None;
    }
    let mut s = String::from(
        "synfin-conform: the kernel target needs a private network namespace with a TUN \
         device; missing:",
    );
    for m in missing {
        s.push_str("\n  - ");
        s.push_str(&m.to_string());
    }
    Some(s)
}

fn allowance(class: &str) -> &'static str {
    match KERNEL_DEVIATIONS.iter().find(|d| d.name == class) {
        Some(d) if d.allowance == Allowance::RfcAllows => "RFC allows both",
        Some(_) => "deviates from the RFC",
        None => "",
    }
}

/// Runs the kernel replay of `loaded` and prints the result. Exit status: 0
/// when every replay agreed, ended early with a mark, or stopped at a named
/// deviation; 1 when one diverged unclassified; 2 when the kernel cannot be
/// set up (what is missing is printed).
pub fn run(
    loaded: &Loaded,
    profile: Option<&str>,
    opts: &Options,
    json: bool,
    all: bool,
) -> ExitCode {
    if let Some(msg) = missing_capabilities() {
        eprintln!("{msg}");
        return ExitCode::from(2);
    }
    let sum = match replay_all(loaded, profile, opts) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            return ExitCode::from(2);
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&sum)).unwrap_or_default()
        );
    } else {
        print_text(&sum, all);
    }
    ExitCode::from(if sum.diverged().next().is_none() {
        0
    } else {
        1
    })
}

/// The summary as one JSON object.
pub fn to_json(sum: &Summary) -> serde_json::Value {
    let (agreed, traces) = sum.traces_agreed();
    let outcome = |o: &super::Outcome| {
        serde_json::json!({
            "file": o.file.display().to_string(),
            "profile": o.profile,
            "kernel_as": o.role,
            "isn_base": o.isn_base,
            "verdict": o.verdict.to_string(),
            "step": o.at,
            "of": o.of,
            "diffs": o.diffs,
            "absorbed": o.absorbed,
        })
    };
    serde_json::json!({
        "target": "kernel",
        "traces": traces,
        "traces_agreed_in_both_roles": agreed,
        "replays": sum.outcomes.len(),
        "steps": sum.steps(),
        "verdicts": sum.by_verdict(),
        "diverged": sum.diverged().map(outcome).collect::<Vec<_>>(),
        "outcomes": sum.outcomes.iter().map(outcome).collect::<Vec<_>>(),
        "deviations": KERNEL_DEVIATIONS.iter().map(|d| serde_json::json!({
            "class": d.name, "what": d.what,
            "rfc_allows": d.allowance == Allowance::RfcAllows,
        })).collect::<Vec<_>>(),
        "seconds": sum.seconds,
        "waited_seconds": sum.waited().as_secs_f64(),
        "steps_per_second": sum.steps() as f64 / sum.seconds.max(1e-9),
    })
}

fn print_text(sum: &Summary, all: bool) {
    let shown = if all { usize::MAX } else { 1 };
    for o in sum.diverged().take(shown) {
        println!("{o}");
    }
    if all {
        for o in &sum.outcomes {
            if matches!(o.verdict, Verdict::Deviation(_) | Verdict::EndedEarly(_)) {
                println!("{o}");
            }
        }
    }
    // One example (the first) per class, so each verdict has evidence.
    let mut first: BTreeMap<String, &super::Outcome> = BTreeMap::new();
    for o in &sum.outcomes {
        first.entry(o.verdict.to_string()).or_insert(o);
    }
    println!("kernel replays by verdict:");
    for (v, n) in sum.by_verdict() {
        let mut line = format!("  {n:>4}  {v}");
        if let Verdict::Deviation(c) = &first[&v].verdict {
            line.push_str(&format!(" ({})", allowance(c)));
        }
        if let (Some(o), true) = (first.get(&v), v != "agreed") {
            line.push_str(&format!(
                "; e.g. {} (kernel as {}) step {}",
                o.file.display(),
                o.role,
                o.at.unwrap_or(0)
            ));
        }
        println!("{line}");
    }
    let mut absorbed: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &sum.outcomes {
        for a in &o.absorbed {
            *absorbed.entry(a).or_insert(0) += 1;
        }
    }
    for (a, n) in absorbed {
        println!("  absorbed by the linux profile: {a} in {n} replays");
    }
    let (agreed, traces) = sum.traces_agreed();
    println!(
        "{traces} traces, {} replays (kernel as A and as B), {} steps; {agreed} traces agreed \
         in both roles; {} diverged unclassified; {:.2} s ({:.1} s waiting for kernel timers \
         over all workers); {:.0} steps/s",
        sum.outcomes.len(),
        sum.steps(),
        sum.diverged().count(),
        sum.seconds,
        sum.waited().as_secs_f64(),
        sum.steps() as f64 / sum.seconds.max(1e-9)
    );
    if sum.stray > 0 {
        println!("({} stray segments of earlier replays ignored)", sum.stray);
    }
}
