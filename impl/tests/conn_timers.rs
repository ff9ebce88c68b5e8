//! Timers (RFC 9293 §3.10.8): retransmission per RFC 6298 with backoff and
//! the SYN retry limit, asserted from `poll_timeout`; TIME-WAIT's 2·MSL and
//! its restart by a retransmitted FIN.

mod common;

use std::time::Duration;

use common::*;
use synfin_tcp::conn::{Backoff, Config, Connection, Event, State, Timer};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

// --------------------------------------------------- SYN retransmission

#[test]
fn syn_retransmission_schedule_1_2_4_8_seconds_then_timed_out() {
    let mut s = socket_syn_sent();
    let syn = out(Flags::SYN, LOCAL_ISS, SeqNum(0));
    // RTO 1 s, doubling per retry, capped at 60 s: the SYN goes again at
    // 1, 3, 7, 15, 31, 63 and 123 s (gaps 1, 2, 4, 8, 16, 32, 60).
    let mut last = secs(0);
    let mut gaps = Vec::new();
    for at in [1, 3, 7, 15, 31, 63, 123] {
        assert_eq!(s.c.poll_timeout(), Some(secs(at)));
        // Nothing happens just before the deadline.
        s.advance_to(Instant::from_micros(secs(at).as_micros() - 1));
        recv!(s, nothing);
        assert_eq!(s.fire(), secs(at));
        recv!(s, [syn.clone()]);
        assert_eq!(s.state(), State::SynSent);
        gaps.push(secs(at).saturating_duration_since(last).as_secs());
        last = secs(at);
    }
    assert_eq!(gaps, [1, 2, 4, 8, 16, 32, 60]);
    assert_eq!(s.c.retries(), 7);
    // The eighth expiry gives up: 183 s, over MUST-23's 3 minutes.
    assert_eq!(s.c.poll_timeout(), Some(secs(183)));
    s.fire();
    recv!(s, nothing);
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
    assert_eq!(s.c.poll_timeout(), None);
}

#[test]
fn syn_retry_limit_is_configurable() {
    let cfg = Config {
        syn_retries: 2,
        ..config()
    };
    let mut s = socket_syn_sent_with(cfg);
    assert_eq!(s.fire(), secs(1));
    assert_eq!(s.fire(), secs(3));
    s.drain();
    assert_eq!(s.fire(), secs(7));
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

#[test]
fn constant_backoff_resends_the_syn_every_rto_then_times_out() {
    // `Backoff::Constant` (not RFC 6298 (5.5)): the RTO stays at 1 s, so
    // the SYN goes again at 1, 2, 3 s and the open fails at 4 s.
    let cfg = Config {
        backoff: Backoff::Constant,
        syn_retries: 3,
        ..config()
    };
    let mut s = socket_syn_sent_with(cfg);
    let syn = w(&cfg, out(Flags::SYN, LOCAL_ISS, SeqNum(0)));
    for at in [1, 2, 3] {
        assert_eq!(s.c.poll_timeout(), Some(secs(at)));
        assert_eq!(s.fire(), secs(at));
        recv!(s, [syn.clone()]);
        assert_eq!(s.c.rto(), Duration::from_secs(1));
    }
    assert_eq!(s.fire(), secs(4));
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

#[test]
fn doubling_is_the_default_backoff() {
    assert_eq!(Config::default().backoff, Backoff::Doubling);
    assert_eq!(Config::rfc793().backoff, Backoff::Doubling);
    let mut s = socket_syn_sent();
    s.fire();
    s.drain();
    assert_eq!(s.c.rto(), Duration::from_secs(2));
}

#[test]
fn syn_ack_after_retransmission_sets_rto_to_3_seconds() {
    // RFC 6298 (5.7): the SYN was retransmitted, so once data transmission
    // begins the RTO is 3 s (and Karn: no RTT sample from the SYN).
    let mut s = socket_syn_sent();
    s.fire();
    s.drain();
    s.advance_to(millis(1500));
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    s.drain();
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rto(), Duration::from_secs(3));
    assert_eq!(s.c.send(s.now, b"x"), Ok(1));
    assert_eq!(s.c.poll_timeout(), Some(millis(4500)));
}

#[test]
fn rtt_sample_from_the_handshake_sets_rto_with_1_second_floor() {
    let mut s = socket_syn_sent();
    s.advance_to(millis(100));
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    s.drain();
    // SRTT 100 ms, RTTVAR 50 ms: RTO 300 ms, rounded up to 1 s (2.4).
    assert_eq!(s.c.rto(), Duration::from_secs(1));
    let cfg = Config {
        rto_min: Duration::from_millis(200),
        ..config()
    };
    let mut s = socket_syn_sent_with(cfg);
    s.advance_to(millis(100));
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    assert_eq!(s.c.rto(), Duration::from_millis(300));
}

#[test]
fn later_rtt_samples_smooth_srtt_and_rttvar() {
    let cfg = Config {
        rto_min: Duration::from_millis(10),
        ..config()
    };
    let mut s = socket_syn_sent_with(cfg);
    s.advance_to(millis(100));
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    // First sample (2.2): SRTT 100 ms, RTTVAR 50 ms, RTO 300 ms.
    assert_eq!(s.c.rto(), Duration::from_millis(300));
    s.c.send(s.now, b"x").unwrap();
    s.drain();
    s.advance_to(millis(350));
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    // Second sample R' = 250 ms (2.3): RTTVAR = 3/4 * 50 + 1/4 * |100 - 250|
    // = 75 ms, SRTT = 7/8 * 100 + 1/8 * 250 = 118.75 ms, RTO = SRTT + 4 *
    // RTTVAR = 418.75 ms.
    assert_eq!(s.c.rto(), Duration::from_micros(418_750));
}

#[test]
fn syn_ack_retransmitted_then_passive_syn_received_returns_to_listen() {
    let cfg = Config {
        syn_retries: 2,
        ..config()
    };
    let mut s = socket_syn_received_with(cfg);
    let synack = w(&cfg, out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ));
    assert_eq!(s.fire(), secs(1));
    recv!(s, [synack.clone()]);
    assert_eq!(s.fire(), secs(3));
    recv!(s, [synack]);
    assert_eq!(s.fire(), secs(7));
    recv!(s, nothing);
    assert_eq!(s.state(), State::Listen);
    assert_eq!(
        s.events(),
        [],
        "a half-open passive connection is forgotten"
    );
    assert_eq!(s.c.poll_timeout(), None);
}

#[test]
fn simultaneous_open_syn_ack_retransmission_times_out() {
    let cfg = Config {
        syn_retries: 1,
        ..config()
    };
    let mut s = socket_syn_received_active_with(cfg);
    assert_eq!(s.fire(), secs(1));
    recv!(s, [out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ)]);
    assert_eq!(s.fire(), secs(3));
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

// --------------------------------------------------- data retransmission

#[test]
fn data_retransmission_backs_off_and_gives_up() {
    let cfg = Config {
        max_retries: 3,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    assert_eq!(s.c.send(s.now, b"hello"), Ok(5));
    let data = Segment {
        flags: Flags::ACK | Flags::PSH,
        payload: b"hello".to_vec(),
        ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
    };
    recv!(s, [data.clone()]);
    // The copy pushes the data again, as the first did (§3.9.1.2).
    let again = data.clone();
    for at in [1, 3, 7] {
        assert_eq!(s.c.poll_timeout(), Some(secs(at)));
        s.fire();
        recv!(s, [again.clone()]);
    }
    assert_eq!(s.c.poll_timeout(), Some(secs(15)));
    s.fire();
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

#[test]
fn constant_backoff_resends_data_every_rto() {
    let cfg = Config {
        backoff: Backoff::Constant,
        max_retries: 3,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    assert_eq!(s.c.send(s.now, b"hi"), Ok(2));
    s.drain();
    for at in [1, 2, 3] {
        assert_eq!(s.fire(), secs(at));
        s.drain();
    }
    assert_eq!(s.c.retries(), 3);
    assert_eq!(s.c.poll_timeout(), Some(secs(4)));
    s.fire();
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

#[test]
fn new_ack_restarts_timer_and_ends_backoff_count() {
    let mut s = socket_established();
    s.c.send(s.now, b"ab").unwrap();
    s.drain();
    s.fire(); // t=1, RTO now 2 s
    s.drain();
    assert_eq!(s.c.retries(), 1);
    s.advance_to(millis(1500));
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    assert_eq!(s.c.retries(), 0);
    // One byte still outstanding: the timer restarts from now with the RTO
    // (Karn: no sample from a retransmitted segment, so still backed off).
    assert_eq!(s.c.poll_timeout(), Some(millis(3500)));
}

#[test]
fn fin_sent_alone_is_retransmitted_alone() {
    let mut s = socket_established();
    s.c.send(s.now, b"abc").unwrap();
    s.c.close(s.now).unwrap();
    recv!(
        s,
        [
            Segment {
                flags: Flags::ACK | Flags::PSH,
                payload: b"abc".to_vec(),
                ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
            },
            out(Flags::FIN | Flags::ACK, LOCAL_SEQ.add(3), REMOTE_SEQ)
        ]
    );
    // §3.10.8: the segment at the front of the queue goes again, as it was:
    // the data, without the FIN that followed it in a segment of its own.
    s.fire();
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH,
            payload: b"abc".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
    // Data acknowledged, FIN not: the FIN alone goes next.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(3)));
    s.fire();
    recv!(
        s,
        [out(Flags::FIN | Flags::ACK, LOCAL_SEQ.add(3), REMOTE_SEQ)]
    );
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(4)));
    assert_eq!(s.state(), State::FinWait2);
    assert_eq!(s.c.poll_timeout(), None);
}

#[test]
fn fin_sent_with_the_data_is_retransmitted_with_it() {
    // SEND and CLOSE queued in SYN-RECEIVED (§3.10.2, §3.10.4) go out
    // together once the handshake completes.
    let mut s = socket_syn_received();
    s.drain();
    s.c.send(s.now, b"abc").unwrap();
    s.c.close(s.now).unwrap();
    recv!(s, nothing);
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    let data_fin = Segment {
        flags: Flags::ACK | Flags::PSH | Flags::FIN,
        payload: b"abc".to_vec(),
        ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
    };
    recv!(s, [data_fin.clone()]);
    assert_eq!(s.state(), State::FinWait1);
    s.fire();
    recv!(s, [data_fin]);
}

#[test]
fn zero_window_is_probed() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            window: 0,
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.c.snd_wnd(), 0);
    s.c.send(s.now, b"blocked").unwrap();
    recv!(s, nothing);
    assert!(
        s.c.timer(Timer::Retransmit).is_some(),
        "persist timer armed"
    );
    s.fire();
    recv!(
        s,
        [Segment {
            payload: b"b".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
    // The window opens: the rest is sent.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    assert_eq!(s.c.snd_wnd(), 8192);
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH,
            payload: b"locked".to_vec(),
            ..ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ)
        }]
    );
}

#[test]
fn answered_window_probes_never_time_out() {
    // RFC 9293 §3.8.6.1 MUST-67: the peer keeps its window closed but
    // answers every probe; the connection stays open, probes back off to
    // the 60 s cap.
    let cfg = Config {
        max_retries: 3,
        ..config()
    };
    let mut s = socket_established_with(cfg);
    let zero = Segment {
        window: 0,
        ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
    };
    send!(s, zero.clone());
    s.c.send(s.now, b"wait").unwrap();
    let mut gaps = Vec::new();
    let mut last = s.now;
    for _ in 0..12 {
        let at = s.fire();
        gaps.push(at.saturating_duration_since(last).as_secs());
        last = at;
        recv!(
            s,
            [Segment {
                payload: b"w".to_vec(),
                ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
            }]
        );
        send!(s, zero.clone());
        recv!(s, nothing);
        assert_eq!(s.state(), State::Established);
    }
    assert_eq!(gaps, [1, 2, 4, 8, 16, 32, 60, 60, 60, 60, 60, 60]);
    // A silent peer, by contrast, is given up after `max_retries`.
    for _ in 0..=cfg.max_retries {
        s.fire();
    }
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::TimedOut]);
}

#[test]
fn segments_respect_peer_mss_and_window() {
    let mut s = socket_syn_sent();
    send!(
        s,
        Segment {
            mss: Some(4),
            window: 10,
            ..seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ)
        }
    );
    s.drain();
    s.c.send(s.now, b"abcdefghijklmno").unwrap();
    let got: Vec<Vec<u8>> = std::iter::from_fn(|| s.c.poll_transmit())
        .map(|g| g.payload)
        .collect();
    assert_eq!(got, [b"abcd".to_vec(), b"efgh".to_vec(), b"ij".to_vec()]);
    assert_eq!(s.c.snd_nxt(), LOCAL_SEQ.add(10));
}

// --------------------------------------------------- TIME-WAIT

#[test]
fn time_wait_lasts_2msl_then_closed() {
    let mut s = socket_time_wait();
    let expiry = secs(10) + two_msl();
    assert_eq!(two_msl(), Duration::from_secs(240), "MSL is 2 minutes");
    assert_eq!(s.c.poll_timeout(), Some(expiry));
    assert_eq!(s.c.timer(Timer::TimeWait), Some(expiry));
    assert_eq!(s.c.timer(Timer::Retransmit), None);
    s.advance_to(Instant::from_micros(expiry.as_micros() - 1));
    assert_eq!(s.state(), State::TimeWait);
    s.fire();
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::Closed]);
    recv!(s, nothing);
}

#[test]
fn retransmitted_fin_in_time_wait_is_acked_and_restarts_2msl() {
    let mut s = socket_time_wait();
    s.advance_to(secs(100));
    // Our last ACK was lost: the peer retransmits its FIN.
    send!(
        s,
        seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1))
    );
    recv!(s, [ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1))]);
    assert_eq!(s.state(), State::TimeWait);
    assert_eq!(s.c.poll_timeout(), Some(secs(100) + two_msl()));
    assert_eq!(s.events(), []);
    // At the first deadline nothing happens any more.
    s.advance_to(secs(10) + two_msl());
    assert_eq!(s.state(), State::TimeWait);
    s.fire();
    assert_eq!(s.state(), State::Closed);
}

#[test]
fn other_segments_do_not_restart_time_wait() {
    let mut s = socket_time_wait();
    let expiry = s.c.poll_timeout();
    s.advance_to(secs(50));
    // Old data below RCV.NXT: acknowledged, no restart.
    send!(
        s,
        Segment {
            payload: b"old".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ.sub(3), LOCAL_SEQ.add(1))
        }
    );
    recv!(s, [ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1))]);
    assert_eq!(s.c.poll_timeout(), expiry);
}

#[test]
fn time_wait_record_round_trip() {
    let s = socket_time_wait();
    let (snd_nxt, rcv_nxt, expiry) = s.c.time_wait_parts();
    let mut c = Connection::from_time_wait(
        *s.c.config(),
        LOCAL,
        REMOTE,
        snd_nxt,
        rcv_nxt,
        expiry.unwrap(),
        s.c.challenge_state(),
    );
    assert_eq!(c.state(), State::TimeWait);
    c.handle_segment(
        secs(30),
        &seg(Flags::FIN | Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)),
    );
    assert_eq!(
        c.poll_transmit(),
        Some(ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(1)))
    );
    assert_eq!(c.poll_timeout(), Some(secs(30) + two_msl()));
    c.handle_timeout(secs(30) + two_msl());
    assert_eq!(c.state(), State::Closed);
    assert_eq!(c.poll_event(), Some(Event::Closed));
}

#[test]
fn may_reopen_from_time_wait_only_when_enabled_and_newer() {
    let newer = seg(Flags::SYN, REMOTE_SEQ.add(1000), SeqNum(0));
    let older = seg(Flags::SYN, REMOTE_ISS, SeqNum(0));
    let off = socket_time_wait();
    assert!(!off.c.may_reopen(&newer));
    let on = socket_time_wait_with(Config {
        time_wait_reopen: true,
        ..config()
    });
    assert!(on.c.may_reopen(&newer));
    assert!(!on.c.may_reopen(&older));
    assert!(!on.c.may_reopen(&seg(
        Flags::SYN | Flags::ACK,
        REMOTE_SEQ.add(1000),
        SeqNum(0)
    )));
    let est = socket_established_with(Config {
        time_wait_reopen: true,
        ..config()
    });
    assert!(!est.c.may_reopen(&newer), "only from TIME-WAIT");
}

// ------------------------------------------------------------ advance_to

/// `advance_to` fires each timer at its own deadline: the SYN's
/// retransmissions at 1, 3 and 7 s (RFC 6298 (5.5) backoff from each), not
/// one late expiry at the target. `handle_next_timeout` is its single step.
#[test]
fn advance_to_fires_each_timer_at_its_own_deadline() {
    let mut s = socket_syn_sent();
    let syn = out(Flags::SYN, LOCAL_ISS, SeqNum(0));
    s.c.advance_to(secs(8));
    recv!(s, [syn.clone(), syn.clone(), syn.clone()]);
    assert_eq!(s.c.retries(), 3);
    assert_eq!(s.c.rto(), Duration::from_secs(8));
    assert_eq!(s.c.poll_timeout(), Some(secs(15)));

    // The same, a step at a time.
    let mut s = socket_syn_sent();
    let fired: Vec<Instant> = std::iter::from_fn(|| s.c.handle_next_timeout(secs(8))).collect();
    assert_eq!(fired, [secs(1), secs(3), secs(7)]);
    assert_eq!(s.c.handle_next_timeout(secs(14)), None, "nothing due");
    assert_eq!(s.c.poll_timeout(), Some(secs(15)));

    // What a caller that fires late gets instead: one expiry, at 8 s.
    let mut late = socket_syn_sent();
    late.c.handle_timeout(secs(8));
    recv!(late, [syn]);
    assert_eq!(late.c.poll_timeout(), Some(secs(10)));
}

/// `advance_to` runs a connection to its end: TIME-WAIT's 2·MSL expires at
/// its deadline and the TCB is deleted; a target before it does nothing.
#[test]
fn advance_to_ends_time_wait_at_two_msl() {
    let mut s = socket_time_wait();
    let expiry = s.c.poll_timeout().unwrap();
    s.c.advance_to(Instant::from_micros(expiry.as_micros() - 1));
    assert_eq!(s.state(), State::TimeWait);
    s.c.advance_to(expiry + Duration::from_secs(1000));
    assert_eq!(s.state(), State::Closed);
    s.expect_events(&[Event::Closed]);
    assert_eq!(s.c.poll_timeout(), None);
    s.c.advance_to(secs(100_000));
    recv!(s, nothing);
}
