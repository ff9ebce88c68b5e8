//! `synfin`: check the TCP connection-management model, draw its examples
//! and counterexamples, export conformance traces, list what it knows.
//!
//! One module per command; each parses its arguments, calls the library
//! and prints. Exit codes: 0 everything holds (or the command did what it
//! was asked), 1 a property is violated or a scenario unreachable, 2 bad
//! usage or input; `check` adds 3 (stopped at `--max-memory`), 4 (a
//! process of a timely run could not connect or failed) and 130 (stopped
//! by Ctrl-C).

mod args;
mod check;
mod explore;
mod export;
mod launch;
mod list;
mod progress;
mod show;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "synfin",
    version,
    about = "A model-checked TCP connection-management model (RFC 9293)",
    long_about = "A model-checked TCP connection-management model (RFC 9293).\n\n\
        Two hosts, A and B, open, use and close connections over a network that may \
        lose, duplicate and reorder segments. `synfin check` visits every reachable \
        state and checks safety properties (nothing bad happens) and scenarios (the \
        textbook situations happen); `show` and `explain` draw them as sequence diagrams.",
    after_help = "\
Start here:
  synfin list                        what is checked, and the names the other commands take
  synfin show three-way-handshake    a scenario as a sequence diagram
  synfin explain no-time-wait        why TIME-WAIT exists: the counterexample without it
  synfin check --preset quick        a whole world checked in seconds

Exit status: 0 holds, 1 violated (or a scenario unreachable), 2 bad usage or input;
check: 3 stopped at --max-memory, 4 a timely process could not connect or failed,
130 stopped by Ctrl-C."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    Check(check::Args),
    Show(show::ShowArgs),
    Explain(show::ExplainArgs),
    Export(export::Args),
    Explore(explore::Args),
    List(list::Args),
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
        Command::Check(args) => check::run(args),
        Command::Show(args) => show::show(args),
        Command::Explain(args) => show::explain(args),
        Command::Export(args) => export::run(args),
        Command::Explore(args) => explore::run(args),
        Command::List(args) => list::run(args),
    }
}

/// Print `msg` as `synfin <command>: msg` and return exit code 2.
fn usage(command: &str, msg: &str) -> ExitCode {
    eprintln!("synfin {command}: {msg}");
    ExitCode::from(2)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::Cli;

    /// Someone who has not read the book gets help for every command and
    /// every flag, and an example for every command.
    #[test]
    fn every_command_and_flag_has_help() {
        let cli = Cli::command();
        cli.clone().debug_assert();
        for cmd in cli.get_subcommands() {
            let name = cmd.get_name();
            assert!(cmd.get_about().is_some(), "{name} has no help");
            let after = cmd
                .get_after_help()
                .map(|h| h.to_string())
                .unwrap_or_default();
            assert!(after.contains("synfin "), "{name} has no example");
            for arg in cmd.get_arguments() {
                let id = arg.get_id().as_str();
                if id == "help" || id == "version" {
                    continue;
                }
                assert!(
                    arg.get_help().is_some() || arg.get_long_help().is_some(),
                    "{name} --{id} has no help"
                );
            }
        }
    }
}
