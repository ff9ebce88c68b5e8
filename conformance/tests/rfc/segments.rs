//! Segments the model never sends: overlapping and stale text, text with a
//! FIN, a SYN,ACK with text and FIN, out-of-order FINs, old segments in
//! TIME-WAIT.

use std::time::Duration;

use synfin_tcp::conn::{Config, Event, State, Timer};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

use crate::peer::*;

const A: Flags = Flags::ACK;

/// The single bare ACK in `out`, as (SEQ, ACK).
fn one_ack(out: &[Segment]) -> (SeqNum, SeqNum) {
    assert_eq!(out.len(), 1, "one ACK expected: {out:?}");
    assert_eq!((out[0].flags, out[0].payload.len()), (A, 0), "{out:?}");
    (out[0].seq, out[0].ack)
}

/// RFC 9293 §3.10.7.4 first and seventh steps: a segment starting before RCV.NXT and ending in the
/// window is acceptable, and only its new octets are taken.
#[test]
fn overlapping_segment_delivers_only_new_octets() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let data: Vec<u8> = (0..15).collect();
    let out = p.deliver(&seg(theirs(1), ours(1), A, &data[..10]));
    assert_eq!(one_ack(&out), (ours(1), theirs(11)));
    let out = p.deliver(&seg(theirs(6), ours(1), A, &data[5..15]));
    assert_eq!(one_ack(&out), (ours(1), theirs(16)));
    assert_eq!(p.events(), [Event::Data]);
    let (got, _) = p.recv(100);
    assert_eq!(got, data);
}

/// RFC 9293 §3.10.7.4 first step: a segment whose last octet is RCV.NXT−1 is not acceptable: it is
/// answered with an ACK and its ACK field is not processed.
#[test]
fn entirely_old_segment_is_unacceptable() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.send(b"12345");
    let out = p.deliver(&seg(theirs(1), ours(1), A, &[7; 10]));
    assert_eq!(one_ack(&out), (ours(6), theirs(11)));
    // Octets theirs(1)..=theirs(10), acknowledging our 5 octets.
    let out = p.deliver(&seg(theirs(1), ours(6), A, &[7; 10]));
    assert_eq!(one_ack(&out), (ours(6), theirs(11)));
    assert_eq!(p.conn.send_queue_len(), 5);
    assert_eq!(p.conn.snd_una(), ours(1));
    let wait = p.until_timer();
    let out = p.advance(wait);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].seq, out[0].payload.len()), (ours(1), 5));
}

/// RFC 9293 §3.10.7.4 first step: a segment whose last octet is RCV.NXT is acceptable; its new
/// octet is taken and its ACK processed.
#[test]
fn segment_ending_at_rcv_nxt_is_acceptable() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.send(b"12345");
    p.deliver(&seg(theirs(1), ours(1), A, &[7; 10]));
    // Octets theirs(2)..=theirs(11): only theirs(11) is new.
    let out = p.deliver(&seg(theirs(2), ours(6), A, &[7; 10]));
    assert_eq!(one_ack(&out), (ours(6), theirs(12)));
    assert_eq!(p.conn.recv_queue_len(), 11);
    assert_eq!(p.conn.send_queue_len(), 0);
    assert_eq!(p.conn.timer(Timer::Retransmit), None);
}

/// RFC 9293 §3.10.7.4 Table 6 and fifth step: a bare ACK with RCV.NXT < SEG.SEQ < RCV.NXT+RCV.WND
/// is acceptable; its ACK is processed and, with no text, it is not answered.
#[test]
fn bare_ack_above_rcv_nxt_is_processed_silently() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.send(b"12345");
    let out = p.deliver(&seg(theirs(5), ours(6), A, &[]));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.send_queue_len(), 0);
    assert_eq!(p.conn.rcv_nxt(), theirs(1));
    assert_eq!(p.conn.timer(Timer::Retransmit), None);
}

/// RFC 9293 §3.10.7.4 seventh and eighth steps: text and FIN in one segment are both taken, and the
/// ACK covers the FIN.
#[test]
fn text_and_fin_in_one_segment() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let out = p.deliver(&seg(theirs(1), ours(1), A | Flags::FIN, b"hello"));
    assert_eq!(one_ack(&out), (ours(1), theirs(7)));
    assert_eq!(p.events(), [Event::Data, Event::PeerClosed]);
    assert_eq!(p.conn.state(), State::CloseWait);
    assert!(p.conn.fin_received());
    assert_eq!(p.recv(10).0, b"hello");
}

/// RFC 9293 §3.10.7.4 seventh and eighth steps: text beyond RCV.WND is cut, and a FIN after it is
/// not processed.
#[test]
fn fin_beyond_window_is_not_processed() {
    let mut cfg = Config::rfc9293();
    cfg.rcv_wnd = 10;
    let mut p = Peer::established(cfg, u16::MAX, None);
    let out = p.deliver(&seg(theirs(1), ours(1), A | Flags::FIN, &[3; 15]));
    assert_eq!(one_ack(&out), (ours(1), theirs(11)));
    assert_eq!(out[0].window, 0);
    assert_eq!(p.events(), [Event::Data]);
    assert_eq!(p.conn.state(), State::Established);
    assert!(!p.conn.fin_received());
    assert_eq!(p.conn.recv_queue_len(), 10);
}

/// RFC 9293 §3.10.7.3 fourth step: text and FIN on a SYN,ACK are processed from the sixth step on.
#[test]
fn synack_with_text_and_fin() {
    let (mut p, _syn) = Peer::connecting(Config::rfc9293());
    let synack = seg(theirs(0), ours(1), Flags::SYN | A | Flags::FIN, b"abc");
    let out = p.deliver(&synack);
    assert_eq!(one_ack(&out), (ours(1), theirs(5)));
    assert_eq!(p.conn.state(), State::CloseWait);
    assert_eq!(
        p.events(),
        [Event::Connected, Event::Data, Event::PeerClosed]
    );
    assert_eq!(p.recv(10).0, b"abc");
}

/// RFC 9293 §3.10.7.4 seventh step ("signal the user"): Data is reported when the receive buffer
/// goes from empty to non-empty.
#[test]
fn data_event_is_edge_triggered() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.deliver(&seg(theirs(1), ours(1), A, b"ab"));
    assert_eq!(p.events(), [Event::Data]);
    p.deliver(&seg(theirs(3), ours(1), A, b"cd"));
    assert_eq!(p.events(), []);
    assert_eq!(p.recv(10).0, b"abcd");
    let out = p.deliver(&seg(theirs(5), ours(1), A, b"e"));
    assert_eq!(one_ack(&out), (ours(1), theirs(6)));
    assert_eq!(p.events(), [Event::Data]);
}

/// TIME-WAIT entered at t = 0 after 10 octets and a FIN from the peer: RCV.NXT = theirs(12),
/// SND.NXT = ours(2).
fn time_wait() -> Peer {
    Peer::time_wait(Config::rfc9293(), &[5; 10])
}

/// RFC 9293 §3.10.7.4 first step: in TIME-WAIT an old segment without FIN is acknowledged but does
/// not restart 2·MSL.
#[test]
fn time_wait_old_text_does_not_restart() {
    let mut p = time_wait();
    assert!(p.advance(Duration::from_secs(60)).is_empty());
    // Ends at RCV.NXT−1 (theirs(11)).
    let out = p.deliver(&seg(theirs(1), ours(2), A, &[5; 10]));
    assert_eq!(one_ack(&out), (ours(2), theirs(12)));
    // SEG.SEQ+SEG.LEN = RCV.NXT, but no FIN.
    let out = p.deliver(&seg(theirs(2), ours(2), A, &[5; 10]));
    assert_eq!(one_ack(&out), (ours(2), theirs(12)));
    assert_eq!(p.conn.timer(Timer::TimeWait), Some(Instant::from_secs(240)));
    assert_eq!(p.until_timer(), Duration::from_secs(180));
    assert_eq!(p.conn.state(), State::TimeWait);
}

/// RFC 9293 §3.10.7.4 fifth and eighth steps, MUST-13: a retransmitted FIN in TIME-WAIT is
/// acknowledged and restarts 2·MSL.
#[test]
fn time_wait_retransmitted_fin_restarts() {
    let mut p = time_wait();
    assert!(p.advance(Duration::from_secs(60)).is_empty());
    let out = p.deliver(&seg(theirs(11), ours(2), A | Flags::FIN, &[]));
    assert_eq!(one_ack(&out), (ours(2), theirs(12)));
    assert_eq!(p.conn.timer(Timer::TimeWait), Some(Instant::from_secs(300)));
    assert_eq!(p.until_timer(), Duration::from_secs(240));
    // The FIN again, with the text before it.
    assert!(p.advance(Duration::from_secs(10)).is_empty());
    let out = p.deliver(&seg(theirs(1), ours(2), A | Flags::FIN, &[5; 10]));
    assert_eq!(one_ack(&out), (ours(2), theirs(12)));
    assert_eq!(p.conn.timer(Timer::TimeWait), Some(Instant::from_secs(310)));
    // A FIN at RCV.NXT (acceptable) also restarts it (eighth step).
    assert!(p.advance(Duration::from_secs(10)).is_empty());
    let out = p.deliver(&seg(theirs(12), ours(2), A | Flags::FIN, &[]));
    assert_eq!(one_ack(&out), (ours(2), theirs(12)));
    assert_eq!(p.conn.timer(Timer::TimeWait), Some(Instant::from_secs(320)));
    assert_eq!(p.conn.state(), State::TimeWait);
    assert_eq!(p.events(), []);
    assert!(p.advance(Duration::from_secs(240)).is_empty());
    assert_eq!(p.events(), [Event::Closed]);
}

/// RFC 9293 §3.10.7.4 eighth step: a FIN beyond RCV.NXT is acknowledged with ACK=RCV.NXT and not
/// processed, even once the gap is filled.
#[test]
fn out_of_order_fin_is_not_processed() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let out = p.deliver(&seg(theirs(11), ours(1), A | Flags::FIN, &[]));
    assert_eq!(one_ack(&out), (ours(1), theirs(1)));
    assert_eq!(p.events(), []);
    assert_eq!(p.conn.state(), State::Established);
    let out = p.deliver(&seg(theirs(1), ours(1), A, &[8; 10]));
    assert_eq!(one_ack(&out), (ours(1), theirs(11)));
    assert_eq!(p.events(), [Event::Data]);
    assert_eq!(p.conn.state(), State::Established);
    assert!(!p.conn.fin_received());
    let out = p.deliver(&seg(theirs(11), ours(1), A | Flags::FIN, &[]));
    assert_eq!(one_ack(&out), (ours(1), theirs(12)));
    assert_eq!(p.events(), [Event::PeerClosed]);
    assert_eq!(p.conn.state(), State::CloseWait);
}

/// §3.10.7.4 eighth step: the peer's FIN is processed once. A FIN claiming
/// the sequence number after it (nothing may follow a FIN) leaves
/// CLOSE-WAIT, RCV.NXT and the application's events as they were.
#[test]
fn a_second_fin_is_not_processed() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.deliver(&seg(theirs(1), ours(1), Flags::ACK | Flags::FIN, &[]));
    assert_eq!(p.events(), [Event::PeerClosed]);
    let out = p.deliver(&seg(theirs(2), ours(1), Flags::ACK | Flags::FIN, &[]));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(
        (p.conn.state(), p.conn.rcv_nxt()),
        (State::CloseWait, theirs(2))
    );
    assert!(p.events().is_empty());
}
