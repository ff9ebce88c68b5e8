//! The expectations file: divergences a project accepts, each with a
//! reason and a link, in TOML.
//!
//! ```toml
//! [[expected]]
//! trace = "scenarios-rfc9293/abort-reset.json" # a path (its last components), or a scenario name or file stem
//! role = "A"                                   # optional: A, B or both; any role when absent
//! step = 5                                     # optional: the 1-based step it stops at
//! divergence = "A.emitted"                     # optional: a field (`A.state`, `emitted`), `diverged`, or a deviation's name
//! reason = "we answer ABORT with RST,ACK"      # required
//! link = "https://example.org/issues/12"       # required: a URL or a reference
//! ```
//!
//! An entry names at least one of `step` and `divergence`. An entry
//! matches a replay that stopped (diverged, or stopped at a named
//! deviation) in a matching trace and role at that step with that
//! divergence. A matched divergence passes as expected; an entry that
//! matches no replay is stale, and fails the run.

use std::ops::Range;
use std::path::{Component, Path, PathBuf};

use serde::Deserialize;
use toml::Spanned;

use crate::replay::{Outcome, Verdict};
use crate::target::Role;
use crate::trace::HostId;

/// A malformed or unreadable expectations file: `file:line: what`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadExpectations(pub String);

impl std::fmt::Display for BadExpectations {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for BadExpectations {}

/// The expectations of one file.
#[derive(Clone, Debug, Default)]
pub struct Expectations {
    /// The file they were read from.
    pub file: PathBuf,
    /// The entries, in file order.
    pub entries: Vec<Expectation>,
}

/// One accepted divergence.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expectation {
    /// The line of its `[[expected]]` header.
    pub line: usize,
    /// A trace path (matched by its last components) or a scenario name or
    /// file stem.
    pub trace: String,
    /// The role, if only one.
    pub role: Option<Role>,
    /// The 1-based step, if only one.
    pub step: Option<usize>,
    /// A field (`A.state`, `emitted`), `diverged`, or a deviation's name.
    pub divergence: Option<String>,
    /// Why it is accepted.
    pub reason: String,
    /// Where it is tracked.
    pub link: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    expected: Vec<Spanned<RawEntry>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    trace: Spanned<String>,
    role: Option<Spanned<String>>,
    step: Option<Spanned<i64>>,
    divergence: Option<Spanned<String>>,
    reason: Spanned<String>,
    link: Spanned<String>,
}

impl Expectations {
    /// Reads and checks `file`; every error names the file and line.
    pub fn load(file: &Path) -> Result<Expectations, BadExpectations> {
        let text = std::fs::read_to_string(file).map_err(|e| {
            BadExpectations(format!(
                "{}: cannot read expectations file: {e}",
                file.display()
            ))
        })?;
        Expectations::parse(file, &text)
    }

    /// Parses `text`, read from `file`.
    pub fn parse(file: &Path, text: &str) -> Result<Expectations, BadExpectations> {
        let at = |span: Option<Range<usize>>, what: &str| {
            let line = span.map_or(1, |s| line_of(text, s.start));
            BadExpectations(format!("{}:{line}: {what}", file.display()))
        };
        let raw: RawFile =
            toml::from_str(text).map_err(|e| at(e.span(), &one_line(e.message())))?;
        let mut entries = Vec::new();
        for entry in raw.expected {
            let line = line_of(text, entry.span().start);
            let e = entry.into_inner();
            let trace = e.trace.get_ref().trim().to_string();
            if trace.is_empty() {
                return Err(at(Some(e.trace.span()), "`trace` is empty"));
            }
            let role = match &e.role {
                None => None,
                Some(r) => Some(parse_role(r.get_ref()).ok_or_else(|| {
                    at(
                        Some(r.span()),
                        &format!(
                            "`role` is \"{}\"; expected \"A\", \"B\" or \"both\"",
                            r.get_ref()
                        ),
                    )
                })?),
            };
            let step = match &e.step {
                None => None,
                Some(s) if *s.get_ref() >= 1 => Some(*s.get_ref() as usize),
                Some(s) => return Err(at(Some(s.span()), "`step` counts from 1")),
            };
            let divergence = e
                .divergence
                .as_ref()
                .map(|d| d.get_ref().trim().to_string());
            if divergence.as_deref() == Some("") {
                let span = e.divergence.as_ref().map(|d| d.span());
                return Err(at(span, "`divergence` is empty"));
            }
            if step.is_none() && divergence.is_none() {
                return Err(at(
                    Some(entry_span(text, line)),
                    "an expectation names its divergence: give `step`, `divergence` or both",
                ));
            }
            let reason = e.reason.get_ref().trim().to_string();
            if reason.is_empty() {
                return Err(at(
                    Some(e.reason.span()),
                    "`reason` is empty: say why it is accepted",
                ));
            }
            let link = e.link.get_ref().trim().to_string();
            if link.is_empty() {
                return Err(at(
                    Some(e.link.span()),
                    "`link` is empty: give a URL or a reference",
                ));
            }
            let looks_like_url = link.contains("://");
            if looks_like_url && !(link.starts_with("https://") || link.starts_with("http://")) {
                return Err(at(
                    Some(e.link.span()),
                    &format!("`link` \"{link}\" is a URL of neither http nor https"),
                ));
            }
            entries.push(Expectation {
                line,
                trace,
                role,
                step,
                divergence,
                reason,
                link,
            });
        }
        Ok(Expectations {
            file: file.to_path_buf(),
            entries,
        })
    }
}

impl Expectation {
    /// Whether this expectation accepts `o`, a replay of a trace whose
    /// scenario (if it is one) is `scenario`. Only a replay that stopped at
    /// a difference (diverged, or a named deviation) can match.
    pub fn matches(&self, o: &Outcome, scenario: Option<&str>) -> bool {
        if !matches!(o.verdict, Verdict::Diverged | Verdict::Deviation(_)) {
            return false;
        }
        self.matches_trace(&o.file, scenario)
            && self.role.is_none_or(|r| r == o.role)
            && self.step.is_none_or(|s| o.at == Some(s))
            && self
                .divergence
                .as_deref()
                .is_none_or(|d| divergence_is(d, o))
    }

    /// Whether `file` is the trace this expectation names.
    pub fn matches_trace(&self, file: &Path, scenario: Option<&str>) -> bool {
        let t = self.trace.as_str();
        if t.contains('/') || t.contains('\\') || t.ends_with(".json") {
            let want = normal(Path::new(t));
            if normal(file).ends_with(&want) {
                return true;
            }
            return match (std::fs::canonicalize(t), std::fs::canonicalize(file)) {
                (Ok(a), Ok(b)) => a == b,
                _ => false,
            };
        }
        scenario == Some(t) || file.file_stem().is_some_and(|s| s == t)
    }

    /// `file:line`, for messages.
    pub fn place(&self, file: &Path) -> String {
        format!("{}:{}", file.display(), self.line)
    }

    /// What it accepts, in one line: `trace (playing A) step 5, A.state`.
    pub fn describe(&self) -> String {
        let mut s = self.trace.clone();
        if let Some(r) = self.role {
            s += &format!(" (playing {r})");
        }
        if let Some(n) = self.step {
            s += &format!(" step {n}");
        }
        if let Some(d) = &self.divergence {
            s += &format!(", {d}");
        }
        s
    }
}

/// Whether outcome `o` stopped with divergence `d`: `diverged`, the name
/// of the deviation it stopped at, or a field one of its differences is
/// in (`A.state`, or `state` for either host).
fn divergence_is(d: &str, o: &Outcome) -> bool {
    match &o.verdict {
        Verdict::Diverged if d == "diverged" => return true,
        Verdict::Deviation(name) if *name == d => return true,
        _ => {}
    }
    o.diffs.iter().any(|line| {
        let field = line.split(':').next().unwrap_or("");
        field == d || field.split_once('.').is_some_and(|(_, f)| f == d)
    })
}

fn parse_role(s: &str) -> Option<Role> {
    match s.trim() {
        "A" | "a" => Some(Role::Host(HostId::A)),
        "B" | "b" => Some(Role::Host(HostId::B)),
        "both" | "A and B" | "AB" => Some(Role::Both),
        _ => None,
    }
}

/// A path without `.` components, for matching by the last components.
fn normal(p: &Path) -> PathBuf {
    p.components()
        .filter(|c| !matches!(c, Component::CurDir))
        .collect()
}

/// The 1-based line of byte offset `at`.
fn line_of(text: &str, at: usize) -> usize {
    text[..at.min(text.len())]
        .bytes()
        .filter(|&b| b == b'\n')
        .count()
        + 1
}

/// A span on line `line` (for a message about a whole entry).
fn entry_span(text: &str, line: usize) -> Range<usize> {
    let start: usize = text
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    start..start
}

/// The first line of a parser's message.
fn one_line(s: &str) -> String {
    s.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("malformed TOML")
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Expectations, String> {
        Expectations::parse(Path::new("x.toml"), text).map_err(|e| e.0)
    }

    #[test]
    fn a_good_file_parses() {
        let e = parse(
            "# accepted\n[[expected]]\ntrace = \"scenarios-rfc9293/abort-reset.json\"\nrole = \"A\"\n\
             step = 5\ndivergence = \"A.emitted\"\nreason = \"r\"\nlink = \"https://x/1\"\n\n\
             [[expected]]\ntrace = \"half-close\"\nstep = 2\nreason = \"r\"\nlink = \"issue 7\"\n",
        )
        .unwrap();
        assert_eq!(e.entries.len(), 2);
        assert_eq!(e.entries[0].line, 2);
        assert_eq!(e.entries[0].role, Some(Role::Host(HostId::A)));
        assert_eq!(e.entries[1].line, 10);
        assert_eq!(e.entries[1].divergence, None);
    }

    #[test]
    fn errors_name_file_and_line() {
        let cases = [
            ("[[expected]]\ntrace = \"t\"\nstep = 1\nlink = \"l\"\n", "x.toml:1:", "reason"),
            ("[[expected]]\ntrace = \"t\"\nstep = 1\nreason = \"\"\nlink = \"l\"\n", "x.toml:4:", "reason"),
            ("[[expected]]\ntrace = \"t\"\nreason = \"r\"\nlink = \"l\"\n", "x.toml:1:", "step"),
            ("[[expected]]\ntrace = \"t\"\nstep = 0\nreason = \"r\"\nlink = \"l\"\n", "x.toml:3:", "from 1"),
            ("[[expected]]\ntrace = \"t\"\nstep = 1\nrole = \"C\"\nreason = \"r\"\nlink = \"l\"\n", "x.toml:4:", "role"),
            ("[[expected]]\ntrace = \"t\"\nstep = 1\nreason = \"r\"\nlink = \"ftp://x\"\n", "x.toml:5:", "http"),
            ("[[expected]]\ntrace = \"t\"\nstep = 1\nreason = \"r\"\nlink = \"l\"\ncolour = 1\n", "x.toml:6:", "colour"),
            ("[[expected]]\ntrace = \"t\"\nstep = \n", "x.toml:3:", ""),
        ];
        for (text, place, what) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.starts_with(place), "{text:?}: {e}");
            assert!(e.contains(what), "{text:?}: {e}");
            assert!(!e.contains('\n'), "{text:?}: {e}");
        }
    }
}
