//! The SVG diagram, also shown by the Explorer ([`crate::TcpModel`]'s
//! `as_svg`): the same rows as the text diagram, with each segment a
//! slanted arrow from the step that emitted it to the step that delivered,
//! lost or outlived it. Styles are inline, so the file stands alone.

use std::fmt::Write;

use super::{label, marks, Event, Trace, Tracked};

const ROW: usize = 30;
const TOP: usize = 50;
const XA: usize = 170;
const XB: usize = 530;
const WIDTH: usize = 700;

fn y(step: usize) -> usize {
    TOP + step * ROW
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn x(host: u8) -> usize {
    if host == 0 {
        XA
    } else {
        XB
    }
}

fn text(out: &mut String, x: usize, y: usize, anchor: &str, style: &str, s: &str) {
    let _ = writeln!(
        out,
        r#"<text x="{x}" y="{y}" text-anchor="{anchor}" style="font: 12px monospace; paint-order: stroke; stroke: white; stroke-width: 3px; {style}">{}</text>"#,
        esc(s)
    );
}

fn seg_line(out: &mut String, t: &Tracked, to_step: usize, frac: f64, colour: &str, dash: bool) {
    let (x1, y1) = (x(t.seg.from), y(t.sent) as f64);
    let x2f = x1 as f64 + (x(1 - t.seg.from) as f64 - x1 as f64) * frac;
    let y2 = y(to_step) as f64;
    let y1 = if t.sent == 0 { y2 - ROW as f64 } else { y1 };
    let dash = if dash {
        r#" stroke-dasharray="4 3""#
    } else {
        ""
    };
    let marker = if frac >= 1.0 {
        r#" marker-end="url(#head)""#
    } else {
        ""
    };
    let _ = writeln!(
        out,
        r#"<line x1="{x1}" y1="{y1}" x2="{x2f:.0}" y2="{y2:.0}" stroke="{colour}" stroke-width="1.5"{dash}{marker}/>"#
    );
}

/// Render the trace as a standalone SVG document.
pub fn render(trace: &Trace) -> String {
    let rows = trace.rows.len();
    let height = y(rows) + ROW;
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}">"#
    );
    out += r##"<defs><marker id="head" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#333"/></marker></defs>
"##;
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    text(&mut out, XA, 20, "middle", "font-weight: bold", "A");
    text(&mut out, XB, 20, "middle", "font-weight: bold", "B");
    for xl in [XA, XB] {
        let _ = writeln!(
            out,
            r##"<line x1="{xl}" y1="28" x2="{xl}" y2="{}" stroke="#888" stroke-width="2"/>"##,
            height - 10
        );
    }
    for row in &trace.rows {
        let yr = y(row.step);
        text(
            &mut out,
            12,
            yr + 4,
            "start",
            "fill: #999",
            &row.step.to_string(),
        );
        if let Some(st) = row.states[0] {
            text(
                &mut out,
                XA - 8,
                yr + 4,
                "end",
                "font-weight: bold; fill: #024",
                st.name(),
            );
        }
        if let Some(st) = row.states[1] {
            text(
                &mut out,
                XB + 8,
                yr + 4,
                "start",
                "font-weight: bold; fill: #024",
                st.name(),
            );
        }
        match &row.event {
            Event::Start => {}
            Event::Local { host, what } => {
                let xh = x(*host as u8);
                let _ = writeln!(out, r##"<circle cx="{xh}" cy="{yr}" r="4" fill="#36c"/>"##);
                let (xt, anchor) = if *host == 0 {
                    (xh + 10, "start")
                } else {
                    (xh - 10, "end")
                };
                text(&mut out, xt, yr - 4, anchor, "fill: #36c", what);
            }
            Event::Deliver { seg, dup, old } => {
                let odd = *dup || seg.seg.late || *old;
                let colour = if odd { "#c60" } else { "#333" };
                seg_line(&mut out, seg, row.step, 1.0, colour, false);
                let xm = (XA + XB) / 2;
                let s = format!("{}{}", label(seg), marks(seg, *dup, *old));
                text(
                    &mut out,
                    xm,
                    yr - 4,
                    "middle",
                    &format!("fill: {colour}"),
                    &s,
                );
            }
            Event::Lose(seg) => {
                seg_line(&mut out, seg, row.step, 0.6, "#c00", false);
                let xl = x(seg.seg.from) as f64
                    + (x(1 - seg.seg.from) as f64 - x(seg.seg.from) as f64) * 0.6;
                text(
                    &mut out,
                    xl as usize,
                    yr + 5,
                    "middle",
                    "fill: #c00; font-size: 16px",
                    "×",
                );
                text(
                    &mut out,
                    (XA + XB) / 2,
                    yr - 6,
                    "middle",
                    "fill: #c00",
                    &format!("{} lost", label(seg)),
                );
            }
            Event::Delay(seg) => {
                text(
                    &mut out,
                    (XA + XB) / 2,
                    yr + 4,
                    "middle",
                    "fill: #c60",
                    &format!("{} held back (late)", label(seg)),
                );
            }
            Event::Tick => {
                let _ = writeln!(
                    out,
                    r##"<line x1="{}" y1="{yr}" x2="{}" y2="{yr}" stroke="#aaa" stroke-dasharray="2 4"/>"##,
                    XA - 60,
                    XB + 60
                );
                text(&mut out, XB + 70, yr + 4, "start", "fill: #999", "tick");
            }
        }
        for t in &row.expired {
            seg_line(&mut out, t, row.step, 0.5, "#999", true);
            text(
                &mut out,
                (XA + XB) / 2,
                yr + 14,
                "middle",
                "fill: #999",
                &format!("{} dies at MSL", label(t)),
            );
        }
    }
    // Segments still in flight at the end: a dashed stub.
    if let Some(last) = trace.rows.last() {
        for t in &last.flight {
            seg_line(&mut out, t, last.step + 1, 0.3, "#999", true);
        }
    }
    out += "</svg>\n";
    out
}
