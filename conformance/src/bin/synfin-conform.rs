//! `synfin-conform replay [--target impl] [--profile P] [PATH...] [--json]`
//!
//! Exit codes: 0 every trace conforms, 1 a divergence, 2 bad usage or input.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use synfin_conformance::replay;
use synfin_conformance::target::ImplTarget;

#[derive(Parser)]
#[command(
    name = "synfin-conform",
    version,
    about = "Replay synfin-model traces against a TCP"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Replay traces (files or directories; default: the committed suite).
    Replay {
        /// The TCP under test: impl (synfin-tcp, in memory) or kernel (Linux,
        /// over TUN in private network namespaces; needs root).
        #[arg(long, default_value = "impl")]
        target: String,
        /// kernel target: parallel workers, each in its own namespace.
        #[arg(long, default_value_t = 16)]
        jobs: usize,
        /// Replay only traces of this profile: rfc9293 or rfc793.
        #[arg(long)]
        profile: Option<String>,
        /// Trace files or directories.
        paths: Vec<PathBuf>,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
        /// Print every divergence and every known deviation, not only the first divergence.
        #[arg(long)]
        all: bool,
    },
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let Command::Replay {
        target,
        profile,
        mut paths,
        json,
        all,
        jobs,
    } = cli.command;
    if target != "impl" && !(target == "kernel" && cfg!(target_os = "linux")) {
        let valid = if cfg!(target_os = "linux") {
            "impl, kernel"
        } else {
            "impl (kernel: Linux only)"
        };
        eprintln!("synfin-conform: unknown target `{target}`; valid: {valid}");
        return ExitCode::from(2);
    }
    if let Some(p) = &profile {
        if p != "rfc9293" && p != "rfc793" {
            eprintln!("synfin-conform: unknown profile `{p}`; valid: rfc9293, rfc793");
            return ExitCode::from(2);
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/traces"
        )));
    }
    let start = std::time::Instant::now();
    let loaded = match replay::load(&paths) {
        Ok(l) => l,
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            return ExitCode::from(2);
        }
    };
    if loaded.traces.is_empty() {
        eprintln!("synfin-conform: no traces found");
        return ExitCode::from(2);
    }
    #[cfg(target_os = "linux")]
    if target == "kernel" {
        let opts = synfin_conformance::kernel::Options {
            jobs,
            ..Default::default()
        };
        return synfin_conformance::kernel::report::run(
            &loaded,
            profile.as_deref(),
            &opts,
            json,
            all,
        );
    }
    let _ = jobs;
    let mut t = ImplTarget::default();
    let replay_start = std::time::Instant::now();
    let sum = replay::replay_all(&mut t, &loaded, profile.as_deref());
    let replay_secs = replay_start.elapsed().as_secs_f64();
    let secs = start.elapsed().as_secs_f64();
    if json {
        let v = serde_json::json!({
            "traces": sum.traces,
            "steps": sum.steps,
            "diverged": sum.diverged.iter().map(|d| serde_json::json!({
                "file": d.file.display().to_string(), "step": d.step,
                "isn_base": d.isn_base, "diffs": d.diffs})).collect::<Vec<_>>(),
            "coverage": {
                "reachable": sum.reachable.len(),
                "taken": sum.reachable.intersection(&sum.taken).count(),
                "fraction": sum.coverage(),
                "untaken": sum.untaken(),
            },
            "known_deviations": sum.known.iter().map(|d| serde_json::json!({
                "file": d.file.display().to_string(), "step": d.step,
                "class": d.known})).collect::<Vec<_>>(),
            "seconds": secs,
            "replay_seconds": replay_secs,
            "steps_per_second": sum.steps as f64 / replay_secs.max(1e-9),
        });
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        let shown = if all { sum.diverged.len() } else { 1 };
        for d in sum.diverged.iter().take(shown) {
            println!("{d}");
        }
        if all {
            for d in &sum.known {
                println!("known deviation {}:\n{d}", d.known.unwrap_or(""));
            }
        }
        let mut classes = std::collections::BTreeMap::new();
        for d in &sum.known {
            *classes.entry(d.known.unwrap_or("")).or_insert(0) += 1;
        }
        for (c, n) in &classes {
            println!("known deviation {c}: {n} traces stop there");
        }
        println!(
            "{} traces, {} steps replayed at ISN bases {:?}; {} diverged; coverage {}/{} transitions ({:.1}%); {:.2} s",
            sum.traces,
            sum.steps,
            replay::ISN_BASES,
            sum.diverged.len(),
            sum.reachable.intersection(&sum.taken).count(),
            sum.reachable.len(),
            100.0 * sum.coverage(),
            secs
        );
        println!(
            "replay alone: {:.3} s, {:.0} steps/s",
            replay_secs,
            sum.steps as f64 / replay_secs.max(1e-9)
        );
        if sum.reachable.is_empty() {
            println!("(no cover.json among the paths: coverage not measured)");
        }
        let un = sum.untaken();
        if !un.is_empty() {
            println!("untaken transitions:");
            for k in un {
                println!("  {k}");
            }
        }
    }
    ExitCode::from(if sum.diverged.is_empty() { 0 } else { 1 })
}
