//! The SVG diagram, also shown by the Explorer ([`crate::TcpModel`]'s
//! `as_svg`), drawn the way TCP textbooks draw a connection: A's and B's
//! lifelines, each segment a slanted arrow from the step that emitted it to
//! the step that delivered, lost or outlived it, with its label beside it,
//! and each host's state beside its lifeline.
//!
//! [`layout`] places everything so that no text crosses an arrow or other
//! text; this module only writes the placed scene out. Lost segments end in
//! a red ×, duplicates carry a `dup` badge, segments held past a tick are
//! dashed orange with a clock where they were held, segments of an earlier
//! incarnation are grey with an `old` badge, and segments still in flight at
//! the end stop short with an open arrowhead and an `in flight` badge; a
//! legend explains whichever of these appear. With [`Trace::violation`] set,
//! a red band marks the step where the property breaks and names it.
//!
//! Everything is in presentation attributes (no `<style>`, no ids), so the
//! file stands alone and can be put inline in a page, as the Explorer does.
//!
//! The submodules, bottom to top, each using only those before it:
//! [`geom`] (points and turned boxes), [`colour`] (the palette), [`scene`]
//! (what is drawn, and the check that nothing collides), `arrow` (the
//! segment copies drawn as arrows), `spot` (a clear spot for a label),
//! `legend`, and [`layout`] (where everything goes).

// Plane geometry and the palette.
pub mod colour;
pub mod geom;
// What is drawn.
pub mod scene;
// The arrows, a spot for a label, the legend.
mod arrow;
mod legend;
mod spot;
// Where everything goes.
pub mod layout;

use std::fmt::Write;

use self::geom::P;
use self::scene::{Anchor, Mark, Scene};
use super::Trace;
use crate::properties::{Expectation, ALL};
use crate::system::{Action, Sys};

/// The font the layout measures for: monospace, [`scene::CHAR`] em wide.
pub const FONT_FAMILY: &str = "DejaVu Sans Mono, Menlo, Consolas, Liberation Mono, monospace";

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn turn(deg: f64, at: P) -> String {
    if deg.abs() < 0.05 {
        String::new()
    } else {
        format!(
            r#" transform="rotate({} {} {})""#,
            num(deg),
            num(at.x),
            num(at.y)
        )
    }
}

/// Render the trace as a standalone SVG document.
pub fn render(trace: &Trace) -> String {
    write(&layout::layout(trace))
}

/// The Explorer's diagram of `path`: [`render`] with the first step whose
/// state violates a safety property marked (one of `only`, when given: the
/// model's restriction to some properties).
pub fn explorer(only: Option<&[&str]>, path: &[(Sys, Option<Action>)]) -> String {
    let mut trace = Trace::new(path);
    trace.violation = path.iter().enumerate().find_map(|(i, (s, _))| {
        ALL.iter()
            .find(|p| {
                p.expectation == Expectation::Always
                    && only.is_none_or(|o| o.contains(&p.name))
                    && !(p.holds)(s)
            })
            .map(|p| (i, p.name))
    });
    render(&trace)
}

/// Write a placed scene as SVG.
pub fn write(scene: &Scene) -> String {
    let (w, h) = (scene.width.ceil(), scene.height.ceil());
    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" style="max-width: 100%; height: auto" font-family="{FONT_FAMILY}" font-size="12">"#
    );
    let _ = writeln!(
        out,
        r#"<rect x="0" y="0" width="{w}" height="{h}" fill="white"/>"#
    );
    if let Some((y0, y1)) = scene.band {
        let _ = writeln!(
            out,
            r#"<rect data-kind="band" x="0" y="{}" width="{w}" height="{}" fill="{}"/>"#,
            num(y0),
            num(y1 - y0),
            colour::BAND
        );
        let _ = writeln!(
            out,
            r#"<rect data-kind="band" x="0" y="{}" width="4" height="{}" fill="{}"/>"#,
            num(y0),
            num(y1 - y0),
            colour::LOST
        );
    }
    for l in &scene.lines {
        let dash = l
            .dash
            .map(|d| format!(r#" stroke-dasharray="{d}""#))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="{}"{dash}/>"#,
            num(l.a.x),
            num(l.a.y),
            num(l.b.x),
            num(l.b.y),
            l.colour,
            num(l.width)
        );
    }
    for hd in &scene.heads {
        let [t, l, r] = hd.points();
        let d = format!(
            "M {} {} L {} {} L {} {}",
            num(l.x),
            num(l.y),
            num(t.x),
            num(t.y),
            num(r.x),
            num(r.y)
        );
        if hd.open {
            let _ = writeln!(
                out,
                r#"<path d="{d}" fill="none" stroke="{}" stroke-width="1.6"/>"#,
                hd.colour
            );
        } else {
            let _ = writeln!(out, r#"<path d="{d} Z" fill="{}"/>"#, hd.colour);
        }
    }
    for i in &scene.icons {
        let (x, y, c) = (i.at.x, i.at.y, i.colour);
        out += r#"<g data-kind="icon">"#;
        match i.mark {
            Mark::Dot => {
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="4" fill="{c}"/>"#,
                    num(x),
                    num(y)
                );
            }
            Mark::Cross => {
                for (dx, dy) in [(5.0, 5.0), (5.0, -5.0)] {
                    let _ = write!(
                        out,
                        r#"<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{c}" stroke-width="2.5"/>"#,
                        num(x - dx),
                        num(y - dy),
                        num(x + dx),
                        num(y + dy)
                    );
                }
            }
            Mark::Dead => {
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="4.5" fill="white" stroke="{c}" stroke-width="1.5"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{c}" stroke-width="1.5"/>"#,
                    num(x),
                    num(y),
                    num(x - 3.2),
                    num(y + 3.2),
                    num(x + 3.2),
                    num(y - 3.2)
                );
            }
            Mark::Clock => {
                let _ = write!(
                    out,
                    r#"<circle cx="{}" cy="{}" r="5.5" fill="white" stroke="{c}" stroke-width="1.5"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{c}" stroke-width="1.3"/><line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{c}" stroke-width="1.3"/>"#,
                    num(x),
                    num(y),
                    num(x),
                    num(y),
                    num(x),
                    num(y - 3.8),
                    num(x),
                    num(y),
                    num(x + 2.8),
                    num(y)
                );
            }
        }
        out += "</g>\n";
    }
    for b in &scene.badges {
        let _ = writeln!(
            out,
            r#"<g data-kind="badge"{}><rect x="{}" y="{}" width="{}" height="13" rx="3" fill="{}"/><text x="{}" y="{}" font-size="10" fill="white">{}</text></g>"#,
            turn(b.turn, b.at),
            num(b.at.x),
            num(b.at.y - 10.0),
            num(b.width()),
            b.fill,
            num(b.at.x + 4.0),
            num(b.at.y - 0.5),
            esc(b.word)
        );
    }
    for t in &scene.texts {
        let anchor = match t.anchor {
            Anchor::Start => "",
            Anchor::Middle => r#" text-anchor="middle""#,
            Anchor::End => r#" text-anchor="end""#,
        };
        let size = if t.size == scene::FONT {
            String::new()
        } else {
            format!(r#" font-size="{}""#, num(t.size))
        };
        let weight = if t.bold { r#" font-weight="bold""# } else { "" };
        let style = if t.italic {
            r#" font-style="italic""#
        } else {
            ""
        };
        let _ = writeln!(
            out,
            r#"<text x="{}" y="{}"{anchor}{size}{weight}{style} fill="{}"{}>{}</text>"#,
            num(t.at.x),
            num(t.at.y),
            t.fill,
            turn(t.turn, t.at),
            esc(&t.s)
        );
    }
    out += "</svg>\n";
    out
}
