//! The gate as JUnit XML: one `<testcase>` per replay (trace and role).
//!
//! - `classname`: `<target>.<profile>.<scenario|transition>`, e.g.
//!   `impl.rfc9293.scenario`: grouped by target, then by what the trace is
//!   about (the target's name with every character but letters, digits,
//!   `-`, `_` and `:` made `-`, so `exec:./x` reads `exec:-x`);
//! - `name`: the scenario or transition, the RFC 9293 requirement it
//!   exercises, and which trace (its directory, and its file for a
//!   transition: traces are named by their content, so one file can sit in
//!   two directories) in which role: `three-way-handshake — RFC 9293 §3.5
//!   Figure 6 [scenarios-rfc9293, playing A and B]`, or `SYN-SENT arrive
//!   ACK,RST -> CLOSED — RFC 9293 §3.10.7.3 (SEGMENT ARRIVES in SYN-SENT)
//!   [cover-default-rfc9293/3f61f5762db0b828, playing A and B]`;
//! - `file`: the trace's path.
//!
//! A divergence is a `<failure>` whose body has the step, expected against
//! observed field by field, and the diagram; a named deviation, absorbed
//! differences and an expected divergence pass with a `<system-out>` note;
//! a replay that ended early is `<skipped message="reason">`. Stale
//! expectations are failing testcases of a second suite,
//! `<target>.expectations`.

use std::io;
use std::path::Path;

use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
use quick_xml::Writer;

use super::{Gate, Judgement, Kind};
use crate::replay::Outcome;

/// The gate's replays as a JUnit XML document.
pub fn junit(gate: &Gate) -> String {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    write(gate, &mut w).expect("writing to memory does not fail");
    let mut s = String::from_utf8(w.into_inner()).expect("the writer writes UTF-8");
    s.push('\n');
    s
}

fn write(gate: &Gate, w: &mut Writer<Vec<u8>>) -> io::Result<()> {
    let label = label(&gate.target);
    let c = gate.counts();
    let (failures, skipped) = (c[3], c[4]);
    let tests = gate.judged.len() + gate.stale.len();
    let seconds = format!("{:.3}", gate.summary.seconds);
    w.write_event(Event::Decl(quick_xml::events::BytesDecl::new(
        "1.0",
        Some("UTF-8"),
        None,
    )))?;
    w.write_event(Event::Start(BytesStart::new("testsuites").with_attributes(
        [
            ("name", "synfin-conform"),
            ("tests", tests.to_string().as_str()),
            (
                "failures",
                (failures + gate.stale.len()).to_string().as_str(),
            ),
            ("errors", "0"),
            ("skipped", skipped.to_string().as_str()),
            ("time", seconds.as_str()),
        ],
    )))?;
    let suite_name = format!("synfin-conform replay --target {}", clean(&gate.target));
    w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes(
        [
            ("name", suite_name.as_str()),
            ("tests", gate.judged.len().to_string().as_str()),
            ("failures", failures.to_string().as_str()),
            ("errors", "0"),
            ("skipped", skipped.to_string().as_str()),
            ("time", seconds.as_str()),
        ],
    )))?;
    for (o, s, j) in gate.replays() {
        let class = format!("{label}.{}.{}", o.profile, s.kind.name());
        let which = match s.kind {
            Kind::Scenario => format!("{}, playing {}", dir(o), o.role),
            Kind::Transition => format!("{}/{}, playing {}", dir(o), stem(o), o.role),
        };
        let name = format!("{} — {} [{which}]", s.name, s.requirement);
        let time = format!("{:.3}", o.elapsed.as_secs_f64());
        let file = o.file.display().to_string();
        let start = BytesStart::new("testcase").with_attributes([
            ("classname", clean(&class).as_str()),
            ("name", clean(&name).as_str()),
            ("file", clean(&file).as_str()),
            ("time", time.as_str()),
        ]);
        if *j == Judgement::Passed {
            w.write_event(Event::Empty(start))?;
            continue;
        }
        w.write_event(Event::Start(start))?;
        match j {
            Judgement::Passed => {}
            Judgement::Noted(note) => {
                text_element(w, "system-out", None, &format!("{note}\n{}", stop(gate, o)))?
            }
            Judgement::Expected(i) => text_element(
                w,
                "system-out",
                None,
                &format!("{}\n{}", gate.expected_note(*i), stop(gate, o)),
            )?,
            Judgement::Failed => {
                let message = format!(
                    "diverged at step {} of {}: {}",
                    o.at.unwrap_or(0),
                    o.of,
                    o.diffs.first().map_or("", String::as_str)
                );
                text_element(
                    w,
                    "failure",
                    Some(("divergence", &message)),
                    &gate.stop_text(o),
                )?;
            }
            Judgement::Skipped(why) => {
                let message = format!("ended early at step {}: {why}", o.at.unwrap_or(0));
                w.write_event(Event::Empty(
                    BytesStart::new("skipped")
                        .with_attributes([("message", clean(&message).as_str())]),
                ))?;
            }
        }
        w.write_event(Event::End(BytesEnd::new("testcase")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    if !gate.stale.is_empty() {
        let name = format!("{label}.expectations");
        w.write_event(Event::Start(BytesStart::new("testsuite").with_attributes(
            [
                ("name", name.as_str()),
                ("tests", gate.stale.len().to_string().as_str()),
                ("failures", gate.stale.len().to_string().as_str()),
                ("errors", "0"),
                ("skipped", "0"),
            ],
        )))?;
        for &i in &gate.stale {
            let e = &gate.expectations.entries[i];
            let case = format!(
                "stale expectation {}: {}",
                e.place(&gate.expectations.file),
                e.describe()
            );
            w.write_event(Event::Start(BytesStart::new("testcase").with_attributes([
                ("classname", name.as_str()),
                ("name", clean(&case).as_str()),
            ])))?;
            let body = format!(
                "{}\nreason: {}\nlink: {}",
                gate.stale_message(i),
                e.reason,
                e.link
            );
            text_element(
                w,
                "failure",
                Some(("stale-expectation", &gate.stale_message(i))),
                &body,
            )?;
            w.write_event(Event::End(BytesEnd::new("testcase")))?;
        }
        w.write_event(Event::End(BytesEnd::new("testsuite")))?;
    }
    w.write_event(Event::End(BytesEnd::new("testsuites")))?;
    Ok(())
}

/// `<tag type=.. message=..>text</tag>`.
fn text_element(
    w: &mut Writer<Vec<u8>>,
    tag: &str,
    kind_message: Option<(&str, &str)>,
    text: &str,
) -> io::Result<()> {
    let mut start = BytesStart::new(tag);
    if let Some((kind, message)) = kind_message {
        start.push_attribute(("type", kind));
        start.push_attribute(("message", clean(message).as_str()));
    }
    w.write_event(Event::Start(start))?;
    w.write_event(Event::Text(BytesText::new(&clean_text(text))))?;
    w.write_event(Event::End(BytesEnd::new(tag)))
}

/// The text of a stop that passed (a deviation, an expected divergence).
fn stop(gate: &Gate, o: &Outcome) -> String {
    if o.at.is_some() {
        gate.stop_text(o)
    } else {
        String::new()
    }
}

/// The name of the trace's directory: traces are named by content, so the
/// same file can sit in two suites.
fn dir(o: &Outcome) -> String {
    o.file
        .parent()
        .and_then(Path::file_name)
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn stem(o: &Outcome) -> String {
    o.file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// The target's name as a classname segment.
fn label(target: &str) -> String {
    let mut s = String::new();
    for c in target.chars() {
        let c = if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':') {
            c
        } else {
            '-'
        };
        if !(c == '-' && s.ends_with('-')) {
            s.push(c);
        }
    }
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "target".to_string()
    } else {
        s
    }
}

/// One line with no character XML 1.0 cannot carry: for attributes.
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// Text with no character XML 1.0 cannot carry; newlines and tabs stay.
fn clean_text(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                '\u{FFFD}'
            } else {
                c
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels() {
        assert_eq!(label("impl"), "impl");
        assert_eq!(label("exec:./their-adapter --x"), "exec:-their-adapter-x");
        assert_eq!(label("..."), "target");
    }

    #[test]
    fn control_characters_do_not_reach_the_xml() {
        assert_eq!(clean("a\u{1}b\nc"), "a b c");
        assert_eq!(clean_text("a\u{1}b\nc"), "a\u{FFFD}b\nc");
    }
}
