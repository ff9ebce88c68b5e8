//! The trace `connect` and `listen` print on standard error: every segment,
//! with sequence numbers relative to each side's ISN, and every state
//! change of synfin-tcp's connection.

use std::net::SocketAddrV4;

use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

use crate::driver::{Direction, Observer, Stack};

/// Traces segments and state changes on standard error.
pub(super) struct Tracer {
    pub(super) local: SocketAddrV4,
    pub(super) remote: Option<SocketAddrV4>,
    pub(super) last: Option<&'static str>,
    /// The ISNs learned from each side's SYN, to print relative numbers
    /// (synfin-tcp's, the peer's).
    pub(super) isn: (Option<SeqNum>, Option<SeqNum>),
}

impl Tracer {
    pub(super) fn state<S: Stack>(&mut self, stack: &S) {
        let Some(remote) = self.remote else { return };
        let now = stack.state_of(self.local, remote);
        if now != self.last {
            eprintln!("synfin-tcp: {}", now.unwrap_or("CLOSED"));
            self.last = now;
        }
    }
}

impl<S: Stack> Observer<S> for Tracer {
    fn segment(&mut self, stack: &S, dir: Direction, seg: &Segment) {
        if seg.dst == self.local && self.remote.is_none() {
            self.remote = Some(seg.src);
        }
        let arrow = match dir {
            Direction::ToKernel => "->",
            Direction::FromKernel => "<-",
        };
        let (own, other) = match dir {
            Direction::ToKernel => (&mut self.isn.0, self.isn.1),
            Direction::FromKernel => (&mut self.isn.1, self.isn.0),
        };
        if seg.flags.contains(Flags::SYN) && own.is_none() {
            *own = Some(seg.seq);
        }
        // Relative to each side's ISN, as in the demo's diagrams.
        let rel = |n: SeqNum, isn: Option<SeqNum>| isn.map_or(n.0, |i| n.since(i));
        let mut line = format!("  {arrow} [{}] seq={}", seg.flags, rel(seg.seq, *own));
        if seg.flags.contains(Flags::ACK) {
            line.push_str(&format!(" ack={}", rel(seg.ack, other)));
        }
        line.push_str(&format!(" win={} len={}", seg.window, seg.payload.len()));
        eprintln!("{line}");
        self.state(stack);
    }
}
