//! [`KernelTarget`]: the Linux kernel's TCP as a [`Target`] for the one
//! model host it plays (see the module documentation of [`crate::kernel`]
//! for the mapping and its limits).

use std::io;
use std::net::{SocketAddrV4, TcpListener, TcpStream};
use std::time::Duration;

use nix::sys::socket::{setsockopt, sockopt};
use synfin_linux::sys::netns::Net;
use synfin_linux::sys::sock_diag::{KernelSocket, KernelState, SockDiag, TimerKind};
use synfin_linux::sys::socket as ksock;
use synfin_linux::sys::tun::TunIo;
use synfin_tcp::wire::Segment;

use crate::target::{
    Capabilities, Clock, IssControl, Report, Role, Stimulus, Target, Unsupported, WireSegment,
};
use crate::trace::{Call, Event, HostId, State, TraceConfig};

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

/// The Linux kernel playing one host of a trace, through sockets in a
/// private network namespace and a TUN device behind which the harness
/// plays the other host. Build it on the namespace's thread with
/// [`KernelTarget::new`].
pub struct KernelTarget {
    io: TunIo,
    diag: SockDiag,
    next_port: u16,
    kaddr: SocketAddrV4,
    haddr: SocketAddrV4,
    listener: Option<TcpListener>,
    stream: Option<TcpStream>,
    connecting: bool,
    dead: bool,
    delivered: u8,
    eof: bool,
    events: Vec<Event>,
    emitted: Vec<Segment>,
    prev_state: State,
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
}

impl KernelTarget {
    /// What the kernel can do as a target: one host at a time (the socket
    /// API has no way to carry segments between two of its connections on
    /// the harness's terms), its own ISS (RFC 6528's keyed hash), no view of
    /// its TCB variables, real time.
    pub const CAPABILITIES: Capabilities = Capabilities {
        plays_both: false,
        iss: IssControl::Learned,
        observes_tcb: false,
        clock: Clock::Real,
    };

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
            next_port: 0,
            kaddr: SocketAddrV4::new(net.kernel_ip, 20000),
            haddr: SocketAddrV4::new(net.local_ip, 40000),
            listener: None,
            stream: None,
            connecting: false,
            dead: false,
            delivered: 0,
            eof: false,
            events: Vec::new(),
            emitted: Vec::new(),
            prev_state: State::Closed,
            sysctls_for: None,
            touched: false,
            settle: Duration::from_millis(2),
            wait_budget: Duration::from_secs(5),
            waited: Duration::ZERO,
            stray: 0,
        })
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
    /// segments.
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
                self.events.push(Event::Connected);
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
            self.events.push(Event::Connected);
        }
        let mut buf = Vec::new();
        match ksock::read_available(s, &mut buf) {
            Ok(r) => {
                self.delivered = self.delivered.saturating_add(r.bytes as u8);
                if r.eof && !self.eof {
                    self.eof = true;
                    self.events.push(Event::PeerClosed);
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
    fn state(&mut self) -> (State, Option<KernelSocket>) {
        match self.info() {
            Some(i) => (state(i.state), Some(i)),
            None if self.listener.is_some() => (State::Listen, None),
            None => (State::Closed, None),
        }
    }

    /// Waits for the kernel's running timer to fire: until it sends a
    /// segment or its state changes, within what the timer says is left
    /// plus slack, and never longer than [`wait_budget`](Self::wait_budget):
    /// a longer timer (TIME-WAIT's 60 s among them) is not played.
    fn wait_for_timer(&mut self) -> Result<(), Unsupported> {
        let (state, info) = self.state();
        let Some((kind, ms)) = info.and_then(|i| i.timer) else {
            // No timer: nothing will happen; the next observation shows it.
            return Ok(());
        };
        if kind == TimerKind::TimeWait || state == State::TimeWait {
            return Err(Unsupported::TimeWait);
        }
        let wait = Duration::from_millis(u64::from(ms)) + slack(ms);
        if wait > self.wait_budget {
            return Err(Unsupported::LongTimer(format!(
                "{state}: the kernel's {kind:?} timer is due in {ms} ms"
            )));
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
        Ok(())
    }

    /// The application makes `call` through the socket API.
    fn call(&mut self, call: Call) -> Result<(), Unsupported> {
        self.touched = true;
        let state = self.state().0;
        let passive_syn_rcvd = state == State::SynReceived && self.stream.is_none();
        let r: io::Result<()> = match call {
            Call::Listen => {
                self.delivered = 0;
                self.eof = false;
                self.stream = None;
                ksock::listen(self.kaddr).map(|l| self.listener = Some(l))
            }
            Call::Connect => {
                self.delivered = 0;
                self.eof = false;
                self.dead = false;
                ksock::connect_from(Some(self.kaddr), self.haddr).map(|s| {
                    let _ = s.set_nodelay(true);
                    self.stream = Some(s);
                    self.connecting = true;
                })
            }
            _ if passive_syn_rcvd => {
                return Err(Unsupported::Unplayable(format!(
                    "{call} in SYN-RECEIVED of a passive open: the connection is still in \
                     the listen queue, the application has no socket for it"
                )));
            }
            Call::Send if matches!(state, State::SynSent | State::SynReceived) => {
                return Err(Unsupported::Unplayable(format!(
                    "send in {state}: the socket API cannot queue data before ESTABLISHED \
                     (RFC 9293 queues it)"
                )));
            }
            Call::Send => match self.stream.as_mut() {
                Some(s) => ksock::write_all(s, b"x"),
                None => Err(io::Error::other("no socket")),
            },
            Call::Close if state == State::SynSent => {
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
            Call::Close => {
                if let Some(s) = &self.stream {
                    // CLOSE is "no more to send" (RFC 9293 §3.10.4): the
                    // application can still RECEIVE, which close(2) of the
                    // descriptor would not allow.
                    ksock::shutdown_write(s)
                } else {
                    self.listener = None;
                    Ok(())
                }
            }
            Call::Abort => {
                // ABORT: SO_LINGER {on, 0} and close(2) send a RST.
                if let Some(s) = self.stream.take() {
                    let _ = setsockopt(&s, sockopt::Linger, &linger0());
                    drop(s);
                    self.wait_released();
                }
                self.listener = None;
                Ok(())
            }
        };
        if let Err(e) = r {
            self.events
                .push(Event::Unexpected(format!("error:{call}: {e}")));
        }
        Ok(())
    }

    /// The harness writes `seg` into the device, from its address to the
    /// kernel's.
    fn arrive(&mut self, seg: &WireSegment) {
        self.touched = true;
        let s = seg.to_codec(self.haddr, self.kaddr, 64240);
        // The kernel handles a TUN write in the writer's context: its answer
        // is queued on the device when `send` returns.
        if let Err(e) = self.io.send(&s) {
            self.events
                .push(Event::Unexpected(format!("error:inject: {e}")));
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
fn error_event(e: &io::Error) -> Event {
    use nix::errno::Errno;
    match e.raw_os_error().map(Errno::from_raw) {
        Some(Errno::ECONNREFUSED) => Event::Refused,
        Some(Errno::ECONNRESET | Errno::EPIPE) => Event::Reset,
        Some(Errno::ETIMEDOUT) => Event::TimedOut,
        _ => Event::Unexpected(format!("error:{e}")),
    }
}

/// The trace's name for the kernel's state.
fn state(k: KernelState) -> State {
    match k {
        KernelState::Closed => State::Closed,
        KernelState::Listen => State::Listen,
        KernelState::SynSent => State::SynSent,
        KernelState::SynReceived => State::SynReceived,
        KernelState::Established => State::Established,
        KernelState::FinWait1 => State::FinWait1,
        KernelState::FinWait2 => State::FinWait2,
        KernelState::CloseWait => State::CloseWait,
        KernelState::Closing => State::Closing,
        KernelState::LastAck => State::LastAck,
        KernelState::TimeWait => State::TimeWait,
    }
}

/// Turns delayed ACKs off on the namespace's route to the harness
/// (`quickack 1`, RTAX_QUICKACK), with iproute2 in this thread's namespace.
pub(crate) fn quickack_route() -> io::Result<()> {
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

impl Target for KernelTarget {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn start(&mut self, cfg: &TraceConfig, role: Role) -> Result<(), Unsupported> {
        if role == Role::Both {
            return Err(Unsupported::Unplayable(
                "the kernel plays one host at a time".into(),
            ));
        }
        self.drop_sockets();
        self.drain();
        self.write_sysctls(cfg);
        // A fresh 4-tuple for every replay: nothing an earlier replay left
        // behind (TIME-WAIT, a dying orphan) can answer for this one.
        self.next_port = self.next_port.wrapping_add(1) % 20000;
        self.kaddr.set_port(20000 + self.next_port);
        self.haddr.set_port(40000 + self.next_port);
        self.connecting = false;
        self.dead = false;
        self.delivered = 0;
        self.eof = false;
        self.events.clear();
        self.emitted.clear();
        self.prev_state = State::Closed;
        self.touched = false;
        Ok(())
    }

    fn input(&mut self, stimulus: &Stimulus) -> Result<(), Unsupported> {
        match stimulus {
            Stimulus::Call(_, call) => self.call(*call),
            Stimulus::Arrive(_, seg) => {
                self.arrive(seg);
                Ok(())
            }
            Stimulus::Timeout(_) => self.wait_for_timer(),
            // Ticks are not slept through: the kernel's deadlines can then
            // only lag the model's, never lead them, and a `timeout` step
            // waits for the kernel's own timer (see the module
            // documentation).
            Stimulus::Tick => Ok(()),
            Stimulus::Crash(_) => Err(Unsupported::Unplayable(
                "crash: the kernel cannot lose one TCB and keep quiet for MSL".into(),
            )),
        }
    }

    fn observe(&mut self, _host: HostId) -> Report {
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
        if state == State::Closed
            && self.prev_state != State::Closed
            && !events.iter().any(Event::is_error)
        {
            events.push(Event::Closed);
        }
        self.prev_state = state;
        let open = state.has_connection();
        if !open && (self.dead || state == State::Closed) {
            self.stream = None;
            self.connecting = false;
        }
        let emitted = self
            .emitted
            .drain(..)
            .map(|s| WireSegment::from_codec(&s))
            .collect();
        Report {
            state,
            // The engine learns the kernel's ISS from its SYN.
            iss: None,
            timer: info
                .and_then(|i| i.timer)
                .map(|(_, ms)| Duration::from_millis(u64::from(ms))),
            emitted,
            delivered: if open { self.delivered } else { 0 },
            eof: open && self.eof,
            events,
            // The kernel's TCB is not observable from here.
            tcb: None,
        }
    }

    fn waited(&self) -> Duration {
        self.waited
    }
}
