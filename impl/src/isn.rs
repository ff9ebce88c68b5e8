//! Initial sequence numbers (RFC 9293 §3.4.1, RFC 6528).
//!
//! The core never draws randomness itself: the ISN source is injected, and
//! only into the calls that select an ISS: an active OPEN
//! ([`Connection::connect`](crate::conn::Connection::connect),
//! [`Connection::open`](crate::conn::Connection::open)), a SYN arriving in
//! LISTEN ([`Connection::accept`](crate::conn::Connection::accept),
//! [`Connection::handle_segment_with_isn`](crate::conn::Connection::handle_segment_with_isn)).
//! An [`Endpoint`](crate::endpoint::Endpoint) owns its source and asks it
//! for the same events and for a MAY-2 reopening from TIME-WAIT.
//! [`Rfc6528Isn`] is the default for real drivers; [`FixedIsn`] is for tests,
//! the model and conformance replay.

use std::fmt;
use std::hash::Hasher;
use std::net::SocketAddrV4;

use siphasher::sip::SipHasher24;

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

/// The RFC 6528 ISN generator (RFC 9293 §3.4.1, MUST-8, SHLD-1, MUST-9):
///
/// ```text
/// ISN = M + F(localip, localport, remoteip, remoteport, secretkey)
/// ```
///
/// - `M` is a 32-bit timer that ticks every 4 µs (one cycle is about
///   4.77 hours), derived from the `now` the caller passes in, never from a
///   clock read here;
/// - `F` is SipHash-2-4, a keyed pseudo-random function, over the 4-tuple
///   and keyed by a 128-bit secret the caller supplies (drawn once from the
///   OS at start-up by a driver, fixed by a test). Its 64-bit output is
///   truncated to 32 bits.
///
/// So two incarnations of the same 4-tuple get ISNs that advance with the
/// clock (keeping their sequence spaces apart, §3.4.1), while an off-path
/// observer who sees the ISNs of other 4-tuples learns nothing about this
/// one (MUST-9). `Debug` does not print the key.
#[derive(Clone)]
pub struct Rfc6528Isn {
    key: [u8; 16],
}

impl Rfc6528Isn {
    /// Microseconds per tick of the timer `M` (RFC 9293 §3.4.1).
    pub const TICK_MICROS: u64 = 4;

    /// A generator keyed by `secret` (128 bits).
    pub const fn new(secret: [u8; 16]) -> Self {
        Rfc6528Isn { key: secret }
    }

    /// `M`: the 4 µs timer at `now`, modulo 2^32.
    pub const fn clock(now: Instant) -> u32 {
        (now.as_micros() / Self::TICK_MICROS) as u32
    }

    /// `F`: the keyed hash of the 4-tuple, independent of time.
    pub fn offset(&self, local: SocketAddrV4, remote: SocketAddrV4) -> u32 {
        let mut h = SipHasher24::new_with_key(&self.key);
        // A fixed-length encoding (4 + 2 + 4 + 2 bytes), so distinct tuples
        // are distinct inputs.
        h.write(&local.ip().octets());
        h.write(&local.port().to_be_bytes());
        h.write(&remote.ip().octets());
        h.write(&remote.port().to_be_bytes());
        h.finish() as u32
    }
}

impl IsnSource for Rfc6528Isn {
    fn iss(&mut self, now: Instant, local: SocketAddrV4, remote: SocketAddrV4) -> SeqNum {
        SeqNum(Self::clock(now).wrapping_add(self.offset(local, remote)))
    }
}

impl fmt::Debug for Rfc6528Isn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Rfc6528Isn")
            .field("key", &"<secret>")
            .finish()
    }
}
