//! Arguments several commands share: the budgets that override a preset's,
//! and parsers that turn a bad value into a clap error (exit code 2) naming
//! the valid ones.

use clap::builder::{RangedU64ValueParser, TypedValueParser};
use synfin_model::{Config, Preset, Profile};

/// The budgets of the world, each overriding the preset's value. Flattened
/// into every command that builds a world, so `--retries` means the same
/// to `check`, `show`, `explain`, `export` and `explore`.
#[derive(clap::Args, Debug, Default)]
#[command(next_help_heading = "Budgets (each overrides the preset's value)")]
pub struct Budgets {
    #[arg(long, value_name = "N", value_parser = budget(3), help = help(
        "OPEN calls each host's application may make: its incarnations (0-3)",
        |c| c.opens,
    ))]
    opens: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(3), help = help(
        "Data bytes A's application may send per incarnation (0-3)",
        |c| c.bytes[0],
    ))]
    bytes_a: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(3), help = help(
        "Data bytes B's application may send per incarnation (0-3)",
        |c| c.bytes[1],
    ))]
    bytes_b: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "Segments the network may lose",
        |c| c.losses,
    ))]
    losses: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "Segments the network may duplicate (one copy arrives, one stays in flight)",
        |c| c.dups,
    ))]
    dups: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "Segments of any kind, bare ACK and RST too, the network may hold past a tick (they die at MSL)",
        |c| c.delays,
    ))]
    delays: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "ABORT calls the applications may make: A's in ESTABLISHED, or with --abort-anywhere either host's in any state",
        |c| c.aborts,
    ))]
    aborts: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "Host crashes: the TCB is lost, then MSL of quiet time",
        |c| c.crashes,
    ))]
    crashes: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(255), help = help(
        "Segments an off-path attacker may forge into a synchronized connection: a RST, SYN or data segment below, inside or above the window, never at RCV.NXT itself",
        |c| c.injections,
    ))]
    injections: Option<u8>,
    #[arg(long, value_name = "N", value_parser = budget(7), help = help(
        "Retransmissions of a SYN, byte or FIN before the connection gives up (R2); the timeout doubles each time (0-7)",
        |c| c.retries,
    ))]
    retries: Option<u8>,
    #[arg(
        long,
        help = "Either host's application may ABORT in any state with a TCB (RFC 9293 §3.10.5), not only A's in ESTABLISHED [presets: on in applications]"
    )]
    abort_anywhere: bool,
    #[arg(
        long,
        help_heading = "Profile options",
        help = "RFC 9293 §3.6.1 MAY-2: TIME-WAIT accepts a SYN above the old incarnation's numbers as a new connection, with an ISS above the old ones, and returns to TIME-WAIT if that handshake fails [off in every preset]"
    )]
    time_wait_reopen: bool,
    #[arg(
        long,
        help_heading = "Profile options",
        help = "No reopen gate: a host may OPEN again as soon as its last incarnation is gone, its ISN clock taken to have run a window past the numbers that incarnation used (RFC 9293 §3.4.1's assumption), instead of waiting for the clock to get there; worlds with two OPENs grow thirty to several hundred times [off in every preset]"
    )]
    reopen_at_once: bool,
}

impl Budgets {
    /// Set every budget given on the command line.
    pub fn apply(&self, cfg: &mut Config) {
        let set = |field: &mut u8, v: Option<u8>| {
            if let Some(v) = v {
                *field = v;
            }
        };
        set(&mut cfg.opens, self.opens);
        set(&mut cfg.bytes[0], self.bytes_a);
        set(&mut cfg.bytes[1], self.bytes_b);
        set(&mut cfg.losses, self.losses);
        set(&mut cfg.dups, self.dups);
        set(&mut cfg.delays, self.delays);
        set(&mut cfg.aborts, self.aborts);
        set(&mut cfg.crashes, self.crashes);
        set(&mut cfg.injections, self.injections);
        set(&mut cfg.retries, self.retries);
        cfg.abort_anywhere |= self.abort_anywhere;
        cfg.time_wait_reopen |= self.time_wait_reopen;
        cfg.reopen_at_once |= self.reopen_at_once;
    }

    /// Some budget was given.
    pub fn any(&self) -> bool {
        [
            self.opens,
            self.bytes_a,
            self.bytes_b,
            self.losses,
            self.dups,
            self.delays,
            self.aborts,
            self.crashes,
            self.injections,
            self.retries,
        ]
        .iter()
        .any(Option::is_some)
            || self.abort_anywhere
            || self.time_wait_reopen
            || self.reopen_at_once
    }
}

/// A budget's help: what it bounds and each preset's value, read from
/// [`Config::new`] so the help cannot drift from the presets.
fn help(what: &str, field: fn(&Config) -> u8) -> String {
    let values: Vec<String> = Preset::ALL
        .iter()
        .map(|&p| format!("{p} {}", field(&Config::new(p, Profile::Rfc9293, None))))
        .collect();
    format!("{what} [presets: {}]", values.join(", "))
}

/// A count from 0 to `max`; a larger one is refused with the range.
fn budget(max: u64) -> impl TypedValueParser<Value = u8> {
    RangedU64ValueParser::<u8>::new().range(0..=max)
}

/// A `FromStr` value whose error lists the valid names (presets, profiles,
/// variants, formats).
pub fn parse<T: std::str::FromStr<Err = String>>(s: &str) -> Result<T, String> {
    s.parse()
}

/// A count of at least 1.
pub fn positive(s: &str) -> Result<usize, String> {
    match s.parse::<usize>() {
        Ok(0) => Err("must be at least 1".to_string()),
        Ok(n) => Ok(n),
        Err(e) => Err(format!("{e}: expected a whole number of at least 1")),
    }
}
