//! The scripted peer: the connection under test has ISS [`ISS`], the peer's
//! initial sequence number is [`PEER_ISS`], and time starts at zero.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{Config, Connection, Error, Event, State, Timer};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

/// The connection under test.
pub const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 49152);
/// The peer the test plays.
pub const REMOTE: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 80);
/// The connection's ISS.
pub const ISS: SeqNum = SeqNum(1000);
/// The peer's initial sequence number.
pub const PEER_ISS: SeqNum = SeqNum(5000);

/// A connection and the peer's view of it.
pub struct Peer {
    pub conn: Connection,
    pub now: Instant,
    isn: FixedIsn,
}

/// The connection's sequence number `rel` octets after its ISS.
pub fn ours(rel: u32) -> SeqNum {
    ISS.add(rel)
}

/// The peer's sequence number `rel` octets after its initial one.
pub fn theirs(rel: u32) -> SeqNum {
    PEER_ISS.add(rel)
}

/// A segment from the peer with window 65535 and no MSS option.
pub fn seg(seq: SeqNum, ack: SeqNum, flags: Flags, payload: &[u8]) -> Segment {
    Segment {
        src: REMOTE,
        dst: LOCAL,
        seq,
        ack,
        flags,
        window: u16::MAX,
        mss: None,
        payload: payload.to_vec(),
    }
}

/// `seg` with window `window`.
pub fn with_window(mut s: Segment, window: u16) -> Segment {
    s.window = window;
    s
}

impl Peer {
    /// An active OPEN from [`LOCAL`] to [`REMOTE`]; the SYN is returned.
    pub fn connecting(config: Config) -> (Peer, Segment) {
        let mut isn = FixedIsn(ISS);
        let conn = Connection::connect(config, Instant::ZERO, LOCAL, REMOTE, &mut isn)
            .expect("an active OPEN between specified sockets");
        let mut p = Peer {
            conn,
            now: Instant::ZERO,
            isn,
        };
        let out = p.pull();
        assert_eq!(out.len(), 1, "an active OPEN sends one SYN: {out:?}");
        (p, out[0].clone())
    }

    /// ESTABLISHED by an active OPEN, answered at once with a SYN,ACK that
    /// offers `window` and `mss`. The connection's ACK is checked and
    /// dropped, and so is the `Connected` event.
    pub fn established(config: Config, window: u16, mss: Option<u16>) -> Peer {
        let (mut p, _syn) = Peer::connecting(config);
        let mut synack = seg(theirs(0), ours(1), Flags::SYN | Flags::ACK, &[]);
        synack.window = window;
        synack.mss = mss;
        let out = p.deliver(&synack);
        assert_eq!(p.conn.state(), State::Established);
        assert_eq!(out.len(), 1, "the handshake's last ACK: {out:?}");
        assert_eq!((out[0].flags, out[0].ack), (Flags::ACK, theirs(1)));
        assert_eq!(p.events(), [Event::Connected]);
        p
    }

    /// TIME-WAIT after an active close: ESTABLISHED, the peer sends `text`,
    /// we CLOSE, and one segment from the peer acknowledges our FIN (at
    /// ISS+1) and carries its own FIN. RCV.NXT is then the peer's ISS +
    /// `text.len()` + 2, SND.NXT our ISS + 2, and 2·MSL runs from time zero.
    pub fn time_wait(config: Config, text: &[u8]) -> Peer {
        let mut p = Peer::established(config, u16::MAX, None);
        if !text.is_empty() {
            p.deliver(&seg(theirs(1), ours(1), Flags::ACK, text));
        }
        p.conn.close(p.now).expect("CLOSE in ESTABLISHED");
        let out = p.pull();
        assert_eq!(out.len(), 1, "our FIN: {out:?}");
        assert_eq!(
            (out[0].seq, out[0].flags),
            (ours(1), Flags::ACK | Flags::FIN)
        );
        let fin_seq = theirs(1 + text.len() as u32);
        let out = p.deliver(&seg(fin_seq, ours(2), Flags::ACK | Flags::FIN, &[]));
        assert_eq!(out.len(), 1, "the ACK of the peer's FIN: {out:?}");
        assert_eq!((out[0].seq, out[0].ack), (ours(2), fin_seq.add(1)));
        assert_eq!(p.conn.state(), State::TimeWait);
        assert_eq!(
            p.conn.timer(Timer::TimeWait),
            Some(Instant::ZERO + config.time_wait())
        );
        let expected: &[Event] = if text.is_empty() {
            &[Event::PeerClosed]
        } else {
            &[Event::Data, Event::PeerClosed]
        };
        assert_eq!(p.events(), expected);
        p
    }

    /// A passive OPEN on [`LOCAL`].
    pub fn listening(config: Config) -> Peer {
        Peer {
            conn: Connection::listen(config, LOCAL),
            now: Instant::ZERO,
            isn: FixedIsn(ISS),
        }
    }

    /// `seg` arrives; what the connection sends in reply.
    pub fn deliver(&mut self, seg: &Segment) -> Vec<Segment> {
        self.conn
            .handle_segment_with_isn(self.now, seg, &mut self.isn);
        self.pull()
    }

    /// Time moves on by `d`; the timers due are serviced. What is sent.
    pub fn advance(&mut self, d: Duration) -> Vec<Segment> {
        self.now = self.now + d;
        if self.conn.poll_timeout().is_some_and(|t| t <= self.now) {
            self.conn.handle_timeout(self.now);
        }
        self.pull()
    }

    /// How long until the next timer, which must be armed.
    pub fn until_timer(&self) -> Duration {
        let at = self.conn.poll_timeout().expect("a timer is armed");
        at.saturating_duration_since(self.now)
    }

    /// OPEN on the existing TCB (`Some(remote)`: active, `None`: passive).
    pub fn open(&mut self, remote: Option<SocketAddrV4>) -> Result<Vec<Segment>, Error> {
        self.conn.open(self.now, remote, &mut self.isn)?;
        Ok(self.pull())
    }

    /// SEND `data`: how much was taken, and what was sent.
    pub fn send(&mut self, data: &[u8]) -> (usize, Vec<Segment>) {
        let n = self.conn.send(self.now, data).expect("SEND is legal here");
        (n, self.pull())
    }

    /// RECEIVE up to `n` octets: what was read, and what was sent.
    pub fn recv(&mut self, n: usize) -> (Vec<u8>, Vec<Segment>) {
        let mut buf = vec![0; n];
        let got = self
            .conn
            .recv(self.now, &mut buf)
            .expect("RECEIVE is legal here");
        buf.truncate(got);
        (buf, self.pull())
    }

    /// Every segment waiting to be sent.
    pub fn pull(&mut self) -> Vec<Segment> {
        std::iter::from_fn(|| self.conn.poll_transmit()).collect()
    }

    /// Every event waiting for the application.
    pub fn events(&mut self) -> Vec<Event> {
        std::iter::from_fn(|| self.conn.poll_event()).collect()
    }
}
