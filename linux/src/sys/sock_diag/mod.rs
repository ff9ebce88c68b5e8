//! The kernel's TCP socket states and timers, read with sock_diag netlink
//! (what `ss` uses), in the calling thread's network namespace.
//!
//! sock_diag sees every socket, including the ones `getsockopt(TCP_INFO)`
//! cannot: orphaned sockets and the TIME-WAIT and orphaned FIN-WAIT-2
//! mini-sockets. A direct lookup of one 4-tuple costs microseconds, against
//! about 7 ms for running `ss`, so a driver can sample after every segment
//! without slowing the exchange down enough to provoke retransmissions. The
//! same reply carries the running timer and the time left on it, which the
//! kernel replay compares with a trace's.
//!
//! The messages themselves are in `message.rs`, which also says why they
//! are written out rather than taken from a netlink crate.

mod message;
mod state;
mod timer;

use std::io;
use std::net::SocketAddrV4;
use std::os::fd::{AsRawFd, OwnedFd};

use nix::sys::socket::{
    recv, sendto, socket, AddressFamily, MsgFlags, NetlinkAddr, SockFlag, SockProtocol, SockType,
};

pub use message::KernelSocket;
pub use state::KernelState;
pub use timer::TimerKind;

/// A sock_diag netlink socket in the namespace of the thread that opened it.
#[derive(Debug)]
pub struct SockDiag {
    fd: OwnedFd,
    seq: u32,
    buf: Vec<u8>,
}

impl SockDiag {
    /// Opens a sock_diag socket. Sockets are reported for the network
    /// namespace of the calling thread at the time of this call.
    pub fn new() -> io::Result<SockDiag> {
        let fd = socket(
            AddressFamily::Netlink,
            SockType::Raw,
            SockFlag::SOCK_CLOEXEC,
            SockProtocol::NetlinkSockDiag,
        )?;
        Ok(SockDiag {
            fd,
            seq: 0,
            buf: vec![0; 64 * 1024],
        })
    }

    fn send(&mut self, req: &message::Request) -> io::Result<()> {
        sendto(
            self.fd.as_raw_fd(),
            req,
            &NetlinkAddr::new(0, 0),
            MsgFlags::empty(),
        )?;
        Ok(())
    }

    /// Every IPv4 TCP socket in the namespace, in every state.
    pub fn tcp_sockets(&mut self) -> io::Result<Vec<KernelSocket>> {
        self.seq = self.seq.wrapping_add(1);
        self.send(&message::dump_request(self.seq))?;
        let mut out = Vec::new();
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty())?;
            if message::parse_dump(&self.buf[..n], self.seq, &mut out)? {
                return Ok(out);
            }
        }
    }

    /// The one socket whose local socket is `local` and remote socket
    /// `remote` (TIME-WAIT and request sockets included), or `None` if
    /// there is none (a listener on `local`'s port is not the connection).
    /// A direct lookup: cheap enough to call after every segment.
    pub fn lookup(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Option<KernelSocket>> {
        self.seq = self.seq.wrapping_add(1);
        self.send(&message::lookup_request(self.seq, local, remote))?;
        loop {
            let n = recv(self.fd.as_raw_fd(), &mut self.buf, MsgFlags::empty())?;
            if let Some(answer) = message::parse_lookup(&self.buf[..n], self.seq, remote)? {
                return Ok(answer);
            }
        }
    }

    /// The state of the one socket between `local` and `remote`, as
    /// [`lookup`](Self::lookup) finds it.
    pub fn state_of(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Option<KernelState>> {
        Ok(self.lookup(local, remote)?.map(|s| s.state))
    }

    /// The states of the sockets whose local and remote addresses are
    /// exactly `local` and `remote` (usually zero or one socket), from a
    /// dump.
    pub fn states_of(
        &mut self,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> io::Result<Vec<KernelState>> {
        Ok(self
            .tcp_sockets()?
            .into_iter()
            .filter(|s| s.local == local && s.remote == remote)
            .map(|s| s.state)
            .collect())
    }
}
