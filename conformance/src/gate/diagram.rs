//! The first divergence as a text sequence diagram: the steps that agreed
//! drawn once, A's lifeline on the left and B's on the right, then the step
//! that differed drawn twice side by side, as the model expected it and as
//! the target did it.
//!
//! ```text
//!       A            |                              |  B
//!    0  CLOSED       |                              |  CLOSED
//!    1  SYN-SENT     |*connect                      |
//!                    |==> SYN seq=0                 |
//!    2               |                       listen*|  LISTEN
//!    3               |--------- SYN seq=0 --------->|  SYN-RECEIVED
//!                    |       SYN,ACK seq=0 ack=1 <==|
//!   step 4: expected (model)                                          | observed (impl playing A and B)
//!    4  SYN-RECEIVED |<---- SYN,ACK seq=0 ack=1 ----|  SYN-RECEIVED   | ESTABLISHED  |<---- SYN,ACK seq=0 ack=1 ----|  SYN-RECEIVED
//!                    |==> ACK seq=1 ack=1           |                 |              |==> ACK seq=1 ack=1           |
//!                    |  (connected)                 |                 |              |  (connected)                 |
//! ```
//!
//! The conformance crate does not link the model, so this is its own
//! drawing, not the model's `synfin show` diagram; it draws the trace's
//! steps, the model's expectation, and the target's observations.

use crate::target::Role;
use crate::trace::{Flags, HostId, Input, Observation, Segment, Step};

/// Columns of a state beside a lifeline.
const STATE: usize = 13;
/// Columns between the two lifelines.
const MID: usize = 30;
/// Steps before the divergence drawn at most; earlier ones are counted.
const SHOWN: usize = 24;

/// The diagram of `steps` up to step `at` (1-based), where the target
/// (playing `role`, named `target`) showed `observed` instead of what the
/// trace expects.
pub fn diagram(
    steps: &[Step],
    at: usize,
    role: Role,
    target: &str,
    observed: &[(HostId, Observation)],
) -> String {
    if steps.is_empty() {
        return String::new();
    }
    let at = at.clamp(1, steps.len());
    let mut out = Vec::new();
    out.push(format!(
        "{:>4}  {}|{}|  {}",
        "",
        pad("A", STATE),
        " ".repeat(MID),
        "B"
    ));
    let first = at.saturating_sub(1).saturating_sub(SHOWN);
    if first == 0 {
        out.push(row("0", Some("CLOSED"), &" ".repeat(MID), Some("CLOSED")));
    } else {
        out.push(format!("{:>4}  ({first} earlier steps not drawn)", "…"));
    }
    let closed = Observation::closed();
    for i in first..at - 1 {
        let prev = if i == 0 { None } else { Some(&steps[i - 1]) };
        let before = |h| prev.map_or(&closed, |p: &Step| p.host(h));
        let lines = step_lines(
            &steps[i],
            before(HostId::A),
            before(HostId::B),
            &steps[i].a,
            &steps[i].b,
            false,
        );
        for (n, l) in lines.into_iter().enumerate() {
            out.push(if n == 0 {
                l.with_number(i + 1)
            } else {
                l.plain()
            });
        }
    }
    // The step that differed, twice.
    let step = &steps[at - 1];
    let prev = if at >= 2 { Some(&steps[at - 2]) } else { None };
    let before = |h| prev.map_or(&closed, |p: &Step| p.host(h));
    let seen = |h: HostId| {
        observed
            .iter()
            .find(|(x, _)| *x == h)
            .map_or(step.host(h), |(_, o)| o)
    };
    let expected = step_lines(
        step,
        before(HostId::A),
        before(HostId::B),
        &step.a,
        &step.b,
        true,
    );
    let actual = step_lines(
        step,
        before(HostId::A),
        before(HostId::B),
        seen(HostId::A),
        seen(HostId::B),
        true,
    );
    let width = 4 + 2 + STATE + 1 + MID + 1 + 2 + STATE;
    let played = match role {
        Role::Both => "A and B".to_string(),
        Role::Host(h) => format!("{h}; {} as the trace has it", h.peer()),
    };
    out.push(format!(
        "{}  | {}",
        pad(&format!("  step {at}: expected (model)"), width),
        format_args!("observed ({target} playing {played})")
    ));
    for n in 0..expected.len().max(actual.len()) {
        let left = expected.get(n).map_or(String::new(), |l| {
            if n == 0 {
                l.with_number(at)
            } else {
                l.plain()
            }
        });
        let right = actual.get(n).map_or(String::new(), Line::panel);
        out.push(format!("{}  | {}", pad(&left, width), right));
    }
    let mut s: String = out
        .into_iter()
        .map(|l| l.trim_end().to_string() + "\n")
        .collect();
    if s.ends_with('\n') {
        s.pop();
    }
    s
}

/// One row of the diagram, before its step number is known.
struct Line {
    a: Option<String>,
    mid: String,
    b: Option<String>,
}

impl Line {
    fn with_number(&self, n: usize) -> String {
        row(
            &n.to_string(),
            self.a.as_deref(),
            &self.mid,
            self.b.as_deref(),
        )
    }

    fn plain(&self) -> String {
        row("", self.a.as_deref(), &self.mid, self.b.as_deref())
    }

    /// The row without its step-number column.
    fn panel(&self) -> String {
        format!(
            "{}|{}|  {}",
            pad(self.a.as_deref().unwrap_or(""), STATE),
            pad(&self.mid, MID),
            self.b.as_deref().unwrap_or("")
        )
    }
}

fn row(n: &str, a: Option<&str>, mid: &str, b: Option<&str>) -> String {
    format!(
        "{n:>4}  {}|{}|  {}",
        pad(a.unwrap_or(""), STATE),
        pad(mid, MID),
        b.unwrap_or("")
    )
}

/// The rows of one step: the input (with each host's new state beside its
/// lifeline: always when `states`, else only where it changed), then what
/// each host sent and told its application.
fn step_lines(
    step: &Step,
    before_a: &Observation,
    before_b: &Observation,
    a: &Observation,
    b: &Observation,
    states: bool,
) -> Vec<Line> {
    let shown = |before: &Observation, after: &Observation| {
        (states || before.state != after.state).then(|| after.state.to_string())
    };
    let mut lines = vec![Line {
        a: shown(before_a, a),
        mid: input(&step.input),
        b: shown(before_b, b),
    }];
    for (h, o) in [(HostId::A, a), (HostId::B, b)] {
        for s in &o.emitted {
            lines.push(Line {
                a: None,
                mid: side(
                    h,
                    &format!("==> {}", label(s)),
                    &format!("{} <==", label(s)),
                ),
                b: None,
            });
        }
        for e in &o.events {
            lines.push(Line {
                a: None,
                mid: side(h, &format!("  ({e})"), &format!("({e})  ")),
                b: None,
            });
        }
    }
    lines
}

/// `left` against A's lifeline, or `right` against B's.
fn side(h: HostId, left: &str, right: &str) -> String {
    match h {
        HostId::A => fit(left, MID),
        HostId::B => pad_left(right, MID),
    }
}

/// The middle of an input's row.
fn input(i: &Input) -> String {
    let call = |h: HostId, what: &str| side(h, &format!("*{what}"), &format!("{what}*"));
    match i {
        Input::Listen { host } => call(*host, "listen"),
        Input::Connect { host } => call(*host, "connect"),
        Input::Send { host } => call(*host, "send"),
        Input::Close { host } => call(*host, "close"),
        Input::Abort { host } => call(*host, "abort"),
        Input::Timeout { host } => call(*host, "timeout"),
        Input::Crash { host } => call(*host, "crash"),
        Input::Tick => centre("tick", MID, '·'),
        Input::Deliver { segment } => arrow(segment, ""),
        Input::Duplicate { segment } => arrow(segment, " (dup)"),
        Input::Lose { segment } => {
            let w = MID * 2 / 3;
            let inner = centre(&label(segment), w - 1, '-');
            match segment.from {
                HostId::A => fit(&format!("{inner}×"), MID),
                HostId::B => pad_left(&format!("×{inner}"), MID),
            }
        }
        Input::Delay { segment } => side(
            segment.from,
            &format!("-- {} (held)", label(segment)),
            &format!("(held) {} --", label(segment)),
        ),
    }
}

/// A full arrow across the middle from the segment's sender.
fn arrow(s: &Segment, note: &str) -> String {
    let inner = centre(&format!("{}{note}", label(s)), MID - 1, '-');
    match s.from {
        HostId::A => format!("{inner}>"),
        HostId::B => format!("<{inner}"),
    }
}

/// `SYN,ACK seq=100 ack=1 +1`: a segment without its direction.
fn label(s: &Segment) -> String {
    let mut l = s.flags.to_string();
    match s.seq {
        Some(n) => l += &format!(" seq={n}"),
        None => l += " seq=0(abs)",
    }
    if s.flags.contains(Flags::ACK) {
        l += &format!(" ack={}", s.ack);
    }
    if s.len > 0 {
        l += &format!(" +{}", s.len);
    }
    l
}

fn fit(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(w.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn pad(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = s.chars().count();
    format!("{s}{}", " ".repeat(w - n))
}

fn pad_left(s: &str, w: usize) -> String {
    let s = fit(s, w);
    let n = s.chars().count();
    format!("{}{s}", " ".repeat(w - n))
}

fn centre(s: &str, w: usize, fill: char) -> String {
    let s = fit(s, w.saturating_sub(2));
    let s = format!(" {s} ");
    let n = s.chars().count();
    let left = (w.saturating_sub(n)) / 2;
    let right = w.saturating_sub(n + left);
    format!(
        "{}{s}{}",
        fill.to_string().repeat(left),
        fill.to_string().repeat(right)
    )
}
