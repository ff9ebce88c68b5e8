//! Teardown between two real `Connection`s wired back to back: the four-way
//! teardown with half-close (Figure 12), simultaneous close through CLOSING
//! (Figure 13), and the lost last ACK answered from TIME-WAIT.

mod common;

use common::*;
use synfin_tcp::conn::{Connection, Event, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

/// Two connected endpoints: `a` (LOCAL, active opener) and `b` (REMOTE,
/// passive).
struct Pair {
    a: Connection,
    b: Connection,
    now: Instant,
    isn: FixedIsn,
    /// Every segment that crossed, as (from a?, segment).
    log: Vec<(bool, Segment)>,
}

impl Pair {
    fn established() -> Pair {
        let mut isn = FixedIsn(LOCAL_ISS);
        let a = Connection::connect(config(), Instant::ZERO, LOCAL, REMOTE, &mut isn).unwrap();
        let b = Connection::listen(config(), REMOTE);
        let mut p = Pair {
            a,
            b,
            now: Instant::ZERO,
            isn: FixedIsn(REMOTE_ISS),
            log: Vec::new(),
        };
        p.deliver_all();
        assert_eq!(
            (p.a.state(), p.b.state()),
            (State::Established, State::Established)
        );
        assert_eq!(p.log.len(), 3, "three-way handshake");
        assert_eq!(p.a.poll_event(), Some(Event::Connected));
        assert_eq!(p.b.poll_event(), Some(Event::Connected));
        p.log.clear();
        p
    }

    /// Takes what `a` (or `b`) emitted, without delivering it.
    fn take(&mut self, from_a: bool) -> Vec<Segment> {
        let c = if from_a { &mut self.a } else { &mut self.b };
        std::iter::from_fn(|| c.poll_transmit()).collect()
    }

    /// Delivers `seg` to the other side.
    fn deliver(&mut self, from_a: bool, seg: Segment) {
        let to = if from_a { &mut self.b } else { &mut self.a };
        to.handle_segment_with_isn(self.now, &seg, &mut self.isn);
        self.log.push((from_a, seg));
    }

    /// Delivers everything both sides emit until both are quiet.
    fn deliver_all(&mut self) {
        loop {
            let from_a = self.take(true);
            let from_b = self.take(false);
            if from_a.is_empty() && from_b.is_empty() {
                return;
            }
            for s in from_a {
                self.deliver(true, s);
            }
            for s in from_b {
                self.deliver(false, s);
            }
        }
    }

    fn events(c: &mut Connection) -> Vec<Event> {
        std::iter::from_fn(|| c.poll_event()).collect()
    }

    fn flags(&self) -> Vec<(bool, Flags)> {
        self.log.iter().map(|(a, s)| (*a, s.flags)).collect()
    }
}

#[test]
fn four_way_teardown_with_half_close() {
    let mut p = Pair::established();
    // a closes: FIN; b ACKs it and is in CLOSE-WAIT, a in FIN-WAIT-2.
    p.a.close(p.now).unwrap();
    p.deliver_all();
    assert_eq!(
        (p.a.state(), p.b.state()),
        (State::FinWait2, State::CloseWait)
    );
    assert_eq!(Pair::events(&mut p.b), [Event::PeerClosed]);
    // Half-close: b goes on sending, a goes on receiving.
    assert_eq!(p.b.send(p.now, b"still here"), Ok(10));
    p.deliver_all();
    let mut buf = [0; 32];
    assert_eq!(p.a.recv(p.now, &mut buf), Ok(10));
    assert_eq!(&buf[..10], b"still here");
    assert_eq!(Pair::events(&mut p.a), [Event::Data]);
    // b closes: FIN; a ACKs it into TIME-WAIT, b closes on the ACK.
    p.b.close(p.now).unwrap();
    p.deliver_all();
    assert_eq!((p.a.state(), p.b.state()), (State::TimeWait, State::Closed));
    assert_eq!(Pair::events(&mut p.a), [Event::PeerClosed]);
    assert_eq!(Pair::events(&mut p.b), [Event::Closed]);
    assert_eq!(
        p.flags(),
        [
            (true, Flags::FIN | Flags::ACK),
            (false, Flags::ACK),
            (false, Flags::ACK | Flags::PSH),
            (true, Flags::ACK),
            (false, Flags::FIN | Flags::ACK),
            (true, Flags::ACK),
        ]
    );
    // FIN consumed one number on each side.
    assert_eq!(p.a.snd_nxt(), LOCAL_SEQ.add(1));
    assert_eq!(p.b.snd_nxt(), REMOTE_SEQ.add(10 + 1));
    // TIME-WAIT lasts 2·MSL.
    p.a.handle_timeout(p.now + two_msl());
    assert_eq!(p.a.state(), State::Closed);
    assert_eq!(Pair::events(&mut p.a), [Event::Closed]);
}

#[test]
fn simultaneous_close_through_closing() {
    let mut p = Pair::established();
    p.a.close(p.now).unwrap();
    p.b.close(p.now).unwrap();
    let fin_a = p.take(true);
    let fin_b = p.take(false);
    assert_eq!(fin_a.len(), 1);
    assert_eq!(fin_b.len(), 1);
    // The FINs cross: both in CLOSING.
    p.deliver(true, fin_a[0].clone());
    p.deliver(false, fin_b[0].clone());
    assert_eq!((p.a.state(), p.b.state()), (State::Closing, State::Closing));
    // Each ACKs the other's FIN: both in TIME-WAIT.
    p.deliver_all();
    assert_eq!(
        (p.a.state(), p.b.state()),
        (State::TimeWait, State::TimeWait)
    );
    assert_eq!(Pair::events(&mut p.a), [Event::PeerClosed]);
    assert_eq!(Pair::events(&mut p.b), [Event::PeerClosed]);
    assert_eq!(p.a.poll_timeout(), Some(p.now + two_msl()));
    assert_eq!(p.b.poll_timeout(), Some(p.now + two_msl()));
}

#[test]
fn lost_last_ack_is_recovered_from_time_wait() {
    let mut p = Pair::established();
    p.a.close(p.now).unwrap();
    p.deliver_all();
    p.b.close(p.now).unwrap();
    let fin = p.take(false);
    p.deliver(false, fin[0].clone());
    assert_eq!(p.a.state(), State::TimeWait);
    // a's last ACK is lost.
    let lost = p.take(true);
    assert_eq!(lost.len(), 1);
    // b retransmits its FIN after its RTO; TIME-WAIT re-ACKs it and
    // restarts 2·MSL; b then closes.
    let rto_at = p.b.poll_timeout().unwrap();
    p.now = rto_at;
    p.b.handle_timeout(p.now);
    p.deliver_all();
    assert_eq!((p.a.state(), p.b.state()), (State::TimeWait, State::Closed));
    assert_eq!(p.a.poll_timeout(), Some(rto_at + two_msl()));
    assert_eq!(Pair::events(&mut p.b), [Event::PeerClosed, Event::Closed]);
}

#[test]
fn stale_syn_ack_is_refused_and_passive_side_freed() {
    // Why three segments: B (LISTEN) got an old duplicate SYN from an earlier
    // incarnation and answers it; A (SYN-SENT with a newer ISS) rejects the
    // SYN,ACK with a RST that B accepts, so B frees its state (Figure 8).
    let mut a = Connection::connect(
        config(),
        Instant::ZERO,
        LOCAL,
        REMOTE,
        &mut FixedIsn(LOCAL_ISS),
    )
    .unwrap();
    let _new_syn = a.poll_transmit().unwrap();
    let mut b = Connection::listen(config(), REMOTE);
    let old_syn = Segment {
        src: LOCAL,
        dst: REMOTE,
        flags: Flags::SYN,
        seq: SeqNum(90),
        ..RECV_TEMPLATE
    };
    b.handle_segment_with_isn(Instant::ZERO, &old_syn, &mut FixedIsn(REMOTE_ISS));
    let synack = b.poll_transmit().unwrap();
    assert_eq!(synack.ack, SeqNum(91));
    a.handle_segment(Instant::ZERO, &synack);
    let rst = a.poll_transmit().unwrap();
    assert_eq!((rst.flags, rst.seq), (Flags::RST, SeqNum(91)));
    assert_eq!(a.state(), State::SynSent, "A keeps waiting");
    b.handle_segment(Instant::ZERO, &rst);
    assert_eq!(b.state(), State::Listen, "B is back in LISTEN");
    assert_eq!(b.poll_event(), None);
    assert_eq!(b.poll_timeout(), None);
}
