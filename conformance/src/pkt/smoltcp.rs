//! smoltcp as a [`SocketTarget`]: smoltcp 0.14's TCP sockets behind an
//! IP-medium interface on a virtual clock, with the socket layer an
//! application on smoltcp would write around them.
//!
//! smoltcp has no BSD socket API: a [`tcp::Socket`] is one TCB that the
//! application polls. The layer here maps the script's calls onto it, and
//! says so where smoltcp has no equivalent:
//!
//! - **listen/accept.** smoltcp's listening socket *becomes* the
//!   connection when a SYN arrives (there is no accept queue). The layer
//!   keeps one smoltcp socket in LISTEN on the port while the listening
//!   descriptor is open: when that one takes a SYN, a fresh one is added
//!   to listen in its place. `accept` returns the oldest of them past the
//!   handshake, `EAGAIN` if none is. Closing the listener closes the
//!   listening sockets and aborts the connections not accepted.
//! - **connect** is `Socket::connect` from the bound port or an ephemeral
//!   one (`EINPROGRESS`; then `EALREADY`, 0 once, `EISCONN`, as in Linux).
//! - **write** is `send_slice`; before ESTABLISHED smoltcp refuses data
//!   (`SendError::InvalidState`), which a non-blocking socket reports as
//!   `EAGAIN` (it would wait for the handshake). After `shutdown` or in a
//!   closing state, `EPIPE`.
//! - **read** is `recv_slice`: `EAGAIN` when nothing is there, 0 at the
//!   end of the stream (`RecvError::Finished`), the connection's error
//!   when it was reset.
//! - **shutdown(SHUT_WR)** and **close** are `Socket::close` (smoltcp's
//!   CLOSE is the RFC's: the send side only); `close` with `SO_LINGER {1,
//!   0}` is `Socket::abort`. A linger with a timeout, `SHUT_RD` and
//!   `SHUT_RDWR` have no smoltcp equivalent and are unsupported.
//! - **Errors.** smoltcp raises no events; the layer reads them off the
//!   state changes, as an application would: a connection that goes from
//!   SYN-SENT to CLOSED on an RST is refused (`ECONNREFUSED`), one that
//!   leaves a synchronized state other than TIME-WAIT for CLOSED on an RST
//!   is reset (`ECONNRESET`).
//! - **SO_RCVBUF** before `listen`/`connect` is the size of the socket's
//!   receive buffer, hence the window it announces (65535 by default).
//!
//! The socket options an embedding chooses are set as the scripts assume
//! of a TCP that acknowledges at once: no delayed ACK, Nagle off, no
//! keep-alive, no user timeout. What smoltcp fixes at build time is not
//! configurable here and `sysctl` says so: its RTO (1 s initial and
//! floor), its 10 s TIME-WAIT, no retry limit, a challenge-ACK limit of one
//! a second, and a SYN that always offers window scaling and SACK.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddrV4};

use ::smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
};
use ::smoltcp::socket::tcp;
use ::smoltcp::time::Instant;
use ::smoltcp::wire::{HardwareAddress, IpAddress, IpCidr, IpEndpoint, Ipv4Address};

use super::errno::Errno;
use super::script::{flag, Shutdown, SockOpt, SockOptName};
use super::segment::Segment;
use super::target::{CallError, CallResult, Clock, Sent, SockId, SocketTarget};
use crate::target::smoltcp::Queue;

/// The stack's address.
pub const LOCAL_IP: Ipv4Addr = Ipv4Addr::new(192, 168, 0, 1);
/// The script's peer's address.
pub const REMOTE_IP: Ipv4Addr = Ipv4Addr::new(192, 0, 2, 1);
/// The receive buffer of a socket whose script sets no `SO_RCVBUF`: the
/// largest window without scaling, as synfin-tcp announces.
pub const DEFAULT_RCVBUF: u32 = 65_535;
/// The send buffer of every socket.
const SEND_BUFFER: usize = 1 << 16;
/// The largest receive buffer a script may ask for (`SO_RCVBUF` beyond it
/// is clamped, as a kernel clamps it to its maximum).
const MAX_RCVBUF: u32 = 1 << 20;
/// The first ephemeral port `connect` picks from an unbound socket.
const EPHEMERAL: u16 = 49_152;
/// smoltcp's fixed RTO floor and initial RTO (`RTTE_MIN_RTO`), µs.
const SMOLTCP_RTO_US: u32 = 1_000_000;

/// smoltcp's TCP sockets behind a socket layer, on virtual time.
pub struct SmoltcpSockets {
    dev: Queue,
    iface: Interface,
    set: SocketSet<'static>,
    now: u64,
    sent: VecDeque<Sent>,
    socks: BTreeMap<SockId, Sock>,
    next_id: u32,
    next_port: u16,
    /// What the application can learn of each smoltcp socket.
    news: HashMap<SocketHandle, News>,
    /// The input being handled is an RST.
    rst_in: bool,
}

/// What an application on smoltcp knows of one socket's connection.
struct News {
    prev: tcp::State,
    error: Option<Errno>,
}

#[derive(Default)]
struct Sock {
    bound: Option<SocketAddrV4>,
    role: Role,
    reuse_addr: bool,
    linger: Option<(bool, u32)>,
    rcvbuf: Option<u32>,
    shut_wr: bool,
    connect_pending: bool,
}

#[derive(Default, Clone, PartialEq, Eq)]
enum Role {
    #[default]
    Fresh,
    /// The smoltcp sockets listening for it, and its connections not yet
    /// accepted, oldest first.
    Listener {
        local: SocketAddrV4,
        rcvbuf: u32,
        handles: Vec<SocketHandle>,
    },
    Conn(SocketHandle),
}

impl Default for SmoltcpSockets {
    fn default() -> Self {
        SmoltcpSockets::new()
    }
}

impl SmoltcpSockets {
    /// A fresh interface with no sockets, at time 0.
    pub fn new() -> SmoltcpSockets {
        let mut dev = Queue::default();
        let mut config = Config::new(HardwareAddress::Ip);
        // A fixed seed: the same ISSs on every run (the interpreter learns
        // them from the SYNs anyway).
        config.random_seed = 0x5eed_9293;
        let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
        iface.update_ip_addrs(|addrs| {
            let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(LOCAL_IP), 24));
        });
        // The peer is off-link: everything to it goes by a gateway, which
        // an IP-medium device needs no address for.
        let _ = iface
            .routes_mut()
            .add_default_ipv4_route(Ipv4Address::new(192, 168, 0, 254));
        SmoltcpSockets {
            dev,
            iface,
            set: SocketSet::new(Vec::new()),
            now: 0,
            sent: VecDeque::new(),
            socks: BTreeMap::new(),
            next_id: 1,
            next_port: EPHEMERAL,
            news: HashMap::new(),
            rst_in: false,
        }
    }

    fn instant(&self) -> Instant {
        Instant::from_micros(i64::try_from(self.now).unwrap_or(i64::MAX))
    }

    fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.set.get_mut::<tcp::Socket>(h)
    }

    /// A new smoltcp socket with a receive buffer of `rcvbuf` octets.
    /// Sockets are never removed from the set, so it keeps them in the
    /// order they were made: a connection is offered a segment before a
    /// listening socket made after it.
    fn new_tcp(&mut self, rcvbuf: u32) -> SocketHandle {
        let mut s = tcp::Socket::new(
            tcp::SocketBuffer::new(vec![0; rcvbuf.clamp(1, MAX_RCVBUF) as usize]),
            tcp::SocketBuffer::new(vec![0; SEND_BUFFER]),
        );
        s.set_ack_delay(None);
        s.set_nagle_enabled(false);
        s.set_keep_alive(None);
        s.set_timeout(None);
        let h = self.set.add(s);
        self.news.insert(
            h,
            News {
                prev: tcp::State::Closed,
                error: None,
            },
        );
        h
    }

    /// Everything queued in, everything out, at the present time; then what
    /// the application learns, and a listening socket for every listener.
    fn pump(&mut self) {
        let now = self.instant();
        loop {
            while self
                .iface
                .poll_ingress_single(now, &mut self.dev, &mut self.set)
                != PollIngressSingleResult::None
            {}
            while self.iface.poll_egress(now, &mut self.dev, &mut self.set) != PollResult::None {}
            for p in self.dev.tx.drain(..) {
                if let Some(segment) = Segment::from_ipv4(&p) {
                    self.sent.push_back(Sent {
                        at: self.now,
                        segment,
                    });
                }
            }
            self.learn();
            self.refill_listeners();
            if self.dev.rx.is_empty() {
                return;
            }
        }
    }

    /// The errors the state changes since the last look mean.
    fn learn(&mut self) {
        use tcp::State as S;
        let rst = self.rst_in;
        for (h, news) in self.news.iter_mut() {
            let state = self.set.get::<tcp::Socket>(*h).state();
            let prev = std::mem::replace(&mut news.prev, state);
            if prev == state || state != S::Closed || !rst {
                continue;
            }
            news.error = match prev {
                S::SynSent => Some(Errno::Econnrefused),
                S::Established
                | S::FinWait1
                | S::FinWait2
                | S::CloseWait
                | S::Closing
                | S::LastAck => Some(Errno::Econnreset),
                _ => news.error,
            };
        }
    }

    /// Keeps one socket in LISTEN for every listening descriptor.
    fn refill_listeners(&mut self) {
        let ids: Vec<SockId> = self.socks.keys().copied().collect();
        for id in ids {
            let Some(Sock {
                role:
                    Role::Listener {
                        local,
                        rcvbuf,
                        handles,
                    },
                ..
            }) = self.socks.get(&id)
            else {
                continue;
            };
            let (local, rcvbuf) = (*local, *rcvbuf);
            let mut kept = Vec::new();
            let mut listening = false;
            for &h in handles {
                match self.set.get::<tcp::Socket>(h).state() {
                    tcp::State::Closed => {}
                    tcp::State::Listen => {
                        listening = true;
                        kept.push(h);
                    }
                    _ => kept.push(h),
                }
            }
            if !listening {
                let h = self.new_tcp(rcvbuf);
                // The port was free when listen succeeded; it still is.
                let _ = self.tcp(h).listen(endpoint(local));
                self.news.get_mut(&h).expect("just added").prev = tcp::State::Listen;
                kept.push(h);
            }
            if let Some(Sock {
                role: Role::Listener { handles, .. },
                ..
            }) = self.socks.get_mut(&id)
            {
                *handles = kept;
            }
        }
    }

    fn sock(&mut self, s: SockId) -> CallResult<&mut Sock> {
        self.socks.get_mut(&s).ok_or(CallError::Errno(Errno::Ebadf))
    }

    fn conn(&mut self, s: SockId) -> CallResult<SocketHandle> {
        match self.sock(s)?.role {
            Role::Conn(h) => Ok(h),
            _ => Err(Errno::Enotconn.into()),
        }
    }

    fn take_error(&mut self, h: SocketHandle) -> Option<Errno> {
        self.news.get_mut(&h).and_then(|n| n.error.take())
    }

    fn new_sock(&mut self, sock: Sock) -> SockId {
        let id = SockId(self.next_id);
        self.next_id += 1;
        self.socks.insert(id, sock);
        id
    }

    /// The earliest instant smoltcp wants to be polled at (µs).
    fn deadline(&mut self) -> Option<u64> {
        let now = self.instant();
        self.iface
            .poll_at(now, &self.set)
            .map(|d| u64::try_from(d.total_micros()).unwrap_or(0))
    }
}

fn endpoint(a: SocketAddrV4) -> (IpAddress, u16) {
    (IpAddress::Ipv4(*a.ip()), a.port())
}

fn v4(e: IpEndpoint) -> Option<SocketAddrV4> {
    match e.addr {
        IpAddress::Ipv4(a) => Some(SocketAddrV4::new(a, e.port)),
        #[allow(unreachable_patterns)]
        _ => None,
    }
}

fn state_name(s: tcp::State) -> &'static str {
    match s {
        tcp::State::Closed => "CLOSED",
        tcp::State::Listen => "LISTEN",
        tcp::State::SynSent => "SYN-SENT",
        tcp::State::SynReceived => "SYN-RECEIVED",
        tcp::State::Established => "ESTABLISHED",
        tcp::State::FinWait1 => "FIN-WAIT-1",
        tcp::State::FinWait2 => "FIN-WAIT-2",
        tcp::State::CloseWait => "CLOSE-WAIT",
        tcp::State::Closing => "CLOSING",
        tcp::State::LastAck => "LAST-ACK",
        tcp::State::TimeWait => "TIME-WAIT",
    }
}

impl SocketTarget for SmoltcpSockets {
    fn name(&self) -> String {
        "smoltcp".into()
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
        // Polled at each deadline on the way; a deadline that polling does
        // not move (smoltcp wants to be polled now and has nothing to do)
        // is not waited on twice.
        let mut polled_at = None;
        while let Some(d) = self.deadline() {
            let d = d.max(self.now);
            if d > t || polled_at == Some(d) {
                break;
            }
            self.now = d;
            self.pump();
            polled_at = Some(d);
        }
        self.now = self.now.max(t);
    }

    fn next_sent(&mut self, until: u64) -> Option<Sent> {
        loop {
            if let Some(s) = self.sent.pop_front() {
                return Some(s);
            }
            match self.deadline() {
                Some(d) if d > self.now && d <= until => self.advance_to(d),
                _ => {
                    self.advance_to(until);
                    return self.sent.pop_front();
                }
            }
        }
    }

    fn inject(&mut self, segment: &Segment) {
        self.dev.rx.push_back(segment.to_ipv4());
        self.rst_in = segment.flags & flag::RST != 0;
        self.pump();
        self.rst_in = false;
    }

    fn socket(&mut self) -> CallResult<SockId> {
        Ok(self.new_sock(Sock::default()))
    }

    fn set_option(&mut self, s: SockId, opt: SockOpt) -> CallResult<()> {
        let sock = self.sock(s)?;
        match opt {
            SockOpt::ReuseAddr(on) => sock.reuse_addr = on,
            SockOpt::Linger { on, secs } => {
                if on && secs > 0 {
                    return Err(CallError::Unsupported(
                        "SO_LINGER with a timeout: smoltcp's close does not wait, and its \
                         abort is the only other way to end a connection"
                            .into(),
                    ));
                }
                sock.linger = Some((on, secs));
            }
            SockOpt::RcvBuf(n) => {
                if sock.role != Role::Fresh {
                    return Err(CallError::Unsupported(
                        "SO_RCVBUF after listen or connect: a smoltcp socket's receive \
                         buffer is fixed when the socket is made"
                            .into(),
                    ));
                }
                sock.rcvbuf = Some(n);
            }
            SockOpt::Error(_) => return Err(Errno::Einval.into()),
        }
        Ok(())
    }

    fn get_option(&mut self, s: SockId, name: SockOptName) -> CallResult<SockOpt> {
        let sock = self.sock(s)?;
        let (reuse, linger, rcvbuf) = (sock.reuse_addr, sock.linger, sock.rcvbuf);
        let role = sock.role.clone();
        Ok(match name {
            SockOptName::ReuseAddr => SockOpt::ReuseAddr(reuse),
            SockOptName::Linger => {
                let (on, secs) = linger.unwrap_or((false, 0));
                SockOpt::Linger { on, secs }
            }
            SockOptName::RcvBuf => SockOpt::RcvBuf(rcvbuf.unwrap_or(DEFAULT_RCVBUF)),
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
            Role::Listener { .. } => return Ok(()),
            Role::Conn(_) => return Err(Errno::Einval.into()),
            Role::Fresh => {}
        }
        let Some(local) = sock.bound else {
            return Err(CallError::Unsupported(
                "listen without bind (no port is chosen for it)".into(),
            ));
        };
        let rcvbuf = sock.rcvbuf.unwrap_or(DEFAULT_RCVBUF);
        let taken = self.set.iter().any(|(_, x)| match x {
            ::smoltcp::socket::Socket::Tcp(t) => {
                t.state() == tcp::State::Listen && t.listen_endpoint().port == local.port()
            }
            #[allow(unreachable_patterns)]
            _ => false,
        });
        if taken {
            return Err(Errno::Eaddrinuse.into());
        }
        self.sock(s)?.role = Role::Listener {
            local,
            rcvbuf,
            handles: Vec::new(),
        };
        self.refill_listeners();
        Ok(())
    }

    fn accept(&mut self, s: SockId) -> CallResult<SockId> {
        let Role::Listener { handles, .. } = &self.sock(s)?.role else {
            return Err(Errno::Einval.into());
        };
        let handles = handles.clone();
        let ready = handles.iter().position(|&h| {
            !matches!(
                self.set.get::<tcp::Socket>(h).state(),
                tcp::State::Closed | tcp::State::Listen | tcp::State::SynReceived
            )
        });
        let Some(i) = ready else {
            return Err(Errno::Eagain.into());
        };
        let h = handles[i];
        let local = self.tcp(h).local_endpoint().and_then(v4);
        if let Role::Listener { handles, .. } = &mut self.sock(s)?.role {
            handles.remove(i);
        }
        Ok(self.new_sock(Sock {
            bound: local,
            role: Role::Conn(h),
            ..Sock::default()
        }))
    }

    fn connect(&mut self, s: SockId, remote: SocketAddrV4) -> CallResult<()> {
        let sock = self.sock(s)?;
        match sock.role {
            Role::Listener { .. } => return Err(Errno::Eisconn.into()),
            Role::Conn(h) => {
                if let Some(e) = self.take_error(h) {
                    return Err(e.into());
                }
                let state = self.tcp(h).state();
                if matches!(state, tcp::State::SynSent | tcp::State::SynReceived) {
                    return Err(Errno::Ealready.into());
                }
                let sock = self.sock(s)?;
                if sock.connect_pending {
                    sock.connect_pending = false;
                    return Ok(());
                }
                return Err(Errno::Eisconn.into());
            }
            Role::Fresh => {}
        }
        let rcvbuf = sock.rcvbuf.unwrap_or(DEFAULT_RCVBUF);
        let local = match sock.bound {
            Some(b) => b,
            None => {
                let p = self.next_port;
                self.next_port = self.next_port.checked_add(1).unwrap_or(EPHEMERAL);
                SocketAddrV4::new(LOCAL_IP, p)
            }
        };
        let h = self.new_tcp(rcvbuf);
        let cx = self.iface.context();
        let r = self
            .set
            .get_mut::<tcp::Socket>(h)
            .connect(cx, endpoint(remote), endpoint(local));
        if let Err(e) = r {
            return Err(CallError::Unsupported(format!(
                "smoltcp's connect refused {local} -> {remote}: {e:?}"
            )));
        }
        let sock = self.sock(s)?;
        sock.bound = Some(local);
        sock.role = Role::Conn(h);
        sock.connect_pending = true;
        self.pump();
        Err(Errno::Einprogress.into())
    }

    fn local_addr(&self, s: SockId) -> Option<SocketAddrV4> {
        self.socks.get(&s)?.bound
    }

    fn write(&mut self, s: SockId, data: &[u8]) -> CallResult<usize> {
        let h = self.conn(s)?;
        if self.sock(s)?.shut_wr {
            return Err(Errno::Epipe.into());
        }
        if let Some(e) = self.take_error(h) {
            return Err(e.into());
        }
        let state = self.tcp(h).state();
        let r = match state {
            // smoltcp takes no data before ESTABLISHED: a non-blocking
            // socket would wait for the handshake.
            tcp::State::SynSent | tcp::State::SynReceived => Err(Errno::Eagain.into()),
            _ => match self.tcp(h).send_slice(data) {
                Ok(0) if !data.is_empty() => Err(Errno::Eagain.into()),
                Ok(n) => Ok(n),
                Err(tcp::SendError::InvalidState) => Err(Errno::Epipe.into()),
            },
        };
        self.pump();
        r
    }

    fn read(&mut self, s: SockId, max: usize) -> CallResult<Vec<u8>> {
        let h = self.conn(s)?;
        let mut buf = vec![0u8; max];
        let r = self.tcp(h).recv_slice(&mut buf);
        let state = self.tcp(h).state();
        self.pump();
        match r {
            Ok(n) if n > 0 || max == 0 => {
                buf.truncate(n);
                Ok(buf)
            }
            Ok(_) => match self.take_error(h) {
                Some(e) => Err(e.into()),
                None => Err(Errno::Eagain.into()),
            },
            Err(tcp::RecvError::Finished) => Ok(Vec::new()),
            Err(tcp::RecvError::InvalidState) => match self.take_error(h) {
                Some(e) => Err(e.into()),
                None if matches!(
                    state,
                    tcp::State::SynSent | tcp::State::SynReceived | tcp::State::Listen
                ) =>
                {
                    Err(Errno::Eagain.into())
                }
                None => Ok(Vec::new()),
            },
        }
    }

    fn shutdown(&mut self, s: SockId, how: Shutdown) -> CallResult<()> {
        if how != Shutdown::Write {
            return Err(CallError::Unsupported(
                "shutdown(SHUT_RD) and SHUT_RDWR: smoltcp's sockets close the send side only"
                    .into(),
            ));
        }
        let h = self.conn(s)?;
        if !self.sock(s)?.shut_wr {
            self.tcp(h).close();
            self.sock(s)?.shut_wr = true;
            self.pump();
        }
        Ok(())
    }

    fn close(&mut self, s: SockId) -> CallResult<()> {
        let sock = self.socks.remove(&s).ok_or(Errno::Ebadf)?;
        match sock.role {
            Role::Fresh => {}
            Role::Listener { handles, .. } => {
                for h in handles {
                    let t = self.tcp(h);
                    if t.state() == tcp::State::Listen {
                        t.close();
                    } else {
                        // A connection nobody accepted: reset, as Linux does.
                        t.abort();
                    }
                }
            }
            Role::Conn(h) => {
                let t = self.tcp(h);
                if sock.linger == Some((true, 0)) {
                    t.abort();
                } else if !sock.shut_wr {
                    t.close();
                }
                // Whatever is left unread is the application's no more.
                let mut buf = [0u8; 4096];
                while matches!(t.recv_slice(&mut buf), Ok(n) if n > 0) {}
            }
        }
        self.pump();
        Ok(())
    }

    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), String> {
        let n: Option<u32> = value.trim().parse().ok();
        match (name, n) {
            // What smoltcp does not do, or does not do unless the embedding
            // asks (timestamps need a TSval generator): off is what it does.
            (
                "net.ipv4.tcp_timestamps"
                | "net.ipv4.tcp_ecn"
                | "net.ipv4.tcp_fastopen"
                | "net.ipv4.tcp_syncookies"
                | "net.ipv4.tcp_autocorking"
                | "net.ipv4.tcp_early_retrans"
                | "net.ipv4.tcp_syn_linear_timeouts",
                Some(0),
            )
            | ("net.ipv4.tcp_no_metrics_save", Some(1)) => Ok(()),
            ("net.ipv4.tcp_rto_min_us", Some(SMOLTCP_RTO_US)) => Ok(()),
            ("net.ipv4.tcp_sack" | "net.ipv4.tcp_window_scaling", Some(0)) => Err(format!(
                "{name}=0: smoltcp's SYN always offers window scaling and SACK"
            )),
            ("net.ipv4.tcp_rto_min_us", _) => Err(format!(
                "{name}={value}: smoltcp's RTO floor is a fixed 1 s (RTTE_MIN_RTO)"
            )),
            ("net.ipv4.tcp_syn_retries" | "net.ipv4.tcp_synack_retries", _)
            | ("net.ipv4.tcp_retries2", _) => Err(format!(
                "{name}={value}: smoltcp retransmits without a retry limit (only a user \
                 timeout, which no sysctl maps to)"
            )),
            ("net.ipv4.tcp_rfc1337", _) => Err(format!(
                "{name}={value}: smoltcp has no such switch (its TIME-WAIT is fixed at build)"
            )),
            _ => Err(format!("smoltcp has no setting for {name}={value}")),
        }
    }

    fn state(&mut self, local: SocketAddrV4, remote: SocketAddrV4) -> &'static str {
        let mut found = "CLOSED";
        for (_, x) in self.set.iter() {
            #[allow(irrefutable_let_patterns)]
            let ::smoltcp::socket::Socket::Tcp(t) = x
            else {
                continue;
            };
            let here = t.local_endpoint().and_then(v4) == Some(local)
                && t.remote_endpoint().and_then(v4) == Some(remote);
            if here && t.state() != tcp::State::Closed {
                found = state_name(t.state());
            }
        }
        found
    }

    fn listening(&mut self, local: SocketAddrV4) -> bool {
        self.set.iter().any(|(_, x)| match x {
            ::smoltcp::socket::Socket::Tcp(t) => {
                t.state() == tcp::State::Listen && t.listen_endpoint().port == local.port()
            }
            #[allow(unreachable_patterns)]
            _ => false,
        })
    }
}
