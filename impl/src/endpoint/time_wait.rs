//! [`TimeWait`]: what the endpoint keeps of a connection in TIME-WAIT, and
//! how it is taken from and turned back into a full [`Connection`].

use std::mem::size_of;

use super::handle::ConnHandle;
use super::quad::Quad;
use crate::conn::{Config, Connection};
use crate::seq::SeqNum;
use crate::time::Instant;

/// What is left of a connection in TIME-WAIT: enough to rebuild its TCB
/// with [`Connection::from_time_wait`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct TimeWait {
    snd_nxt: u32,
    rcv_nxt: u32,
    /// When 2·MSL ends.
    pub(super) expiry: Instant,
    /// RFC 5961 §7 rate limit: start of the interval in µs, `u64::MAX` for
    /// none.
    challenge_since: u64,
    challenge_count: u32,
    /// The handle the application knew, for the final [`Event::Closed`].
    pub(super) handle: ConnHandle,
}

impl TimeWait {
    pub(super) fn of(conn: &Connection, handle: ConnHandle, now: Instant) -> TimeWait {
        let (snd_nxt, rcv_nxt, expiry) = conn.time_wait_parts();
        let (since, count) = conn.challenge_state();
        TimeWait {
            snd_nxt: snd_nxt.0,
            rcv_nxt: rcv_nxt.0,
            expiry: expiry.unwrap_or(now),
            challenge_since: since.map_or(u64::MAX, Instant::as_micros),
            challenge_count: count,
            handle,
        }
    }

    /// SND.NXT and RCV.NXT.
    pub(super) fn numbers(self) -> (SeqNum, SeqNum) {
        (SeqNum(self.snd_nxt), SeqNum(self.rcv_nxt))
    }

    pub(super) fn to_connection(self, config: Config, quad: Quad) -> Connection {
        let since =
            (self.challenge_since != u64::MAX).then(|| Instant::from_micros(self.challenge_since));
        Connection::from_time_wait(
            config,
            quad.local(),
            quad.remote(),
            SeqNum(self.snd_nxt),
            SeqNum(self.rcv_nxt),
            self.expiry,
            (since, self.challenge_count),
        )
    }
}

/// Bytes of one TIME-WAIT table element: the packed 4-tuple and the record
/// (the hash table adds one control byte per bucket).
pub const TIME_WAIT_ENTRY_BYTES: usize = size_of::<(Quad, TimeWait)>();

// A TIME-WAIT entry must stay small (at most 64 bytes), so that a host
// with many recently closed connections holds them cheaply; checked at
// compile time.
const _: () = assert!(TIME_WAIT_ENTRY_BYTES <= 64);
