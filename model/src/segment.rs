//! Segments in flight. Protocol fields use RFC names; the ghost fields
//! (`g_*`) say where a segment came from and are read only by properties.

use std::fmt;

/// TCP control bits the model uses.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Ctl(pub u8);

impl Ctl {
    /// Synchronize sequence numbers.
    pub const SYN: Ctl = Ctl(1);
    /// The acknowledgment field is significant.
    pub const ACK: Ctl = Ctl(2);
    /// No more data from sender.
    pub const FIN: Ctl = Ctl(4);
    /// Reset the connection.
    pub const RST: Ctl = Ctl(8);

    /// All bits of `other` are set.
    pub fn has(self, other: Ctl) -> bool {
        self.0 & other.0 == other.0
    }
}

impl std::ops::BitOr for Ctl {
    type Output = Ctl;
    fn bitor(self, o: Ctl) -> Ctl {
        Ctl(self.0 | o.0)
    }
}

impl fmt::Debug for Ctl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names = Vec::new();
        for (bit, name) in [
            (Ctl::SYN, "SYN"),
            (Ctl::FIN, "FIN"),
            (Ctl::RST, "RST"),
            (Ctl::ACK, "ACK"),
        ] {
            if self.has(bit) {
                names.push(name);
            }
        }
        f.write_str(&names.join(","))
    }
}

/// One segment on the wire.
///
/// Field order matters: the network is a sorted multiset, and segments sort
/// by sender first so that the action order is stable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Seg {
    /// The sending host (0 = A, 1 = B).
    pub from: u8,
    /// SEG.SEQ.
    pub seq: u8,
    /// SEG.ACK (meaningful only with ACK).
    pub ack: u8,
    /// Control bits.
    pub ctl: Ctl,
    /// Carries one data byte.
    pub data: bool,
    /// Held back by the network past the end of the tick it was sent in.
    pub late: bool,
    /// Ticks in flight; it cannot be delivered once MSL old.
    pub age: u8,
    /// Ghost: the sender's incarnation.
    pub g_inc: u8,
    /// Ghost: the receiver's incarnation the sender was connected with when
    /// it sent (the one whose SYN it took; 0 before that). A byte taken by
    /// an incarnation paired with its sender on neither half of the
    /// connection (neither this nor the receiver's `peer_inc`) is old data:
    /// what distinguishes it is not the wire, which a fixed ISN can make
    /// identical, but the connection it was written into.
    pub g_to: u8,
    /// Ghost: the data byte's index in its stream, or for a FIN the number of bytes before it.
    pub g_idx: u8,
}

impl Seg {
    /// Ghost incarnation of a segment the off-path attacker forged: no
    /// incarnation sent it.
    pub const FORGED: u8 = 0xFF;

    /// Bytes of [`Seg::pack`].
    pub const PACKED: usize = 10;

    /// Every field as one byte string, for hashing (see `Host::pack`).
    pub fn pack(&self) -> [u8; Seg::PACKED] {
        let Seg {
            from,
            seq,
            ack,
            ctl,
            data,
            late,
            age,
            g_inc,
            g_to,
            g_idx,
        } = self;
        [
            *from,
            *seq,
            *ack,
            ctl.0,
            u8::from(*data),
            u8::from(*late),
            *age,
            *g_inc,
            *g_to,
            *g_idx,
        ]
    }

    /// SEG.LEN: data octets plus one for SYN and one for FIN.
    pub fn len(&self) -> u8 {
        u8::from(self.data) + u8::from(self.ctl.has(Ctl::SYN)) + u8::from(self.ctl.has(Ctl::FIN))
    }

    /// Occupies no sequence space (a bare ACK or a RST).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The segment as a textbook label: `SYN,ACK seq=0 ack=1` with `+1 byte`.
    pub fn label(&self) -> String {
        let mut s = format!("{:?} seq={}", self.ctl, self.seq);
        if self.ctl.has(Ctl::ACK) {
            s += &format!(" ack={}", self.ack);
        }
        if self.data {
            s += " +1 byte";
        }
        s
    }
}

impl fmt::Debug for Seg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arrow = if self.from == 0 { "A→B" } else { "B→A" };
        write!(
            f,
            "{arrow} <{}> age {} #{}",
            self.label(),
            self.age,
            self.g_inc
        )
    }
}
