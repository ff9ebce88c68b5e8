//! The keyed hash of the endpoint's tables.

use std::hash::BuildHasher;

use siphasher::sip::SipHasher13;

/// Builds the hasher of the endpoint's tables: SipHash-1-3 keyed by the
/// caller's 128-bit key, so that remote peers, who do not know the key,
/// cannot choose 4-tuples that collide and turn a lookup into a scan. The
/// key comes from the caller, like the ISN secret: the core draws no
/// randomness of its own, which is why std's `RandomState` is not used.
#[derive(Clone, Copy)]
pub(super) struct Keyed(SipHasher13);

impl Keyed {
    pub(super) fn new(key: [u8; 16]) -> Keyed {
        Keyed(SipHasher13::new_with_key(&key))
    }
}

impl BuildHasher for Keyed {
    type Hasher = SipHasher13;

    fn build_hasher(&self) -> SipHasher13 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::endpoint::quad::Quad;

    /// The table hash spreads the 4-tuples an attacker or a busy client
    /// produces (one remote, consecutive ports or addresses) over buckets
    /// as a random function would: of 65536 tuples, about 63 % land in
    /// distinct low-16-bit buckets, and the top 7 bits (hashbrown's
    /// control byte) take all 128 values.
    #[test]
    fn table_hash_spreads_sequential_tuples() {
        use std::collections::HashSet;
        use std::hash::BuildHasher;
        let k = Keyed::new([0; 16]);
        for vary in [0, 1] {
            let mut low = HashSet::new();
            let mut top = HashSet::new();
            for i in 0..65536u32 {
                let q = Quad {
                    local_ip: 0x0A00_0001,
                    remote_ip: if vary == 0 {
                        0x0A00_0002
                    } else {
                        0x0B00_0000 + i
                    },
                    local_port: 80,
                    remote_port: if vary == 0 { i as u16 } else { 443 },
                };
                let h = k.hash_one(q);
                low.insert(h & 0xFFFF);
                top.insert(h >> 57);
            }
            assert!(low.len() > 39_000, "{} distinct low buckets", low.len());
            assert_eq!(top.len(), 128);
        }
    }
}
