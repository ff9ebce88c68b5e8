//! Replaying a suite against the kernel: the replay engine's parallel
//! runner, each worker with a [`KernelTarget`] in a private namespace of
//! its own.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use synfin_linux::sys::netns;

use super::deviations::LINUX;
use super::setup::SetupError;
use super::target::KernelTarget;
use crate::replay::{run_parallel, Plan, Policy, Summary};
use crate::target::Role;
use crate::trace::{Profile, Suite};

/// How to run a kernel replay.
#[derive(Clone, Debug)]
pub struct Options {
    /// Parallel workers, each in its own namespace (most of a replay's time
    /// is waiting for the kernel's timers, not CPU).
    pub jobs: usize,
    /// The roles the kernel plays: each trace is replayed once per role.
    pub roles: Vec<Role>,
    /// How differences are judged.
    pub policy: Policy,
    /// Longest wait for one kernel timer.
    pub wait_budget: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 16,
            roles: Plan::for_target(KernelTarget::CAPABILITIES, LINUX).roles,
            policy: LINUX,
            wait_budget: Duration::from_secs(5),
        }
    }
}

/// A kernel replay's summary, and what the workers saw besides.
#[derive(Clone, Debug)]
pub struct KernelSummary {
    /// Every replay's outcome.
    pub summary: Summary,
    /// Segments read from the TUN that belonged to no current replay.
    pub stray: u64,
}

/// Replays every trace of `suite` (only those of `profile`, if given)
/// against the kernel, once per role in `opts.roles`, on `opts.jobs`
/// workers. The harness host's ISN base cycles through the ISN bases by
/// trace. Fails if no namespace can be set up (a missing capability, see
/// [`SetupError::is_missing_capability`]).
pub fn replay_all(
    suite: &Suite,
    profile: Option<Profile>,
    opts: &Options,
) -> Result<KernelSummary, SetupError> {
    let mut plan = Plan::for_target(KernelTarget::CAPABILITIES, opts.policy);
    plan.profile = profile;
    plan.roles = opts.roles.clone();
    let stray = AtomicU64::new(0);
    let budget = opts.wait_budget;
    let summary = run_parallel(suite, &plan, opts.jobs, |worker| {
        let r = netns::in_private_netns(move |net| -> std::io::Result<u64> {
            let mut target = KernelTarget::new(net)?;
            target.wait_budget = budget;
            worker.work(&mut target);
            Ok(target.stray)
        });
        match r {
            Ok(Ok(n)) => {
                stray.fetch_add(n, Ordering::Relaxed);
                Ok(())
            }
            Ok(Err(e)) => Err(SetupError::Io(e)),
            Err(e) => Err(SetupError::Netns(e)),
        }
    })?;
    Ok(KernelSummary {
        summary,
        stray: stray.load(Ordering::Relaxed),
    })
}
