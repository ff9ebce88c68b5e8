//! `synfin-tcp demo`: five real exchanges between synfin-tcp and the Linux
//! kernel's TCP, each in a private network namespace of its own, each
//! judged against RFC 9293.
//!
//! One thread drives both sides: the kernel through non-blocking sockets
//! ([`super::kernel`]), synfin-tcp through the TUN ([`Driver`]). The kernel
//! acts on a TUN write before the write returns, so after every segment the
//! [`Recorder`] samples the kernel's socket state with sock_diag and
//! synfin-tcp's from the stack: the diagram shows each side's state right
//! after each segment, and the states each side passed through are
//! compared with RFC 9293 Figure 5.
//!
//! Segments cross when the harness wants them to: nothing is sent before
//! the driver flushes, so both sides can be made to act before either
//! hears from the other (simultaneous open and close).

// The demo reports real elapsed time.
#![allow(clippy::disallowed_methods)]

use std::fmt::Write as _;
use std::io;
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use serde::Serialize;

use super::capture::{Capture, Direction, Entry, SegmentRecord, Side, What};
use super::diag::SockDiag;
use super::kernel;
use super::netns::{self, Net, NetnsError};
use super::stack::Stack;
use super::tun::{Driver, Observer, RunOutcome, TunIo};
use crate::time::Instant;
use crate::wire::{Flags, Segment};

/// How long any one wait of an exchange may take. The kernel answers at
/// once; only a bug makes an exchange wait this long.
const STEP_TIMEOUT: Duration = Duration::from_secs(3);

/// The five exchanges, in the order `demo` runs them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Exchange {
    /// synfin-tcp connects to a kernel listener, data both ways, synfin-tcp
    /// closes first (synfin-tcp ends in TIME-WAIT).
    ActiveClose,
    /// The kernel closes first; synfin-tcp sends in CLOSE-WAIT (half
    /// close), then passes through LAST-ACK.
    PassiveClose,
    /// The kernel connects to a synfin-tcp listener.
    KernelConnects,
    /// Both connect at once: four segments, no client and no server.
    SimultaneousOpen,
    /// Both close at once: CLOSING on both sides.
    SimultaneousClose,
}

impl Exchange {
    /// All five, in order.
    pub const ALL: [Exchange; 5] = [
        Exchange::ActiveClose,
        Exchange::PassiveClose,
        Exchange::KernelConnects,
        Exchange::SimultaneousOpen,
        Exchange::SimultaneousClose,
    ];

    /// The short name used in output and test names.
    pub fn name(self) -> &'static str {
        match self {
            Exchange::ActiveClose => "active-close",
            Exchange::PassiveClose => "passive-close",
            Exchange::KernelConnects => "kernel-connects",
            Exchange::SimultaneousOpen => "simultaneous-open",
            Exchange::SimultaneousClose => "simultaneous-close",
        }
    }

    /// One line saying what happens.
    pub fn title(self) -> &'static str {
        match self {
            Exchange::ActiveClose => {
                "synfin-tcp connects to a kernel listener, sends and receives data, closes first"
            }
            Exchange::PassiveClose => {
                "the kernel closes first; synfin-tcp sends in CLOSE-WAIT, then closes (LAST-ACK)"
            }
            Exchange::KernelConnects => {
                "the kernel connects to a synfin-tcp listener, data both ways, the kernel closes first"
            }
            Exchange::SimultaneousOpen => {
                "simultaneous open: both SYNs cross, four segments open the connection"
            }
            Exchange::SimultaneousClose => {
                "simultaneous close: both FINs cross, both sides go through CLOSING"
            }
        }
    }

    /// The RFC 9293 sections the verdict checks.
    pub fn rfc(self) -> &'static str {
        match self {
            Exchange::ActiveClose => "RFC 9293 §3.5 (Figure 6), §3.6 case 1, §3.4",
            Exchange::PassiveClose => "RFC 9293 §3.6 case 2, §3.10.4 (CLOSE in CLOSE-WAIT)",
            Exchange::KernelConnects => "RFC 9293 §3.5 (Figure 6), §3.6 case 2",
            Exchange::SimultaneousOpen => "RFC 9293 §3.5 (Figure 7)",
            Exchange::SimultaneousClose => "RFC 9293 §3.6 case 3 (Figure 13)",
        }
    }

    /// Ports: each exchange uses its own pair, so diagrams are easy to tell
    /// apart (every exchange has a namespace of its own anyway).
    fn addrs(self) -> (SocketAddrV4, SocketAddrV4) {
        let i = Exchange::ALL.iter().position(|e| *e == self).unwrap_or(0) as u16;
        (
            SocketAddrV4::new(netns::LOCAL_IP, 40001 + i),
            SocketAddrV4::new(netns::KERNEL_IP, 7001 + i),
        )
    }
}

/// One judged property of an exchange.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Whether it holds.
    pub ok: bool,
    /// What was checked, and what was seen if it failed.
    pub what: String,
}

/// The result of one exchange.
#[derive(Clone, Debug, Serialize)]
pub struct Outcome {
    /// Which exchange.
    pub exchange: Exchange,
    /// What happens in it.
    pub title: &'static str,
    /// What RFC 9293 says about it.
    pub rfc: &'static str,
    /// synfin-tcp's address.
    pub synfin: String,
    /// The kernel's address.
    pub kernel: String,
    /// Every check passed and nothing went wrong.
    pub passed: bool,
    /// What stopped the exchange early, if anything did.
    pub error: Option<String>,
    /// The judged properties.
    pub checks: Vec<Check>,
    /// The states synfin-tcp passed through, in order.
    pub synfin_states: Vec<String>,
    /// The states the kernel's socket passed through (sock_diag), in order.
    pub kernel_states: Vec<String>,
    /// The segments, with sequence numbers relative to each side's ISN.
    pub segments: Vec<SegmentRecord>,
    /// The two-column diagram.
    pub diagram: String,
    /// Wall-clock duration of the exchange, in microseconds.
    pub micros: u64,
}

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

/// An exchange in progress: the driver, the recorder and the checks.
struct Run<S: Stack> {
    driver: Driver<S>,
    rec: Recorder,
    checks: Vec<Check>,
    synfin: SocketAddrV4,
    kernel: SocketAddrV4,
}

type Step<T = ()> = Result<T, String>;

fn io_err(what: &str) -> impl Fn(io::Error) -> String + '_ {
    move |e| format!("{what}: {e}")
}

impl<S: Stack> Run<S> {
    fn now(&self) -> Instant {
        self.driver.now()
    }

    fn check(&mut self, ok: bool, what: impl Into<String>) {
        self.checks.push(Check {
            ok,
            what: what.into(),
        });
    }

    fn synfin_call(&mut self, label: &str) {
        self.rec.call(&self.driver.stack, Side::Synfin, label);
    }

    fn kernel_call(&mut self, label: &str) {
        self.rec.call(&self.driver.stack, Side::Kernel, label);
    }

    fn synfin_state(&self) -> Option<&'static str> {
        self.driver.stack.state_of(self.synfin, self.kernel)
    }

    /// Runs the driver until `done` holds; an error names what it was
    /// waiting for.
    fn until(
        &mut self,
        waiting_for: &str,
        mut done: impl FnMut(&mut S, Instant) -> Step<bool>,
    ) -> Step {
        let deadline = self.driver.io.after(STEP_TIMEOUT);
        let mut failure = None;
        let outcome = self
            .driver
            .run_until(deadline, &mut self.rec, |s, now| match done(s, now) {
                Ok(d) => d,
                Err(e) => {
                    failure = Some(e);
                    true
                }
            })
            .map_err(io_err("the TUN device"))?;
        if let Some(e) = failure {
            return Err(format!("while waiting for {waiting_for}: {e}"));
        }
        match outcome {
            RunOutcome::Done => Ok(()),
            RunOutcome::TimedOut => Err(format!(
                "timed out after {} s waiting for {waiting_for} (synfin-tcp {}, kernel {})",
                STEP_TIMEOUT.as_secs(),
                self.rec.synfin_now.as_deref().unwrap_or("-"),
                self.rec.kernel_now.as_deref().unwrap_or("-"),
            )),
        }
    }

    /// Runs until synfin-tcp's connection is in `state` (`None`: gone).
    fn until_synfin(&mut self, state: Option<&str>) -> Step {
        let (l, k) = (self.synfin, self.kernel);
        let what = format!("synfin-tcp to reach {}", state.unwrap_or("CLOSED"));
        self.until(&what, |s, _| Ok(s.state_of(l, k) == state))
    }

    /// Runs until the kernel's socket for the connection is in `state`
    /// (sock_diag; `None`: gone).
    fn until_kernel(&mut self, state: &str) -> Step {
        let mut diag = SockDiag::new().map_err(io_err("sock_diag"))?;
        let (l, k) = (self.synfin, self.kernel);
        let what = format!("the kernel to reach {state}");
        self.until(&what, |_, _| {
            let now = diag.state_of(k, l).map_err(|e| e.to_string())?;
            Ok(now.map_or("CLOSED", |s| s.name()) == state)
        })
    }

    /// Runs until the kernel socket has read `want` bytes in total into
    /// `buf` (and the FIN, if `eof`).
    fn until_kernel_reads(
        &mut self,
        sock: &mut TcpStream,
        buf: &mut Vec<u8>,
        want: usize,
        eof: bool,
    ) -> Step {
        let mut seen_eof = false;
        let what = if eof {
            format!("the kernel to read {want} bytes and end of stream")
        } else {
            format!("the kernel to read {want} bytes")
        };
        self.until(&what, |_, _| {
            let r = kernel::read_available(sock, buf).map_err(|e| e.to_string())?;
            seen_eof |= r.eof;
            Ok(buf.len() >= want && (seen_eof || !eof))
        })
    }

    /// Runs until synfin-tcp's application has read `want` bytes in total
    /// into `buf` (and the FIN, if `eof`).
    fn until_synfin_reads(
        &mut self,
        conn: S::Conn,
        buf: &mut Vec<u8>,
        want: usize,
        eof: bool,
    ) -> Step {
        let mut seen_eof = false;
        let what = if eof {
            format!("synfin-tcp to read {want} bytes and end of stream")
        } else {
            format!("synfin-tcp to read {want} bytes")
        };
        self.until(&what, |s, now| {
            let r = s.recv(now, conn, buf)?;
            seen_eof |= r.eof;
            if let Some(f) = s.failure(conn) {
                return Err(f);
            }
            Ok(buf.len() >= want && (seen_eof || !eof))
        })
    }

    fn synfin_send(&mut self, conn: S::Conn, data: &[u8]) -> Step {
        let now = self.now();
        let n = self.driver.stack.send(now, conn, data)?;
        if n != data.len() {
            return Err(format!("synfin-tcp took {n} of {} bytes", data.len()));
        }
        self.synfin_call(&format!("send({} bytes)", data.len()));
        Ok(())
    }

    fn synfin_close(&mut self, conn: S::Conn) -> Step {
        let now = self.now();
        self.driver.stack.close(now, conn)?;
        self.synfin_call("close()");
        Ok(())
    }

    /// synfin-tcp connects from its address to the kernel's and the kernel
    /// accepts on `listener`: the three-way handshake.
    fn synfin_connects(&mut self, listener: &TcpListener) -> Step<(S::Conn, TcpStream)> {
        let now = self.now();
        let conn = self.driver.stack.connect(now, self.synfin, self.kernel)?;
        self.synfin_call("connect()");
        let mut accepted = None;
        let (l, k) = (self.synfin, self.kernel);
        let what = "the handshake (synfin-tcp ESTABLISHED, kernel accept())";
        self.until(what, |s, _| {
            if let Some(f) = s.failure(conn) {
                return Err(f);
            }
            if accepted.is_none() {
                accepted = kernel::try_accept(listener).map_err(|e| e.to_string())?;
            }
            Ok(accepted.is_some() && s.state_of(l, k) == Some("ESTABLISHED"))
        })?;
        let stream = accepted.ok_or("no accepted socket")?;
        self.kernel_call("accept()");
        Ok((conn, stream))
    }

    fn segments(&self) -> Vec<(Direction, Segment)> {
        self.rec
            .capture
            .segments()
            .map(|(d, s)| (d, s.clone()))
            .collect()
    }

    /// Checks that run on every exchange: no RST, and the sequence
    /// accounting of SYN and FIN as far as the capture shows it.
    fn common_checks(&mut self) {
        let segs = self.segments();
        let rsts: Vec<String> = segs
            .iter()
            .filter(|(_, s)| s.flags.contains(Flags::RST))
            .map(|(d, s)| self.rec.capture.label(*d, s))
            .collect();
        self.check(
            rsts.is_empty(),
            if rsts.is_empty() {
                "no RST on the wire".to_string()
            } else {
                format!("no RST on the wire: saw {}", rsts.join(", "))
            },
        );
        for dir in [Direction::ToKernel, Direction::FromKernel] {
            let who = side_name(dir);
            let (other_dir, other) = match dir {
                Direction::ToKernel => (Direction::FromKernel, "the kernel"),
                Direction::FromKernel => (Direction::ToKernel, "synfin-tcp"),
            };
            let sent: Vec<&Segment> = segs
                .iter()
                .filter(|(d, _)| *d == dir)
                .map(|(_, s)| s)
                .collect();
            // A SYN carries no data; a SYN,ACK acknowledges the other
            // side's ISN + 1 and carries the sender's own ISN.
            let syns: Vec<&&Segment> = sent
                .iter()
                .filter(|s| s.flags.contains(Flags::SYN))
                .collect();
            if !syns.is_empty() {
                let empty = syns.iter().all(|s| s.payload.is_empty());
                self.check(empty, format!("{who}'s SYN carried no data"));
            }
            if let Some(sa) = syns.iter().find(|s| s.flags.contains(Flags::ACK)) {
                let (seq, ack) = self.rec.capture.relative(dir, sa);
                self.check(
                    seq == 0 && ack == Some(1),
                    format!(
                        "{who}'s SYN,ACK carried its own ISN and acknowledged {other}'s ISN + 1 \
                         (seq {seq}, ack {})",
                        ack.map_or("-".to_string(), |a| a.to_string())
                    ),
                );
            }
            // SYN consumes one number: the first octet after it is ISN+1.
            if let Some(first_after) = sent.iter().find(|s| !s.flags.contains(Flags::SYN)) {
                let (rel, _) = self.rec.capture.relative(dir, first_after);
                self.check(
                    rel == 1,
                    format!(
                        "{who}'s SYN consumed one sequence number: its next segment has seq {rel} (want 1)"
                    ),
                );
            }
            // FIN consumes one number: the peer acknowledges FIN's seq + 1.
            if let Some(fin) = sent.iter().find(|s| s.flags.contains(Flags::FIN)) {
                let fin_end = fin.seq.add(fin.payload.len() as u32 + 1);
                let acked = segs.iter().any(|(d, s)| {
                    *d == other_dir && s.flags.contains(Flags::ACK) && s.ack == fin_end
                });
                let (rel, _) = self.rec.capture.relative(dir, fin);
                let rel_end = rel + fin.payload.len() as u32 + 1;
                self.check(
                    acked,
                    format!("{who}'s FIN (seq {rel}) consumed one number: {other} acknowledged {rel_end}"),
                );
            }
        }
    }

    /// Checks that `who`'s states include `expected` in this order.
    fn check_states(&mut self, side: Side, expected: &[&str]) {
        let (who, seen) = match side {
            Side::Synfin => ("synfin-tcp", &self.rec.synfin_states),
            Side::Kernel => ("the kernel", &self.rec.kernel_states),
        };
        let ok = passes_through(seen, expected);
        let what = if ok {
            format!("{who} passed through {}", expected.join(" → "))
        } else {
            format!(
                "{who} passed through {} (saw {})",
                expected.join(" → "),
                seen.join(" → ")
            )
        };
        self.check(ok, what);
    }

    /// Checks the flags of the first segments, in order.
    fn check_opening(&mut self, what: &str, expected: &[(Direction, Flags)]) {
        let segs = self.segments();
        let seen: Vec<(Direction, Flags)> = segs
            .iter()
            .take(expected.len())
            .map(|(d, s)| (*d, s.flags.without(Flags::PSH)))
            .collect();
        let ok = seen == expected;
        let show = |v: &[(Direction, Flags)]| {
            v.iter()
                .map(|(d, f)| format!("{}[{f}]", arrow(*d)))
                .collect::<Vec<_>>()
                .join(" ")
        };
        let msg = if ok {
            format!("{what}: {}", show(expected))
        } else {
            format!("{what}: want {}, saw {}", show(expected), show(&seen))
        };
        self.check(ok, msg);
    }
}

fn side_name(dir: Direction) -> &'static str {
    match dir {
        Direction::ToKernel => "synfin-tcp",
        Direction::FromKernel => "the kernel",
    }
}

fn arrow(dir: Direction) -> &'static str {
    match dir {
        Direction::ToKernel => "→",
        Direction::FromKernel => "←",
    }
}

/// Whether `seen` contains `expected` as a subsequence.
pub fn passes_through(seen: &[String], expected: &[&str]) -> bool {
    let mut it = seen.iter();
    expected.iter().all(|e| it.any(|s| s == e))
}

const TO: Direction = Direction::ToKernel;
const FROM: Direction = Direction::FromKernel;

fn syn() -> Flags {
    Flags::SYN
}

fn syn_ack() -> Flags {
    Flags::SYN | Flags::ACK
}

fn ack() -> Flags {
    Flags::ACK
}

const SYNFIN_DATA: &[u8] = b"hello from synfin-tcp\n";
const KERNEL_DATA: &[u8] = b"hello from linux\n";
const CLOSE_WAIT_DATA: &[u8] = b"still sending in CLOSE-WAIT\n";

fn active_close<S: Stack>(r: &mut Run<S>) -> Step {
    let listener = kernel::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    r.synfin_send(conn, SYNFIN_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    kernel::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), false)?;
    r.synfin_call(&format!("recv() = {}", sbuf.len()));
    r.synfin_close(conn)?;
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), true)?;
    r.kernel_call("read() = 0 (end of stream)");
    r.until_synfin(Some("FIN-WAIT-2"))?;
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin(Some("TIME-WAIT"))?;
    r.until_kernel("CLOSED")?;

    r.check_opening(
        "three-way handshake, three segments",
        &[(TO, syn()), (FROM, syn_ack()), (TO, ack())],
    );
    r.check(
        kbuf == SYNFIN_DATA && sbuf == KERNEL_DATA,
        "the data arrived intact both ways",
    );
    r.check_states(
        Side::Synfin,
        &[
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT",
        ],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
    );
    let tw = r.synfin_state() == Some("TIME-WAIT");
    r.check(tw, "the active closer (synfin-tcp) stays in TIME-WAIT");
    Ok(())
}

fn passive_close<S: Stack>(r: &mut Run<S>) -> Step {
    let listener = kernel::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    kernel::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    kernel::shutdown_write(&sock).map_err(io_err("kernel shutdown()"))?;
    r.kernel_call("shutdown(SHUT_WR)");
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), true)?;
    r.synfin_call(&format!("recv() = {}, then end of stream", sbuf.len()));
    r.until_kernel("FIN-WAIT-2")?;
    let in_close_wait = r.synfin_state() == Some("CLOSE-WAIT");
    r.synfin_send(conn, CLOSE_WAIT_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, CLOSE_WAIT_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    r.synfin_close(conn)?;
    r.until_synfin(None)?;
    r.until_kernel_reads(&mut sock, &mut kbuf, CLOSE_WAIT_DATA.len(), true)?;
    r.kernel_call("read() = 0 (end of stream)");

    r.check_opening(
        "three-way handshake, three segments",
        &[(TO, syn()), (FROM, syn_ack()), (TO, ack())],
    );
    r.check(
        sbuf == KERNEL_DATA,
        "synfin-tcp received the kernel's data before its FIN",
    );
    r.check(
        in_close_wait && kbuf == CLOSE_WAIT_DATA,
        "half close: synfin-tcp sent data in CLOSE-WAIT and the kernel (FIN-WAIT-2) read it",
    );
    r.check_states(
        Side::Synfin,
        &["ESTABLISHED", "CLOSE-WAIT", "LAST-ACK", "CLOSED"],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "FIN-WAIT-1", "FIN-WAIT-2", "TIME-WAIT"],
    );
    let tw = r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(tw, "the active closer (the kernel) stays in TIME-WAIT");
    Ok(())
}

fn kernel_connects<S: Stack>(r: &mut Run<S>) -> Step {
    let now = r.now();
    r.driver.stack.listen(now, r.synfin)?;
    r.synfin_call("listen()");
    let mut sock =
        kernel::connect_from(Some(r.kernel), r.synfin).map_err(io_err("kernel connect()"))?;
    r.kernel_call("connect()");
    let mut accepted = None;
    r.until(
        "the handshake (synfin-tcp accepts, kernel connect() completes)",
        |s, _| {
            if accepted.is_none() {
                accepted = s.accept();
            }
            Ok(accepted.is_some() && kernel::connected(&sock).map_err(|e| e.to_string())?)
        },
    )?;
    let conn = accepted.ok_or("nothing accepted")?;
    r.synfin_call("accept()");
    kernel::write_all(&mut sock, KERNEL_DATA).map_err(io_err("kernel write()"))?;
    r.kernel_call(&format!("write({} bytes)", KERNEL_DATA.len()));
    let mut sbuf = Vec::new();
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), false)?;
    r.synfin_call(&format!("recv() = {}", sbuf.len()));
    r.synfin_send(conn, SYNFIN_DATA)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, SYNFIN_DATA.len(), false)?;
    r.kernel_call(&format!("read() = {}", kbuf.len()));
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin_reads(conn, &mut sbuf, KERNEL_DATA.len(), true)?;
    r.synfin_call("recv() = end of stream");
    r.synfin_close(conn)?;
    r.until_synfin(None)?;
    r.until_kernel("TIME-WAIT")?;

    r.check_opening(
        "three-way handshake, three segments",
        &[(FROM, syn()), (TO, syn_ack()), (FROM, ack())],
    );
    r.check(
        kbuf == SYNFIN_DATA && sbuf == KERNEL_DATA,
        "the data arrived intact both ways",
    );
    r.check_states(
        Side::Synfin,
        &[
            "SYN-RECEIVED",
            "ESTABLISHED",
            "CLOSE-WAIT",
            "LAST-ACK",
            "CLOSED",
        ],
    );
    r.check_states(
        Side::Kernel,
        &[
            "SYN-SENT",
            "ESTABLISHED",
            "FIN-WAIT-1",
            "FIN-WAIT-2",
            "TIME-WAIT",
        ],
    );
    let tw = r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(tw, "the active closer (the kernel) stays in TIME-WAIT");
    Ok(())
}

fn simultaneous_open<S: Stack>(r: &mut Run<S>) -> Step {
    // The kernel's SYN goes into the TUN's queue, where nobody reads it
    // yet; synfin-tcp's SYN is sent on the next flush, before synfin-tcp
    // has seen the kernel's: the two SYNs cross.
    let mut sock =
        kernel::connect_from(Some(r.kernel), r.synfin).map_err(io_err("kernel connect()"))?;
    r.kernel_call("connect()");
    let now = r.now();
    let conn = r.driver.stack.connect(now, r.synfin, r.kernel)?;
    r.synfin_call("connect()");
    let (l, k) = (r.synfin, r.kernel);
    r.until("both sides ESTABLISHED", |s, _| {
        if let Some(f) = s.failure(conn) {
            return Err(f);
        }
        Ok(s.state_of(l, k) == Some("ESTABLISHED")
            && kernel::connected(&sock).map_err(|e| e.to_string())?)
    })?;
    r.until_kernel("ESTABLISHED")?;
    // An orderly close, synfin-tcp first, so the exchange ends cleanly.
    r.synfin_close(conn)?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, 0, true)?;
    r.kernel_call("read() = 0 (end of stream)");
    drop(sock);
    r.kernel_call("close()");
    r.until_synfin(Some("TIME-WAIT"))?;

    // Figure 7: each side sends a SYN, then a SYN,ACK of the other's SYN.
    let segs = r.segments();
    let bare_syn = |dir| {
        segs.iter()
            .position(|(d, s)| *d == dir && s.flags == Flags::SYN)
    };
    let syn_ack_of = |dir| {
        segs.iter()
            .position(|(d, s)| *d == dir && s.flags.contains(Flags::SYN | Flags::ACK))
    };
    let crossed = match (bare_syn(TO), bare_syn(FROM)) {
        (Some(a), Some(b)) => a.max(b) == 1,
        _ => false,
    };
    r.check(
        crossed,
        "the SYNs crossed: each side's first segment is a bare SYN",
    );
    let both_syn_ack = syn_ack_of(TO).is_some() && syn_ack_of(FROM).is_some();
    r.check(
        both_syn_ack,
        "each side answered the other's SYN with a SYN,ACK (four segments, no client and no server)",
    );
    r.check_states(Side::Synfin, &["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    r.check_states(Side::Kernel, &["SYN-SENT", "SYN-RECEIVED", "ESTABLISHED"]);
    Ok(())
}

fn simultaneous_close<S: Stack>(r: &mut Run<S>) -> Step {
    let listener = kernel::listen(r.kernel).map_err(io_err("kernel listen()"))?;
    r.kernel_call("listen()");
    let (conn, mut sock) = r.synfin_connects(&listener)?;
    // The kernel's FIN waits in the TUN's queue while synfin-tcp closes:
    // the FINs cross.
    kernel::shutdown_write(&sock).map_err(io_err("kernel shutdown()"))?;
    r.kernel_call("shutdown(SHUT_WR)");
    r.synfin_close(conn)?;
    r.until_synfin(Some("TIME-WAIT"))?;
    r.until_kernel("TIME-WAIT")?;
    let mut kbuf = Vec::new();
    r.until_kernel_reads(&mut sock, &mut kbuf, 0, true)?;
    r.kernel_call("read() = 0 (end of stream)");

    let segs = r.segments();
    let fin = |dir| {
        segs.iter()
            .find(|(d, s)| *d == dir && s.flags.contains(Flags::FIN))
            .map(|(_, s)| s.clone())
    };
    let crossed = match (fin(TO), fin(FROM)) {
        // Neither FIN acknowledges the other.
        (Some(a), Some(b)) => {
            a.ack.lt(b.seq.add(b.payload.len() as u32 + 1))
                && b.ack.lt(a.seq.add(a.payload.len() as u32 + 1))
        }
        _ => false,
    };
    r.check(
        crossed,
        "the FINs crossed: neither side's FIN acknowledges the other's",
    );
    r.check_states(
        Side::Synfin,
        &["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT"],
    );
    r.check_states(
        Side::Kernel,
        &["ESTABLISHED", "FIN-WAIT-1", "CLOSING", "TIME-WAIT"],
    );
    let both =
        r.synfin_state() == Some("TIME-WAIT") && r.rec.kernel_now.as_deref() == Some("TIME-WAIT");
    r.check(
        both,
        "both sides are active closers: both stay in TIME-WAIT",
    );
    Ok(())
}

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
    let mut run = Run {
        driver: Driver::new(io, stack),
        rec,
        checks: Vec::new(),
        synfin,
        kernel,
    };
    let result = match exchange {
        Exchange::ActiveClose => active_close(&mut run),
        Exchange::PassiveClose => passive_close(&mut run),
        Exchange::KernelConnects => kernel_connects(&mut run),
        Exchange::SimultaneousOpen => simultaneous_open(&mut run),
        Exchange::SimultaneousClose => simultaneous_close(&mut run),
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

/// The text report of one exchange: heading, diagram, both sides' states,
/// the checks and the verdict.
pub fn render(index: usize, total: usize, o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== {index}/{total} {}: {}", o.exchange.name(), o.title);
    let _ = writeln!(s);
    for line in o.diagram.lines() {
        let _ = writeln!(s, "  {line}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "  synfin-tcp states: {}", o.synfin_states.join(" → "));
    let _ = writeln!(
        s,
        "  kernel states:     {}  (sock_diag)",
        o.kernel_states.join(" → ")
    );
    for c in &o.checks {
        let _ = writeln!(s, "  {} {}", if c.ok { "ok  " } else { "FAIL" }, c.what);
    }
    if let Some(e) = &o.error {
        let _ = writeln!(s, "  FAIL {e}");
    }
    let _ = writeln!(
        s,
        "  verdict: {} ({}; {:.1} ms)",
        if o.passed {
            "PASS, as RFC 9293 says"
        } else {
            "FAIL"
        },
        o.rfc,
        o.micros as f64 / 1000.0
    );
    s
}

/// The `--json` report: one object, with one object per exchange.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Every exchange passed.
    pub passed: bool,
    /// Exchanges that passed, and in all.
    pub exchanges_passed: usize,
    /// Exchanges run.
    pub exchanges_total: usize,
    /// Wall-clock seconds for all of them, namespaces included.
    pub seconds: f64,
    /// The exchanges.
    pub exchanges: &'a [Outcome],
}

/// Result of [`bench`].
#[derive(Clone, Copy, Debug, Serialize)]
pub struct BenchResult {
    /// Exchanges completed.
    pub exchanges: usize,
    /// Wall-clock seconds they took (namespace setup excluded).
    pub seconds: f64,
    /// Exchanges per second.
    pub per_second: f64,
    /// Segments that crossed the TUN.
    pub segments: u64,
    /// Seconds the driving thread spent on a CPU (from
    /// `/proc/thread-self/schedstat`), if known: on a shared machine this
    /// is steadier than wall-clock time. The kernel's TCP runs mostly in
    /// this thread's context, since it acts on a TUN write before the
    /// write returns.
    pub cpu_seconds: Option<f64>,
    /// Exchanges per second of on-CPU time.
    pub per_cpu_second: Option<f64>,
}

/// Nanoseconds the calling thread has spent on a CPU.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// Measures kernel exchanges per second: `n` times, synfin-tcp connects to
/// a kernel listener, sends 64 bytes, the kernel answers 64 bytes and
/// closes first, synfin-tcp closes (LAST-ACK). One namespace, a new port
/// for each connection, nothing recorded.
pub fn bench_in<S: Stack>(net: Net, stack: S, n: usize) -> Result<BenchResult, String> {
    let kernel_addr = SocketAddrV4::new(netns::KERNEL_IP, 7000);
    let listener = kernel::listen(kernel_addr).map_err(io_err("kernel listen()"))?;
    let io = TunIo::new(net.tun).map_err(io_err("TUN"))?;
    let mut d = Driver::new(io, stack);
    let data = [0x5a_u8; 64];
    let start = std::time::Instant::now();
    let cpu_start = thread_cpu_ns();
    for i in 0..n {
        let local = SocketAddrV4::new(netns::LOCAL_IP, 20000 + (i % 40000) as u16);
        let now = d.now();
        let conn = d.stack.connect(now, local, kernel_addr)?;
        let deadline = d.io.after(STEP_TIMEOUT);
        let mut accepted = None;
        let mut err = None;
        let mut check = |r: io::Result<Option<TcpStream>>| match r {
            Ok(s) => s,
            Err(e) => {
                err = Some(e.to_string());
                None
            }
        };
        d.run_until(deadline, &mut (), |s, _| {
            if accepted.is_none() {
                accepted = check(kernel::try_accept(&listener));
            }
            accepted.is_some() && s.state_of(local, kernel_addr) == Some("ESTABLISHED")
        })
        .map_err(io_err("TUN"))?;
        if let Some(e) = err {
            return Err(e);
        }
        let mut sock = accepted.ok_or_else(|| format!("exchange {i}: handshake timed out"))?;
        let now = d.now();
        d.stack.send(now, conn, &data)?;
        let mut kbuf = Vec::new();
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |_, _| {
                let _ = kernel::read_available(&mut sock, &mut kbuf);
                kbuf.len() >= data.len()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!("exchange {i}: the kernel did not get the data"));
        }
        kernel::write_all(&mut sock, &data).map_err(io_err("kernel write()"))?;
        drop(sock);
        let mut sbuf = Vec::new();
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |s, now| {
                s.recv(now, conn, &mut sbuf).is_ok_and(|r| r.eof) && sbuf.len() >= data.len()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!(
                "exchange {i}: synfin-tcp did not get the data and FIN"
            ));
        }
        let now = d.now();
        d.stack.close(now, conn)?;
        let ok = d
            .run_until(d.io.after(STEP_TIMEOUT), &mut (), |s, _| {
                s.state_of(local, kernel_addr).is_none()
            })
            .map_err(io_err("TUN"))?;
        if ok != RunOutcome::Done {
            return Err(format!("exchange {i}: synfin-tcp did not reach CLOSED"));
        }
    }
    let seconds = start.elapsed().as_secs_f64();
    let cpu_seconds = match (cpu_start, thread_cpu_ns()) {
        (Some(a), Some(b)) if b > a => Some((b - a) as f64 / 1e9),
        _ => None,
    };
    Ok(BenchResult {
        exchanges: n,
        seconds,
        per_second: n as f64 / seconds,
        segments: d.io.stats.sent + d.io.stats.received,
        cpu_seconds,
        per_cpu_second: cpu_seconds.map(|c| n as f64 / c),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(s: &[&str]) -> Vec<String> {
        s.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn passes_through_is_an_ordered_subsequence() {
        let seen = v(&["SYN-SENT", "ESTABLISHED", "FIN-WAIT-1", "TIME-WAIT"]);
        assert!(passes_through(&seen, &["SYN-SENT", "TIME-WAIT"]));
        assert!(passes_through(&seen, &[]));
        assert!(!passes_through(&seen, &["TIME-WAIT", "SYN-SENT"]));
        assert!(!passes_through(&seen, &["FIN-WAIT-2"]));
    }

    #[test]
    fn exchanges_have_distinct_names_and_ports() {
        let mut names: Vec<_> = Exchange::ALL.iter().map(|e| e.name()).collect();
        names.dedup();
        assert_eq!(names.len(), 5);
        let mut ports: Vec<_> = Exchange::ALL.iter().map(|e| e.addrs().0.port()).collect();
        ports.dedup();
        assert_eq!(ports.len(), 5);
    }
}
