//! Step-by-step replay, divergence reports and coverage.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::target::ConformanceTarget;
use crate::trace::{self, BadInput, Cover, HostObs, Step, Trace};

/// Every trace replays at each of these ISN bases, so sequence arithmetic
/// crosses 2^31 and the 2^32 wrap.
pub const ISN_BASES: [u32; 3] = [0, 1 << 31, u32::MAX - 2];

/// The first step where the target differs from the model.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The trace file.
    pub file: PathBuf,
    /// The ISN base of the replay.
    pub isn_base: u32,
    /// 1-based step number.
    pub step: usize,
    /// Field-by-field differences.
    pub diffs: Vec<String>,
    /// The trace up to and including the step, as a numbered list.
    pub so_far: String,
    /// The target's known deviation this is, if any (see
    /// [`ConformanceTarget::known_deviation`]): reported, but not a failure.
    pub known: Option<&'static str>,
}

/// Does the target's timer conform to the model's? The model's RTO is a
/// constant; RFC 6298 computes it from RTT samples and keeps a backed-off
/// RTO until a new sample (Karn), with the model's RTO as its floor. So a
/// retransmission timer conforms when it runs when the model's does and is
/// due no sooner; TIME-WAIT and the quiet time after a reboot (the only
/// timers in TIME-WAIT and CLOSED) must match to the tick.
pub fn timer_conforms(expected: &HostObs, actual: &HostObs) -> bool {
    match (expected.timer, actual.timer) {
        (Some(e), Some(a)) if !matches!(expected.state.as_str(), "TIME-WAIT" | "CLOSED") => a >= e,
        (e, a) => e == a,
    }
}

impl std::fmt::Display for Divergence {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "DIVERGENCE in {} at step {} (ISN base {}):",
            self.file.display(),
            self.step,
            self.isn_base
        )?;
        for d in &self.diffs {
            writeln!(f, "  {d}")?;
        }
        writeln!(f, "trace so far (model's expectation):")?;
        f.write_str(&self.so_far)
    }
}

fn host_idx(s: &str) -> usize {
    usize::from(s == "B")
}

/// One line per step: the input and what the model expects.
pub fn describe(i: usize, s: &Step) -> String {
    let what = match (&s.input.host, &s.input.segment) {
        (Some(h), _) => format!("{h}: {}", s.input.kind),
        (None, Some(seg)) => format!("{} {seg}", s.input.kind),
        _ => s.input.kind.clone(),
    };
    let mut line = format!("{i:>3}. [t={}] {what}", s.tick);
    for (n, o) in [("A", &s.a), ("B", &s.b)] {
        let _ = write!(line, " | {n} {}", o.state);
        for e in &o.emitted {
            let _ = write!(line, " sends {e}");
        }
        for e in &o.events {
            let _ = write!(line, " ({e})");
        }
    }
    line
}

/// Field-by-field differences of host `name`. The TCB variables are
/// compared when `tcb` is set (the target observes them) and the trace
/// records them for this step.
pub fn diff(name: &str, exp: &HostObs, act: &HostObs, tcb: bool, out: &mut Vec<String>) {
    macro_rules! cmp {
        ($f:ident) => {
            if exp.$f != act.$f {
                out.push(format!(
                    "{name}.{}: expected {:?}, actual {:?}",
                    stringify!($f),
                    exp.$f,
                    act.$f
                ));
            }
        };
    }
    cmp!(state);
    cmp!(iss);
    if !timer_conforms(exp, act) {
        out.push(format!(
            "{name}.timer: expected {:?}, actual {:?}",
            exp.timer, act.timer
        ));
    }
    if exp.emitted != act.emitted {
        let show = |v: &[trace::TSeg]| {
            if v.is_empty() {
                "nothing".to_string()
            } else {
                v.iter()
                    .map(|s| s.to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        };
        out.push(format!(
            "{name}.emitted: expected {}, actual {}",
            show(&exp.emitted),
            show(&act.emitted)
        ));
    }
    cmp!(delivered);
    cmp!(eof);
    cmp!(events);
    if let (true, Some(e)) = (tcb, &exp.tcb) {
        if act.tcb.as_ref() != Some(e) {
            let a = act
                .tcb
                .as_ref()
                .map_or("none".to_string(), |t| t.to_string());
            out.push(format!("{name}.tcb: expected {e}, actual {a}"));
        }
    }
}

/// Replay one trace at one ISN base. `Ok(steps)` when it conforms.
pub fn replay_one(
    target: &mut dyn ConformanceTarget,
    file: &Path,
    t: &Trace,
    isn_base: u32,
) -> Result<usize, Divergence> {
    target.start(&t.config, isn_base);
    for (i, s) in t.steps.iter().enumerate() {
        for h in 0..2 {
            if let Some(iss) = s.host(h).iss {
                target.set_next_iss(h, iss);
            }
        }
        let host = s.input.host.as_deref().map(host_idx);
        match s.input.kind.as_str() {
            "listen" | "connect" | "send" | "close" | "abort" => {
                target.call(host.unwrap_or(0), &s.input.kind)
            }
            "timeout" => target.timeout(host.unwrap_or(0)),
            "crash" => target.crash(host.unwrap_or(0)),
            "tick" => target.tick(),
            "deliver" | "duplicate" => {
                let seg = s.input.segment.as_ref().expect("validated");
                target.arrive(1 - host_idx(&seg.from), seg);
            }
            // The harness owns the network: a lost or delayed segment is
            // simply not delivered now.
            _ => {}
        }
        let mut diffs = Vec::new();
        let mut known: Option<&'static str> = None;
        let mut unknown = false;
        for h in 0..2 {
            let act = target.observe(h);
            let before = diffs.len();
            let tcb = target.observes_tcb();
            diff(
                if h == 0 { "A" } else { "B" },
                s.host(h),
                &act,
                tcb,
                &mut diffs,
            );
            if diffs.len() > before {
                match target.known_deviation(s, h, s.host(h), &act) {
                    Some(k) => known = Some(k),
                    None => unknown = true,
                }
            }
        }
        if !diffs.is_empty() {
            let so_far = t.steps[..=i]
                .iter()
                .enumerate()
                .map(|(j, s)| describe(j + 1, s) + "\n")
                .collect();
            return Err(Divergence {
                file: file.to_path_buf(),
                isn_base,
                step: i + 1,
                diffs,
                so_far,
                known: if unknown { None } else { known },
            });
        }
    }
    Ok(t.steps.len())
}

/// Traces and cover manifests found under the given paths.
#[derive(Default)]
pub struct Loaded {
    /// Trace files and their traces, sorted by path.
    pub traces: Vec<(PathBuf, Trace)>,
    /// Cover manifests.
    pub covers: Vec<(PathBuf, Cover)>,
}

/// Load every `*.json` under `paths` (files or directories, recursively);
/// `cover.json` files are cover manifests.
pub fn load(paths: &[PathBuf]) -> Result<Loaded, BadInput> {
    let mut files = Vec::new();
    fn walk(p: &Path, out: &mut Vec<PathBuf>) -> Result<(), BadInput> {
        if p.is_dir() {
            let rd = std::fs::read_dir(p)
                .map_err(|e| BadInput(format!("{}: cannot read directory: {e}", p.display())))?;
            for e in rd.flatten() {
                let q = e.path();
                if q.is_dir() || q.extension().is_some_and(|x| x == "json") {
                    walk(&q, out)?;
                }
            }
            Ok(())
        } else if p.exists() {
            out.push(p.to_path_buf());
            Ok(())
        } else {
            Err(BadInput(format!(
                "{}: no such file or directory",
                p.display()
            )))
        }
    }
    for p in paths {
        walk(p, &mut files)?;
    }
    files.sort();
    let mut l = Loaded::default();
    for f in files {
        let text = std::fs::read_to_string(&f)
            .map_err(|e| BadInput(format!("{}: cannot read: {e}", f.display())))?;
        if f.file_name().is_some_and(|n| n == "cover.json") {
            l.covers.push((f.clone(), trace::parse_cover(&f, &text)?));
        } else {
            l.traces.push((f.clone(), trace::parse_trace(&f, &text)?));
        }
    }
    Ok(l)
}

/// The outcome of replaying a set of traces.
#[derive(Default, Debug)]
pub struct Summary {
    /// Traces replayed.
    pub traces: usize,
    /// Steps replayed, over all ISN bases.
    pub steps: usize,
    /// Traces that diverged (at any base), with the first divergence each.
    pub diverged: Vec<Divergence>,
    /// Traces stopped at a known deviation.
    pub known: Vec<Divergence>,
    /// Transition keys of conforming steps.
    pub taken: BTreeSet<String>,
    /// Every reachable key from the cover manifests.
    pub reachable: BTreeSet<String>,
}

impl Summary {
    /// Reachable keys no conforming step took.
    pub fn untaken(&self) -> Vec<&String> {
        self.reachable.difference(&self.taken).collect()
    }

    /// Fraction of reachable keys taken (1.0 without a manifest).
    pub fn coverage(&self) -> f64 {
        if self.reachable.is_empty() {
            return 1.0;
        }
        let hit = self.reachable.intersection(&self.taken).count();
        hit as f64 / self.reachable.len() as f64
    }
}

/// Replay every trace (optionally only those of `profile`) at every ISN base.
pub fn replay_all(
    target: &mut dyn ConformanceTarget,
    loaded: &Loaded,
    profile: Option<&str>,
) -> Summary {
    let mut sum = Summary::default();
    for (_, c) in &loaded.covers {
        if profile.is_none_or(|p| p == c.config.profile) {
            sum.reachable.extend(c.keys.iter().cloned());
        }
    }
    for (file, t) in &loaded.traces {
        if profile.is_some_and(|p| p != t.config.profile) {
            continue;
        }
        sum.traces += 1;
        let mut failed = None;
        for base in ISN_BASES {
            match replay_one(target, file, t, base) {
                Ok(n) => sum.steps += n,
                Err(d) => {
                    sum.steps += d.step;
                    failed = Some(d);
                    break;
                }
            }
        }
        let good = failed.as_ref().map_or(t.steps.len(), |d| d.step - 1);
        for s in &t.steps[..good] {
            if let Some(k) = &s.key {
                sum.taken.insert(k.clone());
            }
        }
        if let Some(d) = failed {
            if d.known.is_some() {
                sum.known.push(d);
            } else {
                sum.diverged.push(d);
            }
        }
    }
    sum
}
