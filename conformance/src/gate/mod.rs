//! The CI gate: a replay's summary judged for a CI job, and written as
//! JUnit XML and as a Markdown job summary.
//!
//! - [`Expectations`]: the divergences a project accepts (a TOML file, each
//!   with a reason and a link); one that no longer happens is stale and
//!   fails the run, so the file only tightens;
//! - [`Gate`]: every replay judged: passed, passed with a note (a named
//!   deviation, a difference the policy absorbed), expected, failed, or
//!   skipped (ended early); and the stale expectations;
//! - [`junit()`]: one `<testcase>` per replay;
//! - [`markdown()`]: totals, verdicts, deviations, coverage and the first
//!   divergence, for `$GITHUB_STEP_SUMMARY`;
//! - [`diagram()`]: the first divergence as a text sequence diagram,
//!   expected against observed;
//! - [`subject()`]: the scenario or transition a trace is about, and the
//!   RFC 9293 requirement it exercises.
//!
//! The book's chapter *The CI gate* (`docs/src/conformance/gate.md`) says
//! how a project adopts it.

mod diagram;
mod expect;
mod junit;
mod markdown;
mod rfc;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

pub use diagram::diagram;
pub use expect::{BadExpectations, Expectation, Expectations};
pub use junit::junit;
pub use markdown::markdown;
pub use rfc::{for_key, subject, Kind, Subject, SCENARIOS};

use crate::replay::{Outcome, Summary, Verdict};
use crate::trace::{Suite, Trace};

/// How the gate judged one replay.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Every step agreed, nothing absorbed.
    Passed,
    /// Passed, with a note: a named deviation of the target's policy, or
    /// differences the policy absorbed.
    Noted(String),
    /// A divergence (or named deviation) the expectations file accepts:
    /// the index of the first entry that matched.
    Expected(usize),
    /// A divergence nothing accepts.
    Failed,
    /// Ended early: the target could not play an input (the reason).
    Skipped(String),
}

impl Judgement {
    /// Whether the replay fails the run.
    pub fn fails(&self) -> bool {
        *self == Judgement::Failed
    }
}

/// A replay's summary, judged against an expectations file.
#[derive(Debug)]
pub struct Gate<'a> {
    /// The target as named on the command line (`impl`, `exec:./x`).
    pub target: String,
    /// The replays.
    pub summary: &'a Summary,
    /// The expectations (none without `--expect`).
    pub expectations: Expectations,
    /// One per outcome of the summary, in its order.
    pub judged: Vec<Judgement>,
    /// Each outcome's subject, in the summary's order.
    pub subjects: Vec<Subject>,
    /// Indices of the expectations no replay matched.
    pub stale: Vec<usize>,
    traces: BTreeMap<PathBuf, &'a Trace>,
}

impl<'a> Gate<'a> {
    /// Judges every replay of `summary` (of traces in `suite`) against
    /// `expectations`.
    pub fn new(
        target: &str,
        suite: &'a Suite,
        summary: &'a Summary,
        expectations: Expectations,
    ) -> Gate<'a> {
        let traces: BTreeMap<PathBuf, &Trace> =
            suite.traces.iter().map(|(f, t)| (f.clone(), t)).collect();
        let subjects: Vec<Subject> = summary
            .outcomes
            .iter()
            .map(|o| match traces.get(&o.file) {
                Some(t) => subject(&o.file, t),
                None => Subject {
                    kind: Kind::Transition,
                    name: o.file.display().to_string(),
                    requirement: "RFC 9293 §3.10 (event processing)".to_string(),
                },
            })
            .collect();
        let mut used = vec![false; expectations.entries.len()];
        let mut judged = Vec::with_capacity(summary.outcomes.len());
        for (o, s) in summary.outcomes.iter().zip(&subjects) {
            let scenario = (s.kind == Kind::Scenario).then_some(s.name.as_str());
            let matched: Vec<usize> = expectations
                .entries
                .iter()
                .enumerate()
                .filter(|(_, e)| e.matches(o, scenario))
                .map(|(i, _)| i)
                .collect();
            for &i in &matched {
                used[i] = true;
            }
            judged.push(match (&o.verdict, matched.first()) {
                (Verdict::Agreed, _) if o.absorbed.is_empty() => Judgement::Passed,
                (Verdict::Agreed, _) => Judgement::Noted(absorbed_note(summary, o)),
                (Verdict::EndedEarly(why), _) => Judgement::Skipped(why.to_string()),
                (Verdict::Diverged | Verdict::Deviation(_), Some(&i)) => Judgement::Expected(i),
                (Verdict::Deviation(name), None) => {
                    Judgement::Noted(deviation_note(summary, o, name))
                }
                (Verdict::Diverged, None) => Judgement::Failed,
            });
        }
        let stale = (0..used.len()).filter(|&i| !used[i]).collect();
        Gate {
            target: target.to_string(),
            summary,
            expectations,
            judged,
            subjects,
            stale,
            traces,
        }
    }

    /// The exit status: 0 when nothing failed and no expectation is stale,
    /// else 1.
    pub fn exit_code(&self) -> u8 {
        u8::from(self.judged.iter().any(Judgement::fails) || !self.stale.is_empty())
    }

    /// Each replay with its subject and judgement, in the summary's order.
    pub fn replays(&self) -> impl Iterator<Item = (&Outcome, &Subject, &Judgement)> {
        self.summary
            .outcomes
            .iter()
            .zip(&self.subjects)
            .zip(&self.judged)
            .map(|((o, s), j)| (o, s, j))
    }

    /// The first replay that failed; failing that, the first expected
    /// divergence: the one a report draws.
    pub fn first_divergence(&self) -> Option<(&Outcome, &Subject, &Judgement)> {
        self.replays().find(|(_, _, j)| j.fails()).or_else(|| {
            self.replays().find(|(o, _, j)| {
                matches!(j, Judgement::Expected(_)) && o.verdict == Verdict::Diverged
            })
        })
    }

    /// The trace of `file`, if it was loaded.
    pub fn trace(&self, file: &Path) -> Option<&Trace> {
        self.traces.get(file).copied()
    }

    /// `o`'s stop as a text diagram (empty if it did not stop at a step).
    pub fn diagram(&self, o: &Outcome) -> String {
        match (o.at, self.trace(&o.file)) {
            (Some(at), Some(t)) => diagram(&t.steps, at, o.role, &self.target, &o.observed),
            _ => String::new(),
        }
    }

    /// The text of a stop: where, expected against observed field by
    /// field, and the diagram.
    pub fn stop_text(&self, o: &Outcome) -> String {
        let mut s = format!(
            "{} in {} (playing {}, ISN base {}) at step {} of {}:\n",
            o.verdict,
            o.file.display(),
            o.role,
            o.isn_base,
            o.at.unwrap_or(0),
            o.of
        );
        for d in &o.diffs {
            s += &format!("  {d}\n");
        }
        let d = self.diagram(o);
        if !d.is_empty() {
            s += "\n";
            s += &d;
            s += "\n";
        }
        s
    }

    /// A stale expectation's message: `file:line: stale expectation: ...`.
    pub fn stale_message(&self, i: usize) -> String {
        let e = &self.expectations.entries[i];
        format!(
            "{}: stale expectation: {} no longer happens: remove it",
            e.place(&self.expectations.file),
            e.describe()
        )
    }

    /// The note of an expected stop: `expected (file:line): reason (link)`.
    pub fn expected_note(&self, i: usize) -> String {
        let e = &self.expectations.entries[i];
        format!(
            "expected ({}): {} ({})",
            e.place(&self.expectations.file),
            e.reason,
            e.link
        )
    }

    /// Lines for the text report: the first unexpected divergence drawn
    /// as a diagram, the expected divergences and the stale expectations.
    pub fn text(&self) -> String {
        let mut s = String::new();
        if let Some((o, _, _)) = self.first_divergence().filter(|(_, _, j)| j.fails()) {
            let d = self.diagram(o);
            if !d.is_empty() {
                s += &format!("first divergence, drawn (playing {}):\n\n{d}\n\n", o.role);
            }
        }
        for (o, _, j) in self.replays() {
            if let Judgement::Expected(i) = j {
                s += &format!(
                    "{} (playing {}) step {}: {}\n",
                    o.file.display(),
                    o.role,
                    o.at.unwrap_or(0),
                    self.expected_note(*i)
                );
            }
        }
        for &i in &self.stale {
            s += &self.stale_message(i);
            s += "\n";
        }
        s
    }

    /// Replays per judgement: passed, noted, expected, failed, skipped.
    pub fn counts(&self) -> [usize; 5] {
        let mut c = [0; 5];
        for j in &self.judged {
            c[match j {
                Judgement::Passed => 0,
                Judgement::Noted(_) => 1,
                Judgement::Expected(_) => 2,
                Judgement::Failed => 3,
                Judgement::Skipped(_) => 4,
            }] += 1;
        }
        c
    }
}

fn absorbed_note(summary: &Summary, o: &Outcome) -> String {
    let names: Vec<&str> = o.absorbed.iter().map(|a| a.name()).collect();
    format!(
        "agreed; absorbed by the {} policy (the RFC leaves it open): {}",
        summary.policy.name,
        names.join(", ")
    )
}

fn deviation_note(summary: &Summary, o: &Outcome, name: &str) -> String {
    let what = summary.policy.expectation(name);
    let judged = what.map_or("not in the policy".to_string(), |d| d.ruling.described());
    format!(
        "named deviation `{name}` of the {} policy at step {} ({judged}){}",
        summary.policy.name,
        o.at.unwrap_or(0),
        what.map_or(String::new(), |d| format!(": {}", d.what))
    )
}

/// What `synfin-conform replay` was asked to write and judge against:
/// `--junit`, `--summary`, `--expect` and `--pcap`, checked before
/// anything is replayed.
#[derive(Clone, Debug, Default)]
pub struct Outputs {
    /// Where to write the JUnit XML.
    pub junit: Option<PathBuf>,
    /// Where to write the Markdown summary.
    pub summary: Option<PathBuf>,
    /// The accepted divergences (none without `--expect`).
    pub expectations: Expectations,
    /// Where to write a pcapng capture of each replay that did not agree
    /// (see [`crate::pcap`]).
    pub pcap: Option<PathBuf>,
    /// With `pcap`: a capture of every replay that did not end early,
    /// agreed ones too.
    pub pcap_all: bool,
}

impl Outputs {
    /// Reads the expectations file, if any, and checks that each output's
    /// directory exists: every error is one line naming the file.
    pub fn new(
        junit: Option<PathBuf>,
        summary: Option<PathBuf>,
        expect: Option<PathBuf>,
    ) -> Result<Outputs, String> {
        for (option, path) in [("--junit", &junit), ("--summary", &summary)] {
            let Some(p) = path else { continue };
            if p.as_os_str().is_empty() {
                return Err(format!("{option}: the file name is empty"));
            }
            if p.is_dir() {
                return Err(format!("{option} {}: is a directory", p.display()));
            }
            let dir = p.parent().filter(|d| !d.as_os_str().is_empty());
            if dir.is_some_and(|d| !d.is_dir()) {
                return Err(format!(
                    "{option} {}: no such directory {}",
                    p.display(),
                    dir.map(Path::display).expect("checked")
                ));
            }
        }
        let expectations = match expect {
            Some(f) => Expectations::load(&f).map_err(|e| e.to_string())?,
            None => Expectations::default(),
        };
        Ok(Outputs {
            junit,
            summary,
            expectations,
            pcap: None,
            pcap_all: false,
        })
    }

    /// Captures go to `dir` (`--pcap`), for every replay with `all`
    /// (`--pcap-all`): the directory is created if it does not exist; one
    /// that is a file or cannot be created is refused in one line.
    pub fn with_pcap(mut self, dir: Option<PathBuf>, all: bool) -> Result<Outputs, String> {
        let Some(dir) = dir else {
            return if all {
                Err("--pcap-all needs --pcap DIR".to_string())
            } else {
                Ok(self)
            };
        };
        if dir.as_os_str().is_empty() {
            return Err("--pcap: the directory name is empty".to_string());
        }
        if dir.exists() && !dir.is_dir() {
            return Err(format!("--pcap {}: not a directory", dir.display()));
        }
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("--pcap {}: cannot create it: {e}", dir.display()))?;
        self.pcap = Some(dir);
        self.pcap_all = all;
        Ok(self)
    }

    /// Checks that every expectation names a trace among those loaded:
    /// one that names no trace at all is a mistake in the file (a typo, a
    /// trace that was renamed or removed), not a stale expectation, and is
    /// refused before anything is replayed, as `file:line: ...`.
    pub fn check_traces(&self, suite: &Suite) -> Result<(), String> {
        let e = &self.expectations;
        for x in &e.entries {
            let found = suite.traces.iter().any(|(f, t)| {
                let s = subject(f, t);
                let scenario = (s.kind == Kind::Scenario).then_some(s.name.as_str());
                x.matches_trace(f, scenario)
            });
            if !found {
                return Err(format!(
                    "{}: no trace `{}` among the traces loaded",
                    x.place(&e.file),
                    x.trace
                ));
            }
        }
        Ok(())
    }

    /// Judges `sum` (replays of `suite` against `target`), writes the files
    /// asked for and returns the exit status (0 or 1), or the one-line
    /// error of a file that could not be written. The expected divergences
    /// and stale expectations are printed, to stderr when stdout is JSON.
    pub fn finish(
        &self,
        target: &str,
        suite: &Suite,
        sum: &Summary,
        json: bool,
    ) -> Result<u8, String> {
        let gate = Gate::new(target, suite, sum, self.expectations.clone());
        let text = gate.text();
        if json {
            eprint!("{text}");
        } else {
            print!("{text}");
        }
        let write = |path: &Option<PathBuf>, content: &dyn Fn() -> String| match path {
            Some(p) => std::fs::write(p, content())
                .map_err(|e| format!("cannot write {}: {e}", p.display())),
            None => Ok(()),
        };
        write(&self.junit, &|| junit(&gate))?;
        write(&self.summary, &|| markdown(&gate))?;
        if let Some(dir) = &self.pcap {
            let trace_of = |f: &Path| suite.traces.iter().find(|(p, _)| p == f).map(|(_, t)| t);
            let files =
                crate::pcap::write_all(dir, target, &sum.outcomes, self.pcap_all, trace_of)?;
            let line = format!(
                "pcapng: {} capture{} in {}\n",
                files.len(),
                if files.len() == 1 { "" } else { "s" },
                dir.display()
            );
            if json {
                eprint!("{line}");
            } else {
                print!("{line}");
            }
        }
        Ok(gate.exit_code())
    }
}
