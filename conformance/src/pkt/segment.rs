//! A TCP segment with its IPv4 addresses, as the interpreter hands it to a
//! target and reads it back: every header field a script can pin, and its
//! IPv4 packet (etherparse computes the headers and the checksums).

use std::net::SocketAddrV4;

use etherparse::{IpNumber, Ipv4Header, PacketBuilder, TcpHeader};

use super::script::{flag, TcpOption};

/// One segment on the wire, numbers absolute.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Sender.
    pub src: SocketAddrV4,
    /// Receiver.
    pub dst: SocketAddrV4,
    /// Control bits ([`flag`]).
    pub flags: u8,
    /// SEG.SEQ.
    pub seq: u32,
    /// SEG.ACK (significant with [`flag::ACK`]).
    pub ack: u32,
    /// SEG.WND, as sent (unscaled).
    pub window: u16,
    /// The options, in order.
    pub options: Vec<TcpOption>,
    /// The payload.
    pub payload: Vec<u8>,
}

impl Segment {
    /// The options as header bytes, padded with zeros (EOL) to a multiple
    /// of four.
    pub fn option_bytes(&self) -> Vec<u8> {
        let mut b = Vec::with_capacity(40);
        for o in &self.options {
            match *o {
                TcpOption::Eol => b.push(0),
                TcpOption::Nop => b.push(1),
                TcpOption::Mss(n) => b.extend([2, 4, (n >> 8) as u8, n as u8]),
                TcpOption::WindowScale(s) => b.extend([3, 3, s]),
                TcpOption::SackPermitted => b.extend([4, 2]),
                TcpOption::Sack(ref blocks) => {
                    b.extend([5, (2 + 8 * blocks.len()) as u8]);
                    for (l, r) in blocks {
                        b.extend(l.to_be_bytes());
                        b.extend(r.to_be_bytes());
                    }
                }
                TcpOption::Timestamp(v, e) => {
                    b.extend([8, 10]);
                    b.extend(v.to_be_bytes());
                    b.extend(e.to_be_bytes());
                }
            }
        }
        while b.len() % 4 != 0 {
            b.push(0);
        }
        b.truncate(40);
        b
    }

    /// The segment as an IPv4 packet with valid checksums.
    pub fn to_ipv4(&self) -> Vec<u8> {
        let mut tcp = TcpHeader::new(self.src.port(), self.dst.port(), self.seq, self.window);
        tcp.acknowledgment_number = self.ack;
        tcp.fin = self.flags & flag::FIN != 0;
        tcp.syn = self.flags & flag::SYN != 0;
        tcp.rst = self.flags & flag::RST != 0;
        tcp.psh = self.flags & flag::PSH != 0;
        tcp.ack = self.flags & flag::ACK != 0;
        tcp.urg = self.flags & flag::URG != 0;
        tcp.ece = self.flags & flag::ECE != 0;
        tcp.cwr = self.flags & flag::CWR != 0;
        // At most 40 bytes, a multiple of four: set_options_raw accepts it.
        let _ = tcp.set_options_raw(&self.option_bytes());
        let builder =
            PacketBuilder::ipv4(self.src.ip().octets(), self.dst.ip().octets(), 64).tcp_header(tcp);
        let mut out = Vec::with_capacity(builder.size(self.payload.len()));
        // Writing to a Vec fails only on a payload too large for IPv4,
        // which the parser refuses (a packet line carries at most 65495).
        let _ = builder.write(&mut out, &self.payload);
        out
    }

    /// The TCP segment of an IPv4 packet; `None` for anything else.
    pub fn from_ipv4(bytes: &[u8]) -> Option<Segment> {
        let (ip, rest) = Ipv4Header::from_slice(bytes).ok()?;
        if ip.protocol != IpNumber::TCP {
            return None;
        }
        let end = usize::from(ip.total_len)
            .checked_sub(ip.header_len())?
            .min(rest.len());
        let (tcp, payload) = TcpHeader::from_slice(&rest[..end]).ok()?;
        let flags = [
            (tcp.fin, flag::FIN),
            (tcp.syn, flag::SYN),
            (tcp.rst, flag::RST),
            (tcp.psh, flag::PSH),
            (tcp.ack, flag::ACK),
            (tcp.urg, flag::URG),
            (tcp.ece, flag::ECE),
            (tcp.cwr, flag::CWR),
        ]
        .iter()
        .filter(|f| f.0)
        .fold(0, |a, f| a | f.1);
        Some(Segment {
            src: SocketAddrV4::new(ip.source.into(), tcp.source_port),
            dst: SocketAddrV4::new(ip.destination.into(), tcp.destination_port),
            flags,
            seq: tcp.sequence_number,
            ack: tcp.acknowledgment_number,
            window: tcp.window_size,
            options: parse_options(tcp.options.as_slice()),
            payload: payload.to_vec(),
        })
    }
}

/// The options of a header. Trailing EOL padding is dropped; an option
/// this module does not know, or a malformed one, ends the list (the
/// comparison then shows what was understood).
pub fn parse_options(mut b: &[u8]) -> Vec<TcpOption> {
    let mut v = Vec::new();
    let be32 = |x: &[u8]| u32::from_be_bytes([x[0], x[1], x[2], x[3]]);
    while let Some(&kind) = b.first() {
        match kind {
            0 => {
                if b.iter().any(|&x| x != 0) {
                    v.push(TcpOption::Eol);
                }
                break;
            }
            1 => {
                v.push(TcpOption::Nop);
                b = &b[1..];
                continue;
            }
            _ => {}
        }
        let Some(&len) = b.get(1) else { break };
        let len = usize::from(len);
        if len < 2 || len > b.len() {
            break;
        }
        let data = &b[2..len];
        let o = match (kind, data.len()) {
            (2, 2) => TcpOption::Mss(u16::from_be_bytes([data[0], data[1]])),
            (3, 1) => TcpOption::WindowScale(data[0]),
            (4, 0) => TcpOption::SackPermitted,
            (5, n) if n % 8 == 0 && n > 0 => TcpOption::Sack(
                data.chunks(8)
                    .map(|c| (be32(&c[..4]), be32(&c[4..])))
                    .collect(),
            ),
            (8, 8) => TcpOption::Timestamp(be32(&data[..4]), be32(&data[4..])),
            _ => break,
        };
        v.push(o);
        b = &b[len..];
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_segment_round_trips_through_ipv4() {
        let s = Segment {
            src: "192.0.2.1:8080".parse().unwrap(),
            dst: "192.168.0.1:8080".parse().unwrap(),
            flags: flag::SYN | flag::ACK,
            seq: 7,
            ack: 9,
            window: 1000,
            options: vec![
                TcpOption::Mss(1460),
                TcpOption::SackPermitted,
                TcpOption::Timestamp(1, 2),
                TcpOption::Nop,
                TcpOption::WindowScale(7),
            ],
            payload: b"abc".to_vec(),
        };
        assert_eq!(Segment::from_ipv4(&s.to_ipv4()), Some(s));
    }
}
