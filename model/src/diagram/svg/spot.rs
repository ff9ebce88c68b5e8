//! A spot for one label beside its arrow: candidates along the arrow on
//! either side, cheapest first (middle, above, in the preferred
//! orientation), and the first whose box keeps clear of every box and
//! stroke placed so far, with no other line between it and its arrow.

use super::geom::{segments_meet, Quad, P};
use super::scene::LABEL_BOTTOM;

/// Least gap between two boxes.
pub(super) const PAD: f64 = 3.0;
/// Gap between a label and its own arrow: more than half an arrowhead's
/// width, so a label may run past its arrow's tip.
const GAP: f64 = 4.5;
/// Least gap between a label and any other arrow or line.
pub(super) const CLEAR: f64 = 6.0;

/// A stroke placed so far, with the copy whose arrow it is part of.
pub(super) type Stroke = (P, P, Option<usize>);

/// Where a label may go.
#[derive(Clone, Copy, Debug)]
pub(super) struct Placing {
    /// The box its spot must stay in: x from, x to, y from, y to.
    pub(super) area: (f64, f64, f64, f64),
    /// Either orientation, not only the preferred one.
    pub(super) either: bool,
    /// Take the least crowded spot if none is clear.
    pub(super) force: bool,
}

/// A spot for a label `len` long whose box reaches from `top` above its
/// (last) baseline to [`LABEL_BOTTOM`] below, beside the arrow `a`→`b` of
/// copy `own`: the label's baseline origin, its turn and whether the spot
/// is clear of every box and stroke. `None` when no spot is clear, unless
/// forced.
#[allow(clippy::too_many_arguments)]
pub(super) fn place(
    a: P,
    b: P,
    len: f64,
    top: f64,
    boxes: &[Quad],
    strokes: &[Stroke],
    own: usize,
    how: Placing,
) -> Option<(P, f64, bool)> {
    let mid_v = (LABEL_BOTTOM + top) / 2.0;
    let area = how.area;
    let mut best: Option<(usize, P, f64)> = None;
    for (_, origin, turn, on) in candidates(a, b, len, top, how.either) {
        let q = Quad::turned(origin, turn, 0.0, top, len, LABEL_BOTTOM);
        let centre = origin + P::at(turn) * (len / 2.0) + P::at(turn).perp() * mid_v;
        let (x0, y0, x1, y1) = q.bounds();
        if x0 < area.0 || x1 > area.1 || y0 < area.2 || y1 > area.3 {
            continue;
        }
        let padded = q.grow(PAD);
        let clear = q.grow(CLEAR);
        let mut hits = boxes.iter().filter(|r| padded.overlaps(r)).count();
        for &(s, t, whose) in strokes {
            // No other line may run between a label and its arrow.
            let hit = if whose == Some(own) {
                q.crosses(s, t)
            } else {
                clear.crosses(s, t) || segments_meet(centre, on, s, t)
            };
            if hit {
                hits += 1;
            }
        }
        if hits == 0 {
            return Some((origin, turn, true));
        }
        if best.is_none_or(|(h, _, _)| hits < h) {
            best = Some((hits, origin, turn));
        }
    }
    if how.force {
        best.map(|(_, o, t)| (o, t, false))
    } else {
        None
    }
}

/// The spots to try for a label `len` long with its box from `top` to
/// [`LABEL_BOTTOM`], beside the arrow `a`→`b`, cheapest first: each its
/// cost, baseline origin, turn, and the point on the arrow it is beside.
/// Along a shallow arrow and level beside a steep one; the other
/// orientation too when `either`.
fn candidates(a: P, b: P, len: f64, top: f64, either: bool) -> Vec<(f64, P, f64, P)> {
    let e = (b - a).unit();
    // The normal pointing up the screen.
    let mut n = e.perp();
    if n.y > 0.0 {
        n = n * -1.0;
    }
    let along = {
        let r = if e.x < 0.0 { e * -1.0 } else { e };
        r.y.atan2(r.x).to_degrees()
    };
    let steep = along.abs() > 45.0;
    let mut candidates: Vec<(f64, P, f64, P)> = Vec::new();
    let half_h = (LABEL_BOTTOM - top) / 2.0;
    let mid_v = (LABEL_BOTTOM + top) / 2.0;
    for (turn, turn_cost) in [
        (along, if steep { 0.6 } else { 0.0 }),
        (0.0, if steep { 0.0 } else { 0.6 }),
    ] {
        if turn_cost > 0.0 && (!either || along.abs() < 1.0) {
            continue;
        }
        let u = P::at(turn);
        let w = u.perp();
        let reach = len / 2.0 * u.dot(n).abs() + half_h * w.dot(n).abs() + GAP;
        for (side, side_cost) in [(1.0, 0.0), (-1.0, 0.3)] {
            for k in 0..=60 {
                let t = k as f64 / 60.0;
                let on = a + (b - a) * t;
                let centre = on + n * (side * reach);
                let origin = centre - u * (len / 2.0) - w * mid_v;
                let cost = (t - 0.5).abs() + side_cost + turn_cost;
                candidates.push((cost, origin, turn, on));
            }
        }
    }
    candidates.sort_by(|x, y| x.0.total_cmp(&y.0));
    candidates
}
