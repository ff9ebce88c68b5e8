//! What the SVG draws, placed: texts, strokes, arrowheads, badges and
//! markers, each with the box it may cover, and [`Scene::collisions`], the
//! check that no text crosses a stroke or another text in a finished scene.
//!
//! Text is measured with a conservative monospace advance, [`CHAR`] em per
//! character, and the SVG asks for a monospace font, so what a browser draws
//! is no wider than the boxes measured here.

use super::geom::{Quad, P};

/// Advance of one monospace character, in em. DejaVu Sans Mono, Menlo,
/// Liberation Mono and Courier advance 0.60 em, Consolas 0.55 em.
pub const CHAR: f64 = 0.62;
/// Height of text above its baseline, in em (capitals and brackets).
pub const ASCENT: f64 = 0.8;
/// Depth of text below its baseline, in em.
pub const DESCENT: f64 = 0.25;

/// Size of ordinary text.
pub const FONT: f64 = 12.0;
/// Size of badge text.
pub const BADGE_FONT: f64 = 10.0;

/// Space between the figure's edges and anything on it.
pub(super) const MARGIN: f64 = 12.0;
/// A label's box, relative to its baseline: from `LABEL_TOP` to `LABEL_BOTTOM`.
pub(super) const LABEL_TOP: f64 = -10.0;
pub(super) const LABEL_BOTTOM: f64 = 3.0;
/// Gap between a label's text and its first badge, and between badges.
pub(super) const BADGE_GAP: f64 = 5.0;
/// Length of an arrowhead.
pub(super) const HEAD: f64 = 9.0;
/// Half the size of a marker on an arrow or lifeline.
const ICON: f64 = 6.0;

/// Where a text's `x` is: its start, middle or end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    /// `text-anchor="start"`.
    Start,
    /// `text-anchor="middle"`.
    Middle,
    /// `text-anchor="end"`.
    End,
}

/// One line of text.
#[derive(Clone, Debug)]
pub struct Text {
    /// The anchor point on the baseline.
    pub at: P,
    /// Which point of the text `at` is.
    pub anchor: Anchor,
    /// Font size.
    pub size: f64,
    /// Turned this many degrees clockwise about `at`.
    pub turn: f64,
    /// The text.
    pub s: String,
    /// Fill colour.
    pub fill: &'static str,
    /// Bold.
    pub bold: bool,
    /// Italic.
    pub italic: bool,
}

/// Width of `s` at `size`, by the conservative advance [`CHAR`].
pub fn width(s: &str, size: f64) -> f64 {
    s.chars().count() as f64 * CHAR * size
}

impl Text {
    pub(super) fn new(at: P, anchor: Anchor, s: impl Into<String>, fill: &'static str) -> Text {
        Text {
            at,
            anchor,
            size: FONT,
            turn: 0.0,
            s: s.into(),
            fill,
            bold: false,
            italic: false,
        }
    }

    /// The box the text may cover.
    pub fn quad(&self) -> Quad {
        let w = width(&self.s, self.size);
        let u0 = match self.anchor {
            Anchor::Start => 0.0,
            Anchor::Middle => -w / 2.0,
            Anchor::End => -w,
        };
        Quad::turned(
            self.at,
            self.turn,
            u0,
            -ASCENT * self.size,
            u0 + w,
            DESCENT * self.size,
        )
    }
}

/// A straight stroke: an arrow's shaft, a lifeline, a tick mark.
#[derive(Clone, Debug)]
pub struct Line {
    /// One end.
    pub a: P,
    /// The other end.
    pub b: P,
    /// Stroke colour.
    pub colour: &'static str,
    /// Stroke width.
    pub width: f64,
    /// `stroke-dasharray`, if dashed.
    pub dash: Option<&'static str>,
}

/// An arrowhead with its tip at `tip`, pointing along `dir`.
#[derive(Clone, Debug)]
pub struct Head {
    /// The tip.
    pub tip: P,
    /// Unit vector the arrow points along.
    pub dir: P,
    /// Colour.
    pub colour: &'static str,
    /// An open chevron (segment still in flight) rather than a filled
    /// triangle.
    pub open: bool,
}

impl Head {
    /// Tip, then the two back corners.
    pub fn points(&self) -> [P; 3] {
        let back = self.tip - self.dir * HEAD;
        let side = self.dir.perp() * (HEAD * 0.4);
        [self.tip, back + side, back - side]
    }
}

/// A word in a coloured rounded box (`dup`, `late`, `old`, `lost`, ...),
/// after a segment's label.
#[derive(Clone, Debug)]
pub struct Badge {
    /// The box's left end on the label's baseline.
    pub at: P,
    /// Turned this many degrees clockwise about `at`, like its label.
    pub turn: f64,
    /// The word.
    pub word: &'static str,
    /// Box colour (the word is white).
    pub fill: &'static str,
}

impl Badge {
    /// Its width.
    pub fn width(&self) -> f64 {
        badge_width(self.word)
    }

    /// Its box.
    pub fn quad(&self) -> Quad {
        Quad::turned(
            self.at,
            self.turn,
            0.0,
            LABEL_TOP,
            self.width(),
            LABEL_BOTTOM,
        )
    }
}

/// Width of a badge reading `word`.
pub(super) fn badge_width(word: &str) -> f64 {
    width(word, BADGE_FONT) + 8.0
}

/// What a marker shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// An application call or timer on a lifeline.
    Dot,
    /// Where a lost segment was lost.
    Cross,
    /// Where a segment was held past a tick.
    Clock,
    /// Where a segment died of age.
    Dead,
}

/// A small marker drawn on an arrow or lifeline.
#[derive(Clone, Debug)]
pub struct Icon {
    /// What it is.
    pub mark: Mark,
    /// Its centre.
    pub at: P,
    /// Colour.
    pub colour: &'static str,
}

impl Icon {
    /// Half its size.
    pub fn radius(&self) -> f64 {
        match self.mark {
            Mark::Dot => 4.0,
            Mark::Cross | Mark::Dead => 5.0,
            Mark::Clock => ICON,
        }
    }

    /// Its box.
    pub fn quad(&self) -> Quad {
        let r = self.radius() + 1.0;
        Quad::rect(self.at.x - r, self.at.y - r, self.at.x + r, self.at.y + r)
    }
}

/// Everything the SVG draws, placed.
#[derive(Clone, Debug, Default)]
pub struct Scene {
    /// Width of the figure.
    pub width: f64,
    /// Height of the figure.
    pub height: f64,
    /// The band behind the step where a property breaks: top and bottom.
    pub band: Option<(f64, f64)>,
    /// Shafts, lifelines, tick marks, legend samples.
    pub lines: Vec<Line>,
    /// Arrowheads.
    pub heads: Vec<Head>,
    /// Markers.
    pub icons: Vec<Icon>,
    /// Badges.
    pub badges: Vec<Badge>,
    /// Every text.
    pub texts: Vec<Text>,
}

impl Scene {
    /// Every stroke as a segment: shafts, lines and the edges of arrowheads.
    pub fn strokes(&self) -> Vec<(P, P)> {
        let mut out: Vec<(P, P)> = self.lines.iter().map(|l| (l.a, l.b)).collect();
        for h in &self.heads {
            let [t, l, r] = h.points();
            out.extend([(t, l), (t, r), (l, r)]);
        }
        out
    }

    /// What is wrong with the scene: two texts (or badges, or markers) that
    /// overlap, or a text or badge that a stroke crosses. Empty when the
    /// figure is clean.
    pub fn collisions(&self) -> Vec<String> {
        let mut boxes: Vec<(Quad, String, bool)> = Vec::new();
        for t in &self.texts {
            boxes.push((t.quad(), format!("text {:?}", t.s), true));
        }
        for b in &self.badges {
            boxes.push((b.quad(), format!("badge {:?}", b.word), true));
        }
        for i in &self.icons {
            boxes.push((i.quad(), format!("{:?} at {:?}", i.mark, i.at), false));
        }
        let strokes = self.strokes();
        let mut out = Vec::new();
        for (i, (q, name, text)) in boxes.iter().enumerate() {
            for (r, other, other_text) in &boxes[i + 1..] {
                if (*text || *other_text) && q.overlaps(r) {
                    out.push(format!("{name} overlaps {other}"));
                }
            }
            if *text {
                for (a, b) in &strokes {
                    if q.crosses(*a, *b) {
                        out.push(format!("{name} crossed by the line {a:?}-{b:?}"));
                    }
                }
            }
        }
        out
    }
}
