//! `synfin check`: the exhaustive check and its verdict table.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::json;
use synfin_model::check::{self, Engine, Report};
use synfin_model::cluster::Peers;
use synfin_model::diagram::{self, Format};
use synfin_model::fast::{memory, Stop};
use synfin_model::properties::{self, Expectation};
use synfin_model::{render, textbook, Config, Preset, Profile, Variant};

use crate::args::{parse, positive, Budgets};
use crate::{launch, progress};

/// Check every property exhaustively.
///
/// Visits every reachable state of the world (a preset, a profile and the
/// budgets), evaluates the 11 safety properties and 11 scenarios of `synfin
/// list` on each, and prints how many states there were and a verdict per
/// property: `holds` or `VIOLATED` for safety, `reached` or `MISSED` for a
/// scenario, with the length of the shortest example; `n/a` for a scenario
/// the world's options rule out (time-wait-reopen needs
/// --time-wait-reopen). A safety property the
/// profile is known to break is claimed to fail instead: `fails` as
/// expected, or `HOLDS` if no counterexample exists (under rfc793,
/// time-wait-lasts-2msl: RFC 1337's TIME-WAIT assassination, and
/// no-blind-injection: the in-window reset RFC 5961 answers). A violated property
/// is followed by its shortest counterexample, as a sequence diagram and
/// step by step with both endpoints and the network after each step.
///
/// On a terminal, progress goes to stderr while the check runs (states,
/// states/s, depth, memory, elapsed, and the estimated total and time left
/// when there is an estimate: the count pinned for a preset, or the depth
/// profile of a previous run of the same world), and the verdict table
/// ends with the command that draws a trace.
///
/// Ctrl-C, or memory about to pass --max-memory, stops the check cleanly:
/// it prints how far it got (states, depth, elapsed, memory, and what it
/// had found so far) and exits 3 (memory) or 130 (Ctrl-C).
#[derive(clap::Args, Debug)]
#[command(after_help = AFTER_HELP)]
pub struct Args {
    /// World size: quick (160 thousand states, seconds), default (the CI
    /// gate: tens of millions of states), deep (the default plus a host
    /// crash: far more), old-duplicates (quick where any segment may
    /// outlive a tick) or off-path (quick plus a blind attacker). `synfin
    /// list` describes each. [default: default, or the
    /// variant's own preset: old-duplicates for time-wait-one-msl]
    #[arg(long, value_parser = parse::<Preset>)]
    preset: Option<Preset>,
    /// Endpoint behaviour: rfc9293 (with RFC 5961 challenge ACKs and RFC
    /// 1337's ignore-RST-in-TIME-WAIT) or rfc793 (as first published).
    #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
    profile: Profile,
    /// Check a deliberately broken design instead (`synfin list` names
    /// them): a breadth-first search for the shortest counterexample to the
    /// one property it breaks; the other properties are not checked.
    #[arg(long, value_parser = parse::<Variant>)]
    variant: Option<Variant>,
    /// Checker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = positive)]
    threads: Option<usize>,
    /// The exhaustive checker: fast (breadth-first over a lock-free table
    /// of 64-bit state fingerprints, states queued packed; faster per core
    /// and smaller: the book's measurements chapter has figures),
    /// stateright (stateright's own DFS) or timely (breadth-first in timely
    /// dataflow, over processes on one machine or many: --processes,
    /// --hostfile). All give the same state counts and verdicts; max depth
    /// differs (fast and timely: breadth-first levels, the same every run;
    /// stateright: the longest path its DFS took). [default: fast, or
    /// timely with --processes or --hostfile]
    #[arg(long, value_parser = parse::<Engine>)]
    engine: Option<Engine>,
    /// Run the timely engine as N processes on this machine: this one
    /// starts the others on loopback ports and reports for all; --threads
    /// is per process.
    #[arg(long, value_name = "N", value_parser = positive, conflicts_with = "hostfile")]
    processes: Option<usize>,
    /// Take part in a timely run across machines: FILE lists every
    /// process's host:port, one per line, process 0 first, the same file
    /// on every machine. Process 0 prints the report; the others print a
    /// line to stderr when their part is done.
    #[arg(long, value_name = "FILE", requires = "process")]
    hostfile: Option<std::path::PathBuf>,
    /// This process's line in --hostfile, from 0.
    #[arg(long, value_name = "I", requires = "hostfile")]
    process: Option<usize>,
    /// How long a timely process waits for all the others to connect
    /// before it gives up (exit status 4).
    #[arg(long, value_name = "SECONDS", default_value = "60", value_parser = positive)]
    connect_timeout: usize,
    /// Stop cleanly, reporting how far the check got, before the process's
    /// memory passes SIZE (e.g. 8G, 512M; units are powers of 1024); exit
    /// status 3. The fast engine checks before it grows its visited set, so
    /// it never asks for more; stateright's is polled every 50 ms.
    /// [default: 90% of the memory available when the check starts]
    #[arg(long, value_name = "SIZE", value_parser = memory::parse_size)]
    max_memory: Option<u64>,
    /// Neither read nor write the depth profile (new states per level) that
    /// a completed fast check leaves in ~/.cache/synfin/depth-profiles (or
    /// $SYNFIN_CACHE_DIR, $XDG_CACHE_HOME/synfin) to estimate the next run
    /// of the same world and size its visited set.
    #[arg(long)]
    no_profile: bool,
    /// Keep the states waiting for the next level in a file under DIR
    /// instead of in memory (fast engine), for worlds whose queue would not
    /// fit. The file has no name and is gone when the check ends, however
    /// it ends; it is written and read front to back. Memory is then about
    /// the visited set alone (under 10 bytes a state when the count is
    /// known from a pinned count or a depth profile), and the file grows
    /// to about 4 bytes a state at the widest levels. Pick a directory on
    /// a disk (a tmpfs /tmp is memory). Exit status 5 if writing or
    /// reading the file fails.
    #[arg(long, value_name = "DIR")]
    spill_dir: Option<std::path::PathBuf>,
    /// Print one JSON object (counts, and per property its verdict and
    /// trace as a list of actions) instead of text; no hints.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    budgets: Budgets,
}

const AFTER_HELP: &str = "\
Examples:
  synfin check                           the CI gate: preset default, profile rfc9293
  synfin check --preset quick --json     seconds; one JSON object on stdout
  synfin check --variant no-time-wait    a broken design: exit 1 and its counterexample
  synfin check --preset quick --dups 1   the quick world with one duplicate
  synfin check --preset deep --losses 2 --max-memory 8G
                                         a big world, stopped cleanly if it outgrows 8 GiB
  synfin check --processes 4 --threads 1 four processes exchanging states over loopback
  synfin check --hostfile hosts.txt --process 2
                                         process 2 of a run across machines

Exit status: 0 every property is as claimed (every safety property holds, except
those the profile is known to break, which must fail: under rfc793
time-wait-lasts-2msl, RFC 1337's TIME-WAIT assassination, and no-blind-injection,
the in-window reset of RFC 5961; every scenario is reached), 1 a property is not
as claimed, 2 bad usage, 3 stopped at --max-memory before every state was
visited, 4 a process of a timely run could not connect or failed, 5 the
--spill-dir file failed (disk full, say), 130 stopped by Ctrl-C.";

/// Exit status of a check stopped at `--max-memory`.
const EXIT_MEMORY: u8 = 3;
/// Exit status of a timely run whose processes did not all connect, or
/// one of which failed.
const EXIT_CLUSTER: u8 = 4;
/// Exit status of a check stopped because its `--spill-dir` file failed.
const EXIT_SPILL: u8 = 5;
/// Exit status of a check stopped by Ctrl-C (128 + SIGINT, as shells do).
const EXIT_INTERRUPTED: u8 = 130;

/// Run `synfin check`.
pub fn run(args: Args) -> ExitCode {
    let preset = args
        .preset
        .unwrap_or_else(|| args.variant.map_or(Preset::Default, Variant::preset));
    let mut cfg = Config::new(preset, args.profile, args.variant);
    args.budgets.apply(&mut cfg);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let max_memory = args.max_memory.or_else(memory::default_limit);
    let distributed = args.processes.is_some() || args.hostfile.is_some();
    let engine = match (args.engine, distributed) {
        (None, false) => Engine::Fast,
        (None | Some(Engine::Timely), true) => Engine::Timely,
        (Some(e), false) => e,
        (Some(e), true) => {
            return crate::usage(
                "check",
                &format!("--processes and --hostfile run the timely engine, not {e}"),
            )
        }
    };
    if distributed && cfg.variant.is_some() {
        return crate::usage(
            "check",
            "a variant is checked by a breadth-first search in one process: drop --processes and --hostfile",
        );
    }
    if let Some(dir) = &args.spill_dir {
        if engine != Engine::Fast || cfg.variant.is_some() {
            return crate::usage(
                "check",
                "--spill-dir keeps the fast engine's queue on disk: it needs --engine fast and no --variant",
            );
        }
        if let Err(e) = synfin_model::fast::spill::Spill::new(dir) {
            return crate::usage(
                "check",
                &format!(
                    "--spill-dir {}: cannot make a file there: {e}",
                    dir.display()
                ),
            );
        }
    }
    let peers = match (&args.hostfile, args.process) {
        (Some(file), Some(process)) => {
            let text = match std::fs::read_to_string(file) {
                Ok(t) => t,
                Err(e) => {
                    return crate::usage("check", &format!("cannot read {}: {e}", file.display()))
                }
            };
            match Peers::from_hostfile(&text, process) {
                Ok(p) => Some(p),
                Err(e) => return crate::usage("check", &format!("{}: {e}", file.display())),
            }
        }
        _ => None,
    };
    let follower = peers.as_ref().is_some_and(|p| p.process != 0);
    if !args.json && !follower {
        eprintln!(
            "checking preset {}, profile {}{}{} on {threads} thread{}{}",
            cfg.preset,
            cfg.profile,
            match (cfg.time_wait_reopen, cfg.reopen_at_once) {
                (false, false) => "",
                (true, false) => " with MAY-2",
                (false, true) => " without the reopen gate",
                (true, true) => " with MAY-2, without the reopen gate",
            },
            cfg.variant
                .map(|v| format!(", variant {v}"))
                .unwrap_or_default(),
            if threads == 1 { "" } else { "s" },
            if cfg.variant.is_some() {
                String::new()
            } else {
                format!(
                    ", engine {engine}{}{}",
                    args.processes
                        .or(peers.as_ref().map(|p| p.addresses.len()))
                        .map(|n| format!(" on {n} process{}", if n == 1 { "" } else { "es" }))
                        .unwrap_or_default(),
                    max_memory
                        .map(|m| format!(", memory limit {}", memory::human(m)))
                        .unwrap_or_default()
                )
            }
        );
    }
    // Ctrl-C asks the check to stop; a second one ends the process at once.
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = stop.clone();
        let _ = ctrlc::set_handler(move || {
            if stop.swap(true, Ordering::Relaxed) {
                std::process::exit(i32::from(EXIT_INTERRUPTED));
            }
        });
    }
    let opts = check::Options {
        threads,
        engine,
        max_memory,
        stop: Some(stop),
        profiles: !args.no_profile,
        spill: args.spill_dir.clone(),
    };
    let timeout = Duration::from_secs(args.connect_timeout as u64);
    if distributed {
        launch::quiet_panics();
    }
    let report = if let Some(n) = args.processes {
        let (peers, mut launched) = match launch::launch(n) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("synfin check: {e}");
                return ExitCode::from(EXIT_CLUSTER);
            }
        };
        let mut shown = progress::check(&cfg);
        let result = check::run_distributed(&cfg, &opts, &peers, timeout, &mut |p| {
            shown.update(p);
            if let Err(e) = launched.check() {
                drop(std::mem::replace(&mut shown, progress::none()));
                eprintln!("synfin check: {e}; the run cannot finish");
                std::process::exit(i32::from(EXIT_CLUSTER));
            }
        });
        drop(shown);
        let waited = launched.wait();
        match (result, waited) {
            (Ok(Some(report)), Ok(())) => report,
            (Err(e), _) => {
                eprintln!("synfin check: {e}{}", launch::first_panic());
                return ExitCode::from(EXIT_CLUSTER);
            }
            (_, Err(e)) => {
                eprintln!("synfin check: {e}");
                return ExitCode::from(EXIT_CLUSTER);
            }
            (Ok(None), Ok(())) => unreachable!("this process is process 0"),
        }
    } else if let Some(peers) = &peers {
        let mut shown = if follower {
            progress::none()
        } else {
            progress::check(&cfg)
        };
        match check::run_distributed(&cfg, &opts, peers, timeout, &mut |p| shown.update(p)) {
            Ok(Some(report)) => report,
            Ok(None) => {
                drop(shown);
                eprintln!(
                    "synfin check: process {} of {}: part done",
                    peers.process,
                    peers.addresses.len()
                );
                return ExitCode::SUCCESS;
            }
            Err(e) => {
                drop(shown);
                eprintln!(
                    "synfin check: process {}: {e}{}",
                    peers.process,
                    launch::first_panic()
                );
                return ExitCode::from(EXIT_CLUSTER);
            }
        }
    } else if let Some(v) = cfg.variant {
        let _spinner = progress::spinner(&format!(
            "searching breadth-first for the shortest counterexample to {}",
            v.breaks()
        ));
        check::run(&cfg, &opts, &mut |_| {})
    } else {
        let mut shown = progress::check(&cfg);
        check::run(&cfg, &opts, &mut |p| shown.update(p))
    };
    if let Some(stop) = &report.stopped {
        if args.json {
            println!(
                "{}",
                serde_json::to_string_pretty(&report_json(&cfg, &report)).expect("json")
            );
        } else {
            print!("{}", stopped_text(stop, &report, args.spill_dir.is_some()));
        }
        return ExitCode::from(match stop {
            Stop::Interrupted => EXIT_INTERRUPTED,
            Stop::MemoryLimit { .. } => EXIT_MEMORY,
            Stop::Spill(_) => EXIT_SPILL,
        });
    }
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report_json(&cfg, &report)).expect("json")
        );
    } else {
        print!("{}", report_text(&cfg, &report));
        if std::io::stdout().is_terminal() {
            print!("{}", hint(&cfg, &report));
        }
    }
    ExitCode::from(if report.ok() { 0 } else { 1 })
}

/// How far a stopped check got, and what it had found.
fn stopped_text(stop: &Stop, r: &Report, spilling: bool) -> String {
    let why = match stop {
        Stop::Interrupted => "stopped by Ctrl-C".to_string(),
        Stop::MemoryLimit {
            limit,
            resident,
            wanted,
        } => {
            let mut why = format!(
                "stopped at the memory limit of {}: {} in use",
                memory::human(*limit),
                memory::human(*resident)
            );
            if wanted > resident {
                why += &format!(
                    ", and a larger visited set would take it to {}",
                    memory::human(*wanted)
                );
            }
            // The fast engine's queue is the part of its memory that a
            // disk can take.
            why + if r.engine == Engine::Fast && !spilling {
                " (raise --max-memory, keep the queue on disk with --spill-dir, or shrink the world's budgets)"
            } else {
                " (raise --max-memory, or shrink the world's budgets)"
            }
        }
        Stop::Spill(e) => format!("stopped: the --spill-dir file failed: {e}"),
    };
    let mut out = format!(
        "{why}
NOT COMPLETE: {} unique states visited ({} generated), searching depth {}, after {:.1} s",
        r.unique_states, r.states, r.max_depth, r.seconds
    );
    if let Some(peak) = r.peak_memory {
        out += &format!(", peak memory {}", memory::human(peak));
    }
    out += "
";
    let found: Vec<String> = r
        .verdicts
        .iter()
        .filter(|v| v.holds != (v.expectation == Expectation::Always))
        .map(|v| match v.expectation {
            Expectation::Always => format!("{} violated", v.name),
            Expectation::Sometimes => format!("{} reached", v.name),
        })
        .collect();
    out += &if found.is_empty() {
        "found so far: nothing\n".to_string()
    } else {
        format!("found so far: {}\n", found.join(", "))
    };
    out += "no verdict: a property not found so far may still fail in the states not visited\n";
    out
}

fn report_text(cfg: &Config, r: &Report) -> String {
    let mut out = format!(
        "{} unique states ({} generated), max depth {}, {:.1} s (+{:.1} s for shortest paths)\n\n",
        r.unique_states, r.states, r.max_depth, r.seconds, r.shortest_seconds
    );
    if r.spilled_bytes > 0 {
        out += &format!(
            "the queue took up to {} in the spill file, peak memory {}\n\n",
            memory::human(r.spilled_bytes),
            r.peak_memory.map_or("unknown".into(), memory::human)
        );
    }
    out += &format!(
        "{:<24} {:<10} {:<9} {}\n",
        "property", "kind", "verdict", "trace"
    );
    if cfg.variant.is_some() {
        out += "(a variant is checked only for the property it exists to break)\n";
    }
    for v in &r.verdicts {
        let kind = match v.expectation {
            Expectation::Always => "safety",
            Expectation::Sometimes => "scenario",
        };
        let verdict = match (v.expectation, v.holds, v.expected_to_fail) {
            (Expectation::Always, true, false) => "holds",
            (Expectation::Always, false, false) => "VIOLATED",
            (Expectation::Always, false, true) => "fails",
            (Expectation::Always, true, true) => "HOLDS",
            (Expectation::Sometimes, true, _) => "reached",
            (Expectation::Sometimes, false, _) => "MISSED",
        };
        let mut len = v
            .path
            .as_ref()
            .map(|p| format!("{} steps", p.len() - 1))
            .unwrap_or_default();
        if v.expected_to_fail {
            let sep = if len.is_empty() { "" } else { ", " };
            len += &format!("{sep}expected under {}, see below", cfg.profile);
        }
        out += &format!(
            "{:<24} {:<10} {:<9} {}\n",
            v.name,
            kind,
            verdict,
            len.trim_end()
        );
    }
    for (name, needs) in not_checked(cfg) {
        out += &format!("{name:<24} {:<10} {:<9} needs {needs}\n", "scenario", "n/a");
    }
    for v in r.verdicts.iter().filter(|v| !v.holds || v.expected_to_fail) {
        let why = properties::by_name(v.name)
            .and_then(|p| p.fails_under)
            .map_or("", |(_, why)| why);
        match (&v.path, v.expected_to_fail) {
            (Some(path), expected) => {
                out += &if expected {
                    format!(
                        "\n{} fails under {}, as expected: {why}. Shortest counterexample, {} steps\n",
                        v.name,
                        cfg.profile,
                        path.len() - 1
                    )
                } else {
                    format!(
                        "\n{} violated: shortest counterexample, {} steps\n",
                        v.name,
                        path.len() - 1
                    )
                };
                let violation = Some((path.len() - 1, v.name));
                out += &diagram::render_marked(path, Format::Text, violation);
                out += "\nstep by step, with both endpoints and the network after each step:\n";
                out += &render::steps(path);
            }
            (None, true) => {
                out += &format!(
                    "\n{}: expected to fail under {} ({why}), but no reachable state breaks it\n",
                    v.name, cfg.profile
                )
            }
            (None, false) => {
                out += &format!("\n{}: no reachable state shows this scenario\n", v.name)
            }
        }
    }
    if let Some(variant) = cfg.variant {
        out += &format!(
            "\nvariant {variant} is meant to break {}\n",
            variant.breaks()
        );
    }
    out
}

/// What to run next to see a trace: printed after the table on a terminal.
fn hint(cfg: &Config, r: &Report) -> String {
    let world = world_args(cfg);
    if let Some(v) = cfg.variant {
        let mut out = format!(
            "\nsee it as a diagram: synfin explain {v}{world}\n  \
             add --format svg > {v}.svg for a picture (or mermaid, json)\n"
        );
        if textbook::for_name(v.name()).is_some() {
            out += "  add --textbook for the shape textbooks draw\n";
        }
        return out;
    }
    if r.ok() {
        return format!(
            "\nsee a scenario: synfin show three-way-handshake{world}\n  \
             (or any scenario above; add --format svg > handshake.svg for a picture)\n"
        );
    }
    "\nthe counterexample above is the shortest; --json lists its actions\n".to_string()
}

/// The arguments that give `show` or `explain` the preset and profile just
/// checked (budgets given on the command line are not repeated).
fn world_args(cfg: &Config) -> String {
    let mut out = String::new();
    let usual = cfg.variant.map_or(Preset::Default, Variant::preset);
    if cfg.preset != usual {
        out += &format!(" --preset {}", cfg.preset);
    }
    if cfg.profile != Profile::Rfc9293 {
        out += &format!(" --profile {}", cfg.profile);
    }
    let preset = Config::new(cfg.preset, cfg.profile, None);
    for (h, flag) in [(0, "--bytes-a"), (1, "--bytes-b")] {
        if cfg.bytes[h] != preset.bytes[h] {
            out += &format!(" {flag} {}", cfg.bytes[h]);
        }
    }
    if cfg.abort_anywhere && !preset.abort_anywhere {
        out += " --abort-anywhere";
    }
    if cfg.time_wait_reopen {
        out += " --time-wait-reopen";
    }
    if cfg.reopen_at_once {
        out += " --reopen-at-once";
    }
    out
}

/// The scenarios the world's options rule out, with the flag each needs
/// (none for a variant, which is checked for one property only).
fn not_checked(cfg: &Config) -> impl Iterator<Item = (&'static str, &'static str)> + '_ {
    properties::ALL
        .iter()
        .filter(|p| cfg.variant.is_none() && !p.applies(cfg))
        .filter_map(|p| Some((p.name, p.needs?.flag())))
}

fn report_json(cfg: &Config, r: &Report) -> serde_json::Value {
    json!({
        "preset": cfg.preset.name(),
        "profile": cfg.profile.name(),
        "variant": cfg.variant.map(|v| v.name()),
        "time_wait_reopen": cfg.time_wait_reopen,
        "reopen_at_once": cfg.reopen_at_once,
        "unique_states": r.unique_states,
        "states": r.states,
        "max_depth": r.max_depth,
        "seconds": r.seconds,
        "engine": r.engine.name(),
        "complete": r.stopped.is_none(),
        "stopped": r.stopped.as_ref().map(|s| match s {
            Stop::Interrupted => "interrupted",
            Stop::MemoryLimit { .. } => "memory-limit",
            Stop::Spill(_) => "spill-failed",
        }),
        "spilled_bytes": r.spilled_bytes,
        "peak_memory_bytes": r.peak_memory,
        "ok": r.ok(),
        "properties": r.verdicts.iter().map(|v| json!({
            "name": v.name,
            "expectation": match v.expectation { Expectation::Always => "always", Expectation::Sometimes => "sometimes" },
            "holds": v.holds,
            "claim": if v.expected_to_fail { "fails" } else if v.expectation == Expectation::Always { "holds" } else { "reached" },
            "as_claimed": v.as_claimed(),
            "trace_length": v.path.as_ref().map(|p| p.len() - 1),
            "trace": v.path.as_ref().map(|p| p.iter().filter_map(|(_, a)| a.map(|a| render::action(&a))).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
        "not_checked": not_checked(cfg)
            .map(|(name, needs)| json!({"name": name, "needs": needs}))
            .collect::<Vec<_>>(),
    })
}
