//! The interpreter: runs a [`Script`] against a [`SocketTarget`], one event
//! at a time, and stops at the first difference.
//!
//! - **Addresses.** The stack is `LOCAL_IP:8080` once bound (`bind(fd,
//!   ..., ...)`), or the port its first segment comes from; the script's
//!   peer is `REMOTE_IP:40000`, and `connect(fd, ..., ...)` goes there.
//! - **Numbers.** The peer's ISN is [`REMOTE_ISN`]: an inbound line's
//!   sequence numbers are relative to it, an outbound line's `ack` too. The
//!   stack's ISN is learnt from each SYN or SYN,ACK it sends (0 until then,
//!   so a RST from a port without a socket reads as sent): an outbound
//!   line's sequence numbers and an inbound line's `ack` are relative to it.
//! - **Time.** `+t` is relative to the previous event: for an outbound
//!   packet the time it was sent, for anything else its scheduled time. An
//!   outbound packet must be sent within `--tolerance_usecs` of its time (or
//!   range); `*` accepts any time. Other events run at their time (a range:
//!   at its start).
//! - **Comparison.** Flags, sequence range and payload length always;
//!   `ack`, `win` and options only where the line gives them (`<...>`: any
//!   options).
//! - **System calls** run non-blocking on the target. On a socket without
//!   `O_NONBLOCK`, a call that would wait is unsupported unless the line
//!   gives it a blocking time `a...b`: then it starts at `a`, is retried
//!   after each later event, and must return at `b` (within the tolerance).

use std::collections::BTreeMap;
use std::net::SocketAddrV4;

use super::errno::Errno;
use super::script::{
    flag, Call, Event, EventKind, Options, Packet, Point, Return, Script, SockOpt, SockOptName,
    Syscall, TcpOption, Time,
};
use super::segment::Segment;
use super::shell::{self, ShellOutcome};
use super::target::{CallError, Clock, SockId, SocketTarget};

/// The peer's initial sequence number.
pub const REMOTE_ISN: u32 = 0xF000_0000;
/// The port the stack binds (`bind(fd, ..., ...)`).
pub const LOCAL_PORT: u16 = 8080;
/// The script's peer's port.
pub const REMOTE_PORT: u16 = 40_000;
/// The window of an inbound packet whose line gives none.
pub const DEFAULT_WINDOW: u16 = 65_535;
/// How long `*` waits for an outbound packet on a virtual clock (µs).
const ANY_TIME_WAIT: u64 = 3_600_000_000;

/// How a script ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every event happened as the script says.
    Pass,
    /// The first difference: the line, what it expected, what happened.
    Fail {
        /// 1-based line.
        line: usize,
        /// What the line expects.
        expected: String,
        /// What the target did.
        actual: String,
    },
    /// The line asks for something this interpreter or this target does
    /// not do; nothing after it was run.
    Unsupported {
        /// 1-based line.
        line: usize,
        /// What.
        what: String,
    },
}

/// A script's verdict and how much of it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// The verdict.
    pub verdict: Verdict,
    /// Events run (all of them on a pass).
    pub events: usize,
}

impl Outcome {
    /// One line, as `synfin-conform pkt run` prints it:
    /// `FILE: pass`, `FILE:LINE: expected ..., actual ...`,
    /// `FILE:LINE: unsupported: ...`.
    pub fn message(&self, file: &str) -> String {
        match &self.verdict {
            Verdict::Pass => format!("{file}: pass ({} events)", self.events),
            Verdict::Fail {
                line,
                expected,
                actual,
            } => format!("{file}:{line}: expected {expected}, actual {actual}"),
            Verdict::Unsupported { line, what } => format!("{file}:{line}: unsupported: {what}"),
        }
    }
}

/// Runs `script` against `target`, which must be fresh.
pub fn run(script: &Script, target: &mut dyn SocketTarget) -> Outcome {
    let peer = SocketAddrV4::new(target.remote_ip(), REMOTE_PORT);
    let mut r = Runner {
        tol: script.tolerance_usecs,
        fds: BTreeMap::new(),
        local: None,
        peer,
        local_isn: 0,
        last: 0,
        pending: None,
        target,
    };
    let mut events = 0;
    for ev in &script.events {
        if let Err(v) = r.event(ev) {
            return Outcome { verdict: v, events };
        }
        events += 1;
        if let Err(v) = r.retry_pending() {
            return Outcome { verdict: v, events };
        }
    }
    if let Some(p) = &r.pending {
        return Outcome {
            verdict: Verdict::Fail {
                line: p.line,
                expected: format!(
                    "{} to return {} at {}",
                    p.call.name(),
                    p.expect,
                    secs(p.end)
                ),
                actual: "still blocked when the script ended".into(),
            },
            events,
        };
    }
    Outcome {
        verdict: Verdict::Pass,
        events,
    }
}

struct Fd {
    sock: SockId,
    nonblocking: bool,
}

/// A blocking call waiting to return.
struct Pending {
    line: usize,
    call: Call,
    expect: Return,
    end: u64,
}

struct Runner<'a> {
    target: &'a mut dyn SocketTarget,
    tol: u64,
    fds: BTreeMap<i64, Fd>,
    local: Option<SocketAddrV4>,
    peer: SocketAddrV4,
    local_isn: u32,
    last: u64,
    pending: Option<Pending>,
}

/// `1.250000`: microseconds as seconds.
fn secs(us: u64) -> String {
    format!("{}.{:06}", us / 1_000_000, us % 1_000_000)
}

type Step = Result<(), Verdict>;

impl Runner<'_> {
    fn point(&self, p: Point) -> u64 {
        match p {
            Point::Absolute(t) => t,
            Point::Relative(d) => self.last.saturating_add(d),
        }
    }

    /// The event's earliest and latest time (`None`: any).
    fn window(&self, t: Time) -> (u64, Option<u64>) {
        match t {
            Time::At(p) => {
                let x = self.point(p);
                (x, Some(x))
            }
            Time::Range(a, b) | Time::Blocking(a, b) => (self.point(a), Some(self.point(b))),
            Time::Any => (self.target.now(), None),
        }
    }

    fn local(&self) -> SocketAddrV4 {
        self.local
            .unwrap_or(SocketAddrV4::new(self.target.local_ip(), LOCAL_PORT))
    }

    fn event(&mut self, ev: &Event) -> Step {
        let (lo, hi) = self.window(ev.time);
        if let EventKind::Outbound(p) = &ev.kind {
            return self.outbound(ev.line, p, lo, hi);
        }
        if let EventKind::Unsupported(what) = &ev.kind {
            return Err(Verdict::Unsupported {
                line: ev.line,
                what: what.clone(),
            });
        }
        self.target.advance_to(lo);
        self.last = lo;
        match &ev.kind {
            EventKind::Inbound(p) => {
                self.inbound(p);
                Ok(())
            }
            EventKind::Syscall(s) => self.syscall(ev.line, ev.time, s),
            EventKind::Shell(cmd) => {
                let (local, peer) = (self.local(), self.peer);
                match shell::run(cmd, self.target, local, peer) {
                    ShellOutcome::Ok => Ok(()),
                    ShellOutcome::Failed(expected, actual) => Err(Verdict::Fail {
                        line: ev.line,
                        expected,
                        actual,
                    }),
                    ShellOutcome::Unsupported(what) => Err(Verdict::Unsupported {
                        line: ev.line,
                        what,
                    }),
                }
            }
            EventKind::Outbound(_) | EventKind::Unsupported(_) => Ok(()),
        }
    }

    // -----------------------------------------------------------------
    // Packets.

    fn inbound(&mut self, p: &Packet) {
        let isn = self.local_isn;
        let options = match &p.options {
            Options::List(l) => l.iter().map(|o| shift_sack(o, isn)).collect(),
            Options::Unpinned | Options::Any => Vec::new(),
        };
        let seg = Segment {
            src: self.peer,
            dst: self.local(),
            flags: p.flags,
            seq: REMOTE_ISN.wrapping_add(p.seq),
            ack: p.ack.map_or(0, |a| isn.wrapping_add(a)),
            window: p.win.map_or(DEFAULT_WINDOW, |w| w as u16),
            options,
            payload: vec![0; p.len as usize],
        };
        self.target.inject(&seg);
    }

    fn outbound(&mut self, line: usize, p: &Packet, lo: u64, hi: Option<u64>) -> Step {
        let until = match (hi, self.target.clock()) {
            (Some(h), _) => h.saturating_add(self.tol),
            (None, Clock::Virtual) => self.target.now().saturating_add(ANY_TIME_WAIT),
            (None, Clock::Real) => self.target.now().saturating_add(10_000_000),
        };
        let when = match hi {
            Some(h) if h == lo => format!(" at {}", secs(lo)),
            Some(h) => format!(" in {}~{}", secs(lo), secs(h)),
            None => String::new(),
        };
        let Some(sent) = self.target.next_sent(until) else {
            return Err(Verdict::Fail {
                line,
                expected: format!("> {p}{when}"),
                actual: format!("no packet by {}", secs(until)),
            });
        };
        let seg = sent.segment;
        if seg.flags & flag::SYN != 0 {
            self.local_isn = seg.seq;
        }
        let local = *self.local.get_or_insert(seg.src);
        let actual = self.relative(&seg);
        if seg.src != local || seg.dst != self.peer {
            return Err(Verdict::Fail {
                line,
                expected: format!("> {p} from {local} to {}", self.peer),
                actual: format!("> {actual} from {} to {}", seg.src, seg.dst),
            });
        }
        if hi.is_some() && sent.at < lo.saturating_sub(self.tol) {
            return Err(Verdict::Fail {
                line,
                expected: format!("> {p}{when}"),
                actual: format!("> {actual} at {} (too early)", secs(sent.at)),
            });
        }
        if let Some(what) = differs(p, &actual) {
            return Err(Verdict::Fail {
                line,
                expected: format!("> {p}"),
                actual: format!("> {actual} ({what} differs)"),
            });
        }
        self.last = sent.at;
        Ok(())
    }

    /// `seg` in the script's numbering, every field given.
    fn relative(&self, seg: &Segment) -> Packet {
        let seq = seg.seq.wrapping_sub(self.local_isn);
        let len = seg.payload.len() as u32;
        Packet {
            flags: seg.flags,
            seq,
            end: seq.wrapping_add(len),
            len,
            ack: (seg.flags & flag::ACK != 0).then(|| seg.ack.wrapping_sub(REMOTE_ISN)),
            win: Some(u32::from(seg.window)),
            options: Options::List(
                seg.options
                    .iter()
                    .map(|o| shift_sack(o, 0u32.wrapping_sub(REMOTE_ISN)))
                    .collect(),
            ),
        }
    }

    // -----------------------------------------------------------------
    // System calls.

    fn syscall(&mut self, line: usize, time: Time, s: &Syscall) -> Step {
        let blocking = !self.nonblocking(&s.call);
        let r = self.exec(line, &s.call)?;
        if blocking && r.would_block(&s.call) {
            let Time::Blocking(_, b) = time else {
                return Err(Verdict::Unsupported {
                    line,
                    what: format!(
                        "a blocking {} that would wait (give the line a time `a...b`, \
                         or set O_NONBLOCK)",
                        s.call.name()
                    ),
                });
            };
            if self.pending.is_some() {
                return Err(Verdict::Unsupported {
                    line,
                    what: "two blocking calls at once".into(),
                });
            }
            self.pending = Some(Pending {
                line,
                call: s.call.clone(),
                expect: s.expect.clone(),
                end: self.point(b),
            });
            return Ok(());
        }
        check(line, &s.call, &s.expect, &r)
    }

    /// After each event: whether the blocking call waiting can return now.
    fn retry_pending(&mut self) -> Step {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let call = match p.call {
            // A connect in progress is asked again: EALREADY while the
            // handshake runs, EISCONN once it is done.
            Call::Connect { fd } => Call::Connect { fd },
            ref c => c.clone(),
        };
        let mut r = self.exec(p.line, &call)?;
        if let Call::Connect { .. } = call {
            match r.ret {
                Return::Errno(ref e) if e == "EALREADY" || e == "EINPROGRESS" => {
                    self.pending = Some(p);
                    return Ok(());
                }
                Return::Errno(ref e) if e == "EISCONN" => r.ret = Return::Value(0),
                _ => {}
            }
        } else if r.would_block(&call) {
            self.pending = Some(p);
            return Ok(());
        }
        let now = self.target.now();
        if now.abs_diff(p.end) > self.tol {
            return Err(Verdict::Fail {
                line: p.line,
                expected: format!("{} to return at {}", call.name(), secs(p.end)),
                actual: format!("it returned at {}", secs(now)),
            });
        }
        check(p.line, &call, &p.expect, &r)
    }

    fn nonblocking(&self, c: &Call) -> bool {
        let fd = match *c {
            Call::Accept { fd }
            | Call::Connect { fd }
            | Call::Write { fd, .. }
            | Call::Read { fd, .. } => fd,
            _ => return true,
        };
        self.fds.get(&fd).is_none_or(|f| f.nonblocking)
    }

    fn new_fd(&mut self, sock: SockId) -> i64 {
        let fd = (3..).find(|f| !self.fds.contains_key(f)).unwrap_or(3);
        self.fds.insert(
            fd,
            Fd {
                sock,
                nonblocking: false,
            },
        );
        fd
    }

    fn sock(&self, fd: i64) -> Result<SockId, CallError> {
        self.fds
            .get(&fd)
            .map(|f| f.sock)
            .ok_or(CallError::Errno(Errno::Ebadf))
    }

    /// Makes the call; an unsupported call stops the script.
    fn exec(&mut self, line: usize, call: &Call) -> Result<Actual, Verdict> {
        let r = self.exec_inner(call);
        match r {
            Ok(a) => Ok(a),
            Err(CallError::Errno(e)) => Ok(Actual {
                ret: Return::Errno(e.name().to_string()),
                value: None,
            }),
            Err(CallError::Unsupported(what)) => Err(Verdict::Unsupported { line, what }),
        }
    }

    fn exec_inner(&mut self, call: &Call) -> Result<Actual, CallError> {
        let ok = |v: i64| {
            Ok(Actual {
                ret: Return::Value(v),
                value: None,
            })
        };
        let t = &mut *self.target;
        match *call {
            Call::Socket => {
                let s = t.socket()?;
                ok(self.new_fd(s))
            }
            Call::GetFl { fd } => {
                let f = self.fds.get(&fd).ok_or(Errno::Ebadf)?;
                ok(2 | if f.nonblocking { 0o4000 } else { 0 })
            }
            Call::SetFl { fd, nonblocking } => {
                self.fds.get_mut(&fd).ok_or(Errno::Ebadf)?.nonblocking = nonblocking;
                ok(0)
            }
            Call::SetSockOpt { fd, opt } => {
                let s = self.sock(fd)?;
                self.target.set_option(s, opt)?;
                ok(0)
            }
            Call::GetSockOpt { fd, opt } => {
                let s = self.sock(fd)?;
                let name = match opt {
                    SockOpt::ReuseAddr(_) => SockOptName::ReuseAddr,
                    SockOpt::Linger { .. } => SockOptName::Linger,
                    SockOpt::RcvBuf(_) => SockOptName::RcvBuf,
                    SockOpt::Error(_) => SockOptName::Error,
                };
                let v = self.target.get_option(s, name)?;
                Ok(Actual {
                    ret: Return::Value(0),
                    value: Some(v),
                })
            }
            Call::Bind { fd } => {
                let s = self.sock(fd)?;
                let addr = SocketAddrV4::new(self.target.local_ip(), LOCAL_PORT);
                self.target.bind(s, addr)?;
                self.local = Some(addr);
                ok(0)
            }
            Call::Listen { fd, backlog } => {
                let s = self.sock(fd)?;
                self.target.listen(s, backlog)?;
                ok(0)
            }
            Call::Accept { fd } => {
                let s = self.sock(fd)?;
                let c = self.target.accept(s)?;
                ok(self.new_fd(c))
            }
            Call::Connect { fd } => {
                let s = self.sock(fd)?;
                let r = self.target.connect(s, self.peer);
                if let Some(a) = self.target.local_addr(s) {
                    if a.port() != 0 {
                        self.local = Some(a);
                    }
                }
                r?;
                ok(0)
            }
            Call::Write { fd, len } => {
                let s = self.sock(fd)?;
                let n = self.target.write(s, &vec![0; len])?;
                ok(n as i64)
            }
            Call::Read { fd, len } => {
                let s = self.sock(fd)?;
                let v = self.target.read(s, len)?;
                ok(v.len() as i64)
            }
            Call::Shutdown { fd, how } => {
                let s = self.sock(fd)?;
                self.target.shutdown(s, how)?;
                ok(0)
            }
            Call::Close { fd } => {
                let s = self.sock(fd)?;
                self.fds.remove(&fd);
                self.target.close(s)?;
                ok(0)
            }
        }
    }
}

/// What a call returned, and the value a `getsockopt` read.
struct Actual {
    ret: Return,
    value: Option<SockOpt>,
}

impl Actual {
    fn would_block(&self, call: &Call) -> bool {
        match (&self.ret, call) {
            (Return::Errno(e), Call::Connect { .. }) => e == "EINPROGRESS",
            (Return::Errno(e), Call::Accept { .. } | Call::Read { .. } | Call::Write { .. }) => {
                e == "EAGAIN"
            }
            _ => false,
        }
    }
}

fn check(line: usize, call: &Call, expect: &Return, r: &Actual) -> Step {
    let name = call.name();
    if &r.ret != expect {
        return Err(Verdict::Fail {
            line,
            expected: format!("{name}() = {expect}"),
            actual: format!("{name}() = {}", errno_text(&r.ret)),
        });
    }
    if let (Call::GetSockOpt { opt, .. }, Some(v)) = (call, &r.value) {
        if opt != v {
            return Err(Verdict::Fail {
                line,
                expected: format!("getsockopt() to read {}", opt_text(opt)),
                actual: opt_text(v),
            });
        }
    }
    Ok(())
}

fn errno_text(r: &Return) -> String {
    match r {
        Return::Errno(e) => match Errno::from_name(e) {
            Some(x) => format!("-1 {x}"),
            None => format!("-1 {e}"),
        },
        v => v.to_string(),
    }
}

fn opt_text(o: &SockOpt) -> String {
    match *o {
        SockOpt::ReuseAddr(b) => format!("SO_REUSEADDR [{}]", u8::from(b)),
        SockOpt::Linger { on, secs } => {
            format!("SO_LINGER {{onoff={}, linger={secs}}}", u8::from(on))
        }
        SockOpt::RcvBuf(n) => format!("SO_RCVBUF [{n}]"),
        SockOpt::Error(0) => "SO_ERROR [0]".into(),
        SockOpt::Error(e) => match Errno::from_number(e) {
            Some(x) => format!("SO_ERROR [{}]", x.name()),
            None => format!("SO_ERROR [{e}]"),
        },
    }
}

/// A SACK option with its blocks moved by `by`.
fn shift_sack(o: &TcpOption, by: u32) -> TcpOption {
    match o {
        TcpOption::Sack(b) => TcpOption::Sack(
            b.iter()
                .map(|&(l, r)| (l.wrapping_add(by), r.wrapping_add(by)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The first field in which `actual` is not what `expected` pins.
fn differs(expected: &Packet, actual: &Packet) -> Option<&'static str> {
    if expected.flags != actual.flags {
        return Some("flags");
    }
    if expected.seq != actual.seq || expected.end != actual.end {
        return Some("sequence range");
    }
    if expected.len != actual.len {
        return Some("payload length");
    }
    if expected.ack.is_some() && expected.ack != actual.ack {
        return Some("ack");
    }
    if expected.win.is_some() && expected.win != actual.win {
        return Some("window");
    }
    if let Options::List(_) = expected.options {
        if expected.options != actual.options {
            return Some("options");
        }
    }
    None
}
