//! Sequence-number arithmetic across the 2^32 wrap (RFC 9293 §3.4): the
//! comparisons are those of RFC 1982 serial numbers, defined for distances
//! below 2^31.

use proptest::prelude::*;
use synfin_tcp::seq::SeqNum;

const HALF: u32 = 1 << 31;

/// Start points biased towards the interesting places: around 0, around
/// 2^31 and just below 2^32.
fn arb_seq() -> impl Strategy<Value = SeqNum> {
    prop_oneof![
        any::<u32>(),
        (0u32..64).prop_map(|d| u32::MAX - d),
        (0u32..64),
        (0u32..64).prop_map(|d| HALF.wrapping_sub(32).wrapping_add(d)),
    ]
    .prop_map(SeqNum)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2048))]

    /// Moving forward by less than half the space is always "later", even
    /// when the raw value wraps past zero.
    #[test]
    fn forward_is_greater(a in arb_seq(), n in 1u32..HALF) {
        let b = a.add(n);
        prop_assert!(b.gt(a));
        prop_assert!(b.ge(a));
        prop_assert!(a.lt(b));
        prop_assert!(a.le(b));
        prop_assert!(!b.lt(a));
        prop_assert!(!b.le(a));
        prop_assert_eq!(b.since(a), n);
        prop_assert_eq!(b.sub(n), a);
    }

    /// Exactly one of lt, ==, gt holds for every pair except the antipodal
    /// one (distance 2^31), where RFC 1982 §3.2 leaves the order undefined.
    #[test]
    fn trichotomy_and_antisymmetry(a in arb_seq(), b in arb_seq()) {
        let lt = a.lt(b);
        let gt = a.gt(b);
        let eq = a == b;
        if b.since(a) == HALF {
            prop_assert!(!eq);
        } else {
            prop_assert_eq!(u8::from(lt) + u8::from(gt) + u8::from(eq), 1);
            prop_assert_eq!(lt, b.gt(a));
            prop_assert!(!(lt && b.lt(a)), "lt is antisymmetric");
        }
        prop_assert_eq!(a.le(b), lt || eq || (b.since(a) == HALF && a.le(b)));
        prop_assert_eq!(a.ge(b), b.le(a));
        prop_assert!(a.le(a) && a.ge(a) && !a.lt(a) && !a.gt(a));
    }

    /// `in_window(start, len)` is exactly `start =< x < start + len`
    /// whenever the window is shorter than half the space, which is the
    /// only case RFC 9293 windows reach (a window is at most 2^30 even with
    /// scaling, RFC 7323 §2.3).
    #[test]
    fn in_window_matches_comparisons(
        start in arb_seq(),
        len in 0u32..HALF,
        off in any::<u32>(),
    ) {
        let x = start.add(off);
        let by_cmp = x.ge(start) && x.lt(start.add(len));
        prop_assert_eq!(x.in_window(start, len), by_cmp);
        prop_assert_eq!(x.in_window(start, len), off < len);
    }

    #[test]
    fn add_sub_inverse(a in arb_seq(), n in any::<u32>()) {
        prop_assert_eq!(a.add(n).sub(n), a);
        prop_assert_eq!(a.sub(n).add(n), a);
        prop_assert_eq!(a.add(n).since(a), n);
    }
}

#[test]
fn just_below_the_wrap() {
    let top = SeqNum(u32::MAX);
    let zero = top.add(1);
    assert_eq!(zero, SeqNum(0));
    assert!(zero.gt(top), "0 comes after 2^32 - 1");
    assert!(top.lt(zero));
    assert!(SeqNum(5).gt(SeqNum(u32::MAX - 5)));
    assert_eq!(SeqNum(5).since(SeqNum(u32::MAX - 5)), 11);
    // A window straddling the wrap contains both ends.
    let start = SeqNum(u32::MAX - 1);
    assert!(SeqNum(u32::MAX).in_window(start, 4));
    assert!(SeqNum(1).in_window(start, 4));
    assert!(!SeqNum(2).in_window(start, 4));
    assert!(!SeqNum(u32::MAX - 2).in_window(start, 4));
}

#[test]
fn half_the_space_away_flips_the_order() {
    let a = SeqNum(10);
    assert!(a.add(HALF - 1).gt(a), "2^31 - 1 ahead is still ahead");
    assert!(a.add(HALF + 1).lt(a), "2^31 + 1 ahead is behind");
}

#[test]
fn empty_window_contains_nothing() {
    for x in [0, 1, u32::MAX] {
        assert!(!SeqNum(x).in_window(SeqNum(x), 0));
    }
}
