//! `synfin export`: conformance traces, one file per trace, or packetdrill
//! scripts, one per trace and role.

use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::ArgGroup;
use synfin_model::trace::{self, pkt, Cover, Trace};
use synfin_model::{Config, Preset, Profile};

use crate::args::{parse, positive, Budgets};
use crate::{progress, usage};

/// Write conformance traces (synfin-trace/1) or packetdrill scripts
/// (--format pkt), one file per trace (per trace and role for scripts).
///
/// A trace is a path of the model: its configuration, then one step per
/// action (an application call, a segment delivered, lost, duplicated or
/// delayed, a timer, a tick) with what each endpoint looks like after it.
/// `synfin-conform replay DIR` replays a directory of them against
/// synfin-tcp; the book's trace-format chapter documents the format. Choose
/// exactly one of --depth, --cover, --random and --scenarios. Prints one
/// line: how many traces and steps were written where (with --format pkt,
/// how many scripts, then a line per reason scripts were skipped).
///
/// With --format pkt, each trace becomes two packetdrill scripts,
/// `<stem>-A.pkt` and `<stem>-B.pkt` (the stem its JSON file would have):
/// in each the stack under test plays that host and the script plays the
/// other, so real packetdrill can run it against a Linux kernel. A script
/// that cannot follow its trace to the end stops with a `// stop:` comment
/// saying why; a (trace, role) with nothing to check before that point is
/// skipped, and the summary lists the reasons. The book's packetdrill
/// chapter documents the mapping.
#[derive(clap::Args, Debug)]
#[command(
    group(ArgGroup::new("paths").required(true).args(["depth", "cover", "random", "scenarios"])),
    after_help = "\
Examples:
  synfin export --preset quick --depth 5 --out traces/depth5
  synfin export --preset quick --cover transitions --out traces/cover
  synfin export --random 500 --seed 7 --retries 2 --out traces/random
  synfin export --scenarios --out traces/scenarios
  synfin export --preset quick --scenarios --format pkt --out pkt/scenarios

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
    /// What to write: `json`, the traces themselves (synfin-trace/1), or
    /// `pkt`, packetdrill scripts, `<stem>-A.pkt` and `<stem>-B.pkt` per
    /// trace, the stack under test playing that host.
    #[arg(long, value_name = "FORMAT", default_value = "json", value_parser = ["json", "pkt"])]
    format: String,
    /// Print one JSON summary object (traces, steps, keys, seconds, preset,
    /// profile, origin; with --format pkt also scripts, stopped and skipped,
    /// each skipped script with its reason) instead of a line of text.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    budgets: Budgets,
}

/// Run `synfin export`.
pub fn run(args: Args) -> ExitCode {
    let mut cfg = Config::new(args.preset, args.profile, None);
    args.budgets.apply(&mut cfg);
    if cfg.time_wait_reopen {
        return crate::usage(
            "export",
            "traces of a world with --time-wait-reopen are not exported: a trace's replayer drives one TCB, and MAY-2 needs a listener that outlives TIME-WAIT",
        );
    }
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
    if args.format == "pkt" {
        let named: Vec<(String, &Trace)> = traces.iter().map(|t| (pkt::hash_stem(t), t)).collect();
        let files = named.iter().map(|(s, _)| s).collect::<HashSet<_>>().len();
        return match pkt::write(&args.out, &named) {
            Ok(e) => {
                let keys = cover.as_ref().map(|c| c.keys.len());
                summary(&cfg, &args, origin, files, steps, keys, Some(&e), start);
                ExitCode::SUCCESS
            }
            Err(e) => cannot(e),
        };
    }
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
    summary(&cfg, &args, origin, files, steps, keys, None, start);
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
    let cannot = |e: std::io::Error| {
        usage(
            "export",
            &format!("cannot write {}: {e}", args.out.display()),
        )
    };
    let steps = traces.iter().map(|(_, t)| t.steps.len()).sum();
    let mut scripts = None;
    if args.format == "pkt" {
        let named: Vec<(String, &Trace)> = traces.iter().map(|(n, t)| (n.to_string(), t)).collect();
        match pkt::write(&args.out, &named) {
            Ok(e) => scripts = Some(e),
            Err(e) => return cannot(e),
        }
    } else if let Err(e) = trace::write_named(&args.out, &traces) {
        return cannot(e);
    }
    summary(
        cfg,
        args,
        "scenario",
        traces.len(),
        steps,
        None,
        scripts.as_ref(),
        start,
    );
    ExitCode::SUCCESS
}

#[allow(clippy::too_many_arguments)]
fn summary(
    cfg: &Config,
    args: &Args,
    origin: &str,
    files: usize,
    steps: usize,
    keys: Option<usize>,
    scripts: Option<&pkt::Export>,
    start: Instant,
) {
    let secs = start.elapsed().as_secs_f64();
    if args.json {
        let mut v = serde_json::json!({"traces": files, "steps": steps, "keys": keys, "seconds": secs,
            "preset": cfg.preset.name(), "profile": cfg.profile.name(), "origin": origin});
        if let Some(e) = scripts {
            let skipped: Vec<_> = e
                .skipped
                .iter()
                .map(|(f, r)| serde_json::json!({"script": f, "reason": r}))
                .collect();
            v["scripts"] = e.scripts.into();
            v["stopped"] = e.stopped.into();
            v["skipped"] = skipped.into();
        }
        println!("{v}");
    } else if let Some(e) = scripts {
        println!(
            "{} packetdrill scripts ({} stop early), {} skipped, from {files} traces{} ({origin}, preset {}, profile {}) in {secs:.1} s -> {}",
            e.scripts,
            e.stopped,
            e.skipped.len(),
            keys.map(|k| format!(" taking {k} transition keys"))
                .unwrap_or_default(),
            cfg.preset,
            cfg.profile,
            args.out.display()
        );
        // The reasons, most frequent first, with a script that shows each.
        let mut by: BTreeMap<String, Vec<(&str, &str)>> = BTreeMap::new();
        for (f, r) in &e.skipped {
            by.entry(reason_class(r)).or_default().push((f, r));
        }
        let mut by: Vec<_> = by.into_values().collect();
        by.sort_by(|x, y| y.len().cmp(&x.len()).then(x[0].1.cmp(y[0].1)));
        for fs in by {
            let (f, r) = fs[0];
            println!("  skipped {:>4} like {f}: {r}", fs.len());
        }
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

/// A skip reason without the segments and numbers it names, so that
/// reasons group.
fn reason_class(r: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in r.chars() {
        match c {
            '<' => depth += 1,
            '>' if depth > 0 => depth -= 1,
            _ if depth > 0 || c.is_ascii_digit() => {}
            _ => out.push(c),
        }
    }
    out
}
