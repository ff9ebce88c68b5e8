//! A segment's control bits, as a set with one spelling on the wire.

use std::fmt;
use std::ops::BitOr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The control bits a trace speaks of: SYN, ACK, FIN and RST (RFC 9293
/// §3.1). On the wire they are one string, the set bits comma-separated in
/// the fixed order `SYN,ACK,FIN,RST` (`"SYN,ACK"`, `"ACK,FIN"`, `""` for
/// none), and that string is also how segments sort: the model sorts a
/// step's `emitted` by it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(u8);

/// Each bit and its name, in wire order.
const BITS: [(Flags, &str); 4] = [
    (Flags::SYN, "SYN"),
    (Flags::ACK, "ACK"),
    (Flags::FIN, "FIN"),
    (Flags::RST, "RST"),
];

/// The wire spelling of every set, indexed by its bits: one table, so
/// spelling and ordering cost no allocation in the replay's inner loop.
const SPELLING: [&str; 16] = [
    "",
    "SYN",
    "ACK",
    "SYN,ACK",
    "FIN",
    "SYN,FIN",
    "ACK,FIN",
    "SYN,ACK,FIN",
    "RST",
    "SYN,RST",
    "ACK,RST",
    "SYN,ACK,RST",
    "FIN,RST",
    "SYN,FIN,RST",
    "ACK,FIN,RST",
    "SYN,ACK,FIN,RST",
];

impl Flags {
    /// No bit set.
    pub const NONE: Flags = Flags(0);
    /// Synchronize sequence numbers.
    pub const SYN: Flags = Flags(1);
    /// The acknowledgment field is significant.
    pub const ACK: Flags = Flags(2);
    /// No more data from the sender.
    pub const FIN: Flags = Flags(4);
    /// Reset the connection.
    pub const RST: Flags = Flags(8);

    /// Whether every bit of `other` is set here.
    pub fn contains(self, other: Flags) -> bool {
        self.0 & other.0 == other.0
    }

    /// The wire spelling, e.g. `"SYN,ACK"`.
    pub fn as_str(self) -> &'static str {
        SPELLING[usize::from(self.0 & 0xf)]
    }

    /// Parses the wire spelling: known names, each once, in the order
    /// `SYN,ACK,FIN,RST`. The error says what is wrong.
    pub fn parse(s: &str) -> Result<Flags, String> {
        if s.is_empty() {
            return Ok(Flags::NONE);
        }
        let mut set = Flags::NONE;
        let mut last = None;
        for name in s.split(',') {
            let Some(i) = BITS.iter().position(|(_, n)| *n == name) else {
                return Err(format!(
                    "bad flags \"{s}\": `{name}` is not SYN, ACK, FIN or RST"
                ));
            };
            if last.is_some_and(|l| i <= l) {
                return Err(format!(
                    "bad flags \"{s}\": each flag once, in the order SYN,ACK,FIN,RST"
                ));
            }
            last = Some(i);
            set = set | BITS[i].0;
        }
        Ok(set)
    }
}

impl BitOr for Flags {
    type Output = Flags;
    fn bitor(self, rhs: Flags) -> Flags {
        Flags(self.0 | rhs.0)
    }
}

/// Sets order as their spellings do, which is how the model sorts them.
impl Ord for Flags {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for Flags {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

impl Serialize for Flags {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Flags {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Flags, D::Error> {
        let s = String::deserialize(d)?;
        Flags::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_set_spells_and_parses_back() {
        for bits in 0..16u8 {
            let f = Flags(bits);
            assert_eq!(Flags::parse(f.as_str()), Ok(f));
        }
        assert_eq!(Flags::SYN | Flags::ACK, Flags::parse("SYN,ACK").unwrap());
    }

    #[test]
    fn unknown_repeated_or_misordered_names_are_refused() {
        for bad in ["PSH", "ACK,SYN", "SYN,SYN", "SYN,", ",ACK", "syn"] {
            assert!(Flags::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn sets_sort_by_their_spelling() {
        let mut v = [Flags::SYN, Flags::ACK | Flags::FIN, Flags::RST, Flags::ACK];
        v.sort();
        let names: Vec<_> = v.iter().map(|f| f.as_str()).collect();
        assert_eq!(names, ["ACK", "ACK,FIN", "RST", "SYN"]);
    }
}
