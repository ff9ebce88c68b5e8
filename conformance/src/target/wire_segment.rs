//! A segment as it is on a target's wire.

use std::fmt;
use std::net::SocketAddrV4;

use synfin_tcp::seq::SeqNum;
use synfin_tcp::wire as codec;

use crate::trace::Flags;

/// A segment with absolute numbers, as on the wire: what the harness hands
/// a target to deliver and what a target reports it sent. Addresses,
/// ports, window and options are the target's business; the model speaks
/// of none of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WireSegment {
    /// The control bits (SYN, ACK, FIN, RST; a target drops any other
    /// such as PSH when it reports).
    pub flags: Flags,
    /// SEG.SEQ.
    pub seq: u32,
    /// SEG.ACK; 0 when ACK is not set.
    pub ack: u32,
    /// Payload octets (the harness's payload bytes are `b'x'`).
    pub len: u8,
}

impl fmt::Display for WireSegment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "<{} seq={} ack={} len={}>",
            self.flags, self.seq, self.ack, self.len
        )
    }
}

/// Each contract flag and synfin-tcp's codec flag for it.
const CODEC_FLAGS: [(Flags, codec::Flags); 4] = [
    (Flags::SYN, codec::Flags::SYN),
    (Flags::ACK, codec::Flags::ACK),
    (Flags::FIN, codec::Flags::FIN),
    (Flags::RST, codec::Flags::RST),
];

/// To and from synfin-tcp's wire codec, which both bundled targets speak
/// (synfin-tcp in memory; the kernel over TUN).
impl WireSegment {
    /// synfin-tcp's segment as the contract has it (other flags dropped;
    /// the ACK field only where ACK is set).
    pub fn from_codec(s: &codec::Segment) -> WireSegment {
        let flags = CODEC_FLAGS
            .into_iter()
            .filter(|&(_, c)| s.flags.contains(c))
            .fold(Flags::NONE, |acc, (f, _)| acc | f);
        WireSegment {
            flags,
            seq: s.seq.0,
            ack: if flags.contains(Flags::ACK) {
                s.ack.0
            } else {
                0
            },
            len: u8::try_from(s.payload.len()).unwrap_or(u8::MAX),
        }
    }

    /// The codec's segment from `src` to `dst` advertising `window`, with
    /// `len` payload bytes `b'x'` and no options.
    pub fn to_codec(&self, src: SocketAddrV4, dst: SocketAddrV4, window: u16) -> codec::Segment {
        let mut flags = codec::Flags::NONE;
        for (f, c) in CODEC_FLAGS {
            if self.flags.contains(f) {
                flags |= c;
            }
        }
        codec::Segment {
            src,
            dst,
            seq: SeqNum(self.seq),
            ack: SeqNum(self.ack),
            flags,
            window,
            mss: None,
            payload: vec![b'x'; usize::from(self.len)],
        }
    }
}
