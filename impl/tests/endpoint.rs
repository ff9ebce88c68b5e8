//! The endpoint: demultiplexing, RSTs for segments that match nothing,
//! listeners under a SYN flood, the TIME-WAIT table, ephemeral ports and
//! MAY-2 reopening.

use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use synfin_tcp::conn::{Config, Connection, Error, Event, State};
use synfin_tcp::endpoint::{ConnHandle, Endpoint, SLOT_BYTES, TIME_WAIT_ENTRY_BYTES};
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::sim::{Faults, Rng, Sim};
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const B_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 2);
const SERVER: SocketAddrV4 = SocketAddrV4::new(B_IP, 80);
const CLIENT: SocketAddrV4 = SocketAddrV4::new(A_IP, 40000);
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

/// A server endpoint with a connection from CLIENT in ESTABLISHED, the
/// test playing the client by hand.
fn established_server(config: Config) -> (Endpoint, ConnHandle) {
    let mut ep = endpoint(config);
    ep.listen(SERVER).unwrap();
    let t = Instant::ZERO;
    ep.handle_segment(t, &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)));
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flags, Flags::SYN | Flags::ACK);
    assert_eq!(out[0].ack, PEER_ISS.add(1));
    assert_eq!(ep.half_open(SERVER), 1);
    assert_eq!(ep.accept(SERVER), None, "not established yet");
    ep.handle_segment(
        t,
        &seg(CLIENT, SERVER, Flags::ACK, PEER_ISS.add(1), ISS.add(1)),
    );
    assert_eq!(ep.half_open(SERVER), 0);
    let h = ep
        .accept(SERVER)
        .expect("established and queued for accept");
    assert_eq!(ep.state(h), Some(State::Established));
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::Established));
    assert_eq!(events(&mut ep), vec![(h, Event::Connected)]);
    (ep, h)
}

/// The server closes first: FIN, the client's ACK and FIN, our ACK; the
/// server is then in TIME-WAIT.
fn server_in_time_wait(config: Config) -> (Endpoint, ConnHandle) {
    let (mut ep, h) = established_server(config);
    let t = Instant::from_secs(1);
    ep.close(t, h).unwrap();
    let fin = drain(&mut ep);
    assert_eq!(fin.len(), 1);
    assert!(fin[0].flags.contains(Flags::FIN));
    ep.handle_segment(
        t,
        &seg(
            CLIENT,
            SERVER,
            Flags::FIN | Flags::ACK,
            PEER_ISS.add(1),
            ISS.add(2),
        ),
    );
    let ack = drain(&mut ep);
    assert_eq!(ack.len(), 1);
    assert_eq!(ack[0].flags, Flags::ACK);
    assert_eq!(ack[0].ack, PEER_ISS.add(2));
    (ep, h)
}

// ----------------------------------------------------------------------
// Demultiplexing and RSTs.

#[test]
fn segments_reach_their_own_connection() {
    let (mut ep, h) = established_server(Config::rfc9293());
    // A second client on another port.
    let other = SocketAddrV4::new(A_IP, 40001);
    ep.handle_segment(
        Instant::ZERO,
        &seg(other, SERVER, Flags::SYN, SeqNum(9000), SeqNum(0)),
    );
    drain(&mut ep);
    ep.handle_segment(
        Instant::ZERO,
        &seg(other, SERVER, Flags::ACK, SeqNum(9001), ISS.add(1)),
    );
    let h2 = ep.accept(SERVER).unwrap();
    assert_ne!(h, h2);
    // Data for each 4-tuple lands in its own connection.
    let mut data = seg(
        CLIENT,
        SERVER,
        Flags::ACK | Flags::PSH,
        PEER_ISS.add(1),
        ISS.add(1),
    );
    data.payload = b"first".to_vec();
    ep.handle_segment(Instant::ZERO, &data);
    let mut data2 = seg(
        other,
        SERVER,
        Flags::ACK | Flags::PSH,
        SeqNum(9001),
        ISS.add(1),
    );
    data2.payload = b"second".to_vec();
    ep.handle_segment(Instant::ZERO, &data2);
    let mut buf = [0u8; 64];
    let n = ep.recv(Instant::ZERO, h, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"first");
    let n = ep.recv(Instant::ZERO, h2, &mut buf).unwrap();
    assert_eq!(&buf[..n], b"second");
    assert_eq!(ep.connection_count(), 2);
}

#[test]
fn segment_matching_nothing_draws_rst() {
    let mut ep = endpoint(Config::rfc9293());
    // ACK off: <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>. A SYN has length 1.
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::SYN, SeqNum(77), SeqNum(0)),
    );
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flags, Flags::RST | Flags::ACK);
    assert_eq!((out[0].seq, out[0].ack), (SeqNum(0), SeqNum(78)));
    assert_eq!((out[0].src, out[0].dst), (SERVER, CLIENT));
    // With text: ACK = SEG.SEQ + text length.
    let mut s = seg(CLIENT, SERVER, Flags::PSH, SeqNum(100), SeqNum(0));
    s.payload = vec![0; 10];
    ep.handle_segment(Instant::ZERO, &s);
    assert_eq!(drain(&mut ep)[0].ack, SeqNum(110));
    // ACK on: <SEQ=SEG.ACK><CTL=RST>.
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::ACK, SeqNum(5), SeqNum(4242)),
    );
    let out = drain(&mut ep);
    assert_eq!(out[0].flags, Flags::RST);
    assert_eq!(out[0].seq, SeqNum(4242));
    // An RST is never answered.
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::RST, SeqNum(5), SeqNum(0)),
    );
    assert!(drain(&mut ep).is_empty());
    assert_eq!(ep.stats().resets_sent, 3);
    assert_eq!(ep.connection_count(), 0);
}

#[test]
fn listener_answers_ack_with_rst_and_ignores_rst() {
    let mut ep = endpoint(Config::rfc9293());
    ep.listen(SERVER).unwrap();
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::ACK, SeqNum(1), SeqNum(99)),
    );
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].flags, out[0].seq), (Flags::RST, SeqNum(99)));
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::RST, SeqNum(1), SeqNum(0)),
    );
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::FIN, SeqNum(1), SeqNum(0)),
    );
    assert!(drain(&mut ep).is_empty());
    assert_eq!(ep.connection_count(), 0);
}

#[test]
fn wildcard_listener_takes_any_address() {
    let mut ep = endpoint(Config::rfc9293());
    let any = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 80);
    ep.listen(any).unwrap();
    assert_eq!(ep.listen(any), Err(Error::ConnectionAlreadyExists));
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)),
    );
    let out = drain(&mut ep);
    assert_eq!(
        out[0].src, SERVER,
        "the SYN,ACK comes from the address the SYN was sent to"
    );
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::SynReceived));
}

#[test]
fn rst_in_syn_received_frees_the_backlog_slot() {
    let mut ep = endpoint(Config::rfc9293());
    ep.listen(SERVER).unwrap();
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)),
    );
    drain(&mut ep);
    assert_eq!(ep.half_open(SERVER), 1);
    // An in-window RST at RCV.NXT: the child returns to LISTEN, i.e. the
    // endpoint forgets it (Figure 5 note 1).
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::RST, PEER_ISS.add(1), SeqNum(0)),
    );
    assert_eq!(ep.half_open(SERVER), 0);
    assert_eq!(ep.connection_count(), 0);
    assert_eq!(ep.state_of(SERVER, CLIENT), None);
    // The 4-tuple is forgotten: a stray ACK now reaches the listener,
    // which answers it with <SEQ=SEG.ACK><CTL=RST>.
    ep.handle_segment(
        Instant::ZERO,
        &seg(CLIENT, SERVER, Flags::ACK, PEER_ISS.add(1), ISS.add(1)),
    );
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!((out[0].flags, out[0].seq), (Flags::RST, ISS.add(1)));
}

#[test]
fn simultaneous_open_through_two_endpoints() {
    let a_addr = SocketAddrV4::new(A_IP, 5000);
    let b_addr = SocketAddrV4::new(B_IP, 6000);
    let mut sim = Sim::new(
        endpoint(Config::rfc9293()),
        Endpoint::with_isn(
            Config::rfc9293(),
            Box::new(FixedIsn(SeqNum(70_000))),
            [8; 16],
        ),
        Faults::NONE,
        Rng::new(1),
    );
    let ha = sim.a.connect(Instant::ZERO, a_addr, b_addr).unwrap();
    let hb = sim.b.connect(Instant::ZERO, b_addr, a_addr).unwrap();
    // Both SYNs cross in flight: each side goes SYN-SENT → SYN-RECEIVED →
    // ESTABLISHED (Figure 7).
    while sim.a.state(ha) != Some(State::Established) || sim.b.state(hb) != Some(State::Established)
    {
        assert!(sim.step(), "stalled before ESTABLISHED");
        assert!(sim.now() < Instant::from_secs(1), "needed a retransmission");
    }
    assert_eq!(sim.stats().sent, 4, "four segments, as in Figure 7");
    assert_eq!(events(&mut sim.a), vec![(ha, Event::Connected)]);
    assert_eq!(events(&mut sim.b), vec![(hb, Event::Connected)]);
}

// ----------------------------------------------------------------------
// SYN flood.

#[test]
fn syn_flood_stays_within_the_backlog_bound() {
    const SYNS: u32 = 100_000;
    let config = Config::rfc9293();
    let mut ep = endpoint(config);
    ep.listen(SERVER).unwrap();
    let mut peak = 0;
    let mut after_backlog = 0;
    let mut synacks = 0;
    for i in 0..SYNS {
        // Every SYN from a different (spoofed) address and port.
        let src = SocketAddrV4::new(Ipv4Addr::from(0x0B00_0000 + i), 1024 + (i % 60_000) as u16);
        let t = Instant::from_micros(u64::from(i));
        ep.handle_segment(t, &seg(src, SERVER, Flags::SYN, SeqNum(i), SeqNum(0)));
        // The driver puts what the endpoint emits on the wire.
        synacks += drain(&mut ep).len();
        if ep.poll_timeout().is_some_and(|d| d <= t) {
            ep.handle_timeout(t);
            synacks += drain(&mut ep).len();
        }
        peak = peak.max(ep.heap_bytes());
        if i as usize + 1 == config.backlog {
            after_backlog = ep.heap_bytes();
        }
    }
    // The stated bound: the backlog's connections, each a slot plus its
    // queues (one SYN,ACK's worth), and the tables around them.
    let per_conn = SLOT_BYTES + 1024;
    let bound = config.backlog * per_conn + 64 * 1024;
    eprintln!(
        "SYN flood: {SYNS} SYNs, backlog {}, peak heap {peak} B, bound {bound} B, slot {SLOT_BYTES} B",
        config.backlog
    );
    assert!(peak <= bound, "peak {peak} > bound {bound}");
    // Once the backlog is full, memory does not grow at all.
    assert!(after_backlog > 0);
    assert!(
        peak <= after_backlog * 2,
        "grew from {after_backlog} to {peak} after the backlog filled"
    );
    assert_eq!(ep.half_open(SERVER), config.backlog);
    assert_eq!(ep.connection_count(), config.backlog);
    assert_eq!(synacks, config.backlog, "one SYN,ACK per admitted SYN");
    assert_eq!(
        ep.stats().syn_dropped,
        u64::from(SYNS) - config.backlog as u64
    );

    // The half-open connections time out (SYN,ACK retries) and the backlog
    // empties, so a legitimate client gets in again.
    let mut t = Instant::from_micros(u64::from(SYNS));
    while let Some(d) = ep.poll_timeout() {
        t = d;
        ep.handle_timeout(t);
        drain(&mut ep);
    }
    assert!(t < Instant::from_secs(400), "{t}");
    assert_eq!(ep.half_open(SERVER), 0);
    assert_eq!(ep.connection_count(), 0);
    ep.handle_segment(t, &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)));
    assert_eq!(drain(&mut ep)[0].flags, Flags::SYN | Flags::ACK);
}

#[test]
fn accept_queue_is_bounded_too() {
    let mut config = Config::rfc9293();
    config.backlog = 4;
    let mut ep = endpoint(config);
    ep.listen(SERVER).unwrap();
    // Six clients complete the handshake; nobody calls accept.
    for p in 0..6u16 {
        let c = SocketAddrV4::new(A_IP, 30000 + p);
        ep.handle_segment(
            Instant::ZERO,
            &seg(c, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)),
        );
        if !drain(&mut ep).is_empty() {
            ep.handle_segment(
                Instant::ZERO,
                &seg(c, SERVER, Flags::ACK, PEER_ISS.add(1), ISS.add(1)),
            );
        }
    }
    assert_eq!(ep.connection_count(), 4);
    assert_eq!(ep.stats().syn_dropped, 2);
    let accepted: Vec<_> = std::iter::from_fn(|| ep.accept(SERVER)).collect();
    assert_eq!(accepted.len(), 4);
}

// ----------------------------------------------------------------------
// TIME-WAIT table.

#[test]
fn time_wait_entry_is_at_most_64_bytes() {
    eprintln!(
        "size_of: TIME-WAIT entry {TIME_WAIT_ENTRY_BYTES} B, Connection {} B, slot {SLOT_BYTES} B",
        size_of::<Connection>()
    );
    const { assert!(TIME_WAIT_ENTRY_BYTES <= 64) };
}

#[test]
fn time_wait_is_compacted_and_expires_after_2msl() {
    let config = Config::rfc9293();
    let (mut ep, h) = server_in_time_wait(config);
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));
    assert_eq!(ep.connection_count(), 0, "no full TCB is kept");
    assert_eq!(ep.time_wait_count(), 1);
    assert_eq!(ep.state(h), None);
    assert_eq!(
        ep.close(Instant::from_secs(1), h),
        Err(Error::ConnectionDoesNotExist)
    );
    assert_eq!(
        ep.poll_timeout(),
        Some(Instant::from_secs(1) + config.time_wait())
    );
    let evs = events(&mut ep);
    assert!(!evs.contains(&(h, Event::Closed)), "{evs:?}");
    ep.handle_timeout(Instant::from_secs(1) + config.time_wait());
    assert_eq!(events(&mut ep), vec![(h, Event::Closed)]);
    assert_eq!(ep.time_wait_count(), 0);
    assert_eq!(ep.state_of(SERVER, CLIENT), None);
    assert_eq!(ep.poll_timeout(), None);
}

#[test]
fn retransmitted_fin_in_time_wait_is_acked_and_restarts_2msl() {
    let config = Config::rfc9293();
    let (mut ep, h) = server_in_time_wait(config);
    let later = Instant::from_secs(100);
    // The peer lost our last ACK and retransmits its FIN.
    ep.handle_segment(
        later,
        &seg(
            CLIENT,
            SERVER,
            Flags::FIN | Flags::ACK,
            PEER_ISS.add(1),
            ISS.add(2),
        ),
    );
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(
        (out[0].flags, out[0].seq, out[0].ack),
        (Flags::ACK, ISS.add(2), PEER_ISS.add(2))
    );
    assert_eq!(ep.poll_timeout(), Some(later + config.time_wait()));
    // The old expiry passes without effect.
    ep.handle_timeout(Instant::from_secs(1) + config.time_wait());
    assert_eq!(ep.time_wait_count(), 1);
    ep.handle_timeout(later + config.time_wait());
    assert_eq!(events(&mut ep).last(), Some(&(h, Event::Closed)));
    assert_eq!(ep.time_wait_count(), 0);
}

#[test]
fn rst_in_time_wait_is_ignored_with_rfc1337_only() {
    let rst = seg(CLIENT, SERVER, Flags::RST, PEER_ISS.add(2), SeqNum(0));
    let (mut ep, _) = server_in_time_wait(Config::rfc9293());
    ep.handle_segment(Instant::from_secs(2), &rst);
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));

    let (mut ep, h) = server_in_time_wait(Config::rfc793());
    ep.handle_segment(Instant::from_secs(2), &rst);
    assert_eq!(ep.state_of(SERVER, CLIENT), None, "TIME-WAIT assassinated");
    assert!(events(&mut ep).contains(&(h, Event::Closed)));
    assert_eq!(ep.time_wait_count(), 0);
}

#[test]
fn syn_in_time_wait_without_may2_does_not_reopen() {
    let (mut ep, _) = server_in_time_wait(Config::rfc9293());
    ep.handle_segment(
        Instant::from_secs(2),
        &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS.add(100_000), SeqNum(0)),
    );
    // RFC 5961 §4: a challenge ACK, and the 4-tuple stays in TIME-WAIT.
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flags, Flags::ACK);
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));
    assert_eq!(ep.stats().time_wait_reopened, 0);
}

#[test]
fn may2_reopens_time_wait_for_a_higher_syn() {
    let mut config = Config::rfc9293();
    config.time_wait_reopen = true;
    let (mut ep, old) = server_in_time_wait(config);
    let t = Instant::from_secs(2);
    let new_iss = PEER_ISS.add(100_000);
    ep.handle_segment(t, &seg(CLIENT, SERVER, Flags::SYN, new_iss, SeqNum(0)));
    let out = drain(&mut ep);
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].flags, Flags::SYN | Flags::ACK);
    assert_eq!(out[0].ack, new_iss.add(1));
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::SynReceived));
    assert_eq!(ep.time_wait_count(), 0);
    ep.handle_segment(
        t,
        &seg(
            CLIENT,
            SERVER,
            Flags::ACK,
            new_iss.add(1),
            out[0].seq.add(1),
        ),
    );
    let new = ep.accept(SERVER).unwrap();
    assert_ne!(new, old);
    assert_eq!(ep.state(new), Some(State::Established));
    let evs = events(&mut ep);
    assert!(evs.contains(&(old, Event::Closed)), "{evs:?}");
    assert!(evs.contains(&(new, Event::Connected)), "{evs:?}");
    assert_eq!(ep.stats().time_wait_reopened, 1);
}

#[test]
fn may2_old_duplicate_returns_to_time_wait() {
    let mut config = Config::rfc9293();
    config.time_wait_reopen = true;
    let (mut ep, old) = server_in_time_wait(config);
    let t = Instant::from_secs(2);
    let dup_seq = PEER_ISS.add(100_000);
    ep.handle_segment(t, &seg(CLIENT, SERVER, Flags::SYN, dup_seq, SeqNum(0)));
    drain(&mut ep);
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::SynReceived));
    // The peer knows nothing of it and resets our SYN,ACK: the SYN was an
    // old duplicate, so the 4-tuple goes back to TIME-WAIT (MAY-2 (2)).
    ep.handle_segment(
        t,
        &seg(CLIENT, SERVER, Flags::RST, dup_seq.add(1), SeqNum(0)),
    );
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));
    assert_eq!(ep.time_wait_count(), 1);
    assert!(!events(&mut ep).contains(&(old, Event::Closed)));
    // ... and it still expires at the original 2·MSL.
    ep.handle_timeout(Instant::from_secs(1) + config.time_wait());
    assert_eq!(events(&mut ep), vec![(old, Event::Closed)]);
}

#[test]
fn may2_syn_not_above_old_numbers_does_not_reopen() {
    let mut config = Config::rfc9293();
    config.time_wait_reopen = true;
    let (mut ep, _) = server_in_time_wait(config);
    ep.handle_segment(
        Instant::from_secs(2),
        &seg(CLIENT, SERVER, Flags::SYN, PEER_ISS, SeqNum(0)),
    );
    assert_eq!(ep.state_of(SERVER, CLIENT), Some(State::TimeWait));
    assert_eq!(ep.stats().time_wait_reopened, 0);
}

// ----------------------------------------------------------------------
// Ephemeral ports.

fn small_range(n: u16) -> Config {
    let mut c = Config::rfc9293();
    c.ephemeral_port_min = 50_000;
    c.ephemeral_port_max = 50_000 + n - 1;
    c
}

#[test]
fn ephemeral_ports_run_out_and_time_wait_holds_them() {
    let config = small_range(8);
    let mut sim = Sim::new(
        endpoint(config),
        endpoint(config),
        Faults::NONE,
        Rng::new(5),
    );
    sim.b.listen(SERVER).unwrap();
    let any_port = SocketAddrV4::new(A_IP, 0);
    let mut handles = Vec::new();
    let mut ports = Vec::new();
    for _ in 0..8 {
        let h = sim.a.connect(sim.now(), any_port, SERVER).unwrap();
        ports.push(sim.a.connection(h).unwrap().local().port());
        handles.push(h);
    }
    ports.sort_unstable();
    assert_eq!(ports, (50_000..50_008).collect::<Vec<_>>());
    assert_eq!(
        sim.a.connect(sim.now(), any_port, SERVER),
        Err(Error::NoEphemeralPort)
    );
    // Another server is a different 4-tuple: the same ports are free
    // towards it.
    let other = SocketAddrV4::new(B_IP, 8080);
    let h_other = sim.a.connect(sim.now(), any_port, other).unwrap();
    sim.a.abort(sim.now(), h_other).unwrap();

    // Establish, then the client closes first: every port ends in
    // TIME-WAIT on the client, and stays taken.
    while handles
        .iter()
        .any(|&h| sim.a.state(h) != Some(State::Established))
    {
        assert!(sim.step());
    }
    for &h in &handles {
        sim.a.close(sim.now(), h).unwrap();
    }
    let mut server_conns = Vec::new();
    while sim.a.time_wait_count() < 8 {
        assert!(sim.step());
        while let Some(h) = sim.b.accept(SERVER) {
            server_conns.push(h);
        }
        for &h in &server_conns {
            if sim.b.state(h) == Some(State::CloseWait) {
                sim.b.close(sim.now(), h).unwrap();
            }
        }
    }
    assert_eq!(sim.a.connection_count(), 0);
    let err = sim.a.connect(sim.now(), any_port, SERVER).unwrap_err();
    assert_eq!(err, Error::NoEphemeralPort);
    assert_eq!(
        err.to_string(),
        "no ephemeral port left for this remote address"
    );

    // After 2·MSL the ports come back.
    let t = sim.now() + config.time_wait() + Duration::from_secs(1);
    sim.a.handle_timeout(t);
    assert_eq!(sim.a.time_wait_count(), 0);
    assert!(sim.a.connect(t, any_port, SERVER).is_ok());
}

#[test]
fn explicit_port_in_time_wait_is_refused() {
    let (mut ep, _) = server_in_time_wait(Config::rfc9293());
    assert_eq!(
        ep.connect(Instant::from_secs(3), SERVER, CLIENT),
        Err(Error::ConnectionAlreadyExists)
    );
}

#[test]
fn connect_needs_addresses() {
    let mut ep = endpoint(Config::rfc9293());
    let unspec = SocketAddrV4::new(Ipv4Addr::UNSPECIFIED, 0);
    assert_eq!(
        ep.connect(Instant::ZERO, unspec, SERVER),
        Err(Error::ConnectionIllegal)
    );
    assert_eq!(
        ep.connect(Instant::ZERO, CLIENT, unspec),
        Err(Error::ConnectionIllegal)
    );
}

#[test]
fn handles_are_not_reused() {
    let mut ep = endpoint(Config::rfc9293());
    let h1 = ep.connect(Instant::ZERO, CLIENT, SERVER).unwrap();
    ep.abort(Instant::ZERO, h1).unwrap();
    let h2 = ep.connect(Instant::ZERO, CLIENT, SERVER).unwrap();
    assert_ne!(h1, h2);
    assert_eq!(ep.state(h1), None);
    assert_eq!(
        ep.send(Instant::ZERO, h1, b"x"),
        Err(Error::ConnectionDoesNotExist)
    );
    assert_eq!(ep.state(h2), Some(State::SynSent));
}

// ----------------------------------------------------------------------
// Robustness: arbitrary segments thrown at an endpoint.

mod arbitrary {
    use super::*;
    use proptest::prelude::*;

    fn arb_addr() -> impl Strategy<Value = SocketAddrV4> {
        prop_oneof![
            Just(CLIENT),
            Just(SERVER),
            Just(SocketAddrV4::new(A_IP, 40001)),
            (any::<u8>(), 1u16..4)
                .prop_map(|(h, p)| SocketAddrV4::new(Ipv4Addr::new(10, 0, 1, h), p)),
        ]
    }

    fn arb_seq() -> impl Strategy<Value = SeqNum> {
        prop_oneof![
            (0u32..8).prop_map(|d| PEER_ISS.add(d)),
            (0u32..8).prop_map(|d| ISS.add(d)),
            any::<u32>().prop_map(SeqNum),
        ]
    }

    fn arb_segment() -> impl Strategy<Value = Segment> {
        (
            arb_addr(),
            prop_oneof![Just(SERVER), arb_addr()],
            any::<u8>(),
            arb_seq(),
            arb_seq(),
            any::<u16>(),
            proptest::collection::vec(any::<u8>(), 0..4),
        )
            .prop_map(|(src, dst, flags, seq, ack, window, payload)| Segment {
                src,
                dst,
                seq,
                ack,
                flags: Flags::from_bits(flags),
                window,
                mss: None,
                payload,
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]

        /// Whatever arrives, in whatever order and at whatever time: no
        /// panic, the backlog bound holds, every reply goes back to the
        /// sender, and once time runs out every TCB and TIME-WAIT entry is
        /// gone except ESTABLISHED ones (and RFC 9293's timer-less
        /// FIN-WAIT-2).
        #[test]
        fn arbitrary_segments(
            may2 in any::<bool>(),
            legacy in any::<bool>(),
            input in proptest::collection::vec((arb_segment(), 0u64..3_000_000), 1..60),
        ) {
            let mut config = if legacy { Config::rfc793() } else { Config::rfc9293() };
            config.time_wait_reopen = may2;
            config.backlog = 4;
            let (mut ep, _) = server_in_time_wait(config);
            let client = ep
                .connect(Instant::from_secs(1), SocketAddrV4::new(B_IP, 0), CLIENT)
                .ok();
            drain(&mut ep);
            let mut t = Instant::from_secs(1);
            for (seg, dt) in input {
                t = t + Duration::from_micros(dt);
                if ep.poll_timeout().is_some_and(|d| d <= t) {
                    ep.handle_timeout(t);
                    drain(&mut ep);
                }
                ep.handle_segment(t, &seg);
                for out in drain(&mut ep) {
                    prop_assert_eq!((out.src, out.dst), (seg.dst, seg.src));
                }
                prop_assert!(ep.half_open(SERVER) <= config.backlog);
                prop_assert!(ep.connection_count() <= 2 * config.backlog + 1);
                events(&mut ep);
            }
            while let Some(d) = ep.poll_timeout() {
                ep.handle_timeout(d);
                drain(&mut ep);
            }
            prop_assert_eq!(ep.time_wait_count(), 0);
            let accepted: Vec<_> = std::iter::from_fn(|| ep.accept(SERVER)).collect();
            for h in accepted.into_iter().chain(client) {
                let st = ep.state(h);
                prop_assert!(
                    matches!(st, None | Some(State::Established | State::CloseWait | State::FinWait2)),
                    "{:?}", st
                );
            }
        }
    }
}
