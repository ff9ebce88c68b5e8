//! The text diagram: one row per step, A's lifeline on the left and B's on
//! the right, each host's new state beside its lifeline, at most [`WIDTH`]
//! columns.
//!
//! ```text
//!       A             |                                                |  B
//!    0  CLOSED        |                                                |  CLOSED
//!    1  SYN-SENT      |*connect                                        |
//!                     |==> [1] SYN seq=0                               |
//!    2                |                                         listen*|  LISTEN
//!    3                |---------------- [1] SYN seq=0 ---------------->|  SYN-RECEIVED
//!                     |                   [2] SYN,ACK seq=100 ack=1 <==|
//!    4  ESTABLISHED   |<---------- [2] SYN,ACK seq=100 ack=1 ----------|
//!                     |==> [3] ACK seq=1 ack=101                       |
//!    5                |------------ [3] ACK seq=1 ack=101 ------------>|  ESTABLISHED
//! ```
//!
//! `==>` marks where a segment leaves its sender, a full arrow where it
//! arrives; `×` ends a lost segment; `(dup)`, `(late)` and `(old)` mark a
//! duplicated copy, a segment held past a tick, and one from an earlier
//! incarnation of its sender.

use super::{label, marks, Event, Trace, Tracked};

/// The widest line the text diagram prints.
pub const WIDTH: usize = 96;
const STATE: usize = 14;
const MID: usize = 48;

fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pad_left(s: &str, w: usize) -> String {
    let s = fit(s, w);
    format!("{}{s}", " ".repeat(w - s.chars().count()))
}

fn pad_right(s: &str, w: usize) -> String {
    let s = fit(s, w);
    format!("{s}{}", " ".repeat(w - s.chars().count()))
}

fn centre(s: &str, w: usize, fill: char) -> String {
    let s = fit(s, w.saturating_sub(2));
    let s = format!(" {s} ");
    let n = s.chars().count();
    let left = (w - n) / 2;
    let right = w - n - left;
    format!(
        "{}{s}{}",
        fill.to_string().repeat(left),
        fill.to_string().repeat(right)
    )
}

/// A full arrow across the middle, left to right or right to left.
fn arrow(from: u8, text: &str) -> String {
    let inner = centre(text, MID - 1, '-');
    if from == 0 {
        format!("{inner}>")
    } else {
        format!("<{inner}")
    }
}

/// A lost segment: it ends in `×` two thirds of the way across.
fn lost(from: u8, text: &str) -> String {
    let w = MID * 2 / 3;
    let inner = centre(text, w - 1, '-');
    if from == 0 {
        pad_right(&format!("{inner}×"), MID)
    } else {
        pad_left(&format!("×{inner}"), MID)
    }
}

/// Text beside one host's lifeline.
fn beside(host: usize, text: &str) -> String {
    if host == 0 {
        pad_right(text, MID)
    } else {
        pad_left(text, MID)
    }
}

fn emitted(t: &Tracked) -> String {
    if t.seg.from == 0 {
        beside(0, &format!("==> {}", label(t)))
    } else {
        beside(1, &format!("{} <==", label(t)))
    }
}

fn line(out: &mut String, step: Option<usize>, states: [Option<&str>; 2], mid: &str) {
    let step = step
        .map(|s| format!("{s:>4}"))
        .unwrap_or_else(|| " ".repeat(4));
    let a = pad_right(states[0].unwrap_or(""), STATE);
    let b = states[1].unwrap_or("");
    let l = format!("{step}  {a}|{mid}|  {b}");
    out.push_str(l.trim_end());
    out.push('\n');
}

/// Render the trace as a text diagram.
pub fn render(trace: &Trace) -> String {
    let mut out = String::new();
    line(&mut out, None, [Some("A"), Some("B")], &" ".repeat(MID));
    for row in &trace.rows {
        let mid = match &row.event {
            Event::Start => " ".repeat(MID),
            Event::Local { host, what } => {
                if *host == 0 {
                    beside(0, &format!("*{what}"))
                } else {
                    beside(1, &format!("{what}*"))
                }
            }
            Event::Deliver { seg, dup, old } => arrow(
                seg.seg.from,
                &format!("{}{}", label(seg), marks(seg, *dup, *old)),
            ),
            Event::Lose(t) => lost(t.seg.from, &format!("{} lost", label(t))),
            Event::Delay(t) => centre(&format!("{} held back (late)", label(t)), MID, ' '),
            Event::Tick => centre("tick", MID, '·'),
        };
        let states = row.states.map(|s| s.map(|s| s.name()));
        line(&mut out, Some(row.step), states, &mid);
        for t in &row.expired {
            line(
                &mut out,
                None,
                [None, None],
                &centre(&format!("{} dies at MSL", label(t)), MID, ' '),
            );
        }
        for t in &row.emitted {
            line(&mut out, None, [None, None], &emitted(t));
        }
    }
    out
}
