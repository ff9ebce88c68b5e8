//! Conformance targets: what a trace is replayed against.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{reset_for, Config, Connection, Event, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

use crate::trace::{HostObs, Step, TSeg, TcbObs, TraceConfig};

/// A TCP under test, driven one trace input at a time. Host 0 is A, 1 is B.
/// The harness owns the network: it decides which segment arrives, is lost,
/// duplicated or delayed, and calls [`arrive`](Self::arrive) accordingly.
pub trait ConformanceTarget {
    /// Start afresh for a trace, with both hosts' ISN bases at `isn_base`.
    fn start(&mut self, cfg: &TraceConfig, isn_base: u32);
    /// The ISS (relative to the host's base) the next OPEN or SYN arrival on
    /// host `h` must choose.
    fn set_next_iss(&mut self, h: usize, rel: i64);
    /// An application call: `listen`, `connect`, `send`, `close`, `abort`.
    fn call(&mut self, h: usize, kind: &str);
    /// Deliver `seg` to host `h`.
    fn arrive(&mut self, h: usize, seg: &TSeg);
    /// Host `h`'s timer expires.
    fn timeout(&mut self, h: usize);
    /// Time passes by one tick.
    fn tick(&mut self);
    /// Host `h` crashes and reboots (TCB lost, quiet time of MSL).
    fn crash(&mut self, h: usize);
    /// Host `h` now, with what it emitted and signalled since the last call.
    /// A target that [`observes_tcb`](Self::observes_tcb) fills in `tcb`.
    fn observe(&mut self, h: usize) -> HostObs;
    /// Whether [`observe`](Self::observe) reports the TCB's sequence
    /// variables (`HostObs::tcb`), so that the replay compares them with the
    /// model's. A target that cannot see them (the kernel) declines, and
    /// only what is on the wire and at the user interface is compared.
    fn observes_tcb(&self) -> bool {
        false
    }
    /// Name the known deviation (a behaviour judged against the RFC and
    /// kept, see the README) that explains why host `h` differs from the
    /// model at `step`, or `None` for a true divergence. A trace that
    /// reaches a known deviation stops there and is reported as such.
    fn known_deviation(
        &self,
        _step: &Step,
        _h: usize,
        _expected: &HostObs,
        _actual: &HostObs,
    ) -> Option<&'static str> {
        None
    }
}

/// synfin-tcp as an in-memory pair of [`Connection`]s on one 4-tuple, on
/// virtual time. A host with no TCB answers as RFC 9293 §3.10.7.1 says,
/// with the implementation's own [`reset_for`].
///
/// Each host has its own clock: the trace's ticks move both, and a model
/// timeout moves the host's clock on to the implementation's own deadline
/// when that is later. The model's RTO is a constant; RFC 6298 computes it
/// from RTT samples and keeps a backed-off RTO until the next sample (Karn),
/// so synfin-tcp may wait longer, never shorter (its RTO floor is the
/// model's RTO). Hosts share no clock in TCP, so letting one run ahead
/// changes nothing the peer can see but the timing the model abstracts.
pub struct ImplTarget {
    cfg: Config,
    tick: Duration,
    msl_ticks: u8,
    now: Instant,
    /// How far each host's clock runs ahead of the trace's.
    skew: [Duration; 2],
    base: u32,
    model_bases: [i64; 2],
    hosts: [ImplHost; 2],
}

#[derive(Default)]
struct ImplHost {
    conn: Option<Connection>,
    next_iss: u32,
    delivered: u8,
    eof: bool,
    quiet_until: Option<Instant>,
    emitted: Vec<Segment>,
    events: Vec<String>,
}

const ADDR: [SocketAddrV4; 2] = [
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000),
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80),
];

impl Default for ImplTarget {
    fn default() -> Self {
        ImplTarget {
            cfg: Config::rfc9293(),
            tick: Duration::from_secs(1),
            msl_ticks: 2,
            now: Instant::ZERO,
            skew: [Duration::ZERO; 2],
            base: 0,
            model_bases: [0, 100],
            hosts: Default::default(),
        }
    }
}

impl ImplTarget {
    /// The implementation's configuration that mirrors the model's choices:
    /// RTO, MSL and retry limits from the trace, no challenge-ACK rate limit,
    /// the model's receive window, no RFC 6298 (5.7) 3 s fallback.
    pub fn config_for(cfg: &TraceConfig) -> Config {
        let mut c = if cfg.profile == "rfc793" {
            Config::rfc793()
        } else {
            Config::rfc9293()
        };
        let tick = Duration::from_secs(cfg.tick_seconds);
        c.rto_initial = tick * u32::from(cfg.rto);
        c.rto_min = c.rto_initial;
        c.rto_syn_fallback = c.rto_initial;
        c.syn_retries = u32::from(cfg.retries);
        c.max_retries = u32::from(cfg.retries);
        c.msl = tick * u32::from(cfg.msl);
        c.challenge_ack_limit = cfg.challenge_ack_limit.unwrap_or(u32::MAX);
        c.rcv_wnd = u16::from(cfg.window);
        c
    }

    /// Host `h`'s clock.
    fn now(&self, h: usize) -> Instant {
        self.now + self.skew[h]
    }

    fn abs(&self, rel: i64) -> SeqNum {
        SeqNum((i64::from(self.base) + rel).rem_euclid(1 << 32) as u32)
    }

    fn rel(&self, abs: SeqNum) -> i64 {
        i64::from(abs.0.wrapping_sub(self.base) as i32)
    }

    fn pump(&mut self, h: usize) {
        let now = self.now(h);
        let host = &mut self.hosts[h];
        let Some(c) = host.conn.as_mut() else { return };
        while let Some(s) = c.poll_transmit() {
            host.emitted.push(s);
        }
        // The end of the stream is what RECEIVE says (§3.10.3: "error:
        // connection closing" once the FIN came and every byte before it was
        // read), checked apart from the peer-closed event. A RECEIVE that
        // never runs dry (a broken implementation) must not hang the replay:
        // no trace delivers more than a window of a few bytes, so reading
        // stops at `u8::MAX` and the count diverges.
        let mut buf = [0u8; 16];
        let mut read = 0;
        host.eof = loop {
            if read >= usize::from(u8::MAX) {
                break false;
            }
            match c.recv(now, &mut buf) {
                Ok(0) => break false,
                Ok(n) => read += n,
                Err(e) => break matches!(e, synfin_tcp::conn::Error::ConnectionClosing),
            }
        };
        let read = u8::try_from(read).unwrap_or(u8::MAX);
        host.delivered = host.delivered.saturating_add(read);
        while let Some(s) = c.poll_transmit() {
            host.emitted.push(s);
        }
        // The harness reads everything at every step, so the receive
        // buffer is empty before each arrival, and synfin-tcp's Data
        // notification ("received data became readable", raised when the
        // buffer goes from empty to non-empty) must come exactly with the
        // bytes the model counts as delivered: one event when RECEIVE
        // returned bytes, none otherwise. A mismatch is reported as an
        // event the model never has, so it diverges.
        let mut data_events = 0;
        while let Some(e) = c.poll_event() {
            let name = match e {
                Event::Connected => "connected",
                Event::Data => {
                    data_events += 1;
                    continue;
                }
                Event::PeerClosed => "peer-closed",
                Event::Reset => "reset",
                Event::Refused => "refused",
                Event::TimedOut => "timed-out",
                Event::Closed => "closed",
            };
            host.events.push(name.to_string());
        }
        if data_events != usize::from(read > 0) {
            host.events
                .push(format!("data-events:{data_events}-for-{read}-bytes-read"));
        }
    }

    fn tseg(&self, h: usize, s: &Segment) -> TSeg {
        let rst_ack = s.flags.contains(Flags::RST) && s.flags.contains(Flags::ACK);
        let mut fl = Vec::new();
        for (bit, n) in [
            (Flags::SYN, "SYN"),
            (Flags::ACK, "ACK"),
            (Flags::FIN, "FIN"),
            (Flags::RST, "RST"),
        ] {
            if s.flags.contains(bit) {
                fl.push(n);
            }
        }
        TSeg {
            from: if h == 0 { "A" } else { "B" }.to_string(),
            flags: fl.join(","),
            seq: if rst_ack && s.seq.0 == 0 && fl.len() == 2 {
                None
            } else {
                Some(self.rel(s.seq))
            },
            ack: if s.flags.contains(Flags::ACK) {
                self.rel(s.ack)
            } else {
                0
            },
            len: s.payload.len() as u8,
        }
    }

    fn segment(&self, seg: &TSeg) -> Segment {
        let from = usize::from(seg.from == "B");
        let mut flags = Flags::NONE;
        for f in seg.flags.split(',') {
            flags |= match f {
                "SYN" => Flags::SYN,
                "ACK" => Flags::ACK,
                "FIN" => Flags::FIN,
                "RST" => Flags::RST,
                _ => Flags::NONE,
            };
        }
        Segment {
            src: ADDR[from],
            dst: ADDR[1 - from],
            // The literal <SEQ=0> lies where it lies in the model's numbers.
            seq: self.abs(seg.seq.unwrap_or(-self.model_bases[from])),
            ack: if flags.contains(Flags::ACK) {
                self.abs(seg.ack)
            } else {
                SeqNum(0)
            },
            flags,
            window: self.cfg.rcv_wnd,
            mss: None,
            payload: vec![b'x'; usize::from(seg.len)],
        }
    }
}

impl ConformanceTarget for ImplTarget {
    fn start(&mut self, cfg: &TraceConfig, isn_base: u32) {
        self.cfg = Self::config_for(cfg);
        self.tick = Duration::from_secs(cfg.tick_seconds);
        self.msl_ticks = cfg.msl;
        self.now = Instant::ZERO;
        self.skew = [Duration::ZERO; 2];
        self.base = isn_base;
        self.model_bases = cfg.model_isn_bases;
        self.hosts = Default::default();
    }

    fn set_next_iss(&mut self, h: usize, rel: i64) {
        self.hosts[h].next_iss = self.abs(rel).0;
    }

    fn call(&mut self, h: usize, kind: &str) {
        let (now, cfg) = (self.now(h), self.cfg);
        let host = &mut self.hosts[h];
        let mut isn = FixedIsn(SeqNum(host.next_iss));
        let r = match kind {
            "listen" | "connect" => {
                host.delivered = 0;
                host.eof = false;
                if kind == "listen" {
                    host.conn = Some(Connection::listen(cfg, ADDR[h]));
                    Ok(())
                } else {
                    Connection::connect(cfg, now, ADDR[h], ADDR[1 - h], &mut isn)
                        .map(|c| host.conn = Some(c))
                }
            }
            _ => match host.conn.as_mut() {
                None => Err(synfin_tcp::conn::Error::ConnectionDoesNotExist),
                Some(c) => match kind {
                    "send" => c.send(now, b"x").map(|_| ()),
                    "close" => c.close(now),
                    _ => c.abort(now),
                },
            },
        };
        if let Err(e) = r {
            host.events.push(format!("error:{e:?}"));
        }
        self.pump(h);
    }

    fn arrive(&mut self, h: usize, seg: &TSeg) {
        let s = self.segment(seg);
        let now = self.now(h);
        let host = &mut self.hosts[h];
        if host.quiet_until.is_some() {
            return; // RFC 9293 §3.4.3 quiet time: emulated by the harness.
        }
        let mut isn = FixedIsn(SeqNum(host.next_iss));
        match host.conn.as_mut() {
            Some(c) => {
                let was = c.state();
                c.handle_segment_with_isn(now, &s, &mut isn);
                if was == State::Listen && c.state() == State::SynReceived {
                    host.delivered = 0;
                    host.eof = false;
                }
            }
            None => {
                if let Some(r) = reset_for(&s) {
                    host.emitted.push(r);
                }
            }
        }
        self.pump(h);
    }

    fn timeout(&mut self, h: usize) {
        let now = self.now(h);
        if self.hosts[h].quiet_until.take().is_some() {
            return;
        }
        if let Some(c) = self.hosts[h].conn.as_mut() {
            // The model's timer fired; synfin-tcp's may be due later.
            let due = c.poll_timeout().map_or(now, |d| d.max(now));
            self.skew[h] += due.saturating_duration_since(now);
            c.handle_timeout(due);
        }
        self.pump(h);
    }

    fn tick(&mut self) {
        self.now = self.now + self.tick;
    }

    fn crash(&mut self, h: usize) {
        let until = self.now(h) + self.tick * u32::from(self.msl_ticks);
        let host = &mut self.hosts[h];
        host.conn = None;
        host.delivered = 0;
        host.eof = false;
        host.quiet_until = Some(until);
    }

    fn observe(&mut self, h: usize) -> HostObs {
        self.pump(h);
        let now = self.now(h);
        let emitted_raw = std::mem::take(&mut self.hosts[h].emitted);
        let mut emitted: Vec<TSeg> = emitted_raw.iter().map(|s| self.tseg(h, s)).collect();
        emitted.sort();
        let tick = self.tick.as_micros() as u64;
        let host = &mut self.hosts[h];
        let events = std::mem::take(&mut host.events);
        let state = host.conn.as_ref().map_or(State::Closed, |c| c.state());
        let open = !matches!(state, State::Closed | State::Listen);
        let deadline = match (&host.conn, host.quiet_until) {
            (_, Some(q)) => Some(q),
            (Some(c), None) => c.poll_timeout(),
            (None, None) => None,
        };
        let timer = deadline.map(|d| {
            let us = d.as_micros().saturating_sub(now.as_micros());
            us.div_ceil(tick).min(255) as u8
        });
        let iss = host.conn.as_ref().filter(|_| open).map(|c| c.iss());
        let (delivered, eof) = if state == State::Closed || state == State::Listen {
            (0, false)
        } else {
            (host.delivered, host.eof)
        };
        let tcb = host.conn.as_ref().and_then(tcb_obs);
        HostObs {
            state: state.to_string(),
            iss: iss.map(|i| self.rel(i)),
            timer,
            emitted,
            delivered,
            eof,
            events,
            tcb,
        }
    }

    fn observes_tcb(&self) -> bool {
        true
    }
}

/// A connection's TCB variables in trace terms (`TRACE-FORMAT.md`): none in
/// CLOSED and LISTEN; no RCV.NXT in SYN-SENT (no IRS yet); in TIME-WAIT only
/// what its compact record keeps ([`Connection::time_wait_parts`]).
pub fn tcb_obs(c: &Connection) -> Option<TcbObs> {
    let rel = |x: SeqNum, from: SeqNum| Some(i64::from(x.0.wrapping_sub(from.0) as i32));
    match c.state() {
        State::Closed | State::Listen => None,
        State::SynSent => Some(TcbObs {
            snd_una: rel(c.snd_una(), c.iss()),
            snd_nxt: rel(c.snd_nxt(), c.iss()),
            rcv_nxt: None,
            retries: Some(c.retries().min(255) as u8),
        }),
        State::TimeWait => {
            let (snd_nxt, rcv_nxt, _) = c.time_wait_parts();
            Some(TcbObs {
                snd_una: None,
                snd_nxt: rel(snd_nxt, c.iss()),
                rcv_nxt: rel(rcv_nxt, c.irs()),
                retries: None,
            })
        }
        _ => Some(TcbObs {
            snd_una: rel(c.snd_una(), c.iss()),
            snd_nxt: rel(c.snd_nxt(), c.iss()),
            rcv_nxt: rel(c.rcv_nxt(), c.irs()),
            retries: Some(c.retries().min(255) as u8),
        }),
    }
}
