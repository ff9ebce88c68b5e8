//! `synfin explore`: the stateright Explorer in a browser.

use std::process::ExitCode;

use synfin_model::{explore, Config, Preset, Profile, Variant};

use crate::args::{parse, positive, Budgets};
use crate::usage;

/// Serve the stateright Explorer, with sequence diagrams, in a browser.
///
/// Open the printed address to step through the model's states: each
/// state lists the actions enabled in it and draws the path so far as a
/// sequence diagram. The whole world is checked in the background, and
/// stdout lists a link to the shortest path to each scenario and to each
/// violated property as it is found. Runs until interrupted (Ctrl-C).
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Examples:
  synfin explore                          http://127.0.0.1:3000/, preset quick
  synfin explore --variant two-way-handshake --addr 0.0.0.0:8080

Exit status: 2 when the address cannot be listened on (e.g. a port in use).")]
pub struct Args {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:3000")]
    addr: std::net::SocketAddr,
    /// World size (quick by default: the Explorer keeps every state in
    /// memory, and default has tens of millions).
    #[arg(long, default_value = "quick", value_parser = parse::<Preset>)]
    preset: Preset,
    /// Endpoint behaviour: rfc9293 or rfc793.
    #[arg(long, default_value = "rfc9293", value_parser = parse::<Profile>)]
    profile: Profile,
    /// Explore a deliberately broken design instead (`synfin list` names
    /// them).
    #[arg(long, value_parser = parse::<Variant>)]
    variant: Option<Variant>,
    /// Checker threads [default: one per core].
    #[arg(long, value_name = "N", value_parser = positive)]
    threads: Option<usize>,
    #[command(flatten)]
    budgets: Budgets,
}

/// Run `synfin explore`: returns only if the address is unusable.
pub fn run(args: Args) -> ExitCode {
    let mut cfg = Config::new(args.preset, args.profile, args.variant);
    args.budgets.apply(&mut cfg);
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    match explore::run(&cfg, args.addr, threads) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => usage("explore", &e),
    }
}
