//! Benchmark: handshake + small transfer + teardown cycles per second in
//! the simulator, and the sizes that bound memory.
//!
//! ```sh
//! cargo run --release -p synfin-tcp --example sim_bench -- --cycles 500000
//! cargo run --release -p synfin-tcp --example sim_bench -- --cycles 200000 --wire
//! ```
//!
//! One cycle, on one thread, in virtual time over a lossless 1 ms link:
//! the client connects from an ephemeral port, sends 100 bytes and closes;
//! the server accepts, reads them, answers 100 bytes and closes after the
//! client's FIN; the client's TIME-WAIT entry is created, and the run is
//! driven to idle, so the entry also expires (2·MSL of virtual time) before
//! the next cycle. Each cycle is about ten segments; `--wire` also emits
//! every segment to IPv4 bytes and parses it back.

// A driver, not the core: it times itself with the wall clock.
#![allow(clippy::disallowed_methods)]

use std::mem::size_of;
use std::net::{Ipv4Addr, SocketAddrV4};
use std::time::Instant as WallClock;

use synfin_tcp::conn::{Config, Connection, Event};
use synfin_tcp::endpoint::{ConnHandle, Endpoint, SLOT_BYTES, TIME_WAIT_ENTRY_BYTES};
use synfin_tcp::isn::Rfc6528Isn;
use synfin_tcp::sim::{Faults, Rng, Side, Sim};
use synfin_tcp::time::Instant;
use synfin_tcp::wire::Segment;

const CLIENT: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 0);
const SERVER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
const PAYLOAD: [u8; 100] = [0x5A; 100];

/// The two applications' state for one cycle.
#[derive(Default)]
struct Apps {
    server: Option<ConnHandle>,
    client_done: bool,
    server_done: bool,
    received: usize,
}

fn run_app(side: Side, ep: &mut Endpoint, now: Instant, apps: &mut Apps) {
    let mut buf = [0u8; 256];
    if side == Side::B && apps.server.is_none() {
        apps.server = ep.accept(SERVER);
    }
    while let Some((h, ev)) = ep.poll_event() {
        match (side, ev) {
            (Side::A, Event::Connected) => {
                let _ = ep.send(now, h, &PAYLOAD);
                let _ = ep.close(now, h);
            }
            (Side::A, Event::Data) => {
                while let Ok(n @ 1..) = ep.recv(now, h, &mut buf) {
                    apps.received += n;
                }
            }
            (Side::B, Event::Data) => {
                while let Ok(n @ 1..) = ep.recv(now, h, &mut buf) {
                    apps.received += n;
                }
            }
            (Side::B, Event::PeerClosed) => {
                let _ = ep.send(now, h, &PAYLOAD);
                let _ = ep.close(now, h);
            }
            (Side::A, e) if e.is_terminal() => apps.client_done = true,
            (Side::B, e) if e.is_terminal() => apps.server_done = true,
            _ => {}
        }
    }
}

/// Nanoseconds this thread has run on a CPU (Linux `/proc/thread-self/schedstat`),
/// so other load on the machine does not count against the figure.
fn cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    let mut cycles: u64 = 200_000;
    let mut wire = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--cycles" => {
                cycles = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--cycles needs a number")
            }
            "--wire" => wire = true,
            _ => {
                eprintln!("usage: sim_bench [--cycles N] [--wire]");
                std::process::exit(2);
            }
        }
    }

    let config = Config::rfc9293();
    let a = Endpoint::with_isn(config, Box::new(Rfc6528Isn::new([1; 16])), [3; 16]);
    let mut b = Endpoint::with_isn(config, Box::new(Rfc6528Isn::new([2; 16])), [4; 16]);
    b.listen(SERVER).expect("listen");
    let mut sim = Sim::new(a, b, Faults::NONE, Rng::new(1));
    sim.through_wire = wire;

    let start = WallClock::now();
    let cpu_start = cpu_ns();
    let mut bytes = 0;
    for _ in 0..cycles {
        let mut apps = Apps::default();
        sim.a.connect(sim.now(), CLIENT, SERVER).expect("connect");
        sim.drive(
            10_000,
            Instant::from_secs(u64::MAX / 2_000_000),
            |side, ep, now| run_app(side, ep, now, &mut apps),
        )
        .expect("idle");
        assert!(apps.client_done && apps.server_done, "cycle did not finish");
        assert_eq!(apps.received, 2 * PAYLOAD.len());
        bytes += apps.received;
    }
    let secs = start.elapsed().as_secs_f64();
    let cpu_secs = cpu_ns()
        .zip(cpu_start)
        .map(|(end, begin)| (end - begin) as f64 / 1e9);
    let st = sim.stats();
    assert_eq!(sim.a.time_wait_count() + sim.a.connection_count(), 0);
    assert_eq!(sim.b.connection_count(), 0);

    println!(
        "sim_bench: {cycles} cycles in {secs:.3} s = {:.0} cycles/s{} ({:.1} segments/cycle, {bytes} bytes delivered, virtual time {})",
        cycles as f64 / secs,
        if wire { " through the wire codec" } else { "" },
        st.delivered as f64 / cycles as f64,
        sim.now(),
    );
    if let Some(cpu) = cpu_secs {
        println!(
            "sim_bench: on-CPU time {cpu:.3} s = {:.0} cycles per CPU-second ({:.2} µs/cycle)",
            cycles as f64 / cpu,
            cpu * 1e6 / cycles as f64
        );
    }
    println!(
        "size_of: Connection {} B, endpoint slot {} B, TIME-WAIT entry {} B, Segment {} B",
        size_of::<Connection>(),
        SLOT_BYTES,
        TIME_WAIT_ENTRY_BYTES,
        size_of::<Segment>(),
    );
}
