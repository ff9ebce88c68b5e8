//! `synfin-tcp`: synfin-tcp against the Linux kernel's TCP, over a TUN
//! device in a private network namespace.
//!
//! Exit status: 0 success, 1 an exchange did not behave as RFC 9293 says
//! (or a connection failed), 2 bad usage or a missing capability.

use std::net::SocketAddrV4;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[cfg(target_os = "linux")]
use synfin_linux::driver::EndpointStack;
#[cfg(target_os = "linux")]
use synfin_linux::sys::{caps, netns};
#[cfg(target_os = "linux")]
use synfin_linux::{bench, demo, interactive};

const AFTER_HELP: &str = "\
Requirements: Linux, root (CAP_SYS_ADMIN and CAP_NET_ADMIN) and /dev/net/tun.
Without them every command exits with status 2 and says what is missing.

`demo` and `bench` create a private network namespace of their own (unshare)
with a TUN device synfin0: the kernel is 10.0.0.1, synfin-tcp is 10.0.0.2.
Nothing touches the host's network; the namespace vanishes on exit.

`connect` and `listen` are for trying by hand, in a namespace you made:
  unshare --net bash
  nc -l -p 7000 &                   # a kernel listener
  synfin-tcp connect 10.0.0.1:7000  # type lines; Ctrl-D closes
or
  synfin-tcp listen 8000 &
  nc 10.0.0.2 8000                  # the kernel connects to synfin-tcp

Exit status: 0 success; 1 an exchange broke RFC 9293 or a connection
failed; 2 bad usage or missing capability.";

/// synfin-tcp, an RFC 9293 TCP in user space, talking to the Linux kernel's
/// TCP over a TUN device in a private network namespace.
#[derive(Debug, Parser)]
#[command(name = "synfin-tcp", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run five real exchanges with the kernel and judge each against
    /// RFC 9293: synfin-tcp closes first; the kernel closes first
    /// (CLOSE-WAIT, LAST-ACK); the kernel connects; simultaneous open;
    /// simultaneous close. Exits 0 only if all five pass.
    Demo {
        /// Print one JSON object (with one object per exchange) instead of
        /// diagrams.
        #[arg(long)]
        json: bool,
        /// Run only these exchanges (active-close, passive-close,
        /// kernel-connects, simultaneous-open, simultaneous-close).
        #[arg(long = "only", value_name = "NAME", value_parser = parse_exchange)]
        only: Vec<demo::Exchange>,
    },
    /// Measure kernel exchanges per second: connect, 64 bytes each way,
    /// close, in a loop.
    Bench {
        /// How many exchanges.
        #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=40000))]
        exchanges: u32,
        /// Print one JSON object.
        #[arg(long)]
        json: bool,
    },
    /// Connect to HOST:PORT (the kernel, e.g. 10.0.0.1:7000) from the
    /// current namespace, which must be one you created (`unshare --net`).
    /// Sends standard input, prints what arrives; end of input closes.
    Connect {
        /// The kernel's address and port, in 10.0.0.0/24.
        #[arg(value_name = "HOST:PORT")]
        remote: SocketAddrV4,
        /// synfin-tcp's local port (default: an ephemeral one).
        #[arg(long, default_value_t = 0)]
        from_port: u16,
    },
    /// Listen on PORT at 10.0.0.2 in the current namespace, which must be
    /// one you created (`unshare --net`), and serve one connection.
    Listen {
        /// The port to listen on.
        #[arg(value_parser = clap::value_parser!(u16).range(1..))]
        port: u16,
    },
}

#[cfg(target_os = "linux")]
fn parse_exchange(s: &str) -> Result<demo::Exchange, String> {
    demo::Exchange::ALL
        .into_iter()
        .find(|e| e.name() == s)
        .ok_or_else(|| {
            let names: Vec<_> = demo::Exchange::ALL.iter().map(|e| e.name()).collect();
            format!("unknown exchange {s:?}; one of: {}", names.join(", "))
        })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    run(cli)
}

#[cfg(not(target_os = "linux"))]
fn run(_cli: Cli) -> ExitCode {
    eprintln!("synfin-tcp: the kernel driver needs Linux (TUN devices and network namespaces)");
    ExitCode::from(2)
}

#[cfg(target_os = "linux")]
fn usage(msg: impl std::fmt::Display) -> ExitCode {
    eprintln!("{msg}");
    ExitCode::from(2)
}

#[cfg(target_os = "linux")]
fn run(cli: Cli) -> ExitCode {
    let name = match &cli.command {
        Command::Demo { .. } => "demo",
        Command::Bench { .. } => "bench",
        Command::Connect { .. } => "connect",
        Command::Listen { .. } => "listen",
    };
    // Bad arguments first: they are wrong whatever the privileges.
    if let Command::Connect { remote, .. } = &cli.command {
        if let Err(e) = interactive::check_remote(*remote) {
            return usage(format!("synfin-tcp connect: {e}"));
        }
    }
    let creates_netns = matches!(cli.command, Command::Demo { .. } | Command::Bench { .. });
    let missing = caps::missing_for(&caps::probe(), creates_netns);
    if !missing.is_empty() {
        return usage(caps::message(name, &missing));
    }
    match cli.command {
        Command::Demo { json, only } => run_demo(json, only),
        Command::Bench { exchanges, json } => run_bench(exchanges as usize, json),
        Command::Connect { remote, from_port } => {
            run_interactive("connect", interactive::Open::Connect(remote, from_port))
        }
        Command::Listen { port } => run_interactive("listen", interactive::Open::Listen(port)),
    }
}

/// The stack the binary runs: the synfin-tcp endpoint with an RFC 6528 ISN.
#[cfg(target_os = "linux")]
fn stack() -> EndpointStack {
    EndpointStack::new()
}

#[cfg(target_os = "linux")]
fn setup_failure(name: &str, e: &netns::NetnsError) -> ExitCode {
    let code = if e.is_missing_capability() || matches!(e, netns::NetnsError::HostNamespace) {
        2
    } else {
        1
    };
    eprintln!("synfin-tcp {name}: {e}");
    ExitCode::from(code)
}

#[cfg(target_os = "linux")]
fn run_demo(json: bool, only: Vec<demo::Exchange>) -> ExitCode {
    let exchanges: Vec<demo::Exchange> = if only.is_empty() {
        demo::Exchange::ALL.to_vec()
    } else {
        only
    };
    let start = std::time::Instant::now();
    let mut outcomes = Vec::new();
    for (i, ex) in exchanges.iter().enumerate() {
        match demo::run(*ex, stack) {
            Ok(o) => {
                if !json {
                    println!("{}", demo::render(i + 1, exchanges.len(), &o));
                }
                outcomes.push(o);
            }
            Err(e) => return setup_failure("demo", &e),
        }
    }
    let passed = outcomes.iter().filter(|o| o.passed).count();
    let all = passed == outcomes.len();
    if json {
        let report = demo::Report {
            passed: all,
            exchanges_passed: passed,
            exchanges_total: outcomes.len(),
            seconds: start.elapsed().as_secs_f64(),
            exchanges: &outcomes,
        };
        match serde_json::to_string_pretty(&report) {
            Ok(s) => println!("{s}"),
            Err(e) => {
                eprintln!("synfin-tcp demo: cannot encode the report: {e}");
                return ExitCode::from(1);
            }
        }
    } else {
        println!(
            "demo: {passed} of {} exchanges behave as RFC 9293 says{}",
            outcomes.len(),
            if all { "" } else { " (see FAIL above)" }
        );
    }
    if all {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

#[cfg(target_os = "linux")]
fn run_bench(n: usize, json: bool) -> ExitCode {
    match netns::in_private_netns(move |net| bench::bench_in(net, stack(), n)) {
        Err(e) => setup_failure("bench", &e),
        Ok(Err(e)) => {
            eprintln!("synfin-tcp bench: {e}");
            ExitCode::from(1)
        }
        Ok(Ok(r)) => {
            if json {
                println!("{}", serde_json::to_string(&r).unwrap_or_default());
            } else {
                println!(
                    "bench: {} kernel exchanges (connect, 64 bytes each way, close) in {:.3} s: \
                     {:.0} exchanges/s, {:.1} µs each, {} segments",
                    r.exchanges,
                    r.seconds,
                    r.per_second,
                    r.seconds * 1e6 / r.exchanges as f64,
                    r.segments
                );
                if let (Some(cpu), Some(rate)) = (r.cpu_seconds, r.per_cpu_second) {
                    println!(
                        "bench: on-CPU {cpu:.3} s of the driving thread (kernel TCP included): \
                         {rate:.0} exchanges per CPU-second"
                    );
                }
            }
            ExitCode::SUCCESS
        }
    }
}

#[cfg(target_os = "linux")]
fn run_interactive(name: &str, open: interactive::Open) -> ExitCode {
    let net = match netns::configure_current_netns() {
        Ok(net) => net,
        Err(e) => return setup_failure(name, &e),
    };
    match interactive::run(net, stack(), open) {
        Ok(()) => ExitCode::SUCCESS,
        Err(interactive::Failure::Usage(e)) => usage(format!("synfin-tcp {name}: {e}")),
        Err(interactive::Failure::Connection(e)) => {
            eprintln!("synfin-tcp {name}: {e}");
            ExitCode::from(1)
        }
    }
}
