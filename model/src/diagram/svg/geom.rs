//! Plane geometry for the layout: points, turned rectangles and the
//! separating-axis test that tells whether two of them overlap or a line
//! segment crosses one.

use std::ops::{Add, Mul, Sub};

/// A point (or vector) in SVG user units, y downwards.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct P {
    /// Rightwards.
    pub x: f64,
    /// Downwards.
    pub y: f64,
}

/// The point `(x, y)`.
pub fn p(x: f64, y: f64) -> P {
    P { x, y }
}

impl Add for P {
    type Output = P;
    fn add(self, o: P) -> P {
        p(self.x + o.x, self.y + o.y)
    }
}

impl Sub for P {
    type Output = P;
    fn sub(self, o: P) -> P {
        p(self.x - o.x, self.y - o.y)
    }
}

impl Mul<f64> for P {
    type Output = P;
    fn mul(self, k: f64) -> P {
        p(self.x * k, self.y * k)
    }
}

impl P {
    /// Dot product.
    pub fn dot(self, o: P) -> f64 {
        self.x * o.x + self.y * o.y
    }

    /// Length.
    pub fn len(self) -> f64 {
        self.dot(self).sqrt()
    }

    /// The unit vector in this direction.
    pub fn unit(self) -> P {
        let l = self.len();
        if l == 0.0 {
            p(1.0, 0.0)
        } else {
            self * (1.0 / l)
        }
    }

    /// The unit vector at `deg` degrees clockwise from the x axis (SVG's
    /// `rotate`).
    pub fn at(deg: f64) -> P {
        let r = deg.to_radians();
        p(r.cos(), r.sin())
    }

    /// Turned 90° clockwise on screen (y is downwards).
    pub fn perp(self) -> P {
        p(-self.y, self.x)
    }
}

/// A rectangle turned about some point: its corners in order, `c[0]` to
/// `c[1]` along the rectangle's own x axis and `c[0]` to `c[3]` along its y
/// axis.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Quad(pub [P; 4]);

impl Quad {
    /// The upright rectangle from `(x0, y0)` to `(x1, y1)`.
    pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Quad {
        Quad([p(x0, y0), p(x1, y0), p(x1, y1), p(x0, y1)])
    }

    /// The box `[u0, u1] × [v0, v1]` of a frame whose origin is `o` and whose
    /// x axis points `deg` degrees clockwise: what `transform="rotate(deg
    /// o.x o.y)"` does to the rectangle from `o + (u0, v0)` to `o + (u1, v1)`.
    pub fn turned(o: P, deg: f64, u0: f64, v0: f64, u1: f64, v1: f64) -> Quad {
        let u = P::at(deg);
        let w = u.perp();
        let c = |a: f64, b: f64| o + u * a + w * b;
        Quad([c(u0, v0), c(u1, v0), c(u1, v1), c(u0, v1)])
    }

    /// The same rectangle with every side moved out by `d`.
    pub fn grow(&self, d: f64) -> Quad {
        let [a, b, c, e] = self.0;
        let u = (b - a).unit();
        let w = (e - a).unit();
        Quad([
            a - u * d - w * d,
            b + u * d - w * d,
            c + u * d + w * d,
            e - u * d + w * d,
        ])
    }

    /// The smallest upright box around it: `(x0, y0, x1, y1)`.
    pub fn bounds(&self) -> (f64, f64, f64, f64) {
        let xs = self.0.map(|c| c.x);
        let ys = self.0.map(|c| c.y);
        let min = |v: [f64; 4]| v.into_iter().fold(f64::INFINITY, f64::min);
        let max = |v: [f64; 4]| v.into_iter().fold(f64::NEG_INFINITY, f64::max);
        (min(xs), min(ys), max(xs), max(ys))
    }

    /// The two overlap in an area (touching edges do not count).
    pub fn overlaps(&self, other: &Quad) -> bool {
        !separated(&self.0, &other.0)
    }

    /// The segment from `a` to `b` passes through the inside.
    pub fn crosses(&self, a: P, b: P) -> bool {
        !separated(&self.0, &[a, b])
    }
}

/// The segments `a`-`b` and `c`-`d` meet (touching counts).
pub fn segments_meet(a: P, b: P, c: P, d: P) -> bool {
    let side = |p: P, q: P, r: P| (q - p).perp().dot(r - p);
    let (d1, d2) = (side(c, d, a), side(c, d, b));
    let (d3, d4) = (side(a, b, c), side(a, b, d));
    d1 * d2 <= 0.0 && d3 * d4 <= 0.0 && !(d1 == 0.0 && d2 == 0.0)
}

/// Some edge normal of either convex polygon separates them (a segment is a
/// polygon of two points).
fn separated(s: &[P], t: &[P]) -> bool {
    const EPS: f64 = 1e-6;
    for poly in [s, t] {
        for i in 0..poly.len() {
            let e = poly[(i + 1) % poly.len()] - poly[i];
            if e.len() < EPS {
                continue;
            }
            let axis = e.perp().unit();
            let (a0, a1) = project(s, axis);
            let (b0, b1) = project(t, axis);
            if a1 <= b0 + EPS || b1 <= a0 + EPS {
                return true;
            }
        }
    }
    false
}

fn project(poly: &[P], axis: P) -> (f64, f64) {
    poly.iter()
        .map(|c| c.dot(axis))
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boxes_overlap_only_with_area() {
        let a = Quad::rect(0.0, 0.0, 10.0, 10.0);
        assert!(a.overlaps(&Quad::rect(5.0, 5.0, 15.0, 15.0)));
        assert!(!a.overlaps(&Quad::rect(10.0, 0.0, 20.0, 10.0)));
        assert!(!a.overlaps(&Quad::rect(11.0, 11.0, 20.0, 20.0)));
        // A diamond whose corner sits in the gap diagonal to the box.
        let d = Quad::turned(p(18.0, 18.0), 45.0, -5.0, -5.0, 5.0, 5.0);
        assert!(!a.overlaps(&d));
        assert!(a.grow(5.0).overlaps(&d));
    }

    #[test]
    fn segments_meet_when_they_cross() {
        assert!(segments_meet(
            p(0.0, 0.0),
            p(10.0, 10.0),
            p(0.0, 10.0),
            p(10.0, 0.0)
        ));
        assert!(!segments_meet(
            p(0.0, 0.0),
            p(4.0, 4.0),
            p(0.0, 10.0),
            p(10.0, 0.0)
        ));
        assert!(!segments_meet(
            p(0.0, 0.0),
            p(10.0, 0.0),
            p(0.0, 1.0),
            p(10.0, 1.0)
        ));
    }

    #[test]
    fn segments_cross_turned_boxes() {
        let q = Quad::turned(p(0.0, 0.0), 30.0, 0.0, -10.0, 100.0, 3.0);
        // Along the box's own baseline, a little below its bottom edge.
        let below = P::at(30.0).perp() * 5.0;
        assert!(!q.crosses(below, below + P::at(30.0) * 100.0));
        assert!(q.crosses(p(50.0, -50.0), p(50.0, 80.0)));
        assert!(!q.crosses(p(-20.0, 0.0), p(-1.0, 0.0)));
    }
}
