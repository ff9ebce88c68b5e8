//! The 10 canonical scenarios of the design (`synfin list`), as synfin-tcp
//! plays them. Each trace under `traces/scenarios-<profile>/` is the model's
//! shortest example (`synfin export --scenarios`, the path `synfin show`
//! draws); this test asserts it conforms at every ISN base and pins, with
//! insta, what the implementation actually did at each step: states,
//! segments sent, timers, bytes delivered and application events.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use synfin_conformance::replay::{load, replay_one, ISN_BASES};
use synfin_conformance::target::{ConformanceTarget, ImplTarget};
use synfin_conformance::trace::{HostObs, Step, Trace};

/// The model's named scenarios, in `synfin list` order.
const SCENARIOS: [&str; 10] = [
    "three-way-handshake",
    "four-way-teardown",
    "half-close",
    "simultaneous-open",
    "simultaneous-close",
    "syn-retransmit-backoff",
    "connect-timeout",
    "stale-syn-rejected",
    "time-wait-reacks-fin",
    "abort-reset",
];

fn dir(profile: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(format!("scenarios-{profile}"))
}

fn input(s: &Step) -> String {
    match (&s.input.host, &s.input.segment) {
        (Some(h), _) => format!("{h}: {}", s.input.kind),
        (None, Some(seg)) => format!("{} {seg}", s.input.kind),
        _ => s.input.kind.clone(),
    }
}

/// One line for a host that acted or changed in the step.
fn host_line(name: &str, before: &HostObs, after: &HostObs) -> String {
    let mut l = if before.state == after.state {
        format!("     {name}  {}", after.state)
    } else {
        format!("     {name}  {} -> {}", before.state, after.state)
    };
    for e in &after.emitted {
        let _ = write!(l, ", sends {e}");
    }
    if after.delivered > before.delivered {
        let _ = write!(l, ", delivers {} byte", after.delivered - before.delivered);
    }
    for e in &after.events {
        let _ = write!(l, ", event {e}");
    }
    if let Some(t) = after.timer {
        let _ = write!(l, ", timer {t}");
    }
    l
}

/// Replay `t` on synfin-tcp at ISN base 0 and draw what it did, one
/// numbered step per input.
fn render(name: &str, t: &Trace) -> String {
    let mut target = ImplTarget::default();
    target.start(&t.config, 0);
    let mut out = format!(
        "{name} on synfin-tcp ({}, preset {}): {} steps; numbers relative to each host's ISN base, replayed at base 0\n",
        t.config.profile,
        t.config.preset,
        t.steps.len()
    );
    let closed = HostObs {
        state: "CLOSED".into(),
        iss: None,
        timer: None,
        emitted: vec![],
        delivered: 0,
        eof: false,
        events: vec![],
        tcb: None,
    };
    let mut prev = [closed.clone(), closed];
    for (i, s) in t.steps.iter().enumerate() {
        for h in 0..2 {
            if let Some(iss) = s.host(h).iss {
                target.set_next_iss(h, iss);
            }
        }
        let host = usize::from(s.input.host.as_deref() == Some("B"));
        match s.input.kind.as_str() {
            "listen" | "connect" | "send" | "close" | "abort" => target.call(host, &s.input.kind),
            "timeout" => target.timeout(host),
            "crash" => target.crash(host),
            "tick" => target.tick(),
            "deliver" | "duplicate" => {
                let seg = s.input.segment.as_ref().unwrap();
                target.arrive(usize::from(seg.from == "A"), seg);
            }
            _ => {}
        }
        let _ = writeln!(out, "{:>3}. [t={}] {}", i + 1, s.tick, input(s));
        for h in 0..2 {
            let now = target.observe(h);
            let acted = match s.input.kind.as_str() {
                "deliver" | "duplicate" => s.input.segment.as_ref().unwrap().from != ["A", "B"][h],
                "tick" | "lose" | "delay" => false,
                _ => host == h,
            };
            let changed = now.state != prev[h].state
                || !now.emitted.is_empty()
                || !now.events.is_empty()
                || now.delivered != prev[h].delivered;
            if acted || changed {
                out += &host_line(["A", "B"][h], &prev[h], &now);
                out.push('\n');
            }
            prev[h] = now;
        }
    }
    out
}

fn pinned(profile: &str) {
    let d = dir(profile);
    let loaded = load(std::slice::from_ref(&d)).expect("scenario traces load");
    assert_eq!(loaded.traces.len(), SCENARIOS.len(), "{}", d.display());
    for name in SCENARIOS {
        let file = d.join(format!("{name}.json"));
        let (_, t) = loaded
            .traces
            .iter()
            .find(|(p, _)| *p == file)
            .unwrap_or_else(|| panic!("{} is missing", file.display()));
        assert_eq!(t.origin, "scenario");
        assert_eq!(t.config.profile, profile);
        for base in ISN_BASES {
            match replay_one(&mut ImplTarget::default(), &file, t, base) {
                Ok(n) => assert_eq!(n, t.steps.len()),
                Err(d) => panic!("{name} does not conform:\n{d}"),
            }
        }
        insta::assert_snapshot!(format!("{profile}-{name}"), render(name, t));
    }
}

#[test]
fn scenarios_rfc9293_conform_and_are_pinned() {
    pinned("rfc9293");
}

#[test]
fn scenarios_rfc793_conform_and_are_pinned() {
    pinned("rfc793");
}
