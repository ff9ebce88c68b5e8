//! User calls (RFC 9293 §3.10.1–§3.10.5) in every state, with their error
//! results, and CLOSE and ABORT in each state.

mod common;

use std::net::{Ipv4Addr, SocketAddrV4};

use common::*;
use synfin_tcp::conn::{Config, Connection, Error, Event, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

/// Every state, by fixture.
const ALL: [(State, fn() -> Sock); 11] = [
    (State::Closed, socket_closed),
    (State::Listen, socket_listen),
    (State::SynSent, socket_syn_sent),
    (State::SynReceived, socket_syn_received),
    (State::Established, socket_established),
    (State::FinWait1, socket_fin_wait_1),
    (State::FinWait2, socket_fin_wait_2),
    (State::CloseWait, socket_close_wait),
    (State::Closing, socket_closing),
    (State::LastAck, socket_last_ack),
    (State::TimeWait, socket_time_wait),
];

// ---------------------------------------------------------------- OPEN

#[test]
fn active_open_needs_a_foreign_socket() {
    let unspecified = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    let zero_port = SocketAddrV4::new(*REMOTE.ip(), 0);
    for remote in [unspecified, zero_port] {
        let r = Connection::connect(
            config(),
            Instant::ZERO,
            remote,
            REMOTE,
            &mut FixedIsn(LOCAL_ISS),
        );
        assert_eq!(r.err(), Some(Error::ConnectionIllegal), "local {remote}");
        let r = Connection::connect(
            config(),
            Instant::ZERO,
            LOCAL,
            remote,
            &mut FixedIsn(LOCAL_ISS),
        );
        assert_eq!(r.err(), Some(Error::ConnectionIllegal));
    }
}

#[test]
fn open_in_each_state() {
    for (state, fixture) in ALL {
        let mut s = fixture();
        let r = s.c.open(s.now, Some(REMOTE), &mut FixedIsn(SeqNum(9)));
        match state {
            State::Closed | State::Listen => {
                assert_eq!(r, Ok(()), "{state}");
                assert_eq!(s.state(), State::SynSent);
                let syn = out(Flags::SYN, SeqNum(9), SeqNum(0));
                recv!(s, [syn]);
            }
            _ => {
                assert_eq!(r, Err(Error::ConnectionAlreadyExists), "{state}");
                assert_eq!(s.state(), state);
                recv!(s, nothing);
            }
        }
        let mut s = fixture();
        let r = s.c.open(s.now, None, &mut FixedIsn(SeqNum(9)));
        if state == State::Closed {
            assert_eq!(r, Ok(()));
            assert_eq!(s.state(), State::Listen);
        } else {
            assert_eq!(r, Err(Error::ConnectionAlreadyExists), "{state}");
        }
    }
}

#[test]
fn reopened_listener_accepts() {
    let mut s = socket_closed();
    s.c.open(s.now, None, &mut FixedIsn(LOCAL_ISS)).unwrap();
    send!(s, seg(Flags::SYN, REMOTE_ISS, SeqNum(0)));
    recv!(s, [out(Flags::SYN | Flags::ACK, LOCAL_ISS, REMOTE_SEQ)]);
}

// ---------------------------------------------------------------- SEND

#[test]
fn send_in_each_state() {
    for (state, fixture) in ALL {
        let mut s = fixture();
        let r = s.c.send(s.now, b"data");
        let expected = match state {
            State::Closed => Err(Error::ConnectionDoesNotExist),
            State::Listen => Err(Error::ForeignSocketUnspecified),
            State::SynSent | State::SynReceived | State::Established | State::CloseWait => Ok(4),
            State::FinWait1
            | State::FinWait2
            | State::Closing
            | State::LastAck
            | State::TimeWait => Err(Error::ConnectionClosing),
        };
        assert_eq!(r, expected, "{state}");
        assert_eq!(s.state(), state);
    }
}

#[test]
fn send_before_established_is_queued_then_sent_with_the_handshake_ack() {
    let mut s = socket_syn_sent();
    assert_eq!(s.c.send(s.now, b"early"), Ok(5));
    recv!(s, nothing);
    send!(s, seg(Flags::SYN | Flags::ACK, REMOTE_ISS, LOCAL_SEQ));
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH,
            payload: b"early".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
}

#[test]
fn half_close_close_wait_may_still_send() {
    let mut s = socket_close_wait();
    assert_eq!(s.c.send(s.now, b"more"), Ok(4));
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH,
            payload: b"more".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ.add(1))
        }]
    );
}

#[test]
fn send_buffer_full_is_insufficient_resources() {
    let cfg = Config {
        send_buffer: 6,
        ..config()
    };
    let mut s = socket_syn_sent_with(cfg);
    assert_eq!(s.c.send(s.now, b"abcd"), Ok(4));
    assert_eq!(s.c.send(s.now, b"efgh"), Ok(2), "a partial SEND");
    assert_eq!(s.c.send(s.now, b"i"), Err(Error::InsufficientResources));
    assert_eq!(s.c.send(s.now, b""), Ok(0));
}

// ---------------------------------------------------------------- RECEIVE

#[test]
fn receive_in_each_state_with_nothing_buffered() {
    for (state, fixture) in ALL {
        let mut s = fixture();
        let mut buf = [0; 8];
        let r = s.c.recv(s.now, &mut buf);
        let expected = match state {
            State::Closed => Err(Error::ConnectionDoesNotExist),
            State::Listen
            | State::SynSent
            | State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2 => Ok(0),
            State::CloseWait | State::Closing | State::LastAck | State::TimeWait => {
                Err(Error::ConnectionClosing)
            }
        };
        assert_eq!(r, expected, "{state}");
    }
}

#[test]
fn receive_drains_data_then_reports_closing() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"bye".to_vec(),
            ..seg(Flags::ACK | Flags::FIN, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    s.expect_events(&[Event::Data, Event::PeerClosed]);
    assert_eq!(s.state(), State::CloseWait);
    let mut buf = [0; 2];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(2));
    assert_eq!(&buf, b"by");
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(1));
    assert_eq!(buf[0], b'e');
    assert_eq!(s.c.recv(s.now, &mut buf), Err(Error::ConnectionClosing));
}

#[test]
fn data_stays_readable_after_an_orderly_close() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"tail".to_vec(),
            ..seg(Flags::ACK | Flags::FIN, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    s.c.close(s.now).unwrap();
    s.drain();
    send!(s, seg(Flags::ACK, REMOTE_SEQ.add(5), LOCAL_SEQ.add(1)));
    assert_eq!(s.state(), State::Closed);
    let mut buf = [0; 8];
    assert_eq!(s.c.recv(s.now, &mut buf), Ok(4));
    assert_eq!(&buf[..4], b"tail");
    assert_eq!(
        s.c.recv(s.now, &mut buf),
        Err(Error::ConnectionDoesNotExist)
    );
}

#[test]
fn reset_flushes_unread_data() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            payload: b"lost".to_vec(),
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    assert_eq!(s.c.recv_queue_len(), 4);
    send!(s, seg(Flags::RST, REMOTE_SEQ.add(4), SeqNum(0)));
    s.expect_events(&[Event::Data, Event::Reset]);
    let mut buf = [0; 8];
    assert_eq!(
        s.c.recv(s.now, &mut buf),
        Err(Error::ConnectionDoesNotExist)
    );
}

// ---------------------------------------------------------------- CLOSE

#[test]
fn close_in_each_state() {
    for (state, fixture) in ALL {
        let mut s = fixture();
        let r = s.c.close(s.now);
        let (result, after): (Result<(), Error>, State) = match state {
            State::Closed => (Err(Error::ConnectionDoesNotExist), State::Closed),
            State::Listen | State::SynSent => (Ok(()), State::Closed),
            State::SynReceived | State::Established => (Ok(()), State::FinWait1),
            State::CloseWait => (Ok(()), State::LastAck),
            other => (Err(Error::ConnectionClosing), other),
        };
        assert_eq!(r, result, "{state}");
        assert_eq!(s.state(), after, "{state}");
    }
}

#[test]
fn close_in_listen_and_syn_sent_deletes_the_tcb_without_a_segment() {
    for fixture in [socket_listen as fn() -> Sock, socket_syn_sent] {
        let mut s = fixture();
        s.c.close(s.now).unwrap();
        recv!(s, nothing);
        s.expect_events(&[Event::Closed]);
        assert_eq!(s.c.poll_timeout(), None);
        // Sticky: later calls see no connection.
        assert_eq!(s.c.close(s.now), Err(Error::ConnectionDoesNotExist));
        assert_eq!(s.c.send(s.now, b"x"), Err(Error::ConnectionDoesNotExist));
        assert_eq!(s.c.abort(s.now), Err(Error::ConnectionDoesNotExist));
    }
}

#[test]
fn close_in_syn_received_sends_fin() {
    let mut s = socket_syn_received();
    s.c.close(s.now).unwrap();
    recv!(s, [out(Flags::FIN | Flags::ACK, LOCAL_SEQ, REMOTE_SEQ)]);
    assert_eq!(s.state(), State::FinWait1);
    // The peer ACKs SYN and FIN together.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(1)));
    assert_eq!(s.state(), State::FinWait2);
}

#[test]
fn close_in_syn_received_with_queued_data_waits_for_established() {
    let mut s = socket_syn_received();
    s.c.send(s.now, b"q").unwrap();
    s.c.close(s.now).unwrap();
    recv!(s, nothing);
    assert_eq!(s.state(), State::SynReceived);
    assert_eq!(s.c.close(s.now), Err(Error::ConnectionClosing));
    assert_eq!(s.c.send(s.now, b"r"), Err(Error::ConnectionClosing));
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    assert_eq!(s.state(), State::FinWait1);
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH | Flags::FIN,
            payload: b"q".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
}

#[test]
fn close_sends_fin_after_queued_data() {
    let mut s = socket_established();
    send!(
        s,
        Segment {
            window: 2,
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ)
        }
    );
    s.c.send(s.now, b"abcd").unwrap();
    s.c.close(s.now).unwrap();
    recv!(
        s,
        [Segment {
            payload: b"ab".to_vec(),
            ..ack_out(LOCAL_SEQ, REMOTE_SEQ)
        }]
    );
    assert_eq!(s.state(), State::FinWait1);
    send!(
        s,
        Segment {
            window: 10,
            ..seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ.add(2))
        }
    );
    recv!(
        s,
        [Segment {
            flags: Flags::ACK | Flags::PSH | Flags::FIN,
            payload: b"cd".to_vec(),
            ..ack_out(LOCAL_SEQ.add(2), REMOTE_SEQ)
        }]
    );
}

// ---------------------------------------------------------------- ABORT

#[test]
fn abort_in_each_state() {
    for (state, fixture) in ALL {
        let mut s = fixture();
        let snd_nxt = s.c.snd_nxt();
        let r = s.c.abort(s.now);
        match state {
            State::Closed => {
                assert_eq!(r, Err(Error::ConnectionDoesNotExist));
                recv!(s, nothing);
                continue;
            }
            State::SynReceived
            | State::Established
            | State::FinWait1
            | State::FinWait2
            | State::CloseWait => {
                assert_eq!(r, Ok(()), "{state}");
                recv!(s, [rst_out(snd_nxt)]);
            }
            State::Listen | State::SynSent | State::Closing | State::LastAck | State::TimeWait => {
                assert_eq!(r, Ok(()), "{state}");
                recv!(s, nothing);
            }
        }
        assert_eq!(s.state(), State::Closed, "{state}");
        let events = s.events();
        assert_eq!(events.last(), Some(&Event::Closed), "{state}");
        assert_eq!(s.c.poll_timeout(), None, "{state}");
        assert_eq!(s.c.send_queue_len(), 0);
    }
}

#[test]
fn abort_flushes_queued_data() {
    let mut s = socket_established();
    s.c.send(s.now, b"unsent").unwrap();
    s.drain();
    s.c.abort(s.now).unwrap();
    recv!(s, [rst_out(LOCAL_SEQ.add(6))]);
    assert_eq!(s.c.send_queue_len(), 0);
}

#[test]
fn exactly_one_terminal_event() {
    let mut s = socket_established();
    send!(s, seg(Flags::RST, REMOTE_SEQ, SeqNum(0)));
    s.expect_events(&[Event::Reset]);
    // A CLOSED TCB answers segments with RST but reports nothing more.
    send!(s, seg(Flags::ACK, REMOTE_SEQ, LOCAL_SEQ));
    recv!(s, [rst_out(LOCAL_SEQ)]);
    s.advance_to(secs(1000));
    assert_eq!(s.events(), []);
}
