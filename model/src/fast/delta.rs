//! Packed states in a block stored as differences from the state before
//! them: states queued together are mostly siblings, which differ in a few
//! bytes (a host's state and sequence numbers, a segment in flight).
//!
//! A state of `n` bytes is written as `n` (LEB128), then a bitmap of its
//! 8-byte chunks that differ from the previous state's (the previous one
//! read as zeros past its end), then for each such chunk a mask of the
//! bytes that differ and those bytes. The first state of a block is
//! written against nothing, so each block decodes on its own.

/// Little-endian word from up to 8 bytes, zero-padded.
#[inline(always)]
fn word(bytes: &[u8]) -> u64 {
    let mut w = [0u8; 8];
    w[..bytes.len()].copy_from_slice(bytes);
    u64::from_le_bytes(w)
}

/// Bit `i` set where byte `i` of `x` (little-endian) is not zero: each
/// byte's bits are folded onto its lowest, and one multiply gathers the
/// eight lowest bits into the top byte.
#[inline(always)]
fn nonzero_bytes(x: u64) -> u8 {
    let mut t = x;
    t |= t >> 4;
    t |= t >> 2;
    t |= t >> 1;
    t &= 0x0101_0101_0101_0101;
    (t.wrapping_mul(0x0102_0408_1020_4080) >> 56) as u8
}

/// Writes states into a block, each against the one before.
#[derive(Default)]
pub struct Encoder {
    /// The previous state, as little-endian words, zero-padded.
    prev: Vec<u64>,
}

/// Reads states from a block, in the order they were written.
#[derive(Default)]
pub struct Decoder {
    /// The previous state, zero-padded to whole words.
    prev: Vec<u8>,
    len: usize,
    at: usize,
}

impl Encoder {
    /// Append `cur` to `out`.
    pub fn push(&mut self, cur: &[u8], out: &mut Vec<u8>) {
        let n = cur.len();
        let chunks = n.div_ceil(8);
        out.reserve(10 + chunks.div_ceil(8) + chunks + n);
        let mut v = n;
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                break;
            }
            out.push(b | 0x80);
        }
        let map_at = out.len();
        out.resize(map_at + chunks.div_ceil(8), 0);
        self.prev.resize(chunks, 0);
        for (c, prev) in self.prev.iter_mut().enumerate() {
            let lo = c * 8;
            let w = match cur.get(lo..lo + 8) {
                Some(full) => u64::from_le_bytes(full.try_into().expect("8 bytes")),
                None => word(&cur[lo..]),
            };
            let diff = w ^ *prev;
            *prev = w;
            if diff == 0 {
                continue;
            }
            out[map_at + c / 8] |= 1 << (c % 8);
            let mask = nonzero_bytes(diff);
            // The mask, then the bytes it names, gathered on the stack and
            // appended at once.
            let (mut run, mut len) = ([0u8; 9], 1);
            run[0] = mask;
            let bytes = w.to_le_bytes();
            let mut m = mask;
            while m != 0 {
                run[len] = bytes[m.trailing_zeros() as usize];
                len += 1;
                m &= m - 1;
            }
            out.extend_from_slice(&run[..len]);
        }
    }
}

impl Decoder {
    /// The next state of `block` (the bytes an [`Encoder`] wrote).
    pub fn next(&mut self, block: &[u8]) -> &[u8] {
        let (mut n, mut shift) = (0usize, 0);
        loop {
            let b = block[self.at];
            self.at += 1;
            n |= usize::from(b & 0x7f) << shift;
            shift += 7;
            if b & 0x80 == 0 {
                break;
            }
        }
        let chunks = n.div_ceil(8);
        // Bytes past the previous state's end read as zeros.
        self.prev[self.len.min(chunks * 8)..].fill(0);
        self.prev.resize(chunks * 8, 0);
        self.len = n;
        let map_at = self.at;
        self.at += chunks.div_ceil(8);
        for c in 0..chunks {
            if block[map_at + c / 8] & (1 << (c % 8)) == 0 {
                continue;
            }
            let mut m = block[self.at];
            self.at += 1;
            while m != 0 {
                self.prev[c * 8 + m.trailing_zeros() as usize] = block[self.at];
                self.at += 1;
                m &= m - 1;
            }
        }
        &self.prev[..n]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nonzero_bytes_names_exactly_the_nonzero_bytes() {
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        for keep in 0..=255u8 {
            // Which bytes are nonzero is `keep`; a byte's value is random,
            // or one bit only (the low and high bits are the edge cases).
            for bit in [None, Some(0), Some(7), Some(3)] {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let v = (0..8)
                    .filter(|b| keep & (1 << b) != 0)
                    .map(|b| {
                        let byte = bit.map_or(((x >> (8 * b)) as u8).max(1), |k| 1 << k);
                        u64::from(byte) << (8 * b)
                    })
                    .fold(0, |v, b| v | b);
                assert_eq!(nonzero_bytes(v), keep, "{v:#018x}");
            }
        }
    }

    /// Similar and dissimilar states of varying lengths come back as
    /// written, and siblings take a fraction of their size.
    #[test]
    fn states_come_back_as_written_and_siblings_are_small() {
        let mut states: Vec<Vec<u8>> = Vec::new();
        let mut x = 12345u64;
        for i in 0..2000usize {
            let len = 64 + 9 * (i % 5) + if i % 97 == 0 { 200 } else { 0 };
            let mut s: Vec<u8> = match states.last() {
                Some(p) if i % 10 != 0 => p.clone(),
                _ => Vec::new(),
            };
            s.resize(len, 0);
            for _ in 0..3 {
                x = x
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                let at = (x >> 33) as usize % len;
                s[at] = (x >> 13) as u8;
            }
            states.push(s);
        }
        let (mut enc, mut out) = (Encoder::default(), Vec::new());
        for s in &states {
            enc.push(s, &mut out);
        }
        let raw: usize = states.iter().map(Vec::len).sum();
        assert!(out.len() * 2 < raw, "{} of {raw} bytes", out.len());
        let mut dec = Decoder::default();
        for s in &states {
            assert_eq!(dec.next(&out), &s[..]);
        }
        assert_eq!(dec.at, out.len());
    }
}
