//! The legend under the figure: for each kind of unusual segment the trace
//! has (lost, dup, late, old, died of age, in flight), a short sample arrow
//! drawn as the figure draws that kind, its badge, and what it means.

use super::arrow::{Arrow, End};
use super::colour;
use super::geom::{p, P};
use super::scene::{
    badge_width, width, Anchor, Badge, Head, Icon, Line, Mark, Scene, Text, FONT, HEAD, MARGIN,
};

/// Draw the legend of `copies` from `y` down, in rows no wider than the
/// scene; returns the y below it, `y` itself when nothing needs explaining.
/// The layout's last step: it goes under the lifelines, clear of
/// everything else.
pub(super) fn draw(scene: &mut Scene, copies: &[Arrow], mut y: f64) -> f64 {
    let entries = entries(copies);
    if entries.is_empty() {
        return y;
    }
    let mut x = MARGIN;
    for (kind, badge, what) in entries {
        let w = 36.0 + badge_width(badge) + 6.0 + width(what, FONT);
        if x + w > scene.width - MARGIN && x > MARGIN {
            x = MARGIN;
            y += 24.0;
        }
        sample(scene, kind, p(x, y));
        let at = p(x + 36.0, y + 4.0);
        scene.badges.push(Badge {
            at,
            turn: 0.0,
            word: badge,
            fill: kind_colour(kind),
        });
        scene.texts.push(Text::new(
            at + p(badge_width(badge) + 6.0, 0.0),
            Anchor::Start,
            what,
            colour::STATE,
        ));
        x += w + 28.0;
    }
    y + 20.0
}

/// The legend's entries: which kind of arrow, its badge, and what it means.
fn entries(copies: &[Arrow]) -> Vec<(&'static str, &'static str, &'static str)> {
    let mut out = Vec::new();
    let any = |f: &dyn Fn(&Arrow) -> bool| copies.iter().any(f);
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

/// The colour of `kind`'s arrow and badge.
fn kind_colour(kind: &str) -> &'static str {
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
    let colour = kind_colour(kind);
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
