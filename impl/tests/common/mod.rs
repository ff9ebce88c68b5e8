//! Shared fixtures for the connection-core tests, in smoltcp's style: a
//! socket per state, segment templates, and `#[track_caller]` helpers that
//! feed a segment (`send`) or assert what the core emitted (`recv`).
//!
//! Our side is `LOCAL` with ISS `LOCAL_ISS`; the peer the test plays is
//! `REMOTE` with ISS `REMOTE_ISS`.
#![allow(dead_code)]

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{Config, Connection, Event, Origin, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

pub const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 4000);
pub const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 5000);
pub const LOCAL_ISS: SeqNum = SeqNum(1000);
pub const REMOTE_ISS: SeqNum = SeqNum(5000);
/// Our first data byte / the sequence number after our SYN.
pub const LOCAL_SEQ: SeqNum = SeqNum(1001);
/// The peer's first data byte / the sequence number after its SYN.
pub const REMOTE_SEQ: SeqNum = SeqNum(5001);
pub const WINDOW: u16 = 65535;
pub const MSS: u16 = 1460;

/// A segment from the peer to us; override fields with `..SEND_TEMPLATE`.
pub const SEND_TEMPLATE: Segment = Segment {
    src: REMOTE,
    dst: LOCAL,
    seq: SeqNum(0),
    ack: SeqNum(0),
    flags: Flags::NONE,
    window: 8192,
    mss: None,
    payload: Vec::new(),
};

/// A segment from us to the peer; override fields with `..RECV_TEMPLATE`.
pub const RECV_TEMPLATE: Segment = Segment {
    src: LOCAL,
    dst: REMOTE,
    seq: SeqNum(0),
    ack: SeqNum(0),
    flags: Flags::NONE,
    window: WINDOW,
    mss: None,
    payload: Vec::new(),
};

/// A segment from the peer with these flags, SEG.SEQ and SEG.ACK.
pub fn seg(flags: Flags, seq: SeqNum, ack: SeqNum) -> Segment {
    Segment {
        flags,
        seq,
        ack,
        ..SEND_TEMPLATE
    }
}

/// A segment we are expected to send.
pub fn out(flags: Flags, seq: SeqNum, ack: SeqNum) -> Segment {
    Segment {
        flags,
        seq,
        ack,
        mss: flags.contains(Flags::SYN).then_some(MSS),
        ..RECV_TEMPLATE
    }
}

/// Our bare ACK `<SEQ=seq><ACK=ack><CTL=ACK>`.
pub fn ack_out(seq: SeqNum, ack: SeqNum) -> Segment {
    out(Flags::ACK, seq, ack)
}

/// Our RST `<SEQ=seq><CTL=RST>` (window zero, as RSTs are built).
pub fn rst_out(seq: SeqNum) -> Segment {
    Segment {
        flags: Flags::RST,
        seq,
        window: 0,
        ..RECV_TEMPLATE
    }
}

pub fn secs(s: u64) -> Instant {
    Instant::from_secs(s)
}

pub fn millis(ms: u64) -> Instant {
    Instant::from_millis(ms)
}

/// A connection under test, its clock and its ISN source.
pub struct Sock {
    pub c: Connection,
    pub now: Instant,
    pub isn: FixedIsn,
}

impl Sock {
    /// Feeds a segment from the peer at the current time.
    #[track_caller]
    pub fn send(&mut self, seg: Segment) {
        let now = self.now;
        // Only a TCB in LISTEN can select an ISS when a segment arrives.
        if self.c.state() == State::Listen {
            self.c.handle_segment_with_isn(now, &seg, &mut self.isn);
        } else {
            self.c.handle_segment(now, &seg);
        }
    }

    /// Asserts the segments the core emitted, in order, and nothing more.
    #[track_caller]
    pub fn recv(&mut self, expected: &[Segment]) {
        let got: Vec<Segment> = std::iter::from_fn(|| self.c.poll_transmit()).collect();
        assert_eq!(got, expected, "emitted segments (state {})", self.c.state());
    }

    /// Asserts that nothing was emitted.
    #[track_caller]
    pub fn recv_nothing(&mut self) {
        self.recv(&[]);
    }

    /// All pending events.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.c.poll_event()).collect()
    }

    /// Asserts the pending events.
    #[track_caller]
    pub fn expect_events(&mut self, expected: &[Event]) {
        assert_eq!(self.events(), expected, "events (state {})", self.c.state());
    }

    /// Moves the clock to `at`, servicing each timer due by then at its own
    /// deadline (`Connection::advance_to`).
    pub fn advance_to(&mut self, at: Instant) {
        assert!(at >= self.now, "time must not go backwards");
        self.c.advance_to(at);
        self.now = at;
    }

    /// Moves the clock to the next timer expiry and services it; returns it.
    #[track_caller]
    pub fn fire(&mut self) -> Instant {
        let at = self.c.poll_timeout().expect("a timer is armed");
        self.advance_to(at);
        at
    }

    pub fn state(&self) -> State {
        self.c.state()
    }

    /// Drops whatever output is pending (for fixtures).
    pub fn drain(&mut self) {
        while self.c.poll_transmit().is_some() {}
        while self.c.poll_event().is_some() {}
    }
}

/// `send!(sock, Segment { .. })`: the peer sends a segment.
#[macro_export]
macro_rules! send {
    ($s:expr, $seg:expr) => {
        $s.send($seg)
    };
}

/// `recv!(sock, [seg, ..])`: we emitted exactly these segments;
/// `recv!(sock, nothing)`: we emitted nothing.
#[macro_export]
macro_rules! recv {
    ($s:expr, nothing) => {
        $s.recv_nothing()
    };
    ($s:expr, [$($seg:expr),* $(,)?]) => {{
        let expected: Vec<synfin_tcp::wire::Segment> = vec![$($seg),*];
        $s.recv(&expected)
    }};
}

// ----------------------------------------------------------------------
// Fixtures, one per state.

pub fn config() -> Config {
    Config::rfc9293()
}

/// `seg` with the window a fresh connection under `config` advertises.
pub fn w(config: &Config, seg: Segment) -> Segment {
    Segment {
        window: config.rcv_wnd,
        ..seg
    }
}

/// LISTEN on `LOCAL`.
pub fn socket_listen_with(config: Config) -> Sock {
    Sock {
        c: Connection::listen(config, LOCAL),
        now: Instant::ZERO,
        isn: FixedIsn(LOCAL_ISS),
    }
}

pub fn socket_listen() -> Sock {
    socket_listen_with(config())
}

/// SYN-SENT: an active OPEN at t=0; the SYN has been pulled.
pub fn socket_syn_sent_with(config: Config) -> Sock {
    let mut isn = FixedIsn(LOCAL_ISS);
    let c = Connection::connect(config, Instant::ZERO, LOCAL, REMOTE, &mut isn).unwrap();
    let mut s = Sock {
        c,
        now: Instant::ZERO,
        isn,
    };
    s.recv(&[w(&config, out(Flags::SYN, LOCAL_ISS, SeqNum(0)))]);
    assert_eq!(s.state(), State::SynSent);
    s
}

pub fn socket_syn_sent() -> Sock {
    socket_syn_sent_with(config())
}

/// SYN-RECEIVED from a passive OPEN: LISTEN took the peer's SYN; our
/// SYN,ACK has been pulled.
pub fn socket_syn_received_with(config: Config) -> Sock {
    let mut s = socket_listen_with(config);
    s.send(Segment {
        flags: Flags::SYN,
        seq: REMOTE_ISS,
        mss: Some(MSS),
        ..SEND_TEMPLATE
    });
    s.recv(&[w(
        &config,
        out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ),
    )]);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.origin(), Origin::Passive);
    s
}

pub fn socket_syn_received() -> Sock {
    socket_syn_received_with(config())
}

/// SYN-RECEIVED from an active OPEN (simultaneous open): SYN-SENT took the
/// peer's SYN; our SYN,ACK has been pulled.
pub fn socket_syn_received_active_with(config: Config) -> Sock {
    let mut s = socket_syn_sent_with(config);
    s.send(seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    s.recv(&[w(
        &config,
        out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ),
    )]);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.origin(), Origin::Active);
    s
}

pub fn socket_syn_received_active() -> Sock {
    socket_syn_received_active_with(config())
}

/// ESTABLISHED by an active OPEN; our ACK and `Connected` pulled.
pub fn socket_established_with(config: Config) -> Sock {
    let mut s = socket_syn_sent_with(config);
    s.send(seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    s.recv(&[w(&config, ack_out(LOCAL_SEQ, REMOTE_SEQ))]);
    s.expect_events(&[Event::Connected]);
    assert_eq!(s.state(), State::Established);
    s
}

pub fn socket_established() -> Sock {
    socket_established_with(config())
}

/// FIN-WAIT-1: ESTABLISHED, then CLOSE; our FIN (at LOCAL_SEQ) pulled.
pub fn socket_fin_wait_1_with(config: Config) -> Sock {
    let mut s = socket_established_with(config);
    s.c.close(s.now).unwrap();
    s.recv(&[w(
        &config,
        out(Flags::FIN | Flags::ACK, LOCAL_SEQ, REMOTE_SEQ),
    )]);
    assert_eq!(s.state(), State::FinWait1);
    s
}

pub fn socket_fin_wait_1() -> Sock {
    socket_fin_wait_1_with(config())
}

/// FIN-WAIT-2: FIN-WAIT-1, then the peer ACKs our FIN.
pub fn socket_fin_wait_2_with(config: Config) -> Sock {
    let mut s = socket_fin_wait_1_with(config);
    s.send(seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    s.recv_nothing();
    assert_eq!(s.state(), State::FinWait2);
    s
}

pub fn socket_fin_wait_2() -> Sock {
    socket_fin_wait_2_with(config())
}

/// CLOSING: FIN-WAIT-1, then the peer's FIN without the ACK of ours.
pub fn socket_closing_with(config: Config) -> Sock {
    let mut s = socket_fin_wait_1_with(config);
    s.send(seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    s.recv(&[w(&config, ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1)))]);
    s.expect_events(&[Event::PeerClosed]);
    assert_eq!(s.state(), State::Closing);
    s
}

pub fn socket_closing() -> Sock {
    socket_closing_with(config())
}

/// TIME-WAIT: FIN-WAIT-2, then the peer's FIN at t=10 s; our ACK pulled.
pub fn socket_time_wait_with(config: Config) -> Sock {
    let mut s = socket_fin_wait_2_with(config);
    s.advance_to(secs(10));
    s.send(seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    s.recv(&[w(&config, ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1)))]);
    s.expect_events(&[Event::PeerClosed]);
    assert_eq!(s.state(), State::TimeWait);
    s
}

pub fn socket_time_wait() -> Sock {
    socket_time_wait_with(config())
}

/// CLOSE-WAIT: ESTABLISHED, then the peer's FIN; our ACK pulled.
pub fn socket_close_wait_with(config: Config) -> Sock {
    let mut s = socket_established_with(config);
    s.send(seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    s.recv(&[w(&config, ack_out(LOCAL_SEQ, REMOTE_SEQ.add(1)))]);
    s.expect_events(&[Event::PeerClosed]);
    assert_eq!(s.state(), State::CloseWait);
    s
}

pub fn socket_close_wait() -> Sock {
    socket_close_wait_with(config())
}

/// LAST-ACK: CLOSE-WAIT, then CLOSE; our FIN pulled.
pub fn socket_last_ack_with(config: Config) -> Sock {
    let mut s = socket_close_wait_with(config);
    s.c.close(s.now).unwrap();
    s.recv(&[w(
        &config,
        out(Flags::FIN | Flags::ACK, LOCAL_SEQ, REMOTE_SEQ.add(1)),
    )]);
    assert_eq!(s.state(), State::LastAck);
    s
}

pub fn socket_last_ack() -> Sock {
    socket_last_ack_with(config())
}

/// CLOSED: an ESTABLISHED connection that was aborted (RST pulled).
pub fn socket_closed() -> Sock {
    let mut s = socket_established();
    s.c.abort(s.now).unwrap();
    s.drain();
    assert_eq!(s.state(), State::Closed);
    s
}

/// The legacy profile (no RFC 5961, no RFC 1337).
pub fn rfc793() -> Config {
    Config::rfc793()
}

/// 2·MSL under the default profile.
pub fn two_msl() -> Duration {
    config().time_wait()
}
