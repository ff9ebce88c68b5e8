//! `synfin-conform replay [--target impl|smoltcp|kernel] [--profile P] [PATH...] [--json] [--all]
//! [--junit FILE] [--summary FILE] [--expect FILE]`
//!
//! Targets: `impl` (synfin-tcp, both hosts in memory, strict), `smoltcp`
//! (smoltcp 0.14's TCP socket playing each host in turn on virtual time,
//! judged by the `smoltcp` policy), `kernel` (Linux over TUN, Linux only).
//!
//! Exit codes: 0 every trace conforms (or stops at a named expectation or an
//! expected divergence, or ends early with a reason); 1 a divergence, or a
//! stale expectation; 2 bad usage or input (an unknown option, target or
//! profile, a malformed trace or one of another format version, named with
//! its file and field; a malformed expectations file, named with its line;
//! a path that does not exist), always as one line on stderr.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use synfin_conformance::gate::Outputs;
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
        /// Write JUnit XML here: one testcase per replay (trace and role).
        #[arg(long, value_name = "FILE")]
        junit: Option<PathBuf>,
        /// Write a Markdown summary here (for $GITHUB_STEP_SUMMARY).
        #[arg(long, value_name = "FILE")]
        summary: Option<PathBuf>,
        /// Accepted divergences (TOML): each passes as expected; one that no
        /// longer happens fails the run as stale.
        #[arg(long, value_name = "FILE")]
        expect: Option<PathBuf>,
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
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("synfin-conform: {} (see --help)", gate_cli::one_line(&e));
            return ExitCode::from(2);
        }
    };
    let Command::Replay {
        target,
        profile,
        mut paths,
        json,
        all,
        jobs,
        junit,
        summary,
        expect,
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
    let outputs = match Outputs::new(junit, summary, expect) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("synfin-conform: {e}");
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
        let of = profile.map_or(String::new(), |p| format!(" of profile {p}"));
        eprintln!(
            "synfin-conform: no traces{of} found in {}",
            gate_cli::paths(&paths)
        );
        return ExitCode::from(2);
    }
    let load = start.elapsed();
    #[cfg(target_os = "linux")]
    if target == "kernel" {
        let opts = synfin_conformance::kernel::Options {
            jobs,
            ..Default::default()
        };
        return synfin_conformance::kernel::report::run(
            &suite, profile, &opts, json, all, load, &outputs,
        );
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
    match outputs.finish(&target, &suite, &sum, json) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            ExitCode::from(2)
        }
    }
}

/// Error lines for the gate's one-line rule.
mod gate_cli {
    use std::path::PathBuf;

    /// A clap error as one line: its first, without the `error: ` prefix.
    pub fn one_line(e: &clap::Error) -> String {
        if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
            return "a command is required: replay".to_string();
        }
        let text = e.render().to_string();
        let line = text
            .lines()
            .map(str::trim)
            .find(|l| !l.is_empty())
            .unwrap_or("bad usage");
        line.strip_prefix("error: ").unwrap_or(line).to_string()
    }

    /// The paths, comma-separated.
    pub fn paths(p: &[PathBuf]) -> String {
        p.iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ")
    }
}
