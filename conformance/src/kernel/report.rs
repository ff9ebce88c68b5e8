//! `synfin-conform replay --target kernel`: checks what the machine must
//! provide, runs the replay, prints the per-verdict summary (text or JSON)
//! and chooses the exit status.

use std::collections::BTreeMap;
use std::process::ExitCode;

use synfin_linux::sys::caps;

use super::replay::{replay_all, Allowance, Options, Summary, Verdict, KERNEL_DEVIATIONS};
use super::syn::{default_checks, run_check, SynCheck};
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
    // The SYN schedule checks run in real time, in namespaces of their
    // own, beside the replays.
    let retries = loaded
        .traces
        .first()
        .map_or(1, |(_, t)| u32::from(t.config.retries).max(1));
    let syn: Vec<_> = default_checks(retries)
        .into_iter()
        .map(|s| std::thread::spawn(move || run_check(s, 1.0)))
        .collect();
    let sum = replay_all(loaded, profile, opts);
    let syn: Vec<_> = syn
        .into_iter()
        .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
        .collect();
    let sum = match sum {
        Ok(s) => s,
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            return ExitCode::from(2);
        }
    };
    let mut checks = Vec::new();
    for c in syn {
        match c {
            Ok(c) => checks.push(c),
            Err(e) => {
                eprintln!("synfin-conform: SYN schedule check: {e}");
                return ExitCode::from(2);
            }
        }
    }
    // The check with the replays' settings must match the model; the one
    // with Linux's default is expected to show `syn-linear-timeouts`.
    let syn_ok = checks
        .iter()
        .all(|c| c.settings.linear_timeouts != 0 || c.errors.is_empty());
    if json {
        let mut v = to_json(&sum);
        v["syn_schedule"] = serde_json::Value::Array(checks.iter().map(syn_json).collect());
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print_text(&sum, all);
        for c in &checks {
            print_syn(c);
        }
    }
    ExitCode::from(if sum.diverged().next().is_none() && syn_ok {
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
            "retried_after": o.retried.as_ref().map(|(step, diffs)| serde_json::json!({
                "step": step, "diffs": diffs})),
        })
    };
    serde_json::json!({
        "target": "kernel",
        "traces": traces,
        "traces_agreed_in_both_roles": agreed,
        "replays": sum.outcomes.len(),
        "steps": sum.steps(),
        "verdicts": sum.by_verdict(),
        "coverage": {
            "reachable": sum.coverage().1,
            "taken_by_kernel": sum.coverage().0,
        },
        "diverged": sum.diverged().map(outcome).collect::<Vec<_>>(),
        "retried": sum.retried().map(outcome).collect::<Vec<_>>(),
        "outcomes": sum.outcomes.iter().map(outcome).collect::<Vec<_>>(),
        "deviations": KERNEL_DEVIATIONS.iter().map(|d| serde_json::json!({
            "class": d.name, "what": d.what,
            "rfc_allows": d.allowance == Allowance::RfcAllows,
        })).collect::<Vec<_>>(),
        "seconds": sum.seconds,
        "waited_seconds": sum.waited().as_secs_f64(),
        "steps_per_second": sum.steps() as f64 / sum.seconds.max(1e-9),
        "steps_per_busy_second_per_worker": sum.steps_per_busy_second(),
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
    for o in sum.retried() {
        if let Some((step, diffs)) = &o.retried {
            println!(
                "  retried: {} (kernel as {}) diverged at step {step} ({}), then {} on retry",
                o.file.display(),
                o.role,
                diffs.join("; "),
                o.verdict
            );
        }
    }
    println!(
        "one worker, not counting timer waits: {:.0} steps/s",
        sum.steps_per_busy_second()
    );
    let (hit, reachable) = sum.coverage();
    if reachable > 0 {
        println!(
            "coverage: the kernel took {hit} of the {reachable} reachable transitions \
             (cover.json) in agreeing steps where its host was the one acting"
        );
    }
    if sum.stray > 0 {
        println!("({} stray segments of earlier replays ignored)", sum.stray);
    }
}

fn syn_json(c: &SynCheck) -> serde_json::Value {
    serde_json::json!({
        "tcp_syn_linear_timeouts": c.settings.linear_timeouts,
        "tcp_syn_retries": c.settings.syn_retries,
        "syn_sent_at": c.measured.sent,
        "failed_at": c.measured.failed,
        "matches_model": c.errors.is_empty(),
        "differences": c.errors,
    })
}

fn print_syn(c: &SynCheck) {
    let times: Vec<String> = c.measured.sent.iter().map(|t| format!("{t:.2}")).collect();
    let fail = c
        .measured
        .failed
        .map_or("not within the measurement".to_string(), |t| {
            format!("at {t:.2} s")
        });
    let verdict = match (c.errors.is_empty(), c.settings.linear_timeouts) {
        (true, _) => "matches the model (RFC 6298 doubling)".to_string(),
        (false, 0) => format!("DIFFERS from the model: {}", c.errors.join("; ")),
        (false, _) => format!("deviation: syn-linear-timeouts ({})", c.errors.join("; ")),
    };
    println!(
        "SYN schedule, tcp_syn_linear_timeouts={} tcp_syn_retries={}: SYNs at [{}] s, \
         connect failed {fail}: {verdict}",
        c.settings.linear_timeouts,
        c.settings.syn_retries,
        times.join(", ")
    );
}
