//! 64-bit fingerprints: a state's identity in the visited set.
//!
//! A state is fed to [`Fingerprinter`] through its own `Hash` impl (the
//! model's `Sys` writes its packed bytes), and the result stands for the
//! state from then on: two states with the same fingerprint are taken to
//! be the same. For `N` distinct states the chance that some two of them
//! share a fingerprint is about `N² / 2⁶⁵` (birthday bound): 2.8 · 10⁻⁵
//! for `default`'s 32 million states, 0.7% for 500 million. A collision
//! would merge two states and could hide what lies behind one of them;
//! the state counts the tests pin would then come out lower.
//!
//! The hash is a folded 64×64→128-bit multiply per 16 bytes, as in wyhash
//! and foldhash, with the running value in both operands so that no input
//! can zero it, and a murmur3 finaliser. It is fixed (no random keys), so
//! every run of a model gives the same fingerprints.

use std::hash::{Hash, Hasher};

const K0: u64 = 0x243f_6a88_85a3_08d3;
const K1: u64 = 0x1319_8a2e_0370_7344;
const K2: u64 = 0xa409_3822_299f_31d0;

/// The high and low halves of the 128-bit product, folded together.
#[inline(always)]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// murmur3's 64-bit finaliser: every input bit reaches every output bit.
#[inline(always)]
fn fmix(mut h: u64) -> u64 {
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

/// Little-endian word from up to 8 bytes, zero-padded.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// A [`Hasher`] for fingerprints (see the module doc).
#[derive(Clone, Debug, Default)]
pub struct Fingerprinter {
    h: u64,
}

impl Fingerprinter {
    #[inline(always)]
    fn mix(&mut self, a: u64, b: u64) {
        self.h = fold(a ^ K0 ^ self.h, b ^ K1 ^ self.h.rotate_left(32));
    }
}

impl Hasher for Fingerprinter {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        // Each write's length goes in first, so the same bytes split
        // differently fingerprint differently.
        self.h ^= (bytes.len() as u64).wrapping_mul(K2);
        let mut chunks = bytes.chunks_exact(16);
        for c in &mut chunks {
            self.mix(word(&c[..8]), word(&c[8..]));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let (a, b) = rest.split_at(rest.len().min(8));
            self.mix(word(a), word(b));
        }
    }

    #[inline]
    fn write_u64(&mut self, x: u64) {
        self.mix(x, K2);
    }

    #[inline]
    fn finish(&self) -> u64 {
        fmix(self.h)
    }
}

/// The fingerprint of `value`, never 0 (the visited set's empty slot).
#[inline]
pub fn fingerprint<T: Hash + ?Sized>(value: &T) -> u64 {
    let mut f = Fingerprinter::default();
    value.hash(&mut f);
    match f.finish() {
        0 => K2,
        fp => fp,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_values_have_equal_fingerprints_and_nearby_ones_differ() {
        let a = fingerprint(&[1u8, 2, 3][..]);
        assert_eq!(a, fingerprint(&[1u8, 2, 3][..]));
        assert_ne!(a, fingerprint(&[1u8, 2, 4][..]));
        assert_ne!(a, fingerprint(&[1u8, 2, 3, 0][..]));
    }

    /// Small structured inputs, like packed states, spread over all 64
    /// bits: a million of them give a million fingerprints, and each
    /// output bit is set about half the time.
    #[test]
    fn a_million_small_inputs_do_not_collide() {
        let n = 1u64 << 20;
        let mut seen: Vec<u64> = (0..n)
            .map(|i| fingerprint(&[i as u8, (i >> 8) as u8, (i >> 16) as u8, 0, 0, 0, 0, 0, 7]))
            .collect();
        let mut ones = [0u32; 64];
        for fp in &seen {
            for (b, count) in ones.iter_mut().enumerate() {
                *count += ((fp >> b) & 1) as u32;
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len() as u64, n);
        for (b, count) in ones.iter().enumerate() {
            let share = f64::from(*count) / n as f64;
            assert!((0.49..0.51).contains(&share), "bit {b} set in {share:.3}");
        }
    }
}
