//! What `synfin-tcp demo` prints: the text of each exchange, or one
//! `--json` object for them all.

use std::fmt::Write as _;

use serde::Serialize;

use super::outcome::Outcome;

/// The text report of one exchange: heading, diagram, both sides' states,
/// the checks and the verdict.
pub fn render(index: usize, total: usize, o: &Outcome) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "== {index}/{total} {}: {}", o.exchange.name(), o.title);
    let _ = writeln!(s);
    for line in o.diagram.lines() {
        let _ = writeln!(s, "  {line}");
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "  synfin-tcp states: {}", o.synfin_states.join(" → "));
    let _ = writeln!(
        s,
        "  kernel states:     {}  (sock_diag)",
        o.kernel_states.join(" → ")
    );
    for c in &o.checks {
        let _ = writeln!(s, "  {} {}", if c.ok { "ok  " } else { "FAIL" }, c.what);
    }
    if let Some(e) = &o.error {
        let _ = writeln!(s, "  FAIL {e}");
    }
    let _ = writeln!(
        s,
        "  verdict: {} ({}; {:.1} ms)",
        if o.passed {
            "PASS, as RFC 9293 says"
        } else {
            "FAIL"
        },
        o.rfc,
        o.micros as f64 / 1000.0
    );
    s
}

/// The `--json` report: one object, with one object per exchange.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// Every exchange passed.
    pub passed: bool,
    /// Exchanges that passed, and in all.
    pub exchanges_passed: usize,
    /// Exchanges run.
    pub exchanges_total: usize,
    /// Wall-clock seconds for all of them, namespaces included.
    pub seconds: f64,
    /// The exchanges.
    pub exchanges: &'a [Outcome],
}
