//! `synfin show` and `synfin explain`: search for a path, then draw it.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::str::FromStr;

use synfin_model::diagram::{self, text, Format};
use synfin_model::properties::{self, Expectation};
use synfin_model::search::{self, Path};
use synfin_model::textbook::{self, Shape};
use synfin_model::{Config, Preset, Profile, Variant};

use crate::args::{parse, Budgets};
use crate::{progress, usage};

/// Draw an example of a scenario as a sequence diagram.
///
/// A scenario is a situation every correct TCP can reach, such as the
/// three-way handshake; `synfin list` names all eleven (time-wait-reopen
/// only with --time-wait-reopen, the option that allows it). The example is the
/// shortest path to it that needs no duplication, delay or crash, or
/// failing that the shortest path. The text diagram has A's lifeline on
/// the left and B's on the right, one row per step: `*connect` for an
/// application call, `==>` where a segment leaves, an arrow where it
/// arrives, `×` where it is lost, and each host's new state beside its
/// lifeline. Segments are numbered `[k]` in order of sending.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  synfin show three-way-handshake
  synfin show simultaneous-open --textbook          RFC 9293 Figure 7
  synfin show four-way-teardown --format svg > teardown.svg
  synfin show half-close --preset quick --format mermaid
  synfin show three-way-handshake --format pcapng --out handshake.pcapng

Exit status: 0 drawn, 1 no reachable state shows the scenario in this world,
2 bad usage (a scenario without the option it needs, or --format pcapng to
a terminal without --out), or an unwritable --out.")]
pub struct ShowArgs {
    #[arg(value_parser = diagram::scenario, help = one_of("scenario", &scenarios()))]
    scenario: &'static str,
    #[arg(long, help = textbook_short("scenario"), long_help = textbook_help("scenario"))]
    textbook: bool,
    /// Output: text (a diagram of at most 96 columns), svg (a picture),
    /// mermaid (a sequenceDiagram for Markdown), json (every step with
    /// both hosts and the segments in flight) or pcapng (a capture for
    /// Wireshark: an IPv4/TCP packet per segment sent, commented with its
    /// step and transition; binary, so it needs --out or a redirect).
    #[arg(long, default_value = "text", value_parser = parse::<Output>)]
    format: Output,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// World size: quick, default, deep or old-duplicates (`synfin list`
    /// describes each).
    #[arg(long, default_value = "default", value_parser = parse::<Preset>)]
    preset: Preset,
    /// Endpoint behaviour: rfc9293 or rfc793.
    #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
    profile: Profile,
    #[command(flatten)]
    budgets: Budgets,
}

/// Draw the counterexample of a broken design and say why it breaks.
///
/// A variant removes one safeguard of TCP, such as TIME-WAIT; `synfin list`
/// names them all. explain finds the shortest path on which the property the
/// variant exists to break fails, draws it, says at which step it fails,
/// and what the standard design does instead.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  synfin explain two-way-handshake
  synfin explain no-time-wait --textbook            the last ACK lost, as textbooks tell it
  synfin explain fixed-isn --format svg > fixed-isn.svg
  synfin explain no-time-wait --format pcapng --out no-time-wait.pcapng

Exit status: 0 drawn, 1 the variant breaks nothing in this world, 2 bad usage
(or --format pcapng to a terminal without --out), or an unwritable --out.")]
pub struct ExplainArgs {
    #[arg(value_parser = parse::<Variant>, help = one_of("variant", &Variant::ALL.iter().map(|v| v.name()).collect::<Vec<_>>()))]
    variant: Variant,
    #[arg(long, help = textbook_short("variant"), long_help = textbook_help("variant"))]
    textbook: bool,
    /// Output: text (the diagram with the property broken and the standard
    /// design's answer), svg, mermaid or json (the diagram alone), or
    /// pcapng (a capture for Wireshark, the violation named in the comments
    /// of the last step's packets; binary, so it needs --out or a redirect).
    #[arg(long, default_value = "text", value_parser = parse::<Output>)]
    format: Output,
    /// Write to FILE instead of standard output.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// World size: quick, default, deep or old-duplicates (`synfin list`
    /// describes each). [default: the variant's own preset: default, or
    /// old-duplicates for time-wait-one-msl]
    #[arg(long, value_parser = parse::<Preset>)]
    preset: Option<Preset>,
    /// Endpoint behaviour: rfc9293 or rfc793.
    #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
    profile: Profile,
    #[command(flatten)]
    budgets: Budgets,
}

/// What `--format` names: one of the diagrams, or the capture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// A diagram in one of the model's formats.
    Diagram(Format),
    /// A pcapng capture (binary).
    Pcapng,
}

impl Output {
    /// The diagram format, if it is one.
    fn diagram(self) -> Option<Format> {
        match self {
            Output::Diagram(f) => Some(f),
            Output::Pcapng => None,
        }
    }
}

impl fmt::Display for Output {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Output::Diagram(d) => d.fmt(f),
            Output::Pcapng => f.write_str("pcapng"),
        }
    }
}

impl FromStr for Output {
    type Err = String;
    fn from_str(s: &str) -> Result<Output, String> {
        if s == "pcapng" {
            return Ok(Output::Pcapng);
        }
        s.parse::<Format>().map(Output::Diagram).map_err(|_| {
            let names: Vec<&str> = Format::ALL.iter().map(|f| f.name()).collect();
            format!("unknown format `{s}`; valid: {}, pcapng", names.join(", "))
        })
    }
}

/// Refuse binary output to a terminal: `--format pcapng` needs `--out` or
/// a redirect. Checked before the search, which may take a while.
fn refuse_terminal(command: &str, format: Output, out: &Option<PathBuf>) -> Result<(), ExitCode> {
    if format == Output::Pcapng && out.is_none() && std::io::stdout().is_terminal() {
        return Err(usage(
            command,
            "--format pcapng writes a binary capture: give --out FILE or redirect standard output",
        ));
    }
    Ok(())
}

/// Write `bytes` to `out`, or to standard output.
fn emit(command: &str, bytes: &[u8], out: &Option<PathBuf>) -> ExitCode {
    let written = match out {
        Some(path) => {
            std::fs::write(path, bytes).map_err(|e| format!("cannot write {}: {e}", path.display()))
        }
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(bytes)
                .and_then(|()| stdout.flush())
                .map_err(|e| format!("cannot write standard output: {e}"))
        }
    };
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage(command, &e),
    }
}

/// "The scenario: a, b or c."
fn one_of(what: &str, names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => {
            format!("The {what}: {} or {last}", rest.join(", "))
        }
        _ => format!("The {what}: {}", names.join("")),
    }
}

/// Every scenario's name, in `synfin list` order.
fn scenarios() -> Vec<&'static str> {
    properties::ALL
        .iter()
        .filter(|p| p.expectation == Expectation::Sometimes)
        .map(|p| p.name)
        .collect()
}

/// The short help of `--textbook`.
fn textbook_short(kind: &str) -> String {
    format!(
        "Draw the shape a textbook figure draws instead of the shortest path (for {})",
        shaped(kind).join(", ")
    )
}

/// The long help of `--textbook`: the shapes there are, from
/// [`textbook::SHAPES`].
fn textbook_help(kind: &str) -> String {
    let names = shaped(kind);
    let mut help = format!(
        "Draw the shape a textbook figure draws instead of the shortest path: the shortest \
         path of the same model that does, in order, what the figure does, in the figure's \
         world (no data, ABORT or fault the figure does not show). Under a text diagram, a \
         legend gives the step at which the path does each thing. Where the figure needs more \
         than the preset allows, the search raises those budgets and the legend says which. \
         For {}:",
        names.join(", ")
    );
    for s in textbook::SHAPES.iter().filter(|s| names.contains(&s.name)) {
        help += &format!("\n  {} ({}): {}.", s.name, s.figure, s.about);
    }
    help
}

/// The names of the scenarios (`kind` "scenario") or variants with a
/// textbook shape.
fn shaped(kind: &str) -> Vec<&'static str> {
    textbook::SHAPES
        .iter()
        .filter(|s| (kind == "variant") == s.name.parse::<Variant>().is_ok())
        .map(|s| s.name)
        .collect()
}

/// The shape for `name`, or the usage error when it has none.
fn shape(command: &str, kind: &str, name: &str) -> Result<&'static Shape, ExitCode> {
    textbook::for_name(name).ok_or_else(|| {
        usage(
            command,
            &format!(
                "{name}: no textbook shape apart from its shortest path; \
                 --textbook works for {}",
                shaped(kind).join(", ")
            ),
        )
    })
}

/// Run `synfin show`.
pub fn show(args: ShowArgs) -> ExitCode {
    if let Err(code) = refuse_terminal("show", args.format, &args.out) {
        return code;
    }
    let mut cfg = Config::new(args.preset, args.profile, None);
    args.budgets.apply(&mut cfg);
    let name = args.scenario;
    if let Some(needs) = properties::by_name(name)
        .and_then(|p| p.needs)
        .filter(|n| !n.met(&cfg))
    {
        eprintln!(
            "synfin show: {name} needs {flag}: without it no state can show it (try `synfin show {name} {flag}`)",
            flag = needs.flag()
        );
        return ExitCode::from(2);
    }
    let (path, shape) = if args.textbook {
        let shape = match shape("show", "scenario", name) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let _spinner = progress::spinner(&format!("searching for {}'s shape", shape.figure));
        (textbook::search(&cfg, shape).map(|(p, _)| p), Some(shape))
    } else {
        let _spinner = progress::spinner(&format!("searching for an example of {name}"));
        (search::examples(&cfg, &[name]).remove(name), None)
    };
    let Some(path) = path else {
        let what = shape.map_or("no reachable state shows this scenario".to_string(), |s| {
            format!("no path has the shape of {}", s.figure)
        });
        eprintln!("{name}: {what} under preset {}", cfg.preset);
        return ExitCode::from(1);
    };
    let bytes = match args.format.diagram() {
        Some(format) => {
            let mut out = diagram::render(&path, format);
            if let (Some(shape), Format::Text) = (shape, format) {
                out += &legend(&cfg, shape, &path);
            }
            out.into_bytes()
        }
        None => {
            let how = shape.map_or("its shortest example".to_string(), |s| {
                format!("the shape of {}", s.figure)
            });
            let about = format!(
                "synfin show {name}: {how}, preset {}, profile {}",
                cfg.preset, cfg.profile
            );
            diagram::render_pcapng(&path, None, &about)
        }
    };
    emit("show", &bytes, &args.out)
}

/// Run `synfin explain`.
pub fn explain(args: ExplainArgs) -> ExitCode {
    if let Err(code) = refuse_terminal("explain", args.format, &args.out) {
        return code;
    }
    let v = args.variant;
    let preset = args.preset.unwrap_or(v.preset());
    let mut cfg = Config::new(preset, args.profile, Some(v));
    args.budgets.apply(&mut cfg);
    let prop = v.breaks();
    let mut how = if args.textbook {
        "textbook-shaped counterexample".to_string()
    } else {
        "shortest counterexample".to_string()
    };
    how += &format!(", preset {}", cfg.preset);
    if args.budgets.any() {
        how += " with other budgets";
    }
    let (path, shape): (Option<Path>, _) = if args.textbook {
        let shape = match shape("explain", "variant", v.name()) {
            Ok(s) => s,
            Err(code) => return code,
        };
        let _spinner = progress::spinner(&format!("searching for {}'s shape", shape.figure));
        (textbook::search(&cfg, shape).map(|(p, _)| p), Some(shape))
    } else {
        let _spinner =
            progress::spinner(&format!("searching for the shortest path breaking {prop}"));
        (search::shortest(&cfg, &[prop]).remove(prop), None)
    };
    let Some(path) = path else {
        eprintln!(
            "variant {v}: no counterexample to {prop}{} under preset {}",
            shape.map_or(String::new(), |s| format!(
                " with the shape of {}",
                s.figure
            )),
            cfg.preset
        );
        return ExitCode::from(1);
    };
    let bytes = match args.format.diagram() {
        Some(format) => {
            let mut out = diagram::explain(v, cfg.profile, &path, &how, format);
            if let (Some(shape), Format::Text) = (shape, format) {
                out += &legend(&cfg, shape, &path);
            }
            out.into_bytes()
        }
        None => {
            let about = format!(
                "synfin explain {v}: {}; {how}, profile {}",
                v.about(),
                cfg.profile
            );
            diagram::render_pcapng(&path, Some((path.len() - 1, prop)), &about)
        }
    };
    emit("explain", &bytes, &args.out)
}

/// Under a textbook-shaped diagram: the figure, the budgets it needs
/// beyond `cfg`'s, and the step at which the path does each thing the
/// figure does.
fn legend(cfg: &Config, shape: &Shape, path: &Path) -> String {
    let mut out = String::from("\n");
    let mut about = format!("textbook shape, as in {}: {}.", shape.figure, shape.about);
    let raised = textbook::raised(cfg, shape);
    if !raised.is_empty() {
        about += &format!(
            " The figure needs more than preset {} allows; it was searched for with {}.",
            cfg.preset,
            raised.join(" ")
        );
    }
    out += &diagram::wrap(&about, text::WIDTH - 4);
    let steps = textbook::passes(shape, path).unwrap_or_default();
    for (m, step) in shape.milestones.iter().zip(steps) {
        out += &format!("  step {step:>2}: {}\n", m.what);
    }
    out
}
