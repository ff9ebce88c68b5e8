//! The semantic segment value.

use std::fmt;
use std::net::SocketAddrV4;

use crate::seq::SeqNum;

/// The TCP control bits (RFC 9293 §3.1), as a set.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

impl Flags {
    /// No bits set.
    pub const NONE: Flags = Flags(0);
    /// FIN: no more data from sender.
    pub const FIN: Flags = Flags(0x01);
    /// SYN: synchronize sequence numbers.
    pub const SYN: Flags = Flags(0x02);
    /// RST: reset the connection.
    pub const RST: Flags = Flags(0x04);
    /// PSH: push function.
    pub const PSH: Flags = Flags(0x08);
    /// ACK: the acknowledgment field is significant.
    pub const ACK: Flags = Flags(0x10);
    /// URG: the urgent pointer field is significant.
    pub const URG: Flags = Flags(0x20);
    /// ECE: ECN echo (RFC 3168).
    pub const ECE: Flags = Flags(0x40);
    /// CWR: congestion window reduced (RFC 3168).
    pub const CWR: Flags = Flags(0x80);

    /// The flags from the byte at offset 13 of the TCP header.
    pub const fn from_bits(bits: u8) -> Flags {
        Flags(bits)
    }

    /// The byte at offset 13 of the TCP header.
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether every bit of `other` is set in `self`.
    pub const fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// Whether any bit of `other` is set in `self`.
    pub const fn intersects(self, other: Flags) -> bool {
        self.0 & other.0 != 0
    }

    /// `self` with the bits of `other` removed.
    #[must_use]
    pub const fn without(self, other: Flags) -> Flags {
        Flags(self.0 & !other.0)
    }
}

impl std::ops::BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Flags {
    fn bitor_assign(&mut self, rhs: Flags) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Flags {
    /// tcpdump-style letters: `S` SYN, `F` FIN, `R` RST, `P` PSH, `.` ACK,
    /// `U` URG, `E` ECE, `W` CWR.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, char); 8] = [
            (Flags::SYN, 'S'),
            (Flags::FIN, 'F'),
            (Flags::RST, 'R'),
            (Flags::PSH, 'P'),
            (Flags::URG, 'U'),
            (Flags::ECE, 'E'),
            (Flags::CWR, 'W'),
            (Flags::ACK, '.'),
        ];
        if self.0 == 0 {
            return f.write_str("none");
        }
        for (flag, c) in NAMES {
            if self.contains(flag) {
                write!(f, "{c}")?;
            }
        }
        Ok(())
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// One TCP segment with its IPv4 endpoints, as the core sees it.
///
/// `ack` is meaningful only when [`Flags::ACK`] is set; it is kept as a plain
/// field (not an `Option`) so that segments with odd flags survive a round
/// trip through bytes unchanged.
#[derive(Clone, PartialEq, Eq, Hash, Debug)]
pub struct Segment {
    /// Sender address and port.
    pub src: SocketAddrV4,
    /// Receiver address and port.
    pub dst: SocketAddrV4,
    /// SEG.SEQ.
    pub seq: SeqNum,
    /// SEG.ACK (significant only with ACK set).
    pub ack: SeqNum,
    /// Control bits.
    pub flags: Flags,
    /// SEG.WND, unscaled.
    pub window: u16,
    /// The MSS option, if present (RFC 9293 §3.7.1).
    pub mss: Option<u16>,
    /// Segment text.
    pub payload: Vec<u8>,
}

impl Segment {
    /// SEG.LEN: the octets of text plus one for SYN and one for FIN
    /// (RFC 9293 §3.4).
    pub fn len(&self) -> u32 {
        self.payload.len() as u32
            + u32::from(self.flags.contains(Flags::SYN))
            + u32::from(self.flags.contains(Flags::FIN))
    }

    /// Whether SEG.LEN is zero (a bare ACK or RST).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
