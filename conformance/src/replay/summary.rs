//! Every replay's outcome, with the figures a report shows.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Duration;

use super::outcome::{Outcome, Verdict};
use super::policy::Policy;
use super::runner::{Bases, Plan};

/// Every replay's outcome, and what they add up to.
#[derive(Clone, Debug)]
pub struct Summary {
    /// One per (trace, role), in trace order.
    pub outcomes: Vec<Outcome>,
    /// Wall-clock seconds of the replay (loading excluded).
    pub seconds: f64,
    /// Every reachable transition key of the cover manifests among the
    /// paths (of the profile replayed).
    pub reachable: BTreeSet<String>,
    /// How differences were judged.
    pub policy: Policy,
    /// The ISN bases replayed at.
    pub bases: Bases,
}

impl Summary {
    pub(super) fn new(
        outcomes: Vec<Outcome>,
        elapsed: Duration,
        reachable: BTreeSet<String>,
        plan: &Plan,
    ) -> Summary {
        Summary {
            outcomes,
            seconds: elapsed.as_secs_f64(),
            reachable,
            policy: plan.policy,
            bases: plan.bases,
        }
    }

    /// Traces replayed.
    pub fn traces(&self) -> usize {
        self.outcomes
            .iter()
            .map(|o| o.file.as_path())
            .collect::<BTreeSet<&Path>>()
            .len()
    }

    /// Steps replayed, over every base and role.
    pub fn steps(&self) -> usize {
        self.outcomes.iter().map(|o| o.steps).sum()
    }

    /// Replays per verdict, by the verdict's text.
    pub fn by_verdict(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for o in &self.outcomes {
            *m.entry(o.verdict.to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Replays that diverged with no name: failures.
    pub fn diverged(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Diverged)
    }

    /// Replays that stopped at a named expectation.
    pub fn deviations(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| matches!(o.verdict, Verdict::Deviation(_)))
    }

    /// Traces that agreed in every role they were replayed in, and traces.
    pub fn traces_agreed(&self) -> (usize, usize) {
        let mut per: BTreeMap<&Path, bool> = BTreeMap::new();
        for o in &self.outcomes {
            *per.entry(&o.file).or_insert(true) &= o.verdict == Verdict::Agreed;
        }
        (per.values().filter(|v| **v).count(), per.len())
    }

    /// Transition keys taken in agreeing steps by a host the target played.
    pub fn taken(&self) -> BTreeSet<&String> {
        self.outcomes.iter().flat_map(|o| &o.taken).collect()
    }

    /// Reachable transitions taken, and reachable transitions (0 without a
    /// cover manifest among the paths).
    pub fn coverage(&self) -> (usize, usize) {
        let taken = self.taken();
        let hit = self.reachable.iter().filter(|k| taken.contains(k)).count();
        (hit, self.reachable.len())
    }

    /// The fraction of reachable transitions taken (1 without a manifest).
    pub fn coverage_fraction(&self) -> f64 {
        match self.coverage() {
            (_, 0) => 1.0,
            (hit, n) => hit as f64 / n as f64,
        }
    }

    /// Reachable transitions no agreeing step took.
    pub fn untaken(&self) -> Vec<&String> {
        let taken = self.taken();
        self.reachable
            .iter()
            .filter(|k| !taken.contains(k))
            .collect()
    }

    /// Replays whose first attempt diverged unclassified and whose retry
    /// did not.
    pub fn retried(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.retried.is_some())
    }

    /// Real time the target spent waiting for its timers, over all workers.
    pub fn waited(&self) -> Duration {
        self.outcomes.iter().map(|o| o.waited).sum()
    }

    /// Steps per wall-clock second.
    pub fn steps_per_second(&self) -> f64 {
        self.steps() as f64 / self.seconds.max(1e-9)
    }

    /// Steps per second of one worker when it is not waiting for a timer:
    /// the harness's and the target's own speed.
    pub fn steps_per_busy_second(&self) -> f64 {
        let busy: Duration = self
            .outcomes
            .iter()
            .map(|o| o.elapsed.saturating_sub(o.waited))
            .sum();
        self.steps() as f64 / busy.as_secs_f64().max(1e-9)
    }
}
