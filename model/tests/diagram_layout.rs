//! The SVG diagrams are legible: no text overlaps other text and no arrow or
//! other line crosses a text, in every scenario (`synfin show NAME --format
//! svg`, under the default preset as the CLI draws it and the quick preset
//! as the snapshots do), every variant's counterexample (`synfin explain
//! NAME --format svg`) and random paths as the Explorer shows them.
//!
//! Each diagram is checked twice: on the layout the renderer computed
//! ([`layout::Scene::collisions`]), and on the SVG it emitted, parsed here
//! independently: every `<text>` becomes a box from its position, anchor,
//! font size and rotation with a conservative monospace advance, every
//! badge the box of its `<rect>`, every marker (`data-kind="icon"` group or
//! stray `<circle>`) the box around its shapes, and every `<line>` and
//! `<path>` its segments. The parser and the check fail on the SVG the
//! renderer drew before this layout (fixtures/old-svg-*.svg), where labels
//! sat on their arrows.

use std::collections::HashMap;

use synfin_model::diagram::svg::geom::{p, Quad, P};
use synfin_model::diagram::svg::{self, layout};
use synfin_model::diagram::{self, Format, Trace};
use synfin_model::properties::{self, Expectation};
use synfin_model::search;
use synfin_model::{Action, Config, Preset, Profile, Sys, TcpModel, Variant};

/// Advance per character, in em, that the check assumes: at least what
/// common monospace fonts use (0.60 em).
const CHAR: f64 = 0.62;
const ASCENT: f64 = 0.8;
const DESCENT: f64 = 0.25;

/// One start tag (or self-closing tag) of the SVG, with its text content
/// for `<text>`, and the `<g>` elements around it (a number for each, and
/// its attributes), innermost last. Whatever is inside `<defs>` is skipped.
#[derive(Debug)]
struct Tag {
    name: String,
    attrs: HashMap<String, String>,
    content: String,
    groups: Vec<(usize, HashMap<String, String>)>,
}

fn attrs(s: &str) -> HashMap<String, String> {
    let mut out = HashMap::new();
    let mut rest = s;
    while let Some(eq) = rest.find("=\"") {
        let key = rest[..eq]
            .trim()
            .rsplit(' ')
            .next()
            .unwrap_or("")
            .to_string();
        let after = &rest[eq + 2..];
        let end = after.find('"').expect("closing quote");
        out.insert(key, after[..end].to_string());
        rest = &after[end + 1..];
    }
    out
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

fn tags(svg: &str) -> Vec<Tag> {
    let mut out = Vec::new();
    let mut groups = Vec::new();
    let mut opened = 0;
    let mut defs = false;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        rest = &rest[open + 1..];
        let close = rest.find('>').expect("unclosed tag");
        let inner = &rest[..close];
        rest = &rest[close + 1..];
        if let Some(name) = inner.strip_prefix('/') {
            match name.trim() {
                "g" => {
                    groups.pop();
                }
                "defs" => defs = false,
                _ => {}
            }
            continue;
        }
        let self_closing = inner.ends_with('/');
        let inner = inner.trim_end_matches('/');
        let name = inner.split_whitespace().next().unwrap_or("").to_string();
        let a = attrs(&inner[name.len()..]);
        match name.as_str() {
            "defs" => {
                defs = !self_closing;
                continue;
            }
            _ if defs => continue,
            "g" => {
                opened += 1;
                if !self_closing {
                    groups.push((opened, a));
                }
                continue;
            }
            _ => {}
        }
        let content = if name == "text" {
            let end = rest.find("</text>").expect("</text>");
            unescape(&rest[..end])
        } else {
            String::new()
        };
        out.push(Tag {
            name,
            attrs: a,
            content,
            groups: groups.clone(),
        });
    }
    out
}

fn num(a: &HashMap<String, String>, key: &str) -> f64 {
    a.get(key)
        .unwrap_or_else(|| panic!("no {key} in {a:?}"))
        .parse()
        .unwrap_or_else(|_| panic!("{key} is not a number in {a:?}"))
}

/// `rotate(a x y)` from a transform attribute: angle and centre.
fn rotation(a: &HashMap<String, String>) -> Option<(f64, P)> {
    let t = a.get("transform")?;
    let inner = t.strip_prefix("rotate(")?.strip_suffix(')')?;
    let v: Vec<f64> = inner
        .split([' ', ','])
        .filter(|s| !s.is_empty())
        .map(|s| s.parse().expect("rotate argument"))
        .collect();
    Some((v[0], p(v[1], v[2])))
}

/// A value from a CSS `style` attribute, e.g. `font-size: 16px`.
fn style<'a>(a: &'a HashMap<String, String>, key: &str) -> Option<&'a str> {
    a.get("style")?
        .split(';')
        .filter_map(|d| d.split_once(':'))
        .filter(|(k, _)| k.trim() == key)
        .map(|(_, v)| v.trim())
        .next_back()
}

fn font_size(t: &Tag, root: f64) -> f64 {
    let px = |s: &str| s.trim_end_matches("px").parse::<f64>().ok();
    if let Some(v) = style(&t.attrs, "font-size").and_then(px) {
        return v;
    }
    if let Some(v) = style(&t.attrs, "font").and_then(|f| f.split_whitespace().find_map(px)) {
        return v;
    }
    if let Some(v) = t.attrs.get("font-size").and_then(|s| px(s)) {
        return v;
    }
    root
}

/// Turn `q` by `rot` (angle, centre), as SVG's `rotate(a x y)`.
fn turn(q: Quad, rot: Option<(f64, P)>) -> Quad {
    let Some((deg, c)) = rot else { return q };
    let u = P::at(deg);
    let w = u.perp();
    Quad(q.0.map(|v| {
        let d = v - c;
        c + u * d.x + w * d.y
    }))
}

/// Boxes (with a name and whether they are text) and strokes of an SVG.
struct Parsed {
    boxes: Vec<(Quad, String, bool)>,
    strokes: Vec<(P, P)>,
}

/// An upright box: x0, y0, x1, y1.
type Bounds = (f64, f64, f64, f64);

fn parse(svg: &str) -> Parsed {
    let all = tags(svg);
    let root = all
        .iter()
        .find(|t| t.name == "svg")
        .and_then(|t| t.attrs.get("font-size"))
        .and_then(|s| s.parse().ok())
        .unwrap_or(12.0);
    let mut boxes = Vec::new();
    let mut strokes = Vec::new();
    // Markers: the box around the shapes of each icon group (by group
    // number), or of a stray circle.
    let mut icons: Vec<(Option<usize>, Bounds)> = Vec::new();
    for t in &all {
        let group = t
            .groups
            .iter()
            .rev()
            .find(|(_, g)| g.contains_key("data-kind"));
        let kind = group.map(|(_, g)| g["data-kind"].as_str());
        let rot =
            rotation(&t.attrs).or_else(|| t.groups.iter().rev().find_map(|(_, g)| rotation(g)));
        match (t.name.as_str(), kind) {
            ("svg", _) | ("text", Some("badge")) | ("rect", None | Some("band")) => {}
            ("rect", Some("badge")) => {
                let (x, y) = (num(&t.attrs, "x"), num(&t.attrs, "y"));
                let (w, h) = (num(&t.attrs, "width"), num(&t.attrs, "height"));
                let word = all
                    .iter()
                    .find(|u| u.name == "text" && u.groups == t.groups)
                    .map_or("", |u| u.content.as_str());
                boxes.push((
                    turn(Quad::rect(x, y, x + w, y + h), rot),
                    format!("badge {word:?}"),
                    true,
                ));
            }
            ("text", _) => {
                let size = font_size(t, root);
                let w = t.content.chars().count() as f64 * CHAR * size;
                let anchor = t
                    .attrs
                    .get("text-anchor")
                    .map(String::as_str)
                    .or_else(|| style(&t.attrs, "text-anchor"))
                    .unwrap_or("start");
                let (x, y) = (num(&t.attrs, "x"), num(&t.attrs, "y"));
                let x0 = match anchor {
                    "middle" => x - w / 2.0,
                    "end" => x - w,
                    _ => x,
                };
                let q = Quad::rect(x0, y - ASCENT * size, x0 + w, y + DESCENT * size);
                boxes.push((turn(q, rot), format!("text {:?}", t.content), true));
            }
            ("line" | "circle" | "path", Some("icon")) | ("circle", None) => {
                let (x0, y0, x1, y1) = match t.name.as_str() {
                    "line" => {
                        let (a, b) = (
                            p(num(&t.attrs, "x1"), num(&t.attrs, "y1")),
                            p(num(&t.attrs, "x2"), num(&t.attrs, "y2")),
                        );
                        (a.x.min(b.x), a.y.min(b.y), a.x.max(b.x), a.y.max(b.y))
                    }
                    "circle" => {
                        let (cx, cy) = (num(&t.attrs, "cx"), num(&t.attrs, "cy"));
                        let r = num(&t.attrs, "r");
                        (cx - r, cy - r, cx + r, cy + r)
                    }
                    _ => panic!("a marker drawn with a path: {t:?}"),
                };
                let id = group.map(|(n, _)| *n);
                match icons.iter_mut().find(|(g, _)| id.is_some() && *g == id) {
                    Some((_, b)) => *b = (b.0.min(x0), b.1.min(y0), b.2.max(x1), b.3.max(y1)),
                    None => icons.push((id, (x0, y0, x1, y1))),
                }
            }
            ("line", None) => strokes.push((
                p(num(&t.attrs, "x1"), num(&t.attrs, "y1")),
                p(num(&t.attrs, "x2"), num(&t.attrs, "y2")),
            )),
            ("path", None) => {
                let d = t.attrs.get("d").expect("path d");
                let v: Vec<f64> = d
                    .split(|c: char| c.is_ascii_alphabetic() || c == ',' || c.is_whitespace())
                    .filter(|s| !s.is_empty())
                    .map(|s| s.parse().expect("path number"))
                    .collect();
                let pts: Vec<P> = v.chunks(2).map(|c| p(c[0], c[1])).collect();
                for w in pts.windows(2) {
                    strokes.push((w[0], w[1]));
                }
                if d.trim_end().ends_with(['z', 'Z']) && pts.len() > 2 {
                    strokes.push((pts[pts.len() - 1], pts[0]));
                }
            }
            (other, kind) => panic!("unexpected <{other}> (in {kind:?}) in the diagram"),
        }
    }
    for (_, (x0, y0, x1, y1)) in icons {
        boxes.push((Quad::rect(x0, y0, x1, y1), "marker".to_string(), false));
    }
    Parsed { boxes, strokes }
}

/// What a reader would trip over in `svg`: overlapping texts, and lines
/// through text.
fn problems(svg: &str) -> Vec<String> {
    let Parsed { boxes, strokes } = parse(svg);
    let mut out = Vec::new();
    for (i, (q, name, text)) in boxes.iter().enumerate() {
        for (r, other, other_text) in &boxes[i + 1..] {
            if (*text || *other_text) && q.overlaps(r) {
                out.push(format!("{name} overlaps {other}"));
            }
        }
        if *text {
            for &(a, b) in &strokes {
                if q.crosses(a, b) {
                    out.push(format!("{name} is crossed by the line {a:?}-{b:?}"));
                }
            }
        }
    }
    out
}

/// Check one diagram both ways, and that the CLI's rendering is the same.
fn legible(what: &str, path: &[(Sys, Option<Action>)], violation: Option<(usize, &'static str)>) {
    let mut trace = Trace::new(path);
    trace.violation = violation;
    let scene = layout::layout(&trace);
    let inside = scene.collisions();
    assert!(
        inside.is_empty(),
        "{what}: the layout collides:\n{}",
        inside.join("\n")
    );
    let out = svg::write(&scene);
    assert_eq!(
        out,
        diagram::render_marked(path, Format::Svg, violation),
        "{what}: the CLI draws something else"
    );
    let found = problems(&out);
    assert!(
        found.is_empty(),
        "{what}: the SVG is not legible:\n{}",
        found.join("\n")
    );
    // Every segment of the trace is labelled: its number is on the figure.
    let texts: Vec<String> = tags(&out)
        .into_iter()
        .filter(|t| t.name == "text")
        .map(|t| t.content)
        .collect();
    for row in &trace.rows {
        for t in &row.emitted {
            let id = format!("[{}]", t.id);
            assert!(
                texts.iter().any(|s| s.starts_with(&id)),
                "{what}: segment {id} has no label"
            );
        }
    }
    if let Some((step, name)) = violation {
        assert!(
            texts.iter().any(|s| s == name) && out.contains(r#"data-kind="band""#),
            "{what}: the violation at step {step} is not marked"
        );
    }
}

/// The scenarios checked in `cfg`'s world.
fn scenarios(cfg: &Config) -> Vec<&'static str> {
    properties::checked(cfg)
        .filter(|p| p.expectation == Expectation::Sometimes)
        .map(|p| p.name)
        .collect()
}

#[test]
fn scenarios_as_the_cli_draws_them() {
    let mut cfg = Config::new(Preset::Default, Profile::Rfc9293, None);
    let names = scenarios(&cfg);
    let found = search::examples(&cfg, &names);
    for name in names {
        let path = found
            .get(name)
            .unwrap_or_else(|| panic!("{name} unreachable"));
        legible(&format!("show {name}"), path, None);
    }
    // The one that needs MAY-2, with it on, as the book draws it.
    cfg.time_wait_reopen = true;
    let name = "time-wait-reopen";
    let path = search::examples(&cfg, &[name]).remove(name).unwrap();
    legible(&format!("show {name} --time-wait-reopen"), &path, None);
}

#[test]
fn scenarios_as_the_snapshots_draw_them() {
    let cfg = Config::new(Preset::Quick, Profile::Rfc9293, None);
    let names = scenarios(&cfg);
    let found = search::shortest(&cfg, &names);
    for name in names {
        let path = found
            .get(name)
            .unwrap_or_else(|| panic!("{name} unreachable"));
        legible(&format!("show {name} --preset quick"), path, None);
    }
}

// Each variant in its own world, as `synfin explain` draws it by default:
// time-wait-one-msl needs old duplicates, and searched for in `default`,
// which has none, its counterexample takes a minute instead of seconds.
// short-time-wait's ~2M-state search runs in `cargo test` too: the model
// crate is built with opt-level 3 in dev builds.
#[test]
fn variants_as_explain_draws_them() {
    for v in Variant::ALL.iter().copied() {
        let cfg = Config::new(v.preset(), Profile::Rfc9293, Some(v));
        let prop = v.breaks();
        let path = search::shortest(&cfg, &[prop])
            .remove(prop)
            .unwrap_or_else(|| panic!("{v}: no counterexample"));
        legible(&format!("explain {v}"), &path, Some((path.len() - 1, prop)));
    }
}

#[test]
fn explain_marks_the_violation() {
    let v = Variant::TwoWayHandshake;
    let cfg = Config::new(Preset::Default, Profile::Rfc9293, Some(v));
    let path = search::shortest(&cfg, &[v.breaks()])
        .remove(v.breaks())
        .expect("counterexample");
    let out = diagram::explain(
        v,
        Profile::Rfc9293,
        &path,
        "shortest counterexample",
        Format::Svg,
    );
    assert!(out.contains(">no-phantom-connection</text>"), "{out}");
    assert!(out.contains(">violated here</text>"));
    assert!(problems(&out).is_empty());
}

#[test]
fn the_explorer_marks_the_first_broken_step() {
    let cfg = Config::new(
        Preset::Default,
        Profile::Rfc9293,
        Some(Variant::TwoWayHandshake),
    );
    let prop = Variant::TwoWayHandshake.breaks();
    let path = search::shortest(&cfg, &[prop])
        .remove(prop)
        .expect("counterexample");
    let model = TcpModel::new(cfg);
    let out = svg::explorer(model.only.as_deref(), &path);
    assert_eq!(
        out,
        diagram::render_marked(&path, Format::Svg, Some((path.len() - 1, prop)))
    );
    // A prefix that breaks nothing has no band.
    let out = svg::explorer(model.only.as_deref(), &path[..path.len() - 1]);
    assert!(!out.contains(r#"data-kind="band""#));
}

/// Random walks through the model, as a user clicks through the Explorer:
/// losses, duplicates, delays, timers, crashes and all, up to 60 steps.
/// Every other walk favours the network's faults and the clock, so that
/// every kind of segment the legend knows appears somewhere.
#[test]
fn random_paths_as_the_explorer_shows_them() {
    let mut seen: Vec<&str> = Vec::new();
    let mut seed: u64 = 0x5eed_f1a5;
    let mut next = move |n: usize| {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((seed >> 33) as usize) % n
    };
    // Only short-time-wait's world lets the network hold a segment past a
    // tick, and only a held segment can die of age.
    for (preset, variant) in [
        (Preset::Quick, None),
        (Preset::Default, None),
        (Preset::Deep, None),
        (Preset::Default, Some(Variant::ShortTimeWait)),
    ] {
        let cfg = Config::new(preset, Profile::Rfc9293, variant);
        let model = TcpModel::new(cfg.clone());
        for walk in 0..150 {
            let mut state = Sys::initial(&cfg);
            let mut path: Vec<(Sys, Option<Action>)> = Vec::new();
            let mut actions = Vec::new();
            for _ in 0..(10 + next(51)) {
                actions.clear();
                state.actions(&cfg, &mut actions);
                if actions.is_empty() {
                    break;
                }
                let faults: Vec<Action> = actions
                    .iter()
                    .copied()
                    .filter(|a| matches!(a, Action::Tick | Action::Delay(_) | Action::Duplicate(_)))
                    .collect();
                let a = if walk % 2 == 1 && !faults.is_empty() && next(3) > 0 {
                    faults[next(faults.len())]
                } else {
                    actions[next(actions.len())]
                };
                let mut s = state.clone();
                s.step(&cfg, a);
                path.push((state, Some(a)));
                state = s;
            }
            path.push((state, None));
            let out = svg::explorer(model.only.as_deref(), &path);
            let found = problems(&out);
            assert!(
                found.is_empty(),
                "{preset} {variant:?} walk {walk} ({} steps): the SVG is not legible:\n{}\n{}",
                path.len() - 1,
                found.join("\n"),
                diagram::render(&path, Format::Text)
            );
            for badge in ["lost", "dup", "late", "old", "died of age", "in flight"] {
                if !seen.contains(&badge) && out.contains(&format!(">{badge}</text>")) {
                    seen.push(badge);
                }
            }
        }
    }
    assert_eq!(seen.len(), 6, "the walks drew only {seen:?}");
}

#[test]
fn the_check_finds_overlaps_and_crossings() {
    // Two texts on top of each other, and a line through a third.
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" width="200" height="100" font-size="12">
<text x="10" y="20">[1] SYN seq=0</text>
<text x="40" y="24">[2] ACK</text>
<text x="10" y="60" transform="rotate(10 10 60)">[3] FIN</text>
<line x1="0" y1="70" x2="200" y2="62"/>
</svg>"#;
    let found = problems(svg);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("[1] SYN") && found[0].contains("[2] ACK"));
    assert!(found[1].contains("[3] FIN") && found[1].contains("crossed"));
    // Apart, they are fine.
    let svg = svg
        .replace(r#"y="24""#, r#"y="40""#)
        .replace(r#"y1="70""#, r#"y1="90""#)
        .replace(r#"y2="62""#, r#"y2="90""#);
    assert_eq!(problems(&svg), Vec::<String>::new());
}

#[test]
fn the_check_fails_on_the_old_renderer() {
    // What svg.rs drew before it had a layout: labels centred on their
    // arrows' rows, so every arrow ran through its own label.
    for (name, svg) in [
        (
            "three-way-handshake",
            include_str!("fixtures/old-svg-three-way-handshake.svg"),
        ),
        (
            "no-time-wait",
            include_str!("fixtures/old-svg-no-time-wait.svg"),
        ),
    ] {
        let found = problems(svg);
        assert!(
            found
                .iter()
                .any(|f| f.contains("[2] SYN,ACK") && f.contains("crossed")),
            "{name}: {found:#?}"
        );
    }
}

#[test]
fn the_layout_check_finds_overlaps() {
    let mut trace = Trace::new(
        &search::shortest(
            &Config::new(Preset::Quick, Profile::Rfc9293, None),
            &["three-way-handshake"],
        )
        .remove("three-way-handshake")
        .expect("path"),
    );
    trace.violation = None;
    let mut scene = layout::layout(&trace);
    assert!(scene.collisions().is_empty());
    // Move a label onto its arrow.
    let arrow = scene
        .lines
        .iter()
        .find(|l| l.colour == layout::colour::SEGMENT)
        .unwrap()
        .clone();
    let label = scene
        .texts
        .iter_mut()
        .find(|t| t.s.starts_with("[1]"))
        .unwrap();
    label.at = arrow.a + (arrow.b - arrow.a) * 0.3;
    assert!(!scene.collisions().is_empty());
    assert!(!problems(&svg::write(&scene)).is_empty());
}
