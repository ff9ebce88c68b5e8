//! Replaying a suite: which (trace, role, ISN bases) to replay, on one
//! target or on a pool of workers with a target each.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use super::engine::replay;
use super::numbering::ISN_BASES;
use super::outcome::Outcome;
use super::policy::Policy;
use super::summary::Summary;
use crate::target::{Capabilities, Clock, Role, Target};
use crate::trace::{HostId, Profile, Suite};

/// What to replay, and how to judge it.
#[derive(Clone, Debug)]
pub struct Plan {
    /// Only traces of this profile (all with `None`).
    pub profile: Option<Profile>,
    /// Each trace is replayed once per role.
    pub roles: Vec<Role>,
    /// The ISN bases of each replay.
    pub bases: Bases,
    /// How differences are judged.
    pub policy: Policy,
}

/// Which ISN bases a trace replays at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bases {
    /// Every one of [`ISN_BASES`], in turn, until one does not agree.
    Every,
    /// One, cycling through [`ISN_BASES`] from trace to trace: for a
    /// target whose replays take real time.
    Cycle,
}

impl Plan {
    /// The plan a target's capabilities suggest: both hosts at once if it
    /// can play them, else once as A and once as B; every ISN base on a
    /// virtual clock, one per trace on a real one; every profile.
    pub fn for_target(caps: Capabilities, policy: Policy) -> Plan {
        Plan {
            profile: None,
            roles: if caps.plays_both {
                vec![Role::Both]
            } else {
                vec![Role::Host(HostId::A), Role::Host(HostId::B)]
            },
            bases: match caps.clock {
                Clock::Virtual => Bases::Every,
                Clock::Real => Bases::Cycle,
            },
            policy,
        }
    }

    /// The replays, in the order reported: by trace (sorted by path), then
    /// by role.
    fn jobs(&self, suite: &Suite) -> Vec<Job> {
        let mut jobs = Vec::new();
        let chosen = suite
            .traces
            .iter()
            .enumerate()
            .filter(|(_, (_, t))| self.profile.is_none_or(|p| p == t.config.profile));
        for (n, (trace, _)) in chosen.enumerate() {
            let bases: &'static [u32] = match self.bases {
                Bases::Every => &ISN_BASES,
                Bases::Cycle => &ISN_BASES[n % ISN_BASES.len()..][..1],
            };
            for &role in &self.roles {
                jobs.push(Job { trace, role, bases });
            }
        }
        jobs
    }
}

/// One trace in one role.
#[derive(Clone, Copy, Debug)]
struct Job {
    /// Index into the suite's traces.
    trace: usize,
    role: Role,
    bases: &'static [u32],
}

/// Replays the suite as `plan` says against one target, on this thread.
pub fn run(target: &mut dyn Target, suite: &Suite, plan: &Plan) -> Summary {
    let start = Instant::now();
    let outcomes = plan
        .jobs(suite)
        .into_iter()
        .map(|j| {
            let (file, t) = &suite.traces[j.trace];
            replay(target, file, t, j.role, j.bases, &plan.policy)
        })
        .collect();
    Summary::new(
        outcomes,
        start.elapsed(),
        suite.reachable(plan.profile),
        plan,
    )
}

/// A worker of [`run_parallel`]: takes the next replay from the queue until
/// none is left.
#[derive(Clone)]
pub struct Worker(Arc<Queue>);

struct Queue {
    suite: Suite,
    policy: Policy,
    jobs: Vec<Job>,
    next: AtomicUsize,
    done: Mutex<Vec<(usize, Outcome)>>,
}

impl Worker {
    /// Replays queued jobs against `target` until the queue is empty.
    pub fn work(&self, target: &mut dyn Target) {
        let q = &self.0;
        loop {
            let n = q.next.fetch_add(1, Ordering::Relaxed);
            let Some(j) = q.jobs.get(n) else { break };
            let (file, t) = &q.suite.traces[j.trace];
            let o = replay(target, file, t, j.role, j.bases, &q.policy);
            q.done
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .push((n, o));
        }
    }
}

/// Replays the suite as `plan` says on `workers` threads, each calling
/// `worker` once: it builds its own target (in its own network namespace,
/// say) and hands it to [`Worker::work`]. Most of a real-clock replay's
/// time is waiting, not CPU, so workers may outnumber cores. The first
/// worker error is returned once every worker has stopped.
pub fn run_parallel<E: Send>(
    suite: &Suite,
    plan: &Plan,
    workers: usize,
    worker: impl Fn(Worker) -> Result<(), E> + Sync,
) -> Result<Summary, E> {
    let start = Instant::now();
    let jobs = plan.jobs(suite);
    let n = workers.clamp(1, jobs.len().max(1));
    let queue = Arc::new(Queue {
        suite: suite.clone(),
        policy: plan.policy,
        jobs,
        next: AtomicUsize::new(0),
        done: Mutex::new(Vec::new()),
    });
    let results: Vec<Result<(), E>> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..n)
            .map(|_| {
                let w = Worker(queue.clone());
                let worker = &worker;
                s.spawn(move || worker(w))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    });
    results.into_iter().collect::<Result<(), E>>()?;
    let mut done = std::mem::take(&mut *queue.done.lock().unwrap_or_else(|p| p.into_inner()));
    done.sort_by_key(|(n, _)| *n);
    let outcomes = done.into_iter().map(|(_, o)| o).collect();
    Ok(Summary::new(
        outcomes,
        start.elapsed(),
        suite.reachable(plan.profile),
        plan,
    ))
}
