//! `synfin-conform replay --target kernel`: checks what the machine must
//! provide, runs the replay and the SYN schedule checks beside it, prints
//! the summary (text or JSON, as for every target, with the checks added)
//! and chooses the exit status.

use std::process::ExitCode;
use std::time::Duration;

use synfin_linux::sys::caps;

use super::runner::{replay_all, Options};
use super::syn::{default_checks, run_check, SynCheck};
use crate::trace::{Profile, Suite};

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

/// Runs the kernel replay of `suite` and prints the result. Exit status: 0
/// when every replay agreed, ended early with a mark, or stopped at a named
/// deviation or an expected divergence; 1 when one diverged unexpectedly,
/// an expectation is stale or a SYN schedule check failed; 2 when the
/// kernel cannot be set up (what is missing is printed) or an output file
/// cannot be written. `load` is the time spent reading the traces;
/// `outputs` the gate's files and expectations.
#[allow(clippy::too_many_arguments)]
pub fn run(
    suite: &Suite,
    profile: Option<Profile>,
    opts: &Options,
    json: bool,
    all: bool,
    load: Duration,
    outputs: &crate::gate::Outputs,
) -> ExitCode {
    if let Some(msg) = missing_capabilities() {
        eprintln!("{msg}");
        return ExitCode::from(2);
    }
    // The SYN schedule checks run in real time, in namespaces of their
    // own, beside the replays.
    let retries = suite
        .traces
        .first()
        .map_or(1, |(_, t)| u32::from(t.config.retries).max(1));
    let syn: Vec<_> = default_checks(retries)
        .into_iter()
        .map(|s| std::thread::spawn(move || run_check(s, 1.0)))
        .collect();
    let sum = replay_all(suite, profile, opts);
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
        let mut v = crate::report::json("kernel", &sum.summary, load.as_secs_f64());
        v["stray_segments"] = sum.stray.into();
        v["syn_schedule"] = serde_json::Value::Array(checks.iter().map(syn_json).collect());
        println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    } else {
        print!("{}", crate::report::text("kernel", &sum.summary, all));
        if sum.stray > 0 {
            println!("({} stray segments of earlier replays ignored)", sum.stray);
        }
        for c in &checks {
            print_syn(c);
        }
    }
    match outputs.finish("kernel", suite, &sum.summary, json) {
        Ok(0) if syn_ok => ExitCode::SUCCESS,
        Ok(_) => ExitCode::from(1),
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            ExitCode::from(2)
        }
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
