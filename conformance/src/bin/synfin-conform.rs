//! `synfin-conform replay [--target impl|smoltcp|kernel] [--profile P] [PATH...] [--json] [--all]`
//!
//! Targets: `impl` (synfin-tcp, both hosts in memory, strict), `smoltcp`
//! (smoltcp 0.14's TCP socket playing each host in turn on virtual time,
//! judged by the `smoltcp` policy), `kernel` (Linux over TUN, Linux only).
//!
//! Exit codes: 0 every trace conforms (or stops at a named expectation, or
//! ends early with a reason); 1 a divergence; 2 bad usage or input (an
//! unknown target or profile, a malformed trace or one of another format
//! version, named with its file and field).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use synfin_conformance::replay::{self, Plan, Policy};
use synfin_conformance::report;
use synfin_conformance::target::smoltcp::SMOLTCP;
use synfin_conformance::target::{Smoltcp, SynfinTcp};
use synfin_conformance::trace::{Profile, Suite};

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
        /// The TCP under test: impl (synfin-tcp, in memory), smoltcp
        /// (smoltcp's TCP socket, in memory, one host at a time) or kernel
        /// (Linux, over TUN in private network namespaces; needs root).
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
        /// Print every replay that stopped (divergences, named deviations,
        /// early ends) and every untaken transition, not only the first
        /// divergence.
        #[arg(long)]
        all: bool,
    },
}

/// The targets this build knows.
const TARGETS: &str = if cfg!(target_os = "linux") {
    "impl, smoltcp, kernel"
} else {
    "impl, smoltcp (kernel: Linux only)"
};

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
    let kernel = target == "kernel" && cfg!(target_os = "linux");
    if !(kernel || matches!(target.as_str(), "impl" | "smoltcp")) {
        eprintln!("synfin-conform: unknown target `{target}`; valid: {TARGETS}");
        return ExitCode::from(2);
    }
    let profile = match profile.as_deref().map(|p| (p, Profile::from_name(p))) {
        None => None,
        Some((_, Some(p))) => Some(p),
        Some((p, None)) => {
            eprintln!("synfin-conform: unknown profile `{p}`; valid: rfc9293, rfc793");
            return ExitCode::from(2);
        }
    };
    if paths.is_empty() {
        paths.push(PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/traces"
        )));
    }
    let start = std::time::Instant::now();
    let suite = match Suite::load(&paths) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            return ExitCode::from(2);
        }
    };
    if suite.traces_of(profile).next().is_none() {
        eprintln!("synfin-conform: no traces found");
        return ExitCode::from(2);
    }
    let load = start.elapsed();
    #[cfg(target_os = "linux")]
    if target == "kernel" {
        let opts = synfin_conformance::kernel::Options {
            jobs,
            ..Default::default()
        };
        return synfin_conformance::kernel::report::run(&suite, profile, &opts, json, all, load);
    }
    let _ = jobs;
    let (name, sum) = if target == "smoltcp" {
        let mut t = Smoltcp::default();
        let mut plan = Plan::for_target(Smoltcp::CAPABILITIES, SMOLTCP);
        plan.profile = profile;
        ("smoltcp", replay::run(&mut t, &suite, &plan))
    } else {
        let mut t = SynfinTcp::default();
        let mut plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
        plan.profile = profile;
        ("synfin-tcp", replay::run(&mut t, &suite, &plan))
    };
    if json {
        let v = report::json(name, &sum, load.as_secs_f64());
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        print!("{}", report::text(name, &sum, all));
        println!("loading the traces: {:.2} s", load.as_secs_f64());
    }
    ExitCode::from(if sum.diverged().next().is_none() {
        0
    } else {
        1
    })
}
