//! `synfin export`: conformance traces, one file per trace.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::ArgGroup;
use synfin_model::trace::{self, Cover, Trace};
use synfin_model::{Config, Preset, Profile};

use crate::args::{parse, positive, Budgets};
use crate::{progress, usage};

/// Write conformance traces (synfin-trace/1), one JSON file per trace.
///
/// A trace is a path of the model: its configuration, then one step per
/// action (an application call, a segment delivered, lost, duplicated or
/// delayed, a timer, a tick) with what each endpoint looks like after it.
/// `synfin-conform replay DIR` replays a directory of them against
/// synfin-tcp; the book's trace-format chapter documents the format. Choose
/// exactly one of --depth, --cover, --random and --scenarios. Prints one
/// line: how many traces and steps were written where.
#[derive(clap::Args, Debug)]
#[command(
    group(ArgGroup::new("paths").required(true).args(["depth", "cover", "random", "scenarios"])),
    after_help = "\
Examples:
  synfin export --preset quick --depth 5 --out traces/depth5
  synfin export --preset quick --cover transitions --out traces/cover
  synfin export --random 500 --seed 7 --retries 2 --out traces/random
  synfin export --scenarios --out traces/scenarios

Exit status: 0 written, 1 a scenario is unreachable (--scenarios), 2 bad usage
or an unwritable --out."
)]
pub struct Args {
    /// World size: quick, default, deep or old-duplicates (`synfin list`
    /// describes each).
    #[arg(long, default_value = "default", value_parser = parse::<Preset>)]
    preset: Preset,
    /// Endpoint behaviour: rfc9293 or rfc793.
    #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
    profile: Profile,
    /// Every path of exactly N steps, or shorter where nothing is enabled
    /// (1-12). The count grows exponentially: 590 traces for quick at 5,
    /// 7,322 at 7.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=12))]
    depth: Option<u64>,
    /// `transitions`: traces that together take every transition reachable
    /// in the world (a breadth-first search of all of it), and the manifest
    /// cover.json listing every transition key.
    #[arg(long, value_name = "WHAT", value_parser = ["transitions"])]
    cover: Option<String>,
    /// N random walks, each from the initial state until nothing is
    /// enabled or --max-len steps; the same --seed writes the same traces.
    #[arg(long, value_name = "N", value_parser = positive)]
    random: Option<usize>,
    /// The example of each scenario that `synfin show` draws, one file per
    /// scenario, named after it (three-way-handshake.json, ...).
    #[arg(long)]
    scenarios: bool,
    /// Seed of the random walks (with --random).
    #[arg(long, default_value_t = 1, conflicts_with_all = ["depth", "cover", "scenarios"])]
    seed: u64,
    /// Longest random walk, in steps (with --random).
    #[arg(long, value_name = "N", default_value_t = 80, value_parser = positive, conflicts_with_all = ["depth", "cover", "scenarios"])]
    max_len: usize,
    /// Output directory, created if missing. Traces are named by a hash of
    /// their content (by scenario with --scenarios), so exporting twice
    /// rewrites the same files.
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Print one JSON summary object (traces, steps, keys, seconds, preset,
    /// profile, origin) instead of a line of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    budgets: Budgets,
}

/// Run `synfin export`.
pub fn run(args: Args) -> ExitCode {
    let mut cfg = Config::new(args.preset, args.profile, None);
    args.budgets.apply(&mut cfg);
    let start = Instant::now();
    if args.scenarios {
        return scenarios(&cfg, &args, start);
    }
    let spinner = progress::spinner("finding paths");
    let (origin, paths, cover) = if let Some(d) = args.depth {
        ("depth", trace::depth_paths(&cfg, d as usize), None)
    } else if let Some(n) = args.random {
        (
            "random",
            trace::random_paths(&cfg, n, args.seed, args.max_len),
            None,
        )
    } else {
        let (p, keys, states) = trace::cover_paths(&cfg);
        (
            "cover",
            p,
            Some(Cover {
                format: trace::COVER_FORMAT.to_string(),
                config: trace::trace_config(&cfg),
                states,
                keys: keys.into_iter().collect(),
                budgets: trace::budgets(&cfg),
            }),
        )
    };
    drop(spinner);
    let traces: Vec<Trace> = paths
        .iter()
        .map(|p| trace::record(&cfg, origin, p))
        .collect();
    let steps: usize = traces.iter().map(|t| t.steps.len()).sum();
    let cannot = |e: std::io::Error| {
        usage(
            "export",
            &format!("cannot write {}: {e}", args.out.display()),
        )
    };
    let files = match trace::write_traces(&args.out, &traces) {
        Ok(n) => n,
        Err(e) => return cannot(e),
    };
    if let Some(c) = &cover {
        if let Err(e) = trace::write_cover(&args.out, c) {
            return cannot(e);
        }
    }
    let keys = cover.as_ref().map(|c| c.keys.len());
    summary(&cfg, &args, origin, files, steps, keys, start);
    ExitCode::SUCCESS
}

/// `--scenarios`: `<scenario>.json` per scenario; exit 1 if a scenario is
/// unreachable under the preset (as `synfin show` does).
fn scenarios(cfg: &Config, args: &Args, start: Instant) -> ExitCode {
    let spinner = progress::spinner("searching for an example of each scenario");
    let found = trace::scenario_paths(cfg);
    drop(spinner);
    let paths = match found {
        Ok(p) => p,
        Err(missing) => {
            eprintln!(
                "synfin export: no reachable state shows {} under preset {}",
                missing.join(", "),
                cfg.preset
            );
            return ExitCode::from(1);
        }
    };
    let traces: Vec<(&str, Trace)> = paths
        .iter()
        .map(|(name, p)| (*name, trace::record(cfg, "scenario", p)))
        .collect();
    if let Err(e) = trace::write_named(&args.out, &traces) {
        return usage(
            "export",
            &format!("cannot write {}: {e}", args.out.display()),
        );
    }
    let steps = traces.iter().map(|(_, t)| t.steps.len()).sum();
    summary(cfg, args, "scenario", traces.len(), steps, None, start);
    ExitCode::SUCCESS
}

fn summary(
    cfg: &Config,
    args: &Args,
    origin: &str,
    files: usize,
    steps: usize,
    keys: Option<usize>,
    start: Instant,
) {
    let secs = start.elapsed().as_secs_f64();
    if args.json {
        println!(
            "{}",
            serde_json::json!({"traces": files, "steps": steps, "keys": keys, "seconds": secs,
                "preset": cfg.preset.name(), "profile": cfg.profile.name(), "origin": origin})
        );
    } else {
        println!(
            "{files} traces, {steps} steps{} ({origin}, preset {}, profile {}) in {secs:.1} s -> {}",
            keys.map(|k| format!(", {k} transition keys"))
                .unwrap_or_default(),
            cfg.preset,
            cfg.profile,
            args.out.display()
        );
    }
}
