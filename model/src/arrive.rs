//! SEGMENT ARRIVES, RFC 9293 §3.10.7, in the RFC's order: one function per
//! state group and per step. Ghost updates and monitors are marked `ghost:`.

use crate::config::{Config, Variant};
use crate::segment::{Ctl, Seg};
use crate::system::{monitor, Sys};
use crate::tcb::{End, Parked, St};

impl Sys {
    /// Deliver `seg` to host `x`.
    pub(crate) fn arrive(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &self.hosts[x];
        if host.state == St::Closed && host.timer.is_some() {
            // RFC 9293 §3.4.3 quiet time: a rebooted host emits nothing.
            return;
        }
        if self.may_reopen(cfg, x, seg) {
            return self.reopen(cfg, x, seg);
        }
        match host.state {
            St::Closed => self.arrive_closed(x, seg),
            St::Listen => self.arrive_listen(cfg, x, seg),
            St::SynSent => self.arrive_syn_sent(cfg, x, seg),
            _ => self.arrive_other(cfg, x, seg),
        }
    }

    /// RFC 9293 §3.6.1 MAY-2: "it MAY accept a new SYN from the remote TCP
    /// endpoint to reopen the connection directly from TIME-WAIT state",
    /// here a SYN (without ACK or RST) above everything of the old
    /// incarnation, `SEG.SEQ > RCV.NXT`, if the application would accept a
    /// new connection (an OPEN is left). Before §3.10.7.4's sequence check:
    /// such a SYN is outside the old window.
    fn may_reopen(&self, cfg: &Config, x: usize, seg: Seg) -> bool {
        let host = &self.hosts[x];
        cfg.time_wait_reopen
            && host.state == St::TimeWait
            && host.opens_left > 0
            && seg.ctl == Ctl::SYN
            && seg.seq > host.rcv_nxt
    }

    /// MAY-2: a new incarnation takes the SYN as LISTEN would, choosing
    /// its ISS above the old numbers (`Sys::choose_iss`) and keeping the
    /// TIME-WAIT to return to (`Sys::back_to_listen`).
    fn reopen(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &mut self.hosts[x];
        let parked = Parked {
            iss: host.iss,
            irs: host.irs,
            snd_nxt: host.snd_nxt,
            rcv_nxt: host.rcv_nxt,
            sent: host.sent,
            retries: host.retries,
            timer: host.timer.unwrap_or(0),
            peer_inc: host.peer_inc,
            delivered: host.delivered,
            read_after_close: host.read_after_close,
            reacked: host.reacked,
        };
        *host = host.fresh(St::Listen);
        host.opens_left -= 1;
        host.inc += 1;
        host.passive = true;
        host.parked = Some(parked);
        self.arrive_listen(cfg, x, seg);
    }

    /// §3.10.7.1 CLOSED: drop a RST, answer anything else with a RST.
    fn arrive_closed(&mut self, x: usize, seg: Seg) {
        if seg.ctl.has(Ctl::RST) {
            return;
        }
        self.reset_reply(x, seg);
    }

    /// The RST that answers a segment nothing wants (§3.10.7.1):
    /// `<SEQ=SEG.ACK><CTL=RST>`, or without ACK
    /// `<SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>`.
    fn reset_reply(&mut self, x: usize, seg: Seg) {
        if seg.ctl.has(Ctl::ACK) {
            self.emit(x, Ctl::RST, seg.ack, 0, false, 0);
        } else {
            self.emit(x, Ctl::RST | Ctl::ACK, 0, seg.seq + seg.len(), false, 0);
        }
    }

    /// §3.10.7.2 LISTEN: ignore RST, reset an ACK, answer a SYN with SYN,ACK.
    fn arrive_listen(&mut self, cfg: &Config, x: usize, seg: Seg) {
        if seg.ctl.has(Ctl::RST) {
            return;
        }
        if seg.ctl.has(Ctl::ACK) {
            self.emit(x, Ctl::RST, seg.ack, 0, false, 0);
            return;
        }
        if !seg.ctl.has(Ctl::SYN) {
            return;
        }
        let iss = self.choose_iss(cfg, x);
        let host = &mut self.hosts[x];
        host.irs = seg.seq;
        host.rcv_nxt = seg.seq + 1;
        host.iss = iss;
        host.snd_una = iss;
        host.snd_nxt = iss + 1;
        host.timer = Some(cfg.rto);
        let peer = self.sender_incarnation(x, seg); // ghost
        let host = &mut self.hosts[x];
        host.peer_inc = peer; // ghost
        host.met[host.inc as usize] = peer; // ghost
        if cfg.is(Variant::TwoWayHandshake) {
            // The broken design: a SYN alone establishes the connection.
            host.state = St::Established;
            self.emit(x, Ctl::SYN | Ctl::ACK, iss, seg.seq + 1, false, 0);
            self.entered_established(x);
            return;
        }
        host.state = St::SynReceived;
        self.emit(x, Ctl::SYN | Ctl::ACK, iss, seg.seq + 1, false, 0);
    }

    /// §3.10.7.3 SYN-SENT: ACK check, RST, SYN, in that order.
    fn arrive_syn_sent(&mut self, cfg: &Config, x: usize, mut seg: Seg) {
        let host = &self.hosts[x];
        let has_ack = seg.ctl.has(Ctl::ACK);
        // First: an ACK must acknowledge our SYN and nothing more.
        let unacceptable = has_ack && (seg.ack <= host.iss || seg.ack > host.snd_nxt);
        if unacceptable && cfg.is(Variant::UncheckedSynAck) && seg.ctl == Ctl::SYN | Ctl::ACK {
            // The broken design: any SYN,ACK acknowledges our SYN.
            seg.ack = host.snd_nxt;
        } else if unacceptable {
            if !seg.ctl.has(Ctl::RST) {
                self.emit(x, Ctl::RST, seg.ack, 0, false, 0);
            }
            return;
        }
        // Second: a RST counts only with an acceptable ACK.
        if seg.ctl.has(Ctl::RST) {
            if has_ack {
                self.reset(cfg, x, seg);
            }
            return;
        }
        // Fourth: the SYN.
        if !seg.ctl.has(Ctl::SYN) {
            return;
        }
        if !has_ack && cfg.is(Variant::NoSimultaneousOpen) {
            // The broken design: the peer's SYN is dropped as if the
            // handshake were already under way; the SYN timer runs on.
            return;
        }
        let peer = self.sender_incarnation(x, seg); // ghost
        let host = &mut self.hosts[x];
        host.irs = seg.seq;
        host.rcv_nxt = seg.seq + 1;
        host.peer_inc = peer; // ghost
        host.met[host.inc as usize] = peer; // ghost
        if has_ack {
            host.snd_una = seg.ack;
        }
        if host.snd_una > host.iss {
            host.state = St::Established;
            host.timer = None;
            host.retries = 0;
            self.emit_ack(x);
            self.entered_established(x);
        } else {
            // Simultaneous open (Figure 7): SYN-RECEIVED, remembering the active OPEN.
            host.state = St::SynReceived;
            host.crossed = true; // ghost
            let (iss, ack) = (host.iss, host.rcv_nxt);
            self.emit(x, Ctl::SYN | Ctl::ACK, iss, ack, false, 0);
        }
    }

    /// §3.10.7.4 the other states: sequence check, RST, SYN, ACK, text, FIN.
    fn arrive_other(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let seg = self.trim_simultaneous_synack(x, seg);
        if !self.check_sequence(cfg, x, seg) {
            return;
        }
        if seg.ctl.has(Ctl::RST) {
            return self.check_rst(cfg, x, seg);
        }
        if seg.ctl.has(Ctl::SYN) {
            return self.check_syn(cfg, x, seg);
        }
        if !seg.ctl.has(Ctl::ACK) || !self.check_ack(cfg, x, seg) {
            return;
        }
        if !seg.is_empty() && seg.seq != self.hosts[x].rcv_nxt {
            // Above RCV.NXT: not held (SHLD-31 is a SHOULD); acknowledge what
            // we expect (RFC 5681 §4.2) and let the peer retransmit.
            self.emit_ack(x);
            return;
        }
        if seg.data {
            self.process_text(x, seg);
        }
        if seg.ctl.has(Ctl::FIN) {
            self.process_fin(cfg, x, seg);
        }
    }

    /// Simultaneous open (§3.5, Figure 7, line 6): in SYN-RECEIVED, a SYN,ACK
    /// whose SYN is the one already received (`SEG.SEQ = IRS`) completes the
    /// handshake. Its SYN is the "old" part of the segment and is trimmed
    /// (§3.10.7.4: "only the new parts are processed"), leaving an ACK at
    /// RCV.NXT. Read literally, the sequence check would find the whole
    /// segment old and answer with an ACK; Figure 7 and Linux complete.
    fn trim_simultaneous_synack(&self, x: usize, seg: Seg) -> Seg {
        let host = &self.hosts[x];
        let synack = Ctl::SYN | Ctl::ACK;
        if host.state == St::SynReceived
            && seg.ctl.has(synack)
            && !seg.ctl.has(Ctl::RST)
            && seg.seq == host.irs
        {
            Seg {
                ctl: Ctl(seg.ctl.0 & !Ctl::SYN.0),
                seq: seg.seq + 1,
                ..seg
            }
        } else {
            seg
        }
    }

    /// First: is the segment acceptable (Table 6)? If not, ACK it (unless
    /// it is a RST) and drop it. In TIME-WAIT a retransmitted FIN is
    /// acknowledged and restarts the 2·MSL timer (eighth step, TIME-WAIT).
    fn check_sequence(&mut self, cfg: &Config, x: usize, seg: Seg) -> bool {
        let host = &self.hosts[x];
        let (nxt, wnd) = (i16::from(host.rcv_nxt), i16::from(cfg.window));
        let in_window = |n: i16| nxt <= n && n < nxt + wnd;
        let (seq, len) = (i16::from(seg.seq), i16::from(seg.len()));
        let ok = if len == 0 {
            in_window(seq)
        } else {
            in_window(seq) || in_window(seq + len - 1)
        };
        if ok {
            return true;
        }
        if seg.ctl.has(Ctl::RST) {
            return false;
        }
        if host.state == St::TimeWait && seg.ctl.has(Ctl::FIN) && seq + len == nxt {
            let host = &mut self.hosts[x];
            host.timer = Some(cfg.time_wait());
            host.tw_age = 0; // ghost
            host.reacked = true; // ghost
        }
        self.emit_ack(x);
        false
    }

    /// Second: RST. RFC 5961 §3 (rfc9293 profile): only an exact
    /// `SEG.SEQ = RCV.NXT` resets, else a challenge ACK. RFC 1337 F1
    /// (rfc9293 profile): TIME-WAIT ignores RST.
    fn check_rst(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &self.hosts[x];
        if cfg.rfc9293() {
            if host.state == St::TimeWait {
                return;
            }
            if seg.seq != host.rcv_nxt {
                self.emit_ack(x);
                return;
            }
        }
        self.reset(cfg, x, seg);
    }

    /// An accepted RST: SYN-RECEIVED from a passive OPEN returns to LISTEN,
    /// everything else to CLOSED.
    fn reset(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &self.hosts[x];
        if host.state == St::SynReceived && host.passive {
            // ghost: was the SYN we answered one the peer no longer wants?
            let y = &self.hosts[1 - x];
            let live = y.inc == host.peer_inc && y.state == St::SynSent;
            let end = if live { End::Reset } else { End::StaleRejected };
            return self.back_to_listen(cfg, x, end);
        }
        self.reset_ghosts(x, seg);
        self.hosts[x].delete_tcb(End::Reset);
    }

    /// Fourth: SYN in a synchronized state or SYN-RECEIVED.
    fn check_syn(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &self.hosts[x];
        if host.state == St::SynReceived && host.passive {
            return self.back_to_listen(cfg, x, End::None);
        }
        if cfg.rfc9293() {
            // RFC 5961 §4: challenge ACK, whatever the sequence number.
            self.emit_ack(x);
            return;
        }
        // RFC 793: an in-window SYN is an error; reset both ends.
        self.reset_reply(x, seg);
        self.reset_ghosts(x, seg);
        self.hosts[x].delete_tcb(End::Reset);
    }

    /// ghost: host `x` is about to be reset by `seg` (a RST, or under RFC
    /// 793 a SYN). Record the reset; a synchronized connection may be reset
    /// only by a segment at exactly RCV.NXT (`no-blind-injection`); and a
    /// graceful close of a synchronized connection (our SYN acknowledged)
    /// killed before both FINs were delivered and acknowledged (in
    /// TIME-WAIT they were) breaks `orderly-close`, unless this connection
    /// met a rude end. A forged segment that resets counts as one: that is
    /// `no-blind-injection`'s business.
    fn reset_ghosts(&mut self, x: usize, seg: Seg) {
        if seg.g_inc == Seg::FORGED {
            // A forgery that gets through is an attack, not a close gone
            // wrong: `no-blind-injection` judges it.
            self.mark_rude(x);
        }
        let host = &self.hosts[x];
        if host.state.synchronized() && seg.seq != host.rcv_nxt {
            self.broken |= monitor::BLIND;
        }
        let synchronized = host.snd_una > host.iss;
        if host.closed && synchronized && host.state != St::TimeWait && !self.excused(x, false) {
            self.broken |= monitor::ORDERLY;
        }
    }

    /// ghost: the peer incarnation a SYN from host `1 - x` came from. A SYN
    /// the peer's current incarnation would send identically (same ISS) is
    /// taken as its own: wire-identical segments are interchangeable, so
    /// only a SYN no current incarnation could have sent counts as old.
    fn sender_incarnation(&self, x: usize, seg: Seg) -> u8 {
        let y = &self.hosts[1 - x];
        let sent_syn = !matches!(y.state, St::Closed | St::Listen);
        if sent_syn && y.iss == seg.seq {
            y.inc
        } else {
            seg.g_inc
        }
    }

    /// Fifth: ACK. Returns whether processing continues.
    fn check_ack(&mut self, cfg: &Config, x: usize, seg: Seg) -> bool {
        let host = &mut self.hosts[x];
        if host.state == St::SynReceived {
            if host.snd_una < seg.ack && seg.ack <= host.snd_nxt {
                host.state = St::Established;
                self.entered_established(x);
            } else {
                self.emit(x, Ctl::RST, seg.ack, 0, false, 0);
                return false;
            }
        }
        let host = &mut self.hosts[x];
        if seg.ack > host.snd_nxt {
            self.emit_ack(x);
            return false;
        }
        if host.snd_una < seg.ack {
            host.snd_una = seg.ack;
            if host.state != St::TimeWait {
                host.retries = 0;
                host.timer = if host.idle() { None } else { Some(cfg.rto) };
            }
        }
        let fin_acked = host.state.fin_sent() && host.idle();
        match host.state {
            St::FinWait1 if fin_acked => host.state = St::FinWait2,
            St::Closing if fin_acked => self.enter_time_wait(cfg, x),
            St::LastAck if fin_acked => {
                host.delete_tcb(End::Orderly);
                return false;
            }
            _ => {}
        }
        true
    }

    /// Seventh: text at RCV.NXT is delivered and acknowledged.
    fn process_text(&mut self, x: usize, seg: Seg) {
        let host = &mut self.hosts[x];
        if !matches!(host.state, St::Established | St::FinWait1 | St::FinWait2) {
            return;
        }
        // ghost: the byte must be the next one of a sender incarnation we
        // are paired with on either half of the connection: it took our SYN
        // (`Seg::g_to`), or we took its SYN or one identical on the wire
        // (`peer_inc`). Wire-identical SYNs and a SYN,ACK answered twice can
        // pair the halves with different incarnations; either pairing puts
        // the byte in the stream we synchronized to. No byte is taken but at
        // RCV.NXT.
        let paired = seg.g_to == host.inc || seg.g_inc == host.peer_inc;
        if !paired || seg.g_idx != host.delivered {
            self.broken |= monitor::STREAM;
        }
        if seg.seq != host.rcv_nxt {
            self.broken |= monitor::BLIND;
        }
        host.delivered += 1;
        host.read_after_close |= host.closed;
        host.rcv_nxt += 1;
        self.emit_ack(x);
    }

    /// Eighth: FIN at RCV.NXT: advance over it, ACK it, signal end of stream.
    fn process_fin(&mut self, cfg: &Config, x: usize, seg: Seg) {
        let host = &mut self.hosts[x];
        if seg.seq + u8::from(seg.data) != host.rcv_nxt {
            return;
        }
        // ghost: the end of stream must come after every byte of the same
        // incarnation. Once a FIN was received the application has seen the
        // end of stream; a later one is only acknowledged.
        if !host.state.fin_received() {
            if seg.g_idx != host.delivered {
                self.broken |= monitor::STREAM;
            }
            host.eof = true;
        }
        host.rcv_nxt += 1;
        self.emit_ack(x);
        let host = &mut self.hosts[x];
        match host.state {
            St::SynReceived | St::Established => host.state = St::CloseWait,
            St::FinWait1 if host.idle() => self.enter_time_wait(cfg, x),
            St::FinWait1 => host.state = St::Closing,
            St::FinWait2 => self.enter_time_wait(cfg, x),
            _ => {}
        }
    }

    /// TIME-WAIT for 2·MSL, or straight to CLOSED in the `no-time-wait` variant.
    fn enter_time_wait(&mut self, cfg: &Config, x: usize) {
        let host = &mut self.hosts[x];
        if cfg.is(Variant::NoTimeWait) {
            host.delete_tcb(End::Orderly);
            return;
        }
        // ghost: TIME-WAIT is entered only once our FIN (and every byte
        // before it) is acknowledged and the peer's FIN received.
        if !host.idle() || !host.state.fin_sent() {
            self.broken |= monitor::ORDERLY;
        }
        host.state = St::TimeWait;
        host.timer = Some(cfg.time_wait());
        host.tw_age = 0; // ghost
    }

    /// ghost: `no-phantom-connection` is decided when ESTABLISHED is entered:
    /// the peer incarnation whose SYN we accepted must still be opening
    /// (SYN-SENT), or must itself have accepted our SYN.
    pub(crate) fn entered_established(&mut self, x: usize) {
        let (me, k) = (self.hosts[x].inc, self.hosts[x].peer_inc);
        let y = &self.hosts[1 - x];
        let asking = y.inc == k && y.state == St::SynSent;
        // A forged SYN (MAY-2 takes one in TIME-WAIT) has no incarnation
        // that could have met us.
        if !asking && y.met.get(usize::from(k)) != Some(&me) {
            self.broken |= monitor::PHANTOM;
        }
    }
}
