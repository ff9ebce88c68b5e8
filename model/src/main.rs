//! `synfin`: check the TCP connection-management model, list what it knows.
//!
//! Exit codes: 0 everything holds, 1 a property is violated (or a scenario
//! unreachable), 2 bad usage.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use serde_json::json;
use synfin_model::check::{self, Report};
use synfin_model::diagram::{self, Format};
use synfin_model::properties::{self, Expectation};
use synfin_model::{render, Config, Preset, Profile, Variant};

#[derive(Parser)]
#[command(
    name = "synfin",
    version,
    about = "A model-checked TCP connection-management model (RFC 9293)"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check every property exhaustively; print a verdict table and, for a
    /// violation, the shortest counterexample.
    Check {
        /// World size: quick, default or deep.
        #[arg(long, default_value = "default", value_parser = parse::<Preset>)]
        preset: Preset,
        /// Endpoint behaviour: rfc9293 (with RFC 5961 and 1337) or rfc793.
        #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
        profile: Profile,
        /// Check a deliberately broken design instead (see `synfin list`).
        #[arg(long, value_parser = parse::<Variant>)]
        variant: Option<Variant>,
        /// Checker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        #[command(flatten)]
        budgets: Budgets,
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Write conformance traces (synfin-trace/1), one file per trace.
    Export(synfin_model::trace::ExportArgs),
    /// Draw an example of a scenario (see `synfin list`): the shortest that
    /// needs no duplication, delay or crash, else the shortest.
    Show {
        /// A scenario name, e.g. three-way-handshake.
        #[arg(value_parser = synfin_model::diagram::scenario)]
        scenario: &'static str,
        /// text, svg, mermaid or json.
        #[arg(long, default_value = "text", value_parser = parse::<Format>)]
        format: Format,
        /// World size: quick, default or deep.
        #[arg(long, default_value = "default", value_parser = parse::<Preset>)]
        preset: Preset,
        /// Endpoint behaviour: rfc9293 or rfc793.
        #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
        profile: Profile,
    },
    /// Draw the shortest counterexample of a broken design, and say why.
    Explain {
        /// A variant name, e.g. two-way-handshake.
        #[arg(value_parser = parse::<Variant>)]
        variant: Variant,
        /// text, svg, mermaid or json.
        #[arg(long, default_value = "text", value_parser = parse::<Format>)]
        format: Format,
        /// Endpoint behaviour: rfc9293 or rfc793.
        #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
        profile: Profile,
    },
    /// Serve the stateright Explorer with sequence diagrams.
    Explore {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:3000")]
        addr: std::net::SocketAddr,
        /// World size (quick by default: the Explorer keeps every state in memory).
        #[arg(long, default_value = "quick", value_parser = parse::<Preset>)]
        preset: Preset,
        /// Endpoint behaviour: rfc9293 or rfc793.
        #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
        profile: Profile,
        /// Explore a deliberately broken design instead.
        #[arg(long, value_parser = parse::<Variant>)]
        variant: Option<Variant>,
    },
    /// List properties, scenarios, variants, presets and profiles.
    List {
        /// Print one JSON object instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// Override the preset's budgets.
#[derive(clap::Args)]
struct Budgets {
    /// OPEN calls per host (incarnations).
    #[arg(long)]
    opens: Option<u8>,
    /// Segments the network may lose.
    #[arg(long)]
    losses: Option<u8>,
    /// Segments the network may duplicate.
    #[arg(long)]
    dups: Option<u8>,
    /// Segments the network may hold past a tick.
    #[arg(long)]
    delays: Option<u8>,
    /// ABORT calls.
    #[arg(long)]
    aborts: Option<u8>,
    /// Host crashes.
    #[arg(long)]
    crashes: Option<u8>,
    /// Retransmissions before a connection gives up.
    #[arg(long)]
    retries: Option<u8>,
}

impl Budgets {
    fn apply(&self, cfg: &mut Config) {
        let set = |field: &mut u8, v: Option<u8>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set(&mut cfg.opens, self.opens);
        set(&mut cfg.losses, self.losses);
        set(&mut cfg.dups, self.dups);
        set(&mut cfg.delays, self.delays);
        set(&mut cfg.aborts, self.aborts);
        set(&mut cfg.crashes, self.crashes);
        set(&mut cfg.retries, self.retries);
    }
}

fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// The checker's visited set grows to hundreds of megabytes read at random,
/// and page-table walks are a good part of each lookup. glibc backs its heap
/// with transparent huge pages only when asked before the process starts
/// (`glibc.malloc.hugetlb=1`), so re-execute once with the tunable set: 12%
/// off `default` with a duplicate (58.8 s -> 50.1 s). A `GLIBC_TUNABLES`
/// already set is respected; if exec fails, carry on with small pages.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn with_huge_pages() {
    use std::os::unix::process::CommandExt;
    if std::env::var_os("GLIBC_TUNABLES").is_some() {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let mut args = std::env::args_os();
    let arg0 = args.next().unwrap_or_else(|| exe.clone().into_os_string());
    let _ = std::process::Command::new(&exe)
        .arg0(arg0)
        .args(args)
        .env("GLIBC_TUNABLES", "glibc.malloc.hugetlb=1")
        .exec();
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn with_huge_pages() {}

fn main() -> ExitCode {
    with_huge_pages();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check {
            preset,
            profile,
            variant,
            threads,
            budgets,
            json,
        } => {
            let mut cfg = Config::new(preset, profile, variant);
            budgets.apply(&mut cfg);
            let threads = threads
                .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
            if !json {
                eprintln!(
                    "checking preset {preset}, profile {profile}{} on {threads} threads",
                    variant
                        .map(|v| format!(", variant {v}"))
                        .unwrap_or_default()
                );
            }
            let report = check::check(&cfg, threads, !json);
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&report_json(&cfg, &report)).expect("json")
                );
            } else {
                print!("{}", report_text(&cfg, &report));
            }
            ExitCode::from(if report.ok() { 0 } else { 1 })
        }
        Command::Show {
            scenario,
            format,
            preset,
            profile,
        } => match diagram::show(&Config::new(preset, profile, None), scenario, format) {
            Some(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "{scenario}: no reachable state shows this scenario under preset {preset}"
                );
                ExitCode::from(1)
            }
        },
        Command::Explain {
            variant,
            format,
            profile,
        } => match diagram::explain(variant, profile, format) {
            Some(out) => {
                print!("{out}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!(
                    "variant {variant}: no counterexample to {}",
                    variant.breaks()
                );
                ExitCode::from(1)
            }
        },
        Command::Explore {
            addr,
            preset,
            profile,
            variant,
        } => {
            let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
            match synfin_model::explore::run(&Config::new(preset, profile, variant), addr, threads)
            {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("synfin explore: {e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Export(args) => synfin_model::trace::run_export(&args),
        Command::List { json } => {
            if json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&list_json()).expect("json")
                );
            } else {
                print!("{}", list_text());
            }
            ExitCode::SUCCESS
        }
    }
}

fn report_text(cfg: &Config, r: &Report) -> String {
    let mut out = format!(
        "{} unique states ({} generated), max depth {}, {:.1} s (+{:.1} s for shortest paths)\n\n",
        r.unique_states, r.states, r.max_depth, r.seconds, r.shortest_seconds
    );
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
        let verdict = match (v.expectation, v.holds) {
            (Expectation::Always, true) => "holds",
            (Expectation::Always, false) => "VIOLATED",
            (Expectation::Sometimes, true) => "reached",
            (Expectation::Sometimes, false) => "MISSED",
        };
        let len = v
            .path
            .as_ref()
            .map(|p| format!("{} steps", p.len() - 1))
            .unwrap_or_default();
        out += &format!("{:<24} {:<10} {:<9} {}\n", v.name, kind, verdict, len);
    }
    for v in r.verdicts.iter().filter(|v| !v.holds) {
        match (&v.path, v.expectation) {
            (Some(path), _) => {
                out += &format!(
                    "\n{} violated: shortest counterexample, {} steps\n",
                    v.name,
                    path.len() - 1
                );
                out += &diagram::render_marked(path, Format::Text, Some((path.len() - 1, v.name)));
                out += "\nstep by step, with both endpoints and the network after each step:\n";
                out += &render::steps(path);
            }
            (None, _) => out += &format!("\n{}: no reachable state shows this scenario\n", v.name),
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

fn report_json(cfg: &Config, r: &Report) -> serde_json::Value {
    json!({
        "preset": cfg.preset.name(),
        "profile": cfg.profile.name(),
        "variant": cfg.variant.map(|v| v.name()),
        "unique_states": r.unique_states,
        "states": r.states,
        "max_depth": r.max_depth,
        "seconds": r.seconds,
        "ok": r.ok(),
        "properties": r.verdicts.iter().map(|v| json!({
            "name": v.name,
            "expectation": match v.expectation { Expectation::Always => "always", Expectation::Sometimes => "sometimes" },
            "holds": v.holds,
            "trace_length": v.path.as_ref().map(|p| p.len() - 1),
            "trace": v.path.as_ref().map(|p| p.iter().filter_map(|(_, a)| a.map(|a| render::action(&a))).collect::<Vec<_>>()),
        })).collect::<Vec<_>>(),
    })
}

fn list_text() -> String {
    let mut out = String::from("Safety properties (always):\n");
    for p in properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Always)
    {
        out += &format!("  {:<24} {} [{}]\n", p.name, p.statement, p.reference);
    }
    out += "\nScenarios (sometimes):\n";
    for p in properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
    {
        out += &format!("  {:<24} {} [{}]\n", p.name, p.statement, p.reference);
    }
    out += "\nVariants (broken designs):\n";
    for v in Variant::ALL {
        out += &format!("  {:<24} {}; breaks {}\n", v.name(), v.about(), v.breaks());
    }
    out += "\nPresets:\n";
    for p in Preset::ALL {
        out += &format!("  {:<24} {}\n", p.name(), p.about());
    }
    out += "\nProfiles:\n";
    for p in Profile::ALL {
        out += &format!("  {:<24} {}\n", p.name(), p.about());
    }
    out
}

fn list_json() -> serde_json::Value {
    let props = |e: Expectation| {
        properties::ALL
            .iter()
            .filter(|p| p.expectation == e)
            .map(|p| json!({"name": p.name, "statement": p.statement, "reference": p.reference}))
            .collect::<Vec<_>>()
    };
    json!({
        "properties": props(Expectation::Always),
        "scenarios": props(Expectation::Sometimes),
        "variants": Variant::ALL.iter().map(|v| json!({"name": v.name(), "change": v.about(), "breaks": v.breaks()})).collect::<Vec<_>>(),
        "presets": Preset::ALL.iter().map(|p| json!({"name": p.name(), "about": p.about()})).collect::<Vec<_>>(),
        "profiles": Profile::ALL.iter().map(|p| json!({"name": p.name(), "about": p.about()})).collect::<Vec<_>>(),
    })
}
