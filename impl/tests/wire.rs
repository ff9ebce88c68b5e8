//! The wire codec: round trips, robustness against arbitrary and damaged
//! input, one test per error, and etherparse as an independent oracle.

use std::net::{Ipv4Addr, SocketAddrV4};

use etherparse::{
    IpFragOffset, IpNumber, Ipv4Header, PacketBuilder, SlicedPacket, TcpHeader, TcpOptionElement,
    TransportSlice,
};
use proptest::prelude::*;
use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire::{Flags, Segment, WireError, MAX_PAYLOAD, TTL};

const A: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 40000);
const B: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 80);

fn seg(flags: Flags, mss: Option<u16>, payload: &[u8]) -> Segment {
    Segment {
        src: A,
        dst: B,
        seq: SeqNum(1000),
        ack: SeqNum(2000),
        flags,
        window: 65535,
        mss,
        payload: payload.to_vec(),
    }
}

/// A datagram built field by field with etherparse. `tamper` runs after the
/// headers are filled in and before the checksums are computed, so the
/// result is well-formed except for what `tamper` breaks on purpose.
fn build(tamper: impl FnOnce(&mut Ipv4Header, &mut TcpHeader), payload: &[u8]) -> Vec<u8> {
    let mut tcp = TcpHeader::new(A.port(), B.port(), 1000, 65535);
    tcp.syn = true;
    let mut ip = Ipv4Header::new(0, 64, IpNumber::TCP, A.ip().octets(), B.ip().octets()).unwrap();
    tamper(&mut ip, &mut tcp);
    ip.total_len = (ip.header_len() + tcp.header_len() + payload.len()) as u16;
    ip.header_checksum = ip.calc_header_checksum();
    tcp.checksum = tcp.calc_checksum_ipv4(&ip, payload).unwrap();
    let mut out = ip.to_bytes().to_vec();
    out.extend_from_slice(&tcp.to_bytes());
    out.extend_from_slice(payload);
    out
}

/// Rewrites the IPv4 header checksum after a deliberate edit of the header.
fn fix_ip_checksum(bytes: &mut [u8]) {
    let (mut ip, _) = Ipv4Header::from_slice(bytes).unwrap();
    ip.header_checksum = 0;
    let sum = ip.calc_header_checksum();
    bytes[10..12].copy_from_slice(&sum.to_be_bytes());
}

fn arb_addr() -> impl Strategy<Value = SocketAddrV4> {
    (any::<u32>(), any::<u16>()).prop_map(|(ip, port)| SocketAddrV4::new(Ipv4Addr::from(ip), port))
}

fn arb_segment() -> impl Strategy<Value = Segment> {
    (
        arb_addr(),
        arb_addr(),
        any::<u32>(),
        any::<u32>(),
        any::<u8>(),
        any::<u16>(),
        any::<Option<u16>>(),
        // Mostly small, sometimes up to the largest allowed payload.
        prop_oneof![
            8 => proptest::collection::vec(any::<u8>(), 0..64),
            1 => proptest::collection::vec(any::<u8>(), 0..=MAX_PAYLOAD),
        ],
    )
        .prop_map(
            |(src, dst, seq, ack, flags, window, mss, payload)| Segment {
                src,
                dst,
                seq: SeqNum(seq),
                ack: SeqNum(ack),
                flags: Flags::from_bits(flags),
                window,
                mss,
                payload,
            },
        )
}

/// A parse that succeeded must survive emit -> parse unchanged.
fn assert_reparses(seg: &Segment) -> Result<(), TestCaseError> {
    let again = Segment::parse(&seg.emit());
    prop_assert_eq!(again.as_ref(), Ok(seg));
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn round_trip(s in arb_segment()) {
        let bytes = s.emit();
        prop_assert_eq!(Segment::parse(&bytes), Ok(s));
    }

    /// etherparse, reading our bytes, sees the same fields and valid checksums.
    #[test]
    fn etherparse_reads_what_we_emit(s in arb_segment()) {
        let bytes = s.emit();
        let p = SlicedPacket::from_ip(&bytes).unwrap();
        let Some(etherparse::NetSlice::Ipv4(ip)) = p.net else { panic!("not ipv4") };
        let h = ip.header().to_header();
        prop_assert_eq!(h.calc_header_checksum(), h.header_checksum);
        prop_assert_eq!(h.time_to_live, TTL);
        prop_assert!(h.dont_fragment);
        prop_assert_eq!(h.source, s.src.ip().octets());
        let Some(TransportSlice::Tcp(tcp)) = p.transport else { panic!("not tcp") };
        prop_assert_eq!(tcp.calc_checksum_ipv4(h.source, h.destination).unwrap(), tcp.checksum());
        prop_assert_eq!(tcp.sequence_number(), s.seq.0);
        prop_assert_eq!(tcp.acknowledgment_number(), s.ack.0);
        prop_assert_eq!(tcp.syn(), s.flags.contains(Flags::SYN));
        prop_assert_eq!(tcp.fin(), s.flags.contains(Flags::FIN));
        prop_assert_eq!(tcp.rst(), s.flags.contains(Flags::RST));
        prop_assert_eq!(tcp.payload(), &s.payload[..]);
        let mss: Vec<_> = tcp.options_iterator().collect();
        match s.mss {
            Some(m) => prop_assert_eq!(mss, vec![Ok(TcpOptionElement::MaximumSegmentSize(m))]),
            None => prop_assert!(mss.is_empty()),
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..128)) {
        if let Ok(s) = Segment::parse(&bytes) {
            assert_reparses(&s)?;
        }
    }

    /// Arbitrary bytes behind a plausible IPv4 header, so that the TCP and
    /// option paths are reached too, not only the early rejections.
    #[test]
    fn arbitrary_tcp_behind_valid_ip_never_panics(
        tcp in proptest::collection::vec(any::<u8>(), 0..96),
    ) {
        let mut bytes = Ipv4Header::new(tcp.len() as u16, 64, IpNumber::TCP, [1, 2, 3, 4], [5, 6, 7, 8])
            .unwrap()
            .to_bytes()
            .to_vec();
        bytes.extend_from_slice(&tcp);
        fix_ip_checksum(&mut bytes);
        match Segment::parse(&bytes) {
            Ok(s) => assert_reparses(&s)?,
            // Random text almost never carries a right checksum.
            Err(e) => prop_assert!(matches!(
                e,
                WireError::Truncated
                    | WireError::BadDataOffset
                    | WireError::BadTcpChecksum
                    | WireError::BadOptions
            ), "{:?}", e),
        }
    }

    /// Valid packets with a few bits flipped: no panic, and whatever still
    /// parses is a consistent segment.
    #[test]
    fn mutated_packets_never_panic(
        s in arb_segment(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), 0u8..8), 1..6),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut bytes = s.emit();
        for (i, bit) in flips {
            let i = i.index(bytes.len());
            bytes[i] ^= 1 << bit;
        }
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        if let Ok(parsed) = Segment::parse(&bytes) {
            assert_reparses(&parsed)?;
        }
    }
}

/// One's-complement checksums catch every single-bit error, and every byte
/// of the datagram is covered by one of the two checksums or a structural
/// check, so every single bit flip must be rejected.
#[test]
fn every_single_bit_flip_is_rejected() {
    for s in [
        seg(Flags::SYN, Some(1460), b""),
        seg(Flags::ACK | Flags::PSH, None, b"hello, world"),
        seg(Flags::NONE, None, &[0xFF; 7]),
    ] {
        let good = s.emit();
        assert_eq!(Segment::parse(&good), Ok(s));
        for i in 0..good.len() * 8 {
            let mut bad = good.clone();
            bad[i / 8] ^= 1 << (i % 8);
            assert!(Segment::parse(&bad).is_err(), "flip of bit {i} accepted");
        }
    }
}

#[test]
fn odd_flag_combinations_round_trip() {
    for flags in [
        Flags::SYN | Flags::FIN,
        Flags::SYN | Flags::RST,
        Flags::SYN | Flags::FIN | Flags::RST | Flags::ACK,
        Flags::NONE,
        Flags::from_bits(0xFF),
        Flags::RST,
    ] {
        let s = seg(flags, None, b"x");
        assert_eq!(Segment::parse(&s.emit()), Ok(s), "{flags:?}");
    }
}

#[test]
fn emitted_header_layout() {
    let bytes = seg(Flags::SYN, Some(1460), b"").emit();
    assert_eq!(bytes.len(), 20 + 24);
    assert_eq!(bytes[0], 0x45, "IPv4, IHL 5: no IP options");
    assert_eq!(&bytes[4..8], &[0, 0, 0x40, 0], "ID 0, DF, offset 0");
    assert_eq!(bytes[8], 64, "TTL");
    assert_eq!(bytes[9], 6, "TCP");
    assert_eq!(bytes[20 + 12] >> 4, 6, "data offset: 5 words + MSS");
    assert_eq!(&bytes[40..44], &[2, 4, 0x05, 0xB4], "MSS 1460");
}

/// etherparse's PacketBuilder, used independently of our emit, produces
/// bytes that parse to the segment we expect.
#[test]
fn packet_builder_cross_check() {
    let payload = b"GET / HTTP/1.0\r\n\r\n";
    let builder = PacketBuilder::ipv4([192, 168, 1, 7], [192, 168, 1, 9], 17)
        .tcp(5555, 443, 0xFFFF_FFF0, 1024)
        .syn()
        .fin()
        .psh()
        .ack(0x8000_0001)
        .options(&[
            TcpOptionElement::Noop,
            TcpOptionElement::WindowScale(7),
            TcpOptionElement::MaximumSegmentSize(536),
            TcpOptionElement::SelectiveAcknowledgementPermitted,
            TcpOptionElement::Timestamp(1, 2),
        ])
        .unwrap();
    let mut bytes = Vec::new();
    builder.write(&mut bytes, payload).unwrap();

    let expected = Segment {
        src: SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 7), 5555),
        dst: SocketAddrV4::new(Ipv4Addr::new(192, 168, 1, 9), 443),
        seq: SeqNum(0xFFFF_FFF0),
        ack: SeqNum(0x8000_0001),
        flags: Flags::SYN | Flags::FIN | Flags::PSH | Flags::ACK,
        window: 1024,
        mss: Some(536),
        payload: payload.to_vec(),
    };
    assert_eq!(Segment::parse(&bytes), Ok(expected));
}

#[test]
fn ip_options_and_link_padding_are_skipped() {
    // Two NOPs and an end-of-list, padded to a word: IHL 6.
    let mut bytes = build(|ip, _| ip.options = [1, 1, 0, 0].into(), b"data");
    bytes.extend_from_slice(&[0; 6]); // Ethernet minimum-frame padding.
    let s = Segment::parse(&bytes).unwrap();
    assert_eq!(s.payload, b"data");
    assert_eq!(s.flags, Flags::SYN);
}

#[test]
fn unknown_tcp_options_are_skipped() {
    // NOP, kind 254 (RFC 6994 experimental) of length 4, MSS 1200, EOL pad.
    let opts = [1, 254, 4, 0xAB, 0xCD, 2, 4, 0x04, 0xB0, 0, 0, 0];
    let bytes = build(|_, tcp| tcp.set_options_raw(&opts).unwrap(), b"");
    assert_eq!(Segment::parse(&bytes).unwrap().mss, Some(1200));
}

#[test]
fn ns_reserved_bits_and_urgent_pointer_are_dropped() {
    let bytes = build(
        |_, tcp| {
            tcp.ns = true;
            tcp.urg = true;
            tcp.urgent_pointer = 77;
        },
        b"",
    );
    assert_eq!(
        Segment::parse(&bytes).unwrap().flags,
        Flags::SYN | Flags::URG
    );
}

// One test per error variant.

#[test]
fn error_truncated() {
    let good = seg(Flags::ACK, None, b"abc").emit();
    assert_eq!(Segment::parse(&[]), Err(WireError::Truncated));
    assert_eq!(
        Segment::parse(&good[..19]),
        Err(WireError::Truncated),
        "short IP header"
    );
    assert_eq!(
        Segment::parse(&good[..good.len() - 1]),
        Err(WireError::Truncated),
        "total length beyond the bytes"
    );
    // A valid IP header whose payload is too short for a TCP header.
    let mut short = good[..20 + 19].to_vec();
    short[2..4].copy_from_slice(&39u16.to_be_bytes());
    fix_ip_checksum(&mut short);
    assert_eq!(
        Segment::parse(&short),
        Err(WireError::Truncated),
        "short TCP header"
    );
}

#[test]
fn error_not_ipv4() {
    let ipv6 = [0x60, 0, 0, 0, 0, 0, 6, 64];
    assert_eq!(
        Segment::parse(&ipv6),
        Err(WireError::NotIpv4 { version: 6 })
    );
    let mut bytes = seg(Flags::SYN, None, b"").emit();
    bytes[0] = 0x05;
    assert_eq!(
        Segment::parse(&bytes),
        Err(WireError::NotIpv4 { version: 0 })
    );
}

#[test]
fn error_bad_ip_header_len() {
    let good = seg(Flags::SYN, None, b"").emit();
    let mut ihl4 = good.clone();
    ihl4[0] = 0x44;
    assert_eq!(Segment::parse(&ihl4), Err(WireError::BadIpHeaderLen));
    let mut total_short = good;
    total_short[2..4].copy_from_slice(&19u16.to_be_bytes());
    fix_ip_checksum(&mut total_short);
    assert_eq!(Segment::parse(&total_short), Err(WireError::BadIpHeaderLen));
}

#[test]
fn error_bad_ip_checksum() {
    let mut bytes = seg(Flags::SYN, None, b"").emit();
    bytes[8] = 63; // TTL changed without fixing the checksum.
    assert_eq!(Segment::parse(&bytes), Err(WireError::BadIpChecksum));
}

#[test]
fn error_fragmented() {
    let more = build(
        |ip, _| {
            ip.dont_fragment = false;
            ip.more_fragments = true;
        },
        b"first",
    );
    assert_eq!(Segment::parse(&more), Err(WireError::Fragmented));
    let offset = build(
        |ip, _| {
            ip.dont_fragment = false;
            ip.fragment_offset = IpFragOffset::try_new(185).unwrap();
        },
        b"last",
    );
    assert_eq!(Segment::parse(&offset), Err(WireError::Fragmented));
}

#[test]
fn error_not_tcp() {
    let mut udp = Vec::new();
    PacketBuilder::ipv4([1, 1, 1, 1], [2, 2, 2, 2], 64)
        .udp(53, 53)
        .write(&mut udp, b"dns")
        .unwrap();
    assert_eq!(
        Segment::parse(&udp),
        Err(WireError::NotTcp { protocol: 17 })
    );
}

#[test]
fn error_bad_data_offset() {
    let good = seg(Flags::SYN, None, b"").emit();
    for data_offset in [0u8, 4, 6, 15] {
        let mut bytes = good.clone();
        bytes[20 + 12] = data_offset << 4;
        assert_eq!(
            Segment::parse(&bytes),
            Err(WireError::BadDataOffset),
            "data offset {data_offset}"
        );
    }
}

#[test]
fn error_bad_tcp_checksum() {
    let mut bytes = seg(Flags::ACK, None, b"payload").emit();
    let last = bytes.len() - 1;
    bytes[last] ^= 0x20;
    assert_eq!(Segment::parse(&bytes), Err(WireError::BadTcpChecksum));
    // The pseudo-header counts: a different destination with a fixed IP
    // checksum still breaks the TCP checksum (RFC 9293 §3.1).
    let mut moved = seg(Flags::ACK, None, b"payload").emit();
    moved[19] = 3;
    fix_ip_checksum(&mut moved);
    assert_eq!(Segment::parse(&moved), Err(WireError::BadTcpChecksum));
}

#[test]
fn error_bad_options() {
    for opts in [
        [30u8, 0, 0, 0], // zero length (RFC 9293 §3.1 MUST-7)
        [30, 1, 0, 0],   // length below kind + length
        [30, 200, 0, 0], // length past the options area
        [2, 3, 0, 0],    // MSS of the wrong size
        [1, 1, 1, 2],    // MSS cut off by the data offset
    ] {
        let bytes = build(|_, tcp| tcp.set_options_raw(&opts).unwrap(), b"");
        assert_eq!(
            Segment::parse(&bytes),
            Err(WireError::BadOptions),
            "{opts:?}"
        );
    }
}

#[test]
fn error_too_large() {
    let fits = seg(Flags::ACK, Some(1), &vec![7; MAX_PAYLOAD]);
    let bytes = fits.emit();
    assert_eq!(bytes.len(), usize::from(u16::MAX));
    assert_eq!(Segment::parse(&bytes), Ok(fits));
    let big = seg(Flags::ACK, None, &vec![7; MAX_PAYLOAD + 1]);
    assert_eq!(
        big.try_emit(),
        Err(WireError::TooLarge {
            len: MAX_PAYLOAD + 1
        })
    );
    let mut out = vec![1, 2, 3];
    assert!(big.emit_into(&mut out).is_err());
    assert_eq!(out, [1, 2, 3], "emit_into leaves the buffer alone on error");
}

#[test]
#[should_panic(expected = "does not fit")]
fn emit_panics_on_oversized_payload() {
    seg(Flags::ACK, None, &vec![0; MAX_PAYLOAD + 1]).emit();
}

#[test]
fn errors_display_distinctly() {
    let all = [
        WireError::Truncated,
        WireError::NotIpv4 { version: 6 },
        WireError::BadIpHeaderLen,
        WireError::BadIpChecksum,
        WireError::Fragmented,
        WireError::NotTcp { protocol: 17 },
        WireError::BadDataOffset,
        WireError::BadTcpChecksum,
        WireError::BadOptions,
        WireError::TooLarge { len: 70000 },
    ];
    let texts: std::collections::HashSet<String> = all.iter().map(|e| e.to_string()).collect();
    assert_eq!(texts.len(), all.len());
    let boxed: Box<dyn std::error::Error> = Box::new(WireError::NotTcp { protocol: 17 });
    assert!(boxed.to_string().contains("17"));
}
