//! The replay engine: one trace, one role, against any target.

use std::path::Path;
use std::time::{Duration, Instant};

use super::compare::compare;
use super::describe::so_far;
use super::numbering::Numbering;
use super::outcome::{Outcome, Verdict};
use super::policy::{Absorption, Difference, Policy};
use crate::target::{Clock, IssControl, Role, Stimulus, Target};
use crate::trace::{Call, HostId, Input, Observation, Trace};

/// Replays `trace` against `target` playing `role`, at each ISN base of
/// `bases` in turn until one does not agree, comparing as `policy` says.
/// A real-clock target's unclassified divergence is replayed once more at
/// the same base: if the retry does not diverge it stands, marked retried.
pub fn replay(
    target: &mut dyn Target,
    file: &Path,
    trace: &Trace,
    role: Role,
    bases: &[u32],
    policy: &Policy,
) -> Outcome {
    let started = Instant::now();
    let waited_before = target.waited();
    let retry = target.capabilities().clock == Clock::Real;
    let mut out = Outcome {
        file: file.to_path_buf(),
        profile: trace.config.profile,
        role,
        isn_base: bases.first().copied().unwrap_or(0),
        steps: 0,
        of: trace.steps.len(),
        verdict: Verdict::Agreed,
        at: None,
        diffs: Vec::new(),
        so_far: String::new(),
        observed: Vec::new(),
        absorbed: Vec::new(),
        taken: Vec::new(),
        waited: Duration::ZERO,
        elapsed: Duration::ZERO,
        retried: None,
    };
    // Steps agreed at every base so far.
    let mut agreed = trace.steps.len();
    for &base in bases {
        out.isn_base = base;
        let mut run = Run::new(trace, role, base, policy).play(target);
        if retry && run.verdict == Verdict::Diverged {
            // Only the retry's steps count, as only its verdict does.
            let first = (run.at.unwrap_or(0), std::mem::take(&mut run.diffs));
            run = Run::new(trace, role, base, policy).play(target);
            if run.verdict != Verdict::Diverged {
                out.retried = Some(first);
            }
        }
        out.steps += run.steps;
        agreed = agreed.min(run.agreed);
        for a in run.absorbed {
            if !out.absorbed.contains(&a) {
                out.absorbed.push(a);
            }
        }
        if run.verdict != Verdict::Agreed {
            out.verdict = run.verdict;
            out.at = run.at;
            out.diffs = run.diffs;
            out.so_far = so_far(&trace.steps, run.at.unwrap_or(0));
            out.observed = run.observed;
            break;
        }
    }
    out.taken = trace.steps[..agreed]
        .iter()
        .filter(|s| s.input.acting_host().is_some_and(|h| role.plays(h)))
        .filter_map(|s| s.key.clone())
        .collect();
    out.waited = target.waited().saturating_sub(waited_before);
    out.elapsed = started.elapsed();
    out
}

/// One replay of a trace at one ISN base.
struct Run<'a> {
    trace: &'a Trace,
    role: Role,
    base: u32,
    policy: &'a Policy,
    verdict: Verdict,
    at: Option<usize>,
    steps: usize,
    /// Steps that agreed before it stopped.
    agreed: usize,
    diffs: Vec<String>,
    /// The target's observations at the step that stopped it.
    observed: Vec<(HostId, Observation)>,
    absorbed: Vec<Absorption>,
}

impl<'a> Run<'a> {
    fn new(trace: &'a Trace, role: Role, base: u32, policy: &'a Policy) -> Run<'a> {
        Run {
            trace,
            role,
            base,
            policy,
            verdict: Verdict::Agreed,
            at: None,
            steps: 0,
            agreed: 0,
            diffs: Vec::new(),
            observed: Vec::new(),
            absorbed: Vec::new(),
        }
    }

    /// Every step in turn: set or expect the ISS, give the target the
    /// input if it is for a host it plays, observe each host it plays and
    /// compare. Stops at the first difference or declined input.
    fn play(mut self, target: &mut dyn Target) -> Self {
        let caps = target.capabilities();
        let cfg = &self.trace.config;
        let learns = caps.iss == IssControl::Learned;
        let mut numbers = Numbering::new(self.base, cfg.model_isn_bases, [learns; 2]);
        if let Err(why) = target.start(cfg, self.role) {
            self.verdict = Verdict::EndedEarly(why);
            self.at = Some(1);
            return self;
        }
        let tick = cfg.tick();
        for (i, step) in self.trace.steps.iter().enumerate() {
            self.steps = i + 1;
            for &h in self.role.hosts() {
                if let Some(iss) = step.host(h).iss {
                    numbers.model_iss(h, iss);
                    if !learns {
                        target.set_next_iss(h, numbers.absolute(h, iss));
                    }
                }
            }
            if let Some(stimulus) = stimulus(&step.input, self.role, &mut numbers) {
                if let Err(why) = target.input(&stimulus) {
                    self.verdict = Verdict::EndedEarly(why);
                    self.at = Some(i + 1);
                    return self;
                }
            }
            let mut unclassified = false;
            let mut named = None;
            let mut observed = Vec::new();
            for &h in self.role.hosts() {
                let report = target.observe(h);
                let actual = numbers.observation(h, report, caps.clock, tick);
                let expected = step.host(h);
                let before = self.diffs.len();
                compare(
                    h,
                    expected,
                    &actual,
                    step.host(h.peer()).state,
                    self.policy,
                    caps.observes_tcb,
                    &mut self.diffs,
                    &mut self.absorbed,
                );
                if self.diffs.len() > before {
                    let d = Difference {
                        profile: cfg.profile,
                        host: h,
                        before: &self.trace.steps[..i],
                        step,
                        expected,
                        actual: &actual,
                    };
                    match self.policy.classify(&d) {
                        Some(name) => named = named.or(Some(name)),
                        None => unclassified = true,
                    }
                }
                observed.push((h, actual));
            }
            if !self.diffs.is_empty() {
                // Every differing host must be explained for the step to be.
                self.verdict = match named {
                    Some(name) if !unclassified => Verdict::Deviation(name),
                    _ => Verdict::Diverged,
                };
                self.at = Some(i + 1);
                self.observed = observed;
                return self;
            }
            self.agreed = i + 1;
        }
        self
    }
}

/// What a target playing `role` gets for `input`, if anything: inputs for
/// a host it does not play are the harness's (their effects are the
/// trace's later segments), and a lost or delayed segment arrives nowhere.
/// An OPEN starts a new connection in `numbers`.
pub fn stimulus(input: &Input, role: Role, numbers: &mut Numbering) -> Option<Stimulus> {
    let mine = |h| role.plays(h);
    match input {
        Input::Deliver { segment } | Input::Duplicate { segment } => {
            let to = segment.to();
            mine(to).then(|| Stimulus::Arrive(to, numbers.to_wire(segment)))
        }
        Input::Lose { .. } | Input::Delay { .. } => None,
        Input::Tick => Some(Stimulus::Tick),
        Input::Timeout { host } => mine(*host).then_some(Stimulus::Timeout(*host)),
        Input::Crash { host } => mine(*host).then_some(Stimulus::Crash(*host)),
        _ => {
            let (host, call) = input.call()?;
            if !mine(host) {
                return None;
            }
            if matches!(call, Call::Listen | Call::Connect) {
                numbers.new_connection(host);
            }
            Some(Stimulus::Call(host, call))
        }
    }
}
