//! Windows, zero-window probing, receiver SWS avoidance, the MSS option and
//! PSH: the model's window never closes and it has no MSS.

use std::time::Duration;

use synfin_tcp::conn::{Config, Event, State, Timer};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

use crate::peer::*;

/// Each segment as (SEQ, flags, text length).
fn shape(out: &[Segment]) -> Vec<(SeqNum, Flags, usize)> {
    out.iter()
        .map(|s| (s.seq, s.flags, s.payload.len()))
        .collect()
}

/// A configuration with receive window `rcv_wnd`.
fn with_rcv_wnd(rcv_wnd: u16) -> Config {
    let mut c = Config::rfc9293();
    c.rcv_wnd = rcv_wnd;
    c
}

const A: Flags = Flags::ACK;

fn ap() -> Flags {
    Flags::ACK | Flags::PSH
}

/// RFC 9293 §3.7.1 and §3.8.6: segments are at most the peer's MSS and stay within its window; PSH
/// marks the segment that empties the send queue.
#[test]
fn peer_mss_and_window_limit_segments() {
    let mut p = Peer::established(Config::rfc9293(), 25, Some(10));
    let (n, out) = p.send(&[7; 60]);
    assert_eq!(n, 60);
    assert_eq!(
        shape(&out),
        [(ours(1), A, 10), (ours(11), A, 10), (ours(21), A, 5)]
    );
    let out = p.deliver(&with_window(seg(theirs(1), ours(26), A, &[]), 100));
    assert_eq!(
        shape(&out),
        [
            (ours(26), A, 10),
            (ours(36), A, 10),
            (ours(46), A, 10),
            (ours(56), ap(), 5)
        ]
    );
    assert_eq!(p.conn.send_queue_len(), 35);
    assert_eq!(p.conn.snd_wnd(), 100);
}

/// RFC 9293 §3.7.1 MUST-15: without an MSS option the peer's MSS is taken as 536.
#[test]
fn no_mss_option_means_536() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let (_, out) = p.send(&[1; 1000]);
    assert_eq!(shape(&out), [(ours(1), A, 536), (ours(537), ap(), 464)]);
}

/// RFC 9293 §3.7.1: an MSS option of 0 still lets one octet per segment through.
#[test]
fn zero_mss_option_sends_single_octets() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, Some(0));
    let (_, out) = p.send(b"abc");
    assert_eq!(
        shape(&out),
        [(ours(1), A, 1), (ours(2), A, 1), (ours(3), ap(), 1)]
    );
}

/// RFC 9293 §3.7.1: our SYN carries our MSS, and segments are at most the smaller of both MSSs.
#[test]
fn own_mss_on_syn_and_caps_segments() {
    let mut cfg = Config::rfc9293();
    cfg.mss = 1200;
    let (_, syn) = Peer::connecting(cfg);
    assert_eq!((syn.flags, syn.mss), (Flags::SYN, Some(1200)));

    let mut p = Peer::established(cfg, u16::MAX, Some(2000));
    let (_, out) = p.send(&[2; 2000]);
    assert_eq!(shape(&out), [(ours(1), A, 1200), (ours(1201), ap(), 800)]);

    let mut p = Peer::established(cfg, u16::MAX, Some(500));
    let (_, out) = p.send(&[2; 600]);
    assert_eq!(shape(&out), [(ours(1), A, 500), (ours(501), ap(), 100)]);
}

/// RFC 9293 §3.8.6.1 MUST-67: a zero window is probed with one octet, and probing goes on while the
/// peer answers.
#[test]
fn zero_window_is_probed_without_giving_up() {
    let mut p = Peer::established(Config::rfc9293(), 0, None);
    assert_eq!(p.conn.timer(Timer::Retransmit), None);
    let (n, out) = p.send(b"hello");
    assert_eq!((n, out.len()), (5, 0));
    assert_eq!(p.until_timer(), Duration::from_secs(1));
    for i in 0..20u32 {
        let wait = Duration::from_secs(1 << i.min(6)).min(Duration::from_secs(60));
        assert_eq!(p.until_timer(), wait, "before probe {i}");
        let out = p.advance(wait);
        assert_eq!(shape(&out), [(ours(1), A, 1)], "probe {i}");
        assert_eq!(out[0].payload, b"h");
        let out = p.deliver(&with_window(seg(theirs(1), ours(1), A, &[]), 0));
        assert!(out.is_empty(), "after probe {i}: {out:?}");
        assert_eq!(p.conn.snd_wnd(), 0);
    }
    assert_eq!(p.conn.state(), State::Established);
    assert_eq!(p.events(), []);
    // The window opens: the rest follows the probe octet.
    let out = p.deliver(&with_window(seg(theirs(1), ours(1), A, &[]), 100));
    assert_eq!(shape(&out), [(ours(2), ap(), 4)]);
    assert_eq!(out[0].payload, b"ello");
    assert_eq!(p.conn.snd_wnd(), 100);
}

/// RFC 9293 §3.8.3 R2: unanswered zero-window probes end in a timeout after max_retries.
#[test]
fn unanswered_probes_time_out() {
    let mut p = Peer::established(Config::rfc9293(), 0, None);
    p.send(b"hello");
    for i in 0..15u32 {
        let wait = Duration::from_secs(1 << i.min(6)).min(Duration::from_secs(60));
        assert_eq!(p.until_timer(), wait, "before probe {i}");
        let out = p.advance(wait);
        assert_eq!(shape(&out), [(ours(1), A, 1)], "probe {i}");
    }
    assert_eq!(p.events(), []);
    let out = p.advance(Duration::from_secs(60));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.state(), State::Closed);
    assert_eq!(p.events(), [Event::TimedOut]);
}

/// RFC 9293 §3.8.3 R2: duplicate ACKs under an open window answer no probe and do not reset the
/// retransmission count.
#[test]
fn duplicate_acks_do_not_reset_retries() {
    let mut p = Peer::established(Config::rfc9293(), 1000, None);
    p.send(&[6; 10]);
    for i in 0..15 {
        let wait = p.until_timer();
        let out = p.advance(wait);
        // The copy pushes the data again, as the first did (§3.9.1.2).
        assert_eq!(shape(&out), [(ours(1), ap(), 10)], "retransmission {i}");
        let out = p.deliver(&with_window(seg(theirs(1), ours(1), A, &[]), 1000));
        assert!(out.is_empty(), "{out:?}");
    }
    assert_eq!(p.events(), []);
    let wait = p.until_timer();
    assert!(p.advance(wait).is_empty());
    assert_eq!(p.conn.state(), State::Closed);
    assert_eq!(p.events(), [Event::TimedOut]);
}

/// RFC 9293 §3.10.7.4 fifth step: a segment older than SND.WL1 does not update SND.WND.
#[test]
fn older_segment_does_not_update_window() {
    let mut p = Peer::established(Config::rfc9293(), 1000, None);
    let out = p.deliver(&with_window(seg(theirs(1), ours(1), A, &[b'a'; 10]), 1000));
    assert_eq!(out.len(), 1);
    // A newer bare ACK moves SND.WL1 to theirs(11).
    let out = p.deliver(&with_window(seg(theirs(11), ours(1), A, &[]), 800));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.snd_wnd(), 800);
    // A reordered segment from theirs(6), partly new, offering window 0.
    let out = p.deliver(&with_window(seg(theirs(6), ours(1), A, &[b'b'; 10]), 0));
    assert_eq!(
        (out.len(), out[0].ack, out[0].window),
        (1, theirs(16), 65520)
    );
    assert_eq!(p.conn.snd_wnd(), 800);
    let (_, out) = p.send(&[3; 20]);
    assert_eq!(shape(&out), [(ours(1), ap(), 20)]);
}

/// RFC 9293 §3.10.7.4 fifth step: SND.WND is updated only if SND.UNA =< SEG.ACK, even from a newer
/// SEG.SEQ.
#[test]
fn old_ack_does_not_update_window() {
    let mut p = Peer::established(Config::rfc9293(), 1000, None);
    p.send(&[4; 100]);
    let out = p.deliver(&with_window(seg(theirs(1), ours(101), A, &[]), 1000));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.snd_una(), ours(101));
    // Newer SEG.SEQ, but SEG.ACK below SND.UNA (within MAX.SND.WND).
    let out = p.deliver(&with_window(seg(theirs(1), ours(51), A, &[b'x'; 10]), 0));
    assert_eq!((out.len(), out[0].ack), (1, theirs(11)));
    let out = p.deliver(&with_window(seg(theirs(11), ours(51), A, &[]), 0));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.snd_wnd(), 1000);
    let (_, out) = p.send(&[5; 10]);
    assert_eq!(shape(&out), [(ours(101), ap(), 10)]);
}

/// RFC 9293 §3.10.7.4 fifth step: with SND.WL1 = SEG.SEQ and SND.WL2 =< SEG.ACK the window is
/// updated.
#[test]
fn same_seq_newer_ack_updates_window() {
    let mut p = Peer::established(Config::rfc9293(), 1000, None);
    p.send(&[4; 100]);
    p.deliver(&with_window(seg(theirs(1), ours(51), A, &[]), 1000));
    let out = p.deliver(&with_window(seg(theirs(1), ours(51), A, &[]), 300));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.snd_wnd(), 300);
    let out = p.deliver(&with_window(seg(theirs(1), ours(101), A, &[]), 40));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.snd_wnd(), 40);
}

/// RFC 9293 §3.8.6.2.2: each ACK advertises the free receive window; a window update is sent only
/// once it reaches min(MSS, RCV.BUFF/2).
#[test]
fn receiver_sws_avoidance() {
    let mut p = Peer::established(with_rcv_wnd(100), u16::MAX, None);
    let out = p.deliver(&seg(theirs(1), ours(1), A, &[1; 40]));
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].seq, out[0].ack, out[0].window),
        (ours(1), theirs(41), 60)
    );
    let out = p.deliver(&seg(theirs(41), ours(1), A, &[2; 60]));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].ack, out[0].window), (theirs(101), 0));
    assert_eq!(p.events(), [Event::Data]);
    let (got, out) = p.recv(1);
    assert_eq!((got.len(), out.len()), (1, 0));
    let (got, out) = p.recv(48);
    assert_eq!((got.len(), out.len()), (48, 0));
    assert_eq!(p.conn.rcv_wnd(), 49);
    let (got, out) = p.recv(1);
    assert_eq!(got.len(), 1);
    assert_eq!(shape(&out), [(ours(1), A, 0)]);
    assert_eq!((out[0].ack, out[0].window), (theirs(101), 50));
    let (got, out) = p.recv(10);
    assert_eq!((got.len(), out.len()), (10, 0));
    assert_eq!(p.conn.rcv_wnd(), 60);
}

/// RFC 9293 §3.8.6.2.2 with §3.10.7.4 seventh step: in CLOSE-WAIT no more text can come, so no
/// window update is sent.
#[test]
fn no_window_update_in_close_wait() {
    let mut p = Peer::established(with_rcv_wnd(100), u16::MAX, None);
    let out = p.deliver(&seg(theirs(1), ours(1), A | Flags::FIN, &[1; 100]));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].ack, out[0].window), (theirs(102), 0));
    assert_eq!(p.conn.state(), State::CloseWait);
    let (got, out) = p.recv(60);
    assert_eq!((got.len(), out.len()), (60, 0));
}

/// RFC 9293 §3.10.7.4 Table 6: with RCV.WND = 0 a bare ACK is acceptable only at SEG.SEQ = RCV.NXT.
#[test]
fn zero_window_accepts_bare_ack_at_rcv_nxt_only() {
    let mut p = Peer::established(with_rcv_wnd(10), u16::MAX, None);
    p.send(b"12345");
    let out = p.deliver(&seg(theirs(1), ours(1), A, &[9; 10]));
    assert_eq!((out[0].ack, out[0].window), (theirs(11), 0));
    // RCV.NXT+1: not acceptable, answered, its ACK not processed.
    let out = p.deliver(&seg(theirs(12), ours(6), A, &[]));
    assert_eq!(shape(&out), [(ours(6), A, 0)]);
    assert_eq!((out[0].ack, out[0].window), (theirs(11), 0));
    assert_eq!(p.conn.send_queue_len(), 5);
    assert!(p.conn.timer(Timer::Retransmit).is_some());
    // RCV.NXT: accepted silently, its ACK processed.
    let out = p.deliver(&seg(theirs(11), ours(6), A, &[]));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.send_queue_len(), 0);
    assert_eq!(p.conn.timer(Timer::Retransmit), None);
}

/// RFC 9293 §3.10.7.4 first step: with RCV.WND = 0, text at RCV.NXT is dropped but the segment's
/// ACK is processed.
#[test]
fn zero_window_text_dropped_ack_processed() {
    let mut p = Peer::established(with_rcv_wnd(10), u16::MAX, None);
    p.send(b"12345");
    p.deliver(&seg(theirs(1), ours(1), A, &[9; 10]));
    let out = p.deliver(&seg(theirs(11), ours(6), A, b"more"));
    assert_eq!(shape(&out), [(ours(6), A, 0)]);
    assert_eq!((out[0].ack, out[0].window), (theirs(11), 0));
    assert_eq!(p.conn.rcv_nxt(), theirs(11));
    assert_eq!(p.conn.recv_queue_len(), 10);
    assert_eq!(p.conn.send_queue_len(), 0);
    assert_eq!(p.conn.timer(Timer::Retransmit), None);
}
