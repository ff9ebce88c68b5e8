//! SEGMENT ARRIVES: RFC 9293 §3.10.7, one function per step, in the RFC's
//! order.
//!
//! [`Connection::handle_segment`] dispatches on the state:
//!
//! - CLOSED (§3.10.7.1): [`reset_for`];
//! - LISTEN (§3.10.7.2): [`listen_verdict`], then the SYN is taken;
//! - SYN-SENT (§3.10.7.3): ACK check, RST, SYN, else drop;
//! - every other state (§3.10.7.4): sequence check, RST, SYN, ACK, URG,
//!   text, FIN, each a private `step_*` method that says whether
//!   processing goes on.
//!
//! # Spec choices
//!
//! Where RFC 9293 leaves room, this core decides as follows (each choice is
//! repeated on the function that makes it):
//!
//! - The security/compartment checks (steps "third") are not implemented:
//!   IP security options are obsolete (RFC 9293 §3.9.1.4 leaves them to
//!   the IP layer).
//! - Text and FIN on a SYN arriving in LISTEN or SYN-SENT (without ACK) are
//!   queued, as §3.10.7.2 ("any other control or text should be queued for
//!   processing later") and §3.10.7.3 ("queue them for processing after the
//!   ESTABLISHED state has been reached") say: the SYN,ACK acknowledges the
//!   SYN only (RCV.NXT = SEG.SEQ+1); the segment that takes SYN-RECEIVED to
//!   ESTABLISHED then has the queued text delivered and the queued FIN
//!   processed (§3.10.7.4 seventh and eighth steps, from SEG.SEQ+1) before
//!   its own text, so RCV.NXT moves over them and they are acknowledged.
//!   If the handshake fails, they are dropped with it. Text and FIN on an
//!   acceptable SYN,ACK are processed at once, as §3.10.7.3 says ("continue
//!   processing at the sixth step").
//! - Out-of-order text (above RCV.NXT) is acknowledged and dropped, not held
//!   (SHLD-31 is a SHOULD); the peer retransmits it.
//! - Simultaneous open (Figure 7): in SYN-RECEIVED, a SYN,ACK whose SYN is
//!   the one already received (`SEG.SEQ = IRS`) has its SYN trimmed as "old"
//!   (§3.10.7.4: "only the new parts are processed"), and its ACK completes
//!   the handshake. This gives the RFC's four segments.
//! - In SYN-RECEIVED, the reply to an unacceptable segment (a retransmitted
//!   SYN, say) is the ACK §3.10.7.4 names, `<SEQ=SND.NXT><ACK=RCV.NXT>
//!   <CTL=ACK>`, as in every other state; the SYN,ACK itself is resent by
//!   the retransmission timer.
//! - An out-of-order FIN (above RCV.NXT, no text) is acknowledged like
//!   out-of-order text (RFC 5681 §4.2: an immediate duplicate ACK).
//! - TIME-WAIT restart: a retransmitted FIN (its FIN is the one already
//!   received, so it fails the step-1 test) is acknowledged and restarts
//!   2·MSL, as §3.10.7.4 steps five and eight ask. Other segments in
//!   TIME-WAIT never restart it.
//! - RST in CLOSING or LAST-ACK reports [`Event::Reset`]; in TIME-WAIT
//!   (RFC 1337 off) [`Event::Closed`], since the connection had closed in
//!   order already.

use std::net::SocketAddrV4;

use super::{Connection, Event, Origin, State, Timer};
use crate::isn::IsnSource;
use crate::seq::SeqNum;
use crate::time::Instant;
use crate::wire::{Flags, Segment};

/// Whether segment processing goes on to the next step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Flow {
    /// Go on with the next step.
    Continue,
    /// The segment is done with (dropped or fully processed).
    Stop,
}

/// What a LISTEN socket does with a segment (RFC 9293 §3.10.7.2), before
/// any TCB is created. The endpoint uses it to decide whether a SYN may
/// take a backlog slot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ListenVerdict {
    /// First (RST) or fourth (anything else without SYN): drop.
    Ignore,
    /// Second: an ACK is answered with `<SEQ=SEG.ACK><CTL=RST>`.
    Reset(Segment),
    /// Third: a SYN without ACK and RST opens a connection in SYN-RECEIVED.
    Syn,
}

/// RFC 9293 §3.10.7.2, LISTEN, steps in order: "first, check for a RST":
/// ignore it; "second, check for an ACK": answer `<SEQ=SEG.ACK><CTL=RST>`;
/// "third, check for a SYN": accept; "fourth, other data or control":
/// drop.
pub fn listen_verdict(seg: &Segment) -> ListenVerdict {
    if seg.flags.contains(Flags::RST) {
        ListenVerdict::Ignore
    } else if seg.flags.contains(Flags::ACK) {
        ListenVerdict::Reset(rst_reply(seg, seg.ack, None))
    } else if seg.flags.contains(Flags::SYN) {
        ListenVerdict::Syn
    } else {
        ListenVerdict::Ignore
    }
}

/// RFC 9293 §3.10.7.1, CLOSED (and §3.5.2 group 1): the reply to a segment
/// for a connection that does not exist. An incoming RST is dropped
/// (`None`); otherwise, with ACK off, `<SEQ=0><ACK=SEG.SEQ+SEG.LEN>
/// <CTL=RST,ACK>`, and with ACK on, `<SEQ=SEG.ACK><CTL=RST>`.
pub fn reset_for(seg: &Segment) -> Option<Segment> {
    if seg.flags.contains(Flags::RST) {
        None
    } else if seg.flags.contains(Flags::ACK) {
        Some(rst_reply(seg, seg.ack, None))
    } else {
        Some(rst_reply(seg, SeqNum(0), Some(seg.seq.add(seg.len()))))
    }
}

/// A RST answering `seg`: addresses swapped, `<SEQ=seq>`, and `<ACK=ack>
/// <CTL=RST,ACK>` when `ack` is given.
fn rst_reply(seg: &Segment, seq: SeqNum, ack: Option<SeqNum>) -> Segment {
    Segment {
        src: seg.dst,
        dst: seg.src,
        seq,
        ack: ack.unwrap_or(SeqNum(0)),
        flags: if ack.is_some() {
            Flags::RST | Flags::ACK
        } else {
            Flags::RST
        },
        window: 0,
        mss: None,
        payload: Vec::new(),
    }
}

impl Connection {
    /// SEGMENT ARRIVES (RFC 9293 §3.10.7): processes one segment that the
    /// caller has demultiplexed to this connection, at `now`. Pull the
    /// results with [`poll_transmit`](Self::poll_transmit),
    /// [`poll_timeout`](Self::poll_timeout) and
    /// [`poll_event`](Self::poll_event).
    ///
    /// This call never selects an ISS, so it takes no ISN source: in every
    /// state but LISTEN none is ever needed. In LISTEN, a SYN makes the TCB
    /// select one (§3.10.7.2, third step), which this call cannot do: such
    /// a SYN is dropped, as by a listener whose backlog is full (the peer
    /// retransmits it). A TCB that can be in LISTEN (made by
    /// [`listen`](Self::listen), or a passive child that a RST took back
    /// there) takes its segments through
    /// [`handle_segment_with_isn`](Self::handle_segment_with_isn).
    /// Everything else of §3.10.7.2 (RST ignored, ACK answered with a RST,
    /// anything else dropped) is done here too.
    pub fn handle_segment(&mut self, now: Instant, seg: &Segment) {
        self.arrive(now, seg, None);
    }

    /// SEGMENT ARRIVES, for a TCB that may be in LISTEN: the same as
    /// [`handle_segment`](Self::handle_segment), except that a SYN arriving
    /// in LISTEN selects its ISS from `isn` (RFC 9293 §3.10.7.2, third
    /// step). In every other state `isn` is not used.
    pub fn handle_segment_with_isn(
        &mut self,
        now: Instant,
        seg: &Segment,
        isn: &mut dyn IsnSource,
    ) {
        self.arrive(now, seg, Some(isn));
    }

    /// §3.10.7, dispatched on the state; `isn` is only used in LISTEN.
    fn arrive(&mut self, now: Instant, seg: &Segment, isn: Option<&mut dyn IsnSource>) {
        match self.state {
            State::Closed => self.arrive_closed(seg),
            State::Listen => self.arrive_listen(now, seg, isn),
            State::SynSent => self.arrive_syn_sent(now, seg),
            _ => self.arrive_other(now, seg),
        }
    }

    /// Whether `seg`, arriving in TIME-WAIT, may reopen the connection
    /// (RFC 9293 §3.6.1 MAY-2, with [`Config::time_wait_reopen`]): a SYN
    /// without ACK or RST whose sequence number is above everything of
    /// this incarnation (`SEG.SEQ > RCV.NXT`). The endpoint then deletes
    /// this TCB and hands the SYN to a listener; this core does not do it
    /// by itself, since a lone TCB has no listener to return to.
    ///
    /// [`Config::time_wait_reopen`]: super::Config::time_wait_reopen
    pub fn may_reopen(&self, seg: &Segment) -> bool {
        self.config.time_wait_reopen
            && self.state == State::TimeWait
            && seg.flags.contains(Flags::SYN)
            && !seg.flags.intersects(Flags::ACK | Flags::RST)
            && seg.seq.gt(self.rcv_nxt)
    }

    /// §3.10.7.1 CLOSED: "all data in the incoming segment is discarded"
    /// and anything but a RST is answered by a RST ([`reset_for`]).
    fn arrive_closed(&mut self, seg: &Segment) {
        if let Some(rst) = reset_for(seg) {
            self.outbox.push_back(rst);
        }
    }

    /// §3.10.7.2 LISTEN, per [`listen_verdict`]. On a SYN: "set RCV.NXT to
    /// SEG.SEQ+1, IRS is set to SEG.SEQ", select an ISS, send
    /// `<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>`, "SND.NXT is set to ISS+1 and
    /// SND.UNA to ISS", enter SYN-RECEIVED. "Any other control or text
    /// should be queued for processing later": text and FIN on the SYN are
    /// kept, and processed once ESTABLISHED is reached
    /// ([`Self::process_syn_queued`]).
    fn arrive_listen(&mut self, now: Instant, seg: &Segment, isn: Option<&mut dyn IsnSource>) {
        match listen_verdict(seg) {
            ListenVerdict::Ignore => {}
            ListenVerdict::Reset(rst) => self.outbox.push_back(rst),
            ListenVerdict::Syn => {
                // No ISN source: no ISS can be selected, so the SYN is
                // dropped (see `handle_segment`).
                let Some(isn) = isn else { return };
                let local = SocketAddrV4::new(*seg.dst.ip(), self.local.port());
                let local = if self.local.ip().is_unspecified() {
                    local
                } else {
                    self.local
                };
                let iss = isn.iss(now, local, seg.src);
                let mut c = Connection::new(self.config, local, seg.src, iss, Origin::Passive);
                c.listen_addr = self.listen_addr;
                std::mem::swap(&mut c.outbox, &mut self.outbox);
                std::mem::swap(&mut c.events, &mut self.events);
                *self = c;
                self.irs = seg.seq;
                self.rcv_nxt = seg.seq.add(1);
                self.take_peer_mss(seg);
                // The SYN's window, until the handshake's ACK updates it
                // (WL1 = IRS, WL2 = ISS, so that ACK always does).
                self.snd_wnd = u32::from(seg.window);
                self.max_snd_wnd = self.snd_wnd;
                self.snd_wl1 = seg.seq;
                self.snd_wl2 = iss;
                self.state = State::SynReceived;
                self.snd_nxt = iss.add(1);
                self.queue_syn_text(seg);
                self.send_syn(now, Flags::SYN | Flags::ACK);
            }
        }
    }

    /// §3.10.7.3 SYN-SENT, steps in order.
    fn arrive_syn_sent(&mut self, now: Instant, seg: &Segment) {
        let Some(ack_ok) = self.syn_sent_check_ack(seg) else {
            return;
        };
        if self.syn_sent_check_rst(seg, ack_ok) == Flow::Stop {
            return;
        }
        // Third: the security/compartment check is not implemented (IP
        // security options are obsolete).
        if seg.flags.contains(Flags::SYN) {
            self.syn_sent_syn(now, seg, ack_ok);
        }
        // Fifth: "If neither of the SYN or RST bits is set, then drop the
        // segment and return."
    }

    /// §3.10.7.3 "first, check the ACK bit": "If SEG.ACK =< ISS or SEG.ACK >
    /// SND.NXT, send a reset (unless the RST bit is set, if so drop the
    /// segment and return) `<SEQ=SEG.ACK><CTL=RST>`". This is how a stale
    /// SYN,ACK of an old incarnation is refused (§3.5, Figure 8).
    ///
    /// Returns `None` if the segment is done with, else whether an ACK was
    /// present and acceptable (`SND.UNA < SEG.ACK =< SND.NXT`).
    fn syn_sent_check_ack(&mut self, seg: &Segment) -> Option<bool> {
        if !seg.flags.contains(Flags::ACK) {
            return Some(false);
        }
        if seg.ack.le(self.iss) || seg.ack.gt(self.snd_nxt) {
            if !seg.flags.contains(Flags::RST) {
                self.outbox.push_back(rst_reply(seg, seg.ack, None));
            }
            return None;
        }
        Some(self.snd_una.lt(seg.ack) && seg.ack.le(self.snd_nxt))
    }

    /// §3.10.7.3 "second, check the RST bit": with an acceptable ACK, "signal
    /// to the user 'error: connection reset', drop the segment, enter CLOSED
    /// state, delete TCB" (reported as [`Event::Refused`]); with no ACK,
    /// drop. RFC 5961 §3 does not apply here: an acceptable ACK already
    /// proves the sender saw our SYN.
    fn syn_sent_check_rst(&mut self, seg: &Segment, ack_ok: bool) -> Flow {
        if !seg.flags.contains(Flags::RST) {
            return Flow::Continue;
        }
        if ack_ok {
            self.delete_tcb(Event::Refused, true);
        }
        Flow::Stop
    }

    /// §3.10.7.3 "fourth, check the SYN bit": "RCV.NXT is set to SEG.SEQ+1,
    /// IRS is set to SEG.SEQ. SND.UNA should be advanced to equal SEG.ACK
    /// (if there is an ACK)". If our SYN is ACKed, enter ESTABLISHED and
    /// send `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` (with queued data if any),
    /// then go on with text and FIN (sixth step on). Otherwise this is a
    /// simultaneous open (MUST-10): enter SYN-RECEIVED and send
    /// `<SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>`, setting SND.WND, SND.WL1 and
    /// SND.WL2; "if there are other controls or text in the segment, queue
    /// them for processing after the ESTABLISHED state has been reached"
    /// ([`Self::process_syn_queued`]).
    fn syn_sent_syn(&mut self, now: Instant, seg: &Segment, ack_ok: bool) {
        self.irs = seg.seq;
        self.rcv_nxt = seg.seq.add(1);
        self.take_peer_mss(seg);
        self.update_window(seg);
        if !seg.flags.contains(Flags::ACK) {
            // Simultaneous open: no SEG.ACK to remember yet.
            self.snd_wl2 = self.snd_una;
        }
        if ack_ok {
            self.ack_new_data(now, seg.ack);
        }
        if self.snd_una.gt(self.iss) {
            self.enter_established();
            self.ack_needed = true;
            let data_seq = seg.seq.add(1);
            if self.step_text(seg, data_seq) == Flow::Continue {
                self.step_fin(now, seg, data_seq);
            }
            self.transmit(now);
        } else {
            self.state = State::SynReceived;
            self.queue_syn_text(seg);
            let synack = self.segment(self.iss, Flags::SYN | Flags::ACK, Vec::new());
            self.outbox.push_back(synack);
            // Karn: a second transmission of our SYN gives no RTT sample.
            self.rtt_probe = None;
            if self.timers.get(Timer::Retransmit).is_none() {
                self.timers.set(Timer::Retransmit, now + self.rto);
            }
        }
    }

    /// §3.10.7.4, the states after SYN-SENT, in the RFC's order.
    fn arrive_other(&mut self, now: Instant, seg: &Segment) {
        let seg = self.trim_simultaneous_synack(seg);
        let seg = seg.as_ref();
        if self.step_sequence(now, seg) == Flow::Stop
            || self.step_rst(now, seg) == Flow::Stop
            || self.step_syn(now, seg) == Flow::Stop
            || self.step_ack(now, seg) == Flow::Stop
        {
            self.transmit(now);
            return;
        }
        // Text and FIN that came on the SYN are processed now that
        // ESTABLISHED has been reached, before this segment's own.
        self.process_syn_queued(now);
        // Sixth, check the URG bit: urgent data is not supported (RFC 6093
        // advises new applications not to use it); the pointer is ignored.
        let data_seq = seg.seq;
        if self.step_text(seg, data_seq) == Flow::Continue {
            self.step_fin(now, seg, data_seq);
        }
        self.transmit(now);
    }

    /// Keeps the peer's SYN (entering SYN-RECEIVED) if it carries text or a
    /// FIN: RFC 9293 §3.10.7.2 third step, "any other control or text should
    /// be queued for processing later", and §3.10.7.3 fourth step, "queue
    /// them for processing after the ESTABLISHED state has been reached".
    /// RCV.NXT stays at SEG.SEQ+1, so the SYN,ACK acknowledges the SYN only.
    fn queue_syn_text(&mut self, seg: &Segment) {
        if !seg.payload.is_empty() || seg.flags.contains(Flags::FIN) {
            self.syn_queued = Some(Box::new(seg.clone()));
        }
    }

    /// Once SYN-RECEIVED has been left for ESTABLISHED (or FIN-WAIT-1, for a
    /// CLOSE queued behind data), the text and FIN queued from the peer's
    /// SYN are processed as §3.10.7.4 seventh and eighth steps say, from
    /// SEG.SEQ+1 of that SYN (its first octet of text): the text is
    /// delivered, RCV.NXT advances over it (and over the FIN), and an ACK is
    /// owed. §3.10.7.2: "any other incoming control or data (combined with
    /// SYN) will be processed in the SYN-RECEIVED state, but processing of
    /// SYN and ACK should not be repeated", so only steps seven and eight
    /// run.
    ///
    /// The handshake is complete once our SYN is acknowledged: a CLOSE in
    /// SYN-RECEIVED goes to FIN-WAIT-1 before that (§3.10.4), and the text
    /// then waits for the ACK of our SYN all the same.
    fn process_syn_queued(&mut self, now: Instant) {
        if self.state == State::SynReceived || !self.syn_acked {
            return;
        }
        let Some(syn) = self.syn_queued.take() else {
            return;
        };
        let data_seq = syn.seq.add(1);
        if self.step_text(&syn, data_seq) == Flow::Continue {
            self.step_fin(now, &syn, data_seq);
        }
    }

    /// Simultaneous open (RFC 9293 §3.5, Figure 7, line 6): in SYN-RECEIVED,
    /// a SYN,ACK with `SEG.SEQ = IRS` repeats the SYN we already have. That
    /// SYN is the "old" part of the segment and is trimmed (§3.10.7.4: "only
    /// the new parts are processed"), so the ACK completes the handshake.
    fn trim_simultaneous_synack<'s>(&self, seg: &'s Segment) -> std::borrow::Cow<'s, Segment> {
        if self.state == State::SynReceived
            && seg.flags.contains(Flags::SYN | Flags::ACK)
            && !seg.flags.contains(Flags::RST)
            && seg.seq == self.irs
        {
            let mut s = seg.clone();
            s.flags = s.flags.without(Flags::SYN);
            s.seq = s.seq.add(1);
            std::borrow::Cow::Owned(s)
        } else {
            std::borrow::Cow::Borrowed(seg)
        }
    }

    /// §3.10.7.4 "first, check sequence number", Table 6:
    ///
    /// | SEG.LEN | RCV.WND | test |
    /// |---|---|---|
    /// | 0 | 0 | `SEG.SEQ = RCV.NXT` |
    /// | 0 | >0 | `RCV.NXT =< SEG.SEQ < RCV.NXT+RCV.WND` |
    /// | >0 | 0 | not acceptable |
    /// | >0 | >0 | either end of the segment in the window |
    ///
    /// "If the RCV.WND is zero, no segments will be acceptable, but special
    /// allowance should be made to accept valid ACKs, URGs, and RSTs": a
    /// segment with text at `SEG.SEQ = RCV.NXT` is then kept for its ACK
    /// (its text is not taken, see [`Self::step_text`]).
    ///
    /// "If an incoming segment is not acceptable, an acknowledgment should be
    /// sent in reply (unless the RST bit is set, if so drop the segment and
    /// return)". In SYN-RECEIVED that reply is our SYN,ACK again; in
    /// TIME-WAIT a retransmitted FIN also restarts 2·MSL (see the module's
    /// spec choices).
    fn step_sequence(&mut self, now: Instant, seg: &Segment) -> Flow {
        if self.acceptable(seg) {
            return Flow::Continue;
        }
        if seg.flags.contains(Flags::RST) {
            return Flow::Stop;
        }
        match self.state {
            // SYN-RECEIVED too: §3.10.7.4 first step, "an acknowledgment
            // should be sent in reply ... <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>";
            // our SYN,ACK is resent by the retransmission timer.
            State::TimeWait => {
                if seg.flags.contains(Flags::FIN) && seg.seq.add(seg.len()) == self.rcv_nxt {
                    self.timers
                        .set(Timer::TimeWait, now + self.config.time_wait());
                }
                self.ack_needed = true;
            }
            _ => self.ack_needed = true,
        }
        Flow::Stop
    }

    /// The Table 6 acceptability test of [`Self::step_sequence`].
    pub(crate) fn acceptable(&self, seg: &Segment) -> bool {
        let wnd = self.rcv_wnd();
        let len = seg.len();
        match (len, wnd) {
            (0, 0) => seg.seq == self.rcv_nxt,
            (0, _) => seg.seq.in_window(self.rcv_nxt, wnd),
            // Zero window: keep the segment for its ACK, URG or RST.
            (_, 0) => seg.seq == self.rcv_nxt,
            (_, _) => {
                seg.seq.in_window(self.rcv_nxt, wnd)
                    || seg.seq.add(len - 1).in_window(self.rcv_nxt, wnd)
            }
        }
    }

    /// §3.10.7.4 "second, check the RST bit".
    ///
    /// RFC 1337 fix F1 ([`Config::rfc1337`]): in TIME-WAIT every RST is
    /// ignored, so an old duplicate cannot assassinate TIME-WAIT.
    ///
    /// RFC 5961 §3.2 ([`Config::rfc5961`]): the RST resets only if `SEG.SEQ =
    /// RCV.NXT` exactly; one merely in the window draws a challenge ACK
    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` (rate-limited, §7) and is
    /// dropped. Without RFC 5961 any in-window RST resets (RFC 793).
    ///
    /// Then per state: SYN-RECEIVED from a passive OPEN returns to LISTEN
    /// (Figure 5 note 1, MUST-11), from an active OPEN "connection refused";
    /// ESTABLISHED, FIN-WAIT-1, FIN-WAIT-2 and CLOSE-WAIT "connection reset"
    /// with all queues flushed; CLOSING, LAST-ACK and TIME-WAIT enter CLOSED.
    ///
    /// [`Config::rfc1337`]: super::Config::rfc1337
    /// [`Config::rfc5961`]: super::Config::rfc5961
    fn step_rst(&mut self, now: Instant, seg: &Segment) -> Flow {
        if !seg.flags.contains(Flags::RST) {
            return Flow::Continue;
        }
        if self.state == State::TimeWait && self.config.rfc1337 {
            return Flow::Stop;
        }
        if self.config.rfc5961 && seg.seq != self.rcv_nxt {
            self.challenge_ack(now);
            return Flow::Stop;
        }
        match self.state {
            State::SynReceived => match self.origin {
                Origin::Passive => self.back_to_listen(),
                Origin::Active => self.delete_tcb(Event::Refused, true),
            },
            State::Established | State::FinWait1 | State::FinWait2 | State::CloseWait => {
                self.delete_tcb(Event::Reset, true)
            }
            State::Closing | State::LastAck => self.delete_tcb(Event::Reset, true),
            State::TimeWait => self.delete_tcb(Event::Closed, false),
            State::Closed | State::Listen | State::SynSent => {}
        }
        Flow::Stop
    }

    /// §3.10.7.4 "fourth, check the SYN bit" (the third, security, is not
    /// implemented).
    ///
    /// - SYN-RECEIVED from a passive OPEN: "return this connection to the
    ///   LISTEN state and return".
    /// - Otherwise (synchronized states, and an active SYN-RECEIVED) with
    ///   RFC 5961 §4: "irrespective of the sequence number" send a challenge
    ///   ACK `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>` (rate-limited, §7 and
    ///   erratum 4772) and drop.
    /// - Without RFC 5961 (RFC 793): "If the SYN is in the window it is an
    ///   error, send a reset", signal "connection reset", flush the queues
    ///   and enter CLOSED. The reset is the §3.5.2 reply to the SYN
    ///   ([`reset_for`]). (A SYN outside the window never gets here: step 1
    ///   answered it with an ACK.)
    fn step_syn(&mut self, now: Instant, seg: &Segment) -> Flow {
        if !seg.flags.contains(Flags::SYN) {
            return Flow::Continue;
        }
        if self.state == State::SynReceived && self.origin == Origin::Passive {
            self.back_to_listen();
            return Flow::Stop;
        }
        if self.config.rfc5961 {
            self.challenge_ack(now);
            return Flow::Stop;
        }
        if let Some(rst) = reset_for(seg) {
            self.outbox.push_back(rst);
        }
        let event = if self.state == State::SynReceived {
            Event::Refused
        } else {
            Event::Reset
        };
        self.delete_tcb(event, true);
        Flow::Stop
    }

    /// §3.10.7.4 "fifth, check the ACK field": "if the ACK bit is off, drop
    /// the segment and return". Then:
    ///
    /// - SYN-RECEIVED: "If SND.UNA < SEG.ACK =< SND.NXT, then enter
    ///   ESTABLISHED state and continue processing" with SND.WND, SND.WL1,
    ///   SND.WL2 set; otherwise send `<SEQ=SEG.ACK><CTL=RST>` and drop (the
    ///   state is unchanged, §3.5.2 group 2).
    /// - RFC 5961 §5 (MAY-12, with [`Config::rfc5961`]): accept only
    ///   `SND.UNA − MAX.SND.WND =< SEG.ACK =< SND.NXT`, else send an ACK and
    ///   drop.
    /// - ESTABLISHED and the states after it: [`Self::ack_established`].
    /// - FIN-WAIT-1: our FIN ACKed ⇒ FIN-WAIT-2. CLOSING: ⇒ TIME-WAIT.
    ///   LAST-ACK: ⇒ CLOSED (delete the TCB).
    /// - TIME-WAIT: the only thing that can arrive is a retransmitted FIN,
    ///   handled in step 1 and step 8.
    ///
    /// [`Config::rfc5961`]: super::Config::rfc5961
    fn step_ack(&mut self, now: Instant, seg: &Segment) -> Flow {
        if !seg.flags.contains(Flags::ACK) {
            return Flow::Stop;
        }
        if matches!(self.state, State::SynReceived) {
            if self.snd_una.lt(seg.ack) && seg.ack.le(self.snd_nxt) {
                self.snd_wnd = u32::from(seg.window);
                self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
                self.snd_wl1 = seg.seq;
                self.snd_wl2 = seg.ack;
                self.enter_established();
            } else {
                self.outbox.push_back(rst_reply(seg, seg.ack, None));
                return Flow::Stop;
            }
        } else if self.config.rfc5961 {
            let lowest = self.snd_una.sub(self.max_snd_wnd);
            if seg.ack.lt(lowest) || seg.ack.gt(self.snd_nxt) {
                self.challenge_ack(now);
                return Flow::Stop;
            }
        }
        if self.ack_established(now, seg) == Flow::Stop {
            return Flow::Stop;
        }
        let fin_acked = self.fin_acked();
        match self.state {
            State::FinWait1 if fin_acked => self.state = State::FinWait2,
            State::Closing if fin_acked => self.enter_time_wait(now),
            State::LastAck if fin_acked => {
                self.delete_tcb(Event::Closed, false);
                return Flow::Stop;
            }
            _ => {}
        }
        Flow::Continue
    }

    /// §3.10.7.4 fifth step, ESTABLISHED processing (shared by FIN-WAIT-1,
    /// FIN-WAIT-2, CLOSE-WAIT, CLOSING and LAST-ACK): "If SND.UNA < SEG.ACK
    /// =< SND.NXT, then set SND.UNA <- SEG.ACK" and drop what it covers from
    /// the retransmission queue; "If the ACK is a duplicate (SEG.ACK =<
    /// SND.UNA), it can be ignored. If the ACK acks something not yet sent
    /// (SEG.ACK > SND.NXT), then send an ACK, drop the segment, and return."
    /// The send window is updated "if (SND.WL1 < SEG.SEQ or (SND.WL1 =
    /// SEG.SEQ and SND.WL2 =< SEG.ACK))". An ACK that answers a window
    /// probe with a zero window resets the retry count (MUST-67).
    fn ack_established(&mut self, now: Instant, seg: &Segment) -> Flow {
        if self.state == State::TimeWait {
            return Flow::Continue;
        }
        if seg.ack.gt(self.snd_nxt) {
            self.ack_needed = true;
            return Flow::Stop;
        }
        if self.snd_una.lt(seg.ack) {
            self.ack_new_data(now, seg.ack);
        }
        if self.snd_una.le(seg.ack)
            && (self.snd_wl1.lt(seg.seq) || (self.snd_wl1 == seg.seq && self.snd_wl2.le(seg.ack)))
        {
            self.update_window(seg);
        }
        if self.snd_wnd == 0 && seg.ack == self.snd_una && self.snd_una != self.snd_nxt {
            // RFC 9293 §3.8.6.1 MUST-67: a peer that answers our window
            // probes keeps the connection open however long its window
            // stays closed; the probes go on backing off.
            self.retries = 0;
        }
        Flow::Continue
    }

    /// §3.10.7.4 "seventh, process the segment text": in ESTABLISHED,
    /// FIN-WAIT-1 and FIN-WAIT-2, text at RCV.NXT is delivered (the part
    /// already received is trimmed, the part beyond RCV.WND is cut), RCV.NXT
    /// advances over it and an ACK is owed. In CLOSE-WAIT, CLOSING, LAST-ACK
    /// and TIME-WAIT text "should not occur, since a FIN has been received
    /// from the remote side. Ignore the segment text."
    ///
    /// `data_seq` is the sequence number of the first octet of text.
    /// Returns [`Flow::Continue`] if everything before the FIN (if any) was
    /// taken, so that step 8 may consume the FIN.
    fn step_text(&mut self, seg: &Segment, data_seq: SeqNum) -> Flow {
        if !matches!(
            self.state,
            State::Established | State::FinWait1 | State::FinWait2
        ) {
            return Flow::Continue;
        }
        if seg.payload.is_empty() {
            if data_seq == self.rcv_nxt {
                return Flow::Continue;
            }
            if seg.flags.contains(Flags::FIN) && data_seq.gt(self.rcv_nxt) {
                // An out-of-order FIN: acknowledged as out-of-order text is
                // (RFC 5681 §4.2, immediate duplicate ACK), not held.
                self.ack_needed = true;
            }
            return Flow::Stop;
        }
        let end = data_seq.add(seg.payload.len() as u32);
        if data_seq.gt(self.rcv_nxt) {
            // Out of order: not held (SHLD-31 is a SHOULD); ask again.
            self.ack_needed = true;
            return Flow::Stop;
        }
        if end.le(self.rcv_nxt) {
            // Entirely old: a duplicate. Re-acknowledge.
            self.ack_needed = true;
            return Flow::Continue;
        }
        let skip = self.rcv_nxt.since(data_seq) as usize;
        let room = self.rcv_wnd() as usize;
        let new = &seg.payload[skip..];
        let take = new.len().min(room);
        let was_empty = self.recv_buf.is_empty();
        self.recv_buf.extend(&new[..take]);
        self.rcv_nxt = self.rcv_nxt.add(take as u32);
        self.ack_needed = true;
        if was_empty && take > 0 {
            self.emit(Event::Data);
        }
        if take == new.len() {
            Flow::Continue
        } else {
            Flow::Stop
        }
    }

    /// §3.10.7.4 "eighth, check the FIN bit", when the FIN is next in
    /// sequence: "advance RCV.NXT over the FIN, and send an acknowledgment
    /// for the FIN", signal "connection closing" ([`Event::PeerClosed`]).
    ///
    /// - SYN-RECEIVED, ESTABLISHED ⇒ CLOSE-WAIT;
    /// - FIN-WAIT-1 ⇒ TIME-WAIT if our FIN is ACKed, else CLOSING
    ///   (simultaneous close, Figure 13);
    /// - FIN-WAIT-2 ⇒ TIME-WAIT (start the time-wait timer, turn off the
    ///   others);
    /// - CLOSE-WAIT, CLOSING, LAST-ACK: remain;
    /// - TIME-WAIT: remain and restart the 2·MSL time-wait timeout.
    fn step_fin(&mut self, now: Instant, seg: &Segment, data_seq: SeqNum) {
        if !seg.flags.contains(Flags::FIN) {
            return;
        }
        let fin_seq = data_seq.add(seg.payload.len() as u32);
        if self.state == State::TimeWait {
            self.ack_needed = true;
            self.timers
                .set(Timer::TimeWait, now + self.config.time_wait());
            return;
        }
        if fin_seq != self.rcv_nxt || self.fin_received {
            return;
        }
        self.rcv_nxt = self.rcv_nxt.add(1);
        self.fin_received = true;
        self.ack_needed = true;
        self.emit(Event::PeerClosed);
        match self.state {
            State::SynReceived | State::Established => self.state = State::CloseWait,
            State::FinWait1 => {
                if self.fin_acked() {
                    self.enter_time_wait(now);
                } else {
                    self.state = State::Closing;
                }
            }
            State::FinWait2 => self.enter_time_wait(now),
            _ => {}
        }
    }

    /// RFC 5961 §3.2, §4.2, §5.2 challenge ACK `<SEQ=SND.NXT><ACK=RCV.NXT>
    /// <CTL=ACK>`, at most [`Config::challenge_ack_limit`] per
    /// [`Config::challenge_ack_interval`] (§7).
    ///
    /// [`Config::challenge_ack_limit`]: super::Config::challenge_ack_limit
    /// [`Config::challenge_ack_interval`]: super::Config::challenge_ack_interval
    fn challenge_ack(&mut self, now: Instant) {
        let fresh = match self.challenge_since {
            None => true,
            Some(since) => now >= since + self.config.challenge_ack_interval,
        };
        if fresh {
            self.challenge_since = Some(now);
            self.challenge_count = 0;
        }
        if self.challenge_count < self.config.challenge_ack_limit {
            self.challenge_count += 1;
            self.send_ack();
        }
    }

    /// Records the peer's MSS option (RFC 9293 §3.7.1; 536 without it).
    fn take_peer_mss(&mut self, seg: &Segment) {
        if let Some(mss) = seg.mss {
            self.snd_mss = mss.max(1);
        }
    }

    /// SND.WND <- SEG.WND, SND.WL1 <- SEG.SEQ, SND.WL2 <- SEG.ACK.
    fn update_window(&mut self, seg: &Segment) {
        self.snd_wnd = u32::from(seg.window);
        self.max_snd_wnd = self.max_snd_wnd.max(self.snd_wnd);
        self.snd_wl1 = seg.seq;
        self.snd_wl2 = seg.ack;
    }

    /// `SND.UNA <- ack` for an ACK with `SND.UNA < ack =< SND.NXT`: our SYN
    /// and FIN count one each; acknowledged bytes leave the send queue. An
    /// RTT sample is taken if the timed segment is covered (Karn), the
    /// backoff ends and the retransmission timer restarts (RFC 6298 (5.3)).
    fn ack_new_data(&mut self, now: Instant, ack: SeqNum) {
        if !self.syn_acked && ack.gt(self.iss) {
            self.syn_acked = true;
        }
        let bytes = (ack.since(self.send_buf_seq) as usize).min(self.send_buf.len());
        if ack.gt(self.send_buf_seq) {
            self.send_buf.drain(..bytes);
            self.send_buf_seq = self.send_buf_seq.add(bytes as u32);
        }
        self.snd_una = ack;
        if let Some((end, sent)) = self.rtt_probe {
            if end.le(ack) {
                self.rtt_probe = None;
                self.rtt_sample(now.saturating_duration_since(sent));
            }
        }
        self.retries = 0;
        self.timers.stop(Timer::Retransmit);
        self.update_retransmit_timer(now);
    }
}
