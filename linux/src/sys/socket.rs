//! The kernel's half of an exchange: ordinary sockets in the private
//! namespace, all non-blocking, so that one thread can drive both the
//! kernel (through its sockets) and synfin-tcp (through the TUN) and decide
//! exactly when each acts.

use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddrV4, TcpListener, TcpStream};

use nix::errno::Errno;
use nix::sys::socket::{
    bind, connect, setsockopt, socket, sockopt, AddressFamily, SockFlag, SockType, SockaddrIn,
};

/// A listening kernel socket on `addr`, non-blocking.
pub fn listen(addr: SocketAddrV4) -> io::Result<TcpListener> {
    let l = TcpListener::bind(addr)?;
    l.set_nonblocking(true)?;
    Ok(l)
}

/// Accepts a connection if one is ready.
pub fn try_accept(l: &TcpListener) -> io::Result<Option<TcpStream>> {
    match l.accept() {
        Ok((s, _)) => {
            s.set_nonblocking(true)?;
            Ok(Some(s))
        }
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(None),
        Err(e) => Err(e),
    }
}

/// A non-blocking `connect()` to `remote`, from `local` if given (bound
/// first with `SO_REUSEADDR`, which a simultaneous open needs: both sides
/// must know each other's port in advance). The SYN is on the wire when
/// this returns; the handshake completes as the driver runs.
pub fn connect_from(local: Option<SocketAddrV4>, remote: SocketAddrV4) -> io::Result<TcpStream> {
    let fd = socket(
        AddressFamily::Inet,
        SockType::Stream,
        SockFlag::SOCK_NONBLOCK | SockFlag::SOCK_CLOEXEC,
        None,
    )?;
    if let Some(local) = local {
        setsockopt(&fd, sockopt::ReuseAddr, &true)?;
        bind(
            std::os::fd::AsRawFd::as_raw_fd(&fd),
            &SockaddrIn::from(local),
        )?;
    }
    match connect(
        std::os::fd::AsRawFd::as_raw_fd(&fd),
        &SockaddrIn::from(remote),
    ) {
        Ok(()) | Err(Errno::EINPROGRESS) => {}
        Err(e) => return Err(e.into()),
    }
    Ok(TcpStream::from(fd))
}

/// Whether a non-blocking `connect()` has completed: `Ok(true)` once
/// connected, an error if it failed (refused, reset, timed out).
pub fn connected(s: &TcpStream) -> io::Result<bool> {
    if let Some(e) = s.take_error()? {
        return Err(e);
    }
    match s.peer_addr() {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(Errno::ENOTCONN as i32) => Ok(false),
        Err(e) => Err(e),
    }
}

/// What a non-blocking read found.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ReadOutcome {
    /// Bytes appended.
    pub bytes: usize,
    /// The peer's FIN was read (`read` returned 0).
    pub eof: bool,
}

/// Reads everything available from `s` into `buf` without blocking.
pub fn read_available(s: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<ReadOutcome> {
    let mut out = ReadOutcome::default();
    let mut chunk = [0u8; 4096];
    loop {
        match s.read(&mut chunk) {
            Ok(0) => {
                out.eof = true;
                return Ok(out);
            }
            Ok(n) => {
                buf.extend_from_slice(&chunk[..n]);
                out.bytes += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(out),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Writes all of `data` (small: it fits the socket buffer, so a
/// non-blocking write takes it at once).
pub fn write_all(s: &mut TcpStream, data: &[u8]) -> io::Result<()> {
    let n = s.write(data)?;
    if n != data.len() {
        return Err(io::Error::new(
            io::ErrorKind::WriteZero,
            format!("kernel socket took {n} of {} bytes", data.len()),
        ));
    }
    Ok(())
}

/// `shutdown(SHUT_WR)`: the kernel sends its FIN and can still read.
pub fn shutdown_write(s: &TcpStream) -> io::Result<()> {
    s.shutdown(Shutdown::Write)
}
