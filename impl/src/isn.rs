//! Initial sequence numbers (RFC 9293 §3.4.1, RFC 6528).
//!
//! The core never draws randomness itself: the ISN source is injected.

use std::net::SocketAddrV4;

use crate::seq::SeqNum;
use crate::time::Instant;

/// Chooses the initial send sequence number (ISS) of a new connection.
pub trait IsnSource {
    /// The ISS for a connection from `local` to `remote`, opened at `now`.
    fn iss(&mut self, now: Instant, local: SocketAddrV4, remote: SocketAddrV4) -> SeqNum;
}

/// Always the same ISS: for tests and for replaying traces at a chosen base.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FixedIsn(pub SeqNum);

impl IsnSource for FixedIsn {
    fn iss(&mut self, _now: Instant, _local: SocketAddrV4, _remote: SocketAddrV4) -> SeqNum {
        self.0
    }
}
