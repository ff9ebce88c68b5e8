//! [`KernelTarget`]: the Linux kernel's TCP as a [`ConformanceTarget`] for
//! the one model host it plays (see the module documentation of
//! [`crate::kernel`] for the mapping and its limits).

use std::io;
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use nix::sys::socket::{setsockopt, sockopt};
use synfin_linux::sys::netns::Net;
use synfin_linux::sys::sock_diag::{KernelSocket, KernelState, SockDiag, TimerKind};
use synfin_linux::sys::socket as ksock;
use synfin_linux::sys::tun::TunIo;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

use crate::target::ConformanceTarget;
use crate::trace::{HostObs, TSeg, TraceConfig};

/// Why a replay stopped before the end of its trace without a verdict on
/// the remaining steps. Each is a distinct, named outcome, never a pass.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EndEarly {
    /// The model's TIME-WAIT timer expires here; the kernel's lasts 60 s
    /// (`TCP_TIMEWAIT_LEN`, not configurable), and nobody waits for it.
    TimeWait,
    /// The kernel's timer is due later than the wait budget allows.
    LongTimer(String),
    /// The socket API gives the kernel's application no way to make this
    /// call in this state (say, CLOSE of a connection still in the listen
    /// queue, or SEND before ESTABLISHED).
    Unplayable(String),
}

impl std::fmt::Display for EndEarly {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EndEarly::TimeWait => f.write_str("time-wait"),
            EndEarly::LongTimer(w) => write!(f, "long-timer: {w}"),
            EndEarly::Unplayable(w) => write!(f, "unplayable: {w}"),
        }
    }
}

/// The per-namespace sysctls a trace's configuration asks for, on top of
/// the deterministic ones [`synfin_linux::sys::netns`] writes.
fn trace_sysctls(cfg: &TraceConfig) -> Vec<(&'static str, String)> {
    let retries = u32::from(cfg.retries).max(1);
    let rto_us = u64::from(cfg.rto) * cfg.tick_seconds * 1_000_000;
    vec![
        // RFC 6298 doubling of the SYN timeout, the model's schedule.
        ("ipv4/tcp_syn_linear_timeouts", "0".to_string()),
        // The model's retry limit for SYN, SYN,ACK and data/FIN.
        ("ipv4/tcp_syn_retries", retries.to_string()),
        ("ipv4/tcp_synack_retries", retries.to_string()),
        ("ipv4/tcp_retries2", retries.to_string()),
        // The model's RTO once connected (the SYN's is the kernel's fixed
        // 1 s, TCP_TIMEOUT_INIT).
        ("ipv4/tcp_rto_min_us", rto_us.to_string()),
        // No tail loss probes: the model retransmits only on its RTO.
        ("ipv4/tcp_early_retrans", "0".to_string()),
        // Linux's default, written so a changed host default cannot leak
        // in: an RST in TIME-WAIT ends it (no RFC 1337 F1).
        ("ipv4/tcp_rfc1337", "0".to_string()),
    ]
}

/// How long to wait for the kernel's timer beyond what it says is left:
/// timer-wheel slack (up to 1/8 of the timeout) and scheduling.
fn slack(ms: u32) -> Duration {
    Duration::from_millis(u64::from(ms / 8) + 300)
}

/// The Linux kernel playing host `role` of a trace, through sockets in a
/// private network namespace and a TUN device where the harness plays the
/// other host. Build it on the namespace's thread with [`KernelTarget::new`].
pub struct KernelTarget {
    io: TunIo,
    diag: SockDiag,
    role: usize,
    next_port: u16,
    kaddr: SocketAddrV4,
    haddr: SocketAddrV4,
    tick: Duration,
    model_bases: [i64; 2],
    /// Absolute = `hbase` + relative, for the harness's host.
    hbase: u32,
    /// Absolute = `kbase` + relative, for the kernel's host: learned from
    /// its SYN (or SYN,ACK) of the current incarnation.
    kbase: u32,
    next_iss: Option<i64>,
    /// The kernel's ISS of the current incarnation (relative), once seen.
    kiss: Option<i64>,
    listener: Option<TcpListener>,
    stream: Option<TcpStream>,
    connecting: bool,
    dead: bool,
    delivered: u8,
    eof: bool,
    events: Vec<String>,
    emitted: Vec<Segment>,
    prev_state: &'static str,
    end: Option<EndEarly>,
    sysctls_for: Option<TraceConfig>,
    /// Whether the kernel's host had an input in this step.
    touched: bool,
    /// How long to wait for an answer after an input to the kernel when
    /// none is queued yet.
    pub settle: Duration,
    /// Longest the harness waits for one kernel timer.
    pub wait_budget: Duration,
    /// Real time spent waiting for the kernel's timers.
    pub waited: Duration,
    /// Segments read from the TUN that belonged to no current 4-tuple
    /// (leftovers of earlier replays in the same namespace).
    pub stray: u64,
    /// Whether a TIME-WAIT timer value (60 s against the trace's) was
    /// accepted during this replay (the `linux` profile absorbs it).
    pub absorbed_time_wait: bool,
}

impl KernelTarget {
    /// Takes over the namespace `net` (call on its thread): TUN, sock_diag,
    /// and a route to the harness's address with delayed ACKs off (the model
    /// acknowledges at once; Linux would hold an ACK up to 200 ms).
    pub fn new(net: Net) -> io::Result<KernelTarget> {
        quickack_route()?;
        let io = TunIo::new(net.tun)?;
        let diag = SockDiag::new()?;
        Ok(KernelTarget {
            io,
            diag,
            role: 0,
            next_port: 0,
            kaddr: SocketAddrV4::new(net.kernel_ip, 20000),
            haddr: SocketAddrV4::new(net.local_ip, 40000),
            tick: Duration::from_secs(1),
            model_bases: [0, 100],
            hbase: 0,
            kbase: 0,
            next_iss: None,
            kiss: None,
            listener: None,
            stream: None,
            connecting: false,
            dead: false,
            delivered: 0,
            eof: false,
            events: Vec::new(),
            emitted: Vec::new(),
            prev_state: "CLOSED",
            end: None,
            sysctls_for: None,
            touched: false,
            settle: Duration::from_millis(2),
            wait_budget: Duration::from_secs(5),
            waited: Duration::ZERO,
            stray: 0,
            absorbed_time_wait: false,
        })
    }

    /// The model host (0 = A, 1 = B) the kernel plays from the next
    /// [`start`](ConformanceTarget::start) on; the harness plays the other.
    pub fn play(&mut self, host: usize) {
        self.role = host.min(1);
    }

    /// The host the kernel plays.
    pub fn role(&self) -> usize {
        self.role
    }

    /// Why the replay must stop here, if it must.
    pub fn ended_early(&self) -> Option<&EndEarly> {
        self.end.as_ref()
    }

    fn end_early(&mut self, why: EndEarly) {
        if self.end.is_none() {
            self.end = Some(why);
        }
    }

    fn rel_k(&self, abs: SeqNum) -> i64 {
        i64::from(abs.0.wrapping_sub(self.kbase) as i32)
    }

    fn rel_h(&self, abs: SeqNum) -> i64 {
        i64::from(abs.0.wrapping_sub(self.hbase) as i32)
    }

    fn abs(base: u32, rel: i64) -> SeqNum {
        SeqNum((i64::from(base) + rel).rem_euclid(1 << 32) as u32)
    }

    /// Drops every socket of the previous replay: an abortive close, so no
    /// orphan keeps retransmitting into the device.
    fn drop_sockets(&mut self) {
        if let Some(s) = self.stream.take() {
            let _ = setsockopt(&s, sockopt::Linger, &linger0());
        }
        self.listener = None;
    }

    fn write_sysctls(&mut self, cfg: &TraceConfig) {
        if self.sysctls_for.as_ref() == Some(cfg) {
            return;
        }
        for (k, v) in trace_sysctls(cfg) {
            // A kernel without a knob keeps its default; the replay shows
            // the consequence.
            let _ = std::fs::write(format!("/proc/sys/net/{k}"), v);
        }
        self.sysctls_for = Some(cfg.clone());
    }

    /// Reads what the kernel wrote to the device, keeping this replay's
    /// segments; learns the kernel's ISN from its SYN.
    fn drain(&mut self) {
        loop {
            match self.io.try_recv() {
                Ok(Some(seg)) => self.take(seg),
                Ok(None) | Err(_) => return,
            }
        }
    }

    fn take(&mut self, seg: Segment) {
        if seg.src != self.kaddr || seg.dst != self.haddr {
            self.stray += 1;
            return;
        }
        if seg.flags.contains(Flags::SYN) {
            let rel = self.next_iss.unwrap_or(0);
            self.kbase = seg.seq.0.wrapping_sub(rel as u32);
            self.kiss = Some(rel);
        }
        self.emitted.push(seg);
    }

    fn info(&mut self) -> Option<KernelSocket> {
        self.diag.lookup(self.kaddr, self.haddr).ok().flatten()
    }

    /// After the application dropped its socket: waits (up to 100 ms) until
    /// the kernel has let the connection go. close(2) releases the socket at
    /// once unless another reference to the descriptor exists (as it does
    /// for a moment in a child that any thread of this process forks, until
    /// it execs): a defensive wait.
    fn wait_released(&mut self) {
        let until = std::time::Instant::now() + Duration::from_millis(100);
        while self.info().is_some() && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
    }

    /// The application's view: accept a completed passive open, notice a
    /// completed or failed active open, read what arrived.
    fn poll_app(&mut self) {
        if let Some(l) = &self.listener {
            if let Ok(Some(s)) = ksock::try_accept(l) {
                let _ = s.set_nodelay(true);
                self.stream = Some(s);
                self.dead = false;
                self.events.push("connected".into());
                // The model's host is one TCB: once the connection is
                // accepted, LISTEN is gone. Closing the listener makes the
                // host CLOSED when this connection ends, as in the model.
                self.listener = None;
            }
        }
        let Some(s) = self.stream.as_mut() else {
            return;
        };
        if self.dead {
            return;
        }
        if let Ok(Some(e)) = s.take_error() {
            self.events.push(error_event(&e));
            self.dead = true;
            self.connecting = false;
            return;
        }
        if self.connecting {
            // A non-blocking connect completes when the socket becomes
            // writable (connect(2)). getpeername would already succeed in
            // SYN-RECEIVED of a simultaneous open, before the handshake is
            // done.
            if !writable(s) {
                return;
            }
            self.connecting = false;
            self.events.push("connected".into());
        }
        let mut buf = Vec::new();
        match ksock::read_available(s, &mut buf) {
            Ok(r) => {
                self.delivered = self.delivered.saturating_add(r.bytes as u8);
                if r.eof && !self.eof {
                    self.eof = true;
                    self.events.push("peer-closed".into());
                }
            }
            Err(e) if e.raw_os_error() == Some(nix::errno::Errno::ENOTCONN as i32) => {}
            Err(e) => {
                self.events.push(error_event(&e));
                self.dead = true;
            }
        }
    }

    /// The kernel host's state: the connection's, else LISTEN while the
    /// listener is open, else CLOSED.
    fn state(&mut self) -> (&'static str, Option<KernelSocket>) {
        match self.info() {
            Some(i) => (i.state.name(), Some(i)),
            None if self.listener.is_some() => (KernelState::Listen.name(), None),
            None => (KernelState::Closed.name(), None),
        }
    }

    /// Waits for the kernel's running timer to fire: until it sends a
    /// segment or its state changes, within what the timer says is left
    /// plus slack, and never longer than [`wait_budget`](Self::wait_budget).
    fn wait_for_timer(&mut self) {
        let (state, info) = self.state();
        let Some((kind, ms)) = info.and_then(|i| i.timer) else {
            // No timer: nothing will happen; the next observation shows it.
            return;
        };
        if kind == TimerKind::TimeWait || state == "TIME-WAIT" {
            self.end_early(EndEarly::TimeWait);
            return;
        }
        let wait = Duration::from_millis(u64::from(ms)) + slack(ms);
        if wait > self.wait_budget {
            self.end_early(EndEarly::LongTimer(format!(
                "{state}: the kernel's {kind:?} timer is due in {ms} ms"
            )));
            return;
        }
        let started = std::time::Instant::now();
        let deadline = self.io.now() + wait;
        let before = self.emitted.len();
        loop {
            let step = (self.io.now() + Duration::from_millis(10)).min(deadline);
            if let Ok(Some(seg)) = self.io.recv(Some(step)) {
                self.take(seg);
                if self.emitted.len() > before {
                    // One timer expiry may send several segments: they are
                    // queued within microseconds of each other.
                    let settle = self.io.now() + Duration::from_millis(20);
                    while let Ok(Some(seg)) = self.io.recv(Some(settle)) {
                        self.take(seg);
                    }
                    break;
                }
            }
            if self.state().0 != state || self.io.now() >= deadline {
                break;
            }
        }
        self.waited += started.elapsed();
    }

    fn tseg(&self, s: &Segment) -> TSeg {
        let mut fl = Vec::new();
        for (bit, n) in [
            (Flags::SYN, "SYN"),
            (Flags::ACK, "ACK"),
            (Flags::FIN, "FIN"),
            (Flags::RST, "RST"),
        ] {
            if s.flags.contains(bit) {
                fl.push(n);
            }
        }
        let rst_ack = s.flags.contains(Flags::RST) && s.flags.contains(Flags::ACK);
        TSeg {
            from: if self.role == 0 { "A" } else { "B" }.to_string(),
            seq: if rst_ack && s.seq.0 == 0 && fl.len() == 2 {
                None
            } else {
                Some(self.rel_k(s.seq))
            },
            flags: fl.join(","),
            ack: if s.flags.contains(Flags::ACK) {
                self.rel_h(s.ack)
            } else {
                0
            },
            len: s.payload.len().min(255) as u8,
        }
    }

    fn segment(&self, seg: &TSeg) -> Segment {
        let from = usize::from(seg.from == "B");
        let mut flags = Flags::NONE;
        for f in seg.flags.split(',') {
            flags |= match f {
                "SYN" => Flags::SYN,
                "ACK" => Flags::ACK,
                "FIN" => Flags::FIN,
                "RST" => Flags::RST,
                _ => Flags::NONE,
            };
        }
        Segment {
            src: self.haddr,
            dst: self.kaddr,
            // The literal <SEQ=0> lies where it lies in the model's numbers.
            seq: Self::abs(self.hbase, seg.seq.unwrap_or(-self.model_bases[from])),
            ack: if flags.contains(Flags::ACK) {
                Self::abs(self.kbase, seg.ack)
            } else {
                SeqNum(0)
            },
            flags,
            window: 64240,
            mss: None,
            payload: vec![b'x'; usize::from(seg.len)],
        }
    }
}

/// Whether `s` polls writable now (`POLLOUT`), without waiting.
fn writable(s: &TcpStream) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(s.as_fd(), PollFlags::POLLOUT)];
    matches!(poll(&mut fds, PollTimeout::ZERO), Ok(n) if n > 0)
        && fds[0]
            .revents()
            .is_some_and(|r| r.contains(PollFlags::POLLOUT))
}

fn linger0() -> nix::libc::linger {
    nix::libc::linger {
        l_onoff: 1,
        l_linger: 0,
    }
}

/// The application event an error on the kernel's socket means.
fn error_event(e: &io::Error) -> String {
    use nix::errno::Errno;
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ECONNREFUSED) => "refused".into(),
        Some(Errno::ECONNRESET | Errno::EPIPE) => "reset".into(),
        Some(Errno::ETIMEDOUT) => "timed-out".into(),
        _ => format!("error:{e}"),
    }
}

/// Turns delayed ACKs off on the namespace's route to the harness
/// (`quickack 1`, RTAX_QUICKACK), with iproute2 in this thread's namespace.
fn quickack_route() -> io::Result<()> {
    use synfin_linux::sys::netns::{KERNEL_IP, PREFIX_LEN, TUN_NAME};
    let net = format!(
        "{}/{PREFIX_LEN}",
        std::net::Ipv4Addr::from(u32::from(KERNEL_IP) & (u32::MAX << (32 - PREFIX_LEN)))
    );
    let out = std::process::Command::new("ip")
        .args(["route", "replace", &net, "dev", TUN_NAME, "src"])
        .arg(KERNEL_IP.to_string())
        .args(["quickack", "1"])
        .output()
        .map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot run `ip` (iproute2) to turn delayed ACKs off: {e}"),
            )
        })?;
    if !out.status.success() {
        return Err(io::Error::other(format!(
            "`ip route replace {net} dev {TUN_NAME} quickack 1` failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        )));
    }
    Ok(())
}

impl ConformanceTarget for KernelTarget {
    fn start(&mut self, cfg: &TraceConfig, isn_base: u32) {
        self.drop_sockets();
        self.drain();
        self.write_sysctls(cfg);
        // A fresh 4-tuple for every replay: nothing an earlier replay left
        // behind (TIME-WAIT, a dying orphan) can answer for this one.
        self.next_port = self.next_port.wrapping_add(1) % 20000;
        self.kaddr.set_port(20000 + self.next_port);
        self.haddr.set_port(40000 + self.next_port);
        self.tick = Duration::from_secs(cfg.tick_seconds);
        self.model_bases = cfg.model_isn_bases;
        self.hbase = isn_base;
        self.kbase = isn_base;
        self.next_iss = None;
        self.kiss = None;
        self.connecting = false;
        self.dead = false;
        self.delivered = 0;
        self.eof = false;
        self.events.clear();
        self.emitted.clear();
        self.prev_state = "CLOSED";
        self.end = None;
        self.absorbed_time_wait = false;
    }

    fn set_next_iss(&mut self, h: usize, rel: i64) {
        // The harness's ISS is whatever the trace says (it writes the
        // numbers itself); the kernel's is learned from its SYN.
        if h == self.role {
            self.next_iss = Some(rel);
        }
    }

    fn call(&mut self, h: usize, kind: &str) {
        if h != self.role || self.end.is_some() {
            return;
        }
        self.touched = true;
        let state = self.state().0;
        let passive_syn_rcvd = state == "SYN-RECEIVED" && self.stream.is_none();
        let r: io::Result<()> = match kind {
            "listen" => {
                self.delivered = 0;
                self.eof = false;
                self.stream = None;
                ksock::listen(self.kaddr).map(|l| self.listener = Some(l))
            }
            "connect" => {
                self.delivered = 0;
                self.eof = false;
                self.dead = false;
                self.kiss = None;
                ksock::connect_from(Some(self.kaddr), self.haddr).map(|s| {
                    let _ = s.set_nodelay(true);
                    self.stream = Some(s);
                    self.connecting = true;
                })
            }
            _ if passive_syn_rcvd => {
                self.end_early(EndEarly::Unplayable(format!(
                    "{kind} in SYN-RECEIVED of a passive open: the connection is still in \
                     the listen queue, the application has no socket for it"
                )));
                Ok(())
            }
            "send" if matches!(state, "SYN-SENT" | "SYN-RECEIVED") => {
                self.end_early(EndEarly::Unplayable(format!(
                    "send in {state}: the socket API cannot queue data before ESTABLISHED \
                     (RFC 9293 queues it)"
                )));
                Ok(())
            }
            "send" => match self.stream.as_mut() {
                Some(s) => ksock::write_all(s, b"x"),
                None => Err(io::Error::other("no socket")),
            },
            "close" if state == "SYN-SENT" => {
                // CLOSE in SYN-SENT deletes the TCB (RFC 9293 §3.10.4): the
                // kernel disconnects on shutdown(2) and flags ECONNRESET on
                // the socket, which is the call's own doing, not the peer's.
                if let Some(s) = self.stream.take() {
                    let r = ksock::shutdown_write(&s);
                    drop(s);
                    self.wait_released();
                    r
                } else {
                    Ok(())
                }
            }
            "close" => {
                if let Some(s) = &self.stream {
                    // CLOSE is "no more to send" (RFC 9293 §3.10.4): the
                    // application can still RECEIVE, which close(2) of the
                    // descriptor would not allow. In SYN-SENT it deletes the
                    // TCB (the kernel disconnects).
                    ksock::shutdown_write(s)
                } else {
                    self.listener = None;
                    Ok(())
                }
            }
            "abort" => {
                // ABORT: SO_LINGER {on, 0} and close(2) send a RST.
                if let Some(s) = self.stream.take() {
                    let _ = setsockopt(&s, sockopt::Linger, &linger0());
                    drop(s);
                    self.wait_released();
                }
                self.listener = None;
                Ok(())
            }
            other => Err(io::Error::other(format!("unknown call {other}"))),
        };
        if let Err(e) = r {
            self.events.push(format!("error:{kind}: {e}"));
        }
    }

    fn arrive(&mut self, h: usize, seg: &TSeg) {
        if h != self.role || self.end.is_some() {
            return;
        }
        self.touched = true;
        let s = self.segment(seg);
        // The kernel handles a TUN write in the writer's context: its answer
        // is queued on the device when `send` returns.
        if let Err(e) = self.io.send(&s) {
            self.events.push(format!("error:inject: {e}"));
        }
    }

    fn timeout(&mut self, h: usize) {
        if h != self.role || self.end.is_some() {
            return;
        }
        self.wait_for_timer();
    }

    fn tick(&mut self) {
        // Ticks are not slept through: the kernel's deadlines can then only
        // lag the model's, never lead them, and a `timeout` step waits for
        // the kernel's own timer (see the module documentation).
    }

    fn crash(&mut self, h: usize) {
        if h == self.role {
            self.end_early(EndEarly::Unplayable(
                "crash: the kernel cannot lose one TCB and keep quiet for MSL".into(),
            ));
        }
    }

    fn observe(&mut self, h: usize) -> HostObs {
        if h != self.role {
            // The harness's host is the trace itself: nothing to observe.
            return HostObs {
                state: "(harness)".into(),
                iss: None,
                timer: None,
                emitted: Vec::new(),
                delivered: 0,
                eof: false,
                events: Vec::new(),
                tcb: None,
            };
        }
        self.drain();
        if std::mem::take(&mut self.touched) && self.emitted.is_empty() {
            // The kernel usually acts on a TUN write or a socket call before
            // it returns; on a loaded machine softirq work can be deferred
            // to ksoftirqd, so give an answer a moment to appear.
            let until = self.io.now() + self.settle;
            if let Ok(Some(seg)) = self.io.recv(Some(until)) {
                self.take(seg);
                self.drain();
            }
        }
        self.poll_app();
        self.drain();
        let (state, info) = self.state();
        let mut events = std::mem::take(&mut self.events);
        let error = events
            .iter()
            .any(|e| matches!(e.as_str(), "reset" | "refused" | "timed-out"));
        if state == "CLOSED" && self.prev_state != "CLOSED" && !error {
            events.push("closed".into());
        }
        self.prev_state = state;
        let open = !matches!(state, "CLOSED" | "LISTEN");
        if !open {
            self.kiss = None;
            if self.dead || state == "CLOSED" {
                self.stream = None;
                self.connecting = false;
            }
        }
        let tick_ms = self.tick.as_millis().max(1) as u64;
        let timer = info
            .and_then(|i| i.timer)
            .map(|(_, ms)| ((u64::from(ms) + tick_ms / 2) / tick_ms).min(255) as u8);
        let mut emitted: Vec<TSeg> = std::mem::take(&mut self.emitted)
            .iter()
            .map(|s| self.tseg(s))
            .collect();
        emitted.sort();
        let (delivered, eof) = if open {
            (self.delivered, self.eof)
        } else {
            (0, false)
        };
        HostObs {
            state: state.to_string(),
            iss: if open { self.kiss } else { None },
            timer,
            emitted,
            delivered,
            eof,
            events,
            // The kernel's TCB is not observable from here (`observes_tcb`
            // keeps its default, false).
            tcb: None,
        }
    }
}

/// The kernel's timer kind on the connection, for classification.
pub fn timer_kind(t: &mut KernelTarget) -> Option<TimerKind> {
    t.info().and_then(|i| i.timer).map(|(k, _)| k)
}

/// When the current real time is, as the TUN's clock counts it (for
/// measurements).
pub fn now(t: &KernelTarget) -> Instant {
    t.io.now()
}
