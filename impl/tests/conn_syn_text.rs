//! Text and FIN that arrive on a SYN are queued for processing once
//! ESTABLISHED is reached, not dropped:
//!
//! - RFC 9293 §3.10.7.2 (LISTEN), third step: "Set RCV.NXT to SEG.SEQ+1,
//!   IRS is set to SEG.SEQ, and any other control or text should be queued
//!   for processing later. ... Note that any other incoming control or data
//!   (combined with SYN) will be processed in the SYN-RECEIVED state, but
//!   processing of SYN and ACK should not be repeated."
//! - §3.10.7.3 (SYN-SENT), fourth step, a SYN without ACK (simultaneous
//!   open): "If there are other controls or text in the segment, queue them
//!   for processing after the ESTABLISHED state has been reached, return."
//! - §3.10.7.3, fourth step, a SYN,ACK that acknowledges our SYN: "If there
//!   are other controls or text in the segment, then continue processing at
//!   the sixth step below where the URG bit is checked".
//!
//! The SYN,ACK acknowledges the SYN only (RCV.NXT = SEG.SEQ+1: the text is
//! queued, not yet accepted). When the handshake completes, the queued text
//! is delivered (§3.10.7.4 seventh step), the queued FIN processed (eighth
//! step), RCV.NXT moves over both and they are acknowledged.

mod common;

use common::*;
use synfin_tcp::conn::{Config, Event, State};
use synfin_tcp::endpoint::Endpoint;
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment};

/// The peer's SYN carrying `text`, plus `extra` flags (FIN).
fn syn_with(extra: Flags, text: &[u8]) -> Segment {
    Segment {
        flags: Flags::SYN | extra,
        seq: REMOTE_ISS,
        payload: text.to_vec(),
        ..SEND_TEMPLATE
    }
}

/// SYN-RECEIVED from LISTEN on a SYN that carried `text` (and `extra`):
/// the SYN,ACK acknowledges the SYN alone, nothing is readable yet.
fn syn_received_with_text(extra: Flags, text: &[u8]) -> Sock {
    let mut s = socket_listen();
    send!(s, syn_with(extra, text));
    // §3.10.7.2: <SEQ=ISS><ACK=RCV.NXT><CTL=SYN,ACK>, RCV.NXT = SEG.SEQ+1.
    recv!(s, [out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    assert_eq!(s.c.recv_queue_len(), 0);
    assert!(!s.c.fin_received());
    s.expect_events(&[]);
    s
}

fn read_all(s: &mut Sock) -> Vec<u8> {
    let mut buf = [0; 64];
    let n = s.c.recv(s.now, &mut buf).unwrap();
    buf[..n].to_vec()
}

// ---------------------------------------------------------------- LISTEN

/// §3.10.7.2: text on a SYN is queued, and delivered and acknowledged when
/// the peer's ACK takes SYN-RECEIVED to ESTABLISHED.
#[test]
fn listen_syn_text_is_delivered_once_established() {
    let mut s = syn_received_with_text(Flags::NONE, b"hello");
    // The peer has sent SYN + 5 octets: its ACK comes at SEG.SEQ+6.
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(5), LOCAL_SEQ));
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(5), "RCV.NXT covers the text");
    recv!(
        s,
        [Segment {
            window: WINDOW - 5,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(5))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data]);
    assert_eq!(read_all(&mut s), b"hello");
}

/// §3.10.7.2 with a FIN on the SYN as well: after the handshake, the text
/// is delivered, the FIN processed (eighth step: CLOSE-WAIT), and both
/// acknowledged.
#[test]
fn listen_syn_text_and_fin_are_processed_once_established() {
    let mut s = syn_received_with_text(Flags::FIN, b"abc");
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(4), LOCAL_SEQ));
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(4), "text and FIN");
    recv!(
        s,
        [Segment {
            window: WINDOW - 3,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(4))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data, Event::PeerClosed]);
    assert_eq!(read_all(&mut s), b"abc");
    assert!(s.c.fin_received());
}

/// §3.10.7.2: a FIN alone on the SYN likewise waits for ESTABLISHED.
#[test]
fn listen_syn_fin_is_processed_once_established() {
    let mut s = syn_received_with_text(Flags::FIN, b"");
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(1), LOCAL_SEQ));
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(1));
    recv!(s, [ack_out(LOCAL_SEQ, REMOTE_SEQ.add(1))]);
    s.expect_events(&[Event::Connected, Event::PeerClosed]);
}

/// The queued text comes first, then the handshake ACK's own text: a peer
/// that resends the SYN's text on its ACK has it delivered once, and new
/// text after it is taken too.
#[test]
fn listen_syn_text_resent_on_the_ack_is_delivered_once() {
    let mut s = syn_received_with_text(Flags::NONE, b"abc");
    send!(
        s,
        Segment {
            payload: b"abcdef".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(6));
    recv!(
        s,
        [Segment {
            window: WINDOW - 6,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(6))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data]);
    assert_eq!(read_all(&mut s), b"abcdef");
}

/// "Processed in the SYN-RECEIVED state" once it is left for ESTABLISHED:
/// an ACK that is not acceptable in SYN-RECEIVED (§3.10.7.4 fifth step,
/// answered with a RST) leaves the text queued and unacknowledged.
#[test]
fn listen_syn_text_waits_through_a_bad_ack() {
    let mut s = syn_received_with_text(Flags::NONE, b"xy");
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(2), SeqNum(4242)));
    recv!(s, [rst_out(SeqNum(4242))]);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(2), LOCAL_SEQ));
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(2));
    assert_eq!(read_all(&mut s), b"xy");
}

/// If the handshake fails the queued text goes with it: a RST takes the
/// passive SYN-RECEIVED back to LISTEN (Figure 5 note 1), and the next SYN
/// starts clean.
#[test]
fn listen_syn_text_is_dropped_when_the_handshake_is_reset() {
    let mut s = syn_received_with_text(Flags::FIN, b"old");
    send!(s, seg(Flags::RST, REMOTE_SEQ, SeqNum(0)));
    assert_eq!(s.state(), State::Listen);
    send!(s, seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    s.drain();
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    assert_eq!(s.c.recv_queue_len(), 0);
    s.expect_events(&[Event::Connected]);
}

/// Text beyond the receive window is cut at the window, as in the seventh
/// step: the peer retransmits the rest.
#[test]
fn listen_syn_text_is_cut_at_the_window() {
    let config = Config {
        rcv_wnd: 4,
        ..config()
    };
    let mut s = socket_listen_with(config);
    send!(s, syn_with(Flags::FIN, b"abcdef"));
    s.drain();
    // The peer retransmits its text from SEG.SEQ+1 with the ACK (a bare ACK
    // at SEG.SEQ+7 would be outside a 4-octet window).
    send!(
        s,
        Segment {
            payload: b"abcdef".to_vec(),
            ..seg(Flags::ACK | Flags::FIN, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(
        s.state(),
        State::Established,
        "the FIN is beyond the window"
    );
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(4));
    assert_eq!(read_all(&mut s), b"abcd");
}

/// A CLOSE in SYN-RECEIVED sends our FIN at once (§3.10.4: "If no SENDs
/// have been issued ... form a FIN segment and send it, and enter
/// FIN-WAIT-1 state"). The queued text still waits for the ACK of our SYN:
/// a segment that does not acknowledge it leaves the text queued.
#[test]
fn listen_syn_text_waits_for_our_syn_to_be_acked_after_close() {
    let mut s = syn_received_with_text(Flags::NONE, b"late");
    s.c.close(s.now).unwrap();
    recv!(s, [out(Flags::FIN | Flags::ACK, LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::FinWait1);
    // An ACK of nothing new (SEG.ACK = ISS): the handshake is not done.
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(4), LOCAL_ISS));
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    assert_eq!(s.c.recv_queue_len(), 0);
    s.drain();
    // The ACK of our SYN and FIN: the text is delivered and acknowledged.
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(4), LOCAL_SEQ.add(1)));
    assert_eq!(s.state(), State::FinWait2);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(4));
    recv!(
        s,
        [Segment {
            window: WINDOW - 4,
            ..ack_out(LOCAL_SEQ.add(1), REMOTE_SEQ.add(4))
        }]
    );
    assert_eq!(read_all(&mut s), b"late");
}

// ---------------------------------------------------------------- SYN-SENT

/// §3.10.7.3, simultaneous open: a SYN (no ACK) with text takes SYN-SENT to
/// SYN-RECEIVED; the text is queued "for processing after the ESTABLISHED
/// state has been reached", and the peer's SYN,ACK then has it delivered
/// and acknowledged (a fifth segment, the ACK of the text).
#[test]
fn syn_sent_syn_text_is_queued_until_established() {
    let mut s = socket_syn_sent();
    send!(s, syn_with(Flags::FIN, b"hi"));
    recv!(s, [out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ);
    assert_eq!(s.c.recv_queue_len(), 0);
    s.expect_events(&[]);
    // The peer's SYN,ACK repeats its SYN (SEG.SEQ = IRS) and acks ours.
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    assert_eq!(s.state(), State::CloseWait);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(3));
    recv!(
        s,
        [Segment {
            window: WINDOW - 2,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(3))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data, Event::PeerClosed]);
    assert_eq!(read_all(&mut s), b"hi");
}

/// §3.10.7.3, simultaneous open completed by a plain ACK: the same.
#[test]
fn syn_sent_syn_text_is_delivered_on_the_ack() {
    let mut s = socket_syn_sent();
    send!(s, syn_with(Flags::NONE, b"data"));
    s.drain();
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(4), LOCAL_SEQ));
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(4));
    recv!(
        s,
        [Segment {
            window: WINDOW - 4,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(4))
        }]
    );
    assert_eq!(read_all(&mut s), b"data");
}

/// §3.10.7.3, a SYN,ACK that acknowledges our SYN: its text and FIN are
/// processed at once ("continue processing at the sixth step").
#[test]
fn syn_sent_syn_ack_text_is_processed_at_once() {
    let mut s = socket_syn_sent();
    send!(
        s,
        Segment {
            payload: b"xyz".to_vec(),
            ..seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ)
        }
    );
    assert_eq!(s.state(), State::Established);
    assert_eq!(s.c.rcv_nxt(), REMOTE_SEQ.add(3));
    recv!(
        s,
        [Segment {
            window: WINDOW - 3,
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(3))
        }]
    );
    s.expect_events(&[Event::Connected, Event::Data]);
}

/// A SYN-RECEIVED that times out (SYN,ACK retries exhausted) drops the
/// queued text with the half-open connection: back to LISTEN.
#[test]
fn syn_received_timeout_drops_the_queued_text() {
    let mut s = syn_received_with_text(Flags::NONE, b"gone");
    while s.state() == State::SynReceived {
        s.fire();
    }
    assert_eq!(s.state(), State::Listen);
    assert_eq!(s.c.recv_queue_len(), 0);
}

// ---------------------------------------------------------------- endpoint

/// Through an endpoint's listener: the child keeps the SYN's text until the
/// handshake completes, then the accepted connection reads it.
#[test]
fn endpoint_child_reads_the_syn_text() {
    let mut ep = Endpoint::with_isn(config(), Box::new(FixedIsn(LOCAL_ISS)), [1; 16]);
    ep.listen(LOCAL).unwrap();
    ep.handle_segment(s0(), &syn_with(Flags::NONE, b"early"));
    let synack = ep.poll_transmit().unwrap();
    assert_eq!(synack.ack, REMOTE_SEQ, "the SYN,ACK acks the SYN only");
    assert_eq!(ep.accept(LOCAL), None);
    ep.handle_segment(s0(), &seg(Flags::ACK, REMOTE_SEQ.add(5), LOCAL_SEQ));
    let ack = ep.poll_transmit().unwrap();
    assert_eq!((ack.flags, ack.ack), (Flags::ACK, REMOTE_SEQ.add(5)));
    let h = ep.accept(LOCAL).unwrap();
    let mut buf = [0; 16];
    assert_eq!(ep.recv(s0(), h, &mut buf), Ok(5));
    assert_eq!(&buf[..5], b"early");
}

fn s0() -> synfin_tcp::time::Instant {
    secs(0)
}
