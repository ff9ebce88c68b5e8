//! The user calls of RFC 9293 §3.10.1–§3.10.5 where the model never makes
//! them: OPEN on an existing TCB, SEND before ESTABLISHED or into a full
//! buffer, RECEIVE after the TCB is gone, a second CLOSE, and the RFC's
//! error messages.

use std::net::{Ipv4Addr, SocketAddrV4};

use synfin_tcp::conn::{Config, Connection, Error, Event, State};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::Flags;

use crate::peer::*;

/// §3.10.2 SEND in SYN-SENT and SYN-RECEIVED: "queue the data for
/// transmission after entering ESTABLISHED state"; it then rides on the
/// handshake's ACK.
#[test]
fn send_before_established_waits_for_the_handshake() {
    let (mut p, _syn) = Peer::connecting(Config::rfc9293());
    let (n, out) = p.send(b"early");
    assert_eq!(
        (n, out.len()),
        (5, 0),
        "nothing before ESTABLISHED: {out:?}"
    );
    assert_eq!(p.conn.send_queue_len(), 5);
    let out = p.deliver(&seg(theirs(0), ours(1), Flags::SYN | Flags::ACK, &[]));
    assert_eq!(out.len(), 1, "the data carries the ACK: {out:?}");
    assert_eq!((out[0].seq, out[0].ack), (ours(1), theirs(1)));
    assert_eq!(out[0].payload, b"early");

    let mut p = Peer::listening(Config::rfc9293());
    p.deliver(&seg(theirs(0), ours(0), Flags::SYN, &[]));
    let (n, out) = p.send(b"later");
    assert_eq!((n, out.len()), (5, 0), "nothing in SYN-RECEIVED: {out:?}");
    let out = p.deliver(&seg(theirs(1), ours(1), Flags::ACK, &[]));
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].seq, &out[0].payload[..]), (ours(1), &b"later"[..]));
}

/// §3.10.1 OPEN on an existing TCB: "error: connection already exists"
/// once it is in use; from CLOSED it starts afresh; from LISTEN with a
/// foreign socket it turns active, sending a SYN.
#[test]
fn open_on_an_existing_tcb() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    assert_eq!(p.open(Some(REMOTE)), Err(Error::ConnectionAlreadyExists));
    assert_eq!(p.open(None), Err(Error::ConnectionAlreadyExists));
    assert_eq!(p.conn.state(), State::Established);

    p.conn.abort(p.now).expect("ABORT in ESTABLISHED");
    assert_eq!(p.pull().len(), 1, "the RST");
    assert_eq!(p.open(None), Ok(vec![]));
    assert_eq!((p.conn.state(), p.conn.local()), (State::Listen, LOCAL));
    let out = p.open(Some(REMOTE)).expect("LISTEN turns active");
    assert_eq!(p.conn.state(), State::SynSent);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].flags, out[0].seq, out[0].dst),
        (Flags::SYN, ISS, REMOTE)
    );
    assert_eq!(p.open(None), Err(Error::ConnectionAlreadyExists));

    // A wildcard listener has no local address to connect from.
    let wildcard = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    let mut c = Connection::listen(Config::rfc9293(), wildcard);
    let r = c.open(Instant::ZERO, Some(REMOTE), &mut FixedIsn(ISS));
    assert_eq!(r, Err(Error::ConnectionIllegal));
    assert_eq!(c.state(), State::Listen);
}

/// §3.10.1: an active OPEN needs a fully specified foreign socket ("error:
/// connection illegal for this process" otherwise), and a local one.
#[test]
fn connect_needs_both_sockets() {
    let open = |local, remote| {
        Connection::connect(
            Config::rfc9293(),
            Instant::ZERO,
            local,
            remote,
            &mut FixedIsn(ISS),
        )
        .map(|c| c.state())
    };
    let no_ip = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    let no_port = SocketAddrV4::new(*REMOTE.ip(), 0);
    assert_eq!(open(LOCAL, no_ip), Err(Error::ConnectionIllegal));
    assert_eq!(open(LOCAL, no_port), Err(Error::ConnectionIllegal));
    assert_eq!(open(no_ip, REMOTE), Err(Error::ConnectionIllegal));
    assert_eq!(
        open(SocketAddrV4::new(*LOCAL.ip(), 0), REMOTE),
        Err(Error::ConnectionIllegal)
    );
    assert_eq!(open(LOCAL, REMOTE), Ok(State::SynSent));
}

/// A listener kept outside the TCB takes one SYN (§3.10.7.2, third step)
/// and nothing else: an ACK or a RST is no connection request.
#[test]
fn accept_takes_only_a_syn() {
    let config = Config::rfc9293();
    let accept = |flags| {
        let syn = seg(theirs(0), ours(0), flags, &[]);
        Connection::accept(config, Instant::ZERO, LOCAL, &syn, &mut FixedIsn(ISS))
    };
    let mut c = accept(Flags::SYN).expect("a SYN opens a connection");
    assert_eq!(
        (c.state(), c.irs(), c.remote()),
        (State::SynReceived, theirs(0), REMOTE)
    );
    let synack = c.poll_transmit().expect("the SYN,ACK");
    assert_eq!(synack.flags, Flags::SYN | Flags::ACK);
    assert_eq!((synack.seq, synack.ack), (ISS, theirs(1)));
    assert!(accept(Flags::ACK).is_none());
    assert!(accept(Flags::RST).is_none());
    assert!(accept(Flags::SYN | Flags::RST).is_none());
}

/// §3.10.2: SEND takes what the buffer holds; into a full buffer it is
/// "error: insufficient resources" (an empty SEND is not an error).
#[test]
fn send_into_a_full_buffer() {
    let small = Config {
        send_buffer: 10,
        ..Config::rfc9293()
    };
    let mut p = Peer::established(small, 0, None);
    assert_eq!(p.send(&[1; 15]).0, 10);
    assert_eq!(p.conn.send(p.now, &[1]), Err(Error::InsufficientResources));
    assert_eq!(p.conn.send(p.now, &[]), Ok(0));
    assert_eq!(p.conn.send_queue_len(), 10);
    // The window opens and the peer takes 4: room for 4 more.
    let out = p.deliver(&with_window(seg(theirs(1), ours(1), Flags::ACK, &[]), 4));
    assert_eq!(out.len(), 1);
    p.deliver(&with_window(seg(theirs(1), ours(5), Flags::ACK, &[]), 4));
    assert_eq!(p.conn.send_queue_len(), 6);
    assert_eq!(p.send(&[2; 9]).0, 4);
}

/// §3.10.3 RECEIVE: data received before the TCB was deleted by an orderly
/// close stays readable; once it is read, or after a reset, "error:
/// connection does not exist".
#[test]
fn receive_after_the_tcb_is_gone() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.deliver(&seg(theirs(1), ours(1), Flags::ACK | Flags::FIN, b"bye"));
    assert_eq!(p.conn.state(), State::CloseWait);
    assert!(p.conn.fin_received());
    p.conn.close(p.now).expect("CLOSE in CLOSE-WAIT");
    p.pull();
    p.deliver(&seg(theirs(5), ours(2), Flags::ACK, &[]));
    assert_eq!(p.conn.state(), State::Closed);
    assert_eq!(p.recv(10).0, b"bye");
    let mut buf = [0; 4];
    assert_eq!(
        p.conn.recv(p.now, &mut buf),
        Err(Error::ConnectionDoesNotExist)
    );

    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    p.deliver(&seg(theirs(1), ours(1), Flags::ACK, b"lost"));
    assert!(!p.conn.fin_received());
    p.deliver(&seg(theirs(5), ours(1), Flags::RST, &[]));
    assert_eq!(p.events(), [Event::Data, Event::Reset]);
    assert_eq!(p.conn.recv_queue_len(), 0, "a reset flushes the queues");
    assert_eq!(
        p.conn.recv(p.now, &mut buf),
        Err(Error::ConnectionDoesNotExist)
    );
}

/// §3.10.4 CLOSE in SYN-RECEIVED with data queued: the FIN waits for
/// ESTABLISHED (after the data), and a second CLOSE, like a SEND, is
/// "error: connection closing".
#[test]
fn close_in_syn_received_behind_queued_data() {
    let mut p = Peer::listening(Config::rfc9293());
    p.deliver(&seg(theirs(0), ours(0), Flags::SYN, &[]));
    p.send(b"data");
    assert_eq!(p.conn.close(p.now), Ok(()));
    assert_eq!(p.conn.state(), State::SynReceived);
    assert!(p.pull().is_empty());
    assert_eq!(p.conn.close(p.now), Err(Error::ConnectionClosing));
    assert_eq!(p.conn.send(p.now, b"x"), Err(Error::ConnectionClosing));
    let out = p.deliver(&seg(theirs(1), ours(1), Flags::ACK, &[]));
    assert_eq!(p.conn.state(), State::FinWait1);
    assert_eq!(out.len(), 1, "data and FIN together: {out:?}");
    assert_eq!(out[0].flags, Flags::ACK | Flags::PSH | Flags::FIN);
    assert_eq!((out[0].seq, out[0].payload.len()), (ours(1), 4));
}

/// The errors say what RFC 9293 §3.10 says ("error: connection closing").
#[test]
fn errors_use_the_rfc_wording() {
    let wording = [
        (Error::ConnectionDoesNotExist, "connection does not exist"),
        (Error::ConnectionAlreadyExists, "connection already exists"),
        (
            Error::ConnectionIllegal,
            "connection illegal for this process",
        ),
        (Error::ConnectionClosing, "connection closing"),
        (
            Error::ForeignSocketUnspecified,
            "foreign socket unspecified",
        ),
        (Error::InsufficientResources, "insufficient resources"),
    ];
    for (error, text) in wording {
        assert_eq!(error.to_string(), text);
    }
    assert!(Error::NoEphemeralPort
        .to_string()
        .contains("ephemeral port"));
}

/// The configuration a connection reports is the one it was opened with.
#[test]
fn the_connection_keeps_its_configuration() {
    let odd = Config {
        mss: 777,
        ..Config::rfc793()
    };
    let (p, syn) = Peer::connecting(odd);
    assert_eq!(p.conn.config(), &odd);
    assert_eq!(syn.mss, Some(777), "§3.7.1: our MSS on the SYN");
}

/// §3.10.3 RECEIVE: with nothing to read yet the call waits (here: reads
/// 0); once the peer's FIN arrived and every byte before it was read, it is
/// "error: connection closing", the end of the stream.
#[test]
fn receive_reports_the_end_of_the_stream() {
    let mut p = Peer::established(Config::rfc9293(), u16::MAX, None);
    let mut buf = [0; 8];
    assert_eq!(p.conn.recv(p.now, &mut buf), Ok(0));
    p.deliver(&seg(theirs(1), ours(1), Flags::ACK | Flags::FIN, b"end"));
    assert_eq!(
        p.conn.recv(p.now, &mut []),
        Ok(0),
        "an empty buffer reads nothing"
    );
    assert_eq!(p.conn.recv(p.now, &mut buf), Ok(3));
    assert_eq!(p.conn.recv(p.now, &mut buf), Err(Error::ConnectionClosing));
    assert_eq!(p.conn.state(), State::CloseWait);
}
