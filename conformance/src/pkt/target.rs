//! What a script needs from a TCP stack: the [`SocketTarget`] trait.
//!
//! A script speaks the socket API and the wire. A target gives it both: the
//! system calls with their return values and errnos, a way to put a whole
//! segment (window and options included) in front of the stack, the
//! segments the stack sent, with when, and a clock. The interpreter
//! ([`mod@super::run`]) owns everything else: the script's file descriptors,
//! `O_NONBLOCK`, the addresses (`...` in a call), the relative numbering,
//! timing and comparison.
//!
//! Every call is made non-blocking: a call that would wait answers
//! `EAGAIN` (`EINPROGRESS` for `connect`), and the interpreter decides what
//! a blocking socket does with that.

use std::net::{Ipv4Addr, SocketAddrV4};

use super::errno::Errno;
use super::script::{Shutdown, SockOpt, SockOptName};
use super::segment::Segment;

/// A socket of the target, as the target numbers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SockId(pub u32);

/// Why a call did not succeed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CallError {
    /// It failed with this errno, as the socket API reports it.
    Errno(Errno),
    /// The stack has no way to do this: the script's verdict is
    /// "unsupported" at this line, not a failure.
    Unsupported(String),
}

impl From<Errno> for CallError {
    fn from(e: Errno) -> CallError {
        CallError::Errno(e)
    }
}

/// The result of a call on a target.
pub type CallResult<T> = Result<T, CallError>;

/// A segment the stack sent, and when (µs on the target's clock).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sent {
    /// When it was sent.
    pub at: u64,
    /// The segment.
    pub segment: Segment,
}

/// Whose clock a target runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Clock {
    /// The interpreter moves time; a run is deterministic.
    Virtual,
    /// Time passes by itself; `advance_to` waits.
    Real,
}

/// A TCP stack that can run packetdrill scripts.
///
/// The stack's host has the address [`SocketTarget::local_ip`]; the
/// script's peer, played by the interpreter, has
/// [`SocketTarget::remote_ip`]. Segments between the two go through
/// [`inject`](SocketTarget::inject) and [`next_sent`](SocketTarget::next_sent)
/// only.
pub trait SocketTarget {
    /// The target's name, for reports.
    fn name(&self) -> String;
    /// Virtual or real time.
    fn clock(&self) -> Clock;
    /// The stack's address.
    fn local_ip(&self) -> Ipv4Addr;
    /// The script's peer's address.
    fn remote_ip(&self) -> Ipv4Addr;

    /// Microseconds since the script started.
    fn now(&self) -> u64;
    /// Lets time pass up to `t` (µs): timers fire at their own instants
    /// and what the stack sends meanwhile is kept, with its time, for
    /// [`next_sent`](Self::next_sent). A virtual clock jumps; a real one
    /// waits.
    fn advance_to(&mut self, t: u64);
    /// The earliest segment the stack sent that was not returned yet,
    /// letting time pass up to `until` (µs) at most while there is none;
    /// `None` if it sent nothing by then.
    fn next_sent(&mut self, until: u64) -> Option<Sent>;
    /// Puts `segment` (from the peer) in front of the stack, now.
    fn inject(&mut self, segment: &Segment);

    /// `socket(AF_INET, SOCK_STREAM, IPPROTO_TCP)`.
    fn socket(&mut self) -> CallResult<SockId>;
    /// `setsockopt(SOL_SOCKET)`.
    fn set_option(&mut self, s: SockId, opt: SockOpt) -> CallResult<()>;
    /// `getsockopt(SOL_SOCKET)`: the option's value.
    fn get_option(&mut self, s: SockId, name: SockOptName) -> CallResult<SockOpt>;
    /// `bind` to `addr`.
    fn bind(&mut self, s: SockId, addr: SocketAddrV4) -> CallResult<()>;
    /// `listen`.
    fn listen(&mut self, s: SockId, backlog: i64) -> CallResult<()>;
    /// `accept`: a new socket, or `EAGAIN`.
    fn accept(&mut self, s: SockId) -> CallResult<SockId>;
    /// `connect` to `remote`: `EINPROGRESS` while the handshake runs.
    fn connect(&mut self, s: SockId, remote: SocketAddrV4) -> CallResult<()>;
    /// The socket's local address, once it has one.
    fn local_addr(&self, s: SockId) -> Option<SocketAddrV4>;
    /// `write`/`send`: bytes taken, or `EAGAIN`.
    fn write(&mut self, s: SockId, data: &[u8]) -> CallResult<usize>;
    /// `read`/`recv` of at most `max` bytes: an empty vector at the end of
    /// the stream, `EAGAIN` if there is nothing yet.
    fn read(&mut self, s: SockId, max: usize) -> CallResult<Vec<u8>>;
    /// `shutdown`.
    fn shutdown(&mut self, s: SockId, how: Shutdown) -> CallResult<()>;
    /// `close`.
    fn close(&mut self, s: SockId) -> CallResult<()>;

    /// A `sysctl` setting (`net.ipv4.tcp_sack`, `0`) as target
    /// configuration; `Err(why)` when the target has no such setting or
    /// cannot take it now (the script is then unsupported at that line).
    fn sysctl(&mut self, name: &str, value: &str) -> Result<(), String>;
    /// The RFC 9293 state (`ESTABLISHED`, `TIME-WAIT`, ...) of the
    /// connection between `local` and `remote`; `CLOSED` if there is none.
    fn state(&mut self, local: SocketAddrV4, remote: SocketAddrV4) -> &'static str;
    /// Whether a socket listens on `local`.
    fn listening(&mut self, local: SocketAddrV4) -> bool;
}
