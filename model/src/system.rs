//! The checked system: two hosts, the network between them, a clock, fault
//! budgets, and the monitors that record a property broken by a transition.
//!
//! `actions` lists, in a fixed order, every application call, delivery,
//! loss, duplication, timer expiry, tick and crash enabled in a state;
//! `next_state` applies one. Segment arrival itself is in `arrive.rs`.

use crate::config::{Config, Variant};
use crate::segment::{Ctl, Seg};
use crate::tcb::{End, Host, Parked, St};

/// Host A: its application only connects.
pub const A: usize = 0;
/// Host B: its application listens, and may also connect.
pub const B: usize = 1;

/// Bits of [`Sys::broken`]: a transition broke the named property.
pub mod monitor {
    /// `no-phantom-connection`.
    pub const PHANTOM: u8 = 1;
    /// `stream-integrity`.
    pub const STREAM: u8 = 2;
    /// `orderly-close`.
    pub const ORDERLY: u8 = 4;
    /// `rfc-transitions`.
    pub const TRANSITION: u8 = 8;
    /// `time-wait-lasts-2msl`.
    pub const TIME_WAIT: u8 = 16;
    /// `no-blind-injection`.
    pub const BLIND: u8 = 32;
    /// `no-premature-give-up`.
    pub const GIVE_UP: u8 = 64;
}

/// One state of the whole system.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Sys {
    /// Host A and host B.
    pub hosts: [Host; 2],
    /// Segments in flight: a sorted multiset.
    pub net: Vec<Seg>,
    /// Remaining loss budget.
    pub losses: u8,
    /// Remaining duplication budget.
    pub dups: u8,
    /// Remaining budget of segments held past a tick.
    pub delays: u8,
    /// Remaining ABORT calls.
    pub aborts: u8,
    /// Remaining crashes.
    pub crashes: u8,
    /// Remaining segments the off-path attacker may forge.
    pub injections: u8,
    /// Monitor bits: properties the transition into this state broke (see
    /// [`monitor`]). Every state is checked, so a bit needs to live only in
    /// the state its transition reached; the next step clears it. Carried
    /// on, the bits split every later state in two wherever a profile is
    /// known to break a property (they made rfc793's `default` 60% larger).
    pub broken: u8,
}

impl Sys {
    /// Bytes of the state's fixed part: each host's [`Host::pack`], the
    /// budgets, the monitor bits and the network's length. The segments
    /// follow as [`Seg::pack`] each; the destructuring makes a new field a
    /// compile error until it is packed.
    pub fn pack_head(&self) -> [u8; 2 * Host::PACKED + 8] {
        let Sys {
            hosts,
            net,
            losses,
            dups,
            delays,
            aborts,
            crashes,
            injections,
            broken,
        } = self;
        const H: usize = Host::PACKED;
        let mut head = [0u8; 2 * H + 8];
        head[..H].copy_from_slice(&hosts[0].pack());
        head[H..2 * H].copy_from_slice(&hosts[1].pack());
        head[2 * H..].copy_from_slice(&[
            *losses,
            *dups,
            *delays,
            *aborts,
            *crashes,
            *injections,
            *broken,
            net.len() as u8,
        ]);
        head
    }
}

/// Hashed as packed bytes: the head and up to 16 segments in one write from
/// a stack buffer, any further segments one write each; never one per
/// field (hashing was a quarter of a check). Equal states pack equally.
impl std::hash::Hash for Sys {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        const HEAD: usize = 2 * Host::PACKED + 8;
        const SEGS: usize = 16;
        let (first, rest) = self.net.split_at(self.net.len().min(SEGS));
        let mut buf = [0u8; HEAD + SEGS * Seg::PACKED];
        buf[..HEAD].copy_from_slice(&self.pack_head());
        for (seg, at) in first.iter().zip(buf[HEAD..].chunks_exact_mut(Seg::PACKED)) {
            at.copy_from_slice(&seg.pack());
        }
        state.write(&buf[..HEAD + first.len() * Seg::PACKED]);
        for seg in rest {
            state.write(&seg.pack());
        }
    }
}

/// One step of the system.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
pub enum Action {
    /// Passive OPEN (§3.10.1).
    Listen(usize),
    /// Active OPEN (§3.10.1).
    Connect(usize),
    /// SEND of one byte (§3.10.2).
    Send(usize),
    /// CLOSE (§3.10.4).
    Close(usize),
    /// ABORT (§3.10.5).
    Abort(usize),
    /// The network delivers a copy of this segment.
    Deliver(Seg),
    /// The network loses a copy of this segment.
    Lose(Seg),
    /// The network duplicates this segment: one copy arrives now, the other
    /// stays in flight.
    Duplicate(Seg),
    /// The network holds this segment back past the end of the tick.
    Delay(Seg),
    /// An off-path attacker's forged segment arrives, spoofing the peer's
    /// address (ghost incarnation [`Seg::FORGED`]).
    Inject(Seg),
    /// The host's timer expires (§3.10.8).
    Timeout(usize),
    /// Time passes by one tick; segments reaching MSL age die.
    Tick,
    /// The host crashes and reboots, losing its TCB.
    Crash(usize),
}

/// The host's letter.
pub fn name(h: usize) -> char {
    if h == A {
        'A'
    } else {
        'B'
    }
}

impl Sys {
    /// Both hosts CLOSED, nothing in flight, full budgets.
    pub fn initial(cfg: &Config) -> Sys {
        Sys {
            // Distinct ISN bases make diagrams easy to read: A counts from 0, B from 100.
            hosts: [Host::new(cfg.opens, 0), Host::new(cfg.opens, 100)],
            net: Vec::new(),
            losses: cfg.losses,
            dups: cfg.dups,
            delays: cfg.delays,
            aborts: cfg.aborts,
            crashes: cfg.crashes,
            injections: cfg.injections,
            broken: 0,
        }
    }

    /// No segment in flight and no timer pending: only an application call
    /// can change anything.
    pub fn quiescent(&self) -> bool {
        self.net.is_empty() && self.hosts.iter().all(|h| h.timer.is_none())
    }

    /// Every enabled action, in a fixed order.
    pub fn actions(&self, cfg: &Config, out: &mut Vec<Action>) {
        for h in [A, B] {
            let host = &self.hosts[h];
            let can_open = host.state == St::Closed
                && host.opens_left > 0
                && host.timer.is_none()
                && host.may_reuse(cfg);
            if can_open && h == B {
                out.push(Action::Listen(h));
            }
            if can_open && (h == A || cfg.b_connects) {
                out.push(Action::Connect(h));
            }
            if matches!(host.state, St::Established | St::CloseWait)
                && host.sent < cfg.bytes[h]
                && !host.closed
            {
                out.push(Action::Send(h));
            }
            if matches!(
                host.state,
                St::Listen | St::SynSent | St::SynReceived | St::Established | St::CloseWait
            ) {
                out.push(Action::Close(h));
            }
            // ABORT (budgeted): by A's application on an established
            // connection, or, in the whole application world, by either
            // host wherever there is a TCB to delete (§3.10.5).
            let may_abort = if cfg.abort_anywhere {
                host.state != St::Closed
            } else {
                h == A && host.state == St::Established
            };
            if may_abort && self.aborts > 0 {
                out.push(Action::Abort(h));
            }
        }
        for (i, seg) in self.net.iter().enumerate() {
            // Identical copies lead to identical states: offer each once.
            if i > 0 && self.net[i - 1] == *seg {
                continue;
            }
            out.push(Action::Deliver(*seg));
            if self.losses > 0 {
                out.push(Action::Lose(*seg));
            }
            if self.dups > 0 {
                out.push(Action::Duplicate(*seg));
            }
            // Any segment may become an old duplicate: an ACK or a RST that
            // outlives a tick can end a TIME-WAIT or confuse a new incarnation.
            if self.delays > 0 && !seg.late {
                out.push(Action::Delay(*seg));
            }
        }
        if self.injections > 0 {
            self.forgeries(cfg, out);
        }
        let mut pending = false;
        let mut due = false;
        for h in [A, B] {
            if let Some(t) = self.hosts[h].timer {
                pending = true;
                if t == 0 {
                    due = true;
                    out.push(Action::Timeout(h));
                }
            }
        }
        // Time passes while a timer runs or an application waits to reopen;
        // within a tick the network delivers, loses or delays every segment.
        let waiting = self
            .hosts
            .iter()
            .any(|h| h.state == St::Closed && h.opens_left > 0 && !h.may_reuse(cfg));
        if (pending || waiting) && !due && self.net.iter().all(|s| s.late) {
            out.push(Action::Tick);
        }
        if self.crashes > 0 {
            for h in [A, B] {
                if self.hosts[h].state != St::Closed {
                    out.push(Action::Crash(h));
                }
            }
        }
    }

    /// Apply one action.
    pub fn step(&mut self, cfg: &Config, action: Action) {
        let before = [self.hosts[A].state, self.hosts[B].state];
        self.broken = 0;
        match action {
            Action::Listen(h) => self.open(cfg, h, St::Listen),
            Action::Connect(h) => self.open(cfg, h, St::SynSent),
            Action::Send(h) => self.send_byte(cfg, h),
            Action::Close(h) => self.close(cfg, h),
            Action::Abort(h) => self.abort(h),
            Action::Deliver(seg) => {
                self.take(seg);
                self.arrive(cfg, 1 - seg.from as usize, seg);
            }
            Action::Lose(seg) => {
                self.take(seg);
                self.losses -= 1;
            }
            Action::Duplicate(seg) => {
                self.dups -= 1;
                self.arrive(cfg, 1 - seg.from as usize, seg);
            }
            Action::Delay(seg) => {
                self.take(seg);
                self.delays -= 1;
                self.put(Seg { late: true, ..seg });
            }
            Action::Inject(seg) => {
                self.injections -= 1;
                self.arrive(cfg, 1 - seg.from as usize, seg);
            }
            Action::Timeout(h) => self.timeout(cfg, h),
            Action::Tick => {
                for host in &mut self.hosts {
                    if let Some(t) = &mut host.timer {
                        *t -= 1;
                    }
                    if host.state == St::SynSent {
                        host.syn_wait += 1; // ghost
                    }
                    host.clock = (host.clock + 1).min(cfg.clock_cap);
                    if host.state == St::TimeWait {
                        host.tw_age += 1;
                    }
                    // A parked TIME-WAIT's 2·MSL keeps running; once it is
                    // over there is nothing to return to.
                    if let Some(p) = &mut host.parked {
                        if p.timer <= 1 {
                            host.parked = None;
                        } else {
                            p.timer -= 1;
                        }
                    }
                }
                for seg in &mut self.net {
                    seg.age += 1;
                }
                self.net.retain(|s| s.age < cfg.msl);
            }
            Action::Crash(h) => {
                self.crashes -= 1;
                self.mark_rude(h);
                self.hosts[h].delete_tcb(End::Crashed);
                // RFC 9293 §3.4.3: keep quiet for MSL after a reboot.
                self.hosts[h].timer = Some(cfg.msl);
            }
        }
        self.forget_crossing(before);
        for host in &mut self.hosts {
            if host.state != St::SynReceived {
                // MAY-2: the handshake is over (or the TCB is gone): the
                // SYN was no old duplicate, or can no longer prove one.
                host.parked = None;
            }
            host.run_clock_ahead(cfg);
            host.forget_unused_clock();
            if host.state != St::SynSent {
                // ghost: the SYN timings matter only in SYN-SENT.
                (host.syn_wait, host.syn_first) = (0, 0);
            }
        }
        for h in [A, B] {
            let after = self.hosts[h].state;
            let reopen = cfg.time_wait_reopen && may2_edge(before[h], after);
            if !rfc_edge(before[h], after) && !reopen && !matches!(action, Action::Crash(_)) {
                self.broken |= monitor::TRANSITION;
            }
            // ghost: TIME-WAIT ends only by its own timer (checked for 2·MSL in
            // `timeout`), or by a MAY-2 reopen where the profile allows it. A
            // crash loses it with the TCB, which quiet time answers; an
            // ABORT is the application's own choice (§3.10.5 allows it),
            // not something the network did to it.
            if before[h] == St::TimeWait
                && after != St::TimeWait
                && action != Action::Timeout(h)
                && action != Action::Crash(h)
                && action != Action::Abort(h)
                && !reopen
            {
                self.broken |= monitor::TIME_WAIT;
            }
        }
    }

    /// ghost: `crossed` is read only by `simultaneous-open`, in the state
    /// where the second of two crossed hosts has just become ESTABLISHED.
    /// Keeping it longer only split states (it made `quick` 29% larger), so
    /// it is kept while a crossed host is still in SYN-RECEIVED, and in
    /// that one state.
    fn forget_crossing(&mut self, before: [St; 2]) {
        let [a, b] = &self.hosts;
        let pending = self
            .hosts
            .iter()
            .any(|h| h.crossed && h.state == St::SynReceived);
        let shown = a.crossed
            && b.crossed
            && a.state == St::Established
            && b.state == St::Established
            && before.contains(&St::SynReceived);
        if !pending && !shown {
            for host in &mut self.hosts {
                host.crossed = false;
            }
        }
    }

    /// ghost: host `h`'s current incarnation ended, or is ending, rudely.
    pub(crate) fn mark_rude(&mut self, h: usize) {
        self.hosts[h].rude = true;
    }

    /// ghost: may the connection of host `x` end without the courtesies
    /// `orderly-close` and `quiescent-pairing` ask for? Only if `x`'s own
    /// incarnation or the peer incarnation it synchronized with ended
    /// rudely (aborted, cancelled, crashed, timed out, or reset by a
    /// forgery), or, when `or_reset`, that peer incarnation was reset.
    ///
    /// A peer that has since opened again is excused too: how its old
    /// incarnation ended is forgotten (remembering it made `default` twice
    /// as large). Nothing is lost by that: reopening is the
    /// application's choice, so the check also explores the paths where
    /// the peer does not reopen, and there the same connection is judged.
    pub fn excused(&self, x: usize, or_reset: bool) -> bool {
        let (host, peer) = (&self.hosts[x], &self.hosts[1 - x]);
        host.rude || peer.inc != host.peer_inc || peer.rude || (or_reset && peer.end == End::Reset)
    }

    /// The attacker's forgeries (§3.10.7.4 with RFC 5961's threat): it
    /// knows the 4-tuple but not the sequence numbers, so it may hit any
    /// number but, short of a 2^-32 guess, not RCV.NXT itself. A receiver
    /// treats every number below the window alike, every number inside it
    /// but RCV.NXT alike, and every number above it alike, so one
    /// representative of each stands for all: RCV.NXT−1, RCV.NXT+1 and
    /// RCV.NXT+RCV.WND. A forged data segment carries an acceptable ACK
    /// (SND.UNA), the luckiest guess.
    fn forgeries(&self, cfg: &Config, out: &mut Vec<Action>) {
        for x in [A, B] {
            let host = &self.hosts[x];
            if !host.state.synchronized() {
                continue;
            }
            let nxt = host.rcv_nxt;
            for seq in [nxt.wrapping_sub(1), nxt + 1, nxt + cfg.window] {
                for (ctl, ack, data) in [
                    (Ctl::RST, 0, false),
                    (Ctl::SYN, 0, false),
                    (Ctl::ACK, host.snd_una, true),
                ] {
                    out.push(Action::Inject(Seg {
                        from: (1 - x) as u8,
                        seq,
                        ack,
                        ctl,
                        data,
                        late: false,
                        age: 0,
                        g_inc: Seg::FORGED,
                        g_to: 0,
                        g_idx: 0,
                    }));
                }
            }
        }
    }

    fn take(&mut self, seg: Seg) {
        let i = self
            .net
            .iter()
            .position(|s| *s == seg)
            .expect("segment in flight");
        self.net.remove(i);
    }

    fn put(&mut self, seg: Seg) {
        let i = self.net.partition_point(|s| *s < seg);
        self.net.insert(i, seg);
    }

    /// Send a segment from host `h` now.
    pub(crate) fn emit(&mut self, h: usize, ctl: Ctl, seq: u8, ack: u8, data: bool, g_idx: u8) {
        let seg = Seg {
            from: h as u8,
            seq,
            ack,
            ctl,
            data,
            late: false,
            age: 0,
            g_inc: self.hosts[h].inc,
            g_to: self.hosts[h].peer_inc,
            g_idx,
        };
        self.put(seg);
    }

    /// `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`.
    pub(crate) fn emit_ack(&mut self, h: usize) {
        let (seq, ack) = (self.hosts[h].snd_nxt, self.hosts[h].rcv_nxt);
        self.emit(h, Ctl::ACK, seq, ack, false, 0);
    }

    /// The ISS for a new connection: the clock-driven rule of RFC 9293 §3.4.1,
    /// or a constant in the `fixed-isn` variant.
    pub(crate) fn choose_iss(&mut self, cfg: &Config, h: usize) -> u8 {
        let host = &mut self.hosts[h];
        if cfg.is(Variant::FixedIsn) {
            return if h == A { 0 } else { 100 };
        }
        host.isn_last += cfg.isn_rate * host.clock;
        host.clock = 0;
        // MAY-2's first condition: above every number the TIME-WAIT's
        // incarnation used, whatever the clock says.
        if let Some(p) = host.parked {
            host.isn_last = host.isn_last.max(p.snd_nxt);
        }
        host.isn_last
    }

    /// OPEN (§3.10.1): a new incarnation, passive (LISTEN) or active (SYN-SENT).
    fn open(&mut self, cfg: &Config, h: usize, to: St) {
        let host = &mut self.hosts[h];
        *host = host.fresh(to);
        host.opens_left -= 1;
        host.inc += 1;
        host.passive = to == St::Listen;
        if to == St::SynSent {
            let iss = self.choose_iss(cfg, h);
            let host = &mut self.hosts[h];
            host.iss = iss;
            host.snd_una = iss;
            host.snd_nxt = iss + 1;
            host.timer = Some(cfg.rto);
            self.emit(h, Ctl::SYN, iss, 0, false, 0);
        }
    }

    /// SEND of one byte in ESTABLISHED or CLOSE-WAIT (§3.10.2).
    fn send_byte(&mut self, cfg: &Config, h: usize) {
        let host = &mut self.hosts[h];
        let (seq, ack, idx) = (host.snd_nxt, host.rcv_nxt, host.sent);
        host.snd_nxt += 1;
        host.sent += 1;
        if host.timer.is_none() {
            host.timer = Some(cfg.rto);
            host.retries = 0;
        }
        self.emit(h, Ctl::ACK, seq, ack, true, idx);
    }

    /// Queue our FIN after all data (§3.10.4).
    fn send_fin(&mut self, cfg: &Config, h: usize) {
        let host = &mut self.hosts[h];
        let (seq, ack, idx) = (host.snd_nxt, host.rcv_nxt, host.sent);
        host.snd_nxt += 1;
        if host.timer.is_none() {
            host.timer = Some(cfg.rto);
            host.retries = 0;
        }
        self.emit(h, Ctl::FIN | Ctl::ACK, seq, ack, false, idx);
    }

    /// CLOSE (§3.10.4).
    fn close(&mut self, cfg: &Config, h: usize) {
        let host = &mut self.hosts[h];
        match host.state {
            St::Listen => host.delete_tcb(End::Cancelled),
            St::SynSent => {
                self.mark_rude(h);
                self.hosts[h].delete_tcb(End::Cancelled);
            }
            St::SynReceived | St::Established => {
                host.closed = true;
                host.state = St::FinWait1;
                self.send_fin(cfg, h);
            }
            St::CloseWait => {
                host.closed = true;
                host.state = St::LastAck;
                self.send_fin(cfg, h);
            }
            _ => unreachable!("CLOSE is offered only where it changes state"),
        }
    }

    /// ABORT (§3.10.5).
    fn abort(&mut self, h: usize) {
        self.aborts -= 1;
        self.mark_rude(h);
        let host = &self.hosts[h];
        if matches!(
            host.state,
            St::SynReceived | St::Established | St::FinWait1 | St::FinWait2 | St::CloseWait
        ) {
            // <SEQ=SND.NXT><CTL=RST>; ghost index 1 marks an ABORT's RST.
            let seq = host.snd_nxt;
            self.emit(h, Ctl::RST, seq, 0, false, 1);
        }
        self.hosts[h].delete_tcb(End::Aborted);
    }

    /// A timer expired (§3.10.8).
    fn timeout(&mut self, cfg: &Config, h: usize) {
        let host = &mut self.hosts[h];
        host.timer = None;
        match host.state {
            // The quiet time after a reboot is over.
            St::Closed => {}
            St::TimeWait => {
                if host.tw_age < 2 * cfg.msl {
                    self.broken |= monitor::TIME_WAIT;
                }
                host.delete_tcb(End::TimeWaitDone);
            }
            _ if host.retries == cfg.retries => {
                host.note_syn_timeout();
                self.give_up(cfg, h)
            }
            _ => {
                host.note_syn_timeout();
                host.retries += 1;
                host.timer = Some(cfg.rto << host.retries);
                // The broken design: the timer runs on, doubling, and R2
                // still gives up, but a lost SYN is never sent again.
                if !(host.state == St::SynSent && cfg.is(Variant::NoSynRetransmit)) {
                    self.retransmit(h);
                }
            }
        }
    }

    /// R2 reached (§3.8.3): give up on the connection.
    fn give_up(&mut self, cfg: &Config, h: usize) {
        if self.premature_give_up(cfg, h) {
            self.broken |= monitor::GIVE_UP;
        }
        self.mark_rude(h);
        let host = &mut self.hosts[h];
        match host.state {
            St::SynReceived if host.passive => self.back_to_listen(cfg, h, End::TimedOut),
            St::SynSent => host.delete_tcb(End::ConnectTimeout),
            _ => host.delete_tcb(End::TimedOut),
        }
    }

    /// ghost: R2 ends an opening connection that met an OPEN of its peer
    /// although the network lost or held back no more segments than the
    /// connection retransmits, and nobody aborted, cancelled or crashed
    /// (`no-premature-give-up`). Retransmission exists so that this does
    /// not happen: each copy of a SYN or SYN,ACK is another chance, and a
    /// crossing SYN must not be ignored (MUST-10). A peer that is not open
    /// for this incarnation (CLOSED, or still in an older connection, such
    /// as a TIME-WAIT refusing a new SYN) excuses the give-up: refusing
    /// there is TCP's design. Only first incarnations are judged: a later
    /// OPEN may spend its SYNs on what is left of the previous connection
    /// (a TIME-WAIT that answers them with an ACK) before the peer opens
    /// again, and nothing in the state tells how many it spent so.
    fn premature_give_up(&self, cfg: &Config, h: usize) -> bool {
        let (host, peer) = (&self.hosts[h], &self.hosts[1 - h]);
        if host.inc != 1 || peer.inc != 1 {
            return false;
        }
        let faults = (cfg.losses - self.losses) + (cfg.delays - self.delays);
        let opening = matches!(host.state, St::SynSent | St::SynReceived);
        let peer_open = matches!(peer.state, St::Listen | St::SynSent | St::SynReceived)
            || (peer.state.synchronized() && peer.peer_inc == host.inc);
        opening && peer_open && faults <= cfg.retries && !host.rude && !peer.rude
    }

    /// Resend the head of the retransmission queue: SYN, data byte, or FIN.
    fn retransmit(&mut self, h: usize) {
        let host = &self.hosts[h];
        let una = host.snd_una;
        if una == host.iss {
            let (ctl, ack) = if host.state == St::SynSent {
                (Ctl::SYN, 0)
            } else {
                (Ctl::SYN | Ctl::ACK, host.rcv_nxt)
            };
            self.emit(h, ctl, una, ack, false, 0);
            self.hosts[h].syn_wait = 0; // ghost
        } else if una < host.iss + 1 + host.sent {
            let idx = una - host.iss - 1;
            let ack = host.rcv_nxt;
            self.emit(h, Ctl::ACK, una, ack, true, idx);
        } else {
            let (ack, idx) = (host.rcv_nxt, host.sent);
            self.emit(h, Ctl::FIN | Ctl::ACK, una, ack, false, idx);
        }
    }

    /// A passive SYN-RECEIVED returns to LISTEN (§3.10.7.4), keeping its
    /// incarnation; or, reopened from TIME-WAIT by MAY-2, to that TIME-WAIT.
    pub(crate) fn back_to_listen(&mut self, cfg: &Config, h: usize, end: End) {
        let host = &mut self.hosts[h];
        if let Some(p) = host.parked {
            return self.return_to_time_wait(cfg, h, p);
        }
        // The SYN,ACK consumed its ISS: a reopen must wait for the ISN clock
        // to move past it, as after any incarnation (`Host::may_reuse`).
        let used = host.snd_nxt - host.iss;
        let rude = host.rude; // ghost: the same incarnation
        *host = host.fresh(St::Listen);
        host.rude = rude;
        host.used = used;
        host.passive = true;
        host.end = end;
    }

    /// MAY-2's second condition: "returns to TIME-WAIT state if the SYN
    /// turns out to be an old duplicate" (RFC 9293 §3.6.1). The failed
    /// incarnation is undone: its OPEN is given back and its number
    /// reused, as if the SYN had never reopened anything.
    fn return_to_time_wait(&mut self, cfg: &Config, h: usize, p: Parked) {
        let host = &mut self.hosts[h];
        let failed = host.inc;
        let mut back = host.fresh(St::TimeWait);
        back.met[usize::from(failed)] = 0; // ghost
        back.inc = failed - 1;
        back.opens_left += 1;
        back.iss = p.iss;
        back.irs = p.irs;
        back.snd_una = p.snd_nxt;
        back.snd_nxt = p.snd_nxt;
        back.rcv_nxt = p.rcv_nxt;
        back.sent = p.sent;
        back.retries = p.retries;
        back.timer = Some(p.timer);
        back.peer_inc = p.peer_inc; // ghost
        back.delivered = p.delivered; // ghost
        back.eof = true; // ghost
        back.closed = true; // ghost
        back.read_after_close = p.read_after_close; // ghost
        back.reacked = p.reacked; // ghost
        back.tw_age = cfg.time_wait() - p.timer; // ghost
        *host = back;
    }
}

/// The two edges RFC 9293 §3.6.1 MAY-2 adds to Figure 5: a SYN reopens
/// TIME-WAIT into SYN-RECEIVED, and a reopen that fails returns.
pub fn may2_edge(from: St, to: St) -> bool {
    matches!(
        (from, to),
        (St::TimeWait, St::SynReceived) | (St::SynReceived, St::TimeWait)
    )
}

/// Is `from → to` an edge of RFC 9293 Figure 5 or its notes? Some edges are
/// two steps of one segment's processing (an ACK and a FIN together).
pub fn rfc_edge(from: St, to: St) -> bool {
    use St::*;
    from == to
        || matches!(
            (from, to),
            (Closed, Listen | SynSent)
                | (Listen, SynReceived | SynSent | Closed)
                | (SynSent, SynReceived | Established | Closed)
                | (
                    SynReceived,
                    Established | FinWait1 | Listen | Closed | CloseWait
                )
                | (Established, FinWait1 | CloseWait | Closed)
                | (FinWait1, FinWait2 | Closing | TimeWait | Closed)
                | (FinWait2, TimeWait | Closed)
                | (CloseWait, LastAck | Closed)
                | (Closing, TimeWait | Closed)
                | (LastAck, Closed)
                | (TimeWait, Closed)
        )
}
