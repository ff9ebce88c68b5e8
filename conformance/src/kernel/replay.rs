//! Replaying traces against the kernel: one trace, one role, one outcome;
//! the comparison rules of the `linux` mapping; the named deviations; and a
//! parallel runner (each worker in its own private namespace).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use synfin_linux::sys::netns::{self, NetnsError};

use super::target::{EndEarly, KernelTarget};
use crate::replay::{describe, Loaded, ISN_BASES};
use crate::target::ConformanceTarget;
use crate::trace::{HostObs, Step, Trace};

/// Whether the RFC leaves room for what Linux does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Allowance {
    /// RFC 9293 (or the RFC the model's profile follows) allows both; the
    /// difference is a choice, reported apart from true deviations.
    RfcAllows,
    /// What Linux does is not what the RFC the trace's profile follows
    /// says: a true deviation.
    Deviates,
}

/// A named way in which the kernel differs from the model, judged against
/// the RFC text. A replay that reaches one stops there with its name.
#[derive(Clone, Copy, Debug)]
pub struct KernelDeviation {
    /// Stable name.
    pub name: &'static str,
    /// What differs.
    pub what: &'static str,
    /// Whether the RFC allows it.
    pub allowance: Allowance,
}

/// The named deviations this mapping knows (see [`classify`]), each judged
/// against the RFC text.
pub const KERNEL_DEVIATIONS: &[KernelDeviation] = &[
    KernelDeviation {
        name: "time-wait-rst",
        what: "an RST in TIME-WAIT ends it (tcp_rfc1337=0, Linux's default); the \
               rfc9293 profile follows RFC 1337 F1 and ignores it",
        allowance: Allowance::RfcAllows,
    },
    KernelDeviation {
        name: "challenge-ack",
        what: "an RFC 5961 challenge ACK where the rfc793 profile resets or drops",
        allowance: Allowance::RfcAllows,
    },
    KernelDeviation {
        name: "retransmit-collapses-data-fin",
        what: "on a retransmission timeout with data and FIN outstanding, Linux resends \
               both in one segment (tcp_retrans_collapse); the model resends the data only",
        allowance: Allowance::RfcAllows,
    },
    KernelDeviation {
        name: "loss-window-holds-fin",
        what: "after a retransmission timeout, with the data still unacknowledged, CLOSE \
               queues the FIN: the congestion window is one segment (RFC 5681 §3.1 loss \
               window); the model has no congestion control and sends the FIN at once",
        allowance: Allowance::RfcAllows,
    },
    KernelDeviation {
        name: "simultaneous-open-acks-synack",
        what: "in SYN-RECEIVED of a simultaneous open, a SYN,ACK repeating the peer's SYN \
               completes the handshake (as RFC 9293 Figure 7 and the model do) and is also \
               acknowledged, as §3.10.7.4's sequence check would (the repeated SYN is old)",
        allowance: Allowance::RfcAllows,
    },
    KernelDeviation {
        name: "syn-received-resends-synack",
        what: "in SYN-RECEIVED, a retransmitted SYN is answered with the SYN,ACK again; \
               RFC 9293 §3.10.7.4 (first, check sequence number) sends \
               <SEQ=SND.NXT><ACK=RCV.NXT><CTL=ACK>",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "close-in-syn-received-waits",
        what: "CLOSE (shutdown(SHUT_WR)) in SYN-RECEIVED of a simultaneous open sends no \
               FIN and stays in SYN-RECEIVED; RFC 9293 §3.10.4 sends the FIN and enters \
               FIN-WAIT-1 when nothing is queued",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "refused-reported-as-reset",
        what: "an RST in SYN-RECEIVED of an active open is reported as ECONNRESET; RFC \
               9293 §3.10.7.4 signals \"connection refused\"",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "rst-carries-ack-to-syn-sent",
        what: "Linux's RST for an ABORT carries ACK (RFC 9293 §3.10.5 writes \
               <SEQ=SND.NXT><CTL=RST>); to a peer in SYN-SENT the ACK field decides \
               whether the RST counts (§3.10.7.3), so the `linux` profile does not absorb \
               it there",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "rst-at-rcv-nxt-minus-1",
        what: "in CLOSE-WAIT, LAST-ACK and CLOSING an RST with SEG.SEQ = RCV.NXT-1 (the \
               peer's FIN's number) resets the connection (tcp_reset_check, for peers that \
               send RST after FIN); RFC 5961 §3.2 and the model drop it as out of window",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "syn-sent-bad-ack-rearms",
        what: "in SYN-SENT, an unacceptable ACK is answered with RST (as RFC 9293 says) and \
               the SYN retransmission timer is re-armed to a few milliseconds (\"previous \
               FIN/ACK or RST/ACK might be ignored\"); RFC 6298 retransmits on the RTO only",
        allowance: Allowance::Deviates,
    },
    KernelDeviation {
        name: "syn-linear-timeouts",
        what: "with Linux's default tcp_syn_linear_timeouts=4 the first SYN \
               retransmissions come at a flat 1 s, not doubling as RFC 6298 (5.5) says, \
               and the retry budget grows by 4 (found by the SYN schedule check; replays \
               run with the sysctl at 0)",
        allowance: Allowance::Deviates,
    },
];

/// The comparison profile: `linux` absorbs what the RFC leaves open and
/// cannot change a later step (timer values the kernel fixes itself);
/// `strict` compares every field as the in-memory replay does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Profile {
    /// Absorb RFC-allowed timer values (see [`compare`]).
    Linux,
    /// Compare exactly.
    Strict,
}

/// What became of one replay.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Verdict {
    /// Every step agreed.
    Agreed,
    /// Stopped early, with the reason.
    EndedEarly(EndEarly),
    /// Stopped at a named deviation.
    Deviation(&'static str),
    /// A difference no class explains.
    Diverged,
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Verdict::Agreed => f.write_str("agreed"),
            Verdict::EndedEarly(e) => write!(f, "ended-early: {e}"),
            Verdict::Deviation(d) => write!(f, "deviation: {d}"),
            Verdict::Diverged => f.write_str("diverged"),
        }
    }
}

/// One trace replayed with the kernel as one host.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// The trace file.
    pub file: PathBuf,
    /// The trace's profile.
    pub profile: String,
    /// The host the kernel played (`A` or `B`).
    pub role: &'static str,
    /// The harness host's ISN base.
    pub isn_base: u32,
    /// Steps replayed (up to and including the one that stopped it).
    pub steps: usize,
    /// Transition keys of agreeing steps where the kernel's host acted
    /// (called, timed out, or received a segment).
    pub taken: Vec<String>,
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
    /// Differences the `linux` profile absorbed on the way.
    pub absorbed: Vec<&'static str>,
    /// Real time spent waiting for the kernel's timers.
    pub waited: Duration,
    /// Real time the whole replay took (waits included).
    pub elapsed: Duration,
    /// If a first attempt diverged unclassified and this one (the retry)
    /// did not: the first attempt's step and differences. Real time makes
    /// an occasional answer late on a loaded machine; a divergence that
    /// repeats is reported as such.
    pub retried: Option<(usize, Vec<String>)>,
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}, kernel as {}, ISN base {}): {}",
            self.file.display(),
            self.profile,
            self.role,
            self.isn_base,
            self.verdict
        )?;
        if let Some(at) = self.at {
            writeln!(f, " at step {at} of {}", self.of)?;
            for d in &self.diffs {
                writeln!(f, "  {d}")?;
            }
            write!(f, "{}", self.so_far)
        } else {
            writeln!(f)
        }
    }
}

/// Compares the kernel's host with the model's after one step. Returns the
/// differences, and what the `linux` profile absorbed.
///
/// The timer is the one field not compared exactly: ticks are not slept
/// through, so the kernel's deadline can only lag the model's, and a
/// retransmission timer is accepted when it has at least the ticks the
/// model has left (whether it fires *when* the model says is checked by
/// waiting for it at the `timeout` step). Under `linux`, a TIME-WAIT timer
/// is accepted at any length: Linux's is 60 s (`TCP_TIMEWAIT_LEN`), the
/// trace's is `time_wait` ticks, and RFC 9293 leaves MSL to the
/// implementation.
pub fn compare(
    exp: &HostObs,
    act: &HostObs,
    peer_state: &str,
    profile: Profile,
    absorbed: &mut Vec<&'static str>,
) -> Vec<String> {
    let mut out = Vec::new();
    let name = "kernel";
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
    let timer_ok = match (exp.timer, act.timer) {
        (None, None) => true,
        (Some(e), Some(a)) if profile == Profile::Linux => {
            if exp.state == "TIME-WAIT" && act.state == "TIME-WAIT" {
                if a != e && !absorbed.contains(&"time-wait-length") {
                    absorbed.push("time-wait-length");
                }
                true
            } else {
                a >= e
            }
        }
        (e, a) => e == a,
    };
    if !timer_ok {
        out.push(format!(
            "{name}.timer: expected {:?}, actual {:?}",
            exp.timer, act.timer
        ));
    }
    if exp.emitted != act.emitted
        && !(profile == Profile::Linux && rst_with_ack(exp, act, peer_state))
    {
        let show = |v: &[crate::trace::TSeg]| {
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
    out
}

/// RFC 9293's synchronized states, where RFC 5961 challenge ACKs apply.
const SYNCHRONIZED: &[&str] = &[
    "ESTABLISHED",
    "FIN-WAIT-1",
    "FIN-WAIT-2",
    "CLOSE-WAIT",
    "CLOSING",
    "LAST-ACK",
    "TIME-WAIT",
];

/// Whether the only difference in what was sent is that the kernel's RST
/// carries an ACK where the model's does not (Linux sets ACK on the RST of
/// an ABORT; RFC 9293 §3.10.5 writes `<SEQ=SND.NXT><CTL=RST>`). The
/// receiver checks the RST bit before the ACK field in every state but
/// SYN-SENT (§3.10.7.4), so unless the peer is in SYN-SENT the two are the
/// same segment to it: the `linux` profile absorbs this.
fn rst_with_ack(exp: &HostObs, act: &HostObs, peer_state: &str) -> bool {
    peer_state != "SYN-SENT"
        && exp.emitted.len() == act.emitted.len()
        && exp.emitted.iter().zip(&act.emitted).all(|(e, a)| {
            e == a || (e.flags == "RST" && a.flags == "ACK,RST" && e.seq == a.seq && e.len == a.len)
        })
}

/// The named deviation a difference is, if any: judged from the input,
/// the steps before it, the model's expectation and what the kernel did.
pub fn classify(
    profile: &str,
    role: &str,
    before: &[Step],
    step: &Step,
    exp: &HostObs,
    act: &HostObs,
) -> Option<&'static str> {
    let seg = step.input.segment.as_ref();
    let arrival = matches!(step.input.kind.as_str(), "deliver" | "duplicate");
    let flags = seg.map_or("", |s| s.flags.as_str());
    // Equal but for what `f` changes (the timer is compared by `compare`'s
    // own rule, so it is taken from `act` here).
    let same_but = |f: &dyn Fn(&mut HostObs)| {
        let mut e = exp.clone();
        e.timer = act.timer;
        // The kernel's TCB variables are not observed (`observes_tcb`).
        e.tcb = act.tcb.clone();
        f(&mut e);
        e == *act
    };
    let only_emitted = same_but(&|e| e.emitted = act.emitted.clone());
    if step.input.kind == "abort" && only_emitted && rst_with_ack(exp, act, "") {
        // Only reached when the peer is in SYN-SENT: elsewhere the `linux`
        // profile absorbed it before classification.
        return Some("rst-carries-ack-to-syn-sent");
    }
    let pure_ack = |v: &[crate::trace::TSeg]| v.len() == 1 && v[0].flags == "ACK" && v[0].len == 0;
    if arrival
        && flags.contains("RST")
        && exp.state == "TIME-WAIT"
        && act.state == "CLOSED"
        && act.emitted.is_empty()
    {
        return Some("time-wait-rst");
    }
    if arrival
        && flags.contains("RST")
        && matches!(exp.state.as_str(), "CLOSE-WAIT" | "LAST-ACK" | "CLOSING")
        && exp.emitted.is_empty()
        && act.state == "CLOSED"
        && act.events == ["reset"]
    {
        return Some("rst-at-rcv-nxt-minus-1");
    }
    if arrival
        && flags == "SYN,ACK"
        && only_emitted
        && exp.state == "ESTABLISHED"
        && exp.emitted.is_empty()
        && pure_ack(&act.emitted)
    {
        return Some("simultaneous-open-acks-synack");
    }
    if arrival
        && profile == "rfc793"
        // RFC 5961 §3.2, §4.2: every state but SYN-SENT (the kernel is
        // still in one; the rfc793 model left it).
        && (SYNCHRONIZED.contains(&act.state.as_str()) || act.state == "SYN-RECEIVED")
        && pure_ack(&act.emitted)
        && (flags.contains("SYN") || flags.contains("RST"))
        && exp.emitted.iter().all(|e| e.flags != "ACK")
    {
        return Some("challenge-ack");
    }
    if arrival
        && flags == "SYN"
        && only_emitted
        && exp.state == "SYN-RECEIVED"
        && pure_ack(&exp.emitted)
        && act.emitted.len() == 1
        && act.emitted[0].flags == "SYN,ACK"
    {
        return Some("syn-received-resends-synack");
    }
    if step.input.kind == "close"
        && exp.state == "FIN-WAIT-1"
        && act.state == "SYN-RECEIVED"
        && act.emitted.is_empty()
    {
        return Some("close-in-syn-received-waits");
    }
    let kernel_timed_out_before = before
        .iter()
        .any(|s| s.input.kind == "timeout" && s.input.host.as_deref() == Some(role));
    if step.input.kind == "close"
        && kernel_timed_out_before
        && only_emitted
        && act.emitted.is_empty()
        && exp.emitted.iter().any(|e| e.flags.contains("FIN"))
    {
        return Some("loss-window-holds-fin");
    }
    if exp.events == ["refused"] && same_but(&|e| e.events = vec!["reset".into()]) {
        return Some("refused-reported-as-reset");
    }
    if arrival
        && flags.contains("ACK")
        && exp.state == "SYN-SENT"
        && same_but(&|_| {})
        && act.timer < exp.timer
    {
        return Some("syn-sent-bad-ack-rearms");
    }
    if step.input.kind == "timeout" && exp.emitted.len() == 1 && act.emitted.len() == 1 {
        let (e, a) = (&exp.emitted[0], &act.emitted[0]);
        if e.len == 1 && a.len == 1 && e.seq == a.seq && e.flags == "ACK" && a.flags == "ACK,FIN" {
            return Some("retransmit-collapses-data-fin");
        }
    }
    None
}

fn host_idx(s: &str) -> usize {
    usize::from(s == "B")
}

/// Replays `t` with the kernel as host `role` (0 = A), the harness's host
/// at ISN base `isn_base`.
pub fn replay_one(
    target: &mut KernelTarget,
    file: &Path,
    t: &Trace,
    role: usize,
    isn_base: u32,
    profile: Profile,
) -> Outcome {
    target.play(role);
    let waited_before = target.waited;
    target.start(&t.config, isn_base);
    let mut absorbed = Vec::new();
    let mut out = Outcome {
        file: file.to_path_buf(),
        profile: t.config.profile.clone(),
        role: if role == 0 { "A" } else { "B" },
        isn_base,
        steps: 0,
        taken: Vec::new(),
        of: t.steps.len(),
        verdict: Verdict::Agreed,
        at: None,
        diffs: Vec::new(),
        so_far: String::new(),
        absorbed: Vec::new(),
        waited: Duration::ZERO,
        elapsed: Duration::ZERO,
        retried: None,
    };
    let started = std::time::Instant::now();
    let so_far = |i: usize| -> String {
        t.steps[..=i]
            .iter()
            .enumerate()
            .map(|(j, s)| describe(j + 1, s) + "\n")
            .collect()
    };
    for (i, s) in t.steps.iter().enumerate() {
        out.steps = i + 1;
        if let Some(iss) = s.host(role).iss {
            target.set_next_iss(role, iss);
        }
        let host = s.input.host.as_deref().map(host_idx).unwrap_or(0);
        match s.input.kind.as_str() {
            "listen" | "connect" | "send" | "close" | "abort" => target.call(host, &s.input.kind),
            "timeout" => target.timeout(host),
            "crash" => target.crash(host),
            "tick" => target.tick(),
            "deliver" | "duplicate" => {
                if let Some(seg) = &s.input.segment {
                    target.arrive(1 - host_idx(&seg.from), seg);
                }
            }
            _ => {}
        }
        if let Some(e) = target.ended_early() {
            out.verdict = Verdict::EndedEarly(e.clone());
            out.at = Some(i + 1);
            out.so_far = so_far(i);
            break;
        }
        let act = target.observe(role);
        let exp = s.host(role);
        let peer_state = &s.host(1 - role).state;
        if profile == Profile::Linux
            && exp.emitted != act.emitted
            && rst_with_ack(exp, &act, peer_state)
            && !absorbed.contains(&"rst-carries-ack")
        {
            absorbed.push("rst-carries-ack");
        }
        let diffs = compare(exp, &act, peer_state, profile, &mut absorbed);
        let actor = match &s.input.segment {
            Some(seg) if matches!(s.input.kind.as_str(), "deliver" | "duplicate") => {
                Some(1 - host_idx(&seg.from))
            }
            _ => s.input.host.as_deref().map(host_idx),
        };
        if diffs.is_empty() && actor == Some(role) {
            out.taken.extend(s.key.iter().cloned());
        }
        if !diffs.is_empty() {
            out.verdict = match classify(&t.config.profile, out.role, &t.steps[..i], s, exp, &act) {
                Some(c) => Verdict::Deviation(c),
                None => Verdict::Diverged,
            };
            out.at = Some(i + 1);
            out.diffs = diffs;
            out.so_far = so_far(i);
            break;
        }
    }
    out.absorbed = absorbed;
    out.waited = target.waited.saturating_sub(waited_before);
    out.elapsed = started.elapsed();
    out
}

/// How to run a kernel replay.
#[derive(Clone, Debug)]
pub struct Options {
    /// Parallel workers, each in its own namespace (most of a replay's time
    /// is waiting for the kernel's timers, not CPU).
    pub jobs: usize,
    /// The hosts the kernel plays: each trace is replayed once per role.
    pub roles: Vec<usize>,
    /// The comparison profile.
    pub profile: Profile,
    /// Longest wait for one kernel timer.
    pub wait_budget: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            jobs: 16,
            roles: vec![0, 1],
            profile: Profile::Linux,
            wait_budget: Duration::from_secs(5),
        }
    }
}

/// Every replay's outcome, and the time it took.
#[derive(Debug, Default)]
pub struct Summary {
    /// One per (trace, role), in trace order.
    pub outcomes: Vec<Outcome>,
    /// Wall-clock seconds of the whole replay.
    pub seconds: f64,
    /// Segments read from the TUN that belonged to no current replay.
    pub stray: u64,
    /// Every reachable transition key of the cover manifests among the
    /// paths (of the profile replayed).
    pub reachable: BTreeSet<String>,
}

impl Summary {
    /// Steps replayed.
    pub fn steps(&self) -> usize {
        self.outcomes.iter().map(|o| o.steps).sum()
    }

    /// Replays per verdict.
    pub fn by_verdict(&self) -> BTreeMap<String, usize> {
        let mut m = BTreeMap::new();
        for o in &self.outcomes {
            *m.entry(o.verdict.to_string()).or_insert(0) += 1;
        }
        m
    }

    /// Replays that diverged with no named class.
    pub fn diverged(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes
            .iter()
            .filter(|o| o.verdict == Verdict::Diverged)
    }

    /// Traces the kernel agreed with in every role it played.
    pub fn traces_agreed(&self) -> (usize, usize) {
        let mut per: BTreeMap<(&PathBuf, &str), bool> = BTreeMap::new();
        for o in &self.outcomes {
            let e = per.entry((&o.file, o.profile.as_str())).or_insert(true);
            *e &= o.verdict == Verdict::Agreed;
        }
        (per.values().filter(|v| **v).count(), per.len())
    }

    /// Steps per second of one worker when it is not waiting for a kernel
    /// timer: the harness's own speed (sockets, TUN, sock_diag per step).
    pub fn steps_per_busy_second(&self) -> f64 {
        let busy: Duration = self
            .outcomes
            .iter()
            .map(|o| o.elapsed.saturating_sub(o.waited))
            .sum();
        self.steps() as f64 / busy.as_secs_f64().max(1e-9)
    }

    /// Reachable transitions the kernel took in an agreeing step, and how
    /// many are reachable (0 without a cover manifest among the paths).
    pub fn coverage(&self) -> (usize, usize) {
        let taken: BTreeSet<&String> = self.outcomes.iter().flat_map(|o| &o.taken).collect();
        let hit = self.reachable.iter().filter(|k| taken.contains(k)).count();
        (hit, self.reachable.len())
    }

    /// Replays whose first attempt diverged unclassified and whose retry
    /// did not.
    pub fn retried(&self) -> impl Iterator<Item = &Outcome> {
        self.outcomes.iter().filter(|o| o.retried.is_some())
    }

    /// Real time spent waiting for the kernel's timers, over all workers.
    pub fn waited(&self) -> Duration {
        self.outcomes.iter().map(|o| o.waited).sum()
    }
}

/// Replays every trace of `loaded` (only those of `profile`, if given)
/// against the kernel, once per role in `opts.roles`, on `opts.jobs`
/// workers. The harness host's ISN base cycles through [`ISN_BASES`] by
/// trace. Fails if no namespace can be set up (a missing capability, see
/// [`NetnsError::is_missing_capability`]).
pub fn replay_all(
    loaded: &Loaded,
    profile: Option<&str>,
    opts: &Options,
) -> Result<Summary, SetupError> {
    let start = std::time::Instant::now();
    let traces: Vec<(PathBuf, Trace)> = loaded
        .traces
        .iter()
        .filter(|(_, t)| profile.is_none_or(|p| p == t.config.profile))
        .cloned()
        .collect();
    let mut jobs = Vec::new();
    for (i, _) in traces.iter().enumerate() {
        for &r in &opts.roles {
            jobs.push((i, r, ISN_BASES[i % ISN_BASES.len()]));
        }
    }
    let traces = Arc::new(traces);
    let jobs = Arc::new(jobs);
    let next = Arc::new(AtomicUsize::new(0));
    let results: Arc<Mutex<Vec<(usize, Outcome)>>> = Arc::default();
    let stray = Arc::new(AtomicUsize::new(0));
    let workers = opts.jobs.clamp(1, jobs.len().max(1));
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (traces, jobs, next, results, stray) = (
            traces.clone(),
            jobs.clone(),
            next.clone(),
            results.clone(),
            stray.clone(),
        );
        let (budget, cmp) = (opts.wait_budget, opts.profile);
        handles.push(std::thread::spawn(move || {
            netns::in_private_netns(move |net| -> Result<(), std::io::Error> {
                let mut target = KernelTarget::new(net)?;
                target.wait_budget = budget;
                loop {
                    let j = next.fetch_add(1, Ordering::Relaxed);
                    let Some(&(ti, role, base)) = jobs.get(j) else {
                        break;
                    };
                    let (file, t) = &traces[ti];
                    let mut o = replay_one(&mut target, file, t, role, base, cmp);
                    if o.verdict == Verdict::Diverged {
                        let first = (o.at.unwrap_or(0), o.diffs.clone());
                        o = replay_one(&mut target, file, t, role, base, cmp);
                        if o.verdict != Verdict::Diverged {
                            o.retried = Some(first);
                        }
                    }
                    if let Ok(mut r) = results.lock() {
                        r.push((j, o));
                    }
                }
                stray.fetch_add(target.stray as usize, Ordering::Relaxed);
                Ok(())
            })
        }));
    }
    let mut first_err = None;
    for h in handles {
        let r = match h.join() {
            Ok(r) => r,
            Err(p) => std::panic::resume_unwind(p),
        };
        match r {
            Ok(Ok(())) => {}
            Ok(Err(e)) => first_err = first_err.or(Some(SetupError::Io(e))),
            Err(e) => first_err = first_err.or(Some(SetupError::Netns(e))),
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    let mut res = std::mem::take(&mut *results.lock().unwrap_or_else(|p| p.into_inner()));
    res.sort_by_key(|(j, _)| *j);
    Ok(Summary {
        outcomes: res.into_iter().map(|(_, o)| o).collect(),
        seconds: start.elapsed().as_secs_f64(),
        stray: stray.load(Ordering::Relaxed) as u64,
        reachable: loaded
            .covers
            .iter()
            .filter(|(_, c)| profile.is_none_or(|p| p == c.config.profile))
            .flat_map(|(_, c)| c.keys.iter().cloned())
            .collect(),
    })
}

/// Why the kernel could not be set up as a target.
#[derive(Debug)]
pub enum SetupError {
    /// The namespace or TUN device (see [`NetnsError`]).
    Netns(NetnsError),
    /// Inside the namespace: sock_diag, the device, or iproute2.
    Io(std::io::Error),
}

impl SetupError {
    /// Whether the machine or the user lacks something (a reason to skip).
    pub fn is_missing_capability(&self) -> bool {
        match self {
            SetupError::Netns(e) => e.is_missing_capability(),
            SetupError::Io(e) => matches!(
                e.kind(),
                std::io::ErrorKind::NotFound | std::io::ErrorKind::PermissionDenied
            ),
        }
    }
}

impl std::fmt::Display for SetupError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SetupError::Netns(e) => write!(f, "{e}"),
            SetupError::Io(e) => write!(f, "setting up the kernel target failed: {e}"),
        }
    }
}

impl std::error::Error for SetupError {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{Input, TSeg};

    fn obs(state: &str, timer: Option<u8>, emitted: Vec<TSeg>) -> HostObs {
        HostObs {
            state: state.into(),
            iss: Some(0),
            timer,
            emitted,
            delivered: 0,
            eof: false,
            events: Vec::new(),
            tcb: None,
        }
    }

    fn seg(flags: &str, seq: i64, ack: i64) -> TSeg {
        TSeg {
            from: "A".into(),
            flags: flags.into(),
            seq: Some(seq),
            ack,
            len: 0,
        }
    }

    fn step(kind: &str, segment: Option<TSeg>, after: &HostObs) -> Step {
        Step {
            tick: 0,
            input: Input {
                kind: kind.into(),
                host: segment.is_none().then(|| "A".to_string()),
                segment,
            },
            key: None,
            a: after.clone(),
            b: obs("ESTABLISHED", None, vec![]),
        }
    }

    #[test]
    fn a_retransmission_timer_passes_when_not_due_sooner() {
        let exp = obs("ESTABLISHED", Some(1), vec![]);
        let mut ab = Vec::new();
        let later = obs("ESTABLISHED", Some(2), vec![]);
        assert!(compare(&exp, &later, "ESTABLISHED", Profile::Linux, &mut ab).is_empty());
        let sooner = obs("ESTABLISHED", Some(0), vec![]);
        assert_eq!(
            compare(&exp, &sooner, "ESTABLISHED", Profile::Linux, &mut ab).len(),
            1
        );
        assert_eq!(
            compare(&exp, &later, "ESTABLISHED", Profile::Strict, &mut ab).len(),
            1
        );
        assert!(ab.is_empty());
    }

    #[test]
    fn the_linux_profile_absorbs_time_wait_length_and_rst_with_ack() {
        let mut ab = Vec::new();
        let exp = obs("TIME-WAIT", Some(4), vec![]);
        let act = obs("TIME-WAIT", Some(60), vec![]);
        assert!(compare(&exp, &act, "FIN-WAIT-2", Profile::Linux, &mut ab).is_empty());
        assert_eq!(ab, ["time-wait-length"]);
        assert!(!compare(&exp, &act, "FIN-WAIT-2", Profile::Strict, &mut ab).is_empty());
        let exp = obs("CLOSED", None, vec![seg("RST", 2, 0)]);
        let act = obs("CLOSED", None, vec![seg("ACK,RST", 2, 1)]);
        assert!(compare(&exp, &act, "ESTABLISHED", Profile::Linux, &mut ab).is_empty());
        // To a peer in SYN-SENT the ACK makes the RST acceptable: not absorbed,
        // but a named deviation.
        assert!(!compare(&exp, &act, "SYN-SENT", Profile::Linux, &mut ab).is_empty());
        let s = step("abort", None, &exp);
        assert_eq!(
            classify("rfc793", "A", &[], &s, &exp, &act),
            Some("rst-carries-ack-to-syn-sent")
        );
        // A different sequence number is never absorbed.
        let other = obs("CLOSED", None, vec![seg("ACK,RST", 3, 1)]);
        assert!(!compare(&exp, &other, "ESTABLISHED", Profile::Linux, &mut ab).is_empty());
    }

    #[test]
    fn differences_are_classified_by_input_and_outcome() {
        // A retransmitted SYN in SYN-RECEIVED: the model ACKs, Linux resends
        // its SYN,ACK.
        let exp = obs("SYN-RECEIVED", Some(1), vec![seg("ACK", 1, 1)]);
        let act = obs("SYN-RECEIVED", Some(1), vec![seg("SYN,ACK", 0, 1)]);
        let mut syn = seg("SYN", 0, 0);
        syn.from = "B".into();
        let s = step("deliver", Some(syn.clone()), &exp);
        assert_eq!(
            classify("rfc9293", "A", &[], &s, &exp, &act),
            Some("syn-received-resends-synack")
        );
        // The same answer to a SYN,ACK is no known class.
        let mut synack = seg("SYN,ACK", 0, 1);
        synack.from = "B".into();
        let s = step("deliver", Some(synack), &exp);
        assert_eq!(classify("rfc9293", "A", &[], &s, &exp, &act), None);
        // A challenge ACK counts as one only against the rfc793 profile.
        let exp = obs("CLOSED", None, vec![seg("ACK,RST", 0, 4)]);
        let act = obs("ESTABLISHED", None, vec![seg("ACK", 1, 1)]);
        let s = step("deliver", Some(syn), &exp);
        assert_eq!(
            classify("rfc793", "A", &[], &s, &exp, &act),
            Some("challenge-ack")
        );
        assert_eq!(classify("rfc9293", "A", &[], &s, &exp, &act), None);
        // Every class classify returns is listed.
        for c in [
            "time-wait-rst",
            "rst-at-rcv-nxt-minus-1",
            "challenge-ack",
            "simultaneous-open-acks-synack",
            "syn-received-resends-synack",
            "close-in-syn-received-waits",
            "loss-window-holds-fin",
            "refused-reported-as-reset",
            "syn-sent-bad-ack-rearms",
            "retransmit-collapses-data-fin",
        ] {
            assert!(KERNEL_DEVIATIONS.iter().any(|d| d.name == c), "{c}");
        }
    }
}
