//! `synfin-conform replay [--target impl|smoltcp|kernel|exec:CMD] [--profile P] [PATH...]
//! [--json] [--all] [--junit FILE] [--summary FILE] [--expect FILE] [--pcap DIR
//! [--pcap-all]]`
//!
//! `synfin-conform pkt run SCRIPT... [--target impl|smoltcp|kernel|exec:CMD]`:
//! packetdrill scripts against synfin-tcp, smoltcp, Linux or an adapter (the book's *Packetdrill scripts*); exit 0 every
//! script passed, 1 one failed, 2 one is malformed (file:line:column) or
//! bad usage, 3 one uses something unsupported.
//!
//! `synfin-conform pcap check FILE [--connection N|A:P-B:P] [--preset P]
//! [--profile P]`: one TCP connection of a capture explained by the model
//! (the book's *Checking a capture against the model*); exit 0 explained
//! whole, 1 a segment is not (which, and the arrival rule behind it), 2
//! an unreadable file, no TCP, several connections and none chosen.
//!
//! Targets (see the book's *Writing a target*):
//!
//! - `impl`: synfin-tcp, both hosts in memory, strict;
//! - `smoltcp`: smoltcp 0.14's TCP socket playing each host in turn on
//!   virtual time, judged by the `smoltcp` policy;
//! - `kernel`: Linux over TUN in private network namespaces (Linux only,
//!   needs root), judged by the `linux` policy;
//! - `exec:CMD`: an adapter run as `sh -c CMD` speaking `synfin-exec/1` (the
//!   book's *Any TCP over a pipe*), one child per worker (`--jobs`, at most
//!   one per core), each request answered within `--exec-timeout` seconds;
//!   `--policy` names the comparison policy (by default the one the
//!   adapter's hello names, else `strict`).
//!
//! Exit codes: 0 every trace conforms (or stops at a named expectation or an
//! expected divergence, or ends early with a reason); 1 a divergence, or a
//! stale expectation; 2 bad usage or input (an unknown option, target,
//! policy or profile, a malformed trace or one of another format version,
//! named with its file and field; a malformed expectations file, named with
//! its line; a path that does not exist) or an exec adapter that failed
//! (exited, wrote a malformed line, did not answer in time, reported an
//! error), always as one line on stderr.

use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;
use std::time::Duration;

use clap::{Parser, Subcommand};
use synfin_conformance::gate::Outputs;
use synfin_conformance::replay::{self, Plan, Policy, Summary};
use synfin_conformance::report;
use synfin_conformance::target::smoltcp::SMOLTCP;
use synfin_conformance::target::{exec, Smoltcp, SynfinTcp};
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
        /// (smoltcp's TCP socket, in memory, one host at a time), kernel
        /// (Linux, over TUN in private network namespaces; needs root), or
        /// exec:CMD (an adapter run as `sh -c CMD`, speaking synfin-exec/1).
        #[arg(long, default_value = "impl", value_parser = TargetArg::from_str)]
        target: TargetArg,
        /// kernel target: parallel workers, each in its own namespace; exec
        /// target: adapter processes (at most one per core).
        #[arg(long, default_value_t = 16)]
        jobs: usize,
        /// exec target: seconds an adapter may take to answer one request.
        #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
        exec_timeout: f64,
        /// exec target: the comparison policy (strict, lwip); default: the
        /// one the adapter's hello names, else strict.
        #[arg(long)]
        policy: Option<String>,
        /// Replay only traces of this profile: rfc9293 or rfc793.
        #[arg(long, value_parser = profile_arg)]
        profile: Option<Profile>,
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
        /// Write `DIR/<trace-stem>-<role>.pcapng` for each replay that did not
        /// agree: the expected and the observed stream as two interfaces of
        /// a Wireshark capture, each packet commented with its step and
        /// transition, the stop marked DIVERGENCE (or DEVIATION) at step N.
        /// DIR is created if missing.
        #[arg(long, value_name = "DIR")]
        pcap: Option<PathBuf>,
        /// With --pcap: a capture of every replay, agreed ones too.
        #[arg(long)]
        pcap_all: bool,
    },
    /// Packetdrill scripts (the book's *Packetdrill scripts* chapter).
    Pkt {
        #[command(subcommand)]
        command: PktCommand,
    },
    /// Captures (the book's *Checking a capture against the model*).
    Pcap {
        #[command(subcommand)]
        command: PcapCommand,
    },
}

#[derive(Subcommand)]
enum PcapCommand {
    /// Map one TCP connection of a pcap or pcapng file to the model and
    /// report the longest prefix the model explains and, for the first
    /// segment it does not, the RFC 9293 arrival rule behind it. Exit 0:
    /// every segment explained; 1: one is not; 2: an unreadable file, no
    /// TCP, several connections and none chosen, or bad usage.
    Check {
        /// The capture.
        file: PathBuf,
        /// The connection: its number in the list a capture with several
        /// prints, or its ends `A:P-B:P`.
        #[arg(long)]
        connection: Option<String>,
        /// The model's preset: quick, default, deep (its fault budgets:
        /// losses, duplicates, aborts, crashes).
        #[arg(long, default_value = "default")]
        preset: String,
        /// The model's profile: rfc9293 or rfc793.
        #[arg(long, default_value = "rfc9293", value_parser = profile_arg)]
        profile: Profile,
    },
}

/// `synfin-conform pcap check`.
fn pcap_check(
    file: &std::path::Path,
    connection: Option<&str>,
    preset: &str,
    profile: Profile,
) -> ExitCode {
    use synfin_conformance::pcap_check;
    let preset = match preset {
        "quick" => synfin_model::Preset::Quick,
        "default" => synfin_model::Preset::Default,
        "deep" => synfin_model::Preset::Deep,
        p => {
            eprintln!("synfin-conform: unknown preset `{p}` (quick, default, deep)");
            return ExitCode::from(pcap_check::EXIT_ERROR);
        }
    };
    let profile = match profile {
        Profile::Rfc9293 => synfin_model::Profile::Rfc9293,
        Profile::Rfc793 => synfin_model::Profile::Rfc793,
    };
    let base = synfin_model::Config::new(preset, profile, None);
    match pcap_check::check(file, connection, base) {
        Ok((report, code)) => {
            print!("{report}");
            ExitCode::from(code)
        }
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            ExitCode::from(pcap_check::EXIT_ERROR)
        }
    }
}

#[derive(Subcommand)]
enum PktCommand {
    /// Run packetdrill scripts against a TCP. Exit 0: every script passed;
    /// 1: one failed (FILE:LINE: expected ..., actual ...); 2: one is
    /// malformed (FILE:LINE:COLUMN) or bad usage; 3: one uses something
    /// unsupported (FILE:LINE), and none failed or was malformed.
    Run {
        /// The TCP under test: impl (synfin-tcp, in memory, virtual clock),
        /// smoltcp (smoltcp 0.14's sockets, in memory, virtual clock),
        /// kernel (Linux, real time, a private network namespace per
        /// script; needs root) or exec:CMD (an adapter speaking
        /// synfin-exec/1 with the sockets extension).
        #[arg(long, default_value = "impl", value_parser = pkt_target)]
        target: String,
        /// Raise every script's --tolerance_usecs to at least N (a real
        /// kernel's timers run late by up to a timer-wheel slot).
        #[arg(long, value_name = "N")]
        min_tolerance_usecs: Option<u64>,
        /// Known differences: lines `SCRIPT.pkt:LINE reason`. A script that
        /// fails at its listed line counts as expected (with a reason
        /// `unsupported: ...`, one that stops there as unsupported); one
        /// that passes or stops elsewhere is a stale expectation (exit 1).
        #[arg(long, value_name = "FILE")]
        expect: Option<PathBuf>,
        /// exec target: seconds the adapter may take to answer one request.
        #[arg(long, default_value_t = 10.0, value_parser = positive_seconds)]
        exec_timeout: f64,
        /// Script files.
        #[arg(required = true)]
        scripts: Vec<PathBuf>,
    },
}

fn pkt_target(s: &str) -> Result<String, String> {
    match s {
        "impl" | "smoltcp" => Ok(s.to_string()),
        _ if s.starts_with("exec:") && s.len() > 5 => Ok(s.to_string()),
        "kernel" if cfg!(target_os = "linux") => Ok(s.to_string()),
        _ => Err(format!(
            "unknown target `{s}` for pkt run; valid: {}",
            if cfg!(target_os = "linux") {
                "impl, smoltcp, kernel, exec:CMD"
            } else {
                "impl, smoltcp, exec:CMD (kernel: Linux only)"
            }
        )),
    }
}

/// The TCP under test, as `--target` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
enum TargetArg {
    Impl,
    Smoltcp,
    Kernel,
    Exec(String),
}

/// The targets this build knows.
const TARGETS: &str = if cfg!(target_os = "linux") {
    "impl, smoltcp, kernel, exec:CMD"
} else {
    "impl, smoltcp, exec:CMD (kernel: Linux only)"
};

impl FromStr for TargetArg {
    type Err = String;

    fn from_str(s: &str) -> Result<TargetArg, String> {
        match s {
            "impl" => Ok(TargetArg::Impl),
            "smoltcp" => Ok(TargetArg::Smoltcp),
            "kernel" if cfg!(target_os = "linux") => Ok(TargetArg::Kernel),
            _ => match s.strip_prefix("exec:") {
                Some("") => Err("exec:CMD needs a command".to_string()),
                Some(cmd) => Ok(TargetArg::Exec(cmd.to_string())),
                None => Err(format!("unknown target `{s}`; valid: {TARGETS}")),
            },
        }
    }
}

fn positive_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() => Ok(x),
        _ => Err(format!("`{s}` is not a positive number of seconds")),
    }
}

fn profile_arg(s: &str) -> Result<Profile, String> {
    Profile::from_name(s).ok_or_else(|| format!("unknown profile `{s}`; valid: rfc9293, rfc793"))
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if !e.use_stderr() => {
            // --help, --version
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("synfin-conform: {} (see --help)", one_line(&e));
            return ExitCode::from(2);
        }
    };
    let command = match cli.command {
        Command::Pkt {
            command:
                PktCommand::Run {
                    target,
                    min_tolerance_usecs,
                    expect,
                    exec_timeout,
                    scripts,
                },
        } => {
            let timeout = Duration::from_secs_f64(exec_timeout);
            return pkt_run(
                &target,
                min_tolerance_usecs,
                expect.as_deref(),
                timeout,
                &scripts,
            );
        }
        Command::Pcap {
            command:
                PcapCommand::Check {
                    file,
                    connection,
                    preset,
                    profile,
                },
        } => return pcap_check(&file, connection.as_deref(), &preset, profile),
        c => c,
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
        junit,
        summary,
        expect,
        pcap,
        pcap_all,
    } = command
    else {
        unreachable!("pkt and pcap returned above")
    };
    let fail = |e: &dyn std::fmt::Display| {
        eprintln!("synfin-conform: {e}");
        ExitCode::from(2)
    };
    if policy.is_some() && !matches!(target, TargetArg::Exec(_)) {
        return fail(&"--policy is for --target exec:CMD");
    }
    let outputs =
        match Outputs::new(junit, summary, expect).and_then(|o| o.with_pcap(pcap, pcap_all)) {
            Ok(o) => o,
            Err(e) => return fail(&e),
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
        Err(e) => return fail(&e),
    };
    if suite.traces_of(profile).next().is_none() {
        let of = profile.map_or(String::new(), |p| format!(" of profile {p}"));
        return fail(&format!("no traces{of} found in {}", list(&paths)));
    }
    if let Err(e) = outputs.check_traces(&suite) {
        return fail(&e);
    }
    let load = start.elapsed();
    let (name, sum, adapter) = match target {
        #[cfg(target_os = "linux")]
        TargetArg::Kernel => {
            let opts = synfin_conformance::kernel::Options {
                jobs,
                ..Default::default()
            };
            return synfin_conformance::kernel::report::run(
                &suite, profile, &opts, json, all, load, &outputs,
            );
        }
        #[cfg(not(target_os = "linux"))]
        TargetArg::Kernel => unreachable!("refused when parsed"),
        TargetArg::Impl => {
            let caps = SynfinTcp::CAPABILITIES;
            let sum = in_memory(
                &mut SynfinTcp::default(),
                caps,
                Policy::STRICT,
                &suite,
                profile,
            );
            ("synfin-tcp".to_string(), sum, None)
        }
        TargetArg::Smoltcp => {
            let caps = Smoltcp::CAPABILITIES;
            let sum = in_memory(&mut Smoltcp::default(), caps, SMOLTCP, &suite, profile);
            ("smoltcp".to_string(), sum, None)
        }
        TargetArg::Exec(command) => {
            let opts = exec::Options {
                command,
                timeout: Duration::from_secs_f64(exec_timeout),
                jobs: jobs.min(std::thread::available_parallelism().map_or(1, |n| n.get())),
                profile,
                policy,
            };
            match exec::replay_suite(&suite, &opts) {
                Ok(run) => (
                    format!("exec:{}", run.hello.name),
                    run.summary,
                    Some(run.hello),
                ),
                Err(e) => return fail(&e),
            }
        }
    };
    if json {
        let v = report::json(&name, &sum, load.as_secs_f64());
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        print!("{}", report::text(&name, &sum, all));
        if let Some(h) = adapter {
            println!(
                "adapter: {} {} (policy {})",
                h.name,
                h.version.as_deref().unwrap_or("(no version)"),
                sum.policy.name
            );
        }
        println!("loading the traces: {:.2} s", load.as_secs_f64());
    }
    match outputs.finish(&name, &suite, &sum, json) {
        Ok(code) => ExitCode::from(code),
        Err(e) => fail(&e),
    }
}

/// `synfin-conform pkt run`: each script against a fresh target, one line
/// per script, then a summary with the interpreter's speed.
fn pkt_run(
    target: &str,
    min_tolerance: Option<u64>,
    expect: Option<&std::path::Path>,
    exec_timeout: Duration,
    scripts: &[PathBuf],
) -> ExitCode {
    use synfin_conformance::pkt::{self, Verdict};
    let mut expected = match expect.map(pkt_expectations).transpose() {
        Ok(e) => e.unwrap_or_default(),
        Err(e) => {
            eprintln!("synfin-conform: {e}");
            return ExitCode::from(pkt::EXIT_MALFORMED);
        }
    };
    let mut adapter = match target.strip_prefix("exec:") {
        Some(cmd) => match pkt::ExecSockets::spawn(cmd, exec_timeout) {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("synfin-conform: {e}");
                return ExitCode::from(pkt::EXIT_MALFORMED);
            }
        },
        None => None,
    };
    let start = std::time::Instant::now();
    let (mut pass, mut fail, mut unsupported, mut malformed, mut lines) = (0, 0, 0, 0, 0);
    let (mut as_expected, mut unsupported_as_expected) = (0, 0);
    for path in scripts {
        let file = path.display().to_string();
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("synfin-conform: {file}: {e}");
                return ExitCode::from(pkt::EXIT_MALFORMED);
            }
        };
        let script = match pkt::parse(&file, &text) {
            Ok(mut s) => {
                if let Some(t) = min_tolerance {
                    s.tolerance_usecs = s.tolerance_usecs.max(t);
                }
                s
            }
            Err(e) => {
                eprintln!("{e}");
                malformed += 1;
                continue;
            }
        };
        lines += script.lines;
        let outcome = match target {
            #[cfg(target_os = "linux")]
            "kernel" => match pkt::kernel::run_in_netns(script) {
                Ok(o) => o,
                Err(e) => {
                    eprintln!("synfin-conform: {e}");
                    return ExitCode::from(pkt::EXIT_MALFORMED);
                }
            },
            "smoltcp" => pkt::run(&script, &mut pkt::SmoltcpSockets::default()),
            _ if adapter.is_some() => {
                let a = adapter.as_mut().expect("an adapter");
                let outcome = a.start().map(|()| pkt::run(&script, a));
                match (outcome, a.failure().cloned()) {
                    (Ok(o), None) => o,
                    (Err(e), _) | (_, Some(e)) => {
                        eprintln!("synfin-conform: {file}: {e}");
                        return ExitCode::from(pkt::EXIT_MALFORMED);
                    }
                }
            }
            _ => pkt::run(&script, &mut pkt::SynfinTcpSockets::default()),
        };
        let base = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let listed = expected.remove(&base);
        let message = outcome.message(&file);
        match (&outcome.verdict, listed) {
            (Verdict::Fail { line, .. }, Some(e)) if *line == e.line && !e.unsupported => {
                as_expected += 1;
                println!("{message} [expected: {}]", e.reason);
            }
            (Verdict::Unsupported { line, .. }, Some(e)) if *line == e.line && e.unsupported => {
                unsupported_as_expected += 1;
                println!("{message} [expected: {}]", e.reason);
            }
            (_, Some(e)) => {
                fail += 1;
                println!("{message}");
                println!(
                    "{}:{}: stale expectation: {base} was expected to {} at line {}",
                    e.file,
                    e.at,
                    if e.unsupported {
                        "stop as unsupported"
                    } else {
                        "fail"
                    },
                    e.line
                );
            }
            (Verdict::Pass, None) => {
                pass += 1;
                println!("{message}");
            }
            (Verdict::Fail { .. }, None) => {
                fail += 1;
                println!("{message}");
            }
            (Verdict::Unsupported { .. }, None) => {
                unsupported += 1;
                println!("{message}");
            }
        }
    }
    let secs = start.elapsed().as_secs_f64().max(1e-9);
    let name = match (target, &adapter) {
        (_, Some(a)) => format!("exec:{}", a.adapter_name()),
        ("kernel", _) => "linux".to_string(),
        ("smoltcp", _) => "smoltcp".to_string(),
        _ => "synfin-tcp".to_string(),
    };
    if let Some(a) = adapter.as_mut() {
        a.stop();
    }
    let n = scripts.len();
    println!(
        "{n} scripts against {name}: {pass} passed, {fail} failed, {as_expected} failed as \
         expected, {unsupported} unsupported, {unsupported_as_expected} unsupported as \
         expected, {malformed} malformed; {lines} lines in {:.3} s ({:.0} scripts/s, {:.0} \
         lines/s)",
        secs,
        n as f64 / secs,
        lines as f64 / secs
    );
    ExitCode::from(if malformed > 0 {
        pkt::EXIT_MALFORMED
    } else if fail > 0 {
        pkt::EXIT_FAIL
    } else if unsupported > 0 {
        pkt::EXIT_UNSUPPORTED
    } else {
        pkt::EXIT_PASS
    })
}

/// One line of a `pkt run --expect` file.
struct PktExpectation {
    file: String,
    at: usize,
    line: usize,
    reason: String,
    /// The reason starts with `unsupported:`: the script must stop there
    /// as unsupported, not fail.
    unsupported: bool,
}

/// `SCRIPT.pkt:LINE reason` lines, `#` comments; by script file name. A
/// reason `unsupported: ...` expects the script to stop there as
/// unsupported; any other, to fail there.
fn pkt_expectations(
    path: &std::path::Path,
) -> Result<std::collections::HashMap<String, PktExpectation>, String> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| format!("{file}: {e}"))?;
    let mut map = std::collections::HashMap::new();
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (head, reason) = l.split_once(char::is_whitespace).unwrap_or((l, ""));
        let parsed = head
            .rsplit_once(':')
            .and_then(|(name, n)| Some((name, n.parse::<usize>().ok()?)));
        let Some((name, line)) = parsed else {
            return Err(format!(
                "{file}:{}: expected `SCRIPT.pkt:LINE reason`, found `{l}`",
                i + 1
            ));
        };
        let e = PktExpectation {
            file: file.clone(),
            at: i + 1,
            line,
            reason: reason.trim().to_string(),
            unsupported: reason.trim().starts_with("unsupported:"),
        };
        if map.insert(name.to_string(), e).is_some() {
            return Err(format!("{file}:{}: {name} is listed twice", i + 1));
        }
    }
    Ok(map)
}

/// Replays `suite` (only `profile`'s traces, if given) on one in-memory
/// target, on this thread.
fn in_memory(
    target: &mut dyn synfin_conformance::target::Target,
    caps: synfin_conformance::target::Capabilities,
    policy: Policy,
    suite: &Suite,
    profile: Option<Profile>,
) -> Summary {
    let mut plan = Plan::for_target(caps, policy);
    plan.profile = profile;
    replay::run(target, suite, &plan)
}

/// A clap error as one line: its first, without the `error: ` prefix.
fn one_line(e: &clap::Error) -> String {
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is required: replay, pkt, pcap".to_string();
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
fn list(p: &[PathBuf]) -> String {
    p.iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
