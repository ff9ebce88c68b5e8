//! The Linux kernel as a [`SocketTarget`] (Linux only, needs root): real
//! sockets in a private network namespace, the script's peer behind a TUN
//! device, real time.
//!
//! Each script gets a namespace of its own ([`run_in_netns`]), made by
//! synfin-linux as for the kernel replay target: the kernel is 10.0.0.1,
//! the script's peer 10.0.0.2 behind the device, timestamps, SACK, window
//! scaling, ECN, SYN cookies and TFO off, the RTO floor 1 s, and delayed
//! ACKs off on the route (`quickack`). Every socket is opened
//! non-blocking; the interpreter emulates blocking. Inbound segments are
//! written to the device as IPv4 packets, options and all; outbound ones
//! are read from it, timestamped when read. `sysctl` lines write the
//! namespace's own `net.ipv4.tcp_*` settings (a list of per-namespace ones); `ss ... state` lines ask
//! sock_diag.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::net::{Ipv4Addr, SocketAddrV4, TcpListener};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::time::Instant;

use nix::errno::Errno as NixErrno;
use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
use nix::sys::socket::{self as sock, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn};
use synfin_linux::sys::netns::{self, Net, NetnsError};
use synfin_linux::sys::sock_diag::{KernelState, SockDiag};

use super::errno::Errno;
use super::script::{Shutdown, SockOpt, SockOptName};
use super::segment::Segment;
use super::target::{CallError, CallResult, Clock, Sent, SockId, SocketTarget};
use super::{run, Outcome, Script};

/// Runs `script` against the kernel in a fresh private namespace.
///
/// # Errors
///
/// The namespace could not be set up (not root, no `/dev/net/tun`, no
/// `ip`), named.
pub fn run_in_netns(script: Script) -> Result<Outcome, String> {
    let r = netns::in_private_netns(move |net| -> io::Result<Outcome> {
        let mut t = KernelSockets::new(net)?;
        Ok(run(&script, &mut t))
    });
    match r {
        Ok(Ok(o)) => Ok(o),
        Ok(Err(e)) => Err(format!("setting up the kernel target failed: {e}")),
        Err(e) => Err(describe(&e)),
    }
}

fn describe(e: &NetnsError) -> String {
    format!("the kernel target needs a private network namespace: {e}")
}

/// The kernel's sockets in one namespace, and the TUN device its peer is
/// behind.
pub struct KernelSockets {
    net: Net,
    diag: SockDiag,
    epoch: Instant,
    sent: VecDeque<Sent>,
    socks: BTreeMap<SockId, Sock>,
    next_id: u32,
    buf: Vec<u8>,
}

enum Sock {
    Fresh(OwnedFd),
    Listener(TcpListener, SocketAddrV4),
    Conn(OwnedFd),
}

impl Sock {
    fn fd(&self) -> BorrowedFd<'_> {
        match self {
            Sock::Fresh(f) | Sock::Conn(f) => f.as_fd(),
            Sock::Listener(l, _) => l.as_fd(),
        }
    }
}

fn nix_err(e: NixErrno) -> CallError {
    match Errno::from_number(e as i32) {
        Some(x) => CallError::Errno(x),
        None => CallError::Unsupported(format!(
            "the kernel answered {e} ({}), an errno the interpreter does not name",
            e.desc()
        )),
    }
}

fn io_err(e: &io::Error) -> CallError {
    match e.raw_os_error() {
        Some(n) => nix_err(NixErrno::from_raw(n)),
        None => CallError::Unsupported(format!("the kernel's socket failed: {e}")),
    }
}

impl KernelSockets {
    /// Takes over the namespace `net` (call on its thread).
    ///
    /// # Errors
    ///
    /// The device, sock_diag or the `quickack` route.
    pub fn new(net: Net) -> io::Result<KernelSockets> {
        crate::kernel::target::quickack_route()?;
        net.tun.set_nonblocking(true)?;
        Ok(KernelSockets {
            net,
            diag: SockDiag::new()?,
            epoch: Instant::now(),
            sent: VecDeque::new(),
            socks: BTreeMap::new(),
            next_id: 1,
            buf: vec![0; 65_536],
        })
    }

    /// Reads everything the kernel wrote to the device.
    fn pump(&mut self) {
        loop {
            match self.net.tun.recv(&mut self.buf) {
                Ok(n) => {
                    if let Some(segment) = Segment::from_ipv4(&self.buf[..n]) {
                        let at = self.now();
                        self.sent.push_back(Sent { at, segment });
                    }
                }
                Err(_) => return,
            }
        }
    }

    /// Waits until the device is readable or `until` (µs) has come.
    fn wait(&self, until: u64) {
        let left = until.saturating_sub(self.now());
        if left == 0 {
            return;
        }
        let ms = i32::try_from(left.div_ceil(1000)).unwrap_or(i32::MAX);
        let mut fds = [PollFd::new(self.net.tun.as_fd(), PollFlags::POLLIN)];
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(ms).unwrap_or(PollTimeout::MAX),
        );
    }

    fn sock(&self, s: SockId) -> CallResult<&Sock> {
        self.socks.get(&s).ok_or(CallError::Errno(Errno::Ebadf))
    }

    fn add(&mut self, sock: Sock) -> SockId {
        let id = SockId(self.next_id);
        self.next_id += 1;
        self.socks.insert(id, sock);
        id
    }
}

/// The `net.ipv4.tcp_*` settings a script may write: each is per network
/// namespace, so writing it changes only the script's namespace.
const PER_NETNS: &[&str] = &[
    "timestamps",
    "sack",
    "window_scaling",
    "ecn",
    "fastopen",
    "syncookies",
    "rfc1337",
    "syn_retries",
    "synack_retries",
    "retries1",
    "retries2",
    "orphan_retries",
    "fin_timeout",
    "early_retrans",
    "syn_linear_timeouts",
    "rto_min_us",
    "invalid_ratelimit",
    "tw_reuse",
    "max_syn_backlog",
    "abort_on_overflow",
];

fn state_name(k: KernelState) -> &'static str {
    match k {
        KernelState::Closed => "CLOSED",
        KernelState::Listen => "LISTEN",
        KernelState::SynSent => "SYN-SENT",
        KernelState::SynReceived => "SYN-RECEIVED",
        KernelState::Established => "ESTABLISHED",
        KernelState::FinWait1 => "FIN-WAIT-1",
        KernelState::FinWait2 => "FIN-WAIT-2",
        KernelState::CloseWait => "CLOSE-WAIT",
        KernelState::Closing => "CLOSING",
        KernelState::LastAck => "LAST-ACK",
        KernelState::TimeWait => "TIME-WAIT",
    }
}

impl SocketTarget for KernelSockets {
    fn name(&self) -> String {
        "linux".into()
    }

    fn clock(&self) -> Clock {
        Clock::Real
    }

    // The stack under test is the kernel: synfin-linux calls the far side
    // of the device `local_ip` (synfin-tcp's address in its demos), which
    // here is the script's peer.
    #[allow(clippy::misnamed_getters)]
    fn local_ip(&self) -> Ipv4Addr {
        self.net.kernel_ip
    }

    fn remote_ip(&self) -> Ipv4Addr {
        self.net.local_ip
    }

    fn now(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX)
    }

    fn advance_to(&mut self, t: u64) {
        loop {
            self.pump();
            if self.now() >= t {
                return;
            }
            self.wait(t);
        }
    }

    fn next_sent(&mut self, until: u64) -> Option<Sent> {
        loop {
            self.pump();
            if let Some(s) = self.sent.pop_front() {
                return Some(s);
            }
            if self.now() >= until {
                return None;
            }
            self.wait(until);
        }
    }

    fn inject(&mut self, segment: &Segment) {
        self.pump();
        // The kernel handles a TUN write in the writer's context.
        let _ = self.net.tun.send(&segment.to_ipv4());
    }

    fn socket(&mut self) -> CallResult<SockId> {
        let fd = sock::socket(
            AddressFamily::Inet,
            SockType::Stream,
            SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
            None,
        )
        .map_err(nix_err)?;
        Ok(self.add(Sock::Fresh(fd)))
    }

    fn set_option(&mut self, s: SockId, opt: SockOpt) -> CallResult<()> {
        let fd = self.sock(s)?.fd();
        match opt {
            SockOpt::ReuseAddr(on) => sock::setsockopt(&fd, sockopt::ReuseAddr, &on),
            SockOpt::Linger { on, secs } => sock::setsockopt(
                &fd,
                sockopt::Linger,
                &nix::libc::linger {
                    l_onoff: i32::from(on),
                    l_linger: i32::try_from(secs).unwrap_or(i32::MAX),
                },
            ),
            SockOpt::RcvBuf(n) => sock::setsockopt(&fd, sockopt::RcvBuf, &(n as usize)),
            SockOpt::Error(_) => Err(NixErrno::ENOPROTOOPT),
        }
        .map_err(nix_err)
    }

    fn get_option(&mut self, s: SockId, name: SockOptName) -> CallResult<SockOpt> {
        let fd = self.sock(s)?.fd();
        Ok(match name {
            SockOptName::ReuseAddr => {
                SockOpt::ReuseAddr(sock::getsockopt(&fd, sockopt::ReuseAddr).map_err(nix_err)?)
            }
            SockOptName::Linger => {
                let l = sock::getsockopt(&fd, sockopt::Linger).map_err(nix_err)?;
                SockOpt::Linger {
                    on: l.l_onoff != 0,
                    secs: u32::try_from(l.l_linger).unwrap_or(0),
                }
            }
            SockOptName::RcvBuf => SockOpt::RcvBuf(
                u32::try_from(sock::getsockopt(&fd, sockopt::RcvBuf).map_err(nix_err)?)
                    .unwrap_or(u32::MAX),
            ),
            SockOptName::Error => {
                SockOpt::Error(sock::getsockopt(&fd, sockopt::SocketError).map_err(nix_err)?)
            }
        })
    }

    fn bind(&mut self, s: SockId, addr: SocketAddrV4) -> CallResult<()> {
        let fd = self.sock(s)?.fd();
        sock::bind(fd.as_raw_fd(), &SockaddrIn::from(addr)).map_err(nix_err)
    }

    fn listen(&mut self, s: SockId, backlog: i64) -> CallResult<()> {
        let b = sock::Backlog::new(i32::try_from(backlog).unwrap_or(i32::MAX)).map_err(nix_err)?;
        let fd = self.sock(s)?.fd();
        sock::listen(&fd, b).map_err(nix_err)?;
        let addr = sock::getsockname::<SockaddrIn>(fd.as_raw_fd())
            .map(SocketAddrV4::from)
            .map_err(nix_err)?;
        let Some(Sock::Fresh(fd)) = self.socks.remove(&s) else {
            return Ok(());
        };
        self.socks
            .insert(s, Sock::Listener(TcpListener::from(fd), addr));
        Ok(())
    }

    fn accept(&mut self, s: SockId) -> CallResult<SockId> {
        let Sock::Listener(l, _) = self.sock(s)? else {
            return Err(Errno::Einval.into());
        };
        let (stream, _) = l.accept().map_err(|e| io_err(&e))?;
        stream.set_nonblocking(true).map_err(|e| io_err(&e))?;
        Ok(self.add(Sock::Conn(OwnedFd::from(stream))))
    }

    fn connect(&mut self, s: SockId, remote: SocketAddrV4) -> CallResult<()> {
        let fd = self.sock(s)?.fd();
        let r = sock::connect(fd.as_raw_fd(), &SockaddrIn::from(remote));
        if matches!(self.socks.get(&s), Some(Sock::Fresh(_))) {
            if let Some(Sock::Fresh(fd)) = self.socks.remove(&s) {
                self.socks.insert(s, Sock::Conn(fd));
            }
        }
        r.map_err(nix_err)
    }

    fn local_addr(&self, s: SockId) -> Option<SocketAddrV4> {
        let fd = self.socks.get(&s)?.fd();
        sock::getsockname::<SockaddrIn>(fd.as_raw_fd())
            .ok()
            .map(SocketAddrV4::from)
    }

    fn write(&mut self, s: SockId, data: &[u8]) -> CallResult<usize> {
        let fd = self.sock(s)?.fd();
        // MSG_NOSIGNAL: EPIPE as an errno, not a signal.
        sock::send(fd.as_raw_fd(), data, sock::MsgFlags::MSG_NOSIGNAL).map_err(nix_err)
    }

    fn read(&mut self, s: SockId, max: usize) -> CallResult<Vec<u8>> {
        let fd = self.sock(s)?.fd();
        let mut buf = vec![0; max];
        let n = nix::unistd::read(fd, &mut buf).map_err(nix_err)?;
        buf.truncate(n);
        Ok(buf)
    }

    fn shutdown(&mut self, s: SockId, how: Shutdown) -> CallResult<()> {
        let fd = self.sock(s)?.fd();
        let how = match how {
            Shutdown::Read => sock::Shutdown::Read,
            Shutdown::Write => sock::Shutdown::Write,
            Shutdown::Both => sock::Shutdown::Both,
        };
        sock::shutdown(fd.as_raw_fd(), how).map_err(nix_err)
    }

    fn close(&mut self, s: SockId) -> CallResult<()> {
        self.socks.remove(&s).ok_or(Errno::Ebadf)?;
        self.pump();
        Ok(())
    }

    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), String> {
        let Some(key) = name.strip_prefix("net.ipv4.tcp_") else {
            return Err(format!(
                "{name}: only the namespace's own net.ipv4.tcp_* settings are written"
            ));
        };
        // Only knobs each network namespace has its own copy of: a global
        // one (tcp_mem, say) written here would change the host.
        if !PER_NETNS.contains(&key) {
            return Err(format!(
                "{name}: not one of the per-namespace settings the kernel target writes \
                 (net.ipv4.tcp_{})",
                PER_NETNS.join(", tcp_")
            ));
        }
        std::fs::write(format!("/proc/sys/net/ipv4/tcp_{key}"), value)
            .map_err(|e| format!("{name}={value}: {e}"))
    }

    fn state(&mut self, local: SocketAddrV4, remote: SocketAddrV4) -> &'static str {
        match self.diag.lookup(local, remote) {
            Ok(Some(k)) => state_name(k.state),
            _ => "CLOSED",
        }
    }

    fn listening(&mut self, local: SocketAddrV4) -> bool {
        self.socks
            .values()
            .any(|s| matches!(s, Sock::Listener(_, a) if *a == local))
    }
}
