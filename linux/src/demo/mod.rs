//! `synfin-tcp demo`: five real exchanges between synfin-tcp and the Linux
//! kernel's TCP, each in a private network namespace of its own, each
//! judged against RFC 9293.
//!
//! One thread drives both sides: the kernel through non-blocking sockets
//! ([`crate::sys::socket`]), synfin-tcp through the TUN ([`Driver`]). The
//! kernel acts on a TUN write before the write returns, so after every
//! segment the [`Recorder`] samples the kernel's socket state with
//! sock_diag and synfin-tcp's from the stack: the diagram shows each side's
//! state right after each segment, and the states each side passed through
//! are compared with RFC 9293 Figure 5.
//!
//! Segments cross when the harness wants them to: nothing is sent before
//! the driver flushes, so both sides can be made to act before either
//! hears from the other (simultaneous open and close).
//!
//! The parts: the catalogue of exchanges ([`Exchange`]), the [`Recorder`],
//! the harness that drives both sides (`harness.rs`), the scripts of the
//! five exchanges (`script.rs`), the judging (`check.rs`), the [`Outcome`]
//! of each with its [`Check`]s, and what is printed ([`render`],
//! [`Report`]).

mod check;
mod exchange;
mod harness;
mod outcome;
mod recorder;
mod report;
mod script;

use crate::driver::{Driver, Stack};
use crate::sys::netns::{self, Net, NetnsError};
use crate::sys::tun::TunIo;

pub use check::passes_through;
pub use exchange::Exchange;
pub use outcome::{Check, Outcome};
pub use recorder::Recorder;
pub use report::{render, Report};

use harness::Harness;

/// Runs `exchange` in the current (private) namespace, over `net`, with
/// the stack `stack`.
pub fn run_in<S: Stack>(exchange: Exchange, net: Net, stack: S) -> Outcome {
    let start = std::time::Instant::now();
    let (synfin, kernel) = exchange.addrs();
    let mut outcome = Outcome {
        exchange,
        title: exchange.title(),
        rfc: exchange.rfc(),
        synfin: synfin.to_string(),
        kernel: kernel.to_string(),
        passed: false,
        error: None,
        checks: Vec::new(),
        synfin_states: Vec::new(),
        kernel_states: Vec::new(),
        segments: Vec::new(),
        diagram: String::new(),
        micros: 0,
    };
    let setup = TunIo::new(net.tun).and_then(|io| Ok((io, Recorder::new(synfin, kernel)?)));
    let (io, rec) = match setup {
        Ok(x) => x,
        Err(e) => {
            outcome.error = Some(format!("setting up the exchange: {e}"));
            return outcome;
        }
    };
    let mut run = Harness {
        driver: Driver::new(io, stack),
        rec,
        checks: Vec::new(),
        synfin,
        kernel,
    };
    let result = match exchange {
        Exchange::ActiveClose => script::active_close(&mut run),
        Exchange::PassiveClose => script::passive_close(&mut run),
        Exchange::KernelConnects => script::kernel_connects(&mut run),
        Exchange::SimultaneousOpen => script::simultaneous_open(&mut run),
        Exchange::SimultaneousClose => script::simultaneous_close(&mut run),
    };
    if result.is_ok() {
        run.common_checks();
    }
    outcome.error = result.err();
    outcome.passed = outcome.error.is_none() && run.checks.iter().all(|c| c.ok);
    outcome.checks = run.checks;
    outcome.synfin_states = run.rec.synfin_states.clone();
    outcome.kernel_states = run.rec.kernel_states.clone();
    outcome.segments = run.rec.capture.records();
    outcome.diagram = run.rec.capture.diagram();
    outcome.micros = start.elapsed().as_micros() as u64;
    outcome
}

/// Runs `exchange` in a new private namespace with a fresh stack from
/// `make`.
pub fn run<S: Stack + 'static>(exchange: Exchange, make: fn() -> S) -> Result<Outcome, NetnsError> {
    netns::in_private_netns(move |net| run_in(exchange, net, make()))
}
