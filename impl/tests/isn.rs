//! The RFC 6528 ISN source: deterministic for a tuple and an instant,
//! advancing one per 4 µs, and keyed per 4-tuple.

use std::net::{Ipv4Addr, SocketAddrV4};

use proptest::prelude::*;
use synfin_tcp::isn::{FixedIsn, IsnSource, Rfc6528Isn};
use synfin_tcp::seq::SeqNum;
use synfin_tcp::time::Instant;

const KEY: [u8; 16] = *b"synfin-test-key!";
const L: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 49152);
const R: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

fn arb_addr() -> impl Strategy<Value = SocketAddrV4> {
    (any::<u32>(), any::<u16>()).prop_map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

fn arb_key() -> impl Strategy<Value = [u8; 16]> {
    any::<[u8; 16]>()
}

#[test]
fn fixed_isn_ignores_time_and_tuple() {
    let mut f = FixedIsn(SeqNum(u32::MAX - 1));
    assert_eq!(f.iss(Instant::ZERO, L, R), SeqNum(u32::MAX - 1));
    assert_eq!(f.iss(Instant::from_secs(99), R, L), SeqNum(u32::MAX - 1));
}

#[test]
fn clock_ticks_every_four_microseconds() {
    assert_eq!(Rfc6528Isn::clock(Instant::from_micros(0)), 0);
    assert_eq!(Rfc6528Isn::clock(Instant::from_micros(3)), 0);
    assert_eq!(Rfc6528Isn::clock(Instant::from_micros(4)), 1);
    assert_eq!(Rfc6528Isn::clock(Instant::from_secs(1)), 250_000);
    // One full cycle of the 32-bit timer is 2^32 · 4 µs (about 4.77 h).
    assert_eq!(Rfc6528Isn::clock(Instant::from_micros(4 << 32)), 0);
}

#[test]
fn isn_is_clock_plus_keyed_offset() {
    let mut g = Rfc6528Isn::new(KEY);
    let f = g.offset(L, R);
    assert_eq!(g.iss(Instant::ZERO, L, R), SeqNum(f));
    assert_eq!(
        g.iss(Instant::from_secs(1), L, R),
        SeqNum(f.wrapping_add(250_000))
    );
}

#[test]
fn direction_matters() {
    // F is over (local, remote) in that order: the two ends of one
    // connection draw unrelated ISNs.
    let g = Rfc6528Isn::new(KEY);
    assert_ne!(g.offset(L, R), g.offset(R, L));
}

#[test]
fn debug_hides_the_key() {
    let s = format!("{:?}", Rfc6528Isn::new(KEY));
    assert!(!s.contains("synfin"), "{s}");
    assert!(!s.contains("115"), "{s}"); // b's' as a decimal byte
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Same key, tuple and instant: same ISN (no hidden state or randomness).
    #[test]
    fn deterministic(key in arb_key(), l in arb_addr(), r in arb_addr(), t in any::<u64>()) {
        let now = Instant::from_micros(t);
        let a = Rfc6528Isn::new(key).iss(now, l, r);
        let mut g = Rfc6528Isn::new(key);
        let b = g.iss(now, l, r);
        let c = g.iss(now, l, r);
        prop_assert_eq!(a, b);
        prop_assert_eq!(b, c);
    }

    /// The ISN advances by exactly one per 4 µs, across the 2^32 wrap of
    /// both the timer and the sum.
    #[test]
    fn advances_one_per_tick(
        key in arb_key(), l in arb_addr(), r in arb_addr(),
        t in 0u64..(1 << 50), ticks in 0u64..(1 << 36), within in 0u64..4,
    ) {
        let mut g = Rfc6528Isn::new(key);
        let t0 = t - t % 4;
        let base = g.iss(Instant::from_micros(t0), l, r);
        let later = g.iss(Instant::from_micros(t0 + ticks * 4 + within), l, r);
        prop_assert_eq!(later, base.add(ticks as u32));
    }

    /// Different 4-tuples at the same instant get different ISNs (the
    /// keyed hash separates them; a 32-bit collision has probability
    /// 2^-32 per case, so this would flake about once in 8 million runs).
    #[test]
    fn different_tuples_differ(
        key in arb_key(), l in arb_addr(), r in arb_addr(), r2 in arb_addr(), t in any::<u64>(),
    ) {
        prop_assume!(r != r2);
        let mut g = Rfc6528Isn::new(key);
        let now = Instant::from_micros(t);
        prop_assert_ne!(g.iss(now, l, r), g.iss(now, l, r2));
    }

    /// Only the port differs: still a different ISN.
    #[test]
    fn port_alone_separates(key in arb_key(), l in arb_addr(), r in arb_addr(), p in any::<u16>()) {
        prop_assume!(p != r.port());
        let g = Rfc6528Isn::new(key);
        let r2 = SocketAddrV4::new(*r.ip(), p);
        prop_assert_ne!(g.offset(l, r), g.offset(l, r2));
    }

    /// Different secrets give different offsets for the same tuple (MUST-9:
    /// F is not computable without the key).
    #[test]
    fn key_matters(k1 in arb_key(), k2 in arb_key(), l in arb_addr(), r in arb_addr()) {
        prop_assume!(k1 != k2);
        prop_assert_ne!(Rfc6528Isn::new(k1).offset(l, r), Rfc6528Isn::new(k2).offset(l, r));
    }
}
