//! SEGMENT ARRIVES in the states after SYN-SENT (RFC 9293 §3.10.7.4): every
//! state × the segment kinds the steps distinguish (sequence check, RST,
//! SYN, ACK, text, FIN), under the RFC 9293 profile (RFC 5961, RFC 1337) and
//! the legacy RFC 793 one.

mod common;

use common::*;
use synfin_tcp::conn::{Config, Event, State};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

type Fixture = fn(Config) -> Sock;

/// Every state §3.10.7.4 covers, built under `config`.
const STATES: [(&str, Fixture); 9] = [
    ("SYN-RECEIVED (passive)", socket_syn_received_with),
    ("SYN-RECEIVED (active)", socket_syn_received_active_with),
    ("ESTABLISHED", socket_established_with),
    ("FIN-WAIT-1", socket_fin_wait_1_with),
    ("FIN-WAIT-2", socket_fin_wait_2_with),
    ("CLOSE-WAIT", socket_close_wait_with),
    ("CLOSING", socket_closing_with),
    ("LAST-ACK", socket_last_ack_with),
    ("TIME-WAIT", socket_time_wait_with),
];

/// The reply to an unacceptable segment in `s`'s state: our SYN,ACK again in
/// SYN-RECEIVED, else `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`.
/// RFC 9293 §3.10.7.4 first step: `<SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>`,
/// SYN-RECEIVED included.
fn dup_ack(s: &Sock) -> Segment {
    ack_out(s.c.snd_nxt(), s.c.rcv_nxt())
}

// ------------------------------------------------- first: sequence number

#[test]
fn unacceptable_segment_is_acked_and_dropped_in_every_state() {
    for cfg in [config(), rfc793()] {
        for (name, fixture) in STATES {
            let mut s = fixture(cfg);
            let state = s.state();
            let (rcv_nxt, snd_nxt) = (s.c.rcv_nxt(), s.c.snd_nxt());
            // Data entirely beyond the window.
            let far = rcv_nxt.add(u32::from(WINDOW) + 10);
            send!(
                s,
                Segment {
                    payload: b"late".to_vec(),
                    ..seg(Flags::ACK, far, snd_nxt)
                }
            );
            let expected = dup_ack(&s);
            recv!(s, [expected]);
            assert_eq!(s.state(), state, "{name}");
            assert_eq!(s.c.rcv_nxt(), rcv_nxt, "{name}");
            assert_eq!(s.events(), [], "{name}");
        }
    }
}

#[test]
fn old_duplicate_data_is_acked() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"old".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ.sub(3), LOCAL_SEQ)
        }
    );
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.c.recv_queue_len(), 0);
}

#[test]
fn unacceptable_rst_is_dropped_silently_in_every_state() {
    for cfg in [config(), rfc793()] {
        for (name, fixture) in STATES {
            let mut s = fixture(cfg);
            let state = s.state();
            let far = s.c.rcv_nxt().add(u32::from(WINDOW) + 1);
            send!(s, seg(Flags::RST, far, SeqNum(0)));
            send!(
                s,
                seg(Flags::RST | Flags::ACK, s.c.rcv_nxt().sub(1), s.c.snd_nxt())
            );
            recv!(s, nothing);
            assert_eq!(s.state(), state, "{name}");
            assert_eq!(s.events(), [], "{name}");
        }
    }
}

#[test]
fn table_6_zero_length_segment_at_window_edge() {
    let mut s = socket_established();
    // RCV.NXT+RCV.WND is just outside the window.
    let edge = REMOTE_SEQ.add(u32::from(WINDOW));
    send!(s, seg(Flags::ACK, edge, LOCAL_SEQ));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    // One below the edge is inside: a bare ACK there is accepted silently.
    send!(s, seg(Flags::ACK, edge.sub(1), LOCAL_SEQ));
    recv!(s, nothing);
}

#[test]
fn table_6_segment_straddling_rcv_nxt_is_trimmed() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"abcdef".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ.sub(2), LOCAL_SEQ)
        }
    );
    recv!(
        s,
        [Segment {
            window: WINDOW - 4,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(4))
        }]
    );
    let mut buf = [0; 8];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"cdef");
}

#[test]
fn table_6_zero_window() {
    let cfg = Config {
        rcv_wnd: 4,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    send!(
        s,
        Segment {
            payload: b"full".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    let full = REMOTE_SEQ.add(4);
    recv!(
        s,
        [Segment {
            window: 0,
            ..ack_out(LOCAL_SEQ, full)
        }]
    );
    assert_eq!(s.c.rcv_wnd(), 0);
    // SEG.LEN > 0 with RCV.WND = 0: not acceptable for its text, but a
    // segment at RCV.NXT is kept for its ACK (the window update is taken).
    send!(
        s,
        Segment {
            window: 100,
            payload: b"x".to_vec(),
            ..seg(Flags::ACK, full, LOCAL_SEQ)
        }
    );
    recv!(
        s,
        [Segment {
            window: 0,
            ..ack_out(LOCAL_SEQ, full)
        }]
    );
    assert_eq!(s.c.snd_wnd(), 100);
    assert_eq!(s.c.rcv_nxt(), full);
    // SEG.LEN = 0, RCV.WND = 0: only SEG.SEQ = RCV.NXT is acceptable.
    send!(s, seg(Flags::ACK, full.add(1), LOCAL_SEQ));
    recv!(
        s,
        [Segment {
            window: 0,
            ..ack_out(LOCAL_SEQ, full)
        }]
    );
    // Reading opens the window and sends a window update.
    let mut buf = [0; 4];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(4));
    recv!(
        s,
        [Segment {
            window: 4,
            ..ack_out(LOCAL_SEQ, full)
        }]
    );
}

// ------------------------------------------------------------ second: RST

/// What an exact RST (`SEG.SEQ = RCV.NXT`) does in each state.
fn rst_outcome(name: &str, rfc1337: bool) -> (State, Option<Event>) {
    match name {
        "SYN-RECEIVED (passive)" => (State::Listen, None),
        "SYN-RECEIVED (active)" => (State::Closed, Some(Event::Refused)),
        "TIME-WAIT" if rfc1337 => (State::TimeWait, None),
        "TIME-WAIT" => (State::Closed, Some(Event::Closed)),
        _ => (State::Closed, Some(Event::Reset)),
    }
}

#[test]
fn exact_rst_in_every_state() {
    for cfg in [config(), rfc793()] {
        for (name, fixture) in STATES {
            let mut s = fixture(cfg);
            send!(s, seg(Flags::RST, s.c.rcv_nxt(), SeqNum(0)));
            recv!(s, nothing);
            let (state, event) = rst_outcome(name, cfg.rfc1337);
            assert_eq!(s.state(), state, "{name} rfc1337={}", cfg.rfc1337);
            assert_eq!(s.events(), event.into_iter().collect::<Vec<_>>(), "{name}");
            if state == State::Closed {
                assert_eq!(s.c.poll_timeout(), None, "{name}: timers stopped");
                assert_eq!(s.c.send_queue_len(), 0, "{name}: queues flushed");
            }
        }
    }
}

#[test]
fn in_window_rst_not_exact_draws_challenge_ack_under_rfc5961() {
    for (name, fixture) in STATES {
        let mut s = fixture(config());
        let state = s.state();
        send!(s, seg(Flags::RST, s.c.rcv_nxt().add(10), SeqNum(0)));
        if state == State::TimeWait {
            // RFC 1337 F1 comes first: every RST is ignored.
            recv!(s, nothing);
        } else {
            let challenge = ack_out(s.c.snd_nxt(), s.c.rcv_nxt());
            recv!(s, [challenge]);
        }
        assert_eq!(s.state(), state, "{name}");
        assert_eq!(s.events(), [], "{name}");
    }
}

#[test]
fn in_window_rst_not_exact_resets_under_rfc793() {
    for (name, fixture) in STATES {
        let mut s = fixture(rfc793());
        send!(s, seg(Flags::RST, s.c.rcv_nxt().add(10), SeqNum(0)));
        recv!(s, nothing);
        let (state, event) = rst_outcome(name, false);
        assert_eq!(s.state(), state, "{name}");
        assert_eq!(s.events(), event.into_iter().collect::<Vec<_>>(), "{name}");
    }
}

#[test]
fn rst_in_time_wait_ignored_with_rfc1337_accepted_without() {
    let mut on = socket_time_wait();
    send!(on, seg(Flags::RST, REMOTE_SEQ.add(1), SeqNum(0)));
    recv!(on, nothing);
    assert_eq!(on.state(), State::TimeWait);
    assert!(on.c.poll_timeout().is_some());

    let off_cfg = Config {
        rfc1337: false,
        ..config()
    };
    let mut off = socket_time_wait_with(off_cfg);
    send!(off, seg(Flags::RST, REMOTE_SEQ.add(1), SeqNum(0)));
    recv!(off, nothing);
    assert_eq!(off.state(), State::Closed);
    off.expect_events(&[Event::Closed]);
    assert_eq!(off.c.poll_timeout(), None);
}

#[test]
fn challenge_acks_are_rate_limited() {
    let cfg = Config {
        challenge_ack_limit: 3,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    let bad_rst = seg(Flags::RST, REMOTE_SEQ.add(100), SeqNum(0));
    for _ in 0..5 {
        send!(s, bad_rst.clone());
    }
    recv!(
        s,
        [
            ack_out(LOCAL_SEQ, REMOTE_SEQ),
            ack_out(LOCAL_SEQ, REMOTE_SEQ),
            ack_out(LOCAL_SEQ, REMOTE_SEQ)
        ]
    );
    // SYN challenges share the budget.
    send!(s, seg(Flags::SYN, REMOTE_SEQ, SeqNum(0)));
    recv!(s, nothing);
    // A new interval opens the budget again.
    s.advance_to(s.now + cfg.challenge_ack_interval);
    send!(s, bad_rst);
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::Established);
}

// ------------------------------------------------------------ fourth: SYN

#[test]
fn syn_in_synchronized_state_draws_challenge_ack_under_rfc5961() {
    for (name, fixture) in STATES {
        let mut s = fixture(config());
        let state = s.state();
        if name == "SYN-RECEIVED (passive)" {
            continue;
        }
        // In the window (`SEG.SEQ = RCV.NXT`) and, with ACK, anywhere.
        send!(s, seg(Flags::SYN, s.c.rcv_nxt(), SeqNum(0)));
        let challenge = ack_out(s.c.snd_nxt(), s.c.rcv_nxt());
        recv!(s, [challenge]);
        assert_eq!(s.state(), state, "{name}");
        assert_eq!(s.events(), [], "{name}");
    }
}

#[test]
fn syn_in_passive_syn_received_returns_to_listen() {
    for cfg in [config(), rfc793()] {
        let mut s = socket_syn_received_with(cfg);
        send!(s, seg(Flags::SYN, REMOTE_SEQ.add(5), SeqNum(0)));
        recv!(s, nothing);
        assert_eq!(s.state(), State::Listen);
        assert_eq!(s.events(), []);
        assert_eq!(s.c.poll_timeout(), None, "the SYN,ACK timer is gone");
        // The listener works again.
        send!(s, seg(Flags::SYN, SeqNum(777), SeqNum(0)));
        recv!(s, [out(Flags::SYN | Flags::ACK, LOCAL_ISS, SeqNum(778))]);
        assert_eq!(s.state(), State::SynReceived);
    }
}

#[test]
fn in_window_syn_resets_under_rfc793() {
    for (name, fixture) in STATES {
        if name == "SYN-RECEIVED (passive)" {
            continue;
        }
        let mut s = fixture(rfc793());
        let rcv_nxt = s.c.rcv_nxt();
        send!(s, seg(Flags::SYN, rcv_nxt, SeqNum(0)));
        // §3.5.2 reset for an ACK-less segment: <SEQ=0><ACK=SEG.SEQ+SEG.LEN>.
        recv!(
            s,
            [Segment {
                flags: Flags::RST | Flags::ACK,
                seq: SeqNum(0),
                ack: rcv_nxt.add(1),
                window: 0,
                ..RECV_TEMPLATE
            }]
        );
        assert_eq!(s.state(), State::Closed, "{name}");
        let event = if name.starts_with("SYN-RECEIVED") {
            Event::Refused
        } else {
            Event::Reset
        };
        assert_eq!(s.events(), [event], "{name}");
    }
}

#[test]
fn out_of_window_syn_is_acked_under_rfc793() {
    let mut s = socket_established_with(rfc793());
    send!(s, seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::Established);
}

#[test]
fn retransmitted_syn_ack_in_established_is_reacked() {
    // Our handshake ACK was lost: the peer's SYN,ACK comes again.
    let mut s = socket_established();
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::Established);
}

// ------------------------------------------------------------ fifth: ACK

#[test]
fn segment_without_ack_is_dropped_in_every_state() {
    for (name, fixture) in STATES {
        let mut s = fixture(config());
        let state = s.state();
        let rcv_nxt = s.c.rcv_nxt();
        send!(
            s,
            Segment {
                payload: b"noack".to_vec(),
                ..seg(Flags::PSH, rcv_nxt, SeqNum(0))
            }
        );
        recv!(s, nothing);
        assert_eq!(s.state(), state, "{name}");
        assert_eq!(s.c.rcv_nxt(), rcv_nxt, "{name}");
        assert_eq!(s.events(), [], "{name}");
    }
}

#[test]
fn ack_of_unsent_data_is_acked_and_dropped() {
    for cfg in [config(), rfc793()] {
        let mut s = socket_established_with(cfg);
        send!(
            s,
            Segment {
                payload: b"d".to_vec(),
                ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(50))
            }
        );
        recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
        assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ, "the text was dropped too");
        assert_eq!(s.c.snd_una(), LOCAL_SEQ);
    }
}

#[test]
fn ack_processing_advances_snd_una_and_ignores_duplicates() {
    let mut s = socket_established();
    assert_eq!(s.c.send(s.now, b"0123456789"), Ok(10));
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH,
            payload: b"0123456789".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
    assert_eq!(s.c.snd_nxt(), LOCAL_SEQ.add(10));
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(4)));
    assert_eq!(s.c.snd_una(), LOCAL_SEQ.add(4));
    assert_eq!(s.c.send_queue_len(), 6);
    // A duplicate ACK is ignored.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(2)));
    assert_eq!(s.c.snd_una(), LOCAL_SEQ.add(4));
    recv!(s, nothing);
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(10)));
    assert_eq!(s.c.send_queue_len(), 0);
    assert_eq!(s.c.poll_timeout(), None, "nothing outstanding: timer off");
}

#[test]
fn window_update_follows_wl1_wl2() {
    let mut s = socket_established();
    assert_eq!(s.c.snd_wnd(), 8192);
    // A newer segment (SEG.SEQ > WL1) updates the window.
    send!(
        s,
        Segment {
            window: 100,
            payload: b"a".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.c.snd_wnd(), 100);
    s.drain();
    // An older one (SEG.SEQ < WL1, re-ordered) does not.
    send!(
        s,
        Segment {
            window: 5000,
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.c.snd_wnd(), 100);
}

#[test]
fn rfc5961_ack_range_check() {
    // SEG.ACK below SND.UNA - MAX.SND.WND: challenge ACK, segment dropped.
    let mut s = socket_established();
    let too_old = LOCAL_SEQ.sub(8192 + 1);
    send!(
        s,
        Segment {
            payload: b"inject".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, too_old)
        }
    );
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ, "the text was not taken");
    // Just inside the range is a duplicate ACK: the text is taken.
    send!(
        s,
        Segment {
            payload: b"ok".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.sub(8192))
        }
    );
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(2));
    // Without RFC 5961 the old ACK is ignored and the text taken.
    let mut s = socket_established_with(rfc793());
    send!(
        s,
        Segment {
            payload: b"inject".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, too_old)
        }
    );
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(6));
}

#[test]
fn fin_wait_1_ack_of_fin_enters_fin_wait_2() {
    let mut s = socket_fin_wait_1();
    // An ACK short of our FIN leaves FIN-WAIT-1.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    assert_eq!(s.state(), State::FinWait1);
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::FinWait2);
    assert_eq!(s.c.poll_timeout(), None, "FIN acknowledged: timer off");
}

#[test]
fn closing_ack_of_fin_enters_time_wait() {
    let mut s = socket_closing();
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(1), LOCAL_SEQ.add(1)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::TimeWait);
    assert_eq!(s.c.poll_timeout(), Some(s.now + two_msl()));
}

#[test]
fn last_ack_ack_of_fin_closes() {
    let mut s = socket_last_ack();
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(1), LOCAL_SEQ));
    assert_eq!(s.state(), State::LastAck, "FIN not yet acknowledged");
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(1), LOCAL_SEQ.add(1)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::Closed]);
    assert_eq!(s.c.poll_timeout(), None);
}

#[test]
fn time_wait_bare_ack_changes_nothing() {
    let mut s = socket_time_wait();
    let expiry = s.c.poll_timeout();
    s.advance_to(secs(20));
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(1), LOCAL_SEQ.add(1)));
    recv!(s, nothing);
    assert_eq!(s.state(), State::TimeWait);
    assert_eq!(s.c.poll_timeout(), expiry);
}

// ------------------------------------------------------------ sixth: URG

#[test]
fn urgent_pointer_is_ignored_text_delivered() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"u".to_vec(),
            ..seg(Flags::ACK | Flags::URG, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(1));
    s.expect_events(&[Event::Data]);
}

// ------------------------------------------------------------ seventh: text

#[test]
fn data_event_is_edge_triggered_on_an_empty_receive_buffer() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"abc".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    s.drain();
    // More text while "abc" is still unread: readable already, no new event.
    send!(
        s,
        Segment {
            payload: b"def".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ.add(3), LOCAL_SEQ)
        }
    );
    s.expect_events(&[]);
    let mut buf = [0; 6];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(6));
    assert_eq!(&buf, b"abcdef");
}

#[test]
fn text_is_taken_in_established_fin_wait_1_and_fin_wait_2() {
    for fixture in [
        socket_established as fn() -> Sock,
        socket_fin_wait_1,
        socket_fin_wait_2,
    ] {
        let mut s = fixture();
        let state = s.state();
        send!(
            s,
            Segment {
                payload: b"abc".to_vec(),
                ..seg(Flags::ACK, REMOTE_SEQ, s.c.snd_una())
            }
        );
        let ack = Segment {
            window: WINDOW - 3,
            ..ack_out(s.c.snd_nxt(), REMOTE_SEQ.add(3))
        };
        recv!(s, [ack]);
        assert_eq!(s.state(), state);
        s.expect_events(&[Event::Data]);
        let mut buf = [0; 3];
        assert_eq!(s.c.recv(s.now, &mut buf), Ok(3));
        assert_eq!(&buf, b"abc");
    }
}

#[test]
fn text_is_ignored_after_the_peers_fin() {
    for fixture in [
        socket_close_wait as fn() -> Sock,
        socket_closing,
        socket_last_ack,
        socket_time_wait,
    ] {
        let mut s = fixture();
        let state = s.state();
        let rcv_nxt = s.c.rcv_nxt();
        send!(
            s,
            Segment {
                payload: b"after fin".to_vec(),
                ..seg(Flags::ACK, rcv_nxt, s.c.snd_una())
            }
        );
        assert_eq!(s.c.rcv_nxt(), rcv_nxt, "{state}");
        assert_eq!(s.c.recv_queue_len(), 0, "{state}");
        assert_eq!(s.events(), [], "{state}");
    }
}

#[test]
fn out_of_order_text_is_acked_not_taken() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"later".to_vec(),
            ..seg(Flags::ACK | Flags::FIN, REMOTE_SEQ.add(10), LOCAL_SEQ)
        }
    );
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.c.recv_queue_len(), 0);
    assert_eq!(s.state(), State::Established, "the FIN after a gap waits");
    assert_eq!(s.events(), []);
}

#[test]
fn text_beyond_the_window_is_cut_and_its_fin_waits() {
    let cfg = Config {
        rcv_wnd: 4,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    send!(
        s,
        Segment {
            payload: b"abcdef".to_vec(),
            ..seg(Flags::ACK | Flags::FIN, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    recv!(
        s,
        [Segment {
            window: 0,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(4))
        }]
    );
    assert_eq!(s.state(), State::Established);
    assert!(!s.c.fin_received());
}

// ------------------------------------------------------------ eighth: FIN

#[test]
fn fin_in_established_enters_close_wait() {
    let s = socket_close_wait();
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(1));
    assert!(s.c.fin_received());
}

#[test]
fn fin_with_ack_of_our_fin_in_fin_wait_1_enters_time_wait() {
    // Figure 5 note 2: FIN-WAIT-1 straight to TIME-WAIT.
    let mut s = socket_fin_wait_1();
    send!(
        s,
        seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1))
    );
    recv!(s, [ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1))]);
    assert_eq!(s.state(), State::TimeWait);
    s.expect_events(&[Event::PeerClosed]);
    assert_eq!(s.c.poll_timeout(), Some(s.now + two_msl()));
}

#[test]
fn fin_in_fin_wait_1_without_ack_of_ours_enters_closing() {
    let s = socket_closing();
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(1));
    assert!(s.c.poll_timeout().is_some(), "our FIN is still timed");
}

#[test]
fn fin_in_fin_wait_2_enters_time_wait() {
    let s = socket_time_wait();
    assert_eq!(s.c.poll_timeout(), Some(secs(10) + two_msl()));
}

#[test]
fn fin_in_syn_received_enters_close_wait() {
    // A FIN riding on the handshake's final ACK.
    let mut s = socket_syn_received();
    send!(s, seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ.add(1))]);
    assert_eq!(s.state(), State::CloseWait);
    s.expect_events(&[Event::Connected, Event::PeerClosed]);
}

#[test]
fn retransmitted_fin_is_reacked_in_close_wait_closing_last_ack() {
    for fixture in [
        socket_close_wait as fn() -> Sock,
        socket_closing,
        socket_last_ack,
    ] {
        let mut s = fixture();
        let state = s.state();
        send!(s, seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, s.c.snd_una()));
        let ack = ack_out(s.c.snd_nxt(), REMOTE_SEQ.add(1));
        recv!(s, [ack]);
        assert_eq!(s.state(), state);
        assert_eq!(s.events(), [], "no second PeerClosed");
    }
}
