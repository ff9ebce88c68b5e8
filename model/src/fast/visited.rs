//! The visited set: 64-bit fingerprints in one open-addressed table of
//! atomic words, linear probing, no lock on insert.
//!
//! A slot is 0 (empty) or a fingerprint, and a fingerprint once written is
//! never moved or removed, so an insert is a probe and at most one
//! compare-and-swap per contended slot: two threads inserting the same
//! fingerprint meet at the same first empty slot, one wins and the other
//! sees it. The table is 8 bytes a slot; at the load this engine aims for,
//! [`TARGET_LOAD`], that is 9.4 bytes per state.
//!
//! The table's size need not be a power of two: a fingerprint's home slot
//! is its high bits scaled to the capacity (Lemire's multiply-shift), so a
//! table can be sized to the state count a previous run measured. When it
//! fills past [`MAX_LOAD`] the search stops at a block boundary and
//! [`Table::grown`] rehashes into a larger one (see `search.rs`).
//!
//! Lookups land at random across the whole table, so on Linux it asks for
//! transparent huge pages ([`memory::advise_huge_pages`]): a 250 MB table
//! then fits the TLB, and a lookup waits for memory but not for a page walk.

use std::sync::atomic::{AtomicU64, Ordering};

use super::memory;

/// The load a table sized for a known state count ends at. At 0.8 it was
/// 10 bytes a state; at 0.85 a lookup probes a little further (most probes
/// stay within the slot's cache line), and `default` searched as fast
/// within the machine's noise.
pub const TARGET_LOAD: f64 = 0.85;
/// Past this load the table grows (linear probing slows down quickly past 0.9).
pub const MAX_LOAD: f64 = 0.88;
/// No table is smaller: its headroom above [`MAX_LOAD`] absorbs the inserts
/// threads make between two looks at the load.
pub const MIN_CAPACITY: usize = 1 << 20;
/// A table grows by this factor when it has no better size to go to.
pub const GROWTH: f64 = 1.75;

/// An open-addressed set of nonzero 64-bit fingerprints.
pub struct Table {
    slots: Box<[AtomicU64]>,
}

impl Table {
    /// An empty table of `capacity` slots (at least [`MIN_CAPACITY`]).
    pub fn with_capacity(capacity: usize) -> Table {
        let capacity = capacity.max(MIN_CAPACITY);
        let mut slots: Vec<AtomicU64> = Vec::with_capacity(capacity);
        // Advised before the first touch, which is when pages are chosen.
        memory::advise_huge_pages(slots.as_mut_ptr().cast(), capacity * 8);
        slots.resize_with(capacity, || AtomicU64::new(0));
        Table {
            slots: slots.into_boxed_slice(),
        }
    }

    /// The capacity that holds `states` at [`TARGET_LOAD`].
    pub fn capacity_for(states: usize) -> usize {
        ((states as f64 / TARGET_LOAD).ceil() as usize).max(MIN_CAPACITY)
    }

    /// Slots.
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// Bytes of memory the table takes.
    pub fn bytes(&self) -> u64 {
        (self.slots.len() * std::mem::size_of::<AtomicU64>()) as u64
    }

    /// How many states the table takes before it must grow.
    pub fn limit(&self) -> usize {
        (self.capacity() as f64 * MAX_LOAD) as usize
    }

    #[inline(always)]
    fn home(&self, fp: u64) -> usize {
        ((u128::from(fp) * self.slots.len() as u128) >> 64) as usize
    }

    /// Ask the CPU to start loading `fp`'s home slot, so that a batch of
    /// successors' lookups overlap their cache misses.
    #[inline(always)]
    pub fn prefetch(&self, fp: u64) {
        #[cfg(target_arch = "x86_64")]
        {
            let p = self.slots[self.home(fp)].as_ptr() as *const i8;
            // SAFETY: a prefetch is a hint; it never faults and reads nothing
            // the program sees. `p` points into the table.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p) };
        }
        #[cfg(not(target_arch = "x86_64"))]
        let _ = fp;
    }

    /// Add nonzero `fp`; true if it was not there.
    ///
    /// # Panics
    ///
    /// If the table is full, which the search prevents by growing it at
    /// [`MAX_LOAD`].
    #[inline]
    pub fn insert(&self, fp: u64) -> bool {
        debug_assert_ne!(fp, 0, "0 marks an empty slot");
        let n = self.slots.len();
        let mut i = self.home(fp);
        for _ in 0..n {
            let slot = &self.slots[i];
            let cur = slot.load(Ordering::Relaxed);
            if cur == fp {
                return false;
            }
            if cur == 0 {
                match slot.compare_exchange(0, fp, Ordering::Relaxed, Ordering::Relaxed) {
                    Ok(_) => return true,
                    Err(now) if now == fp => return false,
                    Err(_) => {}
                }
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
        panic!("visited set full: {n} slots");
    }

    /// `fp` is in the set.
    pub fn contains(&self, fp: u64) -> bool {
        let n = self.slots.len();
        let mut i = self.home(fp);
        for _ in 0..n {
            match self.slots[i].load(Ordering::Relaxed) {
                0 => return false,
                cur if cur == fp => return true,
                _ => {}
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
        false
    }

    /// A table of `capacity` slots with every fingerprint of this one,
    /// rehashed on `threads` threads (each takes a range of the old
    /// slots; inserts are lock-free, so the ranges need no coordination).
    pub fn grown(&self, capacity: usize, threads: usize) -> Table {
        let new = Table::with_capacity(capacity);
        let threads = threads.max(1);
        let per = self.slots.len().div_ceil(threads);
        std::thread::scope(|s| {
            for part in self.slots.chunks(per) {
                let new = &new;
                s.spawn(move || {
                    for slot in part {
                        let fp = slot.load(Ordering::Relaxed);
                        if fp != 0 {
                            new.insert(fp);
                        }
                    }
                });
            }
        });
        new
    }

    /// Fingerprints in the table (counts every slot: for tests).
    pub fn count(&self) -> usize {
        self.slots
            .iter()
            .filter(|s| s.load(Ordering::Relaxed) != 0)
            .count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fast::fingerprint::fingerprint;

    #[test]
    fn inserts_once_finds_again_and_survives_growth() {
        let t = Table::with_capacity(0);
        let fps: Vec<u64> = (0u32..200_000).map(|i| fingerprint(&i)).collect();
        assert!(fps.iter().all(|&fp| t.insert(fp)));
        assert!(fps.iter().all(|&fp| !t.insert(fp)));
        assert!(!t.contains(fingerprint(&1_000_000u32)));
        let g = t.grown(t.capacity() * 2, 2);
        assert_eq!(g.count(), fps.len());
        assert!(fps.iter().all(|&fp| g.contains(fp)));
    }

    /// Two threads inserting the same fingerprints: each is new to
    /// exactly one of them.
    #[test]
    fn concurrent_inserts_of_the_same_fingerprints_count_once() {
        let t = Table::with_capacity(0);
        let fps: Vec<u64> = (0u32..400_000).map(|i| fingerprint(&i)).collect();
        let new: usize = std::thread::scope(|s| {
            let a = s.spawn(|| fps.iter().filter(|&&fp| t.insert(fp)).count());
            let b = s.spawn(|| fps.iter().rev().filter(|&&fp| t.insert(fp)).count());
            a.join().unwrap() + b.join().unwrap()
        });
        assert_eq!(new, fps.len());
        assert_eq!(t.count(), fps.len());
    }

    #[test]
    fn a_table_sized_for_n_states_holds_them_at_the_target_load() {
        let n = 5_000_000;
        let cap = Table::capacity_for(n);
        assert!(cap as f64 * TARGET_LOAD >= n as f64);
        assert!((cap as f64 * 8.0 / n as f64) <= 10.0 + 1e-6);
        assert!(Table::with_capacity(cap).limit() > n);
    }
}
