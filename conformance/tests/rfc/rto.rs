//! The retransmission timer of RFC 6298, which the model reduces to a
//! constant RTO: RTT samples, the bounds of the RTO, Karn's algorithm and
//! the 3 s fallback after a retransmitted SYN.

use std::time::Duration;

use synfin_tcp::conn::{Config, State, Timer};
use synfin_tcp::wire::Flags;

use crate::peer::*;

fn ms(millis: u64) -> Duration {
    Duration::from_millis(millis)
}

/// A config whose initial RTO is long enough that the SYN is not resent
/// before the SYN,ACK the test sends.
fn patient() -> Config {
    Config {
        rto_initial: Duration::from_secs(100),
        ..Config::rfc9293()
    }
}

/// ESTABLISHED by an active OPEN whose SYN,ACK arrives after `rtt`.
fn established_after(config: Config, rtt: Duration) -> Peer {
    let (mut p, _syn) = Peer::connecting(config);
    p.advance(rtt);
    let out = p.deliver(&seg(theirs(0), ours(1), Flags::SYN | Flags::ACK, &[]));
    assert_eq!(out.len(), 1, "the handshake's ACK: {out:?}");
    assert_eq!(p.conn.state(), State::Established);
    p
}

/// Sends `n` octets and returns when their retransmission timer is due.
fn send_and_time(p: &mut Peer, n: usize) -> Duration {
    let (taken, out) = p.send(&vec![7; n]);
    assert_eq!((taken, out.len()), (n, 1));
    p.until_timer()
}

/// RFC 6298 (2.2): the first sample R sets SRTT = R, RTTVAR = R/2 and
/// RTO = SRTT + max(G, 4·RTTVAR); the timer then runs for that RTO (5.1),
/// and not a microsecond less (5.4).
#[test]
fn first_rtt_sample_sets_the_rto() {
    let mut p = established_after(patient(), ms(1500));
    assert_eq!(p.conn.rto(), ms(4500), "1.5 s + 4 · 0.75 s");
    assert_eq!(send_and_time(&mut p, 10), ms(4500));
    assert_eq!(
        p.conn.timer(Timer::Retransmit),
        Some(p.now + ms(4500)),
        "the retransmission timer is the one armed"
    );
    assert!(p.advance(ms(4500) - Duration::from_micros(1)).is_empty());
    let out = p.advance(Duration::from_micros(1));
    assert_eq!(out.len(), 1, "one retransmission: {out:?}");
    assert_eq!((out[0].seq, out[0].payload.len()), (ours(1), 10));
}

/// RFC 6298 (2.3): a later sample R' updates RTTVAR = 3/4·RTTVAR +
/// 1/4·|SRTT − R'| first, then SRTT = 7/8·SRTT + 1/8·R'.
#[test]
fn later_rtt_samples_are_smoothed() {
    let mut p = established_after(patient(), ms(1500));
    send_and_time(&mut p, 10);
    p.advance(ms(500));
    let out = p.deliver(&seg(theirs(1), ours(11), Flags::ACK, &[]));
    assert!(out.is_empty(), "a new ACK needs no reply: {out:?}");
    // RTTVAR = (3 · 0.75 + |1.5 − 0.5|) / 4 = 0.8125 s,
    // SRTT = (7 · 1.5 + 0.5) / 8 = 1.375 s, RTO = 1.375 + 3.25 s.
    assert_eq!(p.conn.rto(), ms(4625));
    assert_eq!(send_and_time(&mut p, 10), ms(4625));
    // A third sample, longer than SRTT: RTTVAR = (3 · 0.8125 + |1.375 −
    // 3|) / 4 = 1.015625 s, SRTT = (7 · 1.375 + 3) / 8 = 1.578125 s.
    p.advance(ms(3000));
    p.deliver(&seg(theirs(1), ours(21), Flags::ACK, &[]));
    assert_eq!(p.conn.rto(), Duration::from_micros(1_578_125 + 4_062_500));
}

/// RFC 6298 (2.3): the variance term is at least the clock granularity G
/// (1 ms here), so a zero sample does not make a zero RTO; (2.4) then
/// rounds an RTO below the minimum up to it.
#[test]
fn rto_has_a_granularity_floor_and_a_minimum() {
    let no_floor = Config {
        rto_min: Duration::ZERO,
        ..patient()
    };
    let p = established_after(no_floor, Duration::ZERO);
    assert_eq!(p.conn.rto(), ms(1), "SRTT 0 + max(G, 0)");
    let p = established_after(patient(), ms(100));
    assert_eq!(p.conn.rto(), ms(1000), "100 ms + 200 ms, rounded up to 1 s");
}

/// RFC 6298 (2.5): a maximum may be placed on the RTO (at least 60 s); it
/// caps both a computed RTO and the backoff of (5.5).
#[test]
fn rto_is_capped_by_the_maximum_even_under_backoff() {
    let mut p = established_after(patient(), Duration::from_secs(30));
    assert_eq!(p.conn.rto(), Duration::from_secs(60), "30 s + 60 s, capped");
    let mut p2 = established_after(Config::rfc9293(), ms(100));
    send_and_time(&mut p2, 1);
    let mut gaps = Vec::new();
    for _ in 0..8 {
        let wait = p2.until_timer();
        gaps.push(wait.as_secs());
        let out = p2.advance(wait);
        assert_eq!(out.len(), 1, "one retransmission per expiry: {out:?}");
    }
    assert_eq!(gaps, [1, 2, 4, 8, 16, 32, 60, 60]);
    p.send(b"x");
    assert_eq!(p.until_timer(), Duration::from_secs(60));
}

/// RFC 6298 §3 (Karn): a retransmitted segment gives no RTT sample, and
/// (5.7) the backed-off RTO is kept until a new sample.
#[test]
fn a_retransmitted_segment_gives_no_sample() {
    let mut p = established_after(patient(), ms(1500));
    send_and_time(&mut p, 10);
    let out = p.advance(ms(4500));
    assert_eq!(out.len(), 1);
    assert_eq!(p.conn.rto(), ms(9000), "(5.5) RTO doubled");
    p.advance(ms(100));
    p.deliver(&seg(theirs(1), ours(11), Flags::ACK, &[]));
    assert_eq!(p.conn.rto(), ms(9000), "no sample from the retransmission");
    // The next segment is timed again: its sample replaces the backoff.
    send_and_time(&mut p, 10);
    p.advance(ms(1500));
    p.deliver(&seg(theirs(1), ours(21), Flags::ACK, &[]));
    // RTTVAR = (3 · 0.75 + 0) / 4, SRTT = 1.5 s.
    assert_eq!(p.conn.rto(), ms(1500) + ms(2250));
}

/// RFC 6298 (5.7): the SYN's timer expired, so once the connection is
/// established the RTO is re-initialised to 3 s (the SYN,ACK gives no
/// sample: it answers a retransmission).
#[test]
fn rto_falls_back_to_3_s_after_a_retransmitted_syn() {
    let (mut p, _syn) = Peer::connecting(Config::rfc9293());
    let out = p.advance(ms(1000));
    assert_eq!(out.len(), 1, "the SYN resent after the initial RTO");
    assert_eq!(p.conn.rto(), ms(2000));
    p.advance(ms(200));
    p.deliver(&seg(theirs(0), ours(1), Flags::SYN | Flags::ACK, &[]));
    assert_eq!(p.conn.rto(), ms(3000));
    assert_eq!(send_and_time(&mut p, 10), ms(3000));
}

/// RFC 6298 (5.7) applies on the passive side too: a resent SYN,ACK.
#[test]
fn rto_falls_back_to_3_s_after_a_retransmitted_syn_ack() {
    let mut p = Peer::listening(Config::rfc9293());
    let out = p.deliver(&seg(theirs(0), ours(0), Flags::SYN, &[]));
    assert_eq!(out.len(), 1, "the SYN,ACK");
    assert_eq!(p.advance(ms(1000)).len(), 1, "the SYN,ACK resent");
    p.deliver(&seg(theirs(1), ours(1), Flags::ACK, &[]));
    assert_eq!(p.conn.state(), State::Established);
    assert_eq!(send_and_time(&mut p, 10), ms(3000));
}

/// RFC 6298 (5.7) only applies to an RTO "less than 3 seconds": with an
/// initial RTO of 3 s the backed-off RTO is kept; and it needs the SYN to
/// have been resent.
#[test]
fn rto_fallback_needs_an_initial_rto_below_3_s_and_a_resent_syn() {
    let slow = Config {
        rto_initial: ms(3000),
        ..Config::rfc9293()
    };
    let (mut p, _syn) = Peer::connecting(slow);
    assert_eq!(p.advance(ms(3000)).len(), 1, "the SYN resent");
    p.deliver(&seg(theirs(0), ours(1), Flags::SYN | Flags::ACK, &[]));
    assert_eq!(send_and_time(&mut p, 10), ms(6000), "the backoff is kept");
    let p = established_after(Config::rfc9293(), ms(300));
    assert_eq!(p.conn.rto(), ms(1000), "a sample, no fallback");
}
