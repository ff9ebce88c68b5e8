//! What a driver needs from a TCP stack: the sans-IO inputs and outputs,
//! and the user calls an application (the demo, `connect`, `listen`) makes.
//!
//! The TUN driver and the demo are written against this trait rather than
//! against the endpoint directly, so they can be exercised with a scripted
//! stand-in, and so the endpoint's API can evolve behind one adapter.

use std::fmt;
use std::net::SocketAddrV4;

use synfin_tcp::time::Instant;
use synfin_tcp::wire::Segment;

/// A connection's end as the application sees it after a `recv`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes appended to the caller's buffer.
    pub bytes: usize,
    /// The peer's FIN has been received and every byte before it read.
    pub eof: bool,
}

/// A TCP stack the TUN driver can run: sans-IO, on explicit time.
///
/// Inputs are [`handle_segment`](Self::handle_segment) and
/// [`handle_timeout`](Self::handle_timeout); after each input or user call
/// the driver pulls [`poll_transmit`](Self::poll_transmit) until `None` and
/// then asks [`poll_timeout`](Self::poll_timeout) when to wake up.
pub trait Stack {
    /// A handle on one connection.
    type Conn: Copy + Eq + fmt::Debug;

    /// A segment arrived from the network.
    fn handle_segment(&mut self, now: Instant, seg: Segment);
    /// The instant of [`poll_timeout`](Self::poll_timeout) has passed.
    fn handle_timeout(&mut self, now: Instant);
    /// The next segment to put on the wire.
    fn poll_transmit(&mut self, now: Instant) -> Option<Segment>;
    /// When [`handle_timeout`](Self::handle_timeout) must be called next.
    fn poll_timeout(&mut self) -> Option<Instant>;

    /// Active OPEN from `local` (port 0: an ephemeral port) to `remote`.
    fn connect(
        &mut self,
        now: Instant,
        local: SocketAddrV4,
        remote: SocketAddrV4,
    ) -> Result<Self::Conn, String>;
    /// Passive OPEN on `local`.
    fn listen(&mut self, now: Instant, local: SocketAddrV4) -> Result<(), String>;
    /// A connection a listener accepted (ESTABLISHED), if any.
    fn accept(&mut self) -> Option<Self::Conn>;
    /// SEND: queues `data`; returns how many bytes were taken.
    fn send(&mut self, now: Instant, conn: Self::Conn, data: &[u8]) -> Result<usize, String>;
    /// RECEIVE: appends what has arrived to `buf`.
    fn recv(
        &mut self,
        now: Instant,
        conn: Self::Conn,
        buf: &mut Vec<u8>,
    ) -> Result<Received, String>;
    /// CLOSE: a FIN follows the queued data.
    fn close(&mut self, now: Instant, conn: Self::Conn) -> Result<(), String>;
    /// The connection's local and remote sockets.
    fn addrs(&self, conn: Self::Conn) -> Option<(SocketAddrV4, SocketAddrV4)>;
    /// The RFC 9293 state name (`"SYN-SENT"`, ...) of the connection
    /// between `local` and `remote` (including one a listener has not
    /// handed out yet, and one in TIME-WAIT), or `None` if there is none
    /// (CLOSED).
    fn state_of(&self, local: SocketAddrV4, remote: SocketAddrV4) -> Option<&'static str>;
    /// Whether the connection was reset, refused or timed out, with the
    /// reason.
    fn failure(&self, conn: Self::Conn) -> Option<String>;
}
