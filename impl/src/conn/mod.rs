//! The connection core: one TCB (RFC 9293 §3.3.1), sans-IO.
//!
//! A [`Connection`] is a pure state machine. It never reads a clock, does
//! I/O or draws randomness: every input takes `now`, and outputs are
//! pulled. An ISN source (see [`crate::isn`]) is handed in only to the
//! calls that select an ISS: [`Connection::connect`], [`Connection::accept`],
//! [`Connection::open`] and, for a TCB in LISTEN,
//! [`Connection::handle_segment_with_isn`].
//!
//! - [`arrive`]: SEGMENT ARRIVES, one function per step of RFC 9293 §3.10.7;
//! - [`user`]: OPEN, SEND, RECEIVE, CLOSE, ABORT (§3.10.1–§3.10.5);
//! - this module: the TCB, transmission and retransmission (RFC 6298),
//!   timeouts (§3.10.8) and the output queues.

pub mod arrive;
mod config;
mod error;
mod event;
mod state;
mod timers;
pub mod user;

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

pub use arrive::{listen_verdict, reset_for, ListenVerdict};
pub use config::{Backoff, Config};
pub use error::Error;
pub use event::Event;
pub use state::{Origin, State};
pub use timers::{Timer, TimerTable};

use crate::seq::SeqNum;
use crate::time::Instant;
use crate::wire::{Flags, Segment};

/// RFC 6298 clock granularity G, the floor of the RTTVAR term.
const CLOCK_GRANULARITY: Duration = Duration::from_millis(1);

/// The MSS assumed when the peer sends no MSS option (RFC 9293 §3.7.1,
/// MUST-15).
const DEFAULT_MSS: u16 = 536;

/// One TCP connection: a transmission control block and its queues.
///
/// # Call order
///
/// Like quinn-proto's `Connection`, the methods come in four kinds:
///
/// - getters ([`state`](Self::state), [`snd_nxt`](Self::snd_nxt), …);
/// - inputs: [`handle_segment`](Self::handle_segment) for a segment that
///   arrived for this connection's 4-tuple (the caller demultiplexes;
///   [`handle_segment_with_isn`](Self::handle_segment_with_isn) for a TCB
///   in LISTEN, where a SYN selects an ISS) and
///   [`handle_timeout`](Self::handle_timeout) once the instant returned by
///   [`poll_timeout`](Self::poll_timeout) has passed;
/// - user calls: [`send`](Self::send), [`recv`](Self::recv),
///   [`close`](Self::close), [`abort`](Self::abort); OPEN is
///   [`connect`](Self::connect) (active), [`listen`](Self::listen)
///   (passive), [`accept`](Self::accept) (a listener kept outside takes one
///   SYN) or [`open`](Self::open) on an existing TCB;
/// - outputs, pulled after every input or user call, in this order:
///   [`poll_transmit`](Self::poll_transmit) until `None`,
///   [`poll_timeout`](Self::poll_timeout), then
///   [`poll_event`](Self::poll_event) until `None`.
///
/// `now` must never go backwards between calls. Outputs queue up until they
/// are pulled; nothing is lost by pulling late, but timers are only serviced
/// by `handle_timeout`. To let time pass up to an instant with every timer
/// serviced at its own deadline (not late, at that instant), call
/// [`advance_to`](Self::advance_to) before the input at that instant.
#[derive(Clone, Debug)]
pub struct Connection {
    config: Config,
    state: State,
    origin: Origin,
    /// The address of the passive OPEN, to go back to on RST (note 1).
    listen_addr: SocketAddrV4,
    local: SocketAddrV4,
    remote: SocketAddrV4,

    // Send sequence variables (RFC 9293 §3.3.1).
    iss: SeqNum,
    snd_una: SeqNum,
    snd_nxt: SeqNum,
    snd_wnd: u32,
    snd_wl1: SeqNum,
    snd_wl2: SeqNum,
    /// MAX.SND.WND of RFC 5961 §5: the largest window the peer offered.
    max_snd_wnd: u32,
    /// The peer's MSS (its SYN option, or 536).
    snd_mss: u16,
    /// Whether our SYN has been acknowledged (SND.UNA moved past ISS).
    syn_acked: bool,
    /// The sequence number of our FIN, once it has been sent.
    fin_seq: Option<SeqNum>,
    /// Our FIN went out in a segment of its own, after the data: a
    /// retransmission resends the data without it (§3.10.8).
    fin_alone: bool,
    /// CLOSE was called: a FIN follows the queued data.
    fin_queued: bool,
    /// Queued data: unacknowledged, then unsent; `send_buf[0]` is numbered
    /// `send_buf_seq`.
    send_buf: VecDeque<u8>,
    send_buf_seq: SeqNum,

    // Receive sequence variables.
    irs: SeqNum,
    rcv_nxt: SeqNum,
    /// In-order received data the application has not read yet.
    recv_buf: VecDeque<u8>,
    /// The peer's FIN was received.
    fin_received: bool,
    /// The peer's SYN, kept while it carried text or a FIN that is queued
    /// "for processing after the ESTABLISHED state has been reached"
    /// (RFC 9293 §3.10.7.2 third step, §3.10.7.3 fourth step).
    syn_queued: Option<Box<Segment>>,

    // Retransmission (RFC 6298) and timers.
    timers: TimerTable,
    rto: Duration,
    srtt: Option<Duration>,
    rttvar: Duration,
    /// Karn's algorithm: the one segment being timed (its end, when sent).
    rtt_probe: Option<(SeqNum, Instant)>,
    /// Consecutive expiries of the retransmission timer.
    retries: u32,
    /// Our SYN (or SYN,ACK) was retransmitted: RFC 6298 (5.7) applies.
    syn_retransmitted: bool,

    /// RFC 5961 §7 rate limit: start of the current interval and the
    /// challenge ACKs sent in it.
    challenge_since: Option<Instant>,
    challenge_count: u32,

    // Outputs.
    ack_needed: bool,
    outbox: VecDeque<Segment>,
    events: VecDeque<Event>,
}

/// The unspecified address of a passive OPEN's foreign socket.
const UNSPECIFIED: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);

impl Connection {
    /// A fresh TCB in CLOSED with every variable at ISS.
    fn new(
        config: Config,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        iss: SeqNum,
        origin: Origin,
    ) -> Self {
        Connection {
            config,
            state: State::Closed,
            origin,
            listen_addr: local,
            local,
            remote,
            iss,
            snd_una: iss,
            snd_nxt: iss,
            snd_wnd: 0,
            snd_wl1: SeqNum(0),
            snd_wl2: iss,
            max_snd_wnd: 0,
            snd_mss: DEFAULT_MSS,
            syn_acked: false,
            fin_seq: None,
            fin_alone: false,
            fin_queued: false,
            send_buf: VecDeque::new(),
            send_buf_seq: iss.add(1),
            irs: SeqNum(0),
            rcv_nxt: SeqNum(0),
            recv_buf: VecDeque::new(),
            fin_received: false,
            syn_queued: None,
            timers: TimerTable::default(),
            rto: config.rto_initial,
            srtt: None,
            rttvar: Duration::ZERO,
            rtt_probe: None,
            retries: 0,
            syn_retransmitted: false,
            challenge_since: None,
            challenge_count: 0,
            ack_needed: false,
            outbox: VecDeque::new(),
            events: VecDeque::new(),
        }
    }

    // ------------------------------------------------------------------
    // Getters.

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Whether the TCB was created by a passive or an active OPEN (MUST-11).
    pub fn origin(&self) -> Origin {
        self.origin
    }

    /// The configuration this connection runs with.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The local socket.
    pub fn local(&self) -> SocketAddrV4 {
        self.local
    }

    /// The foreign socket (`0.0.0.0:0` in LISTEN).
    pub fn remote(&self) -> SocketAddrV4 {
        self.remote
    }

    /// ISS: our initial send sequence number.
    pub fn iss(&self) -> SeqNum {
        self.iss
    }

    /// IRS: the peer's initial sequence number (meaningful once a SYN
    /// arrived).
    pub fn irs(&self) -> SeqNum {
        self.irs
    }

    /// SND.UNA: the oldest unacknowledged sequence number.
    pub fn snd_una(&self) -> SeqNum {
        self.snd_una
    }

    /// SND.NXT: the next sequence number to send.
    pub fn snd_nxt(&self) -> SeqNum {
        self.snd_nxt
    }

    /// SND.WND: the window the peer offered.
    pub fn snd_wnd(&self) -> u32 {
        self.snd_wnd
    }

    /// RCV.NXT: the next sequence number expected.
    pub fn rcv_nxt(&self) -> SeqNum {
        self.rcv_nxt
    }

    /// RCV.WND: the window we offer, the configured receive window less the
    /// data the application has not read.
    pub fn rcv_wnd(&self) -> u32 {
        u32::from(self.config.rcv_wnd).saturating_sub(self.recv_buf.len() as u32)
    }

    /// The current retransmission timeout.
    pub fn rto(&self) -> Duration {
        self.rto
    }

    /// Consecutive retransmission-timer expiries so far.
    pub fn retries(&self) -> u32 {
        self.retries
    }

    /// When `timer` expires, if it is armed.
    pub fn timer(&self, timer: Timer) -> Option<Instant> {
        self.timers.get(timer)
    }

    /// Bytes queued by SEND and not yet acknowledged.
    pub fn send_queue_len(&self) -> usize {
        self.send_buf.len()
    }

    /// Bytes received and not yet read with RECEIVE.
    pub fn recv_queue_len(&self) -> usize {
        self.recv_buf.len()
    }

    /// Whether the peer's FIN has been received.
    pub fn fin_received(&self) -> bool {
        self.fin_received
    }

    /// Heap bytes held by the queues (for memory accounting).
    pub fn heap_bytes(&self) -> usize {
        self.send_buf.capacity()
            + self.recv_buf.capacity()
            + self.outbox.capacity() * std::mem::size_of::<Segment>()
            + self.events.capacity() * std::mem::size_of::<Event>()
            + self
                .syn_queued
                .as_ref()
                .map_or(0, |s| std::mem::size_of::<Segment>() + s.payload.capacity())
    }

    // ------------------------------------------------------------------
    // Outputs.

    /// The next segment to send, if any.
    pub fn poll_transmit(&mut self) -> Option<Segment> {
        self.outbox.pop_front()
    }

    /// When [`handle_timeout`](Self::handle_timeout) must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_timeout()
    }

    /// The next event for the application, if any.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    // ------------------------------------------------------------------
    // Timeouts (RFC 9293 §3.10.8).

    /// Lets time pass up to `target`, servicing each timer at its own
    /// deadline: while [`poll_timeout`](Self::poll_timeout) is at or before
    /// `target`, [`handle_timeout`](Self::handle_timeout) is called at
    /// exactly that deadline (so a retransmission due at 1 s, whose backed
    /// off successor is due at 3 s, fires at 1 s and then at 3 s, not twice
    /// at `target`). What the timers send and report stays queued for
    /// [`poll_transmit`](Self::poll_transmit) and
    /// [`poll_event`](Self::poll_event); to see each deadline's output at
    /// its own instant, call [`handle_next_timeout`](Self::handle_next_timeout)
    /// in a loop instead.
    ///
    /// `now` must not go backwards: call it with the `now` of the next
    /// input before giving that input, so that no deadline is left behind
    /// an instant the TCB has already seen.
    pub fn advance_to(&mut self, target: Instant) {
        while self.handle_next_timeout(target).is_some() {}
    }

    /// Services the earliest deadline if it is at or before `until`, at
    /// exactly that deadline, and returns it; `None` (and nothing done) if
    /// no timer is due by `until`. One step of
    /// [`advance_to`](Self::advance_to).
    pub fn handle_next_timeout(&mut self, until: Instant) -> Option<Instant> {
        let deadline = self.poll_timeout().filter(|&d| d <= until)?;
        self.handle_timeout(deadline);
        Some(deadline)
    }

    /// Services every timer that is due at `now`. A timer that was due
    /// earlier is serviced late, at `now`; to service each at its own
    /// deadline, use [`advance_to`](Self::advance_to).
    pub fn handle_timeout(&mut self, now: Instant) {
        for timer in Timer::VALUES {
            if !self.timers.is_expired(timer, now) {
                continue;
            }
            self.timers.stop(timer);
            match timer {
                Timer::Retransmit => self.on_retransmission_timeout(now),
                // §3.10.8: "If the time-wait timeout expires on a
                // connection, delete the TCB, enter the CLOSED state".
                Timer::TimeWait => self.delete_tcb(Event::Closed, false),
            }
        }
    }

    /// The retransmission timer expired: give up at the retry limit (R2,
    /// RFC 9293 §3.8.3), else back off (RFC 6298 (5.5)) and resend the
    /// earliest unacknowledged segment (5.4), restarting the timer (5.6).
    fn on_retransmission_timeout(&mut self, now: Instant) {
        if self.state == State::Closed || self.state == State::Listen {
            return;
        }
        self.retries += 1;
        let limit = if self.syn_acked {
            self.config.max_retries
        } else {
            self.config.syn_retries
        };
        if self.retries > limit {
            if self.state == State::SynReceived && self.origin == Origin::Passive {
                // A half-open passive connection quietly returns to LISTEN.
                self.back_to_listen();
            } else {
                self.delete_tcb(Event::TimedOut, true);
            }
            return;
        }
        // RFC 6298 (5.5): "The host MUST set RTO <- RTO * 2 ("back off the
        // timer")", capped by (2.5). `Backoff::Constant` (not RFC 6298)
        // keeps it, for measuring what the doubling buys.
        if self.config.backoff == Backoff::Doubling {
            self.rto = self.rto.saturating_mul(2).min(self.config.rto_max);
        }
        if !self.syn_acked {
            self.syn_retransmitted = true;
        }
        // Karn: a retransmitted segment gives no RTT sample.
        self.rtt_probe = None;
        self.retransmit_head();
        self.timers.set(Timer::Retransmit, now + self.rto);
    }

    /// Resends the earliest unacknowledged segment: the SYN (or SYN,ACK),
    /// else up to one MSS of data, with the FIN if it fits and first went
    /// out with the data (§3.10.8: "send the segment at the front of the
    /// retransmission queue again"; a FIN sent alone stays alone); with nothing
    /// outstanding but data held back by a zero window, one byte as a
    /// window probe (RFC 9293 §3.8.6.1).
    fn retransmit_head(&mut self) {
        if !self.syn_acked {
            let flags = if self.state == State::SynSent {
                Flags::SYN
            } else {
                Flags::SYN | Flags::ACK
            };
            let seg = self.segment(self.iss, flags, Vec::new());
            self.outbox.push_back(seg);
            return;
        }
        let fin_outstanding = self.fin_seq.is_some() && !self.fin_acked();
        let in_flight = self.snd_nxt.since(self.snd_una) - u32::from(fin_outstanding);
        let n = (in_flight as usize)
            .min(self.mss())
            .min(self.send_buf.len());
        if n == 0 && !fin_outstanding {
            let unsent = self.unsent();
            if unsent > 0 {
                // Zero-window probe: one new byte beyond the window.
                let offset = self.snd_nxt.since(self.send_buf_seq) as usize;
                let payload = vec![self.send_buf[offset]];
                let seg = self.segment(self.snd_nxt, Flags::ACK, payload);
                self.snd_nxt = self.snd_nxt.add(1);
                self.outbox.push_back(seg);
            }
            return;
        }
        let mut flags = Flags::ACK;
        // A copy of the segment that pushed the data (§3.9.1.2: PSH on the
        // segment that empties the send buffer) pushes it again.
        if n > 0 && n as u32 == in_flight && self.unsent() == 0 {
            flags |= Flags::PSH;
        }
        if fin_outstanding && n as u32 == in_flight && !(self.fin_alone && n > 0) {
            flags |= Flags::FIN;
        }
        let payload: Vec<u8> = self.send_buf.range(..n).copied().collect();
        let seg = self.segment(self.snd_una, flags, payload);
        self.outbox.push_back(seg);
    }

    // ------------------------------------------------------------------
    // Transmission.

    /// The most data bytes in one segment.
    fn mss(&self) -> usize {
        usize::from(self.snd_mss.min(self.config.mss)).max(1)
    }

    /// Queued bytes not sent yet.
    fn unsent(&self) -> usize {
        let sent = self.snd_nxt.since(self.send_buf_seq) as usize;
        self.send_buf.len().saturating_sub(sent)
    }

    /// Whether our FIN has been sent and acknowledged.
    fn fin_acked(&self) -> bool {
        self.fin_seq.is_some_and(|f| self.snd_una == f.add(1))
    }

    /// A segment from us to the peer. `ack` is RCV.NXT when ACK is set; a
    /// SYN carries our MSS option.
    fn segment(&self, seq: SeqNum, flags: Flags, payload: Vec<u8>) -> Segment {
        Segment {
            src: self.local,
            dst: self.remote,
            seq,
            ack: if flags.contains(Flags::ACK) {
                self.rcv_nxt
            } else {
                SeqNum(0)
            },
            flags,
            // A RST advertises no window.
            window: if flags.contains(Flags::RST) {
                0
            } else {
                self.rcv_wnd().min(u32::from(u16::MAX)) as u16
            },
            mss: flags.contains(Flags::SYN).then_some(self.config.mss),
            payload,
        }
    }

    /// Queues `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`.
    fn send_ack(&mut self) {
        let seg = self.segment(self.snd_nxt, Flags::ACK, Vec::new());
        self.outbox.push_back(seg);
    }

    /// Sends the SYN (SYN-SENT) or SYN,ACK (SYN-RECEIVED) at ISS and starts
    /// timing it.
    fn send_syn(&mut self, now: Instant, flags: Flags) {
        let seg = self.segment(self.iss, flags, Vec::new());
        self.outbox.push_back(seg);
        self.rtt_probe = Some((self.iss.add(1), now));
        self.timers.set(Timer::Retransmit, now + self.rto);
    }

    /// Sends what SEND and CLOSE queued, as far as the peer's window allows,
    /// and the ACK owed if no segment carried it. Arms or stops the
    /// retransmission timer (RFC 6298 (5.1), (5.2)).
    fn transmit(&mut self, now: Instant) {
        if matches!(self.state, State::Closed | State::Listen) {
            self.ack_needed = false;
            return;
        }
        let mut sent = false;
        let may_send_data = self.syn_acked
            && matches!(
                self.state,
                State::Established | State::CloseWait | State::FinWait1 | State::LastAck
            );
        while self.fin_seq.is_none() && (may_send_data || self.send_buf.is_empty()) {
            let unsent = self.unsent();
            let in_flight = self.snd_nxt.since(self.snd_una);
            let usable = self.snd_wnd.saturating_sub(in_flight) as usize;
            let n = if may_send_data {
                unsent.min(usable).min(self.mss())
            } else {
                0
            };
            let fin = self.fin_queued && n == unsent;
            if n == 0 && !fin {
                break;
            }
            let offset = self.snd_nxt.since(self.send_buf_seq) as usize;
            let payload: Vec<u8> = self.send_buf.range(offset..offset + n).copied().collect();
            let mut flags = Flags::ACK;
            if n > 0 && n == unsent {
                flags |= Flags::PSH;
            }
            if fin {
                flags |= Flags::FIN;
            }
            let seq = self.snd_nxt;
            let seg = self.segment(seq, flags, payload);
            self.snd_nxt = seq.add(n as u32 + u32::from(fin));
            if fin {
                self.fin_seq = Some(seq.add(n as u32));
                self.fin_alone = n == 0;
            }
            if self.rtt_probe.is_none() {
                self.rtt_probe = Some((self.snd_nxt, now));
            }
            self.outbox.push_back(seg);
            sent = true;
        }
        if self.ack_needed && !sent {
            self.send_ack();
        }
        self.ack_needed = false;
        self.update_retransmit_timer(now);
    }

    /// RFC 6298 (5.1)/(5.2): the timer runs while anything is outstanding,
    /// or while data waits behind a zero window (as the persist timer).
    fn update_retransmit_timer(&mut self, now: Instant) {
        let outstanding = self.snd_nxt != self.snd_una;
        let blocked = self.syn_acked && self.snd_wnd == 0 && self.unsent() > 0;
        if outstanding || blocked {
            if self.timers.get(Timer::Retransmit).is_none() {
                self.timers.set(Timer::Retransmit, now + self.rto);
            }
        } else {
            self.timers.stop(Timer::Retransmit);
        }
    }

    /// Takes an RTT sample into SRTT, RTTVAR and RTO (RFC 6298 (2.2),
    /// (2.3), (2.4), (2.5)).
    fn rtt_sample(&mut self, r: Duration) {
        match self.srtt {
            None => {
                self.srtt = Some(r);
                self.rttvar = r / 2;
            }
            Some(srtt) => {
                let delta = srtt.abs_diff(r);
                self.rttvar = (self.rttvar * 3 + delta) / 4;
                self.srtt = Some((srtt * 7 + r) / 8);
            }
        }
        let srtt = self.srtt.unwrap_or(r);
        let rto = srtt + (self.rttvar * 4).max(CLOCK_GRANULARITY);
        self.rto = rto.clamp(self.config.rto_min, self.config.rto_max);
    }

    /// Queues an event for the application.
    fn emit(&mut self, event: Event) {
        self.events.push_back(event);
    }

    /// Enters ESTABLISHED and tells the application.
    /// RFC 6298 (5.7): if the SYN (or SYN,ACK) was retransmitted and no
    /// RTT was measured, the RTO is re-initialised to 3 s now that data
    /// transmission begins. A CLOSE queued in SYN-RECEIVED behind data
    /// (§3.10.4) takes effect here: the state is FIN-WAIT-1.
    fn enter_established(&mut self) {
        self.state = if self.fin_queued {
            State::FinWait1
        } else {
            State::Established
        };
        if self.syn_retransmitted
            && self.srtt.is_none()
            && self.config.rto_initial < self.config.rto_syn_fallback
        {
            self.rto = self
                .config
                .rto_syn_fallback
                .clamp(self.config.rto_min, self.config.rto_max);
        }
        self.emit(Event::Connected);
    }

    /// Enters TIME-WAIT: stops the other timers and starts 2·MSL
    /// (§3.10.7.4 eighth step, MUST-13).
    fn enter_time_wait(&mut self, now: Instant) {
        self.state = State::TimeWait;
        self.timers.stop_all();
        self.timers
            .set(Timer::TimeWait, now + self.config.time_wait());
    }

    /// Deletes the TCB: CLOSED, no timers, one terminal `event`. `flush`
    /// also drops received data the application has not read (a reset
    /// flushes every queue); after an orderly close it stays readable.
    fn delete_tcb(&mut self, event: Event, flush: bool) {
        debug_assert!(event.is_terminal());
        self.state = State::Closed;
        self.timers.stop_all();
        self.send_buf = VecDeque::new();
        self.fin_queued = false;
        self.ack_needed = false;
        self.syn_queued = None;
        if flush {
            self.recv_buf = VecDeque::new();
        }
        self.emit(event);
    }

    /// RST (or a SYN) in a SYN-RECEIVED reached by a passive OPEN: back to
    /// LISTEN (Figure 5 note 1), forgetting the half-open connection.
    fn back_to_listen(&mut self) {
        let mut fresh = Connection::listen(self.config, self.listen_addr);
        std::mem::swap(&mut fresh.outbox, &mut self.outbox);
        std::mem::swap(&mut fresh.events, &mut self.events);
        *self = fresh;
    }

    /// The compact TIME-WAIT record of this connection, for an endpoint's
    /// TIME-WAIT table: SND.NXT, RCV.NXT and the 2·MSL expiry. Rebuild the
    /// connection with [`Connection::from_time_wait`].
    pub fn time_wait_parts(&self) -> (SeqNum, SeqNum, Option<Instant>) {
        (self.snd_nxt, self.rcv_nxt, self.timers.get(Timer::TimeWait))
    }

    /// A connection in TIME-WAIT rebuilt from its compact record, so that
    /// the same §3.10.7 code handles segments for it. `challenge` is what
    /// [`Connection::challenge_state`] returned.
    #[allow(clippy::too_many_arguments)]
    pub fn from_time_wait(
        config: Config,
        local: SocketAddrV4,
        remote: SocketAddrV4,
        snd_nxt: SeqNum,
        rcv_nxt: SeqNum,
        expiry: Instant,
        challenge: (Option<Instant>, u32),
    ) -> Self {
        // Everything we sent, FIN included, was acknowledged in TIME-WAIT.
        let mut c = Connection::new(config, local, remote, snd_nxt.sub(1), Origin::Active);
        c.state = State::TimeWait;
        c.snd_una = snd_nxt;
        c.snd_nxt = snd_nxt;
        c.fin_seq = Some(snd_nxt.sub(1));
        c.syn_acked = true;
        c.rcv_nxt = rcv_nxt;
        c.fin_received = true;
        c.timers.set(Timer::TimeWait, expiry);
        (c.challenge_since, c.challenge_count) = challenge;
        c
    }

    /// The RFC 5961 §7 rate-limit state, to keep it in a TIME-WAIT record.
    pub fn challenge_state(&self) -> (Option<Instant>, u32) {
        (self.challenge_since, self.challenge_count)
    }
}
