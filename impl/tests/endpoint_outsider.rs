//! The endpoint seen from outside (a conformance harness, an embedder):
//! passive children by 4-tuple before `accept`, a 4-tuple in TIME-WAIT
//! after compaction, listeners, `poll_timeout` on `&self`, and
//! `advance_to`, which fires each deadline at its own instant.

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{Config, Event, State};
use synfin_tcp::endpoint::{Child, ChildStage, ConnHandle, Endpoint};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const SERVER: SocketAddrV4 = SocketAddrV4::new(B_IP, 80);
const ANY_80: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
const CLIENT: SocketAddrV4 = SocketAddrV4::new(A_IP, 40000);
const CLIENT2: SocketAddrV4 = SocketAddrV4::new(A_IP, 40001);
const ISS: SeqNum = SeqNum(1000);
const PEER_ISS: SeqNum = SeqNum(5000);

fn endpoint(config: Config) -> Endpoint {
    Endpoint::with_isn(config, Box::new(FixedIsn(ISS)), [7; 16])
}

fn seg(src: SocketAddrV4, dst: SocketAddrV4, flags: Flags, seq: SeqNum, ack: SeqNum) -> Segment {
    Segment {
        src,
        dst,
        seq,
        ack,
        flags,
        window: 8192,
        mss: None,
        payload: Vec::new(),
    }
}

fn drain(ep: &mut Endpoint) -> Vec<Segment> {
    std::iter::from_fn(|| ep.poll_transmit()).collect()
}

fn events(ep: &mut Endpoint) -> Vec<(ConnHandle, Event)> {
    std::iter::from_fn(|| ep.poll_event()).collect()
}

fn syn_from(client: SocketAddrV4) -> Segment {
    seg(client, SERVER, Flags::SYN, PEER_ISS, SeqNum(0))
}

fn ack_from(client: SocketAddrV4) -> Segment {
    seg(client, SERVER, Flags::ACK, PEER_ISS.add(1), ISS.add(1))
}

// ------------------------------------------------------ passive children

/// Item: a passive child is found by its 4-tuple from the moment its SYN
/// arrives, with its stage, and its handle answers before `accept`.
#[test]
fn passive_child_is_found_by_four_tuple_before_accept() {
    let mut ep = endpoint(Config::rfc9293());
    ep.listen(ANY_80).unwrap();
    let t = Instant::ZERO;
    assert_eq!(ep.lookup(SERVER, CLIENT), None);
    assert_eq!(ep.child(SERVER, CLIENT), None);

    ep.handle_segment(t, &syn_from(CLIENT));
    drain(&mut ep);
    let c = ep.child(SERVER, CLIENT).expect("a child in the backlog");
    assert_eq!(
        c,
        Child {
            handle: c.handle,
            listener: ANY_80,
            local: SERVER,
            remote: CLIENT,
            stage: ChildStage::Backlog,
        }
    );
    assert_eq!(ep.lookup(SERVER, CLIENT), Some(c.handle));
    assert_eq!(ep.state(c.handle), Some(State::SynReceived));
    assert_eq!(ep.connection(c.handle).map(|c| c.iss()), Some(ISS));
    assert_eq!(ep.half_open(ANY_80), 1);

    ep.handle_segment(t, &ack_from(CLIENT));
    let c2 = ep
        .child(SERVER, CLIENT)
        .expect("a child in the accept queue");
    assert_eq!((c2.handle, c2.stage), (c.handle, ChildStage::AcceptQueue));
    assert_eq!(ep.state(c.handle), Some(State::Established));
    assert_eq!(ep.accept_queue_len(ANY_80), 1);
    assert_eq!(ep.children(ANY_80), vec![c2]);

    assert_eq!(ep.accept(ANY_80), Some(c.handle));
    assert_eq!(
        ep.child(SERVER, CLIENT),
        None,
        "accepted: no longer a child"
    );
    assert_eq!(ep.lookup(SERVER, CLIENT), Some(c.handle));
    assert_eq!(ep.children(ANY_80), vec![]);
}

/// `children` lists the accept queue in `accept` order, then the backlog;
/// an active connection is never a child.
#[test]
fn children_of_a_listener_in_accept_order() {
    let mut ep = endpoint(Config::rfc9293());
    ep.listen(SERVER).unwrap();
    let t = Instant::ZERO;
    let client3 = SocketAddrV4::new(A_IP, 40002);
    for c in [CLIENT, CLIENT2, client3] {
        ep.handle_segment(t, &syn_from(c));
    }
    // The second client completes first, then the first.
    ep.handle_segment(t, &ack_from(CLIENT2));
    ep.handle_segment(t, &ack_from(CLIENT));
    drain(&mut ep);
    let kids = ep.children(SERVER);
    let seen: Vec<(SocketAddrV4, ChildStage)> = kids.iter().map(|c| (c.remote, c.stage)).collect();
    assert_eq!(
        seen,
        [
            (CLIENT2, ChildStage::AcceptQueue),
            (CLIENT, ChildStage::AcceptQueue),
            (client3, ChildStage::Backlog),
        ]
    );
    assert_eq!(ep.accept(SERVER), Some(kids[0].handle));

    let active = ep
        .connect(t, SocketAddrV4::new(B_IP, 0), SocketAddrV4::new(A_IP, 9))
        .unwrap();
    let local = ep.connection(active).unwrap().local();
    assert_eq!(ep.lookup(local, SocketAddrV4::new(A_IP, 9)), Some(active));
    assert_eq!(ep.child(local, SocketAddrV4::new(A_IP, 9)), None);
}

// ------------------------------------------------------------- TIME-WAIT

/// Item: once compacted into TIME-WAIT, the handle no longer answers
/// `state`, but the 4-tuple does: `time_wait` gives the handle it had,
/// the expiry and the time left; the 2·MSL restart moves it; at expiry the
/// entry goes and `Closed` comes with the handle.
#[test]
fn time_wait_is_seen_by_four_tuple_after_compaction() {
    let mut ep = endpoint(Config::rfc9293());
    ep.listen(SERVER).unwrap();
    let t0 = Instant::ZERO;
    ep.handle_segment(t0, &syn_from(CLIENT));
    ep.handle_segment(t0, &ack_from(CLIENT));
    let h = ep.accept(SERVER).unwrap();
    let t1 = Instant::from_secs(1);
    ep.close(t1, h).unwrap();
    ep.handle_segment(
        t1,
        &seg(
            CLIENT,
            SERVER,
            Flags::FIN | Flags::ACK,
            PEER_ISS.add(1),
            ISS.add(2),
        ),
    );
    drain(&mut ep);
    events(&mut ep);
    let two_msl = Config::rfc9293().time_wait();

    assert_eq!(ep.time_wait_count(), 1, "compacted");
    assert_eq!(ep.state(h), None);
    assert_eq!(ep.lookup(SERVER, CLIENT), None);
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));
    let tw = ep.time_wait(SERVER, CLIENT).expect("in TIME-WAIT");
    assert_eq!(tw.handle, h);
    assert!(tw.compact);
    assert_eq!(tw.expiry, t1 + two_msl);
    assert_eq!((tw.snd_nxt, tw.rcv_nxt), (ISS.add(2), PEER_ISS.add(2)));
    let t2 = Instant::from_secs(31);
    assert_eq!(tw.time_left(t2), two_msl - Duration::from_secs(30));
    assert_eq!(ep.poll_timeout(), Some(tw.expiry));

    // A retransmitted FIN restarts 2·MSL: the expiry moves.
    ep.handle_segment(
        t2,
        &seg(
            CLIENT,
            SERVER,
            Flags::FIN | Flags::ACK,
            PEER_ISS.add(1),
            ISS.add(2),
        ),
    );
    drain(&mut ep);
    let tw = ep.time_wait(SERVER, CLIENT).unwrap();
    assert_eq!(tw.expiry, t2 + two_msl);
    assert_eq!(tw.time_left(t2), two_msl);

    ep.advance_to(t2 + two_msl);
    assert_eq!(ep.time_wait(SERVER, CLIENT), None);
    assert_eq!(ep.state_of(SERVER, CLIENT), None);
    assert_eq!(events(&mut ep), [(h, Event::Closed)]);
}

/// A connection in TIME-WAIT that still has data to read keeps its TCB;
/// `time_wait` answers for it too (`compact` false) and its handle still
/// answers `state`.
#[test]
fn time_wait_with_unread_data_answers_by_handle_and_four_tuple() {
    let mut ep = endpoint(Config::rfc9293());
    let t = Instant::ZERO;
    let h = ep.connect(t, CLIENT, SERVER).unwrap();
    drain(&mut ep);
    let from_server = |flags, seq, ack| -> Segment { seg(SERVER, CLIENT, flags, seq, ack) };
    ep.handle_segment(
        t,
        &from_server(Flags::SYN | Flags::ACK, PEER_ISS, ISS.add(1)),
    );
    let mut data = from_server(Flags::ACK, PEER_ISS.add(1), ISS.add(1));
    data.payload = b"unread".to_vec();
    ep.handle_segment(t, &data);
    ep.close(t, h).unwrap();
    ep.handle_segment(
        t,
        &from_server(Flags::FIN | Flags::ACK, PEER_ISS.add(7), ISS.add(2)),
    );
    drain(&mut ep);
    assert_eq!(ep.state(h), Some(State::TimeWait));
    let tw = ep.time_wait(CLIENT, SERVER).expect("in TIME-WAIT");
    assert_eq!((tw.handle, tw.compact), (h, false));
    assert_eq!(tw.expiry, t + Config::rfc9293().time_wait());
    assert_eq!(tw.rcv_nxt, PEER_ISS.add(8));
    assert_eq!(ep.time_wait_count(), 0);
}

// ------------------------------------------------------------- listeners

/// Item: whether the endpoint listens, and on what.
#[test]
fn listeners_are_visible() {
    let mut ep = endpoint(Config::rfc9293());
    assert!(!ep.is_listening(SERVER));
    assert_eq!(ep.listeners().count(), 0);
    ep.listen(ANY_80).unwrap();
    ep.listen(SocketAddrV4::new(B_IP, 443)).unwrap();
    // A SYN to any address on port 80 reaches the wildcard listener.
    assert!(ep.is_listening(SERVER));
    assert!(ep.is_listening(SocketAddrV4::new(A_IP, 80)));
    assert!(ep.is_listening(ANY_80));
    assert!(ep.is_listening(SocketAddrV4::new(B_IP, 443)));
    assert!(!ep.is_listening(SocketAddrV4::new(A_IP, 443)));
    assert!(!ep.is_listening(SocketAddrV4::new(B_IP, 81)));
    let mut all: Vec<SocketAddrV4> = ep.listeners().collect();
    all.sort();
    assert_eq!(all, [ANY_80, SocketAddrV4::new(B_IP, 443)]);
    ep.close_listener(ANY_80).unwrap();
    assert!(!ep.is_listening(SERVER));
    assert_eq!(
        ep.listeners().collect::<Vec<_>>(),
        [SocketAddrV4::new(B_IP, 443)]
    );
}

// ------------------------------------------------------------------ time

/// Item: `poll_timeout` takes `&self` on the endpoint as on a connection.
#[test]
fn poll_timeout_takes_a_shared_reference() {
    let mut ep = endpoint(Config::rfc9293());
    let h = ep.connect(Instant::ZERO, CLIENT, SERVER).unwrap();
    let shared: &Endpoint = &ep;
    assert_eq!(shared.poll_timeout(), Some(Instant::from_secs(1)));
    assert_eq!(
        shared.connection(h).and_then(|c| c.poll_timeout()),
        shared.poll_timeout()
    );
}

/// Item: `advance_to` fires each deadline at its own instant. A SYN to a
/// silent peer goes again at 1, 3 and 7 s; a late `handle_timeout(8 s)`
/// would have sent one SYN and moved the next to 10 s.
#[test]
fn advance_to_fires_each_deadline_at_its_own_instant() {
    let mut ep = endpoint(Config::rfc9293());
    let h = ep.connect(Instant::ZERO, CLIENT, SERVER).unwrap();
    drain(&mut ep);
    let mut fired = Vec::new();
    while let Some(at) = ep.handle_next_timeout(Instant::from_secs(8)) {
        fired.push((at, drain(&mut ep).len()));
    }
    let s = Instant::from_secs;
    assert_eq!(fired, [(s(1), 1), (s(3), 1), (s(7), 1)]);
    assert_eq!(ep.poll_timeout(), Some(s(15)));

    let mut late = endpoint(Config::rfc9293());
    late.connect(Instant::ZERO, CLIENT, SERVER).unwrap();
    drain(&mut late);
    late.handle_timeout(s(8));
    assert_eq!(drain(&mut late).len(), 1);
    assert_eq!(late.poll_timeout(), Some(s(10)));

    // To the end: the SYN retries run out at 183 s (Config::syn_retries).
    ep.advance_to(s(1000));
    assert_eq!(drain(&mut ep).len(), 4, "SYNs at 15, 31, 63 and 123 s");
    assert_eq!(events(&mut ep), [(h, Event::TimedOut)]);
    assert_eq!(ep.poll_timeout(), None);
}

/// `advance_to` interleaves the deadlines of several connections and a
/// TIME-WAIT entry in time order, and leaves those after the target.
#[test]
fn advance_to_orders_deadlines_across_connections() {
    let mut ep = endpoint(Config {
        msl: Duration::from_secs(2),
        ..Config::rfc9293()
    });
    let s = Instant::from_secs;
    let a = ep.connect(s(0), CLIENT, SERVER).unwrap();
    let b = ep
        .connect(s(2), CLIENT2, SocketAddrV4::new(B_IP, 81))
        .unwrap();
    drain(&mut ep);
    // a: 1, 3, 7 s; b: 3, 5, 9 s.
    let mut fired = Vec::new();
    while let Some(at) = ep.handle_next_timeout(s(9)) {
        fired.push(at);
    }
    assert_eq!(fired, [s(1), s(3), s(5), s(7), s(9)]);
    assert_eq!(drain(&mut ep).len(), 6, "a at 1, 3, 7; b at 3, 5, 9");
    assert_eq!(ep.poll_timeout(), Some(s(15)), "a's next");
    assert_eq!(ep.state(a), Some(State::SynSent));
    assert_eq!(ep.state(b), Some(State::SynSent));
}
