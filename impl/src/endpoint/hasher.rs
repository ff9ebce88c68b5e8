//! The keyed hash of the endpoint's tables.

use std::hash::BuildHasher;

/// A keyed hasher for the tables, so that remote peers cannot choose
/// 4-tuples that collide (the key comes from the caller, like the ISN
/// secret: no global randomness).
///
/// It is the folded 64×64→128-bit multiply of foldhash (hashbrown's
/// default hasher) with a secret seed, rather than SipHash: the tables are
/// hashed several times per segment, and SipHash-1-3 was about a tenth of
/// the benchmark's instructions. Like foldhash it resists collision
/// flooding by a peer who does not know the key, without being a
/// cryptographic PRF (the ISN, which must be one, uses SipHash-2-4).
#[derive(Clone, Copy, Debug)]
pub(super) struct Keyed([u64; 2]);

impl Keyed {
    pub(super) fn new(key: [u8; 16]) -> Keyed {
        let (a, b) = key.split_at(8);
        let word = |s: &[u8]| {
            let mut w = [0u8; 8];
            w.copy_from_slice(s);
            u64::from_le_bytes(w)
        };
        // [seed, multiplier]: the multiplier is odd whatever the key, so
        // no input bit is lost.
        Keyed([word(a), (word(b) ^ 0x243F_6A88_85A3_08D3) | 1])
    }
}

/// `x · y` as a 128-bit product, its two halves xored.
const fn folded_multiply(x: u64, y: u64) -> u64 {
    let p = (x as u128) * (y as u128);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The hasher [`Keyed`] builds.
#[derive(Clone, Copy, Debug)]
pub(super) struct FoldHasher {
    acc: u64,
    key: u64,
}

impl std::hash::Hasher for FoldHasher {
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }

    fn write_u64(&mut self, x: u64) {
        self.acc = folded_multiply(self.acc ^ x, self.key);
    }

    fn write_u32(&mut self, x: u32) {
        self.write_u64(u64::from(x));
    }

    fn finish(&self) -> u64 {
        folded_multiply(self.acc, self.key.rotate_left(17) | 1)
    }
}

impl BuildHasher for Keyed {
    type Hasher = FoldHasher;
    fn build_hasher(&self) -> FoldHasher {
        FoldHasher {
            acc: self.0[0],
            key: self.0[1],
        }
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
