//! Where everything in the SVG diagram goes, decided before anything is
//! written, so that no text crosses an arrow or other text.
//!
//! The figure has columns, left to right: step numbers, A's states, A's
//! lifeline, the arrows, B's lifeline, B's states, and notes (ticks,
//! segments held past a tick or dying of age, the broken property). An
//! application call or timer is a dot on its host's lifeline with its name
//! just inside, above or below the dot where no arrow is in the way, else
//! in a column of its own beside the states.
//!
//! A segment is an arrow from where its sender emitted it to where it was
//! delivered, or to the point mid-way where it was lost or died of age; one
//! still in flight at the end stops half way to where it would arrive a row
//! later, with an open head. Its label (`[3] ACK seq=1 ack=101` and badges
//! such as `dup` or `late`) goes beside it, along the arrow when the arrow
//! is shallow and level when it is steep, at the first of a list of
//! candidate spots (middle first, above first) whose box keeps clear of
//! every arrow, text and marker placed so far, with no other line between
//! it and its arrow. When a label finds no clear spot, the layout is done
//! again with, in turn, more room between the lifelines, taller rows under
//! the arrow, the label on two lines, the label in the other orientation,
//! and at last only the segment's number beside the arrow with the label
//! in the notes column.
//!
//! Text is measured with a conservative monospace advance, [`CHAR`] em per
//! character, and the SVG asks for a monospace font, so what a browser draws
//! is no wider than the boxes placed here. [`Scene::collisions`] checks a
//! finished scene.

use super::geom::{p, segments_meet, Quad, P};
use crate::diagram::{label, Event, Trace, Tracked};

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

const MARGIN: f64 = 12.0;
const TOP: f64 = 60.0;
/// Least distance between two rows.
const ROW: f64 = 40.0;
/// Distance between two lines of notes in one row.
const NOTE: f64 = 15.0;
/// Least gap between two boxes.
const PAD: f64 = 3.0;
/// Gap between a label and its own arrow: more than half an arrowhead's
/// width, so a label may run past its arrow's tip.
const GAP: f64 = 4.5;
/// Least gap between a label and any other arrow or line.
const CLEAR: f64 = 6.0;
/// Labels keep this far from the lifelines, clear of arrowheads and dots.
const INSET: f64 = 16.0;
/// A label's box, relative to its baseline: from `LABEL_TOP` to `LABEL_BOTTOM`.
const LABEL_TOP: f64 = -10.0;
const LABEL_BOTTOM: f64 = 3.0;
/// Gap between a label's text and its first badge, and between badges.
const BADGE_GAP: f64 = 5.0;
const HEAD: f64 = 9.0;
/// Half the size of a marker on an arrow or lifeline.
const ICON: f64 = 6.0;
const MAX_ATTEMPTS: usize = 24;
/// How much wider than needed for the longest label the middle may grow.
const WIDEN: f64 = 120.0;
/// How often the rows an arrow spans are made taller for its label.
const GROW: usize = 2;
/// Distance between the two lines of a label.
const LINE: f64 = 14.0;
const MAX_MID: f64 = 720.0;

/// Colours, shared with the legend.
pub mod colour {
    /// An ordinary segment.
    pub const SEGMENT: &str = "#222222";
    /// A lost segment and the broken property.
    pub const LOST: &str = "#c62828";
    /// A duplicate copy.
    pub const DUP: &str = "#7b1fa2";
    /// A segment held past a tick.
    pub const LATE: &str = "#d35400";
    /// A segment of an earlier incarnation.
    pub const OLD: &str = "#757575";
    /// A segment that died of age.
    pub const EXPIRED: &str = "#9e9e9e";
    /// A segment still in flight.
    pub const FLIGHT: &str = "#37474f";
    /// Application calls and timers.
    pub const CALL: &str = "#1565c0";
    /// State names.
    pub const STATE: &str = "#0d2b45";
    /// Step numbers, ticks, lifelines.
    pub const QUIET: &str = "#8a8a8a";
    /// The band behind the broken step.
    pub const BAND: &str = "#fde4e4";
}

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
    fn new(at: P, anchor: Anchor, s: impl Into<String>, fill: &'static str) -> Text {
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

fn badge_width(word: &str) -> f64 {
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

/// How a segment's arrow ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Arrive(usize),
    Lost(usize),
    Expired(usize),
    InFlight,
}

/// Badges after a label: each a word and its colour.
type Badges = Vec<(&'static str, &'static str)>;

/// One copy of a segment, drawn as one arrow.
#[derive(Clone, Debug)]
struct Copy {
    t: Tracked,
    end: End,
    dup: bool,
    old: bool,
    /// Rows at which the network held it past a tick.
    held: Vec<usize>,
}

impl Copy {
    fn late(&self) -> bool {
        self.t.seg.late
    }

    fn colour(&self) -> &'static str {
        match self.end {
            End::Lost(_) => colour::LOST,
            _ if self.late() => colour::LATE,
            _ if self.dup => colour::DUP,
            _ if self.old => colour::OLD,
            End::Expired(_) => colour::EXPIRED,
            End::InFlight => colour::FLIGHT,
            End::Arrive(_) => colour::SEGMENT,
        }
    }

    fn dash(&self) -> Option<&'static str> {
        match self.end {
            _ if self.late() => Some("7 4"),
            End::Expired(_) => Some("2 3"),
            End::InFlight => Some("7 4"),
            _ => None,
        }
    }

    fn badges(&self) -> Badges {
        let mut out = Vec::new();
        if self.dup {
            out.push(("dup", colour::DUP));
        }
        if self.late() {
            out.push(("late", colour::LATE));
        }
        if self.old {
            out.push(("old", colour::OLD));
        }
        match self.end {
            End::Lost(_) => out.push(("lost", colour::LOST)),
            End::Expired(_) => out.push(("died of age", colour::EXPIRED)),
            End::InFlight => out.push(("in flight", colour::FLIGHT)),
            End::Arrive(_) => {}
        }
        out
    }

    fn label(&self) -> String {
        label(&self.t)
    }

    /// The label's lines, each a text and badges, as drawn at `level`.
    fn lines(&self, level: Level) -> Vec<(String, Badges)> {
        let label = self.label();
        match level {
            Level::Line | Level::LineEither => vec![(label, self.badges())],
            Level::TwoLines | Level::TwoLinesEither => match label.find(" seq=") {
                Some(k) => vec![
                    (label[..k].to_string(), Vec::new()),
                    (label[k + 1..].to_string(), self.badges()),
                ],
                None => vec![(label, self.badges())],
            },
            Level::Number => vec![(format!("[{}]", self.t.id), Vec::new())],
        }
    }

    /// Width of the label with its badges.
    fn label_width(&self) -> f64 {
        self.badges()
            .iter()
            .fold(width(&self.label(), FONT), |w, (b, _)| {
                w + BADGE_GAP + badge_width(b)
            })
    }

    /// Row where the arrow ends (the last row plus one for in flight).
    fn end_row(&self, rows: usize) -> usize {
        match self.end {
            End::Arrive(r) | End::Lost(r) | End::Expired(r) => r,
            End::InFlight => rows,
        }
    }
}

/// Every copy of every segment, in the order their arrows end.
fn copies(trace: &Trace) -> Vec<Copy> {
    let mut out = Vec::new();
    let older = |t: &Tracked, step: usize| {
        trace
            .path
            .get(step)
            .is_some_and(|(s, _)| s.hosts[t.seg.from as usize & 1].inc > t.seg.g_inc)
    };
    let copy = |t: Tracked, end, dup, old| Copy {
        t,
        end,
        dup,
        old,
        held: Vec::new(),
    };
    for row in &trace.rows {
        match &row.event {
            Event::Deliver { seg, dup, old } => {
                out.push(copy(*seg, End::Arrive(row.step), *dup, *old));
            }
            Event::Lose(t) => out.push(copy(*t, End::Lost(row.step), false, older(t, row.step))),
            _ => {}
        }
        for t in &row.expired {
            out.push(copy(*t, End::Expired(row.step), false, older(t, row.step)));
        }
    }
    if let Some(last) = trace.rows.last() {
        for t in &last.flight {
            out.push(copy(*t, End::InFlight, false, older(t, last.step)));
        }
    }
    let rows = trace.rows.len();
    for row in &trace.rows {
        if let Event::Delay(t) = &row.event {
            if let Some(c) = out.iter_mut().find(|c| {
                c.t.id == t.id && c.late() && c.t.sent <= row.step && row.step < c.end_row(rows)
            }) {
                c.held.push(row.step);
            }
        }
    }
    out
}

/// One row's fixed texts: the call or timer of each host, and notes.
#[derive(Clone, Debug, Default)]
struct RowText {
    calls: [Option<String>; 2],
    notes: Vec<(String, &'static str, bool)>,
}

/// The horizontal positions of the columns.
#[derive(Clone, Copy, Debug)]
struct Columns {
    step: f64,
    call_a: f64,
    state_a: f64,
    xa: f64,
    xb: f64,
    state_b: f64,
    call_b: f64,
    notes: f64,
    width: f64,
}

/// How a copy's label is drawn, from best to last resort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    /// On one line, along a shallow arrow or level beside a steep one.
    Line,
    /// On two lines (flags, then numbers and badges), likewise.
    TwoLines,
    /// On one line, in either orientation.
    LineEither,
    /// On two lines, in either orientation.
    TwoLinesEither,
    /// Only its number beside the arrow; the label goes to the notes column.
    Number,
}

impl Level {
    fn next(self) -> Level {
        match self {
            Level::Line => Level::TwoLines,
            Level::TwoLines => Level::LineEither,
            Level::LineEither => Level::TwoLinesEither,
            Level::TwoLinesEither | Level::Number => Level::Number,
        }
    }

    fn either(self) -> bool {
        self >= Level::LineEither
    }
}

/// What the iteration may change between attempts.
#[derive(Clone, Debug)]
struct Knobs {
    /// Extra height of each row (and of the space below the last).
    extra: Vec<f64>,
    /// Distance between the lifelines.
    mid: f64,
    /// How each copy's label is drawn.
    level: Vec<Level>,
    /// Rows whose call or timer is written in its host's column outside
    /// the lifelines rather than inside beside its dot.
    outside: Vec<usize>,
    /// Take the least crowded spot when none is clear.
    force: bool,
}

/// Lay out `trace`.
pub fn layout(trace: &Trace) -> Scene {
    let copies = copies(trace);
    let rows = trace.rows.len();
    let longest = copies.iter().map(Copy::label_width).fold(0.0, f64::max);
    let base = (longest + 2.0 * INSET + 90.0).max(400.0).ceil();
    let mut knobs = Knobs {
        extra: vec![0.0; rows + 1],
        mid: base,
        level: vec![Level::Line; copies.len()],
        outside: Vec::new(),
        force: false,
    };
    // How often each copy's rows were made taller.
    let mut grown = vec![0; copies.len()];
    for attempt in 1.. {
        let (scene, failed, calls) = attempt_layout(trace, &copies, &knobs);
        if (failed.is_empty() && calls.is_empty()) || knobs.force {
            return scene;
        }
        if !calls.is_empty() {
            knobs.outside.extend(calls);
            continue;
        }
        // First more room between the lifelines, then taller rows, then
        // other ways of drawing the labels that do not fit.
        if knobs.mid < (base + WIDEN).min(MAX_MID) {
            knobs.mid = (knobs.mid + 40.0).min(MAX_MID);
            continue;
        }
        for &i in &failed {
            let c = &copies[i];
            if grown[i] < GROW || knobs.level[i] == Level::Number {
                grown[i] += 1;
                let s = c.t.sent;
                let e = match c.end {
                    End::InFlight => s + 1,
                    _ => c.end_row(rows).max(s + 1),
                };
                for r in s..e.min(rows + 1) {
                    knobs.extra[r] += 8.0;
                }
            } else {
                knobs.level[i] = knobs.level[i].next();
            }
        }
        knobs.force = attempt + 1 >= MAX_ATTEMPTS;
    }
    unreachable!()
}

/// One layout with `knobs`: the scene, the copies whose labels found no
/// clear spot, and the rows whose call found no clear spot inside.
fn attempt_layout(
    trace: &Trace,
    copies: &[Copy],
    knobs: &Knobs,
) -> (Scene, Vec<usize>, Vec<usize>) {
    let rows = trace.rows.len();
    let mut texts: Vec<RowText> = vec![RowText::default(); rows];
    for row in &trace.rows {
        let rt = &mut texts[row.step];
        if trace.violation.map(|(s, _)| s) == Some(row.step) {
            let name = trace.violation.map_or("", |(_, n)| n);
            rt.notes.push((name.to_string(), colour::LOST, true));
            rt.notes
                .push(("violated here".to_string(), colour::LOST, true));
        }
        match &row.event {
            Event::Local { host, what } if knobs.outside.contains(&row.step) => {
                rt.calls[*host & 1] = Some(what.clone());
            }
            Event::Tick => rt.notes.push(("tick".to_string(), colour::QUIET, false)),
            Event::Delay(t) => {
                rt.notes
                    .push((format!("[{}] held past tick", t.id), colour::LATE, false));
            }
            _ => {}
        }
        for t in &row.expired {
            rt.notes
                .push((format!("[{}] dies of age", t.id), colour::EXPIRED, false));
        }
    }
    for (i, c) in copies.iter().enumerate() {
        if knobs.level[i] == Level::Number {
            let r = match c.end {
                End::InFlight => c.t.sent.min(rows - 1),
                _ => c.end_row(rows).min(rows - 1),
            };
            let words: Vec<&str> = c.badges().iter().map(|b| b.0).collect();
            let note = if words.is_empty() {
                c.label()
            } else {
                format!("{} ({})", c.label(), words.join(", "))
            };
            texts[r].notes.push((note, c.colour(), false));
        }
    }

    let cols = columns(trace, &texts, knobs.mid);

    // Row positions.
    let mut ys = Vec::with_capacity(rows + 1);
    let mut y = TOP;
    for r in 0..=rows {
        ys.push(y);
        let lines = texts.get(r).map_or(0, |t| t.notes.len().max(1)) as f64;
        y += (lines * NOTE + 14.0).max(ROW) + knobs.extra[r];
    }
    let flight_end = ys[rows] + 8.0;
    let bottom = flight_end + 16.0;

    let mut scene = Scene {
        width: cols.width,
        ..Scene::default()
    };

    // Header and lifelines.
    for (x, name) in [(cols.xa, "A"), (cols.xb, "B")] {
        let mut t = Text::new(p(x, 28.0), Anchor::Middle, name, colour::STATE);
        t.size = 16.0;
        t.bold = true;
        scene.texts.push(t);
        scene.lines.push(Line {
            a: p(x, 38.0),
            b: p(x, bottom),
            colour: colour::QUIET,
            width: 2.0,
            dash: None,
        });
    }
    let mut t = Text::new(p(cols.step, 28.0), Anchor::End, "step", colour::QUIET);
    t.size = BADGE_FONT;
    scene.texts.push(t);

    // Band behind the broken step.
    if let Some((s, _)) = trace.violation {
        if s < rows {
            let lines = texts[s].notes.len().max(1) as f64;
            scene.band = Some((ys[s] - 15.0, ys[s] + 15.0 + (lines - 1.0) * NOTE));
        }
    }

    // Fixed texts of each row.
    for row in &trace.rows {
        let y = ys[row.step];
        let base = y + 4.0;
        let broken = trace.violation.map(|(s, _)| s) == Some(row.step);
        let mut t = Text::new(
            p(cols.step, base),
            Anchor::End,
            row.step.to_string(),
            if broken { colour::LOST } else { colour::QUIET },
        );
        t.bold = broken;
        scene.texts.push(t);
        for h in 0..2 {
            let (x, anchor) = if h == 0 {
                (cols.state_a, Anchor::End)
            } else {
                (cols.state_b, Anchor::Start)
            };
            if let Some(st) = row.states[h] {
                let mut t = Text::new(p(x, base), anchor, st.name(), colour::STATE);
                t.bold = true;
                scene.texts.push(t);
            }
            let rt = &texts[row.step];
            if let Some(what) = &rt.calls[h] {
                let x = if h == 0 { cols.call_a } else { cols.call_b };
                let mut t = Text::new(p(x, base), anchor, what.clone(), colour::CALL);
                t.italic = true;
                scene.texts.push(t);
            }
            if matches!(row.event, Event::Local { host, .. } if host & 1 == h) {
                scene.icons.push(Icon {
                    mark: Mark::Dot,
                    at: p(if h == 0 { cols.xa } else { cols.xb }, y),
                    colour: colour::CALL,
                });
            }
        }
        for (k, (s, fill, bold)) in texts[row.step].notes.iter().enumerate() {
            let mut t = Text::new(
                p(cols.notes, base + k as f64 * NOTE),
                Anchor::Start,
                s.clone(),
                fill,
            );
            t.bold = *bold;
            scene.texts.push(t);
        }
        if matches!(row.event, Event::Tick) {
            // Tick marks in the margins, where the row has no text.
            let quiet = |h: usize| row.states[h].is_none() && texts[row.step].calls[h].is_none();
            let mark = |a: P, b: P| Line {
                a,
                b,
                colour: colour::QUIET,
                width: 1.0,
                dash: Some("1 3"),
            };
            if quiet(0) {
                scene
                    .lines
                    .push(mark(p(cols.step + 8.0, y), p(cols.xa - 8.0, y)));
            }
            if quiet(1) {
                scene
                    .lines
                    .push(mark(p(cols.xb + 8.0, y), p(cols.notes - 8.0, y)));
            }
        }
    }

    // Arrows.
    let x_of = |h: u8| if h == 0 { cols.xa } else { cols.xb };
    let mut shafts: Vec<(P, P)> = Vec::with_capacity(copies.len());
    // Every stroke, with the copy whose arrow it is part of.
    let mut strokes: Vec<(P, P, Option<usize>)> =
        scene.lines.iter().map(|l| (l.a, l.b, None)).collect();
    // Copies ending at the same place are fanned out.
    let mut ends: Vec<(u8, usize, End)> = Vec::new();
    for (i, c) in copies.iter().enumerate() {
        let from = c.t.seg.from & 1;
        let (x0, x1) = (x_of(from), x_of(1 - from));
        let a = p(x0, ys[c.t.sent.min(rows)]);
        let same = ends
            .iter()
            .filter(|(f, s, e)| {
                *f == from && (*s == c.t.sent || c.end == End::InFlight) && *e == c.end
            })
            .count()
            .min(4);
        ends.push((from, c.t.sent, c.end));
        let fan = [0.0, -0.12, 0.12, -0.24, 0.24][same];
        // An arrow that would lie on another from the same point (a copy
        // delivered while its duplicate stays in flight, say) is turned
        // away from it.
        let apart = |b: P| {
            shafts.iter().all(|&(s, e): &(P, P)| {
                (s - a).len() > 0.5 || (e - s).unit().dot((b - a).unit()) < 8f64.to_radians().cos()
            })
        };
        let options: Vec<P> = match c.end {
            End::Arrive(r) => vec![p(x1, ys[r])],
            End::Lost(r) | End::Expired(r) => {
                let f = if matches!(c.end, End::Lost(_)) {
                    0.62
                } else {
                    0.5
                };
                [0.0f64, -0.2, 0.2, -0.35]
                    .iter()
                    .map(|d| p(x0 + (x1 - x0) * (f + fan + d).clamp(0.2, 0.85), ys[r]))
                    .collect()
            }
            // Half way to where it would arrive one row later (or later
            // still, or sooner).
            End::InFlight => {
                let next = ys[(c.t.sent + 1).min(rows)].max(a.y + ROW);
                let f = [0.5, 0.38, 0.62, 0.26, 0.74][same];
                [1.0, 2.0, 0.5, 3.0]
                    .iter()
                    .map(|k| p(x0 + (x1 - x0) * f, a.y + (next - a.y) * f * k))
                    .collect()
            }
        };
        let b = options
            .iter()
            .copied()
            .find(|&b| apart(b))
            .unwrap_or(options[0]);
        let dir = (b - a).unit();
        let shaft_end = if c.end == End::InFlight || matches!(c.end, End::Arrive(_)) {
            b - dir
                * (if c.end == End::InFlight {
                    0.0
                } else {
                    HEAD * 0.8
                })
        } else {
            b
        };
        scene.lines.push(Line {
            a,
            b: shaft_end,
            colour: c.colour(),
            width: 1.6,
            dash: c.dash(),
        });
        strokes.push((a, shaft_end, Some(i)));
        match c.end {
            End::Arrive(_) | End::InFlight => {
                let head = Head {
                    tip: b,
                    dir,
                    colour: c.colour(),
                    open: c.end == End::InFlight,
                };
                let [t, l, r] = head.points();
                strokes.extend([(t, l, Some(i)), (t, r, Some(i)), (l, r, Some(i))]);
                scene.heads.push(head);
            }
            End::Lost(_) => scene.icons.push(Icon {
                mark: Mark::Cross,
                at: b,
                colour: colour::LOST,
            }),
            End::Expired(_) => scene.icons.push(Icon {
                mark: Mark::Dead,
                at: b,
                colour: colour::EXPIRED,
            }),
        }
        for &r in &c.held {
            // Where the arrow is at row r.
            let y = ys[r];
            let t = ((y - a.y) / (b.y - a.y)).clamp(0.0, 1.0);
            scene.icons.push(Icon {
                mark: Mark::Clock,
                at: a + (b - a) * t,
                colour: colour::LATE,
            });
        }
        shafts.push((a, b));
    }

    let mut boxes: Vec<Quad> = scene.texts.iter().map(Text::quad).collect();
    boxes.extend(scene.icons.iter().map(Icon::quad));

    // Calls and timers beside their dots, inside the lifelines.
    let mut calls = Vec::new();
    for row in &trace.rows {
        let Event::Local { host, what } = &row.event else {
            continue;
        };
        if knobs.outside.contains(&row.step) {
            continue;
        }
        let h = host & 1;
        let y = ys[row.step];
        let spot = [
            (9.0, -9.0),
            (9.0, 16.0),
            (26.0, -9.0),
            (26.0, 16.0),
            (44.0, -9.0),
        ]
        .into_iter()
        .map(|(dx, dy)| {
            let (x, anchor) = if h == 0 {
                (cols.xa + dx, Anchor::Start)
            } else {
                (cols.xb - dx, Anchor::End)
            };
            let mut t = Text::new(p(x, y + dy), anchor, what.clone(), colour::CALL);
            t.italic = true;
            t
        })
        .find(|t| {
            let q = t.quad();
            let (padded, clear) = (q.grow(PAD), q.grow(CLEAR));
            !boxes.iter().any(|r| padded.overlaps(r))
                && !strokes.iter().any(|&(a, b, _)| clear.crosses(a, b))
        });
        match spot {
            Some(t) => {
                boxes.push(t.quad());
                scene.texts.push(t);
            }
            None => calls.push(row.step),
        }
    }

    // Labels, in the order the arrows end.
    let area = (cols.xa + INSET, cols.xb - INSET, TOP - 20.0, bottom);
    let mut failed = Vec::new();
    for (i, c) in copies.iter().enumerate() {
        let level = knobs.level[i];
        let lines = c.lines(level);
        let len = lines
            .iter()
            .map(|(text, badges)| {
                badges.iter().fold(width(text, FONT), |w, (b, _)| {
                    w + BADGE_GAP + badge_width(b)
                })
            })
            .fold(0.0, f64::max);
        let top = LABEL_TOP - (lines.len() - 1) as f64 * LINE;
        let (a, b) = shafts[i];
        let how = Placing {
            area,
            either: level.either() || level == Level::Number,
            force: knobs.force,
        };
        let Some((origin, turn, clean)) = place(a, b, len, top, &boxes, &strokes, i, how) else {
            failed.push(i);
            continue;
        };
        if !clean {
            failed.push(i);
        }
        let u = P::at(turn);
        let w = u.perp();
        for (j, (text, badges)) in lines.iter().enumerate() {
            let at = origin - w * ((lines.len() - 1 - j) as f64 * LINE);
            let mut t = Text::new(at, Anchor::Start, text.clone(), c.colour());
            t.turn = turn;
            boxes.push(t.quad());
            scene.texts.push(t);
            let mut x = width(text, FONT);
            for &(word, fill) in badges {
                let b = Badge {
                    at: at + u * (x + BADGE_GAP),
                    turn,
                    word,
                    fill,
                };
                x += BADGE_GAP + b.width();
                boxes.push(b.quad());
                scene.badges.push(b);
            }
        }
    }

    // Legend: a sample arrow, its badge, what it means.
    let mut y = bottom + 26.0;
    let legend = legend(copies);
    if !legend.is_empty() {
        let mut x = MARGIN;
        for (kind, badge, what) in legend {
            let w = 36.0 + badge_width(badge) + 6.0 + width(what, FONT);
            if x + w > cols.width - MARGIN && x > MARGIN {
                x = MARGIN;
                y += 24.0;
            }
            sample(&mut scene, kind, p(x, y));
            let at = p(x + 36.0, y + 4.0);
            scene.badges.push(Badge {
                at,
                turn: 0.0,
                word: badge,
                fill: legend_colour(kind),
            });
            scene.texts.push(Text::new(
                at + p(badge_width(badge) + 6.0, 0.0),
                Anchor::Start,
                what,
                colour::STATE,
            ));
            x += w + 28.0;
        }
        y += 20.0;
    }
    scene.height = y.max(bottom + 12.0);
    (scene, failed, calls)
}

/// The legend's entries: which kind of arrow, its badge, and what it means.
fn legend(copies: &[Copy]) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    let any = |f: &dyn Fn(&Copy) -> bool| copies.iter().any(f);
    if any(&|c| matches!(c.end, End::Lost(_))) {
        out.push(("lost", "lost", "lost by the network"));
    }
    if any(&|c| c.dup) {
        out.push(("dup", "dup", "a second copy the network made"));
    }
    if any(&|c| c.late()) {
        out.push(("late", "late", "held by the network past a tick"));
    }
    if any(&|c| c.old) {
        out.push(("old", "old", "sent by an earlier incarnation"));
    }
    if any(&|c| matches!(c.end, End::Expired(_))) {
        out.push(("expired", "died of age", "reached MSL in flight"));
    }
    if any(&|c| c.end == End::InFlight) {
        out.push(("flight", "in flight", "not delivered by the end"));
    }
    out
}

fn legend_colour(kind: &str) -> &'static str {
    match kind {
        "lost" => colour::LOST,
        "dup" => colour::DUP,
        "late" => colour::LATE,
        "old" => colour::OLD,
        "expired" => colour::EXPIRED,
        _ => colour::FLIGHT,
    }
}

/// A short sample arrow for the legend, from `at` (on the text's row).
fn sample(scene: &mut Scene, kind: &str, at: P) {
    let colour = legend_colour(kind);
    let dash = match kind {
        "late" | "flight" => Some("7 4"),
        "expired" => Some("2 3"),
        _ => None,
    };
    let a = at;
    let b = at + p(30.0, 0.0);
    scene.lines.push(Line {
        a,
        b: if matches!(kind, "lost" | "expired") {
            b
        } else {
            b - p(HEAD * 0.8, 0.0)
        },
        colour,
        width: 1.6,
        dash,
    });
    match kind {
        "lost" => scene.icons.push(Icon {
            mark: Mark::Cross,
            at: b,
            colour,
        }),
        "expired" => scene.icons.push(Icon {
            mark: Mark::Dead,
            at: b,
            colour,
        }),
        "late" => {
            scene.icons.push(Icon {
                mark: Mark::Clock,
                at: at + p(12.0, 0.0),
                colour,
            });
            scene.heads.push(Head {
                tip: b,
                dir: p(1.0, 0.0),
                colour,
                open: false,
            });
        }
        _ => scene.heads.push(Head {
            tip: b,
            dir: p(1.0, 0.0),
            colour,
            open: kind == "flight",
        }),
    }
}

/// The columns' positions, from the widest text of each.
fn columns(trace: &Trace, texts: &[RowText], mid: f64) -> Columns {
    let widest =
        |it: &mut dyn Iterator<Item = String>| it.map(|s| width(&s, FONT)).fold(0.0, f64::max);
    let step_w =
        widest(&mut trace.rows.iter().map(|r| r.step.to_string())).max(width("step", BADGE_FONT));
    let state_w = |h: usize| {
        widest(
            &mut trace
                .rows
                .iter()
                .filter_map(|r| r.states[h].map(|s| s.name().to_string())),
        )
    };
    let call_w = |h: usize| widest(&mut texts.iter().filter_map(|t| t.calls[h].clone()));
    let notes_w = widest(
        &mut texts
            .iter()
            .flat_map(|t| t.notes.iter().map(|n| n.0.clone())),
    );
    let step = MARGIN + step_w;
    let call_a = step + 16.0 + call_w(0);
    let state_a = call_a + if call_w(0) > 0.0 { 14.0 } else { 0.0 } + state_w(0);
    let xa = state_a + 12.0;
    let xb = xa + mid;
    let state_b = xb + 12.0;
    let call_b = state_b + state_w(1) + if state_w(1) > 0.0 { 14.0 } else { 0.0 };
    let notes = call_b + call_w(1) + 20.0;
    let width = (notes + notes_w + MARGIN).ceil();
    Columns {
        step,
        call_a,
        state_a,
        xa,
        xb,
        state_b,
        call_b,
        notes,
        width,
    }
}

/// Where a label may go.
#[derive(Clone, Copy, Debug)]
struct Placing {
    /// The box its spot must stay in: x from, x to, y from, y to.
    area: (f64, f64, f64, f64),
    /// Either orientation, not only the preferred one.
    either: bool,
    /// Take the least crowded spot if none is clear.
    force: bool,
}

/// A spot for a label `len` long whose box reaches from `top` above its
/// (last) baseline to [`LABEL_BOTTOM`] below, beside the arrow `a`→`b` of
/// copy `own`: the label's baseline origin, its turn and whether the spot
/// is clear of every box and stroke. `None` when no spot is clear, unless
/// forced.
#[allow(clippy::too_many_arguments)]
fn place(
    a: P,
    b: P,
    len: f64,
    top: f64,
    boxes: &[Quad],
    strokes: &[(P, P, Option<usize>)],
    own: usize,
    how: Placing,
) -> Option<(P, f64, bool)> {
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
    // Cost, baseline origin, turn, and the point on the arrow it is beside.
    let mut candidates: Vec<(f64, P, f64, P)> = Vec::new();
    let half_h = (LABEL_BOTTOM - top) / 2.0;
    let mid_v = (LABEL_BOTTOM + top) / 2.0;
    for (turn, turn_cost) in [
        (along, if steep { 0.6 } else { 0.0 }),
        (0.0, if steep { 0.0 } else { 0.6 }),
    ] {
        if turn_cost > 0.0 && (!how.either || along.abs() < 1.0) {
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
    let area = how.area;
    let mut best: Option<(usize, P, f64)> = None;
    for (_, origin, turn, on) in candidates {
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
