//! The wire between the harness and smoltcp: a device that is two queues
//! of IPv4 packets, and the packets the harness writes into it and reads
//! out of it.

use std::collections::VecDeque;
use std::net::SocketAddrV4;

use ::smoltcp::phy::{self, ChecksumCapabilities, DeviceCapabilities, Medium};
use ::smoltcp::time::Instant;
use ::smoltcp::wire::{
    IpAddress, IpProtocol, Ipv4Packet, Ipv4Repr, TcpPacket, TcpSeqNumber, IPV4_HEADER_LEN,
    TCP_HEADER_LEN,
};

use crate::target::WireSegment;
use crate::trace::Flags;

/// An IP-medium device with nothing behind it but two queues: the packets
/// the harness hands smoltcp (`rx`) and the ones smoltcp sends (`tx`).
#[derive(Debug, Default)]
pub struct Queue {
    /// Packets waiting for smoltcp to receive them, oldest first.
    pub rx: VecDeque<Vec<u8>>,
    /// Packets smoltcp sent, oldest first.
    pub tx: Vec<Vec<u8>>,
}

impl phy::Device for Queue {
    type RxToken<'a> = Rx;
    type TxToken<'a> = Tx<'a>;

    fn receive(&mut self, _now: Instant) -> Option<(Rx, Tx<'_>)> {
        let packet = self.rx.pop_front()?;
        Some((Rx(packet), Tx(&mut self.tx)))
    }

    fn transmit(&mut self, _now: Instant) -> Option<Tx<'_>> {
        Some(Tx(&mut self.tx))
    }

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.medium = Medium::Ip;
        caps.max_transmission_unit = 1500;
        // Every checksum is computed and verified: a packet the harness
        // builds wrong is dropped, as on a real wire.
        caps.checksum = ChecksumCapabilities::default();
        caps
    }
}

/// One packet for smoltcp to receive.
pub struct Rx(Vec<u8>);

impl phy::RxToken for Rx {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.0)
    }
}

/// Room for one packet smoltcp sends.
pub struct Tx<'a>(&'a mut Vec<Vec<u8>>);

impl phy::TxToken for Tx<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut packet = vec![0; len];
        let r = f(&mut packet);
        self.0.push(packet);
        r
    }
}

/// The IPv4 packet carrying `seg` from `src` to `dst`: a 20-byte TCP header
/// with exactly the segment's control bits (any combination, so the
/// harness can send what the trace says even where smoltcp's own
/// `TcpRepr` has no such control), `window`, no options, and `seg.len`
/// payload bytes `b'x'`; checksums filled in.
pub fn packet(seg: &WireSegment, src: SocketAddrV4, dst: SocketAddrV4, window: u16) -> Vec<u8> {
    let tcp_len = TCP_HEADER_LEN + usize::from(seg.len);
    let mut buf = vec![0u8; IPV4_HEADER_LEN + tcp_len];
    let ip = Ipv4Repr {
        src_addr: *src.ip(),
        dst_addr: *dst.ip(),
        next_header: IpProtocol::Tcp,
        payload_len: tcp_len,
        hop_limit: 64,
    };
    ip.emit(
        &mut Ipv4Packet::new_unchecked(&mut buf[..]),
        &ChecksumCapabilities::default(),
    );
    let mut tcp = TcpPacket::new_unchecked(&mut buf[IPV4_HEADER_LEN..]);
    tcp.set_src_port(src.port());
    tcp.set_dst_port(dst.port());
    tcp.set_seq_number(TcpSeqNumber(seg.seq as i32));
    tcp.set_ack_number(TcpSeqNumber(seg.ack as i32));
    tcp.set_header_len(TCP_HEADER_LEN as u8);
    tcp.clear_flags();
    tcp.set_syn(seg.flags.contains(Flags::SYN));
    tcp.set_ack(seg.flags.contains(Flags::ACK));
    tcp.set_fin(seg.flags.contains(Flags::FIN));
    tcp.set_rst(seg.flags.contains(Flags::RST));
    tcp.set_window_len(window);
    tcp.set_urgent_at(0);
    tcp.payload_mut().fill(b'x');
    tcp.fill_checksum(&IpAddress::Ipv4(*src.ip()), &IpAddress::Ipv4(*dst.ip()));
    buf
}

/// The TCP segment in an IPv4 packet smoltcp sent, as the contract has
/// it: SYN, ACK, FIN and RST (PSH and the rest dropped), SEG.SEQ, SEG.ACK
/// (0 without ACK), payload length; `None` for anything that is not a
/// well-formed IPv4 TCP packet.
pub fn segment(packet: &[u8]) -> Option<WireSegment> {
    let ip = Ipv4Packet::new_checked(packet).ok()?;
    if ip.next_header() != IpProtocol::Tcp {
        return None;
    }
    let tcp = TcpPacket::new_checked(ip.payload()).ok()?;
    let bits = [
        (tcp.syn(), Flags::SYN),
        (tcp.ack(), Flags::ACK),
        (tcp.fin(), Flags::FIN),
        (tcp.rst(), Flags::RST),
    ];
    let flags = bits
        .into_iter()
        .filter(|&(on, _)| on)
        .fold(Flags::NONE, |acc, (_, f)| acc | f);
    Some(WireSegment {
        flags,
        seq: tcp.seq_number().0 as u32,
        ack: if tcp.ack() {
            tcp.ack_number().0 as u32
        } else {
            0
        },
        len: u8::try_from(tcp.payload().len()).unwrap_or(u8::MAX),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ::smoltcp::wire::TcpRepr;
    use std::net::Ipv4Addr;

    const A: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 2), 40000);
    const B: SocketAddrV4 = SocketAddrV4::new(Ipv4Addr::new(10, 0, 0, 1), 20000);

    #[test]
    fn a_built_packet_parses_back_with_valid_checksums() {
        let seg = WireSegment {
            flags: Flags::ACK | Flags::FIN,
            seq: u32::MAX - 1,
            ack: 1 << 31,
            len: 1,
        };
        let p = packet(&seg, A, B, 3);
        assert_eq!(segment(&p), Some(seg));
        // smoltcp's own parser accepts it: the checksums are right.
        let ip = Ipv4Packet::new_checked(&p[..]).unwrap();
        let repr = Ipv4Repr::parse(&ip, &ChecksumCapabilities::default()).unwrap();
        assert_eq!((repr.src_addr, repr.dst_addr), (*A.ip(), *B.ip()));
        let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
        let t = TcpRepr::parse(
            &tcp,
            &IpAddress::Ipv4(*A.ip()),
            &IpAddress::Ipv4(*B.ip()),
            &ChecksumCapabilities::default(),
        )
        .unwrap();
        assert_eq!((t.src_port, t.dst_port, t.window_len), (40000, 20000, 3));
        assert_eq!(t.payload, b"x");
        // A corrupted byte fails the TCP checksum.
        let mut bad = p.clone();
        *bad.last_mut().unwrap() = b'y';
        let ip = Ipv4Packet::new_checked(&bad[..]).unwrap();
        let tcp = TcpPacket::new_checked(ip.payload()).unwrap();
        assert!(TcpRepr::parse(
            &tcp,
            &IpAddress::Ipv4(*A.ip()),
            &IpAddress::Ipv4(*B.ip()),
            &ChecksumCapabilities::default()
        )
        .is_err());
    }

    #[test]
    fn the_ack_field_is_reported_only_with_ack_and_other_bits_are_dropped() {
        let rst = WireSegment {
            flags: Flags::RST,
            seq: 7,
            ack: 99,
            len: 0,
        };
        let mut p = packet(&rst, B, A, 0);
        assert_eq!(segment(&p).map(|s| (s.flags, s.ack)), Some((Flags::RST, 0)));
        // PSH is not a contract flag.
        let mut tcp = TcpPacket::new_unchecked(&mut p[IPV4_HEADER_LEN..]);
        tcp.set_psh(true);
        assert_eq!(segment(&p).map(|s| s.flags), Some(Flags::RST));
        assert_eq!(segment(&[0x45, 0]), None);
    }
}
