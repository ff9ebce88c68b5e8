//! A Mermaid `sequenceDiagram`, which GitHub renders in issues, pull
//! requests and READMEs. Mermaid cannot draw slanted arrows, so a segment
//! is drawn where it arrives; where it left is a note on its sender.

use super::{label, marks, Event, Trace};

fn who(h: usize) -> &'static str {
    if h == 0 {
        "A"
    } else {
        "B"
    }
}

/// Mermaid treats `;` and `#` specially in messages: keep labels plain.
fn plain(s: &str) -> String {
    s.replace(';', ",").replace('#', "")
}

/// Render the trace as a Mermaid sequence diagram (without the ``` fence).
pub fn render(trace: &Trace) -> String {
    let mut out = String::from("sequenceDiagram\n    participant A\n    participant B\n");
    for row in &trace.rows {
        let step = row.step;
        match &row.event {
            Event::Start => {}
            Event::Local { host, what } => {
                let side = if *host == 0 { "left of" } else { "right of" };
                out += &format!("    Note {side} {}: {step}. {}\n", who(*host), plain(what));
            }
            Event::Deliver { seg, dup, old } => {
                let (f, t) = (seg.seg.from as usize, 1 - seg.seg.from as usize);
                out += &format!(
                    "    {}->>{}: {step}. {}{}\n",
                    who(f),
                    who(t),
                    plain(&label(seg)),
                    marks(seg, *dup, *old)
                );
            }
            Event::Lose(seg) => {
                let (f, t) = (seg.seg.from as usize, 1 - seg.seg.from as usize);
                out += &format!(
                    "    {}-x{}: {step}. {} lost\n",
                    who(f),
                    who(t),
                    plain(&label(seg))
                );
            }
            Event::Delay(seg) => {
                out += &format!(
                    "    Note over A,B: {step}. {} held back (late)\n",
                    plain(&label(seg))
                );
            }
            Event::Tick => out += &format!("    Note over A,B: {step}. tick\n"),
        }
        for (h, st) in row.states.iter().enumerate() {
            if let Some(st) = st {
                out += &format!("    Note over {}: {}\n", who(h), st.name());
            }
        }
        for t in &row.expired {
            out += &format!("    Note over A,B: {} dies at MSL\n", plain(&label(t)));
        }
        for t in &row.emitted {
            out += &format!(
                "    Note {} {}: sends {}\n",
                if t.seg.from == 0 {
                    "left of"
                } else {
                    "right of"
                },
                who(t.seg.from as usize),
                plain(&label(t))
            );
        }
    }
    out
}
