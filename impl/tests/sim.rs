//! Two endpoints over the simulated network: clean runs, runs with loss,
//! duplication, reordering and delay, and proptest over random schedules.
//!
//! Every run asserts stream integrity (what a side received is a prefix of
//! what the other sent, and all of it when the connection closed in
//! order), that nothing panics, and that both sides end CLOSED or
//! ESTABLISHED once the simulation is idle (TIME-WAIT has expired by then).

use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Duration;

use proptest::prelude::*;
use synfin_tcp::conn::{Config, Event, State};
use synfin_tcp::endpoint::Endpoint;
use synfin_tcp::isn::Rfc6528Isn;
use synfin_tcp::sim::{Faults, Rng, Role, Script, Side, Sim};
use synfin_tcp::time::Instant;

const A_IP: Ipv4Addr = Ipv4Addr::new(10, 0, 0, 1);
const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

fn endpoint(config: Config, seed: u8) -> Endpoint {
    Endpoint::with_isn(
        config,
        Box::new(Rfc6528Isn::new([seed; 16])),
        [seed ^ 0xAA; 16],
    )
}

/// Bytes `0, 1, 2, …` (mod 251) so a misplaced byte is visible.
fn pattern(n: usize, salt: u8) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ salt).collect()
}

struct Outcome {
    client: Script,
    server: Script,
    sim: Sim,
}

/// One connection: the client sends `up`, the server `down`; `client_first`
/// says who closes first (the other closes after the peer's FIN).
fn run(
    config: Config,
    faults: Faults,
    seed: u64,
    up: usize,
    down: usize,
    client_first: bool,
    through_wire: bool,
) -> Outcome {
    let mut sim = Sim::new(
        endpoint(config, 1),
        endpoint(config, 2),
        faults,
        Rng::new(seed),
    );
    sim.through_wire = through_wire;
    let mut client = Script::new(
        Role::Client {
            local: SocketAddrV4::new(A_IP, 0),
            remote: SERVER,
        },
        pattern(up, 0x11),
        client_first,
    );
    let mut server = Script::new(
        Role::Server { local: SERVER },
        pattern(down, 0x22),
        !client_first,
    );
    sim.drive(
        1_000_000,
        Instant::from_secs(24 * 3600),
        |side, ep, now| match side {
            Side::A => client.run(ep, now),
            Side::B => server.run(ep, now),
        },
    )
    .expect("the simulation goes idle");
    Outcome {
        client,
        server,
        sim,
    }
}

/// The properties every run must have, faults or not.
fn check_invariants(o: &Outcome) -> Result<(), TestCaseError> {
    let (c, s) = (&o.client, &o.server);
    // Stream integrity: a prefix of what the peer sent, byte for byte.
    prop_assert!(s.received.len() <= c.data.len());
    prop_assert_eq!(&s.received[..], &c.data[..s.received.len()]);
    prop_assert!(c.received.len() <= s.data.len());
    prop_assert_eq!(&c.received[..], &s.data[..c.received.len()]);
    // Idle: no connection is half-way. Every side is CLOSED (no TCB, no
    // TIME-WAIT entry left) or ESTABLISHED. One exception is RFC 9293's own:
    // FIN-WAIT-2 has no timer (Linux's tcp_fin_timeout is an extension), so
    // a side whose FIN was acknowledged waits there for good if the peer
    // then gave up on its retransmissions (TimedOut) under heavy loss.
    for (script, ep, peer) in [(c, &o.sim.a, s), (s, &o.sim.b, c)] {
        if let Some(h) = script.handle {
            let st = ep.state(h);
            let peer_gave_up = peer.terminal() == Some(Event::TimedOut);
            prop_assert!(
                st.is_none()
                    || st == Some(State::Established)
                    || (st == Some(State::FinWait2) && peer_gave_up),
                "left in {:?} (peer ended with {:?})",
                st,
                peer.terminal()
            );
        }
        prop_assert_eq!(ep.time_wait_count(), 0);
    }
    // A connection that closed in order delivered everything, both ways.
    if c.terminal() == Some(Event::Closed) && s.terminal() == Some(Event::Closed) {
        prop_assert_eq!(&s.received, &c.data);
        prop_assert_eq!(&c.received, &s.data);
    }
    Ok(())
}

#[test]
fn clean_exchange_closes_in_order() {
    let o = run(
        Config::rfc9293(),
        Faults::NONE,
        1,
        10_000,
        3_000,
        true,
        true,
    );
    check_invariants(&o).unwrap();
    assert_eq!(o.server.received, o.client.data);
    assert_eq!(o.client.received, o.server.data);
    assert_eq!(o.client.events.first(), Some(&Event::Connected));
    // One SYN each way (the SYN and the SYN,ACK), and every segment
    // counted on the side that sent it.
    let net = o.sim.stats();
    assert_eq!(net.syns_by, [1, 1]);
    assert_eq!(net.sent_by[0] + net.sent_by[1], net.sent);
    assert_eq!(o.client.terminal(), Some(Event::Closed));
    assert_eq!(o.server.terminal(), Some(Event::Closed));
    // The client closed first, so it went through TIME-WAIT, which ended
    // 2·MSL after it began: the run lasted at least 240 s.
    assert_eq!(o.sim.a.stats().time_wait_entered, 1);
    assert_eq!(o.sim.b.stats().time_wait_entered, 0);
    assert!(o.sim.now() >= Instant::from_secs(240), "{}", o.sim.now());
    assert_eq!(o.sim.stats().lost, 0);
    assert_eq!(o.sim.stats().unparsable, 0);
}

#[test]
fn server_closing_first_holds_time_wait() {
    let o = run(Config::rfc9293(), Faults::NONE, 2, 100, 100, false, false);
    check_invariants(&o).unwrap();
    assert_eq!(o.sim.a.stats().time_wait_entered, 0);
    assert_eq!(o.sim.b.stats().time_wait_entered, 1);
    assert_eq!(o.client.terminal(), Some(Event::Closed));
    assert_eq!(o.server.terminal(), Some(Event::Closed));
}

fn lossy() -> Faults {
    Faults {
        loss: 0.1,
        duplicate: 0.1,
        reorder: 0.2,
        reorder_delay: Duration::from_millis(80),
        delay_min: Duration::from_millis(1),
        delay_max: Duration::from_millis(30),
    }
}

#[test]
fn faults_do_not_break_the_stream() {
    for seed in 0..20 {
        let o = run(
            Config::rfc9293(),
            lossy(),
            seed,
            20_000,
            5_000,
            seed % 2 == 0,
            seed % 4 == 0,
        );
        check_invariants(&o).unwrap();
        let st = o.sim.stats();
        assert!(
            st.lost > 0 && st.duplicated > 0 && st.reordered > 0,
            "{st:?}"
        );
        // 10 % loss is far from the retry limits: everything arrives and
        // both sides close in order.
        assert_eq!(o.server.received, o.client.data, "seed {seed}");
        assert_eq!(o.client.received, o.server.data, "seed {seed}");
        assert_eq!(o.client.terminal(), Some(Event::Closed), "seed {seed}");
        assert_eq!(o.server.terminal(), Some(Event::Closed), "seed {seed}");
    }
}

#[test]
fn same_seed_same_run() {
    let a = run(Config::rfc9293(), lossy(), 7, 5_000, 5_000, true, false);
    let b = run(Config::rfc9293(), lossy(), 7, 5_000, 5_000, true, false);
    assert_eq!(a.sim.stats(), b.sim.stats());
    assert_eq!(a.sim.now(), b.sim.now());
    assert_eq!(a.client.events, b.client.events);
}

#[test]
fn a_dead_link_times_out() {
    let faults = Faults {
        loss: 1.0,
        ..Faults::NONE
    };
    let o = run(Config::rfc9293(), faults, 3, 10, 10, true, false);
    check_invariants(&o).unwrap();
    // Every SYN is lost: the client gives up after its SYN retries.
    assert_eq!(o.client.terminal(), Some(Event::TimedOut));
    assert!(o.server.handle.is_none());
    let syns = o.sim.stats().sent;
    assert_eq!(syns, 1 + u64::from(Config::rfc9293().syn_retries));
    // All of them SYNs, all from the client.
    assert_eq!(o.sim.stats().sent_by, [syns, 0]);
    assert_eq!(o.sim.stats().syns_by, [syns, 0]);
}

fn arb_faults() -> impl Strategy<Value = Faults> {
    (
        0.0..0.5f64,
        0.0..0.3f64,
        0.0..0.5f64,
        0u64..200,
        0u64..20,
        0u64..200,
    )
        .prop_map(
            |(loss, duplicate, reorder, reorder_ms, min_ms, spread_ms)| Faults {
                loss,
                duplicate,
                reorder,
                reorder_delay: Duration::from_millis(reorder_ms),
                delay_min: Duration::from_millis(min_ms),
                delay_max: Duration::from_millis(min_ms + spread_ms),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Random fault schedules, sizes, closing orders and profiles: stream
    /// integrity, no panic, and an idle end with both sides CLOSED or
    /// ESTABLISHED.
    #[test]
    fn random_schedules(
        faults in arb_faults(),
        seed in any::<u64>(),
        up in 0usize..30_000,
        down in 0usize..30_000,
        client_first in any::<bool>(),
        legacy in any::<bool>(),
        wire in any::<bool>(),
    ) {
        let config = if legacy { Config::rfc793() } else { Config::rfc9293() };
        let o = run(config, faults, seed, up, down, client_first, wire);
        check_invariants(&o)?;
    }
}

/// Many short connections in a row over a lossy link, each started while
/// the earlier ones are still in TIME-WAIT on the client: every one gets
/// a fresh ephemeral port, delivers its bytes and closes in order.
#[test]
fn short_connections_back_to_back() {
    let config = Config::rfc9293();
    let mut sim = Sim::new(
        endpoint(config, 3),
        endpoint(config, 4),
        lossy(),
        Rng::new(99),
    );
    for i in 0..30u8 {
        let mut client = Script::new(
            Role::Client {
                local: SocketAddrV4::new(A_IP, 0),
                remote: SERVER,
            },
            pattern(700 + usize::from(i) * 13, i),
            true,
        );
        let mut server = Script::new(Role::Server { local: SERVER }, pattern(300, !i), false);
        let now = sim.now();
        client.run(&mut sim.a, now);
        let now = sim.now();
        server.run(&mut sim.b, now);
        // The client closes first: it is done once its TCB has been
        // compacted into TIME-WAIT (its Closed event comes 2·MSL later).
        let done = |c: &Script, sim: &Sim| c.handle.is_some_and(|h| sim.a.state(h).is_none());
        while !done(&client, &sim) || server.terminal().is_none() {
            assert!(sim.step(), "idle before connection {i} finished");
            let now = sim.now();
            client.run(&mut sim.a, now);
            let now = sim.now();
            server.run(&mut sim.b, now);
        }
        assert_eq!(client.terminal(), None, "connection {i}");
        assert_eq!(server.terminal(), Some(Event::Closed), "connection {i}");
        assert_eq!(server.received, client.data, "connection {i}");
        assert_eq!(client.received, server.data, "connection {i}");
        let h = client.handle.unwrap();
        assert_eq!(sim.a.state(h), None, "compacted into TIME-WAIT");
    }
    // All 30 closed well within 2·MSL, so all 30 are in TIME-WAIT at once,
    // each on its own port.
    assert!(sim.now() < Instant::from_secs(240), "{}", sim.now());
    assert_eq!(sim.a.time_wait_count(), 30);
    assert_eq!(sim.a.connection_count(), 0);
    assert_eq!(sim.b.connection_count(), 0);
    let mut closed = 0;
    sim.drive(1_000_000, Instant::from_secs(3600), |side, ep, _| {
        while let Some((_, ev)) = ep.poll_event() {
            assert_eq!((side, ev), (Side::A, Event::Closed));
            closed += 1;
        }
    })
    .unwrap();
    assert_eq!(
        closed, 30,
        "one Closed per connection when its TIME-WAIT ends"
    );
    assert_eq!(sim.a.time_wait_count(), 0);
}

/// The server closes first, so the 4-tuple sits in TIME-WAIT on the server
/// for 2·MSL. A client that reopens from the same port at once gets in
/// with MAY-2 (its new ISN, from the 4 µs clock, is above the old
/// incarnation's numbers), and without it is turned away: its SYNs draw
/// challenge ACKs, its RSTs are ignored (RFC 1337), and it gives up after
/// its SYN retries (183 s), before the 240 s TIME-WAIT ends.
#[test]
fn reopening_a_port_in_time_wait_needs_may2() {
    let client_addr = SocketAddrV4::new(A_IP, 40_000);
    for may2 in [true, false] {
        let mut config = Config::rfc9293();
        config.time_wait_reopen = may2;
        let mut sim = Sim::new(
            endpoint(config, 5),
            endpoint(config, 6),
            Faults::NONE,
            Rng::new(1),
        );
        let role = Role::Client {
            local: client_addr,
            remote: SERVER,
        };
        let mut client = Script::new(role, pattern(500, 1), false);
        let mut server = Script::new(Role::Server { local: SERVER }, pattern(500, 2), true);
        loop {
            let now = sim.now();
            client.run(&mut sim.a, now);
            server.run(&mut sim.b, now);
            if client.terminal().is_some() {
                break;
            }
            assert!(sim.step());
        }
        assert_eq!(client.terminal(), Some(Event::Closed));
        assert_eq!(sim.b.state_of(SERVER, client_addr), Some(State::TimeWait));

        // One second later, the same client port again.
        let start = sim.now() + Duration::from_secs(1);
        sim.advance_to(start);
        assert_eq!(sim.b.state_of(SERVER, client_addr), Some(State::TimeWait));
        let mut again = Script::new(role, pattern(100, 3), false);
        let mut server2 = Script::new(Role::Server { local: SERVER }, Vec::new(), false);
        let now = sim.now();
        server2.run(&mut sim.b, now);
        let connected = loop {
            let now = sim.now();
            again.run(&mut sim.a, now);
            server2.run(&mut sim.b, now);
            if again.events.contains(&Event::Connected) {
                break Some(now);
            }
            if again.terminal().is_some() || !sim.step() {
                break None;
            }
        };
        if may2 {
            let t = connected.expect("MAY-2 reopens the 4-tuple");
            assert!(t < start + Duration::from_millis(100), "{t}");
            assert_eq!(sim.b.stats().time_wait_reopened, 1);
        } else {
            assert_eq!(connected, None);
            assert_eq!(again.terminal(), Some(Event::TimedOut));
            assert!(sim.now() < start + config.time_wait());
            assert_eq!(sim.b.stats().time_wait_reopened, 0);
        }
    }
}
