//! synfin-tcp as a [`SocketTarget`]: one [`Endpoint`] on a virtual clock,
//! behind a small socket layer.
//!
//! The socket layer is what an application would write over the endpoint's
//! RFC 9293 user calls, with Linux's errnos: `listen` is a passive OPEN,
//! `connect` an active OPEN (`EINPROGRESS`), `write` SEND, `read` RECEIVE,
//! `shutdown(SHUT_WR)` and `close` CLOSE, `close` with `SO_LINGER {1, 0}`
//! ABORT. Every segment goes through synfin-tcp's wire codec both ways: the
//! interpreter's segment is written as an IPv4 packet and parsed by
//! `synfin_tcp::wire`, and what the endpoint emits is written by it and read
//! back, options included (synfin-tcp sends MSS and reads only MSS; other
//! options are ignored, as RFC 9293 MUST-68 says of options a TCP does not
//! implement).

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};

use synfin_tcp::conn::{Config, Error, Event, State};
use synfin_tcp::endpoint::{ConnHandle, Endpoint};
use synfin_tcp::time::Instant;
use synfin_tcp::wire;

use super::errno::Errno;
use super::script::{Shutdown, SockOpt, SockOptName};
use super::segment::Segment;
use super::target::{CallError, CallResult, Clock, Sent, SockId, SocketTarget};

/// The stack's address.
pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
/// The script's peer's address.
pub const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);

/// synfin-tcp's endpoint behind a socket layer, on virtual time.
pub struct SynfinTcpSockets {
    config: Config,
    secret: [u8; 16],
    ep: Option<Endpoint>,
    now: u64,
    sent: VecDeque<Sent>,
    socks: BTreeMap<SockId, Sock>,
    next_id: u32,
    /// What each connection's application was told that a later call
    /// reports: the pending error (`SO_ERROR`), the end of the TCB.
    conns: HashMap<ConnHandle, ConnNews>,
}

#[derive(Default)]
struct ConnNews {
    error: Option<Errno>,
    ended: bool,
}

#[derive(Default)]
struct Sock {
    bound: Option<SocketAddrV4>,
    role: Role,
    reuse_addr: bool,
    linger: Option<(bool, u32)>,
    shut_wr: bool,
    /// A non-blocking connect whose completion no connect has reported.
    connect_pending: bool,
}

#[derive(Default, Clone, Copy, PartialEq, Eq)]
enum Role {
    #[default]
    Fresh,
    Listener(SocketAddrV4),
    Conn(ConnHandle),
}

impl Default for SynfinTcpSockets {
    fn default() -> Self {
        SynfinTcpSockets::new(Config::rfc9293())
    }
}

impl SynfinTcpSockets {
    /// A target whose endpoint will run with `config` (until a `sysctl`
    /// changes it, before the first call that needs the endpoint).
    pub fn new(config: Config) -> SynfinTcpSockets {
        SynfinTcpSockets {
            config,
            secret: *b"synfin-pkt-01234",
            ep: None,
            now: 0,
            sent: VecDeque::new(),
            socks: BTreeMap::new(),
            next_id: 1,
            conns: HashMap::new(),
        }
    }

    fn ep(&mut self) -> &mut Endpoint {
        let (config, secret) = (self.config, self.secret);
        self.ep.get_or_insert_with(|| Endpoint::new(config, secret))
    }

    fn instant(&self) -> Instant {
        Instant::from_micros(self.now)
    }

    /// Moves what the endpoint sent and told into the target's queues.
    fn pump(&mut self) {
        let now = self.now;
        let Some(ep) = self.ep.as_mut() else { return };
        while let Some(s) = ep.poll_transmit() {
            // Through the codec: what the endpoint would put on the wire.
            if let Some(segment) = s.try_emit().ok().and_then(|b| Segment::from_ipv4(&b)) {
                self.sent.push_back(Sent { at: now, segment });
            }
        }
        while let Some((h, e)) = ep.poll_event() {
            let news = self.conns.entry(h).or_default();
            match e {
                Event::Reset => news.error = Some(Errno::Econnreset),
                Event::Refused => news.error = Some(Errno::Econnrefused),
                Event::TimedOut => news.error = Some(Errno::Etimedout),
                Event::Connected | Event::Data | Event::PeerClosed | Event::Closed => {}
            }
            if e.is_terminal() {
                news.ended = true;
            }
        }
    }

    fn sock(&mut self, s: SockId) -> CallResult<&mut Sock> {
        self.socks.get_mut(&s).ok_or(CallError::Errno(Errno::Ebadf))
    }

    fn conn(&mut self, s: SockId) -> CallResult<ConnHandle> {
        match self.sock(s)?.role {
            Role::Conn(h) => Ok(h),
            _ => Err(Errno::Enotconn.into()),
        }
    }

    /// The pending error of `h`, taken (as a call that reports it does).
    fn take_error(&mut self, h: ConnHandle) -> Option<Errno> {
        self.conns.get_mut(&h).and_then(|n| n.error.take())
    }

    fn new_sock(&mut self, sock: Sock) -> SockId {
        let id = SockId(self.next_id);
        self.next_id += 1;
        self.socks.insert(id, sock);
        id
    }
}

fn errno(e: Error) -> CallError {
    CallError::Errno(match e {
        Error::ConnectionDoesNotExist => Errno::Enotconn,
        Error::ConnectionAlreadyExists => Errno::Eaddrinuse,
        Error::ConnectionIllegal => Errno::Einval,
        Error::ConnectionClosing => Errno::Epipe,
        Error::ForeignSocketUnspecified => Errno::Enotconn,
        Error::InsufficientResources => Errno::Eagain,
        Error::NoEphemeralPort => Errno::Eaddrnotavail,
    })
}

fn state_name(s: State) -> &'static str {
    match s {
        State::Closed => "CLOSED",
        State::Listen => "LISTEN",
        State::SynSent => "SYN-SENT",
        State::SynReceived => "SYN-RECEIVED",
        State::Established => "ESTABLISHED",
        State::FinWait1 => "FIN-WAIT-1",
        State::FinWait2 => "FIN-WAIT-2",
        State::CloseWait => "CLOSE-WAIT",
        State::Closing => "CLOSING",
        State::LastAck => "LAST-ACK",
        State::TimeWait => "TIME-WAIT",
    }
}

impl SocketTarget for SynfinTcpSockets {
    fn name(&self) -> String {
        "synfin-tcp".into()
    }

    fn clock(&self) -> Clock {
        Clock::Virtual
    }

    fn local_ip(&self) -> Ipv4Addr {
        LOCAL_IP
    }

    fn remote_ip(&self) -> Ipv4Addr {
        REMOTE_IP
    }

    fn now(&self) -> u64 {
        self.now
    }

    fn advance_to(&mut self, t: u64) {
        while let Some(ep) = self.ep.as_mut() {
            match ep.poll_timeout() {
                Some(d) if d.as_micros() <= t => {
                    let d = d.as_micros().max(self.now);
                    self.now = d;
                    ep.handle_timeout(Instant::from_micros(d));
                    self.pump();
                }
                _ => break,
            }
        }
        self.now = self.now.max(t);
    }

    fn next_sent(&mut self, until: u64) -> Option<Sent> {
        loop {
            if let Some(s) = self.sent.pop_front() {
                return Some(s);
            }
            let deadline = self.ep.as_ref().and_then(Endpoint::poll_timeout);
            match deadline {
                Some(d) if d.as_micros() <= until => self.advance_to(d.as_micros()),
                _ => {
                    self.advance_to(until);
                    return self.sent.pop_front();
                }
            }
        }
    }

    fn inject(&mut self, segment: &Segment) {
        let bytes = segment.to_ipv4();
        let now = self.instant();
        // A segment the codec refuses never reaches the stack, as on a wire.
        if let Ok(seg) = wire::Segment::parse(&bytes) {
            self.ep().handle_segment(now, &seg);
            self.pump();
        }
    }

    fn socket(&mut self) -> CallResult<SockId> {
        Ok(self.new_sock(Sock::default()))
    }

    fn set_option(&mut self, s: SockId, opt: SockOpt) -> CallResult<()> {
        let endpoint_exists = self.ep.is_some();
        let sock = self.sock(s)?;
        match opt {
            SockOpt::ReuseAddr(on) => sock.reuse_addr = on,
            SockOpt::Linger { on, secs } => {
                if on && secs > 0 {
                    return Err(CallError::Unsupported(
                        "SO_LINGER with a timeout: synfin-tcp's CLOSE does not wait".into(),
                    ));
                }
                sock.linger = Some((on, secs));
            }
            SockOpt::RcvBuf(n) => {
                if endpoint_exists {
                    return Err(CallError::Unsupported(
                        "SO_RCVBUF after the first connection: synfin-tcp's receive window \
                         is the endpoint's (Config::rcv_wnd)"
                            .into(),
                    ));
                }
                self.config.rcv_wnd = u16::try_from(n).unwrap_or(u16::MAX);
            }
            SockOpt::Error(_) => return Err(Errno::Einval.into()),
        }
        Ok(())
    }

    fn get_option(&mut self, s: SockId, name: SockOptName) -> CallResult<SockOpt> {
        let rcv = self.config.rcv_wnd;
        let sock = self.sock(s)?;
        let (reuse, linger, role) = (sock.reuse_addr, sock.linger, sock.role);
        Ok(match name {
            SockOptName::ReuseAddr => SockOpt::ReuseAddr(reuse),
            SockOptName::Linger => {
                let (on, secs) = linger.unwrap_or((false, 0));
                SockOpt::Linger { on, secs }
            }
            SockOptName::RcvBuf => SockOpt::RcvBuf(u32::from(rcv)),
            SockOptName::Error => {
                let e = match role {
                    Role::Conn(h) => self.take_error(h),
                    _ => None,
                };
                SockOpt::Error(e.map_or(0, Errno::number))
            }
        })
    }

    fn bind(&mut self, s: SockId, addr: SocketAddrV4) -> CallResult<()> {
        let in_use = self
            .socks
            .iter()
            .any(|(&id, k)| id != s && k.bound == Some(addr) && !k.reuse_addr);
        let sock = self.sock(s)?;
        if sock.bound.is_some() || sock.role != Role::Fresh {
            return Err(Errno::Einval.into());
        }
        if in_use {
            return Err(Errno::Eaddrinuse.into());
        }
        sock.bound = Some(addr);
        Ok(())
    }

    fn listen(&mut self, s: SockId, _backlog: i64) -> CallResult<()> {
        let sock = self.sock(s)?;
        match sock.role {
            Role::Listener(_) => return Ok(()),
            Role::Conn(_) => return Err(Errno::Einval.into()),
            Role::Fresh => {}
        }
        let Some(local) = sock.bound else {
            return Err(CallError::Unsupported(
                "listen without bind (no port is chosen for it)".into(),
            ));
        };
        self.ep().listen(local).map_err(errno)?;
        self.sock(s)?.role = Role::Listener(local);
        Ok(())
    }

    fn accept(&mut self, s: SockId) -> CallResult<SockId> {
        let Role::Listener(local) = self.sock(s)?.role else {
            return Err(Errno::Einval.into());
        };
        let h = self.ep().accept(local).ok_or(Errno::Eagain)?;
        Ok(self.new_sock(Sock {
            bound: Some(local),
            role: Role::Conn(h),
            ..Sock::default()
        }))
    }

    fn connect(&mut self, s: SockId, remote: SocketAddrV4) -> CallResult<()> {
        let sock = self.sock(s)?;
        match sock.role {
            Role::Listener(_) => return Err(Errno::Eisconn.into()),
            Role::Conn(h) => {
                if let Some(e) = self.take_error(h) {
                    return Err(e.into());
                }
                let state = self.ep.as_ref().and_then(|ep| ep.state(h));
                if matches!(state, Some(State::SynSent | State::SynReceived)) {
                    return Err(Errno::Ealready.into());
                }
                // As in Linux: the first connect after the handshake of a
                // non-blocking connect completes it and returns 0.
                let sock = self.sock(s)?;
                if sock.connect_pending {
                    sock.connect_pending = false;
                    return Ok(());
                }
                return Err(Errno::Eisconn.into());
            }
            Role::Fresh => {}
        }
        let local = sock.bound.unwrap_or(SocketAddrV4::new(LOCAL_IP, 0));
        let now = self.instant();
        let h = self.ep().connect(now, local, remote).map_err(errno)?;
        self.pump();
        let sock = self.sock(s)?;
        sock.role = Role::Conn(h);
        sock.connect_pending = true;
        Err(Errno::Einprogress.into())
    }

    fn local_addr(&self, s: SockId) -> Option<SocketAddrV4> {
        let sock = self.socks.get(&s)?;
        match sock.role {
            Role::Conn(h) => self
                .ep
                .as_ref()
                .and_then(|ep| ep.connection(h))
                .map(|c| c.local())
                .or(sock.bound),
            _ => sock.bound,
        }
    }

    fn write(&mut self, s: SockId, data: &[u8]) -> CallResult<usize> {
        let h = self.conn(s)?;
        if self.sock(s)?.shut_wr {
            return Err(Errno::Epipe.into());
        }
        if let Some(e) = self.take_error(h) {
            return Err(e.into());
        }
        let now = self.instant();
        let r = self.ep().send(now, h, data);
        self.pump();
        match r {
            Ok(0) if !data.is_empty() => Err(Errno::Eagain.into()),
            Ok(n) => Ok(n),
            Err(Error::ConnectionDoesNotExist) => Err(Errno::Epipe.into()),
            Err(e) => Err(errno(e)),
        }
    }

    fn read(&mut self, s: SockId, max: usize) -> CallResult<Vec<u8>> {
        let h = self.conn(s)?;
        let mut buf = vec![0u8; max];
        let now = self.instant();
        let r = self.ep().recv(now, h, &mut buf);
        self.pump();
        match r {
            Ok(0) if max > 0 => {
                if let Some(e) = self.take_error(h) {
                    return Err(e.into());
                }
                Err(Errno::Eagain.into())
            }
            Ok(n) => {
                buf.truncate(n);
                Ok(buf)
            }
            Err(Error::ConnectionClosing) => Ok(Vec::new()),
            Err(Error::ConnectionDoesNotExist) => match self.take_error(h) {
                Some(e) => Err(e.into()),
                None => Ok(Vec::new()),
            },
            Err(e) => Err(errno(e)),
        }
    }

    fn shutdown(&mut self, s: SockId, how: Shutdown) -> CallResult<()> {
        if how != Shutdown::Write {
            return Err(CallError::Unsupported(
                "shutdown(SHUT_RD) and SHUT_RDWR: RFC 9293 has no half-close of reception".into(),
            ));
        }
        let h = self.conn(s)?;
        if self.sock(s)?.shut_wr {
            return Ok(());
        }
        let now = self.instant();
        let r = self.ep().close(now, h);
        self.pump();
        self.sock(s)?.shut_wr = true;
        match r {
            Ok(()) | Err(Error::ConnectionClosing) => Ok(()),
            Err(e) => Err(errno(e)),
        }
    }

    fn close(&mut self, s: SockId) -> CallResult<()> {
        let sock = self.socks.remove(&s).ok_or(Errno::Ebadf)?;
        let now = self.instant();
        match sock.role {
            Role::Fresh => {}
            Role::Listener(local) => {
                let _ = self.ep().close_listener(local);
            }
            Role::Conn(h) => {
                let ended = self.conns.get(&h).is_some_and(|n| n.ended);
                if !ended {
                    if sock.linger == Some((true, 0)) {
                        let _ = self.ep().abort(now, h);
                    } else if !sock.shut_wr {
                        let _ = self.ep().close(now, h);
                    }
                }
                // Whatever is left unread is the application's no more.
                let mut buf = [0u8; 4096];
                while let Some(ep) = self.ep.as_mut() {
                    match ep.recv(now, h, &mut buf) {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
            }
        }
        self.pump();
        Ok(())
    }

    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), String> {
        let n: Option<u32> = value.trim().parse().ok();
        let fixed = self.ep.is_some();
        let c = &mut self.config;
        let change = |f: &mut dyn FnMut()| {
            if fixed {
                Err(format!(
                    "{name}: synfin-tcp's configuration is fixed once its endpoint exists \
                     (set it before the first connection)"
                ))
            } else {
                f();
                Ok(())
            }
        };
        match (name, n) {
            // Options synfin-tcp does not implement: off is what it does.
            (
                "net.ipv4.tcp_timestamps"
                | "net.ipv4.tcp_sack"
                | "net.ipv4.tcp_window_scaling"
                | "net.ipv4.tcp_ecn"
                | "net.ipv4.tcp_fastopen",
                Some(0),
            ) => Ok(()),
            // Linux mechanisms synfin-tcp does not have: the setting that
            // turns them off (or, for tcp_syn_linear_timeouts, that restores
            // RFC 6298's doubling) is what synfin-tcp does already.
            (
                "net.ipv4.tcp_syncookies"
                | "net.ipv4.tcp_autocorking"
                | "net.ipv4.tcp_early_retrans"
                | "net.ipv4.tcp_syn_linear_timeouts",
                Some(0),
            )
            | ("net.ipv4.tcp_no_metrics_save", Some(1)) => Ok(()),
            // Linux's rate limit on ACKs to invalid segments; 0 is none.
            ("net.ipv4.tcp_invalid_ratelimit", Some(0)) => {
                change(&mut || c.challenge_ack_limit = u32::MAX)
            }
            // The RTO floor; synfin-tcp's initial RTO starts there too, as
            // Linux's does when the floor is above its 1 s initial RTO.
            ("net.ipv4.tcp_rto_min_us", Some(us)) if us > 0 => change(&mut || {
                let rto = std::time::Duration::from_micros(u64::from(us));
                c.rto_min = rto;
                c.rto_initial = c.rto_initial.max(rto);
                c.rto_syn_fallback = c.rto_syn_fallback.max(rto);
            }),
            ("net.ipv4.tcp_rfc1337", Some(v @ (0 | 1))) => change(&mut || c.rfc1337 = v == 1),
            ("net.ipv4.tcp_syn_retries" | "net.ipv4.tcp_synack_retries", Some(v)) => {
                change(&mut || c.syn_retries = v)
            }
            ("net.ipv4.tcp_retries2", Some(v)) => change(&mut || c.max_retries = v),
            _ => Err(format!("synfin-tcp has no setting for {name}={value}")),
        }
    }

    fn state(&mut self, local: SocketAddrV4, remote: SocketAddrV4) -> &'static str {
        self.ep
            .as_ref()
            .and_then(|ep| ep.state_of(local, remote))
            .map_or("CLOSED", state_name)
    }

    fn listening(&mut self, local: SocketAddrV4) -> bool {
        self.ep.as_ref().is_some_and(|ep| ep.is_listening(local))
    }
}
