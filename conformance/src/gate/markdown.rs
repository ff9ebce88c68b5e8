//! The gate as Markdown, for a CI job summary (`$GITHUB_STEP_SUMMARY`):
//! the result, totals, verdicts, deviations, expected divergences, stale
//! expectations, coverage, and the first divergence with its diagram.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use super::{Gate, Judgement};
use crate::replay::Verdict;

/// The gate's result as Markdown.
pub fn markdown(gate: &Gate) -> String {
    let sum = gate.summary;
    let [passed, noted, expected, failed, skipped] = gate.counts();
    let stale = gate.stale.len();
    let mut s = String::new();
    let result = if gate.exit_code() == 0 {
        "✅ pass".to_string()
    } else {
        let mut why = Vec::new();
        if failed > 0 {
            why.push(format!("{failed} unexpected divergence{}", plural(failed)));
        }
        if stale > 0 {
            why.push(format!("{stale} stale expectation{}", plural(stale)));
        }
        format!("❌ fail: {}", why.join(", "))
    };
    let _ = writeln!(s, "## synfin-conform: `{}` — {result}\n", md(&gate.target));
    let (agreed, traces) = sum.traces_agreed();
    let (hit, reachable) = sum.coverage();
    let _ = writeln!(s, "| | |\n|---|---:|");
    let _ = writeln!(s, "| traces | {traces} |");
    let _ = writeln!(s, "| replays (trace × role) | {} |", sum.outcomes.len());
    let _ = writeln!(s, "| steps replayed | {} |", sum.steps());
    let _ = writeln!(s, "| traces agreed in every role | {agreed} |");
    let _ = writeln!(s, "| passed | {passed} |");
    let _ = writeln!(s, "| passed with a note (deviation, absorbed) | {noted} |");
    let _ = writeln!(s, "| expected divergences | {expected} |");
    let _ = writeln!(s, "| **unexpected divergences** | **{failed}** |");
    let _ = writeln!(s, "| skipped (ended early) | {skipped} |");
    let _ = writeln!(s, "| stale expectations | {stale} |");
    let _ = writeln!(s, "| policy | `{}` |", sum.policy.name);
    let _ = writeln!(s, "| replay time | {:.2} s |", sum.seconds);
    let _ = writeln!(s);

    let _ = writeln!(s, "### Verdicts\n");
    let _ = writeln!(s, "| verdict | replays | example |\n|---|---:|---|");
    let mut first = BTreeMap::new();
    for o in &sum.outcomes {
        first.entry(o.verdict.to_string()).or_insert(o);
    }
    for (v, n) in sum.by_verdict() {
        let o = first[&v];
        let example = if o.verdict == Verdict::Agreed {
            String::new()
        } else {
            format!(
                "`{}` (playing {}) step {}",
                md(&o.file.display().to_string()),
                o.role,
                o.at.unwrap_or(0)
            )
        };
        let _ = writeln!(s, "| {} | {n} | {example} |", md(&v));
    }
    let _ = writeln!(s);

    let mut deviations: BTreeMap<&str, usize> = BTreeMap::new();
    let mut absorbed: BTreeMap<&str, usize> = BTreeMap::new();
    for o in &sum.outcomes {
        if let Verdict::Deviation(d) = o.verdict {
            *deviations.entry(d).or_default() += 1;
        }
        for a in &o.absorbed {
            *absorbed.entry(a.name()).or_default() += 1;
        }
    }
    if !deviations.is_empty() || !absorbed.is_empty() {
        let _ = writeln!(s, "### Deviations\n");
        let _ = writeln!(
            s,
            "| deviation | replays | RFC | what |\n|---|---:|---|---|"
        );
        for (d, n) in &deviations {
            let e = sum.policy.expectation(d);
            let rfc = e.map_or("unjudged".to_string(), |e| e.ruling.to_string());
            let what = e.map_or("", |e| e.what);
            let _ = writeln!(s, "| `{d}` | {n} | {rfc} | {} |", md(what));
        }
        for (a, n) in &absorbed {
            let _ = writeln!(
                s,
                "| `{a}` (absorbed by the `{}` policy) | {n} | leaves it open | |",
                sum.policy.name
            );
        }
        let _ = writeln!(s);
    }

    if expected > 0 || stale > 0 {
        let _ = writeln!(
            s,
            "### Expectations (`{}`)\n",
            md(&gate.expectations.file.display().to_string())
        );
        let _ = writeln!(
            s,
            "| expectation | replays | reason | link |\n|---|---:|---|---|"
        );
        for (i, e) in gate.expectations.entries.iter().enumerate() {
            let n = gate
                .judged
                .iter()
                .filter(|j| **j == Judgement::Expected(i))
                .count();
            let what = if gate.stale.contains(&i) {
                format!(
                    "**stale** (line {}): {} — remove it",
                    e.line,
                    md(&e.describe())
                )
            } else {
                format!("line {}: {}", e.line, md(&e.describe()))
            };
            let _ = writeln!(s, "| {what} | {n} | {} | {} |", md(&e.reason), md(&e.link));
        }
        let _ = writeln!(s);
    }

    let _ = writeln!(s, "### Coverage\n");
    if reachable == 0 {
        let _ = writeln!(
            s,
            "No `cover.json` among the traces: coverage not measured.\n"
        );
    } else {
        let _ = writeln!(
            s,
            "{hit} of the {reachable} reachable transitions ({:.1}%) taken in agreeing steps by a \
             host the target played.\n",
            100.0 * sum.coverage_fraction()
        );
        let untaken = sum.untaken();
        if !untaken.is_empty() {
            let _ = writeln!(
                s,
                "<details><summary>{} untaken transitions</summary>\n",
                untaken.len()
            );
            for k in untaken {
                let _ = writeln!(s, "- `{}`", md(k));
            }
            let _ = writeln!(s, "\n</details>\n");
        }
    }

    if let Some((o, subj, j)) = gate.first_divergence() {
        let which = if j.fails() {
            "First divergence"
        } else {
            "First divergence (expected)"
        };
        let _ = writeln!(s, "### {which}\n");
        let _ = writeln!(
            s,
            "`{}` ({} `{}`, {}), playing {}, ISN base {}, step {} of {}:\n",
            md(&o.file.display().to_string()),
            subj.kind.name(),
            md(&subj.name),
            subj.requirement,
            o.role,
            o.isn_base,
            o.at.unwrap_or(0),
            o.of
        );
        if let Judgement::Expected(i) = j {
            let _ = writeln!(s, "{}\n", md(&gate.expected_note(*i)));
        }
        for d in &o.diffs {
            let _ = writeln!(s, "- `{}`", md(d));
        }
        let _ = writeln!(s, "\n```text\n{}\n```", gate.diagram(o));
    }
    s
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// Text safe in a Markdown table cell.
fn md(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}
