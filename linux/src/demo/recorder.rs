//! The demo's [`Observer`]: it records every segment of the connection,
//! every application call, and both sides' states right after each.

use std::io;
use std::net::SocketAddrV4;

use synfin_tcp::wire::Segment;

use crate::capture::{Capture, Entry, Side, What};
use crate::driver::{Direction, Observer, Stack};
use crate::sys::sock_diag::SockDiag;

/// Records the exchange: every segment of the connection, every application
/// call, and both sides' states right after each.
pub struct Recorder {
    diag: SockDiag,
    /// The capture being built.
    pub capture: Capture,
    start: std::time::Instant,
    kernel_seen: bool,
    synfin_seen: bool,
    /// synfin-tcp's distinct successive states.
    pub synfin_states: Vec<String>,
    /// The kernel's distinct successive states.
    pub kernel_states: Vec<String>,
    /// The kernel's state at the last sample.
    pub kernel_now: Option<String>,
    /// synfin-tcp's state at the last sample.
    pub synfin_now: Option<String>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("synfin_states", &self.synfin_states)
            .field("kernel_states", &self.kernel_states)
            .finish_non_exhaustive()
    }
}

fn push_distinct(v: &mut Vec<String>, s: &str) {
    if v.last().map(String::as_str) != Some(s) {
        v.push(s.to_string());
    }
}

impl Recorder {
    /// Records the connection between `synfin` and `kernel`; sock_diag is
    /// opened in the calling thread's namespace.
    pub fn new(synfin: SocketAddrV4, kernel: SocketAddrV4) -> io::Result<Recorder> {
        Ok(Recorder {
            diag: SockDiag::new()?,
            capture: Capture::new(synfin, kernel),
            start: std::time::Instant::now(),
            kernel_seen: false,
            synfin_seen: false,
            synfin_states: Vec::new(),
            kernel_states: Vec::new(),
            kernel_now: None,
            synfin_now: None,
        })
    }

    /// Samples both sides' states. A side that had a socket and has none
    /// any more is CLOSED; before it had one, it is not shown.
    fn sample<S: Stack>(&mut self, stack: &S) {
        let (l, k) = (self.capture.synfin, self.capture.kernel);
        let synfin = match stack.state_of(l, k) {
            Some(s) => {
                self.synfin_seen = true;
                Some(s.to_string())
            }
            None if self.synfin_seen => Some("CLOSED".to_string()),
            None => None,
        };
        // A sock_diag failure shows as "?" rather than ending the exchange.
        let kernel = match self.diag.state_of(k, l) {
            Ok(Some(s)) => {
                self.kernel_seen = true;
                Some(s.name().to_string())
            }
            Ok(None) if self.kernel_seen => Some("CLOSED".to_string()),
            Ok(None) => None,
            Err(_) => Some("?".to_string()),
        };
        if let Some(s) = &synfin {
            push_distinct(&mut self.synfin_states, s);
        }
        if let Some(s) = &kernel {
            push_distinct(&mut self.kernel_states, s);
        }
        self.synfin_now = synfin;
        self.kernel_now = kernel;
    }

    fn push(&mut self, what: What) {
        self.capture.entries.push(Entry {
            at_micros: self.start.elapsed().as_micros() as u64,
            what,
            synfin_state: self.synfin_now.clone(),
            kernel_state: self.kernel_now.clone(),
        });
    }

    /// Records an application call made by `side`, with the states after it.
    pub fn call<S: Stack>(&mut self, stack: &S, side: Side, label: &str) {
        self.sample(stack);
        self.push(What::Call(side, label.to_string()));
    }
}

impl<S: Stack> Observer<S> for Recorder {
    fn segment(&mut self, stack: &S, dir: Direction, seg: &Segment) {
        if !self.capture.matches(seg) {
            return;
        }
        self.sample(stack);
        self.push(What::Segment(dir, seg.clone()));
    }
}
