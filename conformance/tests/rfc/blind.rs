//! RFC 5961's defences against blind attacks as they reach beyond the model
//! (its challenge-ACK rate limit, the ACK range of §5), SYN handling in a
//! passive SYN-RECEIVED, and RFC 9293 MAY-2 (a SYN reopening TIME-WAIT),
//! which the model leaves off.

use std::time::Duration;

use synfin_tcp::conn::{Config, State};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

use crate::peer::*;

/// The challenge ACK of RFC 5961: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`.
fn is_challenge(out: &[Segment], snd_nxt: SeqNum, rcv_nxt: SeqNum) -> bool {
    matches!(out, [a] if a.flags == Flags::ACK
        && (a.seq, a.ack) == (snd_nxt, rcv_nxt)
        && a.payload.is_empty())
}

/// RFC 5961 §7: at most `challenge_ack_limit` (10) challenge ACKs in each
/// `challenge_ack_interval` (5 s); in-window RSTs and SYNs share the budget,
/// and a new interval starts once the old one has fully passed.
#[test]
fn challenge_acks_are_rate_limited() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let start = p.now;
    let rst = seg(theirs(6), ours(1), Flags::RST, &[]);
    let syn = seg(theirs(3), ours(0), Flags::SYN, &[]);
    let mut answered = 0;
    for i in 0..12 {
        let out = p.deliver(if i % 2 == 0 { &rst } else { &syn });
        if is_challenge(&out, ours(1), theirs(1)) {
            answered += 1;
        } else {
            assert!(out.is_empty(), "beyond the limit, silence: {out:?}");
        }
    }
    assert_eq!(answered, 10);
    assert_eq!(p.conn.state(), State::Established, "neither reset it");
    assert_eq!(p.conn.challenge_state(), (Some(start), 10));
    assert!(p.advance(Duration::from_micros(4_999_999)).is_empty());
    assert!(p.deliver(&rst).is_empty(), "still the first interval");
    p.advance(Duration::from_micros(1));
    assert!(is_challenge(&p.deliver(&rst), ours(1), theirs(1)));
    assert_eq!(
        p.conn.challenge_state(),
        (Some(start + Duration::from_secs(5)), 1)
    );
    assert!(p.events().is_empty());
}

/// RFC 5961 §5.2 (RFC 9293 MAY-12): an ACK is acceptable only within
/// `SND.UNA − MAX.SND.WND =< SEG.ACK =< SND.NXT`; an older one is answered
/// with an ACK and dropped, its data unread.
#[test]
fn acks_older_than_the_largest_window_are_challenged() {
    let mut p = Peer::established(Config::rfc9293(), 100, None);
    let (_, out) = p.send(&[1; 100]);
    assert_eq!(out.len(), 1);
    p.deliver(&with_window(
        seg(theirs(1), ours(101), Flags::ACK, &[]),
        100,
    ));
    // SND.UNA = ISS + 101, MAX.SND.WND = 100: ISS + 1 is the oldest ACK
    // still acceptable; a duplicate needs no reply and its data is taken.
    let out = p.deliver(&seg(theirs(1), ours(1), Flags::ACK, b"ab"));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].ack, p.conn.recv_queue_len()), (theirs(3), 2));
    let out = p.deliver(&seg(theirs(3), ours(0), Flags::ACK, b"cd"));
    assert!(is_challenge(&out, ours(101), theirs(3)), "{out:?}");
    assert_eq!(p.conn.recv_queue_len(), 2, "the text of a dropped segment");
    // The legacy profile has no such check: the old ACK is a duplicate.
    let mut p = Peer::established(Config::rfc793(), 100, None);
    p.send(&[1; 100]);
    p.deliver(&with_window(
        seg(theirs(1), ours(101), Flags::ACK, &[]),
        100,
    ));
    p.deliver(&seg(theirs(1), ours(0), Flags::ACK, b"cd"));
    assert_eq!(p.conn.recv_queue_len(), 2);
}

/// RFC 9293 §3.10.7.4, fourth step: a SYN reaching a SYN-RECEIVED that
/// came from a passive OPEN returns it to LISTEN, whatever its sequence
/// number; the listener then takes the next SYN.
#[test]
fn a_syn_in_passive_syn_received_returns_to_listen() {
    let mut p = Peer::listening(Config::rfc9293());
    assert_eq!(
        p.deliver(&seg(theirs(0), ours(0), Flags::SYN, &[])).len(),
        1
    );
    assert_eq!(p.conn.state(), State::SynReceived);
    let out = p.deliver(&seg(theirs(1), ours(0), Flags::SYN, &[]));
    assert!(out.is_empty(), "{out:?}");
    assert_eq!(p.conn.state(), State::Listen);
    assert_eq!(
        p.conn.poll_timeout(),
        None,
        "the SYN,ACK is no longer resent"
    );
    let out = p.deliver(&seg(theirs(100), ours(0), Flags::SYN, &[]));
    assert_eq!((p.conn.state(), out.len()), (State::SynReceived, 1));
    assert_eq!(out[0].ack, theirs(101));
}

/// RFC 9293 §3.6.1 MAY-2: in TIME-WAIT, only a SYN (no ACK, no RST) whose
/// sequence number is above RCV.NXT may reopen the connection, and only
/// where the option is on.
#[test]
fn only_a_newer_syn_may_reopen_time_wait() {
    let reopen = Config {
        time_wait_reopen: true,
        ..Config::rfc9293()
    };
    let mut p = Peer::time_wait(reopen, &[]);
    let rcv_nxt = theirs(2);
    let syn = |seq: SeqNum, flags: Flags| seg(seq, SeqNum(0), flags, &[]);
    assert!(p.conn.may_reopen(&syn(rcv_nxt.add(1), Flags::SYN)));
    assert!(p.conn.may_reopen(&syn(rcv_nxt.add(1 << 30), Flags::SYN)));
    assert!(!p.conn.may_reopen(&syn(rcv_nxt, Flags::SYN)));
    assert!(!p.conn.may_reopen(&syn(rcv_nxt.sub(1), Flags::SYN)));
    assert!(!p
        .conn
        .may_reopen(&syn(rcv_nxt.add(1), Flags::SYN | Flags::ACK)));
    assert!(!p
        .conn
        .may_reopen(&syn(rcv_nxt.add(1), Flags::SYN | Flags::RST)));
    assert!(!p.conn.may_reopen(&syn(rcv_nxt.add(1), Flags::ACK)));
    let off = Peer::time_wait(Config::rfc9293(), &[]);
    assert!(!off.conn.may_reopen(&syn(rcv_nxt.add(1), Flags::SYN)));
    let open = Peer::established(reopen, u16::MAX, None);
    assert!(!open.conn.may_reopen(&syn(rcv_nxt.add(1), Flags::SYN)));
    // Without the reopen the SYN is what §3.10.7.4 says for TIME-WAIT.
    let out = p.deliver(&syn(rcv_nxt.add(1), Flags::SYN));
    assert_eq!(p.conn.state(), State::TimeWait);
    assert!(is_challenge(&out, ours(2), rcv_nxt), "{out:?}");
}
