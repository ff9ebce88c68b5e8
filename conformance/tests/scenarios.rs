//! The 10 canonical scenarios of the design (`synfin list`), as synfin-tcp
//! plays them. Each trace under `traces/scenarios-<profile>/` is the model's
//! shortest example (`synfin export --scenarios`, the path `synfin show`
//! draws); this test asserts it conforms at every ISN base and pins, with
//! insta, what the implementation actually did at each step: states,
//! segments sent, timers, bytes delivered and application events.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use synfin_conformance::replay::{replay, stimulus, Numbering, Policy, ISN_BASES};
use synfin_conformance::target::{Clock, Role, SynfinTcp, Target};
use synfin_conformance::trace::{HostId, Input, Observation, Profile, Suite, Trace};

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

fn dir(profile: Profile) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("traces")
        .join(format!("scenarios-{profile}"))
}

fn input(i: &Input) -> String {
    match (i.host(), i.segment()) {
        (Some(h), _) => format!("{h}: {}", i.kind()),
        (None, Some(seg)) => format!("{} {seg}", i.kind()),
        _ => i.kind().to_string(),
    }
}

/// One line for a host that acted or changed in the step.
fn host_line(h: HostId, before: &Observation, after: &Observation) -> String {
    let mut l = if before.state == after.state {
        format!("     {h}  {}", after.state)
    } else {
        format!("     {h}  {} -> {}", before.state, after.state)
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
/// numbered step per input, in the trace's relative numbers.
fn render(name: &str, t: &Trace) -> String {
    let mut target = SynfinTcp::default();
    target
        .start(&t.config, Role::Both)
        .expect("synfin-tcp plays every trace");
    let mut numbers = Numbering::new(0, t.config.model_isn_bases, [false; 2]);
    let mut out = format!(
        "{name} on synfin-tcp ({}, preset {}): {} steps; numbers relative to each host's ISN base, replayed at base 0\n",
        t.config.profile,
        t.config.preset,
        t.steps.len()
    );
    let mut prev = [Observation::closed(), Observation::closed()];
    for (i, s) in t.steps.iter().enumerate() {
        for h in HostId::BOTH {
            if let Some(iss) = s.host(h).iss {
                numbers.model_iss(h, iss);
                target.set_next_iss(h, numbers.absolute(h, iss));
            }
        }
        if let Some(st) = stimulus(&s.input, Role::Both, &mut numbers) {
            target.input(&st).expect("synfin-tcp takes every input");
        }
        let _ = writeln!(out, "{:>3}. [t={}] {}", i + 1, s.tick, input(&s.input));
        for h in HostId::BOTH {
            let report = target.observe(h);
            let now = numbers.observation(h, report, Clock::Virtual, t.config.tick());
            let acted = match &s.input {
                Input::Deliver { segment } | Input::Duplicate { segment } => segment.to() == h,
                Input::Tick | Input::Lose { .. } | Input::Delay { .. } => false,
                other => other.host() == Some(h),
            };
            let p = &prev[h.index()];
            let changed = now.state != p.state
                || !now.emitted.is_empty()
                || !now.events.is_empty()
                || now.delivered != p.delivered;
            if acted || changed {
                out += &host_line(h, p, &now);
                out.push('\n');
            }
            prev[h.index()] = now;
        }
    }
    out
}

fn pinned(profile: Profile) {
    let d = dir(profile);
    let suite = Suite::load(std::slice::from_ref(&d)).expect("scenario traces load");
    assert_eq!(suite.traces.len(), SCENARIOS.len(), "{}", d.display());
    for name in SCENARIOS {
        let file = d.join(format!("{name}.json"));
        let (_, t) = suite
            .traces
            .iter()
            .find(|(p, _)| *p == file)
            .unwrap_or_else(|| panic!("{} is missing", file.display()));
        assert_eq!(t.origin, "scenario");
        assert_eq!(t.config.profile, profile);
        let o = replay(
            &mut SynfinTcp::default(),
            &file,
            t,
            Role::Both,
            &ISN_BASES,
            &Policy::STRICT,
        );
        assert!(o.at.is_none(), "{name} does not conform:\n{o}");
        assert_eq!(o.steps, t.steps.len() * ISN_BASES.len());
        insta::assert_snapshot!(format!("{profile}-{name}"), render(name, t));
    }
}

#[test]
fn scenarios_rfc9293_conform_and_are_pinned() {
    pinned(Profile::Rfc9293);
}

#[test]
fn scenarios_rfc793_conform_and_are_pinned() {
    pinned(Profile::Rfc793);
}
