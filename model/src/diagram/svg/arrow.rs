//! The arrows of a diagram, one per copy of a segment: which copies a trace
//! has, how each arrow ends, its colour, dash and badges, and its label at
//! each [`Level`] the layout may fall back to.

use super::colour;
use super::scene::{badge_width, width, BADGE_GAP, FONT};
use crate::diagram::{label, Event, Trace, Tracked};

/// How a segment's arrow ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum End {
    /// Delivered at this row.
    Arrive(usize),
    /// Lost at this row.
    Lost(usize),
    /// Died of age at this row.
    Expired(usize),
    /// Still in flight after the last row.
    InFlight,
}

/// Badges after a label: each a word and its colour.
pub(super) type Badges = Vec<(&'static str, &'static str)>;

/// One copy of a segment, drawn as one arrow.
#[derive(Clone, Debug)]
pub(super) struct Arrow {
    /// The segment, with its number and the row that sent it.
    pub(super) t: Tracked,
    /// How its arrow ends.
    pub(super) end: End,
    /// A duplicate the network made.
    pub(super) dup: bool,
    /// Sent by an earlier incarnation of its sender.
    pub(super) old: bool,
    /// Rows at which the network held it past a tick.
    pub(super) held: Vec<usize>,
}

impl Arrow {
    /// Held by the network past a tick.
    pub(super) fn late(&self) -> bool {
        self.t.seg.late
    }

    /// Its arrow's colour: lost, late, dup or old, the first that applies,
    /// else by how it ends.
    pub(super) fn colour(&self) -> &'static str {
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

    /// Its arrow's dash, if any.
    pub(super) fn dash(&self) -> Option<&'static str> {
        match self.end {
            _ if self.late() => Some("7 4"),
            End::Expired(_) => Some("2 3"),
            End::InFlight => Some("7 4"),
            _ => None,
        }
    }

    /// The badges after its label.
    pub(super) fn badges(&self) -> Badges {
        let mut out = Vec::new();
        if self.t.seg.g_inc == crate::segment::Seg::FORGED {
            out.push(("forged", colour::OLD));
        }
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

    /// Its label on one line, without badges.
    pub(super) fn label(&self) -> String {
        label(&self.t)
    }

    /// The label's lines, each a text and badges, as drawn at `level`.
    pub(super) fn lines(&self, level: Level) -> Vec<(String, Badges)> {
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
    pub(super) fn label_width(&self) -> f64 {
        self.badges()
            .iter()
            .fold(width(&self.label(), FONT), |w, (b, _)| {
                w + BADGE_GAP + badge_width(b)
            })
    }

    /// Row where the arrow ends (the last row plus one for in flight).
    pub(super) fn end_row(&self, rows: usize) -> usize {
        match self.end {
            End::Arrive(r) | End::Lost(r) | End::Expired(r) => r,
            End::InFlight => rows,
        }
    }
}

/// Every copy of every segment, in the order their arrows end.
pub(super) fn copies(trace: &Trace) -> Vec<Arrow> {
    let mut out = Vec::new();
    let older = |t: &Tracked, step: usize| {
        trace
            .path
            .get(step)
            .is_some_and(|(s, _)| s.hosts[t.seg.from as usize & 1].inc > t.seg.g_inc)
    };
    let copy = |t: Tracked, end, dup, old| Arrow {
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

/// How a copy's label is drawn, from best to last resort.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Level {
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
    /// The next resort, after this one fails.
    pub(super) fn next(self) -> Level {
        match self {
            Level::Line => Level::TwoLines,
            Level::TwoLines => Level::LineEither,
            Level::LineEither => Level::TwoLinesEither,
            Level::TwoLinesEither | Level::Number => Level::Number,
        }
    }

    /// The label may be turned either way.
    pub(super) fn either(self) -> bool {
        self >= Level::LineEither
    }
}
