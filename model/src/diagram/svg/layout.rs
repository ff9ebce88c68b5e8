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
//! it and its arrow (`spot`). When a label finds no clear spot, the layout
//! is done again with, in turn, more room between the lifelines, taller
//! rows under the arrow, the label on two lines, the label in the other
//! orientation, and at last only the segment's number beside the arrow
//! with the label in the notes column.
//!
//! Each attempt places in a fixed order: everything whose place is fixed
//! by its row and column first (header, lifelines, band, step numbers,
//! states, notes, tick marks), then the arrows, then the calls beside their
//! dots and the labels, which must find room among what is already there,
//! and the legend under it all. [`Scene::collisions`] checks a finished
//! scene.

// What the layout hands out and the palette it draws in, under the paths
// they had when they were defined here (tests/diagram_layout.rs uses them).
pub use super::colour;
pub use super::scene::Scene;

use super::arrow::{copies, Arrow, End, Level};
use super::geom::{p, Quad, P};
use super::legend;
use super::scene::{
    badge_width, width, Anchor, Badge, Head, Icon, Line, Mark, Text, BADGE_FONT, BADGE_GAP, FONT,
    HEAD, LABEL_TOP, MARGIN,
};
use super::spot::{place, Placing, Stroke, CLEAR, PAD};
use crate::diagram::{Event, Row, Trace};

const TOP: f64 = 60.0;
/// Least distance between two rows.
const ROW: f64 = 40.0;
/// Distance between two lines of notes in one row.
const NOTE: f64 = 15.0;
/// Labels keep this far from the lifelines, clear of arrowheads and dots.
const INSET: f64 = 16.0;
const MAX_ATTEMPTS: usize = 24;
/// How much wider than needed for the longest label the middle may grow.
const WIDEN: f64 = 120.0;
/// How often the rows an arrow spans are made taller for its label.
const GROW: usize = 2;
/// Distance between the two lines of a label.
const LINE: f64 = 14.0;
const MAX_MID: f64 = 720.0;

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
    let longest = copies.iter().map(Arrow::label_width).fold(0.0, f64::max);
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
///
/// What is fixed by its row and column goes first, then the arrows, then
/// the texts that must find room among them (calls, then labels), and the
/// legend under it all. The order is part of the layout: a text placed
/// earlier is in the way of every text placed later.
fn attempt_layout(
    trace: &Trace,
    copies: &[Arrow],
    knobs: &Knobs,
) -> (Scene, Vec<usize>, Vec<usize>) {
    let at = Attempt::new(trace, copies, knobs);
    let mut scene = Scene {
        width: at.cols.width,
        ..Scene::default()
    };
    at.header(&mut scene);
    at.band(&mut scene);
    for row in &trace.rows {
        at.row(&mut scene, row);
    }
    let (shafts, strokes) = at.arrows(&mut scene);
    // What calls and labels must keep clear of.
    let mut boxes: Vec<Quad> = scene.texts.iter().map(Text::quad).collect();
    boxes.extend(scene.icons.iter().map(Icon::quad));
    let calls = at.calls(&mut scene, &mut boxes, &strokes);
    let failed = at.labels(&mut scene, &mut boxes, &strokes, &shafts);
    let y = legend::draw(&mut scene, copies, at.bottom + 26.0);
    scene.height = y.max(at.bottom + 12.0);
    (scene, failed, calls)
}

/// One attempt's inputs, and the rows and columns its steps place by.
struct Attempt<'a> {
    trace: &'a Trace,
    copies: &'a [Arrow],
    knobs: &'a Knobs,
    /// Each row's fixed texts.
    texts: Vec<RowText>,
    cols: Columns,
    /// Each row's y, and one more below the last.
    ys: Vec<f64>,
    /// Where the lifelines end.
    bottom: f64,
}

impl<'a> Attempt<'a> {
    /// The rows' texts first, since they size the columns and the rows.
    fn new(trace: &'a Trace, copies: &'a [Arrow], knobs: &'a Knobs) -> Attempt<'a> {
        let rows = trace.rows.len();
        let texts = row_texts(trace, copies, knobs);
        let cols = columns(trace, &texts, knobs.mid);
        let ys = row_ys(&texts, knobs);
        let flight_end = ys[rows] + 8.0;
        let bottom = flight_end + 16.0;
        Attempt {
            trace,
            copies,
            knobs,
            texts,
            cols,
            ys,
            bottom,
        }
    }

    /// The hosts' names and lifelines, and the `step` heading: first, as
    /// the columns alone fix them.
    fn header(&self, scene: &mut Scene) {
        for (x, name) in [(self.cols.xa, "A"), (self.cols.xb, "B")] {
            let mut t = Text::new(p(x, 28.0), Anchor::Middle, name, colour::STATE);
            t.size = 16.0;
            t.bold = true;
            scene.texts.push(t);
            scene.lines.push(Line {
                a: p(x, 38.0),
                b: p(x, self.bottom),
                colour: colour::QUIET,
                width: 2.0,
                dash: None,
            });
        }
        let mut t = Text::new(p(self.cols.step, 28.0), Anchor::End, "step", colour::QUIET);
        t.size = BADGE_FONT;
        scene.texts.push(t);
    }

    /// The band behind the broken step, as tall as its notes; the row
    /// alone fixes it, and it is drawn under everything.
    fn band(&self, scene: &mut Scene) {
        if let Some((s, _)) = self.trace.violation {
            if s < self.trace.rows.len() {
                let lines = self.texts[s].notes.len().max(1) as f64;
                scene.band = Some((self.ys[s] - 15.0, self.ys[s] + 15.0 + (lines - 1.0) * NOTE));
            }
        }
    }

    /// One row's fixed texts, whose place its row and column decide: the
    /// step number, each host's state, a call written outside, the dot of
    /// a call, the notes, and tick marks. Before the arrows, calls and
    /// labels, which cannot move them and so must keep clear of them.
    fn row(&self, scene: &mut Scene, row: &Row) {
        let cols = &self.cols;
        let y = self.ys[row.step];
        let base = y + 4.0;
        let broken = self.trace.violation.map(|(s, _)| s) == Some(row.step);
        let mut t = Text::new(
            p(cols.step, base),
            Anchor::End,
            row.step.to_string(),
            if broken { colour::LOST } else { colour::QUIET },
        );
        t.bold = broken;
        scene.texts.push(t);
        let rt = &self.texts[row.step];
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
        for (k, (s, fill, bold)) in rt.notes.iter().enumerate() {
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
            self.tick_marks(scene, row);
        }
    }

    /// A tick's dotted marks in the margins, where the row has no text.
    fn tick_marks(&self, scene: &mut Scene, row: &Row) {
        let cols = &self.cols;
        let y = self.ys[row.step];
        let quiet = |h: usize| row.states[h].is_none() && self.texts[row.step].calls[h].is_none();
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

    /// Every copy's arrow, in the order the copies end, before any label or
    /// call is placed: those must find room beside the arrows. Returns each
    /// arrow's ends and every stroke placed so far.
    fn arrows(&self, scene: &mut Scene) -> (Vec<(P, P)>, Vec<Stroke>) {
        let mut shafts: Vec<(P, P)> = Vec::with_capacity(self.copies.len());
        // Every stroke, with the copy whose arrow it is part of.
        let mut strokes: Vec<Stroke> = scene.lines.iter().map(|l| (l.a, l.b, None)).collect();
        // Copies ending at the same place are fanned out.
        let mut ends: Vec<(u8, usize, End)> = Vec::new();
        for (i, c) in self.copies.iter().enumerate() {
            let from = c.t.seg.from & 1;
            let same = ends
                .iter()
                .filter(|(f, s, e)| {
                    *f == from && (*s == c.t.sent || c.end == End::InFlight) && *e == c.end
                })
                .count()
                .min(4);
            ends.push((from, c.t.sent, c.end));
            let (a, b) = self.arrow_ends(c, same, &shafts);
            self.draw_arrow(scene, &mut strokes, i, (a, b));
            shafts.push((a, b));
        }
        (shafts, strokes)
    }

    /// Where copy `c`'s arrow starts and ends, `same` being how many arrows
    /// before it end at the same place: fanned out from them, and turned
    /// away from any arrow `shafts` has from the same point.
    fn arrow_ends(&self, c: &Arrow, same: usize, shafts: &[(P, P)]) -> (P, P) {
        let (rows, ys) = (self.trace.rows.len(), &self.ys);
        let x_of = |h: u8| if h == 0 { self.cols.xa } else { self.cols.xb };
        let from = c.t.seg.from & 1;
        let (x0, x1) = (x_of(from), x_of(1 - from));
        let a = p(x0, ys[c.t.sent.min(rows)]);
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
        (a, b)
    }

    /// Arrow `i`'s arrow from `a` to `b`: its shaft, then its head or the
    /// marker where it ended, then a clock wherever it was held past a
    /// tick; the shaft and head go into `strokes` as copy `i`'s.
    fn draw_arrow(&self, scene: &mut Scene, strokes: &mut Vec<Stroke>, i: usize, (a, b): (P, P)) {
        let c = &self.copies[i];
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
            let y = self.ys[r];
            let t = ((y - a.y) / (b.y - a.y)).clamp(0.0, 1.0);
            scene.icons.push(Icon {
                mark: Mark::Clock,
                at: a + (b - a) * t,
                colour: colour::LATE,
            });
        }
    }

    /// Calls and timers beside their dots, inside the lifelines, before the
    /// labels: a call has only a few spots beside its dot, while a label
    /// can go anywhere along its arrow. Returns the rows whose call found
    /// no clear spot, to be written outside next time.
    fn calls(&self, scene: &mut Scene, boxes: &mut Vec<Quad>, strokes: &[Stroke]) -> Vec<usize> {
        let mut calls = Vec::new();
        for row in &self.trace.rows {
            let Event::Local { host, what } = &row.event else {
                continue;
            };
            if self.knobs.outside.contains(&row.step) {
                continue;
            }
            let h = host & 1;
            let y = self.ys[row.step];
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
                    (self.cols.xa + dx, Anchor::Start)
                } else {
                    (self.cols.xb - dx, Anchor::End)
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
        calls
    }

    /// Each copy's label beside its arrow, in the order the arrows end,
    /// each kept clear of everything placed before it. Returns the copies
    /// whose label found no clear spot.
    fn labels(
        &self,
        scene: &mut Scene,
        boxes: &mut Vec<Quad>,
        strokes: &[Stroke],
        shafts: &[(P, P)],
    ) -> Vec<usize> {
        let cols = &self.cols;
        let area = (cols.xa + INSET, cols.xb - INSET, TOP - 20.0, self.bottom);
        let mut failed = Vec::new();
        for (i, c) in self.copies.iter().enumerate() {
            let level = self.knobs.level[i];
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
                force: self.knobs.force,
            };
            let Some((origin, turn, clean)) = place(a, b, len, top, boxes, strokes, i, how) else {
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
        failed
    }
}

/// Each row's fixed texts, which size the columns and rows: the broken
/// property's name, calls written outside the lifelines, ticks, held and
/// dying segments, and the labels of copies drawn only by their number.
fn row_texts(trace: &Trace, copies: &[Arrow], knobs: &Knobs) -> Vec<RowText> {
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
    texts
}

/// Each row's y, and one more below the last: tall enough for the row's
/// notes, at least [`ROW`], plus what the knobs added.
fn row_ys(texts: &[RowText], knobs: &Knobs) -> Vec<f64> {
    let rows = texts.len();
    let mut ys = Vec::with_capacity(rows + 1);
    let mut y = TOP;
    for r in 0..=rows {
        ys.push(y);
        let lines = texts.get(r).map_or(0, |t| t.notes.len().max(1)) as f64;
        y += (lines * NOTE + 14.0).max(ROW) + knobs.extra[r];
    }
    ys
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
