//! What a trace is about, and the RFC 9293 requirement it exercises.
//!
//! A scenario trace (`origin: scenario`, named after its scenario) is about
//! its scenario, and exercises the clause the model's scenario cites (the
//! table [`SCENARIOS`], the model's `properties.rs` references, kept equal
//! by `tests/gate.rs`). Any other trace (a cover, depth or random path) is
//! about the transition it ends with: a cover path is the shortest path to
//! that transition. A transition key names the state before, the input
//! and the state after; the event-processing section of RFC 9293 that
//! handles that input in that state is the requirement it exercises
//! ([`for_key`]).

use std::path::Path;

use crate::trace::Trace;

/// What a trace is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    /// One of the model's scenarios.
    Scenario,
    /// A path ending with a transition.
    Transition,
}

impl Kind {
    /// `scenario` or `transition`.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Scenario => "scenario",
            Kind::Transition => "transition",
        }
    }
}

/// A trace's subject: its scenario or last transition, and the RFC 9293
/// requirement it exercises.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Subject {
    /// Scenario or transition.
    pub kind: Kind,
    /// The scenario's name, or the transition key.
    pub name: String,
    /// The clause, e.g. `RFC 9293 §3.10.7.3 (SEGMENT ARRIVES in SYN-SENT)`.
    pub requirement: String,
}

/// Each scenario of the model, with the clause it demonstrates (the
/// model's `properties.rs`).
pub const SCENARIOS: &[(&str, &str)] = &[
    ("three-way-handshake", "RFC 9293 §3.5 Figure 6"),
    ("four-way-teardown", "RFC 9293 §3.6 Figure 12"),
    ("half-close", "RFC 9293 §3.6"),
    ("simultaneous-open", "RFC 9293 §3.5 Figure 7 (MUST-10)"),
    ("simultaneous-close", "RFC 9293 §3.6 Figure 13"),
    ("syn-retransmit-backoff", "RFC 6298 (5.5), RFC 9293 §3.8.1"),
    ("connect-timeout", "RFC 9293 §3.8.3 (R2 for SYN)"),
    ("stale-syn-rejected", "RFC 9293 §3.5 Figure 8"),
    ("time-wait-reacks-fin", "RFC 9293 §3.10.7.4 (TIME-WAIT)"),
    ("abort-reset", "RFC 9293 §3.10.5"),
];

/// The subject of `trace`, read from `file`.
pub fn subject(file: &Path, trace: &Trace) -> Subject {
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if trace.origin == "scenario" {
        if let Some((name, clause)) = SCENARIOS.iter().find(|(n, _)| *n == stem) {
            return Subject {
                kind: Kind::Scenario,
                name: name.to_string(),
                requirement: clause.to_string(),
            };
        }
    }
    match trace.steps.iter().rev().find_map(|s| s.key.as_deref()) {
        Some(key) => Subject {
            kind: Kind::Transition,
            name: key.to_string(),
            requirement: for_key(key),
        },
        None => Subject {
            kind: Kind::Transition,
            name: format!("{} path {stem}", trace.origin),
            requirement: "RFC 9293 §3.10 (event processing)".to_string(),
        },
    }
}

/// The RFC 9293 clause that handles a transition key's input in its state
/// before: `"<before> <input> -> <after>[ emit ...]"`.
pub fn for_key(key: &str) -> String {
    let (lhs, after) = key.split_once(" -> ").unwrap_or((key, ""));
    let after = after.split(" emit ").next().unwrap_or("");
    let mut words = lhs.split_whitespace();
    let before = words.next().unwrap_or("");
    let input = words.next().unwrap_or("");
    let clause = match input {
        "listen" | "connect" => "§3.10.1 (OPEN call)".to_string(),
        "send" => "§3.10.2 (SEND call)".to_string(),
        "close" => "§3.10.4 (CLOSE call)".to_string(),
        "abort" => "§3.10.5 (ABORT call)".to_string(),
        "crash" => "§3.4.3 (the quiet time after a crash)".to_string(),
        "timeout" => match before {
            "TIME-WAIT" => "§3.10.8 (TIME-WAIT timeout, MUST-13)".to_string(),
            "CLOSED" => "§3.4.3 (the quiet time after a crash)".to_string(),
            _ if after == "CLOSED" => "§3.8.3 (R2: giving up after retransmissions)".to_string(),
            _ => "§3.10.8 (retransmission timeout)".to_string(),
        },
        "arrive" => match before {
            "CLOSED" => "§3.10.7.1 (SEGMENT ARRIVES in CLOSED)".to_string(),
            "LISTEN" => "§3.10.7.2 (SEGMENT ARRIVES in LISTEN)".to_string(),
            "SYN-SENT" if after == "SYN-RECEIVED" => {
                "§3.10.7.3 (SEGMENT ARRIVES in SYN-SENT; simultaneous open, MUST-10)".to_string()
            }
            "SYN-SENT" => "§3.10.7.3 (SEGMENT ARRIVES in SYN-SENT)".to_string(),
            s => format!("§3.10.7.4 (SEGMENT ARRIVES in {s})"),
        },
        _ => "§3.10 (event processing)".to_string(),
    };
    format!("RFC 9293 {clause}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_map_to_their_clause() {
        let cases = [
            ("CLOSED connect -> SYN-SENT emit SYN", "§3.10.1"),
            (
                "SYN-SENT arrive SYN,ACK -> ESTABLISHED emit ACK",
                "§3.10.7.3 (SEGMENT",
            ),
            (
                "SYN-SENT arrive SYN -> SYN-RECEIVED emit SYN,ACK",
                "MUST-10",
            ),
            (
                "LISTEN arrive SYN -> SYN-RECEIVED emit SYN,ACK",
                "§3.10.7.2",
            ),
            ("CLOSED arrive ACK -> CLOSED emit RST", "§3.10.7.1"),
            (
                "FIN-WAIT-2 arrive FIN,ACK -> TIME-WAIT emit ACK",
                "§3.10.7.4 (SEGMENT ARRIVES in FIN-WAIT-2)",
            ),
            ("TIME-WAIT timeout -> CLOSED", "MUST-13"),
            (
                "SYN-SENT timeout -> SYN-SENT emit SYN",
                "§3.10.8 (retransmission",
            ),
            ("SYN-SENT timeout -> CLOSED", "§3.8.3"),
            ("ESTABLISHED abort -> CLOSED emit RST", "§3.10.5"),
            ("ESTABLISHED close -> FIN-WAIT-1 emit FIN,ACK", "§3.10.4"),
            ("ESTABLISHED send -> ESTABLISHED emit ACK+data", "§3.10.2"),
        ];
        for (key, want) in cases {
            let got = for_key(key);
            assert!(got.starts_with("RFC 9293 §"), "{key}: {got}");
            assert!(got.contains(want), "{key}: {got} lacks {want}");
        }
    }
}
