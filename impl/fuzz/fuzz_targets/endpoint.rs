//! Arbitrary segment schedules into an endpoint with a listener and an
//! active connection, time moving forward: the core must never panic,
//! every reply must go back to the sender, and the backlog bound must hold.
//!
//! The input is decoded into segments field by field (not parsed from
//! bytes, which checksums would mostly reject), with sequence and
//! acknowledgment numbers drawn near the numbers in use.
#![no_main]

use std::net::{Ipv4Addr, SocketAddrV4};

use libfuzzer_sys::fuzz_target;
use synfin_tcp::conn::Config;
use synfin_tcp::endpoint::Endpoint;
use synfin_tcp::isn::FixedIsn;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;
use synfin_tcp::wire::{Flags, Segment};

const LOCAL: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);
const PEER: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 5000);
const ISS: SeqNum = SeqNum(1000);
const PEER_ISS: SeqNum = SeqNum(7000);
const RECORD: usize = 11;

fn number(mode: u8, raw: [u8; 4]) -> SeqNum {
    let small = u32::from(raw[0] & 0x0F);
    match mode % 4 {
        0 => PEER_ISS.add(small),
        1 => ISS.add(small),
        2 => PEER_ISS.sub(small),
        _ => SeqNum(u32::from_le_bytes(raw)),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&mode, records)) = data.split_first() else {
        return;
    };
    let mut config = if mode & 2 == 0 {
        Config::rfc9293()
    } else {
        Config::rfc793()
    };
    config.backlog = 4;
    config.time_wait_reopen = mode & 1 == 1;
    let mut ep = Endpoint::with_isn(config, Box::new(FixedIsn(ISS)), [0; 16]);
    ep.listen(LOCAL).unwrap();
    let conn = ep
        .connect(Instant::ZERO, SocketAddrV4::new(*LOCAL.ip(), 40000), PEER)
        .unwrap();
    while ep.poll_transmit().is_some() {}
    let mut now = Instant::ZERO;
    for r in records.chunks_exact(RECORD) {
        let dt = if r[0] == 255 {
            200_000
        } else {
            u64::from(r[0]) * 10
        };
        now = Instant::from_millis(now.as_micros() / 1000 + dt);
        if ep.poll_timeout().is_some_and(|t| t <= now) {
            ep.handle_timeout(now);
            while ep.poll_transmit().is_some() {}
        }
        let src = match r[1] & 3 {
            0 => PEER,
            1 => SocketAddrV4::new(*PEER.ip(), 5001),
            2 => SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 3), 5000),
            _ => SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 4), u16::from(r[1])),
        };
        let dst = if r[1] & 4 == 0 {
            LOCAL
        } else {
            SocketAddrV4::new(*LOCAL.ip(), 40000)
        };
        let seg = Segment {
            src,
            dst,
            seq: number(r[3], [r[4], r[5], r[6], r[7]]),
            ack: number(r[3] >> 2, [r[7], r[6], r[5], r[4]]),
            flags: Flags::from_bits(r[2]),
            window: u16::from_le_bytes([r[8], r[9]]),
            mss: (r[1] & 8 != 0).then_some(u16::from(r[8])),
            payload: vec![0xAB; usize::from(r[10] & 3)],
        };
        ep.handle_segment(now, &seg);
        while let Some(out) = ep.poll_transmit() {
            assert_eq!((out.src, out.dst), (seg.dst, seg.src));
        }
        if r[10] & 0x80 != 0 {
            let mut buf = [0u8; 8];
            let _ = ep.recv(now, conn, &mut buf);
            let _ = ep.send(now, conn, b"xy");
            if r[10] & 0x40 != 0 {
                let _ = ep.close(now, conn);
            }
            while ep.poll_transmit().is_some() {}
        }
        while ep.poll_event().is_some() {}
        assert!(ep.half_open(LOCAL) <= 4);
        assert!(ep.connection_count() <= 2 * 4 + 1);
    }
});
