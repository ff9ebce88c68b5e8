//! One host: its application's budget, its TCB (RFC 9293 §3.3.1 names), and
//! the ghost fields properties read. Protocol logic never reads a ghost.

use std::fmt;

use crate::config::{Config, Variant};

/// The 11 connection states of RFC 9293 §3.3.2.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
#[allow(missing_docs)]
pub enum St {
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    CloseWait,
    Closing,
    LastAck,
    TimeWait,
}

impl St {
    /// Every state, in RFC order.
    pub const ALL: [St; 11] = [
        St::Closed,
        St::Listen,
        St::SynSent,
        St::SynReceived,
        St::Established,
        St::FinWait1,
        St::FinWait2,
        St::CloseWait,
        St::Closing,
        St::LastAck,
        St::TimeWait,
    ];

    /// The RFC spelling.
    pub fn name(self) -> &'static str {
        match self {
            St::Closed => "CLOSED",
            St::Listen => "LISTEN",
            St::SynSent => "SYN-SENT",
            St::SynReceived => "SYN-RECEIVED",
            St::Established => "ESTABLISHED",
            St::FinWait1 => "FIN-WAIT-1",
            St::FinWait2 => "FIN-WAIT-2",
            St::CloseWait => "CLOSE-WAIT",
            St::Closing => "CLOSING",
            St::LastAck => "LAST-ACK",
            St::TimeWait => "TIME-WAIT",
        }
    }

    /// Synchronized states (RFC 9293 §3.5.2): ESTABLISHED and every later one.
    pub fn synchronized(self) -> bool {
        self >= St::Established
    }

    /// States in which our FIN has been sent.
    pub fn fin_sent(self) -> bool {
        matches!(
            self,
            St::FinWait1 | St::FinWait2 | St::Closing | St::LastAck | St::TimeWait
        )
    }

    /// States in which the peer's FIN has been received.
    pub fn fin_received(self) -> bool {
        matches!(
            self,
            St::CloseWait | St::Closing | St::LastAck | St::TimeWait
        )
    }
}

impl fmt::Display for St {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a host's latest incarnation ended. Ghost: read by properties and scenarios.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Default)]
#[allow(missing_docs)]
pub enum End {
    #[default]
    None,
    /// The application closed a LISTEN or SYN-SENT.
    Cancelled,
    /// LAST-ACK acknowledged (or, without TIME-WAIT, the active closer's last ACK sent).
    Orderly,
    /// TIME-WAIT expired.
    TimeWaitDone,
    /// A RST was accepted.
    Reset,
    /// A passive SYN-RECEIVED returned to LISTEN on a RST answering a stale SYN.
    StaleRejected,
    /// SYN-SENT reached the retry limit (connection-establishment timeout).
    ConnectTimeout,
    /// A synchronized connection reached the retry limit.
    TimedOut,
    /// The application aborted.
    Aborted,
    /// The host crashed.
    Crashed,
}

/// One host: application budget, TCB, ghosts.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Host {
    /// RFC 9293 connection state.
    pub state: St,
    /// MUST-11: SYN-RECEIVED (and what follows) came from a passive OPEN.
    pub passive: bool,
    /// Initial send sequence number.
    pub iss: u8,
    /// Initial receive sequence number.
    pub irs: u8,
    /// Oldest unacknowledged sequence number.
    pub snd_una: u8,
    /// Next sequence number to send.
    pub snd_nxt: u8,
    /// Next sequence number expected.
    pub rcv_nxt: u8,
    /// Data bytes the application has sent in this incarnation.
    pub sent: u8,
    /// Retransmissions of the current head of the queue.
    pub retries: u8,
    /// Ticks until the one running timer expires: retransmission,
    /// TIME-WAIT, or in CLOSED the quiet time after a reboot.
    pub timer: Option<u8>,
    /// The ISN generator: the last ISS this host chose (kept across incarnations).
    pub isn_last: u8,
    /// The ISN generator: ticks since `isn_last` was chosen, saturating.
    pub clock: u8,
    /// Sequence numbers the previous incarnation consumed.
    pub used: u8,
    /// OPEN calls the application has left.
    pub opens_left: u8,
    /// Ghost: incarnation number (1 for the first OPEN).
    pub inc: u8,
    /// Ghost: the peer incarnation whose SYN set our IRS (0 for none).
    pub peer_inc: u8,
    /// Ghost: for each of our incarnations, the peer incarnation whose SYN it accepted.
    pub met: [u8; 4],
    /// Ghost: bytes delivered to the application in this incarnation.
    pub delivered: u8,
    /// Ghost: the peer's FIN was delivered to the application (end of stream).
    pub eof: bool,
    /// Ghost: the application called CLOSE in this incarnation.
    pub closed: bool,
    /// Ghost: the application received a byte after it had called CLOSE (half-close).
    pub read_after_close: bool,
    /// Ghost: a retransmitted FIN was acknowledged in TIME-WAIT.
    pub reacked: bool,
    /// Ghost: ticks since TIME-WAIT started or last restarted.
    pub tw_age: u8,
    /// Ghost: how the latest incarnation ended (cleared by the next OPEN).
    pub end: End,
    /// Ghost: this incarnation went from SYN-SENT to SYN-RECEIVED: a
    /// simultaneous open's crossing SYNs (Figure 7).
    pub crossed: bool,
    /// Ghost: ticks since the latest SYN was sent from SYN-SENT.
    pub syn_wait: u8,
    /// Ghost: ticks between the first SYN and its retransmission.
    pub syn_first: u8,
    /// Ghost: the second SYN-SENT timeout came twice as long after the
    /// retransmission as the first came after the SYN (RFC 6298 (5.5)).
    /// Kept until the next OPEN, like `end`.
    pub backed_off: bool,
    /// Ghost: this incarnation ended, or is ending, rudely: aborted,
    /// cancelled, crashed, timed out, or reset by a forged segment. Kept
    /// until the next OPEN, like `end`.
    pub rude: bool,
    /// MAY-2: the TIME-WAIT a SYN reopened, kept while the new connection
    /// is in SYN-RECEIVED (see [`Parked`]).
    pub parked: Option<Parked>,
}

/// RFC 9293 §3.6.1 MAY-2 lets TIME-WAIT accept a new SYN only if the host
/// "returns to TIME-WAIT state if the SYN turns out to be an old
/// duplicate". What it returns to: the TIME-WAIT's own numbers, and the
/// ticks left of its 2·MSL, which keep running meanwhile. The rest of a
/// TIME-WAIT is the same in every one (FIN sent and acknowledged, FIN
/// received, the application closed) and is rebuilt on return.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Parked {
    /// ISS of the old incarnation.
    pub iss: u8,
    /// IRS of the old incarnation.
    pub irs: u8,
    /// SND.NXT (= SND.UNA) of the old incarnation.
    pub snd_nxt: u8,
    /// RCV.NXT of the old incarnation.
    pub rcv_nxt: u8,
    /// Bytes the old incarnation sent.
    pub sent: u8,
    /// Retransmissions counted when TIME-WAIT was entered.
    pub retries: u8,
    /// Ticks left of the TIME-WAIT timer.
    pub timer: u8,
    /// Ghost: the peer incarnation the old one was synchronized with.
    pub peer_inc: u8,
    /// Ghost: bytes the old incarnation delivered.
    pub delivered: u8,
    /// Ghost: the old incarnation read a byte after its CLOSE.
    pub read_after_close: bool,
    /// Ghost: the old TIME-WAIT acknowledged a retransmitted FIN.
    pub reacked: bool,
}

impl Parked {
    /// Bytes in [`Parked::pack`].
    pub const PACKED: usize = 12;

    /// Its bytes in [`Host::pack`]: a presence byte, then each field (all
    /// zero when nothing is parked).
    pub fn pack(parked: &Option<Parked>) -> [u8; Parked::PACKED] {
        let Some(p) = parked else {
            return [0; Parked::PACKED];
        };
        let Parked {
            iss,
            irs,
            snd_nxt,
            rcv_nxt,
            sent,
            retries,
            timer,
            peer_inc,
            delivered,
            read_after_close,
            reacked,
        } = *p;
        [
            1,
            iss,
            irs,
            snd_nxt,
            rcv_nxt,
            sent,
            retries,
            timer,
            peer_inc,
            delivered,
            u8::from(read_after_close),
            u8::from(reacked),
        ]
    }

    /// The inverse of [`Parked::pack`].
    pub fn unpack(p: &[u8]) -> Option<Parked> {
        (p[0] != 0).then(|| Parked {
            iss: p[1],
            irs: p[2],
            snd_nxt: p[3],
            rcv_nxt: p[4],
            sent: p[5],
            retries: p[6],
            timer: p[7],
            peer_inc: p[8],
            delivered: p[9],
            read_after_close: p[10] != 0,
            reacked: p[11] != 0,
        })
    }
}

impl Host {
    /// Every field as one byte string, for hashing: the checker hashes
    /// each of tens of millions of states, and one write of 45 bytes costs
    /// far less than 45 writes of one. The destructuring makes a new field
    /// a compile error until it is packed.
    pub fn pack(&self) -> [u8; Host::PACKED] {
        let Host {
            state,
            passive,
            iss,
            irs,
            snd_una,
            snd_nxt,
            rcv_nxt,
            sent,
            retries,
            timer,
            isn_last,
            clock,
            used,
            opens_left,
            inc,
            peer_inc,
            met,
            delivered,
            eof,
            closed,
            read_after_close,
            reacked,
            tw_age,
            end,
            crossed,
            syn_wait,
            syn_first,
            backed_off,
            rude,
            parked,
        } = self;
        let (mut out, tcb) = ([0; Host::PACKED], Host::PACKED - Parked::PACKED);
        out[..tcb].copy_from_slice(&[
            *state as u8,
            u8::from(*passive),
            *iss,
            *irs,
            *snd_una,
            *snd_nxt,
            *rcv_nxt,
            *sent,
            *retries,
            u8::from(timer.is_some()),
            timer.unwrap_or(0),
            *isn_last,
            *clock,
            *used,
            *opens_left,
            *inc,
            *peer_inc,
            met[0],
            met[1],
            met[2],
            met[3],
            *delivered,
            u8::from(*eof),
            u8::from(*closed),
            u8::from(*read_after_close),
            u8::from(*reacked),
            *tw_age,
            *end as u8,
            u8::from(*crossed),
            *syn_wait,
            *syn_first,
            u8::from(*backed_off),
            u8::from(*rude),
        ]);
        out[tcb..].copy_from_slice(&Parked::pack(parked));
        out
    }

    /// Bytes in [`Host::pack`].
    pub const PACKED: usize = 33 + Parked::PACKED;

    /// A host with no TCB, `opens` OPEN calls to make, and an ISN generator at `isn`.
    pub fn new(opens: u8, isn: u8) -> Host {
        Host {
            state: St::Closed,
            passive: false,
            iss: 0,
            irs: 0,
            snd_una: 0,
            snd_nxt: 0,
            rcv_nxt: 0,
            sent: 0,
            retries: 0,
            timer: None,
            isn_last: isn,
            clock: 0,
            used: 0,
            opens_left: opens,
            inc: 0,
            peer_inc: 0,
            met: [0; 4],
            delivered: 0,
            eof: false,
            closed: false,
            read_after_close: false,
            reacked: false,
            tw_age: 0,
            end: End::None,
            crossed: false,
            syn_wait: 0,
            syn_first: 0,
            backed_off: false,
            rude: false,
            parked: None,
        }
    }

    /// A new TCB in `state` for the same host: keeps the budget, the ISN
    /// generator and the ghosts that outlive an incarnation. Not `end`: how
    /// the last incarnation ended is read only while the host is still
    /// CLOSED (or back in LISTEN, which sets it anew), so carrying it into
    /// the next incarnation only split states (a third of `default`'s).
    pub fn fresh(&self, state: St) -> Host {
        Host {
            state,
            opens_left: self.opens_left,
            inc: self.inc,
            met: self.met,
            isn_last: self.isn_last,
            clock: self.clock,
            used: self.used,
            ..Host::new(0, 0)
        }
    }

    /// May the application open a new incarnation? RFC 9293 §3.4.1 relies on
    /// the ISN clock running ahead of an old incarnation's sequence numbers;
    /// TIME-WAIT covers the case where it did not. So a host reuses the
    /// 4-tuple at once after TIME-WAIT, and otherwise once its ISN clock has
    /// moved a window past every number its last incarnation used (so that
    /// neither old segments fall in the new window nor new ones in a window
    /// still open for the old). A fixed ISN has no clock to wait for.
    /// Without the gate (`Config::reopen_at_once`) a host may always reuse
    /// it: [`Host::run_clock_ahead`] has already moved the clock.
    pub fn may_reuse(&self, cfg: &Config) -> bool {
        cfg.reopen_at_once
            || self.end == End::TimeWaitDone
            || cfg.is(Variant::FixedIsn)
            || self.used == 0
            || cfg.isn_rate * self.clock >= self.clear_of_old_numbers(cfg)
    }

    /// How far the ISN clock must move past the last ISS, with the gate or
    /// without it: a window past every number the last incarnation used.
    fn clear_of_old_numbers(&self, cfg: &Config) -> u8 {
        self.used + cfg.window
    }

    /// Without the reopen gate (`Config::reopen_at_once`): once an
    /// incarnation is gone, other than through TIME-WAIT, the ISN clock
    /// reads at least a window past every number it used. That is RFC 9293
    /// §3.4.1's assumption, that a connection does not use sequence numbers
    /// faster than the clock advances, stated of the model's clock, which
    /// moves one number a tick while a connection may use four in one.
    /// TIME-WAIT is what covers a clock that has not moved past, so a host
    /// leaving it keeps the clock's own reading, as it does with the gate.
    /// Run after every step; `used` is zero once it has run, so it runs
    /// once an incarnation.
    pub fn run_clock_ahead(&mut self, cfg: &Config) {
        if cfg.reopen_at_once && self.used > 0 && !matches!(self.end, End::None | End::TimeWaitDone)
        {
            let moved = (cfg.isn_rate * self.clock).max(self.clear_of_old_numbers(cfg));
            self.isn_last += moved;
            self.clock = 0;
            self.used = 0;
        }
    }

    /// A host that will never choose another ISS has no use for its ISN
    /// generator; zeroing it merges states that differ only there.
    ///
    /// This is an exact reduction: zeroed or not, a state has the same
    /// futures and the same verdicts. `clock` and `used` are read in two
    /// places only (without the reopen gate, [`Host::run_clock_ahead`]
    /// first folds them into `isn_last`, which only `Sys::choose_iss`
    /// reads). [`Host::may_reuse`] is read before an OPEN, which needs
    /// `opens_left > 0`. `Sys::choose_iss` is read when a new ISS is
    /// chosen: at an OPEN, when a SYN reaches LISTEN, or under MAY-2 when
    /// one reopens TIME-WAIT, which needs an OPEN left as well. With
    /// `opens_left == 0` no OPEN is left, and the only way back to LISTEN
    /// is from LISTEN itself or from a passive SYN-RECEIVED
    /// (§3.10.7.4: an RST, or R2, returns it to LISTEN). So those two
    /// states keep the clock, and in every other state it is dead.
    /// No property reads either field, and `Tick` saturates `clock` at
    /// `cfg.clock_cap` whatever its value. An earlier version forgot the
    /// clock in passive SYN-RECEIVED too, so the listener it returned to
    /// chose the same ISS again.
    pub fn forget_unused_clock(&mut self) {
        if self.opens_left == 0
            && self.state != St::Listen
            && !(self.passive && self.state == St::SynReceived)
        {
            self.clock = 0;
            self.used = 0;
        }
    }

    /// ghost: a SYN-SENT timer expired: record how long after the latest
    /// SYN, and whether the second wait was twice the first.
    pub fn note_syn_timeout(&mut self) {
        if self.state != St::SynSent {
            return;
        }
        if self.retries == 0 {
            self.syn_first = self.syn_wait;
        } else if self.retries == 1 && self.syn_wait == 2 * self.syn_first {
            self.backed_off = true;
        }
    }

    /// Nothing sent is unacknowledged.
    pub fn idle(&self) -> bool {
        self.snd_una == self.snd_nxt
    }

    /// Forget the TCB (RFC: "delete the TCB"); keep the budget and the
    /// ghosts that outlive an incarnation.
    pub fn delete_tcb(&mut self, end: End) {
        // A LISTEN has chosen no ISS of its own, but may have passed through
        // SYN-RECEIVED and back: keep what that consumed (`back_to_listen`).
        let used = if self.state == St::Listen {
            self.used
        } else {
            self.snd_nxt - self.iss
        };
        let keep = Host {
            isn_last: self.isn_last,
            clock: self.clock,
            used,
            opens_left: self.opens_left,
            inc: self.inc,
            met: self.met,
            end,
            backed_off: self.backed_off,
            rude: self.rude,
            ..Host::new(0, 0)
        };
        *self = keep;
    }
}
