//! Opening: CLOSED, LISTEN and SYN-SENT segment arrival (RFC 9293
//! §3.10.7.1–§3.10.7.3), the three-way handshake, simultaneous open, and the
//! stale SYN,ACK of Figure 8.

mod common;

use common::*;
use synfin_tcp::conn::{listen_verdict, reset_for, Connection, Event, ListenVerdict, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

// ---------------------------------------------------------------- CLOSED

#[test]
fn closed_rst_is_dropped() {
    let mut s = socket_closed();
    send!(s, seg(Flags::RST, REMOTE_SEQ, SeqNum(0)));
    recv!(s, nothing);
}

#[test]
fn closed_ack_answered_with_rst_at_seg_ack() {
    let mut s = socket_closed();
    send!(s, seg(Flags::ACK, REMOTE_SEQ, SeqNum(777)));
    recv!(s, [rst_out(SeqNum(777))]);
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn closed_syn_answered_with_rst_ack() {
    let mut s = socket_closed();
    send!(
        s,
        Segment {
            flags: Flags::SYN,
            seq: SeqNum(9000),
            payload: b"ab".to_vec(),
            ..SEND_TEMPLATE
        }
    );
    // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>: SYN + 2 bytes.
    recv!(
        s,
        [Segment {
            flags: Flags::RST | Flags::ACK,
            seq: SeqNum(0),
            ack: SeqNum(9003),
            window: 0,
            ..RECV_TEMPLATE
        }]
    );
}

#[test]
fn reset_for_follows_section_3_10_7_1() {
    assert_eq!(
        reset_for(&seg(Flags::RST | Flags::ACK, SeqNum(1), SeqNum(2))),
        None
    );
    let r = reset_for(&seg(Flags::FIN, SeqNum(10), SeqNum(0))).unwrap();
    assert_eq!(
        (r.flags, r.seq, r.ack),
        (Flags::RST | Flags::ACK, SeqNum(0), SeqNum(11))
    );
    assert_eq!((r.src, r.dst), (LOCAL, REMOTE));
    let r = reset_for(&seg(Flags::ACK, SeqNum(10), SeqNum(42))).unwrap();
    assert_eq!((r.flags, r.seq), (Flags::RST, SeqNum(42)));
}

// ---------------------------------------------------------------- LISTEN

#[test]
fn listen_ignores_rst() {
    let mut s = socket_listen();
    send!(s, seg(Flags::RST, REMOTE_ISS, SeqNum(0)));
    send!(s, seg(Flags::RST | Flags::ACK, REMOTE_ISS, SeqNum(3)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Listen);
}

#[test]
fn listen_ack_answered_with_rst() {
    let mut s = socket_listen();
    send!(s, seg(Flags::ACK, REMOTE_ISS, SeqNum(1234)));
    recv!(s, [rst_out(SeqNum(1234))]);
    assert_eq!(s.state(), State::Listen);
    // A SYN,ACK is an ACK first (second step before third).
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, SeqNum(99)));
    recv!(s, [rst_out(SeqNum(99))]);
    assert_eq!(s.state(), State::Listen);
}

#[test]
fn listen_drops_other_segments() {
    let mut s = socket_listen();
    send!(s, seg(Flags::FIN, REMOTE_ISS, SeqNum(0)));
    send!(
        s,
        Segment {
            payload: b"data".to_vec(),
            ..seg(Flags::NONE, REMOTE_ISS, SeqNum(0))
        }
    );
    recv!(s, nothing);
    assert_eq!(s.state(), State::Listen);
    assert_eq!(s.events(), []);
}

#[test]
fn listen_syn_enters_syn_received() {
    let s = socket_syn_received();
    assert_eq!(s.c.irs(), REMOTE_ISS);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    assert_eq!(s.c.snd_una(), LOCAL_ISS);
    assert_eq!(s.c.snd_nxt(), LOCAL_SEQ);
    assert_eq!(s.c.remote(), REMOTE);
    assert_eq!(s.c.local(), LOCAL);
}

#[test]
fn listen_verdicts() {
    assert_eq!(
        listen_verdict(&seg(Flags::RST, SeqNum(1), SeqNum(0))),
        ListenVerdict::Ignore
    );
    assert_eq!(
        listen_verdict(&seg(Flags::SYN, SeqNum(1), SeqNum(0))),
        ListenVerdict::Syn
    );
    assert_eq!(
        listen_verdict(&seg(Flags::FIN, SeqNum(1), SeqNum(0))),
        ListenVerdict::Ignore
    );
    assert_eq!(
        listen_verdict(&seg(Flags::ACK, SeqNum(1), SeqNum(7))),
        ListenVerdict::Reset(rst_out(SeqNum(7)))
    );
}

#[test]
fn listen_on_wildcard_address_takes_the_local_address_of_the_syn() {
    let wildcard = std::net::SocketAddrV4::new(std::net::Ipv4Addr::UNSPECIFIED, LOCAL.port());
    let mut c = Connection::listen(config(), wildcard);
    c.handle_segment_with_isn(
        Instant::ZERO,
        &seg(Flags::SYN, REMOTE_ISS, SeqNum(0)),
        &mut FixedIsn(LOCAL_ISS),
    );
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(c.local(), LOCAL);
    assert_eq!(c.poll_transmit().unwrap().src, LOCAL);
}

/// Only an input that can select an ISS takes an ISN source: in LISTEN
/// that is `handle_segment_with_isn`. `handle_segment` cannot select one,
/// so a SYN in LISTEN is dropped there (as by a full backlog) while the
/// rest of §3.10.7.2 (ACK answered with a RST) still holds.
#[test]
fn listen_needs_an_isn_source_for_a_syn() {
    let mut c = Connection::listen(config(), LOCAL);
    c.handle_segment(Instant::ZERO, &seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    assert_eq!(c.state(), State::Listen);
    assert_eq!(c.poll_transmit(), None);
    c.handle_segment(Instant::ZERO, &seg(Flags::ACK, REMOTE_ISS, SeqNum(77)));
    assert_eq!(c.poll_transmit(), Some(rst_out(SeqNum(77))));
    c.handle_segment_with_isn(
        Instant::ZERO,
        &seg(Flags::SYN, REMOTE_ISS, SeqNum(0)),
        &mut FixedIsn(LOCAL_ISS),
    );
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(c.iss(), LOCAL_ISS);
}

#[test]
fn accept_builds_a_syn_received_connection() {
    let syn = seg(Flags::SYN, REMOTE_ISS, SeqNum(0));
    let mut c = Connection::accept(
        config(),
        Instant::ZERO,
        LOCAL,
        &syn,
        &mut FixedIsn(LOCAL_ISS),
    )
    .unwrap();
    assert_eq!(c.state(), State::SynReceived);
    assert_eq!(
        c.poll_transmit(),
        Some(out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ))
    );
    let ack = seg(Flags::ACK, REMOTE_ISS, SeqNum(1));
    assert!(Connection::accept(
        config(),
        Instant::ZERO,
        LOCAL,
        &ack,
        &mut FixedIsn(LOCAL_ISS)
    )
    .is_none());
}

// ---------------------------------------------------------------- handshake

#[test]
fn passive_handshake_completes_on_ack() {
    let mut s = socket_syn_received();
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Established);
    s.expect_events(&[Event::Connected]);
    assert_eq!(s.c.snd_una(), LOCAL_SEQ);
    assert_eq!(s.c.snd_wnd(), 8192);
    assert_eq!(s.c.poll_timeout(), None, "nothing outstanding");
}

#[test]
fn final_ack_may_carry_data() {
    let mut s = socket_syn_received();
    send!(
        s,
        Segment {
            payload: b"hello".to_vec(),
            ..seg(Flags::ACK | Flags::PSH, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    recv!(
        s,
        [Segment {
            window: WINDOW - 5,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(5))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data]);
    let mut buf = [0; 16];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(5));
    assert_eq!(&buf[..5], b"hello");
}

#[test]
fn syn_received_bad_ack_answered_with_rst_state_unchanged() {
    let mut s = socket_syn_received();
    send!(s, seg(Flags::ACK, REMOTE_SEQ, SeqNum(4242)));
    recv!(s, [rst_out(SeqNum(4242))]);
    assert_eq!(s.state(), State::SynReceived);
    // SEG.ACK = SND.UNA (does not cover our SYN) is not acceptable either.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_ISS));
    recv!(s, [rst_out(LOCAL_ISS)]);
    assert_eq!(s.state(), State::SynReceived);
}

#[test]
fn active_handshake() {
    let mut s = socket_syn_sent();
    assert_eq!(s.c.snd_una(), LOCAL_ISS);
    assert_eq!(s.c.snd_nxt(), LOCAL_SEQ);
    send!(
        s,
        Segment {
            mss: Some(1000),
            ..seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ)
        }
    );
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    s.expect_events(&[Event::Connected]);
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.irs(), REMOTE_ISS);
    assert_eq!(s.c.snd_una(), LOCAL_SEQ);
}

#[test]
fn syn_ack_with_data_and_fin_is_processed() {
    let mut s = socket_syn_sent();
    send!(
        s,
        Segment {
            payload: b"xy".to_vec(),
            ..seg(Flags::SYN | Flags::ACK | Flags::FIN, REMOTE_ISS, LOCAL_SEQ)
        }
    );
    recv!(
        s,
        [Segment {
            window: WINDOW - 2,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(3))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data, Event::PeerClosed]);
    assert_eq!(s.state(), State::CloseWait);
}

// ---------------------------------------------------------------- SYN-SENT

#[test]
fn syn_sent_stale_syn_ack_answered_with_rst_at_seg_ack() {
    // Figure 8: an old duplicate SYN,ACK acknowledges a SYN of an earlier
    // incarnation; SEG.ACK =< ISS, so <SEQ=SEG.ACK><CTL=RST> and stay.
    let mut s = socket_syn_sent();
    send!(s, seg(Flags::SYN | Flags::ACK, SeqNum(300), SeqNum(91)));
    recv!(s, [rst_out(SeqNum(91))]);
    assert_eq!(s.state(), State::SynSent);
    assert_eq!(s.events(), []);
    // SEG.ACK = ISS is also unacceptable, and so is SEG.ACK > SND.NXT.
    send!(s, seg(Flags::SYN | Flags::ACK, SeqNum(300), LOCAL_ISS));
    recv!(s, [rst_out(LOCAL_ISS)]);
    send!(s, seg(Flags::ACK, SeqNum(300), LOCAL_SEQ.add(1)));
    recv!(s, [rst_out(LOCAL_SEQ.add(1))]);
    assert_eq!(s.state(), State::SynSent);
    // The real SYN,ACK still completes the handshake.
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::Established);
}

#[test]
fn syn_sent_unacceptable_ack_with_rst_is_dropped() {
    let mut s = socket_syn_sent();
    send!(s, seg(Flags::RST | Flags::ACK, SeqNum(0), SeqNum(55)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::SynSent);
}

#[test]
fn syn_sent_rst_with_acceptable_ack_is_refused() {
    let mut s = socket_syn_sent();
    send!(s, seg(Flags::RST | Flags::ACK, SeqNum(0), LOCAL_SEQ));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::Refused]);
    assert_eq!(s.c.poll_timeout(), None);
}

#[test]
fn syn_sent_rst_without_ack_is_dropped() {
    let mut s = socket_syn_sent();
    send!(s, seg(Flags::RST, SeqNum(0), SeqNum(0)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::SynSent);
}

#[test]
fn syn_sent_drops_segments_without_syn_or_rst() {
    let mut s = socket_syn_sent();
    send!(s, seg(Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    send!(s, seg(Flags::FIN, REMOTE_ISS, SeqNum(0)));
    send!(
        s,
        Segment {
            payload: b"z".to_vec(),
            ..seg(Flags::NONE, REMOTE_ISS, SeqNum(0))
        }
    );
    recv!(s, nothing);
    assert_eq!(s.state(), State::SynSent);
}

// ---------------------------------------------------------- simultaneous open

#[test]
fn simultaneous_open_four_segments() {
    // Figure 7: both sides send a SYN; each answers the other's with a
    // SYN,ACK; each SYN,ACK completes the handshake. Four segments, no ACK.
    let mut s = socket_syn_received_active();
    assert_eq!(s.c.irs(), REMOTE_ISS);
    assert_eq!(s.c.snd_una(), LOCAL_ISS);
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Established);
    s.expect_events(&[Event::Connected]);
    assert_eq!(s.c.snd_una(), LOCAL_SEQ);
}

#[test]
fn simultaneous_open_completes_on_plain_ack_too() {
    let mut s = socket_syn_received_active();
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Established);
}

#[test]
fn two_connections_open_simultaneously() {
    // Both sides as `Connection`s, wired back to back.
    let a_addr = LOCAL;
    let b_addr = REMOTE;
    let mut a = Connection::connect(
        config(),
        Instant::ZERO,
        a_addr,
        b_addr,
        &mut FixedIsn(SeqNum(100)),
    )
    .unwrap();
    let mut b = Connection::connect(
        config(),
        Instant::ZERO,
        b_addr,
        a_addr,
        &mut FixedIsn(SeqNum(300)),
    )
    .unwrap();
    let syn_a = a.poll_transmit().unwrap();
    let syn_b = b.poll_transmit().unwrap();
    a.handle_segment(Instant::ZERO, &syn_b);
    b.handle_segment(Instant::ZERO, &syn_a);
    assert_eq!(
        (a.state(), b.state()),
        (State::SynReceived, State::SynReceived)
    );
    let synack_a = a.poll_transmit().unwrap();
    let synack_b = b.poll_transmit().unwrap();
    assert_eq!((synack_a.seq, synack_a.ack), (SeqNum(100), SeqNum(301)));
    assert_eq!((synack_b.seq, synack_b.ack), (SeqNum(300), SeqNum(101)));
    a.handle_segment(Instant::ZERO, &synack_b);
    b.handle_segment(Instant::ZERO, &synack_a);
    assert_eq!(
        (a.state(), b.state()),
        (State::Established, State::Established)
    );
    assert_eq!(a.poll_transmit(), None);
    assert_eq!(b.poll_transmit(), None);
}

#[test]
fn syn_received_retransmitted_syn_is_acked() {
    // RFC 9293 §3.10.7.4 first step: an unacceptable segment gets
    // <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>; the SYN,ACK is left to the timer.
    let mut s = socket_syn_received();
    send!(s, seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    recv!(s, [ack_out(LOCAL_ISS.add(1), REMOTE_SEQ)]);
    assert_eq!(s.state(), State::SynReceived);
}

#[test]
fn simultaneous_open_recovers_from_a_lost_syn_ack() {
    let mut a = Connection::connect(
        config(),
        Instant::ZERO,
        LOCAL,
        REMOTE,
        &mut FixedIsn(SeqNum(100)),
    )
    .unwrap();
    let mut b = Connection::connect(
        config(),
        Instant::ZERO,
        REMOTE,
        LOCAL,
        &mut FixedIsn(SeqNum(300)),
    )
    .unwrap();
    let syn_a = a.poll_transmit().unwrap();
    let syn_b = b.poll_transmit().unwrap();
    a.handle_segment(Instant::ZERO, &syn_b);
    b.handle_segment(Instant::ZERO, &syn_a);
    let synack_a = a.poll_transmit().unwrap();
    let _lost = b.poll_transmit().unwrap();
    b.handle_segment(Instant::ZERO, &synack_a);
    assert_eq!(
        (a.state(), b.state()),
        (State::SynReceived, State::Established)
    );
    // A's SYN,ACK timer fires; B, already ESTABLISHED, answers the old SYN
    // with an ACK, which completes A's handshake.
    let at = a.poll_timeout().unwrap();
    assert_eq!(at, Instant::from_secs(1));
    a.handle_timeout(at);
    let again = a.poll_transmit().unwrap();
    assert_eq!(
        (again.flags, again.seq),
        (Flags::SYN | Flags::ACK, SeqNum(100))
    );
    b.handle_segment(at, &again);
    let ack = b.poll_transmit().unwrap();
    assert_eq!(
        (ack.flags, ack.seq, ack.ack),
        (Flags::ACK, SeqNum(301), SeqNum(101))
    );
    a.handle_segment(at, &ack);
    assert_eq!(a.state(), State::Established);
    // The SYN,ACK was retransmitted: RFC 6298 (5.7) applies to A only.
    assert_eq!(a.rto(), std::time::Duration::from_secs(3));
    assert_eq!(b.rto(), std::time::Duration::from_secs(1));
}
