//! `synfin-conform replay [--target impl|kernel|exec:CMD] [--profile P] [PATH...] [--json] [--all]`
//!
//! `--target exec:CMD` runs `sh -c CMD` as an adapter speaking
//! `synfin-exec/1` (see the book's *Any TCP over a pipe*), one child per
//! worker (`--jobs`, at most one per core), each request answered within
//! `--exec-timeout` seconds; `--policy` names the comparison policy (by
//! default the one the adapter's hello names, else `strict`).
//!
//! Exit codes: 0 every trace conforms (or stops at a named expectation, or
//! ends early with a reason); 1 a divergence; 2 bad usage or input (an
//! unknown target or profile, a malformed trace or one of another format
//! version, named with its file and field), or an exec adapter that failed
//! (exited, wrote a malformed line, did not answer in time, reported an
//! error).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use synfin_conformance::replay::{self, Plan, Policy};
use synfin_conformance::report;
use synfin_conformance::target::{exec, SynfinTcp};
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
        /// The TCP under test: impl (synfin-tcp, in memory), kernel (Linux,
        /// over TUN in private network namespaces; needs root), or exec:CMD
        /// (an adapter run as `sh -c CMD`, speaking synfin-exec/1).
        #[arg(long, default_value = "impl")]
        target: String,
        /// kernel target: parallel workers, each in its own namespace; exec
        /// target: adapter processes (at most one per core).
        #[arg(long, default_value_t = 16)]
        jobs: usize,
        /// exec target: seconds an adapter may take to answer one request.
        #[arg(long, default_value_t = 10.0)]
        exec_timeout: f64,
        /// exec target: the comparison policy (strict, lwip); default: the
        /// one the adapter's hello names, else strict.
        #[arg(long)]
        policy: Option<String>,
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
    "impl, kernel, exec:CMD"
} else {
    "impl, exec:CMD (kernel: Linux only)"
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
        exec_timeout,
        policy,
    } = cli.command;
    let exec_command = target.strip_prefix("exec:").map(str::to_string);
    if exec_command.as_deref() == Some("") || !(exec_timeout > 0.0 && exec_timeout.is_finite()) {
        eprintln!("synfin-conform: --target exec:CMD needs a command and --exec-timeout a positive number");
        return ExitCode::from(2);
    }
    if exec_command.is_none() && policy.is_some() {
        eprintln!("synfin-conform: --policy is for --target exec:CMD");
        return ExitCode::from(2);
    }
    if target != "impl"
        && exec_command.is_none()
        && !(target == "kernel" && cfg!(target_os = "linux"))
    {
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
    if let Some(command) = exec_command {
        let opts = exec::Options {
            command,
            timeout: Duration::from_secs_f64(exec_timeout),
            jobs: jobs.min(std::thread::available_parallelism().map_or(1, |n| n.get())),
            profile,
            policy,
        };
        return exec::run(&suite, &opts, json, all, load);
    }
    let _ = jobs;
    let mut t = SynfinTcp::default();
    let mut plan = Plan::for_target(SynfinTcp::CAPABILITIES, Policy::STRICT);
    plan.profile = profile;
    let sum = replay::run(&mut t, &suite, &plan);
    if json {
        let v = report::json("synfin-tcp", &sum, load.as_secs_f64());
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        print!("{}", report::text("synfin-tcp", &sum, all));
        println!("loading the traces: {:.2} s", load.as_secs_f64());
    }
    ExitCode::from(if sum.diverged().next().is_none() {
        0
    } else {
        1
    })
}
