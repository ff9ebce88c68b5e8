//! smoltcp's TCP socket as a target: one host of a trace, behind an
//! IP-medium interface on virtual time.

mod deviations;
mod device;

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use ::smoltcp::iface::{
    Config, Interface, PollIngressSingleResult, PollResult, SocketHandle, SocketSet,
};
use ::smoltcp::socket::tcp;
use ::smoltcp::time::{Duration as SmolDuration, Instant};
use ::smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};

pub use deviations::{SMOLTCP, SMOLTCP_DEVIATIONS};
pub use device::{packet, segment, Queue};

use super::{
    Capabilities, Clock, IssControl, Report, Role, Stimulus, Target, Unsupported, WireSegment,
};
use crate::trace::{Call, Event, Flags, HostId, State, TraceConfig};

/// smoltcp's address and port: the one host it plays.
const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 20000);
/// The harness's address and port: the other host, played from the trace.
const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 40000);

/// smoltcp's fixed initial RTO and RTO floor (`RTTE_INITIAL_RTO`,
/// `RTTE_MIN_RTO` in `socket/tcp.rs`): a trace whose RTO is not this is not
/// played.
const SMOLTCP_RTO: Duration = Duration::from_secs(1);

/// Bytes the transmit buffer holds; a trace sends a byte or two.
const TX_BUFFER: usize = 64;

/// smoltcp 0.14 playing one host of a trace: one [`tcp::Socket`] in a
/// [`SocketSet`] behind an [`Interface`] whose device ([`Queue`]) is two
/// queues of IPv4 packets, on virtual time.
///
/// - **Network.** smoltcp is `10.0.0.1:20000`, the harness `10.0.0.2:40000`.
///   An arriving segment is an IPv4 packet the harness builds
///   ([`packet`]) and queues on the device; what smoltcp sends is parsed
///   back ([`segment`]). A fresh interface and socket are made for every
///   replay, so nothing carries over; the interface's random seed changes
///   from replay to replay, so smoltcp's ISS does (the engine learns it
///   from its SYN, [`IssControl::Learned`]).
/// - **Each step.** After the input the interface is polled the way an
///   application that reads everything at once would poll it: every
///   queued packet in (`poll_ingress_single`), then the application reads
///   all it can (`recv_slice`), then everything out (`poll_egress`), until
///   nothing moves. Reading before sending means an ACK carries the window
///   the model's host would advertise, not a smaller one followed by a
///   window update.
/// - **User calls.** listen is `Socket::listen`; connect is
///   `Socket::connect`; send is `send_slice` of one byte (Nagle off); close
///   is `Socket::close`; abort is `Socket::abort`. smoltcp's listening
///   socket becomes the connection (there is no accept queue), which is
///   exactly the model's host: one TCB, LISTEN gone after a SYN.
/// - **Report.** The state is `Socket::state` (smoltcp's states are the
///   RFC's); delivered bytes are what `recv_slice` returned; end of file is
///   `recv_slice` answering `RecvError::Finished` (the peer's FIN came and
///   everything before it was read). smoltcp raises no events, so they are
///   derived from what the application can see: `connected` when the socket
///   first reaches a state past the handshake; `peer-closed` when end of
///   file is first seen; when the socket leaves its connection, `refused`
///   (an RST in SYN-SENT or an active SYN-RECEIVED), `reset` (an RST in a
///   synchronized state but TIME-WAIT) or `closed` (anything else: the
///   application's own CLOSE or ABORT, the last ACK, TIME-WAIT's end). A
///   failed call is an unexpected event with smoltcp's error.
/// - **Timer.** smoltcp keeps its timers private; the one it runs is the
///   interface's next deadline (`Interface::poll_at`), which with no delayed
///   ACK, keep-alive or user timeout configured is the socket's
///   retransmission or TIME-WAIT timer. The TCB variables are private too:
///   they are not compared.
///
/// # Time
///
/// A tick moves the clock by `tick_seconds`; a timeout moves it to
/// smoltcp's own next deadline when that is later (its RTO is estimated
/// from RTT samples, RFC 6298, and may be longer than the model's
/// constant). The configuration it cannot take from the trace is fixed:
/// RTO initial and floor 1 s (a trace with another RTO is not played),
/// TIME-WAIT 10 s (the `smoltcp` policy absorbs its length), no retry limit
/// and a challenge-ACK rate limit of one a second (named deviations).
pub struct Smoltcp {
    dev: Queue,
    iface: Interface,
    sockets: SocketSet<'static>,
    handle: SocketHandle,
    now: Instant,
    tick: Duration,
    window: usize,
    /// Replays started: the interface's random seed.
    replays: u64,
    app: App,
}

/// What the application has seen of the socket's present connection.
#[derive(Default)]
struct App {
    delivered: u8,
    eof: bool,
    /// `connected` was reported for this connection.
    connected: bool,
    /// CLOSE came in SYN-RECEIVED: smoltcp's FIN-WAIT-1 is then not past
    /// the handshake.
    closed_before_established: bool,
    events: Vec<Event>,
    emitted: Vec<WireSegment>,
    /// The state at the last observation.
    prev: Option<tcp::State>,
    /// What the host's last input was, for the event a state change means.
    cause: Cause,
}

/// The kind of the host's input in this step.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Cause {
    #[default]
    Other,
    Call,
    Rst,
}

impl Default for Smoltcp {
    fn default() -> Self {
        let (dev, iface, sockets, handle) = fresh(0, 3);
        Smoltcp {
            dev,
            iface,
            sockets,
            handle,
            now: Instant::ZERO,
            tick: Duration::from_secs(1),
            window: 3,
            replays: 0,
            app: App::default(),
        }
    }
}

/// A new device, interface (seeded with `seed`) and socket set with one TCP
/// socket whose receive buffer is `window` bytes.
fn fresh(seed: u64, window: usize) -> (Queue, Interface, SocketSet<'static>, SocketHandle) {
    let mut dev = Queue::default();
    let mut config = Config::new(HardwareAddress::Ip);
    // Spread the seeds: smoltcp's PCG step from nearby seeds gives ISSs
    // that differ in their high bits too.
    config.random_seed = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed;
    let mut iface = Interface::new(config, &mut dev, Instant::ZERO);
    iface.update_ip_addrs(|addrs| {
        let _ = addrs.push(IpCidr::new(IpAddress::Ipv4(*LOCAL.ip()), 24));
    });
    let mut socket = tcp::Socket::new(
        tcp::SocketBuffer::new(vec![0; window]),
        tcp::SocketBuffer::new(vec![0; TX_BUFFER]),
    );
    // The model acknowledges at once and sends each byte when asked.
    socket.set_ack_delay(None);
    socket.set_nagle_enabled(false);
    socket.set_keep_alive(None);
    socket.set_timeout(None);
    let mut sockets = SocketSet::new(Vec::new());
    let handle = sockets.add(socket);
    (dev, iface, sockets, handle)
}

impl Smoltcp {
    /// What smoltcp can do as a target: one host (a second interface could
    /// play the other, but one host and the trace's segments already
    /// exercise every transition), its own ISS (the interface's PRNG), no
    /// view of its TCB, virtual time.
    pub const CAPABILITIES: Capabilities = Capabilities {
        plays_both: false,
        iss: IssControl::Learned,
        observes_tcb: false,
        clock: Clock::Virtual,
    };

    fn socket(&mut self) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(self.handle)
    }

    /// When an input other than a timeout is handled: now, or just before
    /// smoltcp's timer if that is already due. The trace orders a user call
    /// or an arrival before a timer expiring at the same instant (the
    /// timer's `timeout` step comes after); smoltcp checks its timers
    /// whenever it is polled, so the input is handled a microsecond before
    /// the deadline and the timer fires at the `timeout` step.
    fn input_time(&mut self) -> Instant {
        match self.iface.poll_at(self.now, &self.sockets) {
            Some(due) if due <= self.now && due > Instant::ZERO => {
                due - SmolDuration::from_micros(1)
            }
            _ => self.now,
        }
    }

    /// Everything queued in, the application's reads, everything out,
    /// until nothing moves, at time `at`.
    fn pump_at(&mut self, at: Instant) {
        loop {
            while self
                .iface
                .poll_ingress_single(at, &mut self.dev, &mut self.sockets)
                != PollIngressSingleResult::None
            {}
            let read = self.read();
            while self.iface.poll_egress(at, &mut self.dev, &mut self.sockets) != PollResult::None {
            }
            for p in self.dev.tx.drain(..) {
                if let Some(s) = segment(&p) {
                    self.app.emitted.push(s);
                }
            }
            if read == 0 && self.dev.rx.is_empty() {
                return;
            }
        }
    }

    /// The application reads everything there is; returns the bytes read.
    /// End of file is `RecvError::Finished`. No trace delivers more than a
    /// window of a few bytes, so reading stops at `u8::MAX`.
    fn read(&mut self) -> usize {
        let mut buf = [0u8; 16];
        let mut read = 0;
        let mut eof = false;
        let s = self.socket();
        while read < usize::from(u8::MAX) {
            match s.recv_slice(&mut buf) {
                Ok(0) => break,
                Ok(n) => read += n,
                Err(tcp::RecvError::Finished) => {
                    eof = true;
                    break;
                }
                Err(tcp::RecvError::InvalidState) => break,
            }
        }
        let app = &mut self.app;
        app.delivered = app
            .delivered
            .saturating_add(u8::try_from(read).unwrap_or(u8::MAX));
        if eof && !app.eof {
            app.eof = true;
            // Reported after `connected` if both come in one step.
            app.events.push(Event::PeerClosed);
        }
        read
    }

    /// A new connection (listen or connect): the application starts afresh.
    fn new_connection(&mut self) {
        let app = &mut self.app;
        app.delivered = 0;
        app.eof = false;
        app.connected = false;
        app.closed_before_established = false;
    }

    fn call(&mut self, call: Call) -> Result<(), Unsupported> {
        self.app.cause = Cause::Call;
        let at = self.input_time();
        let state = self.socket().state();
        let r: Result<(), String> = match call {
            Call::Listen => {
                self.new_connection();
                let local = (IpAddress::Ipv4(*LOCAL.ip()), LOCAL.port());
                self.socket().listen(local).map_err(|e| format!("{e:?}"))
            }
            Call::Connect => {
                self.new_connection();
                let remote = (IpAddress::Ipv4(*REMOTE.ip()), REMOTE.port());
                let local = (IpAddress::Ipv4(*LOCAL.ip()), LOCAL.port());
                let cx = self.iface.context();
                let s = self.sockets.get_mut::<tcp::Socket>(self.handle);
                s.connect(cx, remote, local).map_err(|e| format!("{e:?}"))
            }
            Call::Send if matches!(state, tcp::State::SynSent | tcp::State::SynReceived) => {
                return Err(Unsupported::Unplayable(format!(
                    "send in {}: smoltcp's send refuses data before ESTABLISHED \
                     (SendError::InvalidState; RFC 9293 §3.10.2 queues it)",
                    state
                )));
            }
            Call::Send => match self.socket().send_slice(b"x") {
                Ok(1) => Ok(()),
                Ok(n) => Err(format!("queued {n} of 1 bytes")),
                Err(e) => Err(format!("{e:?}")),
            },
            Call::Close => {
                if state == tcp::State::SynReceived {
                    self.app.closed_before_established = true;
                }
                self.socket().close();
                Ok(())
            }
            Call::Abort => {
                self.socket().abort();
                Ok(())
            }
        };
        if let Err(e) = r {
            self.app
                .events
                .push(Event::Unexpected(format!("error:{call}:{e}")));
        }
        self.pump_at(at);
        Ok(())
    }

    fn arrive(&mut self, seg: &WireSegment) {
        if seg.flags.contains(Flags::RST) {
            self.app.cause = Cause::Rst;
        }
        let window = u16::try_from(self.window).unwrap_or(u16::MAX);
        self.dev.rx.push_back(packet(seg, REMOTE, LOCAL, window));
        let at = self.input_time();
        self.pump_at(at);
    }

    /// The socket's running timer expires: the clock moves on to smoltcp's
    /// own deadline if that is later.
    fn timeout(&mut self) {
        if let Some(at) = self.iface.poll_at(self.now, &self.sockets) {
            if at > self.now {
                self.now = at;
            }
        }
        self.pump_at(self.now);
    }

    /// The application's events for the change from the last observed state
    /// to `state`, after what the input did.
    fn state_events(&mut self, state: tcp::State) {
        use tcp::State as S;
        let prev = self.app.prev.replace(state).unwrap_or(S::Closed);
        let past_handshake = match state {
            S::Established | S::FinWait2 | S::CloseWait | S::Closing | S::LastAck | S::TimeWait => {
                true
            }
            S::FinWait1 => !self.app.closed_before_established,
            S::Closed | S::Listen | S::SynSent | S::SynReceived => false,
        };
        let app = &mut self.app;
        if past_handshake && !app.connected {
            app.connected = true;
            // Before a peer-closed of the same step.
            app.events.insert(0, Event::Connected);
        }
        let left =
            prev != state && (state == S::Closed || (prev == S::SynReceived && state == S::Listen));
        if !left || state == S::Listen {
            return;
        }
        let event = match (app.cause, prev) {
            (Cause::Rst, S::SynSent | S::SynReceived) => Event::Refused,
            (Cause::Rst, S::TimeWait | S::Listen | S::Closed) => Event::Closed,
            (Cause::Rst, _) => Event::Reset,
            _ => Event::Closed,
        };
        app.events.push(event);
    }
}

impl Target for Smoltcp {
    fn capabilities(&self) -> Capabilities {
        Self::CAPABILITIES
    }

    fn start(&mut self, cfg: &TraceConfig, role: Role) -> Result<(), Unsupported> {
        if role == Role::Both {
            return Err(Unsupported::Unplayable(
                "the smoltcp target plays one host at a time".into(),
            ));
        }
        let rto = cfg.ticks(cfg.rto);
        if rto != SMOLTCP_RTO {
            return Err(Unsupported::Unplayable(format!(
                "the trace's RTO is {rto:?}; smoltcp's initial RTO and floor are a fixed 1 s"
            )));
        }
        self.replays += 1;
        self.window = usize::from(cfg.window).max(1);
        let (dev, iface, sockets, handle) = fresh(self.replays, self.window);
        self.dev = dev;
        self.iface = iface;
        self.sockets = sockets;
        self.handle = handle;
        self.now = Instant::ZERO;
        self.tick = cfg.tick();
        self.app = App::default();
        Ok(())
    }

    fn input(&mut self, stimulus: &Stimulus) -> Result<(), Unsupported> {
        self.app.cause = Cause::Other;
        match *stimulus {
            Stimulus::Call(_, call) => return self.call(call),
            Stimulus::Arrive(_, ref seg) => self.arrive(seg),
            Stimulus::Timeout(_) => self.timeout(),
            // Time passes and nothing else: a timer that falls due at the
            // end of the tick fires at the trace's `timeout` step, as the
            // model orders the two (a tick starts with no timer due).
            // Polling here would make smoltcp fire it now.
            Stimulus::Tick => {
                self.now += SmolDuration::from_micros(self.tick.as_micros() as u64);
            }
            Stimulus::Crash(_) => {
                return Err(Unsupported::Unplayable(
                    "crash: smoltcp has no reboot of its own (the embedding system would \
                     build a new interface and sockets) and no quiet time (RFC 9293 §3.4.3)"
                        .into(),
                ))
            }
        }
        Ok(())
    }

    fn observe(&mut self, _host: HostId) -> Report {
        // Not polled here: every input already was (a tick on purpose not).
        let state = self.socket().state();
        self.state_events(state);
        self.app.cause = Cause::Other;
        let timer = self
            .iface
            .poll_delay(self.now, &self.sockets)
            .map(|d| Duration::from_micros(d.total_micros()));
        let state = trace_state(state);
        let open = state.has_connection();
        let app = &mut self.app;
        Report {
            state,
            // The engine learns smoltcp's ISS from its SYN.
            iss: None,
            timer,
            emitted: std::mem::take(&mut app.emitted),
            delivered: if open { app.delivered } else { 0 },
            eof: open && app.eof,
            events: std::mem::take(&mut app.events),
            // smoltcp's TCB is private.
            tcb: None,
        }
    }
}

/// The trace's name for smoltcp's state.
fn trace_state(s: tcp::State) -> State {
    match s {
        tcp::State::Closed => State::Closed,
        tcp::State::Listen => State::Listen,
        tcp::State::SynSent => State::SynSent,
        tcp::State::SynReceived => State::SynReceived,
        tcp::State::Established => State::Established,
        tcp::State::FinWait1 => State::FinWait1,
        tcp::State::FinWait2 => State::FinWait2,
        tcp::State::CloseWait => State::CloseWait,
        tcp::State::Closing => State::Closing,
        tcp::State::LastAck => State::LastAck,
        tcp::State::TimeWait => State::TimeWait,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::Profile;

    fn config() -> TraceConfig {
        TraceConfig {
            preset: "quick".into(),
            profile: Profile::Rfc9293,
            tick_seconds: 1,
            rto: 1,
            msl: 2,
            time_wait: 4,
            retries: 1,
            window: 3,
            challenge_ack_limit: None,
            model_isn_bases: [0, 100],
        }
    }

    fn seg(flags: Flags, seq: u32, ack: u32, len: u8) -> WireSegment {
        WireSegment {
            flags,
            seq,
            ack,
            len,
        }
    }

    /// smoltcp as B, listening, after the harness's SYN (ISS 1000): its
    /// SYN,ACK.
    fn syn_received(t: &mut Smoltcp) -> WireSegment {
        t.start(&config(), Role::Host(HostId::B)).unwrap();
        t.input(&Stimulus::Call(HostId::B, Call::Listen)).unwrap();
        assert_eq!(t.observe(HostId::B).state, State::Listen);
        let syn = seg(Flags::SYN, 1000, 0, 0);
        t.input(&Stimulus::Arrive(HostId::B, syn)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(r.state, State::SynReceived);
        assert_eq!(r.emitted.len(), 1);
        assert_eq!(r.emitted[0].flags, Flags::SYN | Flags::ACK);
        assert_eq!(r.emitted[0].ack, 1001);
        // The SYN,ACK's retransmission timer: smoltcp's 1 s initial RTO.
        assert_eq!(r.timer, Some(Duration::from_secs(1)));
        r.emitted[0]
    }

    #[test]
    fn a_passive_open_a_byte_and_a_fin_through_the_target() {
        let mut t = Smoltcp::default();
        let synack = syn_received(&mut t);
        let iss = synack.seq;
        let ack = seg(Flags::ACK, 1001, iss.wrapping_add(1), 0);
        t.input(&Stimulus::Arrive(HostId::B, ack)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(
            (r.state, r.events.clone()),
            (State::Established, vec![Event::Connected])
        );
        assert_eq!((r.timer, r.emitted.len()), (None, 0));
        // One byte: read at once, acknowledged at once (no delayed ACK).
        let data = seg(Flags::ACK, 1001, iss.wrapping_add(1), 1);
        t.input(&Stimulus::Arrive(HostId::B, data)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(r.delivered, 1);
        assert_eq!(r.emitted, [seg(Flags::ACK, iss.wrapping_add(1), 1002, 0)]);
        // The FIN: end of file, CLOSE-WAIT.
        let fin = seg(Flags::ACK | Flags::FIN, 1002, iss.wrapping_add(1), 0);
        t.input(&Stimulus::Arrive(HostId::B, fin)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(r.state, State::CloseWait);
        assert!(r.eof);
        assert_eq!(r.events, [Event::PeerClosed]);
        assert_eq!(r.emitted, [seg(Flags::ACK, iss.wrapping_add(1), 1003, 0)]);
    }

    #[test]
    fn a_tick_does_not_fire_a_timer_that_falls_due_and_a_timeout_does() {
        let mut t = Smoltcp::default();
        let synack = syn_received(&mut t);
        t.input(&Stimulus::Tick).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!((r.timer, r.emitted.len()), (Some(Duration::ZERO), 0));
        t.input(&Stimulus::Timeout(HostId::B)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(r.emitted, [synack]);
        // RFC 6298 (5.5): the RTO doubled.
        assert_eq!(r.timer, Some(Duration::from_secs(2)));
    }

    #[test]
    fn close_in_syn_received_holds_the_fin_as_the_deviation_says() {
        let mut t = Smoltcp::default();
        let synack = syn_received(&mut t);
        t.input(&Stimulus::Call(HostId::B, Call::Close)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!((r.state, r.emitted.len()), (State::FinWait1, 0));
        // The ACK of the SYN,ACK alone: smoltcp counts it as the ACK of
        // the FIN it never sent, and enters FIN-WAIT-2 with no timer: the
        // FIN is never sent, and the peer never learns of the CLOSE.
        let ack = seg(Flags::ACK, 1001, synack.seq.wrapping_add(1), 0);
        t.input(&Stimulus::Arrive(HostId::B, ack)).unwrap();
        let r = t.observe(HostId::B);
        assert_eq!(
            (r.state, r.timer, r.emitted.len()),
            (State::FinWait2, None, 0)
        );
        assert_eq!(r.events, [Event::Connected]);
    }

    #[test]
    fn a_trace_whose_rto_is_not_one_second_is_not_played() {
        let mut t = Smoltcp::default();
        let mut cfg = config();
        cfg.rto = 2;
        assert!(matches!(
            t.start(&cfg, Role::Host(HostId::A)),
            Err(Unsupported::Unplayable(_))
        ));
        assert!(t.start(&config(), Role::Both).is_err());
    }
}
