//! synfin-tcp as a target: two in-memory connections on virtual time.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{self, reset_for, Config, Connection};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire;

use super::{
    Capabilities, Clock, IssControl, Report, Role, Stimulus, Target, Unsupported, WireSegment,
};
use crate::trace::{Call, Event, HostId, State, TcbVars, TraceConfig};

/// synfin-tcp as an in-memory pair of [`Connection`]s on one 4-tuple, on
/// virtual time: the reference target, which plays both hosts. A host with
/// no TCB answers as RFC 9293 §3.10.7.1 says, with the implementation's own
/// [`reset_for`].
///
/// It plays both hosts at once (see [`Capabilities::plays_both`]): each
/// trace is then one replay in which every segment one host emits is
/// compared before the harness hands the trace's copy to the other, so
/// synfin-tcp is also checked against itself, at half the cost of a replay
/// per host.
///
/// Each host has its own clock: the trace's ticks move both, and a model
/// timeout moves the host's clock on to the implementation's own deadline
/// when that is later. The model's RTO is a constant; RFC 6298 computes it
/// from RTT samples and keeps a backed-off RTO until the next sample (Karn),
/// so synfin-tcp may wait longer, never shorter (its RTO floor is the
/// model's RTO). Hosts share no clock in TCP, so letting one run ahead
/// changes nothing the peer can see but the timing the model abstracts.
pub struct SynfinTcp {
    cfg: Config,
    tick: Duration,
    msl_ticks: u8,
    now: Instant,
    /// How far each host's clock runs ahead of the trace's.
    skew: [Duration; 2],
    hosts: [Host; 2],
}

/// One connection and what its application has seen.
#[derive(Default)]
struct Host {
    conn: Option<Connection>,
    next_iss: u32,
    delivered: u8,
    eof: bool,
    quiet_until: Option<Instant>,
    emitted: Vec<wire::Segment>,
    events: Vec<Event>,
}

/// A's and B's addresses.
const ADDR: [SocketAddrV4; 2] = [
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000),
    SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80),
];

impl Default for SynfinTcp {
    fn default() -> Self {
        SynfinTcp {
            cfg: Config::rfc9293(),
            tick: Duration::from_secs(1),
            msl_ticks: 2,
            now: Instant::ZERO,
            skew: [Duration::ZERO; 2],
            hosts: Default::default(),
        }
    }
}

impl SynfinTcp {
    /// What synfin-tcp can do as a target.
    pub const CAPABILITIES: Capabilities = Capabilities {
        plays_both: true,
        iss: IssControl::Settable,
        observes_tcb: true,
        clock: Clock::Virtual,
    };

    /// The implementation's configuration that mirrors the model's choices:
    /// RTO, MSL and retry limits from the trace, no challenge-ACK rate limit,
    /// the model's receive window, no RFC 6298 (5.7) 3 s fallback.
    pub fn config_for(cfg: &TraceConfig) -> Config {
        let mut c = match cfg.profile {
            crate::trace::Profile::Rfc793 => Config::rfc793(),
            crate::trace::Profile::Rfc9293 => Config::rfc9293(),
        };
        c.rto_initial = cfg.ticks(cfg.rto);
        c.rto_min = c.rto_initial;
        c.rto_syn_fallback = c.rto_initial;
        c.syn_retries = u32::from(cfg.retries);
        c.max_retries = u32::from(cfg.retries);
        c.msl = cfg.ticks(cfg.msl);
        c.challenge_ack_limit = cfg.challenge_ack_limit.unwrap_or(u32::MAX);
        c.rcv_wnd = u16::from(cfg.window);
        c
    }

    /// Host `h`'s clock.
    fn now(&self, h: HostId) -> Instant {
        self.now + self.skew[h.index()]
    }

    /// Moves what the connection sent and its application was told into
    /// the host's report, the way an application that reads everything at
    /// once sees it.
    fn pump(&mut self, h: HostId) {
        let now = self.now(h);
        let host = &mut self.hosts[h.index()];
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
                Err(e) => break matches!(e, conn::Error::ConnectionClosing),
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
            let event = match e {
                conn::Event::Connected => Event::Connected,
                conn::Event::Data => {
                    data_events += 1;
                    continue;
                }
                conn::Event::PeerClosed => Event::PeerClosed,
                conn::Event::Reset => Event::Reset,
                conn::Event::Refused => Event::Refused,
                conn::Event::TimedOut => Event::TimedOut,
                conn::Event::Closed => Event::Closed,
            };
            host.events.push(event);
        }
        if data_events != usize::from(read > 0) {
            host.events.push(Event::Unexpected(format!(
                "data-events:{data_events}-for-{read}-bytes-read"
            )));
        }
    }

    fn call(&mut self, h: HostId, call: Call) {
        let (now, cfg) = (self.now(h), self.cfg);
        let host = &mut self.hosts[h.index()];
        let mut isn = FixedIsn(SeqNum(host.next_iss));
        let r = match call {
            Call::Listen => {
                host.delivered = 0;
                host.eof = false;
                host.conn = Some(Connection::listen(cfg, ADDR[h.index()]));
                Ok(())
            }
            Call::Connect => {
                host.delivered = 0;
                host.eof = false;
                let (local, remote) = (ADDR[h.index()], ADDR[h.peer().index()]);
                Connection::connect(cfg, now, local, remote, &mut isn).map(|c| host.conn = Some(c))
            }
            _ => match host.conn.as_mut() {
                None => Err(conn::Error::ConnectionDoesNotExist),
                Some(c) => match call {
                    Call::Send => c.send(now, b"x").map(|_| ()),
                    Call::Close => c.close(now),
                    _ => c.abort(now),
                },
            },
        };
        if let Err(e) = r {
            host.events.push(Event::Unexpected(format!("error:{e:?}")));
        }
        self.pump(h);
    }

    fn arrive(&mut self, h: HostId, seg: &WireSegment) {
        let s = seg.to_codec(ADDR[h.peer().index()], ADDR[h.index()], self.cfg.rcv_wnd);
        let now = self.now(h);
        let host = &mut self.hosts[h.index()];
        if host.quiet_until.is_some() {
            return; // RFC 9293 §3.4.3 quiet time: emulated by the harness.
        }
        let mut isn = FixedIsn(SeqNum(host.next_iss));
        match host.conn.as_mut() {
            Some(c) => {
                let was = c.state();
                c.handle_segment(now, &s, &mut isn);
                if was == conn::State::Listen && c.state() == conn::State::SynReceived {
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

    fn timeout(&mut self, h: HostId) {
        let now = self.now(h);
        if self.hosts[h.index()].quiet_until.take().is_some() {
            return;
        }
        if let Some(c) = self.hosts[h.index()].conn.as_mut() {
            // The model's timer fired; synfin-tcp's may be due later.
            let due = c.poll_timeout().map_or(now, |d| d.max(now));
            self.skew[h.index()] += due.saturating_duration_since(now);
            c.handle_timeout(due);
        }
        self.pump(h);
    }

    fn crash(&mut self, h: HostId) {
        let until = self.now(h) + self.tick * u32::from(self.msl_ticks);
        let host = &mut self.hosts[h.index()];
        host.conn = None;
        host.delivered = 0;
        host.eof = false;
        host.quiet_until = Some(until);
    }
}

impl Target for SynfinTcp {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn start(&mut self, cfg: &TraceConfig, _role: Role) -> Result<(), Unsupported> {
        self.cfg = Self::config_for(cfg);
        self.tick = cfg.tick();
        self.msl_ticks = cfg.msl;
        self.now = Instant::ZERO;
        self.skew = [Duration::ZERO; 2];
        self.hosts = Default::default();
        Ok(())
    }

    fn set_next_iss(&mut self, h: HostId, iss: u32) {
        self.hosts[h.index()].next_iss = iss;
    }

    fn input(&mut self, stimulus: &Stimulus) -> Result<(), Unsupported> {
        match *stimulus {
            Stimulus::Call(h, call) => self.call(h, call),
            Stimulus::Arrive(h, ref seg) => self.arrive(h, seg),
            Stimulus::Timeout(h) => self.timeout(h),
            Stimulus::Tick => self.now = self.now + self.tick,
            Stimulus::Crash(h) => self.crash(h),
        }
        Ok(())
    }

    fn observe(&mut self, h: HostId) -> Report {
        self.pump(h);
        let now = self.now(h);
        let host = &mut self.hosts[h.index()];
        let emitted = host
            .emitted
            .drain(..)
            .map(|s| WireSegment::from_codec(&s))
            .collect();
        let events = std::mem::take(&mut host.events);
        let state = host
            .conn
            .as_ref()
            .map_or(State::Closed, |c| state(c.state()));
        let deadline = match (&host.conn, host.quiet_until) {
            (_, Some(q)) => Some(q),
            (Some(c), None) => c.poll_timeout(),
            (None, None) => None,
        };
        let open = state.has_connection();
        Report {
            state,
            iss: host.conn.as_ref().filter(|_| open).map(|c| c.iss().0),
            timer: deadline.map(|d| d.saturating_duration_since(now)),
            emitted,
            delivered: if open { host.delivered } else { 0 },
            eof: open && host.eof,
            events,
            tcb: host.conn.as_ref().and_then(tcb_vars),
        }
    }
}

/// The trace's name for a synfin-tcp state.
fn state(s: conn::State) -> State {
    match s {
        conn::State::Closed => State::Closed,
        conn::State::Listen => State::Listen,
        conn::State::SynSent => State::SynSent,
        conn::State::SynReceived => State::SynReceived,
        conn::State::Established => State::Established,
        conn::State::FinWait1 => State::FinWait1,
        conn::State::FinWait2 => State::FinWait2,
        conn::State::CloseWait => State::CloseWait,
        conn::State::Closing => State::Closing,
        conn::State::LastAck => State::LastAck,
        conn::State::TimeWait => State::TimeWait,
    }
}

/// A connection's TCB variables in trace terms: none in CLOSED and LISTEN;
/// no RCV.NXT in SYN-SENT (no IRS yet); in TIME-WAIT only what its compact
/// record keeps ([`Connection::time_wait_parts`]).
pub fn tcb_vars(c: &Connection) -> Option<TcbVars> {
    let rel = |x: SeqNum, from: SeqNum| Some(i64::from(x.0.wrapping_sub(from.0) as i32));
    match c.state() {
        conn::State::Closed | conn::State::Listen => None,
        conn::State::SynSent => Some(TcbVars {
            snd_una: rel(c.snd_una(), c.iss()),
            snd_nxt: rel(c.snd_nxt(), c.iss()),
            rcv_nxt: None,
            retries: Some(c.retries().min(255) as u8),
        }),
        conn::State::TimeWait => {
            let (snd_nxt, rcv_nxt, _) = c.time_wait_parts();
            Some(TcbVars {
                snd_una: None,
                snd_nxt: rel(snd_nxt, c.iss()),
                rcv_nxt: rel(rcv_nxt, c.irs()),
                retries: None,
            })
        }
        _ => Some(TcbVars {
            snd_una: rel(c.snd_una(), c.iss()),
            snd_nxt: rel(c.snd_nxt(), c.iss()),
            rcv_nxt: rel(c.rcv_nxt(), c.irs()),
            retries: Some(c.retries().min(255) as u8),
        }),
    }
}
