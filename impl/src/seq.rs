//! Sequence numbers: 32-bit values compared modulo 2^32 (RFC 9293 §3.4).

use std::fmt;

/// A TCP sequence number.
///
/// Sequence space wraps at 2^32, so ordering is only meaningful between
/// numbers less than 2^31 apart. `SeqNum` deliberately has no `PartialOrd`:
/// a total order would be a lie. Use [`SeqNum::lt`], [`SeqNum::le`],
/// [`SeqNum::gt`], [`SeqNum::ge`] and [`SeqNum::in_window`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct SeqNum(pub u32);

impl SeqNum {
    /// `self + n` modulo 2^32.
    #[must_use]
    pub const fn add(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_add(n))
    }

    /// `self - n` modulo 2^32.
    #[must_use]
    pub const fn sub(self, n: u32) -> SeqNum {
        SeqNum(self.0.wrapping_sub(n))
    }

    /// The distance from `earlier` forward to `self`, modulo 2^32.
    pub const fn since(self, earlier: SeqNum) -> u32 {
        self.0.wrapping_sub(earlier.0)
    }

    /// `self < other` in sequence space.
    pub const fn lt(self, other: SeqNum) -> bool {
        (self.0.wrapping_sub(other.0) as i32) < 0
    }

    /// `self =< other` in sequence space.
    pub const fn le(self, other: SeqNum) -> bool {
        (self.0.wrapping_sub(other.0) as i32) <= 0
    }

    /// `self > other` in sequence space.
    pub const fn gt(self, other: SeqNum) -> bool {
        other.lt(self)
    }

    /// `self >= other` in sequence space.
    pub const fn ge(self, other: SeqNum) -> bool {
        other.le(self)
    }

    /// `start =< self < start + len` in sequence space. An empty window
    /// contains nothing.
    pub const fn in_window(self, start: SeqNum, len: u32) -> bool {
        self.0.wrapping_sub(start.0) < len
    }
}

impl fmt::Debug for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SeqNum({})", self.0)
    }
}

impl fmt::Display for SeqNum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}
