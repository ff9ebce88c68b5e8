//! What became of one replay.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use super::policy::Absorption;
use crate::target::{Role, Unsupported};
use crate::trace::{HostId, Observation, Profile};

/// The verdict on one replay.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every step agreed.
    Agreed,
    /// The target declined an input; nothing after it was judged.
    EndedEarly(Unsupported),
    /// Stopped at one of the target's named expectations.
    Deviation(&'static str),
    /// A difference nothing names: a failure.
    Diverged,
}

impl fmt::Display for Verdict {
    /// `agreed`, `ended-early: <reason>`, `deviation: <name>`, `diverged`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Verdict::Agreed => f.write_str("agreed"),
            Verdict::EndedEarly(e) => write!(f, "ended-early: {e}"),
            Verdict::Deviation(d) => write!(f, "deviation: {d}"),
            Verdict::Diverged => f.write_str("diverged"),
        }
    }
}

/// One trace replayed with a target in one role, at one or more ISN bases
/// (stopping at the first base that does not agree).
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The trace file.
    pub file: PathBuf,
    /// The trace's profile.
    pub profile: Profile,
    /// The hosts the target played.
    pub role: Role,
    /// The ISN base of the last replay (the one that stopped, if one did).
    pub isn_base: u32,
    /// Steps replayed over every base, up to and including the one that
    /// stopped it.
    pub steps: usize,
    /// Steps in the trace.
    pub of: usize,
    /// The verdict.
    pub verdict: Verdict,
    /// 1-based step where it stopped, if it did not agree.
    pub at: Option<usize>,
    /// Expected against actual, field by field, at that step.
    pub diffs: Vec<String>,
    /// The trace up to that step, as the model has it.
    pub so_far: String,
    /// What the target showed of each host it plays at that step, in the
    /// trace's terms (empty unless it stopped at a difference): the
    /// observed side of a report's expected-against-observed diagram.
    pub observed: Vec<(HostId, Observation)>,
    /// Differences the policy absorbed on the way.
    pub absorbed: Vec<Absorption>,
    /// Transition keys of steps that agreed at every base and whose acting
    /// host the target played.
    pub taken: Vec<String>,
    /// Real time the target spent waiting for its timers.
    pub waited: Duration,
    /// Real time the whole replay took (waits included).
    pub elapsed: Duration,
    /// If a first attempt diverged unclassified and this one (the retry,
    /// for a real-clock target) did not: the first attempt's step and
    /// differences. A divergence that repeats is reported as such.
    pub retried: Option<(usize, Vec<String>)>,
}

impl fmt::Display for Outcome {
    /// The verdict with where it happened; for a stop, the differences and
    /// the trace so far.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let head = match &self.verdict {
            Verdict::Diverged => "DIVERGENCE".to_string(),
            v => v.to_string(),
        };
        write!(
            f,
            "{head} in {} ({}, playing {}, ISN base {})",
            self.file.display(),
            self.profile,
            self.role,
            self.isn_base
        )?;
        let Some(at) = self.at else {
            return writeln!(f);
        };
        writeln!(f, " at step {at} of {}:", self.of)?;
        for d in &self.diffs {
            writeln!(f, "  {d}")?;
        }
        writeln!(f, "trace so far (model's expectation):")?;
        f.write_str(&self.so_far)
    }
}
